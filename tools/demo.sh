#!/usr/bin/env bash
# The seed scenario, both ways natprobe reads it:
#  1. live: `natprobe run` forwards both captures through two inline segments
#     on DPDK net_pcap ports and writes its records to a file;
#  2. offline: `natprobe analyze` reads the same captures and prints the report.
# Run tools/setup.sh first (the README's first command does both).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${NATPROBE_BIN:-build/app/natprobe/natprobe}
records=/tmp/natprobe-demo-records.jsonl
seed=tests/fixtures/scenarios/seed_misroute

rm -f "$records"
echo "== natprobe run -c config/seed-demo.yaml (live, inline on net_pcap ports)"
"$bin" run -c config/seed-demo.yaml --idle-exit 1 >/tmp/natprobe-demo-counters.txt
grep -E '^natprobe_(port_(rx|tx)_packets_total|segment_packets_total|anomalies_total|incidents_total|nat_bindings_learned_total)' \
	/tmp/natprobe-demo-counters.txt | grep -v ' 0$' || true
echo
echo "== records written live ($records)"
cat "$records"
echo
echo "== natprobe analyze inside=$seed/inside.pcap dmz=$seed/dmz.pcap (offline)"
"$bin" analyze "inside=$seed/inside.pcap" "dmz=$seed/dmz.pcap"
echo
evidence=/tmp/natprobe-demo-evidence
report=/tmp/natprobe-demo-report.html
rm -rf "$evidence"
mkdir -m 0750 "$evidence"
echo "== natprobe analyze --evidence $evidence --html $report (the evidence to hand on)"
"$bin" analyze --evidence "$evidence" --html "$report" \
	"inside=$seed/inside.pcap" "dmz=$seed/dmz.pcap" >/dev/null
for f in "$evidence"/*.pcapng; do
	echo "$f: the incident's frames, both sides (open it in Wireshark)"
done
echo "$report: the verdict and the incident drawn as a ladder (open it in a browser)"
