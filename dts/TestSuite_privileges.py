# SPDX-License-Identifier: BSD-3-Clause
"""Privileges: `natprobe run` gives up root once it has started
(security.user / security.group, docs/deploy.md).

The drop cases start natprobe as root (the suite runs as root, as CI does)
with security.user: nobody, an account every Debian system has, and read
/proc/PID/status and /proc/PID/task/*/status while it runs. Each probe is
bounded by --duration and stopped with SIGTERM.
"""

import os
import pwd
import signal
import subprocess
import time
import urllib.request

import pytest

from conftest import (SCENARIOS, Background, Counters, config_text, frames_diff, free_listen, pcap_device,
                      read_frames, require_program, unique_prefix, write_frames)

SEED = SCENARIOS / "seed_misroute"
MAC_C = bytes.fromhex("005056a11e02")
BOUND_S = 40


def status(path):
    """/proc/.../status as {field: value}."""
    out = {}
    for line in open(path).read().splitlines():
        k, _, v = line.partition(":")
        out[k] = v.strip()
    return out


def seed_inline_config(tmp, records, listen, extra=""):
    """The seed's inside capture through one inline pair (each direction from
    its own port), the dmz capture on a passive port, the seed's static NAT.
    @return (config text, {tx file: frames it must hold})."""
    inside = read_frames(SEED / "inside.pcap")
    from_c = [f for f in inside if f[6:12] == MAC_C]
    from_fw = [f for f in inside if f[6:12] != MAC_C]
    rx_a, rx_b = write_frames(tmp / "a_rx.pcap", from_c), write_frames(tmp / "b_rx.pcap", from_fw)
    tx_a, tx_b = tmp / "a_tx.pcap", tmp / "b_tx.pcap"
    ports = [("a", pcap_device(0, rx_a, tx_a)), ("b", pcap_device(1, rx_b, tx_b)),
             ("e", pcap_device(2, SEED / "dmz.pcap"))]
    segs = [("inside", "inline", ["a", "b"]), ("dmz", "passive", ["e"])]
    text = config_text(ports, segs, file_prefix=unique_prefix(),
                       nat_static=[("10.0.10.2", "64.100.0.10")])
    text = text.replace('metrics_listen: ""', 'metrics_listen: "%s"\n  records_file: %s'
                        % (listen, records))
    return text + extra, {tx_a: from_fw, tx_b: from_c}


class Running(Background):
    def __init__(self, binary, cfg, tmp):
        super().__init__(binary, cfg, tmp, BOUND_S)

    def wait_stderr(self, text, timeout=15):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.err.read_text():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.1)
        pytest.fail("no %r on stderr\n%s" % (text, self.describe()), pytrace=False)


@pytest.fixture
def running():
    started = []
    yield started
    for r in started:
        r.kill()


def need_root():
    if os.geteuid() != 0:
        pytest.skip("switching users needs root (CI and tools/test.sh run as root)")


