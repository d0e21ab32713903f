# SPDX-License-Identifier: BSD-3-Clause
"""Overload: every table natprobe keeps is overrun in turn, inline.

One case per cause of loss (issue #9): event ring full, flow table full,
SIP-over-TCP reassembly pool exhausted, NAT binding table full, records file
unwritable (a full disk: /dev/full), records file removed with its directory.
Each case shrinks the table in the config, replays scapy-built traffic that
overruns it through inline net_pcap port pairs (rx_pcap = what the wire
sends, tx_pcap = what natprobe forwards), and checks:

- forwarding is untouched: each port's tx capture is byte for byte, in
  order, the frames its peer port received;
- the loss is counted under its own cause, and the count is visible on
  /metrics while the probe runs (export.metrics_listen on a free loopback
  port) as well as in the counters printed at exit;
- the other causes of loss stay at 0, so each counter means what it says.

Each probe is bounded by --duration and stopped with SIGTERM once /metrics
shows every frame handled; the suite takes about a minute.
"""

import os
import random
import shutil
import signal
import time
import urllib.request

import pytest

from conftest import (SCENARIOS, Background, Counters, config_text, frames_diff, free_listen, pcap_device,
                      read_frames, unique_prefix, write_frames)

SEED = SCENARIOS / "seed_misroute"
BOUND_S = 60            # --duration of every probe: the last resort if SIGTERM fails
SETTLE_S = 20           # until /metrics shows every frame handled
MAC_L = "02:00:00:00:00:01"
MAC_R = "02:00:00:00:00:02"

# Every counter of a loss, by cause; a case names the one it provokes.
LOSSES = {
    "event_ring": "natprobe_event_ring_drops_total",
    "flow_table": "natprobe_flows_evicted_total",
    "reasm_pool": "natprobe_reasm_pool_exhausted_total",
    "binding_table": "natprobe_nat_table_full_total",
    "xlat_table": "natprobe_nat_xlat_full_total",
    "records": "natprobe_records_failed_total",
    "records_reopen": "natprobe_records_reopen_failures_total",
    "port_tx": "natprobe_port_dropped_packets_total",
    "rx_nombuf": "natprobe_port_rx_nombuf_total",
}


def total(c, name):
    """Sum of every series of a metric (per worker, per port)."""
    return sum(v for _, v in c.series(name))


# --------------------------------------------------------------------------
# The probe
# --------------------------------------------------------------------------

class Probe(Background):
    """`natprobe run` in the background with /metrics on a free loopback port."""

    def __init__(self, binary, tmp, text, prefix=()):
        self.listen = free_listen()
        assert 'metrics_listen: ""' in text
        text = text.replace('metrics_listen: ""', 'metrics_listen: "%s"' % self.listen)
        cfg = tmp / "overload.yaml"
        cfg.write_text(text)
        super().__init__(binary, cfg, tmp, BOUND_S, prefix)
        self.rc = None

    def scrape(self):
        with urllib.request.urlopen("http://%s/metrics" % self.listen, timeout=5) as r:
            assert r.status == 200
            return Counters.parse(r.read().decode())

    def wait_handled(self, frames):
        """Scrape /metrics until the worker handled `frames` frames and nothing
        moved for half a second (the control thread caught up); the last scrape."""
        deadline = time.monotonic() + SETTLE_S
        last, same_since = None, None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail("natprobe exited early\n" + self.describe(), pytrace=False)
            try:
                c = self.scrape()
            except OSError:
                time.sleep(0.2)
                continue
            key = sorted(c.samples.items())
            key = [(k, v) for k, v in key if "cycles" not in k[0] and "polls" not in k[0]]
            if total(c, "natprobe_worker_packets_total") >= frames and key == last:
                if time.monotonic() - same_since >= 0.5:
                    return c
            else:
                last, same_since = key, time.monotonic()
            time.sleep(0.2)
        pytest.fail("/metrics did not show %d frames handled within %d s\n%s"
                    % (frames, SETTLE_S, self.describe()), pytrace=False)

    def stop(self):
        """SIGTERM; the counters printed at exit."""
        self.rc, c = super().stop()
        assert self.rc == 0, self.describe()
        assert len(c) > 0, "no counters at exit\n" + self.describe()
        return c


