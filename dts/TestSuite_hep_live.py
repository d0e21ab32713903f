# SPDX-License-Identifier: BSD-3-Clause
"""`natprobe run` receives HEP live (hep.listen) and names the seed from it.

The seed as TestSuite_hep_input.py builds it (dts/sipnet.py: two Kamailio
instances with the siptrace module, agents 101 and 102, around a real
nftables NAT), but natprobe is not reading a capture: `natprobe run` listens
for HEP on the firewall, where both agents send it, and its only port is an
empty net_null device. What it reports comes from Kamailio's own HEP
encoder, received on natprobe's HEP thread. A second part sends broken HEP to
a live listener on loopback. Skipped only where network namespaces cannot be
made.
"""

import json
import socket
import struct
import time

import pytest

import sipnet
from conftest import Background, config_text, free_listen, natprobe_path, unique_prefix
from sipnet import C_ADDR, E_ADDR, E_PUB, SNAT_PORT, Lab, Traversal


def live_config(tmp, listen):
    rec = tmp / "records.jsonl"
    text = config_text([("idle", "net_null0,no-rx=1")], [("wire", "passive", ["idle"])],
                       file_prefix=unique_prefix())
    text = text.replace('export:\n  metrics_listen: ""',
                        'export:\n  metrics_listen: ""\n  records_file: %s' % rec)
    text += "hep:\n  listen: %s\n" % listen
    cfg = tmp / "natprobe.yaml"
    cfg.write_text(text)
    return cfg, rec


def traversal_live(tmp_path_factory, name, snat):
    """The traversal with siptrace on; natprobe run on the firewall receives the HEP."""
    why = sipnet.can_netns()
    if why:
        pytest.skip(why)
    sipnet.need()
    tmp = tmp_path_factory.mktemp(name)
    lab = Lab(tmp / "lab", "l")
    probe = None
    try:
        t = Traversal(lab, snat=snat, tls=False, hep=True)
        cfg, rec = live_config(tmp, "0.0.0.0:9060")
        probe = Background(natprobe_path(), cfg, tmp, 120, prefix=["ip", "netns", "exec", t.fw])
        assert lab.wait_listen(t.fw, "udp", "0.0.0.0", 9060), probe.describe()
        c_log = t.run()
        time.sleep(1)
        rc, counters = probe.stop()
        recs = [json.loads(x) for x in rec.read_text().splitlines() if x.strip()] \
            if rec.exists() else []
        return dict(rc=rc, counters=counters, recs=recs, c_log=c_log,
                    describe=probe.describe())
    finally:
        if probe is not None:
            probe.kill()
        lab.down()


@pytest.fixture(scope="module")
def seed_live(tmp_path_factory):
    return traversal_live(tmp_path_factory, "seed_live", snat=True)


@pytest.fixture(scope="module")
def healthy_live(tmp_path_factory):
    return traversal_live(tmp_path_factory, "healthy_live", snat=False)


def show(recs):
    return "\n".join(json.dumps(r) for r in recs)


def findings(recs):
    return [r for r in recs if r["kind"] in ("anomaly", "incident")]


def test_seed_from_live_hep(seed_live):
    """Steps: the seed over TCP, siptrace on C and E sending HEPv3 to the
    firewall, natprobe run listening there (its port an empty net_null).
    Verifies: exit 0 after SIGTERM; the HEP thread decoded SIP from both agents
    (no decode errors, nothing dropped); the records file holds the binding
    (C's address seen as E_PUB:4401), the translated Route in the SERVICE, the
    408 and the nat_reflection_misroute incident, in the agents' segments."""
    r = seed_live
    assert r["rc"] == 0, r["describe"]
    c = r["counters"]
    sip = c.value("natprobe_hep_received_total", outcome="sip")
    assert sip >= 10, r["describe"]
    assert c.value("natprobe_hep_listen_packets_total", transport="udp") >= sip
    for bad in ("not_hep", "version", "truncated", "bad_length", "bad_chunk"):
        assert c.value("natprobe_hep_received_total", outcome=bad) == 0, bad
    assert c.value("natprobe_hep_listen_drops_total", where="event_ring") == 0
    recs = r["recs"]
    binds = [x for x in recs if x["kind"] == "binding"]
    assert binds, show(recs)
    text = json.dumps(binds)
    assert "%s:%d" % (E_PUB, SNAT_PORT) in text and C_ADDR in text and E_ADDR in text, text
    types = {x["type"] for x in findings(recs)}
    assert {"translated_route", "sip_timeout", "nat_reflection_misroute"} <= types, show(recs)
    assert "phantom_connect" not in types, show(recs)    # HEP carries no TCP outcome
    route = [x for x in recs if x.get("type") == "translated_route"][0]
    assert route["sip"]["method"] == "SERVICE", route
    timeout = [x for x in recs if x.get("type") == "sip_timeout"][0]
    assert timeout["sip"]["status"] == 408, timeout
    segs = {x["segment"] for x in recs if x["kind"] == "anomaly"}
    assert segs <= {"hep-101", "hep-102"}, show(recs)


def test_healthy_from_live_hep(healthy_live):
    """Steps: the same without the source NAT. Verifies: C processed the
    SERVICE; natprobe received SIP over HEP and learned the binding, and
    reported no anomaly and no incident."""
    r = healthy_live
    assert r["rc"] == 0, r["describe"]
    assert "SERVICE for me" in r["c_log"], r["c_log"][-2000:]
    assert r["counters"].value("natprobe_hep_received_total", outcome="sip") >= 10
    assert findings(r["recs"]) == [], show(r["recs"])
    assert any(x["kind"] == "binding" for x in r["recs"]), show(r["recs"])


