# SPDX-License-Identifier: BSD-3-Clause
"""A central natprobe sends the HEP it receives on to a collector (hep.relay).

The seed as TestSuite_hep_live.py runs it (dts/sipnet.py: two Kamailio
instances with siptrace, agents 101 and 102, around a real nftables NAT):
`natprobe run` on the firewall receives the agents' HEP on hep.listen and,
with export.hep_collector set, sends every packet on to a second natprobe
listening on the firewall's loopback (standing for a heplify-server).
tcpdump records both legs; the test reads the HEP in them with a decoder of
its own (tshark has no HEP dissector) and checks that what left is what came
in, byte for byte, apart from natprobe's 14-byte origin chunk at the end,
and that the second natprobe names the same failure in the same agents'
segments. A second part points a natprobe's export at its own listener, over
UDP and TCP, to check that a packet it sent never comes back as new.
"""

import json
import socket
import struct
import time
from collections import Counter

import pytest

import sipnet
from conftest import Background, config_text, free_listen, natprobe_path, unique_prefix
from sipnet import E_PUB, SNAT_PORT, Lab, Traversal

RELAY_PORT = 9062
ORIGIN = struct.pack("!HH", 0x4E50, 0x4E02)   # natprobe's vendor id, origin chunk type


def probe_config(tmp, name, listen, collector=None, transport="udp", relay=None):
    rec = tmp / ("%s.jsonl" % name)
    text = config_text([("idle", "net_null0,no-rx=1")], [("wire", "passive", ["idle"])],
                       file_prefix=unique_prefix())
    extra = "\n  records_file: %s" % rec
    if collector:
        extra += '\n  hep_collector: "%s"\n  hep_transport: %s\n  hep_capture_id: 3000' % (
            collector, transport)
    text = text.replace('export:\n  metrics_listen: ""', 'export:\n  metrics_listen: ""' + extra)
    text += "hep:\n  listen: %s\n" % listen
    if relay is not None:
        text += "  relay: %s\n" % ("true" if relay else "false")
    cfg = tmp / ("%s.yaml" % name)
    cfg.write_text(text)
    return cfg, rec


def udp_payloads(pcap, dport):
    """The UDP payloads to dport in a pcap (Ethernet, or Linux cooked v1), in order."""
    data = pcap.read_bytes()
    magic = struct.unpack("<I", data[:4])[0]
    assert magic == 0xA1B2C3D4, hex(magic)
    linktype = struct.unpack("<I", data[20:24])[0]
    off, out = 24, []
    while off + 16 <= len(data):
        incl = struct.unpack("<I", data[off + 8:off + 12])[0]
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        l2 = {1: 14, 113: 16, 0: 4}[linktype]
        ip = frame[l2:]
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 15) * 4
        udp = ip[ihl:]
        if struct.unpack("!H", udp[2:4])[0] == dport:
            out.append(bytes(udp[8:struct.unpack("!H", udp[4:6])[0]]))
    return out


def hep_chunks(pkt):
    """{(vendor, type): value} of a HEPv3 packet, checking every length."""
    assert pkt[:4] == b"HEP3" and struct.unpack("!H", pkt[4:6])[0] == len(pkt)
    off, chunks = 6, {}
    while off < len(pkt):
        vendor, ctype, clen = struct.unpack("!HHH", pkt[off:off + 6])
        assert clen >= 6 and off + clen <= len(pkt)
        chunks[(vendor, ctype)] = pkt[off + 6:off + clen]
        off += clen
    return chunks


def strip_origin(pkt):
    """A relayed packet as it was received: its last chunk must be natprobe's origin."""
    assert pkt[-14:-8] == ORIGIN + struct.pack("!H", 14), pkt[-14:].hex()
    return pkt[:4] + struct.pack("!H", len(pkt) - 14) + pkt[6:-14]


