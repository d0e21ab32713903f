# SPDX-License-Identifier: BSD-3-Clause
"""natprobe inline between two dpdk-testpmd processes over net_memif, as the
single-host benchmark recipe in docs/performance.md runs it: a generator
(testpmd txonly) and a sink (testpmd rxonly), and peers that go away.

Three DPDK processes share this 2-core machine. Each runs --no-huge with its own
--file-prefix and a bounded lifetime. natprobe's control thread is on CPU 0 and
its worker on CPU 1; the sink's main and forwarding lcores are on CPU 0; the
generator's main lcore is on CPU 0 and its forwarding lcore on CPU 1, beside
natprobe's worker, reniced to 19 once started (its threads, and its scheduler
autogroup where the kernel has them): the generator then sends what
natprobe's worker leaves it (a few thousand to a few hundred thousand frames
per second, as the kernel's scheduler gives it), so its rate is bounded and the
sink always keeps up; the tests wait for frame counts, not for time. Before a
generator is killed its lcore gets its priority back, so it dies at once.

The memif sockets are abstract (memif's default in DPDK 22.11), named after the
test's temporary directory.
"""

import os
import re
import signal
import subprocess
import time
import urllib.request

import pytest

from conftest import (Background, Counters, config_text, free_listen, natprobe_path,
                      require_program, unique_prefix)
from TestSuite_metrics import telemetry

BOUND_S = 90            # natprobe's --duration in every case: nothing outlives a test
TESTPMD_START_S = 30    # a testpmd that shows no prompt by then fails the test