# ---- broken HEP at a live listener ------------------------------------------


def chunk(ctype, data):
    return struct.pack("!HHH", 0, ctype, 6 + len(data)) + data


def hep3(payload, src="192.0.2.1", dst="192.0.2.2", sport=5060, dport=5060, agent=7,
         extra=b""):
    """One HEPv3 packet (for the malformed cases only; the seed uses Kamailio's)."""
    body = (chunk(1, b"\x02") + chunk(2, b"\x11") + chunk(3, socket.inet_aton(src)) +
            chunk(4, socket.inet_aton(dst)) + chunk(7, struct.pack("!H", sport)) +
            chunk(8, struct.pack("!H", dport)) + chunk(9, struct.pack("!I", int(time.time()))) +
            chunk(10, struct.pack("!I", 0)) + chunk(11, b"\x01") +
            chunk(12, struct.pack("!I", agent)) + extra + chunk(15, payload))
    return b"HEP3" + struct.pack("!H", 6 + len(body)) + body


OPTIONS = (b"OPTIONS sip:x@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
           b"From: <sip:a@192.0.2.1>;tag=1\r\nTo: <sip:x@192.0.2.2>\r\nCall-ID: c1@x\r\n"
           b"CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n")


GARBAGE = b"\x00garbage before any HEP\xff"
JUNK = b"junk between packets"


def test_broken_hep_counted_live(tmp_path, natprobe_bin):
    """Steps: natprobe run with hep.listen on loopback; send over UDP a valid
    HEP packet, one cut short, one whose length says more than it holds, one
    whose length is below a header, one with a chunk running past the end, a
    non-HEP datagram and one with an unknown vendor chunk; over TCP: garbage,
    then a valid packet split in two writes, garbage between packets, a
    connection closed mid-packet; 70 connections at once (above the limit);
    then a bounded UDP flood. Verifies: natprobe keeps running and exits 0 on
    SIGTERM; each kind is counted by its outcome; the TCP stream recovers the
    packets after garbage (resync bytes counted); refused connections are
    counted; every flood datagram is read or counted as dropped by the kernel."""
    listen = free_listen()
    host, port = listen.rsplit(":", 1)
    addr = (host, int(port))
    cfg, _ = live_config(tmp_path, listen)
    probe = Background(natprobe_bin, cfg, tmp_path, 60)
    try:
        probe.wait_listening(addr)
        good = hep3(OPTIONS)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        datagrams = [
            good,                                                   # sip
            good[:40],                                              # truncated
            good[:4] + struct.pack("!H", len(good) + 50) + good[6:],  # truncated: past the end
            good[:4] + struct.pack("!H", 3) + good[6:],             # length below a header
            good[:6] + struct.pack("!HHH", 0, 1, 200) + good[12:],  # chunk past the end
            b"not a HEP packet at all",                             # not_hep
            hep3(OPTIONS, extra=struct.pack("!HHH", 0x9999, 0x77, 8) + b"zz"),  # unknown chunk
        ]
        for d in datagrams:
            u.sendto(d, addr)
        t = socket.create_connection(addr)
        t.sendall(GARBAGE * 10)
        t.sendall(good[:30])
        time.sleep(0.05)
        t.sendall(good[30:] + JUNK + good)
        t.sendall(good[:20])                                        # closed mid-packet
        t.close()
        conns = [socket.create_connection(addr) for _ in range(70)]
        time.sleep(0.5)
        for s in conns:
            s.close()
        flood = 20000
        t0 = time.monotonic()
        for i in range(flood):
            u.sendto(good, addr)
            if time.monotonic() - t0 > 20:
                flood = i + 1
                break
        time.sleep(1.5)
        assert probe.proc.poll() is None, probe.describe()
        rc, c = probe.stop()
    finally:
        probe.kill()
    assert rc == 0, probe.describe()
    out = lambda o: c.value("natprobe_hep_received_total", outcome=o)  # noqa: E731
    assert out("truncated") == 2, probe.describe()      # cut short; length past the end
    assert out("bad_length") == 1, probe.describe()     # length below a header
    assert out("bad_chunk") == 1, probe.describe()
    assert out("not_hep") >= 1, probe.describe()
    assert c.value("natprobe_hep_unknown_chunks_total") >= 1, probe.describe()
    assert c.value("natprobe_hep_listen_packets_total", transport="tcp") == 2, probe.describe()
    garbage = 10 * len(GARBAGE) + len(JUNK)   # exactly what is not HEP, nothing else
    assert c.value("natprobe_hep_listen_resync_bytes_total") == garbage, probe.describe()
    assert c.value("natprobe_hep_listen_connections_total", outcome="refused") >= 6, \
        probe.describe()
    assert c.value("natprobe_hep_listen_connections") == 0, probe.describe()
    udp = c.value("natprobe_hep_listen_packets_total", transport="udp")
    kernel = c.value("natprobe_hep_listen_drops_total", where="kernel")
    assert udp + kernel == len(datagrams) + flood, probe.describe()
    # the flood's OPTIONS are SIP: each read one went to the SIP stage
    assert out("sip") == udp - (len(datagrams) - 2) + 2, probe.describe()