@pytest.fixture(scope="module")
def relayed(tmp_path_factory):
    why = sipnet.can_netns()
    if why:
        pytest.skip(why)
    sipnet.need()
    tmp = tmp_path_factory.mktemp("hep_relay")
    lab = Lab(tmp / "lab", "r")
    central = store = None
    try:
        t = Traversal(lab, snat=True, tls=False, hep=True)
        lab.sh("ip", "link", "set", "lo", "up", ns=t.fw)
        cap_in = [lab.capture(t.fw, t.fw_in, "hep_in_c", ["udp", "port", "9060"]),
                  lab.capture(t.fw, t.fw_dmz, "hep_in_e", ["udp", "port", "9060"])]
        cap_out = lab.capture(t.fw, "lo", "hep_out", ["udp", "port", str(RELAY_PORT)])
        scfg, srec = probe_config(tmp, "store", "127.0.0.1:%d" % RELAY_PORT)
        store = Background(natprobe_path(), scfg, tmp, 120, prefix=["ip", "netns", "exec", t.fw])
        assert lab.wait_listen(t.fw, "udp", "127.0.0.1", RELAY_PORT), store.describe()
        ccfg, crec = probe_config(tmp, "central", "0.0.0.0:9060",
                                  collector="127.0.0.1:%d" % RELAY_PORT)
        central = Background(natprobe_path(), ccfg, tmp, 120,
                             prefix=["ip", "netns", "exec", t.fw])
        assert lab.wait_listen(t.fw, "udp", "0.0.0.0", 9060), central.describe()
        t.run()
        time.sleep(1)
        for _, p, _ in lab.procs:         # the agents stop sending before natprobe stops
            lab.stop(p)
        time.sleep(0.5)
        crc, cc = central.stop()
        time.sleep(0.5)
        src, sc = store.stop()
        lab.stop_captures()
        recs = lambda f: [json.loads(x) for x in f.read_text().splitlines() if x.strip()] \
            if f.exists() else []  # noqa: E731
        return dict(crc=crc, cc=cc, src=src, sc=sc, crecs=recs(crec), srecs=recs(srec),
                    hin=[p for c in cap_in for p in udp_payloads(c, 9060)],
                    hout=udp_payloads(cap_out, RELAY_PORT),
                    describe=central.describe() + "\n" + store.describe())
    finally:
        for p in (central, store):
            if p is not None:
                p.kill()
        lab.down()


def test_relay_keeps_what_agents_sent(relayed):
    """Steps: two Kamailio siptrace agents send HEPv3 of the seed to natprobe
    on the firewall, which relays it to a second natprobe on loopback;
    tcpdump on both legs. Verifies: both natprobes exit 0; every packet the
    agents sent left natprobe once, byte for byte as received (agent id,
    addresses, ports, time, SIP bytes) apart from one origin chunk appended at
    the end (the central's own records, under its own agent id 3000, beside
    them); packets of both agents (101, 102) went through; the counters
    balance: received = relay queued = relay sent = packets on the wire =
    what the second natprobe received, with nothing lost or looped."""
    r = relayed
    assert r["crc"] == 0 and r["src"] == 0, r["describe"]
    hin = r["hin"]
    own = [p for p in r["hout"] if hep_chunks(p)[(0, 12)] == struct.pack("!I", 3000)]
    hout = [p for p in r["hout"] if p not in own]      # the central's own records: its id
    assert len(hin) >= 10, r["describe"]
    assert len(own) == r["cc"].value("natprobe_hep_sent_total", what="record") > 0
    assert Counter(strip_origin(p) for p in hout) == Counter(hin)
    agents = Counter(struct.unpack("!I", hep_chunks(p)[(0, 12)])[0] for p in hout)
    assert set(agents) == {101, 102}, agents
    for p in hout:
        ch = hep_chunks(p)
        assert ch[(0, 15)].startswith((b"SIP/2.0 ", b"SERVICE ", b"OPTIONS ", b"REGISTER ")) \
            or b" SIP/2.0\r\n" in ch[(0, 15)][:200], ch[(0, 15)][:80]
        assert (0, 9) in ch and (0, 10) in ch          # the agent's time kept
    cc, sc = r["cc"], r["sc"]
    received = (cc.value("natprobe_hep_received_total", outcome="sip") +
                cc.value("natprobe_hep_received_total", outcome="not_sip"))
    assert received == len(hin), r["describe"]
    assert cc.value("natprobe_hep_listen_relay_total", outcome="queued") == len(hin)
    assert cc.value("natprobe_hep_listen_relay_total", outcome="queue_full") == 0
    assert cc.value("natprobe_hep_listen_relay_total", outcome="oversize") == 0
    assert cc.value("natprobe_hep_sent_total", what="relay") == len(hout) == len(hin)
    assert cc.value("natprobe_hep_sent_total", what="record") == len(own)
    for e in ("refused", "busy", "oversize", "other"):
        assert cc.value("natprobe_hep_send_errors_total", error=e) == 0, e
    assert cc.value("natprobe_hep_received_total", outcome="loop") == 0
    assert sc.value("natprobe_hep_received_total", outcome="sip") == len(hin), r["describe"]
    assert sc.value("natprobe_hep_received_total", outcome="loop") == 0
    assert sc.value("natprobe_hep_unknown_chunks_total") == 0      # the origin chunk is read
    assert sc.value("natprobe_hep_sent_total", what="relay") == 0   # no collector: no relay


