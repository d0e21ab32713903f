#!/usr/bin/env bash
# The whole test suite: unit tests (meson), the same unit tests under
# AddressSanitizer + UndefinedBehaviorSanitizer, short fuzz runs, and the
# end-to-end suites (dts/, the real binary on DPDK virtual devices).
# Run tools/setup.sh first (the README's test command does both).
# Also: the offline commands (analyze, dump-sip, check-config) under valgrind's
# memcheck, each leak or memory error a failure.
# Ends with one line: "N passed, N failed".
set -uo pipefail

cd "$(dirname "$0")/.."
root=$PWD
build=${NP_BUILD_DIR:-build}
asan=${NP_ASAN_DIR:-build-asan}
fuzz=${NP_FUZZ_DIR:-build-fuzz}
fuzz_seconds=${NP_FUZZ_SECONDS:-20}
logs=$(mktemp -d /tmp/natprobe-test.XXXXXX)
passed=0
failed=0

# Add the counts of a meson test log to the totals.
count_meson() {
	local log=$1 ok fail
	ok=$(grep -E '^Ok:' "$log" | awk '{print $2}')
	fail=$(grep -E '^(Fail|Timeout|Unexpected Pass):' "$log" | awk '{s+=$2} END {print s+0}')
	passed=$((passed + ${ok:-0}))
	failed=$((failed + ${fail:-0}))
	if [ -z "$ok" ]; then
		echo "test: $log has no meson summary: counted as a failure"
		failed=$((failed + 1))
	fi
}

echo "== unit tests ($build)"
ninja -C "$build" >"$logs/build.log" 2>&1 || { cat "$logs/build.log"; echo "0 passed, 1 failed"; exit 1; }
meson test -C "$build" --print-errorlogs 2>&1 | tee "$logs/unit.log"
count_meson "$logs/unit.log"

echo "== unit tests under ASan+UBSan ($asan)"
if [ ! -f "$asan/build.ninja" ]; then
	meson setup "$asan" -Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false \
		>"$logs/asan-setup.log" 2>&1
fi
if ninja -C "$asan" >"$logs/asan-build.log" 2>&1; then
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ASAN_OPTIONS=detect_leaks=1 \
		meson test -C "$asan" --print-errorlogs 2>&1 | tee "$logs/asan.log"
	count_meson "$logs/asan.log"
else
	tail -30 "$logs/asan-build.log"
	failed=$((failed + 1))
fi