@pytest.fixture
def probes():
    started = []
    yield started
    for p in started:
        p.kill()


def inline_segment(tmp, name, left, right, index0, rx_left, rx_right):
    """Ports and segment of one inline pair: rx captures written, tx captures named.
    @return (ports, segment, {port: (tx file, frames it must hold)})"""
    rx_l = write_frames(tmp / ("%s_rx.pcap" % left), rx_left)
    rx_r = write_frames(tmp / ("%s_rx.pcap" % right), rx_right)
    tx_l, tx_r = tmp / ("%s_tx.pcap" % left), tmp / ("%s_tx.pcap" % right)
    ports = [(left, pcap_device(index0, rx_l, tx_l)), (right, pcap_device(index0 + 1, rx_r, tx_r))]
    return ports, (name, "inline", [left, right]), {left: (tx_l, rx_right),
                                                    right: (tx_r, rx_left)}


def p_describe(tmp):
    """The probe's config and output, for an assertion message."""
    return "\n".join("--- %s ---\n%s" % (n, (tmp / n).read_text()[-3000:])
                     for n in ("overload.yaml", "probe.out", "probe.err") if (tmp / n).exists())


def config(ports, segments, datapath, extra_top="", memory_mb=256):
    text = config_text(ports, segments, file_prefix=unique_prefix(), datapath=datapath)
    text = text.replace("memory_mb: 256", "memory_mb: %d" % memory_mb)
    return text + extra_top


def assert_forwarded(expect, describe):
    """Each tx capture holds exactly its peer's frames, byte for byte, in order."""
    for port, (tx, frames) in expect.items():
        d = frames_diff(read_frames(tx), [bytes(f) for f in frames])
        assert not d, "port %s forwarded differently: %s\n%s" % (port, d, describe())


def assert_losses(c, cause, where, describe, also=()):
    """The counter of `cause` > 0; every other loss counter 0 (but those in `also`)."""
    got = {k: total(c, name) for k, name in LOSSES.items()}
    assert got[cause] > 0, "%s: %s is 0\n%s" % (where, LOSSES[cause], describe())
    others = {k: v for k, v in got.items() if k != cause and k not in also and v}
    assert not others, "%s: other losses counted: %s\n%s" % (where, others, describe())


def run_case(probes, natprobe_bin, tmp, text, frames, cause, expect, also=(), until=None,
             prefix=()):
    """Start, wait until /metrics shows `frames` handled (and the family `until`
    above 0), check the cause there, stop, check the exit counters and the tx
    captures. @return (live, exit) counters."""
    p = Probe(natprobe_bin, tmp, text, prefix)
    probes.append(p)
    deadline = time.monotonic() + SETTLE_S
    live = p.wait_handled(frames)
    while until and total(live, until) < 1 and time.monotonic() < deadline:
        time.sleep(0.2)
        live = p.wait_handled(frames)
    assert_losses(live, cause, "/metrics", p.describe, also)
    end = p.stop()
    assert_losses(end, cause, "exit counters", p.describe, also)
    assert total(end, "natprobe_worker_packets_total") == frames, p.describe()
    for port, (_, rx) in expect.items():
        assert end.value("natprobe_port_tx_packets_total", port=port) == len(rx), p.describe()
    assert_forwarded(expect, p.describe)
    return live, end


# --------------------------------------------------------------------------
# Traffic
# --------------------------------------------------------------------------

