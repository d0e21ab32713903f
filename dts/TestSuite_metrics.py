# SPDX-License-Identifier: BSD-3-Clause
"""Monitoring a live probe: the Prometheus /metrics endpoint and the
/natprobe/ DPDK telemetry commands (docs/monitoring.md).

Every case runs `natprobe run` on net_pcap virtual devices fed by the
seed_misroute captures: the inside port replays its capture forever
(`infinite_rx=1`), so the probe keeps running and its rx counters keep
growing; the dmz port plays its capture once, so the seed's NAT binding is
learned. The seed's static NAT (scenario.yaml) is configured too, as the
operator would. Each process is bounded by --duration and killed in a finally.
"""

import json
import re
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import (
    REPO_ROOT, SCENARIOS, Counters, config_text, load_yaml, pcap_device, require_binary,
    require_program, unique_prefix,
)

SEED = SCENARIOS / "seed_misroute"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
START_TIMEOUT_S = 15    # until /metrics answers
RUN_BOUND_S = 40        # --duration of every probe: the last resort if a kill fails
HTTP_TIMEOUT_S = 5


def free_port(host="127.0.0.1", family=socket.AF_INET):
    """A TCP port nothing listens on now."""
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def seed_binding_line():
    """The seed traversal connection as /natprobe/bindings writes it."""
    t = load_yaml(SEED / "scenario.yaml")["traversal"]
    return "inside %s->%s = dmz %s->%s" % (t["inside"]["src"], t["inside"]["dst"],
                                           t["dmz"]["src"], t["dmz"]["dst"])


class LiveProbe:
    """One `natprobe run` in the background, output in files under tmp_path."""

    def __init__(self, binary, tmp_path, listen, name="probe"):
        self.bin = require_binary(binary)
        self.tmp = tmp_path
        self.listen = listen
        self.prefix = unique_prefix()
        self.name = name
        static = [(e["private"], e["public"])
                  for e in load_yaml(SEED / "scenario.yaml").get("static_nat", [])]
        text = config_text(
            [("c_side", pcap_device(0, "%s,infinite_rx=1" % (SEED / "inside.pcap"))),
             ("e_side", pcap_device(1, SEED / "dmz.pcap"))],
            [("inside", "passive", ["c_side"]), ("dmz", "passive", ["e_side"])],
            file_prefix=self.prefix, nat_static=static)
        assert 'metrics_listen: ""' in text
        text = text.replace('metrics_listen: ""', 'metrics_listen: "%s"' % listen)
        self.cfg = tmp_path / ("%s.yaml" % name)
        self.cfg.write_text(text)
        self.out = tmp_path / ("%s.out" % name)
        self.err = tmp_path / ("%s.err" % name)
        self.proc = None

    def start(self, duration=RUN_BOUND_S):
        with open(self.out, "w") as out, open(self.err, "w") as err:
            self.proc = subprocess.Popen(
                [str(self.bin), "run", "-c", str(self.cfg), "--duration", str(duration)],
                stdout=out, stderr=err, start_new_session=True)
        return self

    def wait(self, timeout):
        """Exit code, or fail the test when still running after timeout."""
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail("natprobe still running after %.0f s\n%s" % (timeout, self.describe()),
                        pytrace=False)

    def stop(self):
        """SIGINT, then SIGKILL after 10 s. Safe to call twice."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stderr(self):
        return self.err.read_text() if self.err.exists() else ""

    def stdout(self):
        return self.out.read_text() if self.out.exists() else ""

    def describe(self):
        rc = None if self.proc is None else self.proc.poll()
        return ("natprobe run -c %s (listen %s), rc=%s\n--- config ---\n%s--- stdout ---\n%s\n"
                "--- stderr ---\n%s" % (self.cfg, self.listen, rc, self.cfg.read_text(),
                                        self.stdout()[-3000:], self.stderr()[-3000:]))

    def url(self, path):
        return "http://%s%s" % (self.listen, path)

    def wait_ready(self, timeout=START_TIMEOUT_S):
        """Until GET /metrics answers 200 (the probe is in its control loop)."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail("natprobe exited before serving /metrics\n" + self.describe(),
                            pytrace=False)
            try:
                status, _, _ = http(self.url("/metrics"))
                if status == 200:
                    return
                last = "HTTP %d" % status
            except OSError as e:
                last = repr(e)
            time.sleep(0.2)
        pytest.fail("/metrics did not answer within %d s (last: %s)\n%s"
                    % (timeout, last, self.describe()), pytrace=False)


