# SPDX-License-Identifier: BSD-3-Clause
"""natprobe as a service: signals, pipes that break, files opened as root,
log lines for journald, systemd readiness and watchdog (docs/deploy.md).

Every probe here is `natprobe run` on DPDK virtual devices, bounded by
--duration and killed in a finally; each case says which defect of the
service contract it guards against.
"""

import ctypes
import os
import pwd
import re
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from conftest import (REPO_ROOT, SCENARIOS, Counters, config_text, free_listen, pcap_device,
                      require_binary, require_program,
                      unique_prefix)

SEED = SCENARIOS / "seed_misroute"
BOUND_S = 40


def busy_inline_config(listen='""', extra_export="", extra=""):
    """An inline pair fed by an endless replay of the seed's inside capture."""
    ports = [("gen", "net_pcap0,rx_pcap=%s,infinite_rx=1" % (SEED / "inside.pcap")),
             ("sink", "net_null0,no-rx=1")]
    text = config_text(ports, [("s", "inline", ["gen", "sink"])], file_prefix=unique_prefix())
    text = text.replace('export:\n  metrics_listen: ""',
                        'export:\n  metrics_listen: %s%s' % (listen, extra_export))
    return text + extra


class Probe:
    """natprobe run in the background with the given stdio and environment."""

    def __init__(self, binary, cfg, stdout, stderr, env=None, args=(), prefix=()):
        self.cfg = cfg
        self.proc = subprocess.Popen(
            list(prefix) + [str(require_binary(binary)), "run", "-c", str(cfg), "--duration",
                            str(BOUND_S)] + list(args),
            stdout=stdout, stderr=stderr, env=env, start_new_session=True)

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                pytest.fail("natprobe ignored SIGTERM for %d s" % timeout, pytrace=False)
        return self.proc.returncode

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@pytest.fixture
def probes():
    started = []
    yield started
    for p in started:
        p.kill()


def scrape(listen, timeout=5):
    with urllib.request.urlopen("http://%s/metrics" % listen, timeout=timeout) as r:
        return r.read().decode()


def wait_metrics(p, listen, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not p.alive():
            pytest.fail("natprobe exited (rc %s) before serving /metrics" % p.proc.returncode,
                        pytrace=False)
        try:
            return Counters.parse(scrape(listen))
        except OSError:
            time.sleep(0.2)
    pytest.fail("/metrics did not answer within %d s" % timeout, pytrace=False)


def write_failures(listen, stream):
    text = scrape(listen)
    m = re.search(r'^natprobe_output_write_failures_total\{stream="%s"\} (\d+)$' % stream, text,
                  re.M)
    assert m, "no natprobe_output_write_failures_total{stream=%r} on /metrics" % stream
    return int(m.group(1))


# --------------------------------------------------------------------------
# Signals and broken pipes
# --------------------------------------------------------------------------

def test_signals_and_broken_pipes_during_forwarding(natprobe_bin, tmp_path, probes):
    """No signal an operator or a pipe can send stops an inline probe.

    Steps:
      1. natprobe run, an inline pair forwarding an endless replay, counters
         printed every second (export.stats_interval_s: 1), a records file;
         stdout and stderr are pipes whose reader closes them at once (as
         `| tee` or a restarted journald would).
      2. Once /metrics answers, send SIGUSR1 (print counters), SIGUSR2,
         SIGHUP (reopen records: a log line), SIGPIPE, 1 s apart.
    Verifies:
      - after every signal the process runs and the frames forwarded out of
        the sink port keep growing;
      - natprobe_output_write_failures_total counts the lost writes on
        stdout and on stderr (EPIPE counted, not fatal);
      - SIGTERM still stops it with exit 0.
    """
    listen = free_listen()
    cfg = tmp_path / "n.yaml"
    cfg.write_text(busy_inline_config('"%s"' % listen, "\n  stats_interval_s: 1\n"
                                      "  records_file: %s" % (tmp_path / "r.jsonl")))
    p = Probe(natprobe_bin, cfg, subprocess.PIPE, subprocess.PIPE)
    probes.append(p)
    p.proc.stdout.close()       # the reader goes away
    p.proc.stderr.close()
    before = wait_metrics(p, listen).value("natprobe_port_tx_packets_total", port="sink")
    for sig in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGHUP, signal.SIGPIPE):
        p.proc.send_signal(sig)
        time.sleep(1.0)
        assert p.alive(), "natprobe died on %s (rc %s)" % (sig.name, p.proc.returncode)
        now = Counters.parse(scrape(listen)).value("natprobe_port_tx_packets_total", port="sink")
        assert now > before, "forwarding stopped after %s: %s then %s" % (sig.name, before, now)
        before = now
    assert write_failures(listen, "stdout") > 0
    assert write_failures(listen, "stderr") > 0
    assert p.stop() == 0