def wait_for(pred, timeout, step=0.05):
    """pred()'s first true value within timeout seconds, else its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


class Peer:
    """dpdk-testpmd, interactive (-i), one memif port; commands on its stdin
    (stdbuf execs it: the pid is testpmd's)."""

    def __init__(self, tmp, name, role, socket, lcores, fwd):
        self.name = name
        self.out = tmp / ("%s-%d.out" % (name, time.monotonic_ns()))
        self.log = open(self.out, "w")
        # stdbuf: the statistics "stop" prints reach the file at once (a prompt is
        # written straight to the fd, printf output would wait in stdio's buffer)
        args = [require_program("stdbuf"), "-oL", require_program("dpdk-testpmd"),
                "--lcores", lcores, "--no-huge", "-m", "256", "--no-pci",
                "--file-prefix", unique_prefix(),
                "--vdev", "net_memif0,role=%s,socket=%s,id=0,rsize=14" % (role, socket),
                "--", "-i", "--nb-cores=1", "--total-num-mbufs=8192"]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=self.log,
                                     stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        self.wait_text("testpmd> ", TESTPMD_START_S)
        self.cmd("set fwd %s" % fwd)

    def text(self):
        return self.out.read_text(errors="replace")

    def wait_text(self, what, timeout, since=0):
        ok = wait_for(lambda: what in self.text()[since:] or self.proc.poll() is not None,
                      timeout)
        if not ok or what not in self.text()[since:]:
            pytest.fail("%s testpmd: no %r within %d s (rc=%s)\n%s" % (
                self.name, what, timeout, self.proc.poll(), self.text()[-3000:]),
                pytrace=False)

    def cmd(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def start(self):
        self.cmd("start")

    def stop(self):
        """Stop forwarding; (RX-packets, TX-packets) of this start..stop."""
        mark = len(self.text())
        self.cmd("stop")
        self.wait_text("Done.", 15, since=mark)
        block = self.text()[mark:].split("Accumulated forward statistics")[-1]
        rx = re.search(r"RX-packets:\s+(\d+)", block)
        tx = re.search(r"TX-packets:\s+(\d+)", block)
        assert rx and tx, block
        return int(rx.group(1)), int(tx.group(1))

    def renice(self, n):
        """Priority of the forwarding lcore threads (rte-worker-N), and of the
        process's scheduler autogroup: with autogroups (kernel.sched_autogroup_enabled)
        a thread's nice counts only within its session, and the peers run in
        sessions of their own."""
        try:
            with open("/proc/%d/autogroup" % self.proc.pid, "w") as f:
                f.write("%d\n" % n)
        except OSError:
            pass        # no autogroups: the threads' nice is what counts
        task = "/proc/%d/task" % self.proc.pid
        for tid in os.listdir(task):
            try:
                with open("%s/%s/comm" % (task, tid)) as f:
                    if f.read().startswith("rte-worker"):
                        os.setpriority(os.PRIO_PROCESS, int(tid), n)
            except (FileNotFoundError, ProcessLookupError):
                pass

    def kill(self):
        """The peer vanishes: SIGKILL, reaped."""
        if self.proc.poll() is None:
            self.renice(0)
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.log.close()

    def quit(self):
        if self.proc.poll() is None:
            self.cmd("quit")
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        self.kill()


class Chain:
    """natprobe inline (segment bench: ports gen, sink) between a generator and a
    sink testpmd. role: natprobe's memif role; the testpmds take the other one."""

    def __init__(self, tmp, role):
        self.tmp = tmp
        self.role = role
        self.peer_role = "client" if role == "server" else "server"
        self.sock = {p: str(tmp / ("%s.sock" % p)) for p in ("gen", "sink")}
        self.listen = free_listen()
        self.probe = None
        self.gen = self.sink = None
        self.peers = []

    def config(self, extra_datapath=""):
        ports = [(p, "net_memif%d,role=%s,socket=%s,id=0" % (i, self.role, self.sock[p]))
                 for i, p in enumerate(("gen", "sink"))]
        self.prefix = unique_prefix()
        text = config_text(ports, [("bench", "inline", ["gen", "sink"])],
                           file_prefix=self.prefix, datapath={"mbufs": 8191})
        text = text.replace("  memory_mb: 256\n", "  memory_mb: 512\n")
        text = text.replace("datapath:\n", "datapath:\n" + extra_datapath)
        return text.replace('metrics_listen: ""', 'metrics_listen: "%s"' % self.listen)

    def start_probe(self, extra_datapath=""):
        cfg = self.tmp / "natprobe.yaml"
        cfg.write_text(self.config(extra_datapath))
        self.probe = Background(natprobe_path(), cfg, self.tmp, BOUND_S)
        if not wait_for(lambda: self.probe.proc.poll() is not None or self.scrape(), 15) or \
                self.probe.proc.poll() is not None:
            pytest.fail("natprobe did not start\n" + self.probe.describe(), pytrace=False)

    def start_sink(self):
        self.sink = Peer(self.tmp, "sink", self.peer_role, self.sock["sink"], "(0,1)@0",
                            "rxonly")
        self.peers.append(self.sink)
        self.sink.start()
        return self.sink

    def start_gen(self):
        self.gen = Peer(self.tmp, "gen", self.peer_role, self.sock["gen"], "0@0,1@1",
                           "txonly")
        self.peers.append(self.gen)
        return self.gen

    def scrape(self):
        try:
            with urllib.request.urlopen("http://%s/metrics" % self.listen, timeout=2) as r:
                return Counters.parse(r.read().decode())
        except OSError:
            return None

    def value(self, name, **labels):
        c = self.scrape()
        return None if c is None else c.get(name, **labels)

    def link(self, port):
        return self.value("natprobe_port_link_up", port=port)

    def rx(self, port="gen"):
        return self.value("natprobe_port_rx_packets_total", port=port) or 0

    def tx(self, port="sink"):
        return self.value("natprobe_port_tx_packets_total", port=port) or 0

    def wait_link(self, port, up, timeout):
        ok = wait_for(lambda: self.link(port) == up, timeout)
        assert ok, "port %s: natprobe_port_link_up is not %d after %d s\n%s" % (
            port, up, timeout, self.probe.describe())

    def start_traffic(self):
        """Generator forwarding at its bounded rate; returns once frames flow."""
        self.gen.renice(19)
        base = self.rx()
        self.gen.start()
        assert wait_for(lambda: self.rx() > base + 1000, 10), \
            "no frames through natprobe\n" + self.probe.describe()

    def log_lines(self, fragment):
        return [ln for ln in self.probe.err.read_text().splitlines() if fragment in ln]

    def close(self):
        for p in self.peers:
            p.kill()
        if self.probe is not None:
            self.probe.kill()


@pytest.fixture
def chain(tmp_path):
    made = []

    def make(role="server"):
        c = Chain(tmp_path, role)
        made.append(c)
        return c
    yield make
    for c in made:
        c.close()


def assert_alive(c):
    assert c.probe.proc.poll() is None, "natprobe exited\n" + c.probe.describe()


def stop_probe(c):
    """SIGTERM; exit 0, and the exit counters are there."""
    rc, counters = c.probe.stop()
    assert rc == 0, c.probe.describe()
    assert counters.get("natprobe_port_rx_packets_total", port="gen") is not None, \
        "no exit counters\n" + c.probe.describe()
    return counters


def test_chain_forwards_every_frame(chain):
    """Steps: natprobe inline, its two memif ports servers; the sink (testpmd rxonly)
    and the generator (testpmd txonly) connect as clients; the generator sends for
    2 s and stops; natprobe forwards what is in flight and is stopped (SIGTERM).
    Verifies: natprobe_port_link_up is 1 on both ports once their clients are
    there; frames in = frames out: the generator's TX-packets = natprobe rx on gen =
    natprobe tx on sink = the sink's RX-packets (at least 10,000), none dropped, each
    one a UDP frame on the segment; the same figures in the exit counters."""
    c = chain("server")
    c.start_probe()
    c.start_sink()
    c.start_gen()
    c.wait_link("sink", 1, 10)
    c.wait_link("gen", 1, 10)
    c.start_traffic()
    # at least 2 s and 10,000 frames: the generator's rate at nice 19 is what the
    # machine leaves it (a few thousand to a few hundred thousand frames a second)
    time.sleep(2)
    assert wait_for(lambda: c.rx() >= 10000, 60), \
        "natprobe received %d frames in 60 s\n%s" % (c.rx(), c.probe.describe())
    _, sent = c.gen.stop()
    assert sent >= 10000, c.gen.text()[-2000:]
    assert wait_for(lambda: c.tx() == sent, 10), \
        "sent %d, natprobe forwarded %d\n%s" % (sent, c.tx(), c.probe.describe())
    got, _ = c.sink.stop()
    counters = stop_probe(c)
    assert counters.value("natprobe_port_rx_packets_total", port="gen") == sent
    assert counters.value("natprobe_port_tx_packets_total", port="sink") == sent
    assert counters.value("natprobe_port_dropped_packets_total", port="sink") == 0
    assert counters.value("natprobe_segment_frames_total", segment="bench", **{"class": "udp"}) \
        == sent
    assert got == sent, "sink received %d of %d" % (got, sent)


def test_generator_vanishes_and_comes_back(chain):
    """Steps: the chain forwarding; the generator is killed (SIGKILL) mid-run, three
    times, and started again each time; at last it stops cleanly and natprobe is
    stopped (SIGTERM).
    Verifies: natprobe survives every kill; each time /metrics shows
    natprobe_port_link_up{port="gen"} 0 within a second of the generator's end
    (DPDK telemetry /natprobe/ports too: gen/link_up 0, sink/link_up 1),
    and the log has a line "port 'gen' (segment bench): link down; ..."; the link comes
    back up and frames flow again with each new generator; natprobe exits 0 with
    its exit counters, rx on gen at least what /metrics last showed."""
    c = chain("server")
    c.start_probe()
    c.start_sink()
    for cycle in range(3):
        c.start_gen()
        c.wait_link("gen", 1, 10)
        c.start_traffic()
        c.gen.kill()
        t0 = time.monotonic()
        assert wait_for(lambda: c.link("gen") == 0, 3, step=0.02), c.probe.describe()
        took = time.monotonic() - t0
        assert took < 1.0, "link down shown on /metrics after %.2f s" % took
        assert wait_for(lambda: len(c.log_lines("port 'gen' (segment bench): link down;"))
                        == cycle + 1, 1), c.probe.describe()
        assert_alive(c)
    # telemetry answers from a snapshot the control thread refreshes every 100 ms
    ports = wait_for(lambda: (lambda r: r if r[0]["gen/link_up"] == 0 else None)(
        telemetry(c.prefix, "/natprobe/ports", "/natprobe/ports,gen")), 2, step=0.1)
    assert ports, "telemetry never showed gen/link_up 0"
    assert ports[0]["sink/link_up"] == 1 and ports[1]["port_link_up"] == 0, ports
    c.start_gen()
    c.wait_link("gen", 1, 10)
    c.start_traffic()
    assert wait_for(lambda: telemetry(c.prefix, "/natprobe/ports,gen")[0]["port_link_up"] == 1, 2,
                    step=0.1)
    c.gen.stop()
    c.gen.quit()
    last = c.rx()
    counters = stop_probe(c)
    assert counters.value("natprobe_port_rx_packets_total", port="gen") >= last > 0
    assert len(c.log_lines("port 'gen' (segment bench): link up")) == 4, c.probe.describe()


def test_sink_vanishes_and_comes_back(chain):
    """Steps: the chain forwarding; the sink is killed (SIGKILL) mid-run; later a new
    sink connects.
    Verifies: natprobe survives; natprobe_port_link_up{port="sink"} 0 within a second;
    meanwhile natprobe still receives from the generator and counts the frames it
    cannot deliver in natprobe_port_dropped_packets_total{port="sink"} (no tx attempt,
    no back-off); once the new sink is up, frames reach it again and no more are
    dropped; natprobe exits 0 with rx = tx + dropped."""
    c = chain("server")
    c.start_probe()
    c.start_sink()
    c.start_gen()
    c.wait_link("gen", 1, 10)
    c.wait_link("sink", 1, 10)
    c.start_traffic()
    c.sink.kill()
    t0 = time.monotonic()
    assert wait_for(lambda: c.link("sink") == 0, 3, step=0.02), c.probe.describe()
    assert time.monotonic() - t0 < 1.0
    d0 = c.value("natprobe_port_dropped_packets_total", port="sink")
    # the generator runs at nice 19 beside natprobe's worker: at a few thousand
    # frames a second, a thousand can take a second or more
    assert wait_for(lambda: c.value("natprobe_port_dropped_packets_total", port="sink")
                    > d0 + 1000, 30), c.probe.describe()
    assert_alive(c)
    c.start_sink()
    c.wait_link("sink", 1, 10)
    t1 = c.tx()
    assert wait_for(lambda: c.tx() > t1 + 1000, 30), c.probe.describe()
    d1 = c.value("natprobe_port_dropped_packets_total", port="sink")
    time.sleep(1)
    assert c.value("natprobe_port_dropped_packets_total", port="sink") == d1
    c.gen.stop()
    counters = stop_probe(c)
    rx = counters.value("natprobe_port_rx_packets_total", port="gen")
    assert rx == counters.value("natprobe_port_tx_packets_total", port="sink") + \
        counters.value("natprobe_port_dropped_packets_total", port="sink")


def test_memif_client_waits_for_its_server_and_reconnects(chain):
    """Steps: natprobe's ports are memif clients, started before any server exists;
    then testpmd servers (sink, generator) start; the generator is killed mid-run
    and started again.
    Verifies: natprobe logs for each port that its memif server is not there yet and
    shows both links down; it connects by itself once the servers are up (it restarts
    a client port that is down every second), frames flow; after the generator's
    kill the link is down within a second and comes back with the new generator,
    frames flow again; natprobe exits 0."""
    c = chain("client")
    c.start_probe()
    assert wait_for(lambda: len(c.log_lines("its memif server is not there yet")) == 2, 5), \
        c.probe.describe()
    assert c.link("gen") == 0 and c.link("sink") == 0
    c.start_sink()
    c.start_gen()
    c.wait_link("sink", 1, 10)
    c.wait_link("gen", 1, 10)
    c.start_traffic()
    c.gen.kill()
    t0 = time.monotonic()
    assert wait_for(lambda: c.link("gen") == 0, 3, step=0.02), c.probe.describe()
    assert time.monotonic() - t0 < 1.0
    c.start_gen()
    c.wait_link("gen", 1, 15)
    c.start_traffic()
    c.gen.stop()
    assert_alive(c)
    stop_probe(c)


@pytest.mark.parametrize("warn_s", [1, 0], ids=["warn_after_1s", "never"])
def test_link_down_is_logged_and_warned(chain, warn_s):
    """Steps: natprobe with memif server ports and no peer at all,
    datapath.link_down_warn_s 1 (or 0), for 2.5 s.
    Verifies: each port's link is down on /metrics from the start and the log says
    so at start; with 1 s, one warning per port ("link down for 1 s") after a
    second, not repeated; with 0, none."""
    c = chain("server")
    c.start_probe("  link_down_warn_s: %d\n" % warn_s)
    assert c.link("gen") == 0 and c.link("sink") == 0
    time.sleep(2.5)
    counters = stop_probe(c)
    assert counters.value("natprobe_port_link_up", port="gen") == 0
    for port in ("gen", "sink"):
        assert len(c.log_lines("port '%s' (segment bench): link down at start" % port)) == 1
        warned = c.log_lines("port '%s' (segment bench): link down for 1 s" % port)
        assert len(warned) == (1 if warn_s else 0), c.probe.describe()


# --------------------------------------------------------------------------
# Ports on kernel interfaces whose peer goes away: net_af_packet, net_pcap iface=
# --------------------------------------------------------------------------

NS_METRICS = "127.0.0.1:9109"   # natprobe's /metrics on the namespace's own loopback
PY = "/usr/bin/python3"         # the suite's interpreter, run inside the namespace

# Run inside the namespace: wait until a sample of /metrics has a value; print the seconds.
WAIT_METRIC = r"""
import re, sys, time, urllib.request
# NAME and LABELS may each list several series joined by '+': their sum is compared
names, labels = sys.argv[1].split("+"), sys.argv[2].split("+")
want, limit = float(sys.argv[3]), float(sys.argv[4])
t0 = time.monotonic()
while time.monotonic() - t0 < limit:
    try:
        text = urllib.request.urlopen("http://%s/metrics", timeout=1).read().decode()
    except OSError:
        text = ""
    ms = [re.search(r"^%%s\{%%s[^}]*\} (\S+)$" %% (re.escape(n), re.escape(l)), text, re.M)
          for n, l in zip(names, labels)]
    if all(ms) and sum(float(m.group(1)) for m in ms) == want:
        print("%%.3f" %% (time.monotonic() - t0))
        sys.exit(0)
    time.sleep(0.02)
sys.exit(1)
""" % NS_METRICS

SEND = r"""
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
frame = bytes.fromhex("ffffffffffff020000000001080045000020000100004011f9c2c0000201c0000202"
                      "d431d4310000000000000000")
for _ in range(int(sys.argv[2])):
    s.send(frame)
    time.sleep(0.001)
"""


class Wires:
    """A network namespace (npm prefix) with two veth pairs a1-a2, b1-b2; IPv6 off, so
    the only frames on them are the test's."""

    def __init__(self):
        self.ns = "npm%d_%d" % (os.getpid() % 100000, time.monotonic_ns() % 100000)
        self.made = False

    def sh(self, *args, check=True):
        cmd = [require_program("ip"), "netns", "exec", self.ns, require_program(args[0])] + \
            [str(a) for a in args[1:]]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=20)
        if check and r.returncode != 0:
            raise AssertionError("%s: rc=%d\n%s%s" % (" ".join(cmd), r.returncode, r.stdout,
                                                      r.stderr))
        return r

    def up(self):
        subprocess.run([require_program("ip"), "netns", "add", self.ns], check=True, timeout=10)
        self.made = True
        self.sh("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
        self.sh("sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1")
        self.sh("ip", "link", "set", "lo", "up")
        for x in ("a", "b"):
            self.sh("ip", "link", "add", x + "1", "type", "veth", "peer", "name", x + "2")
            self.sh("ip", "link", "set", x + "1", "up")
            self.sh("ip", "link", "set", x + "2", "up")

    def send(self, ifname, n):
        self.sh(PY, "-c", SEND, ifname, n)

    def wait_metric(self, name, labels, want, limit=3):
        """Seconds until /metrics showed it (None when it did not within limit)."""
        r = self.sh(PY, "-c", WAIT_METRIC, name, labels, want, limit, check=False)
        return float(r.stdout) if r.returncode == 0 else None

    def down(self):
        if self.made:
            subprocess.run([require_program("ip"), "netns", "del", self.ns], timeout=10)


@pytest.fixture
def wires():
    if os.geteuid() != 0:
        pytest.skip("not root: cannot create network namespaces")
    w = Wires()
    yield w
    w.down()


@pytest.mark.parametrize("kind", ["af_packet", "pcap"])
def test_kernel_interface_peer_vanishes(wires, tmp_path, kind):
    """Steps: in a network namespace, natprobe inline on two veth ends a1, b1
    (net_af_packet iface=, or net_pcap iface=); 200 frames into a2; b2 set down, 200
    more; b2 up, 200 more; then the veth pair a1-a2 deleted under natprobe; natprobe
    stopped (SIGTERM).
    Verifies: the first 200 are forwarded to b; with b2 down natprobe_port_link_up{b}
    is 0 within a second (the interface's carrier: the PMDs report their link up from
    start to stop), the log says "port 'b' (segment s): link down; ... (interface b1
    has no carrier)" and the next 200 are counted as dropped on b; with b2 up the link
    is 1 again and the last 200 are forwarded; after the deletion link_up{a} is 0 and
    the log says "(interface a1 is gone)"; natprobe lives through all of it and exits 0
    with its exit counters: 600 received on a, 400 sent on b, 200 dropped (less what the
    kernel dropped before natprobe's socket, counted as rx_missed on a: under load the
    pcap PMD's ring overflows; every frame is forwarded, dropped or missed, in the counters)."""
    wires.up()
    dev = "net_af_packet%d,iface=%s" if kind == "af_packet" else "net_pcap%d,iface=%s"
    ports = [("a", dev % (0, "a1")), ("b", dev % (1, "b1"))]
    text = config_text(ports, [("s", "inline", ["a", "b"])]).replace(
        'metrics_listen: ""', 'metrics_listen: "%s"' % NS_METRICS)
    cfg = tmp_path / "natprobe.yaml"
    cfg.write_text(text)
    out, err = tmp_path / "probe.out", tmp_path / "probe.err"
    with open(out, "w") as o, open(err, "w") as e:
        p = subprocess.Popen([require_program("ip"), "netns", "exec", wires.ns,
                              str(natprobe_path()), "run", "-c", str(cfg), "--duration",
                              str(BOUND_S)], stdout=o, stderr=e, start_new_session=True)
    try:
        def describe():
            now = wires.sh(PY, "-c", "import urllib.request; print(urllib.request.urlopen("
                           "'http://%s/metrics', timeout=2).read().decode())" % NS_METRICS,
                           check=False).stdout
            ports = "\n".join(ln for ln in now.splitlines() if ln.startswith("natprobe_port_"))
            return "rc=%s\n%s\n%s\n%s" % (p.poll(), ports, out.read_text()[-2000:],
                                          err.read_text())

        def logged(fragment):
            return [ln for ln in err.read_text().splitlines() if fragment in ln]

        # No scrape before EAL has started: a packet socket takes frames from every
        # interface until the af_packet PMD binds it to its own, and the refused
        # connections of early scrapes on lo would reach natprobe's ports as frames.
        assert wait_for(lambda: "serving Prometheus metrics" in err.read_text() or
                        p.poll() is not None, 20), describe()
        assert wires.wait_metric("natprobe_port_link_up", 'port="b"', 1, 10) is not None, \
            describe()
        # Every frame sent is forwarded, counted as dropped on b, or counted as missed
        # on a (the kernel's socket ring overflowed while the worker was descheduled:
        # net_pcap's libpcap drops, reported as rx_missed), never lost silently.
        accounted = ("natprobe_port_tx_packets_total+natprobe_port_dropped_packets_total"
                     "+natprobe_port_rx_missed_total", 'port="b"+port="b"+port="a"')
        wires.send("a2", 200)
        assert wires.wait_metric(*accounted, 200, 10) is not None, describe()
        wires.sh("ip", "link", "set", "b2", "down")
        took = wires.wait_metric("natprobe_port_link_up", 'port="b"', 0)
        assert took is not None and took < 1.0, describe()
        assert wait_for(lambda: logged("port 'b' (segment s): link down; natprobe stops "
                                       "polling it (interface b1 has no carrier)"), 1), describe()
        wires.send("a2", 200)
        assert wires.wait_metric(*accounted, 400, 10) is not None, describe()
        wires.sh("ip", "link", "set", "b2", "up")
        assert wires.wait_metric("natprobe_port_link_up", 'port="b"', 1) is not None, \
            describe()
        wires.send("a2", 200)
        assert wires.wait_metric(*accounted, 600, 10) is not None, describe()
        wires.sh("ip", "link", "del", "a2")
        assert wires.wait_metric("natprobe_port_link_up", 'port="a"', 0) is not None, \
            describe()
        assert wait_for(lambda: logged("(interface a1 is gone)"), 1), describe()
        assert p.poll() is None, describe()
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(timeout=15)
        assert p.returncode == 0, describe()
        c = Counters.parse(out.read_text())
        rx, missed = (c.value("natprobe_port_rx_packets_total", port="a"),
                      c.value("natprobe_port_rx_missed_total", port="a"))
        tx, dropped = (c.value("natprobe_port_tx_packets_total", port="b"),
                       c.value("natprobe_port_dropped_packets_total", port="b"))
        assert rx + missed == 600 and tx + dropped == rx, describe()
        # all but the kernel's misses: 400 forwarded while b was up, 200 dropped while down
        assert 400 - missed <= tx <= 400 and 200 - missed <= dropped <= 200, describe()
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def test_bench_config_is_valid(probe):
    """Steps: natprobe check-config config/bench-memif.yaml (the recipe's config,
    docs/performance.md).
    Verifies: exit 0, "FILE: ok"; its two ports are memif servers on the sockets the
    recipe's clients name."""
    from conftest import REPO_ROOT
    path = REPO_ROOT / "config" / "bench-memif.yaml"
    r = probe.check_config(path)
    assert r.rc == 0 and r.stdout.strip() == "%s: ok" % path, r.describe()
    text = path.read_text()
    for sock in ("natprobe-gen", "natprobe-sink"):
        assert "role=server,socket=%s," % sock in text