def http(url, method="GET", data=None):
    """(status, headers, body bytes); HTTP errors are answers, not exceptions."""
    req = urllib.request.Request(url, method=method, data=data)
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT_S) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


@pytest.fixture
def live(natprobe_bin, tmp_path):
    """A started probe on a free loopback port, stopped after the test."""
    p = LiveProbe(natprobe_bin, tmp_path, "127.0.0.1:%d" % free_port())
    try:
        p.start()
        p.wait_ready()
        yield p
    finally:
        p.stop()


def scrape(live):
    status, headers, body = http(live.url("/metrics"))
    assert status == 200, "GET /metrics: HTTP %d\n%s" % (status, live.describe())
    return headers, body.decode("utf-8")


# --------------------------------------------------------------------------
# /metrics
# --------------------------------------------------------------------------

def test_metrics_scrape(live):
    """/metrics serves every counter in Prometheus text format, live.

    Steps:
      1. natprobe run, inside port replaying the seed capture forever,
         export.metrics_listen on 127.0.0.1 and a free port.
      2. GET /metrics twice, 1 s apart.
    Verifies:
      - 200 with Content-Type text/plain; version=0.0.4; charset=utf-8.
      - every sample is named natprobe_*; every family has # HELP and
        # TYPE lines, and every # TYPE is counter or gauge.
      - the families the contract names are there: port rx/tx/dropped,
        segment packets, SIP messages, flows and bindings active,
        anomalies and incidents by type, event ring drops, worker cycles.
      - natprobe_port_rx_packets_total of the replaying port grows between
        the scrapes; the dmz port stays at its capture's 10 frames.
    """
    headers, first = scrape(live)
    assert headers.get("Content-Type") == CONTENT_TYPE, headers.get("Content-Type")
    time.sleep(1.0)
    _, second = scrape(live)

    families = set()
    for line in first.splitlines():
        if not line or line.startswith("#"):
            continue
        name = line.split("{", 1)[0].split(" ", 1)[0]
        if name == "process_start_time_seconds":    # the standard process metric
            continue
        assert name.startswith("natprobe_"), "sample without the natprobe_ prefix: %r" % line
        families.add(name)
    c1, c2 = Counters.parse(first), Counters.parse(second)
    for fam in families:
        assert fam in c1.help and c1.help[fam].strip(), "no # HELP for %s" % fam
        assert c1.types.get(fam) in ("counter", "gauge"), "# TYPE of %s: %r" % (
            fam, c1.types.get(fam))
    for fam in c1.types:
        assert fam.startswith("natprobe_") or fam == "process_start_time_seconds", \
            "family without the natprobe_ prefix: %s" % fam
    for want in ["natprobe_port_rx_packets_total", "natprobe_port_tx_packets_total",
                 "natprobe_port_dropped_packets_total", "natprobe_segment_packets_total",
                 "natprobe_sip_requests_total", "natprobe_flows_active",
                 "natprobe_nat_bindings_active", "natprobe_anomalies_total",
                 "natprobe_incidents_total", "natprobe_event_ring_drops_total",
                 "natprobe_worker_busy_cycles_total", "natprobe_worker_cycles_total"]:
        assert want in families, "%s missing from /metrics:\n%s" % (want, first[:3000])

    rx1 = c1.get("natprobe_port_rx_packets_total", port="c_side")
    rx2 = c2.get("natprobe_port_rx_packets_total", port="c_side")
    assert rx1 is not None and rx2 is not None
    assert rx2 > rx1 > 0, "rx of the replaying port did not grow: %s then %s" % (rx1, rx2)
    assert c2.get("natprobe_port_rx_packets_total", port="e_side") == 10


