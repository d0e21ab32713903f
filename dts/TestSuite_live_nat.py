# SPDX-License-Identifier: BSD-3-Clause
"""The seed failure on a real kernel NAT, watched live by natprobe.

Topology (network namespaces, unique per run, torn down even on failure):

    npC (Expressway-C 10.0.30.2) --inside veth-- npFW --dmz veth-- npE (Expressway-E 10.0.10.2)
                                 10.0.30.1    (nftables)   10.0.10.1

npFW DNATs E's public address 198.51.100.10:7003 to 10.0.10.2:7003 and refuses
(TCP RST) any other port of 198.51.100.10 from the inside. In the failing case
it also source-NATs C's traversal connection to 198.51.100.10:4401, E's own
public address (NAT reflection, the seed); the healthy twin does not.

dts/live_nat_peer.py plays E and C (cleartext SIP over TCP: E's SERVICE with a
Route naming the source E saw, C's 408 or 200). natprobe runs inside npFW with
two passive net_af_packet segments on the firewall's veth ends, writes records
to a file and serves /metrics, which a real Prometheus server scrapes.

Skipped only when network namespaces cannot be created (not root, `ip netns add` fails).
"""

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import Counters, natprobe_path, require_binary, require_program

HERE = Path(__file__).resolve().parent
PEER = HERE / "live_nat_peer.py"
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
PROMETHEUS = "/usr/bin/prometheus"

C_ADDR, FW_IN, FW_DMZ, E_ADDR = "10.0.30.2", "10.0.30.1", "10.0.10.1", "10.0.10.2"
E_PUB = "198.51.100.10"
TRAV_PORT, C_PORT, SNAT_PORT = 7003, 27901, 4401
METRICS_PORT, PROM_PORT = 9109, 9090      # loopback of npFW: private to this run

_ids = itertools.count()


def sh(*args, ns=None, check=True, timeout=10):
    require_program(args[0])
    cmd = (["ip", "netns", "exec", ns] if ns else []) + [str(a) for a in args]
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError("%s: rc=%d\n%s%s" % (" ".join(cmd), r.returncode, r.stdout,
                                                  r.stderr))
    return r