def test_second_natprobe_names_the_seed(relayed):
    """Steps: as above. Verifies: the natprobe that only saw the relayed HEP
    writes the binding (C seen as E_PUB:4401), translated_route, sip_timeout
    and nat_reflection_misroute in the agents' segments (hep-101, hep-102),
    the same findings as the central natprobe: what HOMER would search by
    (agent ids, addresses, ports, times) arrived unchanged."""
    r = relayed
    kinds = lambda recs: sorted((x["type"], x.get("segment", "")) for x in recs  # noqa: E731
                                if x["kind"] in ("anomaly", "incident"))
    types = {x["type"] for x in r["srecs"] if x["kind"] in ("anomaly", "incident")}
    assert {"translated_route", "sip_timeout", "nat_reflection_misroute"} <= types, r["srecs"]
    assert kinds(r["srecs"]) == kinds(r["crecs"])
    segs = {x["segment"] for x in r["srecs"] if x["kind"] == "anomaly"}
    assert segs <= {"hep-101", "hep-102"}, segs
    binds = json.dumps([x for x in r["srecs"] if x["kind"] == "binding"])
    assert "%s:%d" % (E_PUB, SNAT_PORT) in binds, binds


# ---- loops ------------------------------------------------------------------


def chunk(ctype, data):
    return struct.pack("!HHH", 0, ctype, 6 + len(data)) + data


def hep3(payload, agent=7, sport=5060):
    body = (chunk(1, b"\x02") + chunk(2, b"\x11") + chunk(3, socket.inet_aton("192.0.2.1")) +
            chunk(4, socket.inet_aton("192.0.2.2")) + chunk(7, struct.pack("!H", sport)) +
            chunk(8, struct.pack("!H", 5060)) + chunk(9, struct.pack("!I", int(time.time()))) +
            chunk(10, struct.pack("!I", 0)) + chunk(11, b"\x01") +
            chunk(12, struct.pack("!I", agent)) + chunk(15, payload))
    return b"HEP3" + struct.pack("!H", 6 + len(body)) + body


def hep2(payload, agent=9):
    """HEPv2 (IPv4): header, then the time header in the agent's (little-endian) order."""
    head = struct.pack("!BBBBHH4s4s", 2, 16, 2, 17, 5070, 5060, socket.inet_aton("192.0.2.3"),
                       socket.inet_aton("192.0.2.2"))
    return head + struct.pack("<IIHH", int(time.time()), 250000, agent, 0) + payload


def options(i):
    return (b"OPTIONS sip:x@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK%d\r\n"
            b"From: <sip:a@192.0.2.1>;tag=1\r\nTo: <sip:x@192.0.2.2>\r\nCall-ID: loop%d@x\r\n"
            b"CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n" % (i, i))


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_own_packets_do_not_loop(tmp_path, natprobe_bin, transport):
    """Steps: natprobe run whose export.hep_collector is its own hep.listen
    (the worst loop: a collector that sends everything back); 100 HEPv3
    packets and one HEPv2 packet from an agent over UDP. Verifies: each is
    received as SIP once, relayed once (the HEPv2 one as HEPv3), comes back,
    and is counted as a loop and dropped: received sip = relayed = loop = 101,
    nothing relayed twice, and the probe exits 0."""
    listen = free_listen()
    host, port = listen.rsplit(":", 1)
    addr = (host, int(port))
    cfg, _ = probe_config(tmp_path, "loop", listen, collector=listen, transport=transport)
    probe = Background(natprobe_bin, cfg, tmp_path, 60)
    try:
        probe.wait_listening(addr)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        n = 100
        for i in range(n):
            u.sendto(hep3(options(i)), addr)
            if i % 20 == 19:
                time.sleep(0.02)
        u.sendto(hep2(options(n)), addr)
        time.sleep(1.5)
        assert probe.proc.poll() is None, probe.describe()
        rc, c = probe.stop()
    finally:
        probe.kill()
    assert rc == 0, probe.describe()
    out = lambda o: c.value("natprobe_hep_received_total", outcome=o)  # noqa: E731
    assert out("sip") == n + 1, probe.describe()
    assert c.value("natprobe_hep_listen_relay_total", outcome="queued") == n + 1
    assert c.value("natprobe_hep_sent_total", what="relay") == n + 1, probe.describe()
    assert out("loop") == n + 1, probe.describe()
    assert c.value("natprobe_hep_unknown_chunks_total") == 0


def test_relay_off(tmp_path, natprobe_bin):
    """Steps: the same loop with hep.relay: false and 20 packets. Verifies:
    the packets are received as SIP, nothing is relayed, nothing loops."""
    listen = free_listen()
    host, port = listen.rsplit(":", 1)
    addr = (host, int(port))
    cfg, _ = probe_config(tmp_path, "norelay", listen, collector=listen, relay=False)
    probe = Background(natprobe_bin, cfg, tmp_path, 60)
    try:
        probe.wait_listening(addr)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for i in range(20):
            u.sendto(hep3(options(i)), addr)
        time.sleep(1)
        rc, c = probe.stop()
    finally:
        probe.kill()
    assert rc == 0, probe.describe()
    assert c.value("natprobe_hep_received_total", outcome="sip") == 20, probe.describe()
    assert c.value("natprobe_hep_listen_relay_total", outcome="queued") == 0
    assert c.value("natprobe_hep_sent_total", what="relay") == 0
    assert c.value("natprobe_hep_received_total", outcome="loop") == 0