def test_build_info_and_start_time(live):
    """natprobe_build_info and process_start_time_seconds.

    Steps:
      1. Scrape /metrics of a live probe; natprobe --version; the probe
         process' start time from /proc.
    Verifies:
      - natprobe_build_info is a gauge of value 1 whose version, dpdk,
        hyperscan, libpcap and libcyaml labels are the versions --version
        names;
      - process_start_time_seconds is a gauge within 2 s of the process'
        start (from /proc/PID/stat and the boot time).
    """
    import re
    _, text = scrape(live)
    m = re.search(r'^natprobe_build_info\{version="([^"]+)",dpdk="([^"]+)",hyperscan="([^"]+)",'
                  r'libpcap="([^"]+)",libcyaml="([^"]+)"\} 1$', text, re.M)
    assert m, "no natprobe_build_info:\n" + text[-3000:]
    assert "# TYPE natprobe_build_info gauge" in text
    ver = subprocess.run([str(live.bin), "--version"], capture_output=True, text=True).stdout
    assert ver.splitlines()[0] == "natprobe %s" % m.group(1), ver
    for name, v in zip(["DPDK", "Hyperscan", "libpcap", "libcyaml"], m.groups()[1:]):
        assert "  %s %s" % (name, v) in ver, (name, v, ver)
    m = re.search(r"^process_start_time_seconds (\S+)$", text, re.M)
    assert m and "# TYPE process_start_time_seconds gauge" in text, text[-3000:]
    ticks = os.sysconf("SC_CLK_TCK")
    start_ticks = int(open("/proc/%d/stat" % live.proc.pid).read().rsplit(")", 1)[1].split()[19])
    btime = int(next(ln.split()[1] for ln in open("/proc/stat") if ln.startswith("btime")))
    assert abs(float(m.group(1)) - (btime + start_ticks / ticks)) < 2.0, m.group(1)


def test_metrics_promtool(live):
    """promtool accepts the exposition.

    Steps:
      1. Scrape /metrics of a live probe.
      2. promtool check metrics < output.
    Verifies:
      - promtool exits 0 and reports no problem (lint included).
    """
    promtool = require_program("promtool")
    _, text = scrape(live)
    r = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(), \
        "promtool check metrics: rc=%d\n%s\n%s" % (r.returncode, r.stdout, r.stderr)


def test_metrics_other_paths_and_methods(live):
    """Only GET/HEAD of / and /metrics are served.

    Steps:
      1. GET /, GET /nope, GET /metrics/x, HEAD /metrics, POST /metrics
         (with a body), PUT /, DELETE /metrics on a live probe.
      2. GET /metrics again.
    Verifies:
      - / answers 200 with a page linking /metrics.
      - unknown paths answer 404; POST/PUT/DELETE answer 405 with
        Allow: GET, HEAD.
      - HEAD /metrics answers 200, the Prometheus content type, no body.
      - the endpoint still serves /metrics afterwards.
    """
    status, headers, body = http(live.url("/"))
    assert status == 200 and b'href="/metrics"' in body, (status, body)
    for path in ["/nope", "/metrics/x", "/metricsx"]:
        status, _, _ = http(live.url(path))
        assert status == 404, "GET %s: HTTP %d" % (path, status)
    status, headers, body = http(live.url("/metrics"), method="HEAD")
    assert status == 200 and body == b"", (status, body[:200])
    assert headers.get("Content-Type") == CONTENT_TYPE
    for method, path, data in [("POST", "/metrics", b"x=1" * 1000), ("PUT", "/", b"x"),
                               ("DELETE", "/metrics", None)]:
        status, headers, _ = http(live.url(path), method=method, data=data)
        assert status == 405, "%s %s: HTTP %d" % (method, path, status)
        assert headers.get("Allow") == "GET, HEAD", headers.get("Allow")
    status, _, body = http(live.url("/metrics"))
    assert status == 200 and b"natprobe_port_rx_packets_total" in body


def test_metrics_port_in_use(live, natprobe_bin, tmp_path):
    """A second probe on the same metrics address refuses to start.

    Steps:
      1. A live probe serves /metrics on 127.0.0.1:PORT.
      2. Start a second natprobe run (own file prefix) with the same
         export.metrics_listen.
    Verifies:
      - the second exits 2 within 30 s, with exactly one line on stderr
        naming export.metrics_listen and the address in use.
      - the first keeps serving /metrics.
    """
    second = LiveProbe(natprobe_bin, tmp_path, live.listen, name="second")
    try:
        second.start(duration=20)
        rc = second.wait(30)
        lines = [ln for ln in second.stderr().splitlines() if ln.strip()]
        assert rc == 2, "expected exit 2\n" + second.describe()
        assert len(lines) == 1, "expected one line on stderr\n" + second.describe()
        assert lines[0].startswith("natprobe: export.metrics_listen:"), lines[0]
        assert live.listen in lines[0] and "in use" in lines[0], lines[0]
    finally:
        second.stop()
    status, _, _ = http(live.url("/metrics"))
    assert status == 200