def udp_flows(n, src_net="10.1", dst="203.0.113.10", dport=5000, seed=1):
    """n UDP flows: (requests left->right, answers right->left), distinct payloads."""
    from scapy.all import IP, UDP, Ether, Raw
    rnd = random.Random(seed)
    req, ans = [], []
    for i in range(n):
        src = "%s.%d.%d" % (src_net, 1 + i // 250, 1 + i % 250)
        sport = 20000 + i % 40000
        req.append(Ether(src=MAC_L, dst=MAC_R) / IP(src=src, dst=dst) /
                   UDP(sport=sport, dport=dport) / Raw(rnd.randbytes(48)))
        ans.append(Ether(src=MAC_R, dst=MAC_L) / IP(src=dst, dst=src) /
                   UDP(sport=dport, dport=sport) / Raw(rnd.randbytes(48)))
    return req, ans


def tcp_partial_sip(n, server="203.0.113.5", port=5060):
    """n TCP connections to a SIP port, all opened, then each sends the first
    half of a REGISTER; only then the second halves. @return (client frames,
    server frames)."""
    from scapy.all import IP, TCP, Ether, Raw
    cli, srv, opens, firsts, seconds = [], [], [], [], []
    for i in range(n):
        src, sport, isn, risn = "10.2.%d.%d" % (1 + i // 250, 1 + i % 250), 30000 + i, 1000, 5000
        msg = ("REGISTER sip:example.com SIP/2.0\r\n"
               "Via: SIP/2.0/TCP %s:%d;branch=z9hG4bK%06d\r\n"
               "From: <sip:u%d@example.com>;tag=%d\r\nTo: <sip:u%d@example.com>\r\n"
               "Call-ID: reg%06d@%s\r\nCSeq: 1 REGISTER\r\n"
               "Contact: <sip:u%d@%s:%d;transport=tcp>\r\nContent-Length: 0\r\n\r\n"
               % (src, sport, i, i, i, i, i, src, i, src, sport)).encode()
        half = len(msg) // 2
        ip_c = IP(src=src, dst=server)
        ip_s = IP(src=server, dst=src)
        opens.append(Ether(src=MAC_L, dst=MAC_R) / ip_c / TCP(sport=sport, dport=port,
                                                              flags="S", seq=isn))
        srv.append(Ether(src=MAC_R, dst=MAC_L) / ip_s / TCP(sport=port, dport=sport,
                                                            flags="SA", seq=risn, ack=isn + 1))
        opens.append(Ether(src=MAC_L, dst=MAC_R) / ip_c / TCP(sport=sport, dport=port,
                                                              flags="A", seq=isn + 1,
                                                              ack=risn + 1))
        firsts.append(Ether(src=MAC_L, dst=MAC_R) / ip_c /
                      TCP(sport=sport, dport=port, flags="PA", seq=isn + 1, ack=risn + 1) /
                      Raw(msg[:half]))
        seconds.append(Ether(src=MAC_L, dst=MAC_R) / ip_c /
                       TCP(sport=sport, dport=port, flags="PA", seq=isn + 1 + half,
                           ack=risn + 1) / Raw(msg[half:]))
    cli = opens + firsts + seconds
    return cli, srv


def sip_options(n, client="10.1.1.1", server="203.0.113.10"):
    """n SIP OPTIONS over one UDP flow (client:5060 -> server:5060) and their
    200 OK answers, each transaction its own Call-ID and branch.
    @return (requests left->right, answers right->left)."""
    from scapy.all import IP, UDP, Ether, Raw
    req, ans = [], []
    for i in range(n):
        head = ("Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK-%d;rport\r\n"
                "From: <sip:monitor@example.com>;tag=m%d\r\n"
                "To: <sip:ping@%s>%s\r\n"
                "Call-ID: opt-%d@%s\r\nCSeq: 1 OPTIONS\r\n"
                "Contact: <sip:monitor@%s:5060>\r\nContent-Length: 0\r\n\r\n")
        q = "OPTIONS sip:ping@%s SIP/2.0\r\nMax-Forwards: 70\r\n" % server + \
            head % (client, i, i, server, "", i, client, client)
        a = "SIP/2.0 200 OK\r\n" + \
            head % (client, i, i, server, ";tag=s%d" % i, i, client, server)
        req.append(Ether(src=MAC_L, dst=MAC_R) / IP(src=client, dst=server) /
                   UDP(sport=5060, dport=5060) / Raw(q.encode()))
        ans.append(Ether(src=MAC_R, dst=MAC_L) / IP(src=server, dst=client) /
                   UDP(sport=5060, dport=5060) / Raw(a.encode()))
    return req, ans


def nat_pairs(n, seed=7):
    """n UDP flows through a source NAT, seen on two segments.
    Inside: 10.3.x.y:4000 -> 203.0.113.20:6000; dmz: 198.51.100.1:(10000+i) ->
    203.0.113.20:6000; the same (distinct) payloads on both sides, as NAT
    leaves them. @return {port name: frames it receives} for the four ports
    c_side, fw_in (inside) and fw_dmz, e_side (dmz)."""
    from scapy.all import IP, UDP, Ether, Raw
    rnd = random.Random(seed)
    out = {"c_side": [], "fw_in": [], "fw_dmz": [], "e_side": []}
    server = "203.0.113.20"
    for i in range(n):
        priv = "10.3.%d.%d" % (1 + i // 250, 1 + i % 250)
        pub_port = 10000 + i
        q, a = rnd.randbytes(64), rnd.randbytes(64)
        out["c_side"].append(Ether(src=MAC_L, dst=MAC_R) / IP(src=priv, dst=server) /
                             UDP(sport=4000, dport=6000) / Raw(q))
        out["fw_dmz"].append(Ether(src=MAC_L, dst=MAC_R) / IP(src="198.51.100.1", dst=server) /
                             UDP(sport=pub_port, dport=6000) / Raw(q))
        out["e_side"].append(Ether(src=MAC_R, dst=MAC_L) / IP(src=server, dst="198.51.100.1") /
                             UDP(sport=6000, dport=pub_port) / Raw(a))
        out["fw_in"].append(Ether(src=MAC_R, dst=MAC_L) / IP(src=server, dst=priv) /
                            UDP(sport=6000, dport=4000) / Raw(a))
    return out


def seed_inline(tmp):
    """The seed scenario on two inline segments (both firewall legs), each
    direction from its own port. @return (ports, segments, expect, frames)."""
    mac_c, mac_fw_dmz = bytes.fromhex("005056a11e02"), bytes.fromhex("005056a1fe02")
    inside = read_frames(SEED / "inside.pcap")
    dmz = read_frames(SEED / "dmz.pcap")
    from_c = [f for f in inside if f[6:12] == mac_c]
    from_fw_in = [f for f in inside if f[6:12] != mac_c]
    from_fw_dmz = [f for f in dmz if f[6:12] == mac_fw_dmz]
    from_e = [f for f in dmz if f[6:12] != mac_fw_dmz]
    p1, s1, e1 = inline_segment(tmp, "inside", "c_side", "fw_in", 0, from_c, from_fw_in)
    p2, s2, e2 = inline_segment(tmp, "dmz", "fw_dmz", "e_side", 2, from_fw_dmz, from_e)
    e1.update(e2)
    return p1 + p2, [s1, s2], e1, len(inside) + len(dmz)


SEED_STATIC = "nat:\n  static:\n    - private: 10.0.10.2\n      public: 64.100.0.10\n"


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

def test_event_ring_full(probes, natprobe_bin, tmp_path):
    """Event ring full: events are dropped and counted, frames are not.

    Steps:
      1. 3,000 UDP flows (a request from port a's side, an answer from b's),
         one inline segment over net_pcap ports a and b.
      2. datapath.event_ring_size: 64 (the minimum); every other table at
         its default, large enough for this traffic.
      3. natprobe run; once /metrics shows the 6,000 frames handled, scrape
         it; SIGTERM.
    Verifies:
      - a's tx capture = b's frames and b's = a's, byte for byte, in order;
      - natprobe_event_ring_drops_total > 0 on /metrics and at exit; events
        pushed + dropped >= 3,000 (at least one per new flow), and the
        control thread correlated no more flow events than were pushed;
      - no other loss counted (flow evictions, reassembly, binding table,
        records, port drops, rx_nombuf all 0).
    """
    req, ans = udp_flows(3000)
    ports, seg, expect = inline_segment(tmp_path, "wire", "a", "b", 0, req, ans)
    text = config(ports, [seg], {"event_ring_size": 64})
    live, end = run_case(probes, natprobe_bin, tmp_path, text, 6000, "event_ring", expect)
    # Flow events of 3,000 new flows: far more than a 64-entry ring holds.
    made = total(end, "natprobe_events_total") + total(end, "natprobe_event_ring_drops_total")
    assert made >= 3000, "only %d events made for 3,000 flows" % made
    assert total(end, "natprobe_control_flow_events_total") <= total(end, "natprobe_events_total")


def test_sip_ring_full(probes, natprobe_bin, tmp_path):
    """SIP ring full: summaries are dropped whole and counted, none is lost
    or torn, frames are not dropped.

    Steps:
      1. 4,000 SIP OPTIONS over one UDP flow and their 4,000 200 OKs, one
         inline segment over net_pcap ports a and b (a worker packs a burst's
         summaries and enqueues them after the burst).
      2. datapath.event_ring_size: 64 (a SIP ring of 1,024 64-byte slots:
         ~170 of these summaries); the control thread sleeps a millisecond
         when it finds the rings empty, so the worker's first bursts fill it.
      3. natprobe run; once /metrics shows the 8,000 frames handled, scrape
         it; SIGTERM.
    Verifies:
      - a's tx capture = b's frames and b's = a's, byte for byte, in order;
      - every frame's message was parsed (sip_requests_total, 4,000 OPTIONS;
        sip_responses_total, 4,000 2xx);
      - natprobe_event_ring_drops_total > 0, and every summary is either
        correlated or dropped: control_sip_messages_total + drops = 8,000
        (the flow's few flow events go to the other ring, never full here);
      - what was pushed was taken: events_total = control_sip_messages_total
        + control_flow_events_total, and no summary failed to unpack (the
        control thread logs that once);
      - no other loss counted.
    """
    req, ans = sip_options(4000)
    ports, seg, expect = inline_segment(tmp_path, "wire", "a", "b", 0, req, ans)
    text = config(ports, [seg], {"event_ring_size": 64})
    live, end = run_case(probes, natprobe_bin, tmp_path, text, 8000, "event_ring", expect)
    assert total(end, "natprobe_sip_requests_total") == 4000, p_describe(tmp_path)
    assert end.value("natprobe_sip_responses_total", segment="wire", **{"class": "2xx"}) == 4000
    drops = total(end, "natprobe_event_ring_drops_total")
    sip = total(end, "natprobe_control_sip_messages_total")
    flow = total(end, "natprobe_control_flow_events_total")
    assert sip + drops == 8000, "%d correlated + %d dropped\n%s" % (sip, drops, p_describe(tmp_path))
    assert total(end, "natprobe_events_total") == sip + flow, p_describe(tmp_path)
    assert "could not be read" not in p_describe(tmp_path)


def test_flow_table_full(probes, natprobe_bin, tmp_path):
    """Flow table full: the least recently used flow is evicted and counted.

    Steps:
      1. 5,000 UDP flows (request a->b, answer b->a) on one inline segment.
      2. datapath.flow_table_size: 1024 (the minimum); event_ring_size
         32768 so that no event is lost on the way.
      3. natprobe run; scrape /metrics once every frame is handled; SIGTERM.
    Verifies:
      - tx captures byte-identical to the peers' rx captures;
      - natprobe_flows_evicted_total > 0 (/metrics and exit), the table never
        above 1024 flows (natprobe_flows_active), every flow created;
      - no other loss counted (event ring, reassembly, bindings, records,
        port drops).
    """
    req, ans = udp_flows(5000, seed=2)
    ports, seg, expect = inline_segment(tmp_path, "wire", "a", "b", 0, req, ans)
    text = config(ports, [seg], {"flow_table_size": 1024, "event_ring_size": 32768},
                  memory_mb=768)
    live, end = run_case(probes, natprobe_bin, tmp_path, text, 10000, "flow_table", expect)
    assert end.value("natprobe_flows_active") <= 1024
    assert live.value("natprobe_flows_active") <= 1024
    assert end.value("natprobe_flows_created_total") >= 5000


def test_reassembly_pool_exhausted(probes, natprobe_bin, tmp_path):
    """Reassembly pool exhausted: partial SIP messages without a buffer are
    dropped from inspection and counted; their frames are forwarded.

    Steps:
      1. 64 TCP connections to 203.0.113.5:5060 open; each client sends
         the first half of a REGISTER; only then the second halves (64
         partial messages at once). Client frames on port a, SYN-ACKs on b.
      2. datapath.tcp_reasm_buffers: 4.
      3. natprobe run; scrape /metrics once every frame is handled; SIGTERM.
    Verifies:
      - tx captures byte-identical to the peers' rx captures;
      - natprobe_reasm_pool_exhausted_total > 0 (/metrics and exit), and the
        buffers in use never above 4; the messages that had a buffer were
        reassembled (natprobe_reasm_msgs_reassembled_total between 1 and 4);
      - no other loss counted.
    """
    cli, srv = tcp_partial_sip(64)
    ports, seg, expect = inline_segment(tmp_path, "wire", "a", "b", 0, cli, srv)
    text = config(ports, [seg], {"tcp_reasm_buffers": 4})
    live, end = run_case(probes, natprobe_bin, tmp_path, text, len(cli) + len(srv),
                         "reasm_pool", expect)
    assert end.value("natprobe_reasm_buffers_in_use") <= 4
    assert 1 <= end.value("natprobe_reasm_msgs_reassembled_total") <= 4, \
        "reassembled %s" % end.value("natprobe_reasm_msgs_reassembled_total")
    assert end.value("natprobe_reasm_pool_exhausted_total") >= 64 - 4


def test_binding_table_full(probes, natprobe_bin, tmp_path):
    """Binding table full: bindings past nat.max_bindings are not kept, and
    are counted.

    Steps:
      1. 300 UDP flows through a source NAT, each seen on two inline
         segments (inside: ports c_side/fw_in, dmz: fw_dmz/e_side) with the
         same payloads and translated source tuples.
      2. nat.max_bindings: 16; event_ring_size 8192 so that every
         fingerprint reaches the learner.
      3. natprobe run; scrape /metrics once every frame is handled; SIGTERM.
    Verifies:
      - each of the four tx captures byte-identical to its peer's rx capture;
      - natprobe_nat_bindings_active = 16 (the table is full, not more);
        natprobe_nat_table_full_total > 0 (/metrics and exit), and learned +
        refused = 300 flows;
      - no other loss counted (translation table, event ring, flows,
        reassembly, records, ports).
    """
    rx = nat_pairs(300)
    p1, s1, e1 = inline_segment(tmp_path, "inside", "c_side", "fw_in", 0, rx["c_side"],
                                rx["fw_in"])
    p2, s2, e2 = inline_segment(tmp_path, "dmz", "fw_dmz", "e_side", 2, rx["fw_dmz"],
                                rx["e_side"])
    e1.update(e2)
    text = config(p1 + p2, [s1, s2], {"event_ring_size": 8192}, memory_mb=512,
                  extra_top="nat:\n  max_bindings: 16\n")
    live, end = run_case(probes, natprobe_bin, tmp_path, text, 4 * 300, "binding_table", e1)
    assert end.value("natprobe_nat_bindings_active") == 16, "bindings active %s" % (
        end.value("natprobe_nat_bindings_active"))
    assert live.value("natprobe_nat_bindings_active") == 16
    assert end.value("natprobe_nat_bindings_learned_total") == 16
    assert end.value("natprobe_nat_bindings_learned_total") + \
        end.value("natprobe_nat_table_full_total") >= 300


def test_records_file_disk_full(probes, natprobe_bin, tmp_path):
    """Records file on a full disk (every write fails with ENOSPC).

    Steps:
      1. The seed scenario on two inline segments (both firewall legs, each
         direction from its own port), the seed's static NAT.
      2. export.records_file in DIR, a 64 KiB tmpfs filled up before natprobe
         starts (mounted in a mount namespace of natprobe's own, unshare -m,
         so it goes away with the process). natprobe refuses a device such as
         /dev/full as its records file (docs/deploy.md), so the disk is a real
         full file system.
      3. natprobe run; scrape /metrics once every frame is handled; SIGTERM.
    Verifies:
      - each tx capture byte-identical to its peer's rx capture;
      - natprobe_records_failed_total > 0 on /metrics, and at exit it equals
        every record made (anomalies, the incident, the binding), with 0
        written; the anomalies are still counted by type;
      - no other loss counted; exit 0.
    """
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("a full tmpfs in a mount namespace needs root and unshare (util-linux)")
    ports, segs, expect, n = seed_inline(tmp_path)
    full = tmp_path / "full"
    full.mkdir()
    text = config(ports, segs, {}, extra_top=SEED_STATIC).replace(
        'metrics_listen: ""', 'metrics_listen: ""\n  records_file: %s/records.jsonl' % full)
    fill = ('mount -t tmpfs -o size=64k,mode=0755 natprobe-full "$0" && '
            '{ head -c 1048576 /dev/zero > "$0/fill" 2>/dev/null; '
            'test "$(stat -f -c %a "$0")" -eq 0; } && exec "$@"')
    prefix = ["unshare", "--mount", "--propagation", "private", "sh", "-c", fill, str(full)]
    # Records are written once their findings settle (the incident 2 s after its
    # last evidence): /metrics is read once the incident is made.
    live, end = run_case(probes, natprobe_bin, tmp_path, text, n, "records", expect,
                         until="natprobe_incidents_total", prefix=prefix)
    anomalies = total(end, "natprobe_anomalies_total")
    incidents = total(end, "natprobe_incidents_total")
    bindings = end.value("natprobe_nat_bindings_learned_total")
    assert anomalies >= 4 and incidents == 1 and bindings == 1, p_describe(tmp_path)
    assert end.value("natprobe_records_written_total") == 0
    assert end.value("natprobe_records_failed_total") == anomalies + incidents + bindings


def test_records_directory_removed(probes, natprobe_bin, tmp_path):
    """Records file whose directory is removed while the probe runs.

    Steps:
      1. The seed scenario on two inline segments, static NAT, records in
         DIR/records.jsonl.
      2. natprobe run; as soon as the first record is in the file, remove
         DIR (rm -r) and send SIGHUP (reopen, as after log rotation).
      3. Once /metrics shows every frame handled and the incident made,
         scrape it; create DIR again; wait for the file to come back; SIGTERM.
    Verifies:
      - each tx capture byte-identical to its peer's rx capture;
      - the failed reopen is counted (natprobe_records_reopen_failures_total
        = 1) and logged as one line naming export.records_file; the records
        made after the removal (the incident at least) are counted in
        natprobe_records_failed_total on /metrics; written + failed = every
        record made;
      - within about a second of DIR coming back, natprobe creates
        DIR/records.jsonl again by itself; the probe never stops; exit 0.
    """
    ports, segs, expect, n = seed_inline(tmp_path)
    rdir = tmp_path / "records"
    rdir.mkdir()
    rec = rdir / "records.jsonl"
    # A 1 s repeat window: the anomalies are written a second before the
    # incident (2 s after its last evidence), which leaves time to remove DIR.
    text = config(ports, segs, {}, extra_top=SEED_STATIC + "detect:\n  repeat_window_s: 1\n").replace(
        'metrics_listen: ""', 'metrics_listen: ""\n  records_file: %s' % rec)
    p = Probe(natprobe_bin, tmp_path, text)
    probes.append(p)
    deadline = time.monotonic() + SETTLE_S
    while time.monotonic() < deadline and not (rec.exists() and rec.read_text()):
        time.sleep(0.02)
    assert rec.exists() and rec.read_text(), "no record written\n" + p.describe()
    assert "nat_reflection_misroute" not in rec.read_text(), \
        "the incident came before the directory could be removed\n" + p.describe()
    shutil.rmtree(rdir)
    p.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + SETTLE_S
    while time.monotonic() < deadline:
        live = p.wait_handled(n)
        if total(live, "natprobe_incidents_total") >= 1:
            break
    assert_losses(live, "records", "/metrics", p.describe, also=("records_reopen",))
    assert live.value("natprobe_records_reopen_failures_total") == 1, p.describe()
    rdir.mkdir()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not rec.exists():
        time.sleep(0.05)
    assert rec.exists(), "records file not created again\n" + p.describe()
    assert (rec.stat().st_mode & 0o777) == 0o640
    end = p.stop()
    assert_losses(end, "records", "exit counters", p.describe, also=("records_reopen",))
    made = (total(end, "natprobe_anomalies_total") + total(end, "natprobe_incidents_total") +
            end.value("natprobe_nat_bindings_learned_total"))
    assert end.value("natprobe_records_written_total") + \
        end.value("natprobe_records_failed_total") == made, p.describe()
    errs = [ln for ln in p.err.read_text().splitlines() if "export.records_file" in ln]
    assert any("cannot be created again" in ln or "cannot reopen" in ln for ln in errs), \
        p.describe()
    assert_forwarded(expect, p.describe)