echo "== fuzz smoke runs (${fuzz_seconds}s each, $fuzz)"
if [ -d tests/fuzz ]; then
	if [ ! -f "$fuzz/build.ninja" ]; then
		CC=clang meson setup "$fuzz" -Dfuzz=true -Dbuildtype=debugoptimized \
			-Db_sanitize=address,undefined -Db_lundef=false >"$logs/fuzz-setup.log" 2>&1
	fi
	ninja -C "$fuzz" build.ninja >/dev/null 2>&1	# regenerate first: the target list may grow
	targets=$(ninja -C "$fuzz" -t targets all 2>/dev/null | grep -Eo '^tests/fuzz/fuzz_[a-z0-9_]+' | sort -u)
	if ninja -C "$fuzz" $targets >"$logs/fuzz-build.log" 2>&1; then
		for f in "$fuzz"/tests/fuzz/fuzz_*; do
			[ -f "$f" ] && [ -x "$f" ] || continue
			name=$(basename "$f")
			corpus=tests/fuzz/corpus/${name#fuzz_}
			work=$(mktemp -d)
			if [ -d "$corpus" ]; then cp -r "$corpus"/. "$work"/; fi
			if (cd "$logs" && "$root/$f" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 \
				-timeout=10 "$work" >"$logs/$name.log" 2>&1); then
				echo "ok   $name ($(grep -Eo 'Done [0-9]+ runs' "$logs/$name.log"))"
				passed=$((passed + 1))
			else
				echo "FAIL $name: see $logs/$name.log"
				tail -40 "$logs/$name.log"
				failed=$((failed + 1))
			fi
			rm -rf "$work"
		done
	else
		tail -30 "$logs/fuzz-build.log"
		failed=$((failed + 1))
	fi
fi

echo "== format (clang-format, the root .clang-format)"
# One check: every tracked C source and header as clang-format would write it.
if git ls-files -z '*.c' '*.h' | xargs -0 clang-format --dry-run --Werror >"$logs/format.log" 2>&1; then
	echo "ok   clang-format ($(git ls-files '*.c' '*.h' | wc -l) files)"
	passed=$((passed + 1))
else
	echo "FAIL clang-format: $(grep -c 'error:' "$logs/format.log") lines differ; fix with:"
	echo "     git ls-files '*.c' '*.h' | xargs clang-format -i"
	grep -E 'error:' "$logs/format.log" | head -20
	failed=$((failed + 1))
fi

echo "== offline commands under valgrind (memcheck, leaks: definite and indirect)"
# Each check counts as one pass or failure: valgrind's exit code is 1 on a
# memory error or leak, natprobe's own code must be the one expected.
seed=tests/fixtures/scenarios/seed_misroute
leak_check() {
	local want=$1 name=$2 rc
	shift 2
	timeout 300 valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect \
		--error-exitcode=1 --log-file="$logs/valgrind-$name.log" \
		"$build/app/natprobe/natprobe" "$@" >"$logs/valgrind-$name.out" 2>&1
	rc=$?
	if [ "$rc" -eq "$want" ]; then
		echo "ok   valgrind $name"
		passed=$((passed + 1))
	else
		echo "FAIL valgrind $name: exit $rc, expected $want; see $logs/valgrind-$name.log"
		grep -E 'definitely|indirectly|Invalid|uninitialised|ERROR SUMMARY' \
			"$logs/valgrind-$name.log" | head -20
		failed=$((failed + 1))
	fi
}
if command -v valgrind >/dev/null; then
	leak_check 0 analyze-seed analyze --static-nat 10.0.10.2=64.100.0.10 \
		inside="$seed/inside.pcap" dmz="$seed/dmz.pcap"
	leak_check 0 analyze-json-tls analyze --json \
		inside=tests/fixtures/scenarios/seed_misroute_tls/inside.pcap \
		dmz=tests/fixtures/scenarios/seed_misroute_tls/dmz.pcap
	leak_check 0 analyze-explog analyze -c config/natprobe.yaml \
		inside=tests/fixtures/explog/expc.log dmz=tests/fixtures/explog/expe.log
	# HEP over TCP in a capture: Kamailio's siptrace, natprobe's probe-to-probe flow events
	leak_check 0 analyze-hep-tcp analyze tests/fixtures/hep/kamailio-siptrace-tcp.pcap
	leak_check 0 analyze-hep-p2p analyze --json -c tests/fixtures/hep/correlator.yaml \
		tests/fixtures/hep/natprobe-p2p-tcp.pcap
	leak_check 0 dump-sip dump-sip "$seed/inside.pcap"
	leak_check 0 dump-sip-json dump-sip --json inside="$seed/inside.pcap" dmz="$seed/dmz.pcap"
	leak_check 0 check-config check-config config/natprobe.yaml
	leak_check 2 analyze-missing-input analyze inside=/nonexistent/natprobe.pcap
	leak_check 2 bad-config check-config tests/fixtures/explog/expc.log
	# capture forms (docs/offline.md): compressed, a two-interface pcapng, a
	# FIFO, chunks and a glob, the two-wire error, a filter and a window
	gzip -c "$seed/inside.pcap" >"$logs/inside.pcap.gz"
	zstd -q -c "$seed/dmz.pcap" >"$logs/dmz.pcap.zst"
	editcap -F pcapng "$seed/inside.pcap" "$logs/in.pcapng"
	editcap -F pcapng "$seed/dmz.pcap" "$logs/dmz.pcapng"
	mergecap -I none -w "$logs/fw.pcapng" "$logs/in.pcapng" "$logs/dmz.pcapng"
	mkdir -p "$logs/rot" && editcap -c 4 "$seed/inside.pcap" "$logs/rot/in.pcap"
	leak_check 0 analyze-compressed analyze inside="$logs/inside.pcap.gz" dmz="$logs/dmz.pcap.zst"
	leak_check 0 analyze-pcapng-interfaces analyze --json "$logs/fw.pcapng"
	leak_check 0 dump-sip-interface-glob dump-sip --filter "tcp port 7003" --from 1461049753 \
		c="$logs/fw.pcapng#0" e="$logs/rot/in_*.pcap"
	leak_check 2 analyze-two-wires analyze inside="$seed/inside.pcap" inside="$seed/dmz.pcap"
	leak_check 2 analyze-no-interface analyze x="$logs/fw.pcapng#eth9"
	# evidence: a pcapng per incident and the HTML page (docs/records.md); a
	# capture that exists already is refused (exit 1)
	mkdir -p "$logs/evidence"
	leak_check 0 analyze-evidence-html analyze --evidence "$logs/evidence" \
		--html "$logs/report.html" inside="$seed/inside.pcap" dmz="$seed/dmz.pcap"
	leak_check 1 analyze-evidence-exists analyze --evidence "$logs/evidence" \
		inside="$seed/inside.pcap" dmz="$seed/dmz.pcap"
else
	echo "FAIL valgrind not installed (tools/setup.sh installs it)"
	failed=$((failed + 1))
fi

echo "== end-to-end suites (dts/)"
NATPROBE_BIN="$root/$build/app/natprobe/natprobe" /usr/bin/python3 -m pytest -q -p no:cacheprovider \
	dts 2>&1 | tee "$logs/dts.log"
p=$(grep -Eo '[0-9]+ passed' "$logs/dts.log" | tail -1 | awk '{print $1}')
f=$(grep -Eo '[0-9]+ (failed|error|errors)' "$logs/dts.log" | awk '{s+=$1} END {print s+0}')
passed=$((passed + ${p:-0}))
failed=$((failed + ${f:-0}))
if [ -z "$p" ] && [ "${f:-0}" -eq 0 ]; then
	echo "test: the dts run reported nothing: counted as a failure"
	failed=$((failed + 1))
fi

echo "logs: $logs"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