def test_metrics_ipv6_loopback(natprobe_bin, tmp_path):
    """export.metrics_listen takes an IPv6 address in brackets.

    Steps:
      1. natprobe run with export.metrics_listen "[::1]:PORT".
      2. GET http://[::1]:PORT/metrics.
    Verifies:
      - 200 and natprobe_ samples. Skipped where the host has no IPv6
        loopback.
    """
    try:
        port = free_port("::1", socket.AF_INET6)
    except OSError:
        pytest.skip("no IPv6 loopback on this host")
    p = LiveProbe(natprobe_bin, tmp_path, "[::1]:%d" % port)
    try:
        p.start()
        p.wait_ready()
        _, text = scrape(p)
        assert "natprobe_port_rx_packets_total" in text
    finally:
        p.stop()


# --------------------------------------------------------------------------
# DPDK telemetry
# --------------------------------------------------------------------------

def telemetry(prefix, *commands, timeout=15):
    """Replies to commands sent through dpdk-telemetry.py -f prefix, in order."""
    client = require_program("dpdk-telemetry.py")
    r = subprocess.run(["/usr/bin/python3", client, "-f", prefix],
                       input="".join(c + "\n" for c in commands), capture_output=True,
                       text=True, timeout=timeout)
    replies = []
    for line in r.stdout.splitlines():
        line = line.strip()
        if line.startswith("{"):
            replies.append(json.loads(line))
    assert len(replies) == len(commands), \
        "dpdk-telemetry.py -f %s: %d replies to %d commands\nrc=%d\n%s\n%s" % (
            prefix, len(replies), len(commands), r.returncode, r.stdout[-3000:],
            r.stderr[-3000:])
    return [rep[cmd.split(",", 1)[0]] for rep, cmd in zip(replies, commands)]