def can_netns():
    if os.geteuid() != 0:
        return "not root: cannot create network namespaces"
    require_program("ip")
    name = "npchk%d" % os.getpid()
    try:
        r = subprocess.run(["ip", "netns", "add", name], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "ip netns add failed: %s" % e
    if r.returncode != 0:
        return "ip netns add failed: %s" % r.stderr.strip()
    subprocess.run(["ip", "netns", "del", name], timeout=10)
    return None


@pytest.fixture(scope="module", autouse=True)
def _need_netns():
    why = can_netns()
    if why:
        pytest.skip(why)
    require_program("nft")


class Lab:
    """Three namespaces joined by two veth pairs, and the firewall's nftables."""

    def __init__(self, snat):
        n = "%d%d" % (os.getpid() % 100000, next(_ids))
        self.c, self.fw, self.e = "npC" + n, "npFW" + n, "npE" + n
        self.c_if, self.fw_in = "vCi" + n, "vFWi" + n      # <= 15 characters
        self.fw_dmz, self.e_if = "vFWd" + n, "vEd" + n
        self.snat = snat
        self.procs = []

    def up(self):
        for ns in (self.c, self.fw, self.e):
            sh("ip", "netns", "add", ns)
            sh("ip", "link", "set", "lo", "up", ns=ns)
        sh("ip", "link", "add", self.c_if, "type", "veth", "peer", "name", self.fw_in)
        sh("ip", "link", "add", self.fw_dmz, "type", "veth", "peer", "name", self.e_if)
        for ifn, ns in ((self.c_if, self.c), (self.fw_in, self.fw),
                        (self.fw_dmz, self.fw), (self.e_if, self.e)):
            sh("ip", "link", "set", ifn, "netns", ns)
        for ns, ifn, addr in ((self.c, self.c_if, C_ADDR), (self.fw, self.fw_in, FW_IN),
                              (self.fw, self.fw_dmz, FW_DMZ), (self.e, self.e_if, E_ADDR)):
            sh("ip", "addr", "add", addr + "/24", "dev", ifn, ns=ns)
            sh("ip", "link", "set", ifn, "up", ns=ns)
        sh("ip", "route", "add", "default", "via", FW_IN, ns=self.c)
        sh("ip", "route", "add", "default", "via", FW_DMZ, ns=self.e)
        sh("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=self.fw)
        # E's public address lies behind the dmz; only :7003 is published (DNAT).
        sh("ip", "route", "add", E_PUB + "/32", "via", E_ADDR, ns=self.fw)
        snat = ""
        if self.snat:
            snat = ('oifname "%s" ip saddr %s ip daddr %s tcp dport %d snat ip to %s:%d\n'
                    % (self.fw_dmz, C_ADDR, E_ADDR, TRAV_PORT, E_PUB, SNAT_PORT))
        rules = """
table ip np {
  chain np_pre {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "%(fi)s" ip daddr %(pub)s tcp dport %(tp)d dnat ip to %(e)s:%(tp)d
  }
  chain np_post {
    type nat hook postrouting priority srcnat; policy accept;
    %(snat)s
  }
  chain np_fwd {
    type filter hook forward priority filter; policy accept;
    iifname "%(fi)s" ip daddr %(pub)s tcp dport != %(tp)d reject with tcp reset
  }
}
""" % dict(fi=self.fw_in, pub=E_PUB, tp=TRAV_PORT, e=E_ADDR, snat=snat)
        p = subprocess.run(["ip", "netns", "exec", self.fw, "nft", "-f", "-"], input=rules,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=10)
        assert p.returncode == 0, "nft -f failed: %s\n%s" % (p.stderr, rules)

    def spawn(self, ns, args, **kw):
        require_program(args[0])
        p = subprocess.Popen(["ip", "netns", "exec", ns] + [str(a) for a in args],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def down(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                p.communicate(timeout=5)
            except (subprocess.TimeoutExpired, ValueError):
                pass
        for ns in (self.c, self.fw, self.e):      # deleting a ns deletes its veths
            subprocess.run(["ip", "netns", "del", ns], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=10)


@pytest.fixture
def lab_factory():
    labs = []

    def make(snat):
        lab = Lab(snat)
        labs.append(lab)
        lab.up()
        return lab
    yield make
    for lab in labs:
        lab.down()


def http_get(lab, url, timeout=2):
    """GET url from inside npFW; (status, body) or (None, error)."""
    code = ("import sys,urllib.request\n"
            "try:\n"
            "  r=urllib.request.urlopen(sys.argv[1],timeout=%d)\n"
            "  sys.stdout.write(str(r.status)+'\\n'+r.read().decode())\n"
            "except Exception as e:\n"
            "  sys.stdout.write('0\\n'+str(e))\n" % timeout)
    r = sh(PY, "-c", code, url, ns=lab.fw, check=False, timeout=timeout + 5)
    status, _, body = r.stdout.partition("\n")
    return (int(status) if status.isdigit() and status != "0" else None), body


def wait_for(pred, timeout, step=0.2):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= deadline:
            return v
        time.sleep(step)


def start_natprobe(lab, tmp_path):
    binary = require_binary(natprobe_path())
    rec = tmp_path / "records.jsonl"
    cfg = tmp_path / "natprobe.yaml"
    cfg.write_text("""eal:
  main_lcore: 0
  worker_lcores: [1]
  no_huge: true
  memory_mb: 512
  file_prefix: live%s
ports:
  - name: fw_inside
    device: "net_af_packet0,iface=%s"
  - name: fw_dmz
    device: "net_af_packet1,iface=%s"
segments:
  - name: inside
    mode: passive
    ports: [fw_inside]
  - name: dmz
    mode: passive
    ports: [fw_dmz]
datapath:
  mbufs: 4095
export:
  metrics_listen: "127.0.0.1:%d"
  records_file: %s
""" % (lab.fw, lab.fw_in, lab.fw_dmz, METRICS_PORT, rec))
    p = lab.spawn(lab.fw, [binary, "run", "-c", cfg, "--duration", "60"])
    url = "http://127.0.0.1:%d/metrics" % METRICS_PORT
    up = wait_for(lambda: p.poll() is not None or http_get(lab, url)[0] == 200, 10)
    if p.poll() is not None or not up:
        stop(p)
        pytest.fail("natprobe did not come up in npFW (rc=%s)\n%s\n%s"
                    % (p.returncode, p.stdout.read()[-3000:], p.stderr.read()[-3000:]),
                    pytrace=False)
    return p, rec


def stop(p, timeout=10):
    """SIGTERM (then SIGKILL) a spawned process group; (rc, stdout, stderr)."""
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGTERM)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
    return p.returncode, out, err


def run_peers(lab, body_bytes=0):
    """E listens, C connects; both exit by themselves. [(rc, json, stderr)] for E, C."""
    e = lab.spawn(lab.e, [PY, PEER, "e", "%s:%d" % (E_ADDR, TRAV_PORT), E_PUB]
                  + ([str(body_bytes)] if body_bytes else []))
    line = e.stdout.readline()         # E prints once it listens (bounded by its timeouts)
    assert "listening" in line, "E peer did not start: %s %s" % (line, e.stderr.read())
    c = lab.spawn(lab.c, [PY, PEER, "c", "%s:%d" % (C_ADDR, C_PORT),
                          "%s:%d" % (E_PUB, TRAV_PORT)])
    res = []
    for p in (e, c):
        try:
            out, err = p.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            out, err = p.communicate()
        lines = [x for x in out.splitlines() if x.strip()]
        res.append((p.returncode, json.loads(lines[-1]) if lines else None, err))
    return res


def read_records(rec):
    if not rec.exists():
        return []
    return [json.loads(x) for x in rec.read_text().splitlines() if x.strip()]


def types_of(recs):
    return {r["type"] for r in recs if r.get("kind") in ("anomaly", "incident")}


def start_prometheus(lab, tmp_path):
    require_program(PROMETHEUS)
    conf = tmp_path / "prometheus.yml"
    conf.write_text("""global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: natprobe
    scrape_interval: 1s
    scrape_timeout: 1s
    static_configs:
      - targets: ["127.0.0.1:%d"]
""" % METRICS_PORT)
    (tmp_path / "tsdb").mkdir()
    return lab.spawn(lab.fw, [PROMETHEUS, "--config.file=%s" % conf,
                              "--storage.tsdb.path=%s" % (tmp_path / "tsdb"),
                              "--web.listen-address=127.0.0.1:%d" % PROM_PORT,
                              "--log.level=warn"])


def prom_query(lab, q):
    import urllib.parse
    st, body = http_get(lab, "http://127.0.0.1:%d/api/v1/query?query=%s"
                        % (PROM_PORT, urllib.parse.quote(q)))
    if st != 200:
        return None
    try:
        res = json.loads(body)["data"]["result"]
    except (ValueError, KeyError):
        return None
    return max((float(r["value"][1]) for r in res), default=None)


def test_live_nat_reflection_misroute(lab_factory, tmp_path):
    """Steps: the seed's firewall on kernel NAT (DNAT 198.51.100.10:7003 -> 10.0.10.2
    and SNAT of C to 198.51.100.10:4401); natprobe passive on both firewall veths;
    E sends a SERVICE routed to the source it saw, C follows it, gets a RST,
    answers 408; Prometheus scrapes natprobe.
    Verifies: the peers saw the seed (Route 198.51.100.10:4401, refused, 408);
    the records hold the binding, hairpin_snat, translated_route,
    phantom_connect, sip_timeout and one nat_reflection_misroute incident naming
    10.0.30.2 and 198.51.100.10; Prometheus reads
    natprobe_incidents_total{type="nat_reflection_misroute"} >= 1."""
    lab = lab_factory(snat=True)
    probe, rec = start_natprobe(lab, tmp_path)
    prom = start_prometheus(lab, tmp_path)
    (erc, eout, eerr), (crc, cout, cerr) = run_peers(lab)
    assert erc == 0 and crc == 0, "peers failed: E %s %s C %s %s" % (erc, eerr, crc, cerr)
    assert eout["route"] == "%s:%d" % (E_PUB, SNAT_PORT), eout
    assert eout["status"] == "SIP/2.0 408 Request Timeout", eout
    assert cout["routed"] == "refused", cout

    def incident():
        return [r for r in read_records(rec) if r.get("kind") == "incident"]
    wait_for(incident, 8)
    recs = read_records(rec)
    assert {"hairpin_snat", "translated_route", "phantom_connect", "sip_timeout",
            "nat_reflection_misroute"} <= types_of(recs), json.dumps(recs, indent=1)
    assert "binding" in [r["kind"] for r in recs]
    inc = [r for r in recs if r.get("kind") == "incident"]
    assert len(inc) == 1 and inc[0]["type"] == "nat_reflection_misroute", inc
    text = json.dumps(inc[0])
    assert C_ADDR in text and E_PUB in text, text

    value = wait_for(lambda: (prom_query(
        lab, 'natprobe_incidents_total{type="nat_reflection_misroute"}') or 0) >= 1, 20, 1)
    assert value, "Prometheus never read the incident counter (prometheus rc=%s: %s)" % (
        prom.poll(), "" if prom.poll() is None else prom.stderr.read()[-2000:])
    stop(prom)
    rc, out, err = stop(probe)
    assert rc == 0, "natprobe rc=%s\n%s" % (rc, err[-3000:])
    c = Counters.parse(out)
    assert c.value("natprobe_incidents_total", type="nat_reflection_misroute") == 1, out
    for seg in ("inside", "dmz"):
        assert c.value("natprobe_segment_frames_total", segment=seg, **{"class": "tcp"}) > 0, out


def test_live_healthy_dnat_only(lab_factory, tmp_path):
    """Steps: the same lab without SNAT (destination NAT only); E's Route names
    10.0.30.2:27901, C answers 200 OK itself.
    Verifies: natprobe learned the binding and writes no anomaly, no incident;
    its exit counters show no anomaly and no incident."""
    lab = lab_factory(snat=False)
    probe, rec = start_natprobe(lab, tmp_path)
    (erc, eout, eerr), (crc, cout, cerr) = run_peers(lab)
    assert erc == 0 and crc == 0, "peers failed: E %s %s C %s %s" % (erc, eerr, crc, cerr)
    assert eout["route"] == "%s:%d" % (C_ADDR, C_PORT), eout
    assert eout["status"] == "SIP/2.0 200 OK", eout
    assert cout["routed"] == "self", cout
    time.sleep(3)                         # incidents settle 2 s after their evidence
    rc, out, err = stop(probe)
    assert rc == 0, "natprobe rc=%s\n%s" % (rc, err[-3000:])
    recs = read_records(rec)
    assert "binding" in [r["kind"] for r in recs], json.dumps(recs, indent=1)
    assert types_of(recs) == set(), json.dumps(recs, indent=1)
    c = Counters.parse(out)
    assert sum(v for _l, v in c.series("natprobe_anomalies_total")) == 0
    assert sum(v for _l, v in c.series("natprobe_incidents_total")) == 0


def test_live_gso_service_whole(lab_factory, tmp_path):
    """Steps: the seed's firewall as above, its veths with TSO and GSO on
    (ethtool -k says so); E sends a 3.4 KB SERVICE (an XML body) in one write,
    which crosses the veths as one GSO frame; tcpdump on the firewall's
    inside veth records the frame sizes; natprobe passive on both firewall
    veths (net_af_packet, default datapath.mtu, no framesz given).
    Verifies: frames longer than 2048 bytes (the PMD's default ring frame)
    crossed the firewall; natprobe said at start-up in one line that it sized
    the rings for the offloads it saw; no frame reached it cut (no truncated
    class on either segment); it parsed the SERVICE on both segments and wrote
    translated_route naming the translated source, the binding and the
    nat_reflection_misroute incident."""
    lab = lab_factory(snat=True)
    for ifn in (lab.fw_in, lab.fw_dmz):
        sh("ethtool", "-K", ifn, "tso", "on", "gso", "on", ns=lab.fw, check=False)
        feats = sh("ethtool", "-k", ifn, ns=lab.fw).stdout
        assert "tcp-segmentation-offload: on" in feats, feats
    cap = tmp_path / "fw_in.pcap"
    td = lab.spawn(lab.fw, ["tcpdump", "-i", lab.fw_in, "--immediate-mode", "-B", "65536",
                            "-U", "-n", "-w", cap, "tcp"])
    assert "listening" in td.stderr.readline()
    probe, rec = start_natprobe(lab, tmp_path)
    (erc, eout, eerr), (crc, cout, cerr) = run_peers(lab, body_bytes=2800)
    assert erc == 0 and crc == 0, "peers failed: E %s %s C %s %s" % (erc, eerr, crc, cerr)
    assert eout["sent"] > 3000 and eout["route"] == "%s:%d" % (E_PUB, SNAT_PORT), eout

    def incident():
        return [r for r in read_records(rec) if r.get("kind") == "incident"]
    wait_for(incident, 8)
    rc, out, err = stop(probe)
    stop(td)
    assert rc == 0, "natprobe rc=%s\n%s" % (rc, err[-3000:])
    sizes = subprocess.run([require_program("tshark"), "-r", str(cap), "-T", "fields", "-e", "frame.len"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                           timeout=30).stdout.split()
    assert max(int(x) for x in sizes) > 2048, "no GSO frame crossed the firewall: %s" % sizes
    lines = [x for x in err.splitlines() if "frames up to 64 KiB" in x]
    assert len(lines) == 2 and "framesz=" in lines[0], err[-3000:]
    c = Counters.parse(out)
    for seg in ("inside", "dmz"):
        assert c.value("natprobe_segment_frames_total", segment=seg,
                       **{"class": "truncated"}) == 0, out
        assert c.value("natprobe_sip_requests_total", segment=seg, method="SERVICE") == 1, out
    recs = read_records(rec)
    tr = [r for r in recs if r.get("type") == "translated_route"]
    assert tr and tr[0]["endpoint"] == "%s:%d" % (E_PUB, SNAT_PORT), json.dumps(recs, indent=1)
    assert "binding" in [r["kind"] for r in recs]
    assert "nat_reflection_misroute" in types_of(recs), json.dumps(recs, indent=1)


# Holds AF_PACKET fanout group argv[2] on interface argv[1] until killed.
FANOUT_HOLDER = """
import socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((sys.argv[1], 0))
s.setsockopt(263, 18, int(sys.argv[2]))   # SOL_PACKET, PACKET_FANOUT, type hash
print("held", flush=True)
time.sleep(60)
"""


def test_af_packet_fanout_group_taken(tmp_path):
    """Steps: two veth pairs in a namespace; another process holds AF_PACKET
    fanout group (1 ^ ifindex of A) on interface C; natprobe run, passive
    net_af_packet on A, as PID 1 of a PID namespace of its own (unshare), so
    that the group DPDK's af_packet driver derives for A, PID ^ ifindex, is
    that one; then the same with the holder gone.
    Verifies: with the group held, natprobe exits 1 (a failure another start
    may not meet: systemd's unit restarts on 1, not on 2) before starting
    DPDK, with one line naming the port, the group's number and what to do
    (not EAL's "did not start"); without it, the same start runs and exits 0."""
    from capture_tools import Netns
    binary = require_binary(natprobe_path())
    unshare = require_program("unshare")
    lab = Netns()
    try:
        ns = lab.ns("g")
        a, b, c, d = (lab.ifname(x) for x in ("ga", "gb", "gc", "gd"))
        lab.veth(ns, a, ns, b)
        lab.veth(ns, c, ns, d)
        for i in (a, b, c, d):
            lab.sh(ns, "ip", "link", "set", i, "up")
        index = int(lab.sh(ns, "cat", "/sys/class/net/%s/ifindex" % a).stdout)
        group = (1 ^ index) & 0xffff
        cfg = tmp_path / "fanout.yaml"
        cfg.write_text(
            "eal:\n  main_lcore: 0\n  worker_lcores: [1]\n  no_huge: true\n"
            "  memory_mb: 256\n  file_prefix: fo%d\n"
            "ports:\n  - name: wire\n    device: \"net_af_packet0,iface=%s\"\n"
            "segments:\n  - name: s\n    mode: passive\n    ports: [wire]\n"
            "datapath:\n  mbufs: 4095\nexport:\n  metrics_listen: \"\"\n" % (os.getpid(), a))
        run = [unshare, "--pid", "--fork", "--mount-proc", str(binary), "run", "-c", cfg,
               "--duration", "1"]
        holder = lab.spawn(ns, ["/usr/bin/python3", "-c", FANOUT_HOLDER, c, group])
        assert holder.stdout.readline().strip() == "held", holder.stderr.read()
        r = lab.sh(ns, *run, check=False, timeout=30)
        assert r.returncode == 1, (r.stdout[-2000:], r.stderr)
        lines = [x for x in r.stderr.splitlines() if "fanout" in x]
        assert len(lines) == 1, r.stderr
        assert "port 'wire'" in lines[0] and "fanout group %d " % group in lines[0], lines[0]
        assert "start natprobe again" in lines[0] and "did not start" not in r.stderr, r.stderr
        holder.kill()
        holder.wait()
        r = lab.sh(ns, *run, check=False, timeout=30)
        assert r.returncode == 0, (r.stdout[-2000:], r.stderr)
        assert "fanout" not in r.stderr, r.stderr
    finally:
        lab.down()


def test_af_packet_framesz_sizes_the_mbufs(tmp_path):
    """Steps: a veth pair in a namespace; natprobe run, passive net_af_packet
    on one end, for 1 s: with framesz=9216,blocksz=36864 in the device string
    (ring frames larger than the default 2048-byte mbufs), then with
    framesz=70000.
    Verifies: the first starts and exits 0 (its mbufs are sized to hold the
    ring frames; the PMD refused to start before); the second exits 2 before
    starting DPDK with one line naming ports[0].device, framesz and the
    largest value allowed."""
    from capture_tools import Netns
    binary = require_binary(natprobe_path())
    lab = Netns()
    try:
        ns = lab.ns("f")
        a, b = lab.ifname("fa"), lab.ifname("fb")
        lab.veth(ns, a, ns, b)
        for i in (a, b):
            lab.sh(ns, "ip", "link", "set", i, "up")
        for framesz, want_rc in (("9216,blocksz=36864", 0), ("70000", 2)):
            cfg = tmp_path / ("fz%s.yaml" % want_rc)
            cfg.write_text(
                "eal:\n  main_lcore: 0\n  worker_lcores: [1]\n  no_huge: true\n"
                "  memory_mb: 512\n  file_prefix: fz%d%d\n"
                "ports:\n  - name: p\n    device: \"net_af_packet0,iface=%s,framesz=%s\"\n"
                "segments:\n  - name: s\n    mode: passive\n    ports: [p]\n"
                "datapath:\n  mbufs: 4095\nexport:\n  metrics_listen: \"\"\n"
                % (os.getpid(), want_rc, a, framesz))
            r = lab.sh(ns, str(binary), "run", "-c", cfg, "--duration", "1", check=False,
                       timeout=30)
            assert r.returncode == want_rc, (framesz, r.stdout[-2000:], r.stderr)
            if want_rc:
                lines = [x for x in r.stderr.splitlines() if x.strip()]
                assert len(lines) == 1 and "ports[0].device" in lines[0], r.stderr
                assert "framesz=70000" in lines[0] and "65408" in lines[0], r.stderr
    finally:
        lab.down()
