# SPDX-License-Identifier: BSD-3-Clause
"""Start-up and shutdown of `natprobe run`: signals, start-up errors."""

import os
import signal
import subprocess
import time

import pytest

from conftest import (SCENARIOS, Counters, config_text, pcap_device, require_binary,
                      unique_prefix)

SEED = SCENARIOS / "seed_misroute"


def start(natprobe_bin, cfg, *extra):
    require_binary(natprobe_bin)
    return subprocess.Popen([str(natprobe_bin), "run", "-c", str(cfg), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def stop(p, sig, limit_s):
    """Send @sig, wait at most 10 s; return (rc, out, err, seconds to exit)."""
    t0 = time.monotonic()
    p.send_signal(sig)
    try:
        out, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        pytest.fail("natprobe ignored signal %d for 10 s" % sig)
    return p.returncode, out, err, time.monotonic() - t0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_busy_probe_fast(probe, natprobe_bin, tmp_path, sig):
    """Steps: run an inline pair fed by an endless replay (infinite_rx) so the
    worker is busy and events flow; after 2 s send the signal.
    Verifies: exit 0 within 1 s (1.5 s allowed on a loaded test machine),
    final counters printed with traffic forwarded and nothing dropped."""
    ports = [("gen", "net_pcap0,rx_pcap=%s,infinite_rx=1" % (SEED / "inside.pcap")),
             ("sink", "net_null0,no-rx=1")]
    cfg = probe.config(config_text(ports, [("s", "inline", ["gen", "sink"])]))
    p = start(natprobe_bin, cfg)
    time.sleep(2)
    assert p.poll() is None, p.stderr.read()
    rc, out, err, took = stop(p, sig, 1.5)
    assert rc == 0, err
    assert took < 1.5, "took %.2f s to stop" % took
    c = Counters.parse(out)
    fwd = c.value("natprobe_port_tx_packets_total", port="sink")
    assert fwd > 1000
    assert fwd == c.value("natprobe_port_rx_packets_total", port="gen")
    assert c.value("natprobe_port_dropped_packets_total", port="sink") == 0


def test_stats_interval_prints_periodically(probe, natprobe_bin, tmp_path):
    """Steps: run with export.stats_interval_s: 1 for 3.5 s (--duration).
    Verifies: at least 3 timestamped counter blocks before the final one,
    with growing rx counts."""
    ports = [("gen", "net_pcap0,rx_pcap=%s,infinite_rx=1" % (SEED / "inside.pcap")),
             ("sink", "net_null0,no-rx=1")]
    text = config_text(ports, [("s", "inline", ["gen", "sink"])]).replace(
        'export:\n  metrics_listen: ""', 'export:\n  metrics_listen: ""\n  stats_interval_s: 1')
    r = probe.run_config(text, idle_exit=None, extra_args=["--duration", "3.5"])
    assert r.rc == 0, r.describe()
    blocks = r.stdout.split("# natprobe counters at ")[1:]
    assert len(blocks) >= 3
    rx = [Counters.parse(b).value("natprobe_port_rx_packets_total", port="gen") for b in blocks]
    assert rx == sorted(rx) and rx[-1] > rx[0]


@pytest.mark.parametrize("eal_extra,fragment", [
    ("  worker_lcores: [%d]\n" % (os.cpu_count() + 5), "lcore"),
])
def test_unavailable_lcore_exits_2(probe, eal_extra, fragment):
    """Steps: a config whose worker lcore does not exist on this machine.
    Verifies: exit 2 and one line on stderr naming the lcore problem."""
    ports = [("a", pcap_device(0, rx=SEED / "inside.pcap"))]
    text = config_text(ports, [("s", "passive", ["a"])]).replace(
        "  worker_lcores: [1]\n", eal_extra)
    r = probe.run_config(text)
    assert r.rc == 2, r.describe()
    assert len(r.stderr_lines()) == 1, r.describe()
    assert fragment in r.stderr


def test_unwritable_records_file_exits_2(probe, tmp_path):
    """Steps: export.records_file in a directory that does not exist.
    Verifies: exit 2, one line naming export.records_file."""
    ports = [("a", pcap_device(0, rx=SEED / "inside.pcap"))]
    text = config_text(ports, [("s", "passive", ["a"])]).replace(
        'export:\n  metrics_listen: ""',
        'export:\n  metrics_listen: ""\n  records_file: %s/none/r.jsonl' % tmp_path)
    r = probe.run_config(text)
    assert r.rc == 2, r.describe()
    assert len(r.stderr_lines()) == 1 and "export.records_file" in r.stderr, r.describe()


def test_file_prefix_in_use_exits_2(probe, natprobe_bin, tmp_path):
    """Steps: a natprobe runs (idle: an empty net_null port); a second one starts with
    the same eal.file_prefix.
    Verifies: the second exits 2 before EAL starts with one line that names the
    prefix and the first one (its pid and "natprobe"), not EAL's "Cannot init config";
    the first keeps running and exits 0."""
    prefix = unique_prefix()
    text = config_text([("a", "net_null0")], [("s", "passive", ["a"])], file_prefix=prefix)
    first = start(natprobe_bin, probe.config(text, "first.yaml"), "--duration", "30")
    try:
        lock = "/var/run/dpdk/%s/config" % prefix if os.geteuid() == 0 else None
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and first.poll() is None and \
                not (lock and os.path.exists(lock)):
            time.sleep(0.05)
        time.sleep(0.5)     # the lock is taken as the file is created
        assert first.poll() is None, first.stderr.read()
        r = probe.run_config(text, name="second.yaml")
        assert r.rc == 2, r.describe()
        lines = r.stderr_lines()
        assert len(lines) == 1, r.describe()
        assert "eal.file_prefix" in lines[0] and "'%s'" % prefix in lines[0], r.describe()
        assert "(pid %d, natprobe)" % first.pid in lines[0], r.describe()
        assert "Cannot init config" not in r.stderr
        assert first.poll() is None
    finally:
        rc, out, err, took = stop(first, signal.SIGTERM, 10)
    assert rc == 0, err


@pytest.mark.parametrize("args,fragment", [
    (["run"], "-c FILE is required"),
    (["run", "-c"], "option"),
    (["run", "-c", "x.yaml", "--duration", "0"], "--duration"),
    (["run", "-c", "x.yaml", "--idle-exit", "abc"], "--idle-exit"),
    (["run", "-c", "x.yaml", "stray"], "unexpected argument"),
    (["frobnicate"], "--help"),
    ([], "--help"),
])
def test_bad_command_line_exits_2(probe, args, fragment):
    """Steps: natprobe with a bad command line.
    Verifies: exit 2, exactly one line on stderr, mentioning the problem."""
    r = probe.run(*args)
    assert r.rc == 2, r.describe()
    assert len(r.stderr_lines()) == 1, r.describe()
    assert fragment in r.stderr, r.describe()


def test_sighup_reopens_records_file(probe, natprobe_bin, tmp_path):
    """Steps: run with a records file on the seed replay; once the incident is
    written, rotate the file (rename it) and send SIGHUP; then stop.
    Verifies: the rotated file keeps the records; a new, empty records file
    appears at the configured path (mode 0640) after SIGHUP; the probe keeps
    running and exits 0 on SIGTERM."""
    rec = tmp_path / "records.jsonl"
    ports = [("a", "net_pcap0,rx_pcap=%s" % (SEED / "inside.pcap")),
             ("b", "net_pcap1,rx_pcap=%s" % (SEED / "dmz.pcap"))]
    text = config_text(ports, [("inside", "passive", ["a"]), ("dmz", "passive", ["b"])]).replace(
        'export:\n  metrics_listen: ""', 'export:\n  metrics_listen: ""\n  records_file: %s' % rec)
    cfg = probe.config(text)
    p = start(natprobe_bin, cfg)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and "incident" not in (
                rec.read_text() if rec.exists() else ""):
            time.sleep(0.1)
        assert "incident" in rec.read_text()
        rotated = tmp_path / "records.jsonl.1"
        rec.rename(rotated)
        p.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not rec.exists():
            time.sleep(0.05)
        assert rec.exists(), "records file not reopened after SIGHUP"
        assert (rec.stat().st_mode & 0o777) == 0o640
        assert p.poll() is None, "natprobe stopped on SIGHUP"
    finally:
        rc, out, err, took = stop(p, signal.SIGTERM, 10)
    assert rc == 0, err
    assert "nat_reflection_misroute" in rotated.read_text()