def test_telemetry_commands(live):
    """/natprobe/ telemetry commands answer from a live probe.

    Steps:
      1. A live probe on the seed captures (file prefix of its config).
      2. Through dpdk-telemetry.py, until the binding and the incident show
         (at most 15 s): /natprobe/stats, /natprobe/bindings,
         /natprobe/anomalies; then /natprobe/ports, /natprobe/ports,c_side,
         /natprobe/bindings,ID and /help for each command.
    Verifies:
      - /natprobe/stats: every counter family exported on /metrics, with its
        total (e.g. port_rx_packets_total >= 10, nat_bindings_active >= 1,
        incidents_total 1); /natprobe/stats,FAMILY: its series by label
        (port_rx_packets_total: e_side 10; anomalies_total: every anomaly
        type; worker_cycles_total: one per worker).
      - /natprobe/bindings lists the seed's traversal binding
        "inside 10.0.30.2:27901->64.100.0.10:7003 = dmz
        64.100.0.10:4401->10.0.10.2:7003" and the static entry
        "static 10.0.10.2 = 64.100.0.10"; /natprobe/bindings,ID details the
        learned one.
      - /natprobe/ports: device, segment, mode, link up per port;
        /natprobe/ports,NAME adds every per-port counter family.
      - /natprobe/anomalies: the seed's anomalies and incident, by id.
      - every command has a help string.
    """
    want = seed_binding_line()
    expect = set()
    for t in load_yaml(SEED / "scenario.yaml")["expect"]:
        expect.add(("incident" if t == "nat_reflection_misroute" else "anomaly", t))
    deadline = time.monotonic() + 15
    while True:
        # The incident settles a moment after its anomalies: poll for both.
        stats, bindings, anomalies, rx, types, cycles = telemetry(
            live.prefix, "/natprobe/stats", "/natprobe/bindings", "/natprobe/anomalies",
            "/natprobe/stats,port_rx_packets_total", "/natprobe/stats,anomalies_total",
            "/natprobe/stats,worker_cycles_total")
        kinds = {(v[0], v[1]) for k, v in anomalies.items() if k != "records_seen"}
        if (want in bindings.values() and expect <= kinds) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert want in bindings.values(), "seed binding not listed: %s\n%s" % (
        bindings, live.describe())
    assert bindings["bindings_active"] >= 2 and bindings["listed"] >= 2, bindings
    for e in load_yaml(SEED / "scenario.yaml")["static_nat"]:
        line = "static %s = %s" % (e["private"], e["public"])
        assert line in bindings.values(), "%r not listed: %s" % (line, bindings)
    assert stats["nat_static_entries"] == 1, stats
    # every family of /metrics, by the same name, with its total
    families = set(re.findall(r"^# TYPE natprobe_(\w+) ", scrape(live)[1], re.M))
    families.discard("build_info")        # a label set, not a counter
    assert families and families <= set(stats), families - set(stats)
    assert stats["port_rx_packets_total"] >= 10, stats
    assert rx["e_side"] == 10 and rx["c_side"] > 0, rx
    assert stats["incidents_total"] == 1 and stats["nat_bindings_active"] >= 1, stats
    assert set(types) == {"hairpin_snat", "translated_route", "phantom_connect", "sip_timeout",
                          "private_via_contact", "sdp_address_mismatch", "alg_rewrite"}, types
    assert len(cycles) == stats["workers"] == 1, cycles
    # the keys /natprobe/stats gave before families, still there, same values
    assert stats["ports/e_side/rx_packets"] == 10 and stats["ports/c_side/rx_packets"] > 0, stats
    for key in ["ports/c_side/tx_packets", "ports/c_side/dropped_packets",
                "ports/c_side/rx_missed", "ports/c_side/link_up", "segments/inside/packets",
                "segments/dmz/sip_messages", "flows_active", "event_ring_drops", "events",
                "records_written", "records_failed", "records_reopen_failures"]:
        assert key in stats, "%s missing: %s" % (key, stats)
    assert stats["segments/inside/sip_messages"] > 0, stats
    for t in types:
        assert stats["anomalies/" + t] == types[t], (t, stats)
    assert stats["incidents/nat_reflection_misroute"] == 1, stats
    assert stats["bindings_active"] == stats["nat_bindings_active"], stats
    assert len(stats["worker_cycles"]) == len(stats["worker_busy_cycles"]) == 1, stats

    bid = next(k for k, v in bindings.items() if v == want)
    ports, one_port, detail, *helps = telemetry(
        live.prefix, "/natprobe/ports", "/natprobe/ports,c_side", "/natprobe/bindings," + bid,
        "/help,/natprobe/stats", "/help,/natprobe/ports",
        "/help,/natprobe/bindings", "/help,/natprobe/anomalies")
    assert ports["c_side/segment"] == "inside" and ports["e_side/mode"] == "passive", ports
    assert "inside.pcap" in ports["c_side/device"], ports
    assert one_port["name"] == "c_side" and one_port["port_rx_packets_total"] > 0, one_port
    assert "port_dropped_packets_total" in one_port, one_port
    assert one_port["port_link_up"] == 1 and ports["e_side/link_up"] == 1, (one_port, ports)
    assert one_port["rx_packets"] == one_port["port_rx_packets_total"] and one_port["link_up"] == 1, one_port
    assert ports["e_side/rx_packets"] == 10 and "c_side/tx_packets" in ports, ports
    assert detail["proto"] == "tcp" and detail["line"] == want, detail
    assert detail["a_src"] == "10.0.30.2:27901" and detail["b_src"] == "64.100.0.10:4401"
    assert expect <= kinds, "%s not in /natprobe/anomalies: %s" % (expect - kinds, anomalies)
    assert anomalies["records_seen"] >= len(expect), anomalies
    for h, cmd in zip(helps, ["stats", "ports", "bindings", "anomalies"]):
        assert h.get("/natprobe/" + cmd), "no help for /natprobe/%s: %s" % (cmd, h)


def test_telemetry_unknown_parameters(live):
    """Telemetry commands given an unknown port or binding reply null.

    Steps:
      1. /natprobe/ports,nosuchport and /natprobe/bindings,999999 and
         /natprobe/bindings,abc through dpdk-telemetry.py.
    Verifies:
      - each reply is null (DPDK's convention for a bad parameter), and
        the probe keeps serving /natprobe/stats.
    """
    r = telemetry(live.prefix, "/natprobe/ports,nosuchport", "/natprobe/bindings,999999",
                  "/natprobe/bindings,abc", "/natprobe/stats,no_such_family", "/natprobe/stats")
    assert r[0] is None and r[1] is None and r[2] is None and r[3] is None, r[:4]
    assert r[4]["port_rx_packets_total"] >= 0