def test_sigusr1_prints_counters(natprobe_bin, tmp_path, probes):
    """SIGUSR1 prints the counters now (docs/deploy.md, signals).

    Steps:
      1. natprobe run forwarding an endless replay, stdout to a file, no
         periodic counters; after 2 s send SIGUSR1, wait 1 s, then SIGTERM.
    Verifies:
      - stdout holds a "# natprobe counters at" block before the final one,
        with the sink's forwarded frames > 0; exit 0.
    """
    cfg = tmp_path / "n.yaml"
    cfg.write_text(busy_inline_config())
    out = tmp_path / "out"
    with open(out, "w") as o:
        p = Probe(natprobe_bin, cfg, o, subprocess.DEVNULL)
    probes.append(p)
    time.sleep(2)
    p.proc.send_signal(signal.SIGUSR1)
    time.sleep(1)
    assert p.alive()
    text = out.read_text()
    assert p.stop() == 0
    blocks = text.split("# natprobe counters at ")[1:]
    assert len(blocks) == 1, text[:2000]
    assert Counters.parse(blocks[0]).value("natprobe_port_tx_packets_total", port="sink") > 0


# --------------------------------------------------------------------------
# Files opened as root
# --------------------------------------------------------------------------

def records_config(path, extra=""):
    ports = [("a", pcap_device(0, rx=SEED / "inside.pcap"))]
    text = config_text(ports, [("s", "passive", ["a"])])
    return text.replace('export:\n  metrics_listen: ""',
                        'export:\n  metrics_listen: ""\n  records_file: %s' % path) + extra


def one_line(r, *fragments):
    lines = r.stderr_lines()
    assert r.rc == 2, r.describe()
    assert len(lines) == 1, r.describe()
    for f in fragments:
        assert f in lines[0], "%r not in %r" % (f, lines[0])
    return lines[0]


def test_records_file_symlink_not_followed(probe, tmp_path):
    """A records file that is a symbolic link is refused, never followed.

    Steps:
      1. records_file names a link to another file (the unprivileged user
         of docs/deploy.md can make one in the records directory); run and
         check-config.
    Verifies:
      - both exit 2 with one line saying it is a symbolic link; the link's
        target is untouched.
    """
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    link = tmp_path / "records.jsonl"
    link.symlink_to(victim)
    text = records_config(link)
    one_line(probe.run_config(text), "export.records_file", "symbolic link")
    one_line(probe.check_config(probe.config(text)), "export.records_file", "symbolic link")
    assert victim.read_text() == "precious\n"