def test_drop_to_nobody(natprobe_bin, tmp_path, running):
    """Started as root with security.user: nobody, natprobe runs as nobody
    with no capability, and still forwards, serves /metrics and telemetry,
    writes records, and survives a reopen it may no longer do.

    Steps:
      1. The seed's inside capture through an inline net_pcap pair, its dmz
         capture on a passive port; records file in the test's directory
         (root's, mode 0700); /metrics on a free loopback port;
         security.user: nobody.
      2. natprobe run as root; wait for the "running as user nobody" line.
      3. Read /proc/PID/status and every /proc/PID/task/TID/status.
      4. GET /metrics; /natprobe/stats through dpdk-telemetry.py.
      5. Rename the records file away and send SIGHUP (log rotation); nobody
         cannot create a file in root's directory.
      6. SIGTERM.
    Verifies:
      - Uid and Gid (real, effective, saved, fs) are nobody's, no
        supplementary groups, CapInh/CapPrm/CapEff/CapBnd/CapAmb all 0 and
        NoNewPrivs 1, in the main thread and in every other thread (EAL's
        interrupt, multi-process and telemetry threads, the worker);
      - /metrics answers 200 with every frame counted; telemetry answers;
      - the failed reopen is counted (natprobe_records_reopen_failures_total
        1) and logged, the probe keeps writing the renamed file, and exits 0;
      - the inline pair forwarded byte for byte; the records hold the seed's
        incident.
    """
    need_root()
    nobody = pwd.getpwnam("nobody")
    rec = tmp_path / "records.jsonl"
    listen = free_listen()
    text, expect = seed_inline_config(tmp_path, rec, listen, "security:\n  user: nobody\n")
    cfg = tmp_path / "p.yaml"
    cfg.write_text(text)
    r = Running(natprobe_bin, cfg, tmp_path)
    running.append(r)
    r.wait_stderr("running as user nobody")
    pid = r.proc.pid
    want_ids = " ".join([str(nobody.pw_uid)] * 4), " ".join([str(nobody.pw_gid)] * 4)
    tasks = sorted(os.listdir("/proc/%d/task" % pid))
    assert len(tasks) >= 4, "threads: %s" % tasks
    for tid in tasks:
        st = status("/proc/%d/task/%s/status" % (pid, tid))
        where = "thread %s (%s)" % (tid, st["Name"])
        assert (st["Uid"].split(), st["Gid"].split()) == (want_ids[0].split(),
                                                          want_ids[1].split()), where
        assert st["Groups"] == "", where
        for cap in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
            assert int(st[cap], 16) == 0, "%s: %s %s" % (where, cap, st[cap])
        assert st["NoNewPrivs"] == "1", where
    names = {status("/proc/%d/task/%s/status" % (pid, t))["Name"] for t in tasks}
    assert any(n.startswith("rte-worker") or n.startswith("lcore-worker") for n in names), names

    frames = len(read_frames(SEED / "inside.pcap")) + len(read_frames(SEED / "dmz.pcap"))
    deadline = time.monotonic() + 15
    while True:
        with urllib.request.urlopen("http://%s/metrics" % listen, timeout=5) as resp:
            assert resp.status == 200
            live = Counters.parse(resp.read().decode())
        if live.value("natprobe_worker_packets_total", worker="0") == frames or \
                time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert live.value("natprobe_worker_packets_total", worker="0") == frames, r.describe()
    prefix = [ln.split()[1] for ln in text.splitlines() if "file_prefix:" in ln][0]
    tel = subprocess.run([require_program("dpdk-telemetry.py"), "-f", prefix],
                         input="/natprobe/stats\n", capture_output=True, text=True, timeout=15)
    assert '"/natprobe/stats"' in tel.stdout and "segments/inside/packets" in tel.stdout, \
        "telemetry after the drop: %s %s" % (tel.stdout[-500:], tel.stderr[-500:])

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and "nat_reflection_misroute" not in rec.read_text():
        time.sleep(0.1)
    rotated = tmp_path / "records.jsonl.1"
    rec.rename(rotated)
    r.proc.send_signal(signal.SIGHUP)
    r.wait_stderr("cannot reopen")
    assert r.proc.poll() is None, "natprobe stopped on SIGHUP\n" + r.describe()
    assert not rec.exists()
    rc, end = r.stop()
    assert rc == 0, r.describe()
    assert end.value("natprobe_records_reopen_failures_total") == 1, r.describe()
    assert end.value("natprobe_records_failed_total") == 0, r.describe()
    assert "nat_reflection_misroute" in rotated.read_text()
    for tx, want in expect.items():
        d = frames_diff(read_frames(tx), want)
        assert not d, "%s: %s" % (tx.name, d)


def test_no_user_keeps_identity_and_says_so(natprobe_bin, tmp_path, running):
    """Steps: natprobe run with no security section; read /proc/PID/status.
    Verifies: one log line says security.user is not set and which uid is
    kept; the process still has the uid it was started with."""
    text, _ = seed_inline_config(tmp_path, tmp_path / "r.jsonl", free_listen())
    cfg = tmp_path / "p.yaml"
    cfg.write_text(text)
    r = Running(natprobe_bin, cfg, tmp_path)
    running.append(r)
    r.wait_stderr("security.user not set: keeping uid %d" % os.geteuid())
    st = status("/proc/%d/status" % r.proc.pid)
    assert st["Uid"].split()[1] == str(os.geteuid())
    rc, _ = r.stop()
    assert rc == 0, r.describe()


@pytest.mark.parametrize("security,fragment", [
    ("  user: no-such-user-natprobe\n", "security.user: no user 'no-such-user-natprobe'"),
    ("  user: nobody\n  group: no-such-group-natprobe\n",
     "security.group: no group 'no-such-group-natprobe'"),
    ("  group: nogroup\n", "security.group: needs security.user"),
], ids=["bad_user", "bad_group", "group_alone"])
def test_bad_security_config_exits_2(probe, tmp_path, security, fragment):
    """Steps: check-config, then run -c, with a security section naming a
    user or group this machine lacks, or a group without a user.
    Verifies: both exit 2 with exactly one line on stderr, naming the field
    and its line in the file; run starts nothing."""
    ports = [("a", pcap_device(0, rx=SEED / "inside.pcap"))]
    text = config_text(ports, [("s", "passive", ["a"])]) + "security:\n" + security
    cfg = probe.config(text)
    key = fragment.split(":")[0].split(".")[1]      # "user" or "group"
    line = 1 + [i for i, ln in enumerate(text.splitlines()) if ln.startswith("  %s:" % key)][0]
    for args in (["check-config", cfg], ["run", "-c", cfg, "--idle-exit", "1"]):
        r = probe.run(*args)
        assert r.rc == 2, r.describe()
        assert len(r.stderr_lines()) == 1, r.describe()
        assert fragment in r.stderr, r.describe()
        assert "%s:%d:" % (cfg, line) in r.stderr, r.describe()