# --------------------------------------------------------------------------
# Alert rules (config/prometheus-alerts.yml)
# --------------------------------------------------------------------------

def test_alert_rules(tmp_path):
    """The shipped alert rules are valid and fire on the failures they name.

    Steps:
      1. promtool check rules config/prometheus-alerts.yml.
      2. promtool test rules with synthetic series (1 min apart): an
         incident at 2 min; from 2 min on the target down, worker 0 dropping
         events and 95% busy, a port dropping tx frames and another missing
         rx frames; worker 1 healthy (10% busy).
    Verifies:
      - the rules load; at 3 min only NatprobeIncident fires; at 20 min
        NatprobeDown, NatprobeEventRingDrops, NatprobeTxDrops,
        NatprobeRxMissed and NatprobeWorkerSaturated fire with the right
        labels, and nothing else (not for the healthy worker).
    """
    import yaml
    promtool = require_program("promtool")
    rules = REPO_ROOT / "config" / "prometheus-alerts.yml"
    r = subprocess.run([promtool, "check", "rules", str(rules)], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 0, "promtool check rules:\n%s\n%s" % (r.stdout, r.stderr)

    base = 'job="natprobe",instance="probe:9109"'

    def series(name, labels, values):
        return {"series": "%s{%s%s}" % (name, base, "," + labels if labels else ""),
                "values": values}

    def alert(name, severity, labels=""):
        return {"labels": 'ALERTS{alertname="%s",alertstate="firing",severity="%s",%s%s}'
                % (name, severity, base, "," + labels if labels else ""), "value": 1}

    test = {
        "rule_files": [str(rules)],
        "evaluation_interval": "1m",
        "tests": [{
            "interval": "1m",
            "input_series": [
                series("natprobe_incidents_total", 'type="nat_reflection_misroute"',
                       "0 0 1x30"),
                series("up", "", "1 1 0x30"),
                series("natprobe_event_ring_drops_total", 'worker="0"', "0 0 0+10x30"),
                series("natprobe_port_dropped_packets_total",
                       'port="fw_side",segment="inside"', "0 0 0+5x30"),
                series("natprobe_port_rx_missed_total", 'port="c_side",segment="inside"',
                       "0 0 0+5x30"),
                series("natprobe_port_rx_nombuf_total", 'port="c_side",segment="inside"',
                       "0x32"),
                series("natprobe_worker_busy_cycles_total", 'worker="0"', "0+95x32"),
                series("natprobe_worker_cycles_total", 'worker="0"', "0+100x32"),
                series("natprobe_worker_busy_cycles_total", 'worker="1"', "0+10x32"),
                series("natprobe_worker_cycles_total", 'worker="1"', "0+100x32"),
            ],
            "promql_expr_test": [
                {"expr": 'ALERTS{alertstate="firing"}', "eval_time": "3m",
                 "exp_samples": [alert("NatprobeIncident", "critical",
                                       'type="nat_reflection_misroute"')]},
                {"expr": 'ALERTS{alertstate="firing"}', "eval_time": "20m",
                 "exp_samples": [
                     alert("NatprobeDown", "critical"),
                     alert("NatprobeEventRingDrops", "warning", 'worker="0"'),
                     alert("NatprobeTxDrops", "critical", 'port="fw_side",segment="inside"'),
                     alert("NatprobeRxMissed", "critical", 'port="c_side",segment="inside"'),
                     alert("NatprobeWorkerSaturated", "warning", 'worker="0"'),
                 ]},
            ],
        }],
    }
    path = tmp_path / "alerts_test.yml"
    path.write_text(yaml.safe_dump(test, sort_keys=False))
    r = subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, "promtool test rules:\n%s\n%s" % (r.stdout, r.stderr)


# --------------------------------------------------------------------------
# Grafana dashboard (tools/grafana-dashboard.json)
# --------------------------------------------------------------------------

def dashboard_exprs():
    """Every PromQL expression of the dashboard (panels and annotations)."""
    with open(REPO_ROOT / "tools" / "grafana-dashboard.json") as f:
        dash = json.load(f)
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    exprs += [a["expr"] for a in dash["annotations"]["list"] if "expr" in a]
    return dash, exprs


def test_dashboard_and_rules_name_real_metrics(live, tmp_path):
    """The dashboard and the alert rules query metrics natprobe exports.

    Steps:
      1. Load tools/grafana-dashboard.json and config/prometheus-alerts.yml.
      2. Scrape /metrics of a live probe.
      3. promtool check rules on the dashboard's expressions written as
         recording rules (Grafana variables replaced by plain values).
    Verifies:
      - the dashboard is valid JSON with panels for rx/tx per port,
        anomalies, incidents, flows/bindings and the worker busy ratio.
      - every natprobe_* name in either file is a family of /metrics (a
        renamed counter breaks this test, not a dashboard in production).
      - every dashboard expression parses as PromQL (when promtool exists).
    """
    import re
    import yaml
    dash, exprs = dashboard_exprs()
    titles = " | ".join(p["title"] for p in dash["panels"])
    for want in ["Rx frames/s per port", "Tx frames/s per port", "Anomalies by type",
                 "Incidents", "Flows and bindings", "Worker busy ratio"]:
        assert want in titles, "no panel %r in %s" % (want, titles)
    rules_text = (REPO_ROOT / "config" / "prometheus-alerts.yml").read_text()
    rule_exprs = [r["expr"] for g in yaml.safe_load(rules_text)["groups"] for r in g["rules"]]

    _, text = scrape(live)
    families = set(Counters.parse(text).types)
    used = set()
    for e in exprs + rule_exprs:
        used |= set(re.findall(r"\bnatprobe_[a-z0-9_]+", e))
    assert used, "no natprobe_ metric in the dashboard or rules"
    missing = sorted(used - families)
    assert not missing, "not exported by natprobe: %s" % missing

    promtool = require_program("promtool")
    subst = {"$__rate_interval": "5m", "$__range": "1h", "$instance": ".*"}
    rules = []
    for i, e in enumerate(exprs):
        for k, v in subst.items():
            e = e.replace(k, v)
        rules.append({"record": "dashboard:expr_%d" % i, "expr": e})
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    r = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, "dashboard expressions:\n%s\n%s" % (r.stdout, r.stderr)


# --------------------------------------------------------------------------
# Abuse: slow clients
# --------------------------------------------------------------------------

def test_metrics_slow_clients_cannot_lock_out_scrapers(live):
    """40 slow-loris connections do not keep a scraper out.

    Steps:
      1. From loopback (the scraper's own address), open 40 connections to
         /metrics, each sending a request line and then one header line every
         2 s, never finishing the request; a connection the probe closes is
         opened again at once (for at most 40 s in all).
      2. Meanwhile scrape /metrics 10 times, 1 s apart, each with a 5 s
         time-out (Prometheus' default scrape time-out is 10 s).
    Verifies:
      - 10 of 10 scrapes answer 200 with the counters;
      - the probe closed slow connections (they cannot hold their slots)
        and still runs.
    """
    import threading
    host, port = live.listen.rsplit(":", 1)
    stop = threading.Event()
    stats = {"opened": 0, "closed_by_probe": 0}
    lock = threading.Lock()

    def slow_client():
        deadline = time.monotonic() + 40
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                s = socket.create_connection((host, int(port)), timeout=5)
            except OSError:
                time.sleep(0.2)
                continue
            with lock:
                stats["opened"] += 1
            try:
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
                s.settimeout(2)
                while not stop.is_set() and time.monotonic() < deadline:
                    try:
                        if s.recv(1024) == b"":
                            with lock:
                                stats["closed_by_probe"] += 1
                            break
                    except socket.timeout:
                        s.sendall(b"X-Slow: 1\r\n")
            except OSError:
                with lock:
                    stats["closed_by_probe"] += 1
            finally:
                s.close()

    threads = [threading.Thread(target=slow_client, daemon=True) for _ in range(40)]
    for t in threads:
        t.start()
    try:
        time.sleep(3)       # every slow connection open and dribbling
        ok = 0
        for _ in range(10):
            try:
                status, _, body = http(live.url("/metrics"))
                ok += status == 200 and b"natprobe_port_rx_packets_total" in body
            except OSError:
                pass
            time.sleep(1)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
    assert ok == 10, "%d of 10 scrapes answered while 40 slow clients held on (%s)\n%s" % (
        ok, stats, live.describe())
    assert stats["closed_by_probe"] > 0, stats
    assert live.proc.poll() is None