def test_records_file_fifo_refused_at_once(natprobe_bin, tmp_path):
    """A FIFO as the records file neither hangs start-up nor ignores SIGTERM.

    Steps:
      1. records_file is a FIFO nobody reads; natprobe run; after 10 s,
         SIGTERM if it still runs.
    Verifies:
      - it exits 2 within 10 s with one line: not a regular file (a FIFO).
    """
    fifo = tmp_path / "records.jsonl"
    os.mkfifo(fifo)
    cfg = tmp_path / "n.yaml"
    cfg.write_text(records_config(fifo))
    p = subprocess.Popen([str(require_binary(natprobe_bin)), "run", "-c", str(cfg),
                          "--idle-exit", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, start_new_session=True)
    try:
        out, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.send_signal(signal.SIGTERM)
        try:
            p.communicate(timeout=5)
            pytest.fail("start-up hung on the FIFO (SIGTERM ended it)", pytrace=False)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            pytest.fail("start-up hung on the FIFO and ignored SIGTERM", pytrace=False)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert p.returncode == 2 and len(lines) == 1, err
    assert "FIFO" in lines[0] and "export.records_file" in lines[0], lines[0]


def test_config_fifo_refused_at_once(probe, tmp_path):
    """A FIFO given as the config is refused at once (it is never read).

    Steps:
      1. natprobe check-config FIFO; natprobe run -c FIFO.
    Verifies:
      - both exit 2 within the run time-out with one line: not a regular file.
    """
    fifo = tmp_path / "c.yaml"
    os.mkfifo(fifo)
    one_line(probe.run("check-config", fifo), "not a regular file")
    one_line(probe.run("run", "-c", fifo), "not a regular file")


def test_records_file_hard_link_refused(probe, tmp_path):
    """A records file with a second name (a hard link) is refused.

    Steps:
      1. records_file is a hard link to another file in the directory.
    Verifies:
      - exit 2, one line naming the hard links; nothing appended.
    """
    other = tmp_path / "other"
    other.write_text("x\n")
    rec = tmp_path / "records.jsonl"
    os.link(other, rec)
    one_line(probe.run_config(records_config(rec)), "export.records_file", "hard links")
    assert other.read_text() == "x\n"


def test_records_file_created_for_security_user(probe, tmp_path):
    """The records file root creates belongs to security.user.

    Steps:
      1. As root, run the seed replay with security.user: nobody and a
         records file in a directory nobody may write to.
    Verifies:
      - exit 0; the file exists, mode 0640, owned by nobody's uid and gid,
        and holds the seed's records.
    """
    if os.geteuid() != 0:
        pytest.skip("needs root (CI and tools/test.sh run as root)")
    nobody = pwd.getpwnam("nobody")
    rec = tmp_path / "records.jsonl"
    r = probe.run_config(records_config(rec, "security:\n  user: nobody\n"))
    assert r.rc == 0, r.describe()
    st = rec.stat()
    assert (st.st_uid, st.st_gid) == (nobody.pw_uid, nobody.pw_gid), (st.st_uid, st.st_gid)
    assert st.st_mode & 0o777 == 0o640
    assert '"kind":"anomaly"' in rec.read_text()


@pytest.mark.parametrize("mode,owner,fragment", [
    (0o666, None, "writable by every user (mode 0666)"),
    (0o664, None, "writable by its group (mode 0664)"),
    (0o644, 65534, "owned by uid 65534"),
], ids=["world_writable", "group_writable", "owned_by_nobody"])
def test_unsafe_config_refused(probe, tmp_path, mode, owner, fragment):
    """run refuses a config another user could have written.

    Steps:
      1. A valid config; chmod/chown it as the case says; check-config and
         run it; then run it with --allow-unsafe-config.
    Verifies:
      - check-config and run exit 2 with one line naming the file and its
        mode or owner;
      - with --allow-unsafe-config, run starts (exit 0) and warns in one line.
    """
    if owner is not None and os.geteuid() != 0:
        pytest.skip("chown needs root")
    cfg = probe.config(records_config('""'))
    os.chmod(cfg, mode)
    if owner is not None:
        os.chown(cfg, owner, -1)
    for r in (probe.check_config(cfg), probe.run("run", "-c", cfg, "--idle-exit", "1")):
        line = one_line(r, str(cfg), fragment, "--allow-unsafe-config")
        assert line.startswith("natprobe: config: "), line
    r = probe.run("run", "-c", cfg, "--idle-exit", "1", "--allow-unsafe-config")
    assert r.rc == 0, r.describe()
    assert sum("warning" in ln and fragment in ln for ln in r.stderr_lines()) == 1, r.describe()


def test_unsafe_directory_and_plugin_refused(probe, tmp_path):
    """A config in a directory others can write, or an EAL -d plugin others
    can write, is refused too.

    Steps:
      1. A config in a directory of mode 0777 (no sticky bit); run.
      2. A safe config whose eal.extra_args load `-d PLUGIN`, PLUGIN mode
         0666 (never loaded: refused first); run. The same plugin after --.
    Verifies:
      - exit 2, one line naming the directory / the plugin and its mode.
    """
    d = tmp_path / "open"
    d.mkdir()
    os.chmod(d, 0o777)
    cfg = d / "n.yaml"
    cfg.write_text(records_config('""'))
    one_line(probe.run("run", "-c", cfg), "the directory '%s'" % d, "mode 0777")
    plugin = tmp_path / "librte_evil.so"
    plugin.write_bytes(b"not a library")
    os.chmod(plugin, 0o666)
    text = records_config('""').replace("  file_prefix:", "  extra_args: [-d, %s]\n"
                                        "  file_prefix:" % plugin)
    one_line(probe.run_config(text), "eal.extra_args -d", str(plugin), "mode 0666")
    ok = probe.config(records_config('""'), name="ok.yaml")
    one_line(probe.run("run", "-c", ok, "--", "-d", plugin), "EAL argument -d", str(plugin))


# --------------------------------------------------------------------------
# Log lines for journald
# --------------------------------------------------------------------------

def journal_env(fd):
    """JOURNAL_STREAM naming the pipe behind @fd, as systemd sets it for a service."""
    st = os.fstat(fd)
    env = dict(os.environ)
    env["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
    return env


def test_log_lines_carry_syslog_priority_under_journald(natprobe_bin, tmp_path, probes):
    """Under journald every log line starts with its syslog priority.

    Steps:
      1. stderr is a pipe and JOURNAL_STREAM names it (as systemd does);
         natprobe run with /metrics on, 2 s.
      2. Same, with a config error.
      3. Same config, JOURNAL_STREAM naming another file (not ours).
    Verifies:
      - 1: every stderr line is "<N>natprobe: ...", N a syslog priority;
        the /metrics and security.user lines are notices (<5>);
      - 2: the error line is "<3>natprobe: ...";
      - 3: no prefix (a terminal or a plain pipe gets plain lines).
    """
    listen = free_listen()
    cfg = tmp_path / "n.yaml"
    cfg.write_text(busy_inline_config('"%s"' % listen))
    r_fd, w_fd = os.pipe()
    env = journal_env(w_fd)
    p = subprocess.run([str(require_binary(natprobe_bin)), "run", "-c", str(cfg), "--duration",
                        "2"], stdout=subprocess.DEVNULL, stderr=w_fd, env=env, timeout=30)
    os.close(w_fd)
    err = os.fdopen(r_fd).read()
    lines = [ln for ln in err.splitlines() if ln]
    assert p.returncode == 0 and lines, err
    for ln in lines:
        assert re.match(r"^<[0-7]>natprobe: ", ln), "no priority prefix: %r" % ln
    assert any(ln.startswith("<5>natprobe: serving Prometheus metrics") for ln in lines), lines
    assert any(ln.startswith("<5>natprobe: security.user not set") for ln in lines), lines

    bad = tmp_path / "bad.yaml"
    bad.write_text("datapath:\n  burst_size: 0\n")
    r_fd, w_fd = os.pipe()
    p = subprocess.run([str(natprobe_bin), "check-config", str(bad)], stdout=subprocess.DEVNULL,
                       stderr=w_fd, env=journal_env(w_fd), timeout=30)
    os.close(w_fd)
    err = os.fdopen(r_fd).read()
    assert p.returncode == 2 and err.startswith("<3>natprobe: %s" % bad), err

    other = tmp_path / "other"
    other.write_text("")
    r_fd, w_fd = os.pipe()
    env = dict(os.environ)
    st = os.stat(other)
    env["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
    p = subprocess.run([str(natprobe_bin), "check-config", str(bad)], stdout=subprocess.DEVNULL,
                       stderr=w_fd, env=env, timeout=30)
    os.close(w_fd)
    err = os.fdopen(r_fd).read()
    assert err.startswith("natprobe: %s" % bad), err


def test_log_lines_written_once_not_to_syslog(natprobe_bin, tmp_path):
    """Each log line reaches stderr once and never syslog(3) as well (which
    under systemd would put it in the journal twice).

    Steps:
      1. natprobe run (/metrics on, log level info: several log lines) for
         2 s under strace, tracing connect/sendto/sendmsg.
    Verifies:
      - at most one connect to /dev/log (EAL's openlog() at start-up, closed
        right after) and no datagram carrying a natprobe log line;
      - every stderr line appears once.
    """
    strace = require_program("strace")
    listen = free_listen()
    cfg = tmp_path / "n.yaml"
    cfg.write_text(busy_inline_config('"%s"' % listen).replace("  file_prefix:",
                                                               "  log_level: info\n  file_prefix:"))
    trace = tmp_path / "trace"
    p = subprocess.run([strace, "-f", "-qq", "-e", "trace=connect,sendto,sendmsg", "-s", "256",
                        "-o", str(trace), str(require_binary(natprobe_bin)), "run", "-c", str(cfg),
                        "--duration", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    t = trace.read_text()
    connects = [ln for ln in t.splitlines() if "connect(" in ln and "/dev/log" in ln]
    sends = [ln for ln in t.splitlines() if re.search(r"send(to|msg)\(", ln) and "natprobe" in ln]
    assert len(connects) <= 1, "syslog used after start-up:\n" + "\n".join(connects)
    assert not sends, "log lines sent to syslog:\n" + "\n".join(sends)
    lines = [ln for ln in p.stderr.splitlines() if ln.strip()]
    assert any("serving Prometheus metrics" in ln for ln in lines), p.stderr
    assert len(lines) == len(set(lines)), "a line printed twice:\n" + p.stderr


# --------------------------------------------------------------------------
# systemd: readiness, watchdog, the unit
# --------------------------------------------------------------------------

class Ptrace:
    """Stop one thread (not the process) with PTRACE_SEIZE + PTRACE_INTERRUPT."""
    SEIZE, INTERRUPT, DETACH, WALL = 0x4206, 0x4207, 17, 0x40000000

    def __init__(self):
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p,
                                     ctypes.c_void_p]
        self.libc.ptrace.restype = ctypes.c_long

    def call(self, req, tid):
        if self.libc.ptrace(req, tid, None, None) != 0:
            e = ctypes.get_errno()
            pytest.skip("ptrace(%#x, %d) not permitted here: %s" % (req, tid, os.strerror(e)))

    def stop(self, tid):
        self.call(self.SEIZE, tid)
        self.call(self.INTERRUPT, tid)
        os.waitpid(tid, self.WALL)

    def resume(self, tid):
        self.call(self.DETACH, tid)


def thread_named(pid, name):
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            if open("/proc/%d/task/%s/comm" % (pid, t)).read().strip() == name:
                return int(t)
        except OSError:
            pass
    pytest.fail("no thread %r in natprobe (threads: %s)" % (
        name, os.listdir("/proc/%d/task" % pid)), pytrace=False)


def read_notify(sock, seconds):
    """Every datagram natprobe sent on NOTIFY_SOCKET within @seconds, with times."""
    out, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        sock.settimeout(max(0.01, end - time.monotonic()))
        try:
            out.append((time.monotonic(), sock.recv(4096).decode()))
        except socket.timeout:
            break
    return out


def test_notify_ready_and_watchdog_fed_only_while_workers_progress(natprobe_bin, tmp_path,
                                                                   probes):
    """Type=notify: READY=1 once forwarding, WATCHDOG=1 only while every
    worker makes progress, STOPPING=1 at the end.

    Steps:
      1. A datagram socket in tmp as NOTIFY_SOCKET, WATCHDOG_USEC=1 s (what
         systemd sets for WatchdogSec=1); natprobe run forwarding an endless
         replay.
      2. Read the notifications for 3 s; then stop the worker thread alone
         (ptrace interrupt) for 3 s; then let it run again for 3 s; SIGTERM.
    Verifies:
      - READY=1 (with a STATUS=) comes first; WATCHDOG=1 at least every
        0.75 s while the worker runs;
      - no WATCHDOG=1 from 1 s after the worker stopped until it runs again,
        and one line on stderr says which worker made no progress;
      - WATCHDOG=1 again within 1.5 s of the worker resuming; STOPPING=1 on
        SIGTERM, exit 0.
    """
    sock_path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    env = dict(os.environ, NOTIFY_SOCKET=str(sock_path), WATCHDOG_USEC="1000000")
    cfg = tmp_path / "n.yaml"
    cfg.write_text(busy_inline_config())
    err = tmp_path / "err"
    with open(err, "w") as e:
        p = Probe(natprobe_bin, cfg, subprocess.DEVNULL, e, env=env)
    probes.append(p)
    tracer = Ptrace()
    worker = None
    try:
        msgs = read_notify(sock, 3)
        assert msgs and msgs[0][1].startswith("READY=1\nSTATUS=forwarding"), msgs[:3]
        feeds = [t for t, m in msgs if m == "WATCHDOG=1"]
        assert len(feeds) >= 3, msgs
        assert max(b - a for a, b in zip(feeds, feeds[1:])) < 0.75, feeds
        worker = thread_named(p.proc.pid, "rte-worker-1")
        tracer.stop(worker)
        stopped_at = time.monotonic()
        msgs = read_notify(sock, 3)
        late = [t - stopped_at for t, m in msgs if m == "WATCHDOG=1" and t - stopped_at > 1.0]
        assert not late, "watchdog fed %s s after the worker stopped" % late
        tracer.resume(worker)
        resumed_at, worker = time.monotonic(), None
        msgs = read_notify(sock, 3)
        back = [t - resumed_at for t, m in msgs if m == "WATCHDOG=1"]
        assert back and back[0] < 1.5, msgs
    finally:
        if worker is not None:
            tracer.resume(worker)
    p.proc.send_signal(signal.SIGTERM)
    msgs = read_notify(sock, 5)
    assert any(m.startswith("STOPPING=1") for _, m in msgs), msgs
    assert p.stop() == 0
    sock.close()
    assert "worker 0 (lcore 1) made no progress: not feeding the systemd watchdog" in \
        err.read_text(), err.read_text()


def unit_text(tmp_path, bindir):
    """config/natprobe.service.in filled in as meson does."""
    text = (REPO_ROOT / "config" / "natprobe.service.in").read_text()
    return text.replace("@BINDIR@", str(bindir)).replace("@SYSCONFDIR@", "/etc")


def test_unit_verifies(natprobe_bin, tmp_path):
    """systemd-analyze verify accepts the unit.

    Steps:
      1. The unit with the binary under test as ExecStart; a man page
         directory holding the built man page (Documentation=man:natprobe(1));
         systemd-analyze verify.
    Verifies:
      - exit 0 and no output: every directive known, every command found,
        Type=notify with WatchdogSec, ExecReload sending SIGHUP.
    """
    import shutil
    sa = require_program("systemd-analyze")
    binary = require_binary(natprobe_bin)
    page = binary.parent / "natprobe.1"
    if not page.is_file():
        require_program("help2man")
        pytest.fail("no man page built beside %s (meson builds it with help2man)" % binary,
                    pytrace=False)
    man1 = tmp_path / "man" / "man1"
    man1.mkdir(parents=True)
    shutil.copy(page, man1)
    unit = tmp_path / "natprobe.service"
    text = unit_text(tmp_path, binary.parent)
    unit.write_text(text)
    for want in ("Type=notify", "WatchdogSec=", "ExecReload=/bin/kill -HUP $MAINPID"):
        assert want in text
    r = subprocess.run([sa, "verify", str(unit)], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, MANPATH=str(tmp_path / "man"),
                                SYSTEMD_LOG_LEVEL="notice"))
    if r.returncode != 0 and "Failed to initialize manager" in r.stderr:
        pytest.skip("systemd-analyze cannot run here: %s" % r.stderr.strip())
    assert r.returncode == 0 and r.stdout.strip() == "" and r.stderr.strip() == "", \
        "systemd-analyze verify:\n%s%s" % (r.stdout, r.stderr)


def test_logrotate_snippet(tmp_path):
    """The logrotate snippet is valid and rotates the records file.

    Steps:
      1. config/natprobe.logrotate with its path pointed at a records file
         in tmp and the reload command replaced by a marker file; logrotate
         --force with a state file in tmp.
    Verifies:
      - exit 0; the records file was rotated (records.jsonl.1 holds the old
        lines) and the postrotate command ran once.
    """
    lr = require_program("logrotate")
    logs = tmp_path / "log"
    logs.mkdir()
    (logs / "records.jsonl").write_text('{"kind":"anomaly"}\n')
    marker = tmp_path / "reloaded"
    text = (REPO_ROOT / "config" / "natprobe.logrotate").read_text()
    assert "/var/log/natprobe/*.jsonl" in text and "systemctl reload natprobe" in text
    text = text.replace("/var/log/natprobe/*.jsonl", "%s/*.jsonl" % logs)
    text = re.sub(r"systemctl reload natprobe\.service[^\n]*", "touch %s" % marker, text)
    conf = tmp_path / "lr.conf"
    conf.write_text(text)
    os.chmod(conf, 0o644)
    r = subprocess.run([lr, "--force", "--state", str(tmp_path / "state"), str(conf)],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert (logs / "records.jsonl.1").read_text() == '{"kind":"anomaly"}\n'
    assert marker.exists()
