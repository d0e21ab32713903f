#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Deterministic scale scenarios for natprobe (no scapy: frames built with struct).

Two scenarios, each a folder like the ones of tools/gen_scenario.py
(inside.pcap, dmz.pcap, scenario.yaml with expect/forbid), plus
`bindings_expected: N` in scenario.yaml:

nat_10k_flows
    A firewall source-NATs a campus 10.1.0.0/16 to 198.51.100.1..4 (distinct
    ports per flow). 10,000 TCP connections and 2,000 UDP flows from
    thousands of clients to public servers in 203.0.113.0/24, started over
    8 s and never closed, so all are concurrent and their packets
    interleave. Every flow has a first payload in each direction that is
    distinct per flow (TLS ClientHello / ServerHello records with their
    random, NTP with random transmit timestamps, STUN with random
    transaction ids), except one deliberate group of 20 TCP connections to a
    collector (203.0.113.200:9000) that reconnect within one second and
    send byte-identical keep-alives: ambiguous, never joined. Healthy
    outbound NAT: no anomaly.

healthy_sip_10k
    800 SIP phones behind the same kind of NAT, correctly configured: each
    learns its public mapping with STUN on its SIP 5-tuple (RFC 5626 style)
    and on its RTP port, and uses the public address in Via, Contact and
    SDP. Each registers (REGISTER, 401, REGISTER with credentials, 200);
    972 calls through the PBX 203.0.113.5 go INVITE, 100, 180, 200 with SDP,
    ACK, RTP, BYE, 200 (outbound ones through its proxy, with Record-Route;
    inbound ones from its B2BUA). 10,004 SIP messages, each one
    byte-identical on both segments (no SIP ALG), plus RTP (a sample of each
    stream: two packets from the phone, one from the peer), STUN, DNS and
    HTTPS. No anomaly, no incident. Lean messages (half the phones use the
    compact header forms) keep each capture under 5 MB.

The ground truth of each scenario (which flows a correct learner binds, with
their tuples on both segments) is computed by this module without writing
any capture: `truth(name)`; the test suite (dts/TestSuite_scale.py) calls it
and checks that its digest equals `truth_sha256` in scenario.yaml, so a
generator change without regenerated fixtures is caught.

A flow is expected to yield a binding when it is translated and, in each
direction, no other flow of the same protocol on the same segment has the
same fingerprint (first 64 payload bytes and length) within 2 s
(docs/anomalies.md, "How natprobe knows what is a translation").

Output is byte-identical from run to run (fixed seeds and timestamps).

Usage:
    gen_scale.py SCENARIO OUTDIR     write one scenario into OUTDIR
    gen_scale.py --all OUTROOT       OUTROOT/scenarios/<name>/ for both
    gen_scale.py --list              list scenario names
"""

import argparse
import array
import hashlib
import json
import os
import random
import struct
import sys

# 2016-04-19T08:00:00Z: an hour after the seed's logs (tools/gen_scenario.py).
T0_US = 1461052800 * 1000000

# Same wire MACs as tools/gen_scenario.py: inside hosts sit behind MAC_C,
# the upstream router of the dmz leg is MAC_E.
MAC_C = bytes.fromhex("005056a11e02")
MAC_FW_IN = bytes.fromhex("005056a1fe01")
MAC_FW_DMZ = bytes.fromhex("005056a1fe02")
MAC_E = bytes.fromhex("005056a10a02")

FW_LATENCY_US = 80
NAT_POOL = ["198.51.100.%d" % i for i in (1, 2, 3, 4)]
FP_BYTES = 64                    # payload bytes natprobe fingerprints
FP_WINDOW_US = 2000000           # join / ambiguity window
ANOMALY_TYPES = [
    "hairpin_snat", "translated_route", "phantom_connect", "sip_timeout",
    "private_via_contact", "sdp_address_mismatch", "alg_rewrite",
    "nat_reflection_misroute",
]
SCENARIO_NAMES = ["nat_10k_flows", "healthy_sip_10k"]

TCP, UDP = 6, 17
F_SYN, F_ACK, F_PSH = 0x02, 0x10, 0x08


# --------------------------------------------------------------------------
# Frames (IPv4 over Ethernet), checksums right
# --------------------------------------------------------------------------

def _csum(data):
    """Internet checksum, in native byte order (RFC 1071: order independent)."""
    if len(data) % 2:
        data += b"\0"
    s = sum(array.array("H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return struct.pack("=H", ~s & 0xFFFF)


def _ip(a):
    return bytes(int(x) for x in a.split("."))


def ipv4_frame(smac, dmac, src, dst, proto, l4, ident, ttl):
    s, d = _ip(src), _ip(dst)
    hdr = bytearray(struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ident & 0xFFFF,
                                0x4000, ttl, proto, 0, s, d))
    hdr[10:12] = _csum(bytes(hdr))
    return dmac + smac + b"\x08\x00" + bytes(hdr) + l4, s, d


def tcp_frame(smac, dmac, src, dst, sport, dport, seq, ack, flags, window, ident, ttl,
              payload=b"", mss=None):
    opts = struct.pack("!BBH", 2, 4, mss) if mss else b""
    off = (20 + len(opts)) // 4
    seg = bytearray(struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF,
                                ack & 0xFFFFFFFF, off << 4, flags, window, 0, 0))
    seg += opts + payload
    pseudo = _ip(src) + _ip(dst) + struct.pack("!BBH", 0, TCP, len(seg))
    seg[16:18] = _csum(pseudo + bytes(seg))
    return ipv4_frame(smac, dmac, src, dst, TCP, bytes(seg), ident, ttl)[0]


def udp_frame(smac, dmac, src, dst, sport, dport, ident, ttl, payload):
    seg = bytearray(struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)) + payload
    pseudo = _ip(src) + _ip(dst) + struct.pack("!BBH", 0, UDP, len(seg))
    c = _csum(pseudo + bytes(seg))
    seg[6:8] = c if c != b"\0\0" else b"\xff\xff"
    return ipv4_frame(smac, dmac, src, dst, UDP, bytes(seg), ident, ttl)[0]


def write_pcap(path, frames):
    """frames: [(time_us, bytes)], written in the order given (microsecond pcap,
    Ethernet, snaplen 65535: the format of tools/gen_scenario.py)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t_us, data in frames:
            f.write(struct.pack("<IIII", t_us // 1000000, t_us % 1000000, len(data), len(data)))
            f.write(data)


# --------------------------------------------------------------------------
# Flows seen on both sides of a source-NAT firewall
# --------------------------------------------------------------------------

class Flow:
    """One TCP connection or UDP flow from an inside client through the NAT.

    cli/srv: (addr, port) inside; pub: the client's (addr, port) after NAT
    (dmz side). Packets are added with send(); each is emitted on both
    segments, with the firewall's latency and TTL decrement, addresses
    translated, payload untouched. For TCP the firewall may also shift the
    client's sequence numbers on the dmz side (seq_offset).
    """

    def __init__(self, proto, cli, srv, pub, ident_c, ident_s, seq_offset=0, tag=""):
        self.proto, self.cli, self.srv, self.pub = proto, cli, srv, pub
        self.ident = {"c": ident_c, "s": ident_s}
        self.seq_offset = seq_offset
        self.tag = tag
        self.first = {}          # direction -> (payload, t_inside_us, t_dmz_us)
        self.isn = {}

    def send(self, out, d, t_us, payload=b"", flags=F_ACK | F_PSH, seq=0, ack=0, window=502,
             mss=None):
        """d: "c" (client sends; t_us is its inside wire time) or "s" (server
        sends; t_us is its dmz wire time). Returns the time on the far wire."""
        if d == "c":
            t_in, t_dmz = t_us, t_us + FW_LATENCY_US
            ttl_in, ttl_dmz = 64, 63
        else:
            t_dmz, t_in = t_us, t_us + FW_LATENCY_US
            ttl_dmz, ttl_in = 52, 51
        ident = self.ident[d]
        self.ident[d] = (ident + 1) & 0xFFFF
        if payload and d not in self.first:
            self.first[d] = (payload, t_in, t_dmz)
        if out is None:          # planning only (truth()): no frames
            return t_dmz if d == "c" else t_in
        for seg, t, ttl in (("inside", t_in, ttl_in), ("dmz", t_dmz, ttl_dmz)):
            c = self.cli if seg == "inside" else self.pub
            if seg == "inside":
                smac, dmac = (MAC_C, MAC_FW_IN) if d == "c" else (MAC_FW_IN, MAC_C)
            else:
                smac, dmac = (MAC_FW_DMZ, MAC_E) if d == "c" else (MAC_E, MAC_FW_DMZ)
            src, dst = (c, self.srv) if d == "c" else (self.srv, c)
            if self.proto == TCP:
                s_seq, s_ack = seq, ack
                if seg == "dmz" and d == "c":
                    s_seq = seq + self.seq_offset
                if seg == "dmz" and d == "s" and flags & F_ACK:
                    s_ack = ack + self.seq_offset
                fr = tcp_frame(smac, dmac, src[0], dst[0], src[1], dst[1], s_seq, s_ack, flags,
                               window, ident, ttl, payload, mss)
            else:
                fr = udp_frame(smac, dmac, src[0], dst[0], src[1], dst[1], ident, ttl, payload)
            out[seg].append((t, fr))
        return t_dmz if d == "c" else t_in

    # A TCP connection: handshake, the client's first payload (on the ACK
    # that completes the handshake), the server's answer.
    def tcp_exchange(self, out, rng, t0, rtt_us, c_payload, s_payload):
        ci, si = rng.getrandbits(32), rng.getrandbits(32)
        self.isn = {"c": ci, "s": si}
        t = self.send(out, "c", t0, flags=F_SYN, seq=ci, window=64240, mss=1460)
        t = self.send(out, "s", t + rtt_us, flags=F_SYN | F_ACK, seq=si, ack=ci + 1,
                      window=65160, mss=1460)
        t = self.send(out, "c", t + 300, c_payload, seq=ci + 1, ack=si + 1)
        self.send(out, "s", t + rtt_us + rng.randrange(500, 5000), s_payload, seq=si + 1,
                  ack=ci + 1 + len(c_payload), window=509)

    def truth(self):
        """[proto, inside src, dst, dmz src, dmz seq - inside seq (mod 2^32)];
        the destination is the same on both segments."""
        p = "tcp" if self.proto == TCP else "udp"
        return [p, "%s:%d" % self.cli, "%s:%d" % self.srv, "%s:%d" % self.pub,
                self.seq_offset & 0xFFFFFFFF]


class Nat:
    """The firewall's source NAT: a distinct public (addr, port) per flow;
    with endpoint-independent mapping, the same inside (addr, port) keeps its
    public (addr, port) whatever the destination."""

    def __init__(self, rng):
        self.rng = rng
        self.used = set()
        self.eim = {}

    def map(self, proto, cli, eim=False):
        if eim and (proto, cli) in self.eim:
            return self.eim[(proto, cli)]
        while True:
            pub = (self.rng.choice(NAT_POOL), self.rng.randrange(1024, 65536))
            if (proto, pub) not in self.used:
                break
        self.used.add((proto, pub))
        if eim:
            self.eim[(proto, cli)] = pub
        return pub


class Ports:
    """Ephemeral source ports, distinct per client address."""

    def __init__(self, rng):
        self.rng = rng
        self.used = set()

    def take(self, addr, proto, lo=32768, hi=61000):
        while True:
            p = self.rng.randrange(lo, hi)
            if (addr, proto, p) not in self.used:
                self.used.add((addr, proto, p))
                return p


# --------------------------------------------------------------------------
# Payloads
# --------------------------------------------------------------------------

def client_hello(rng):
    """A minimal TLS 1.3-style ClientHello record (50 bytes), random per flow."""
    body = (b"\x03\x03" + rng.randbytes(32) + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00")
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


def server_hello(rng):
    body = b"\x03\x03" + rng.randbytes(32) + b"\x00" + b"\x13\x01" + b"\x00"
    hs = b"\x02" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x03" + struct.pack("!H", len(hs)) + hs


def ntp_request(rng):
    """NTPv4 client packet (48 bytes), random transmit timestamp (as chrony sends)."""
    return struct.pack("!BBbb", 0x23, 0, 6, -23) + b"\0" * 36 + rng.randbytes(8)


def ntp_response(rng, req):
    ref = struct.pack("!II", 3670041600 + rng.randrange(0, 3600), rng.getrandbits(32))
    rx = struct.pack("!II", 3670041600 + rng.randrange(3600, 7200), rng.getrandbits(32))
    tx = rx[:4] + struct.pack("!I", (struct.unpack("!I", rx[4:])[0] + 40000) & 0xFFFFFFFF)
    return (struct.pack("!BBbb", 0x24, 2, 6, -24) + struct.pack("!II", rng.randrange(1, 4000),
                                                                  rng.randrange(1, 4000))
            + b"\xcb\x00\x71\x0a" + ref + req[40:48] + rx + tx)


STUN_COOKIE = 0x2112A442


def stun_request(rng):
    """STUN Binding Request (RFC 5389), 20 bytes, random transaction id."""
    return struct.pack("!HHI", 0x0001, 0, STUN_COOKIE) + rng.randbytes(12)


def stun_response(req, mapped):
    """Binding Success with XOR-MAPPED-ADDRESS = mapped (addr, port)."""
    xport = mapped[1] ^ (STUN_COOKIE >> 16)
    xaddr = struct.unpack("!I", _ip(mapped[0]))[0] ^ STUN_COOKIE
    attr = struct.pack("!HHBBHI", 0x0020, 8, 0, 1, xport, xaddr)
    return struct.pack("!HHI", 0x0101, len(attr), STUN_COOKIE) + req[8:20] + attr


def dns_query(rng, name):
    q = b"".join(bytes([len(x)]) + x.encode() for x in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", rng.getrandbits(16), 0x0100, 1, 0, 0, 0) + q + b"\0\x01\0\x01"


def dns_response(query, addr, ttl):
    return (query[:2] + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0) + query[12:]
            + struct.pack("!HHHIH", 0xC00C, 1, 1, ttl, 4) + _ip(addr))


def rtp_packet(seq, ts, ssrc, payload, marker=False):
    return struct.pack("!BBHII", 0x80, (0x80 if marker else 0) | 18, seq & 0xFFFF,
                       ts & 0xFFFFFFFF, ssrc) + payload


KEEPALIVE_REQ = b"HEARTBEAT collector/2 interval=30\n"
KEEPALIVE_ACK = b"HEARTBEAT-ACK\n"


# --------------------------------------------------------------------------
# Expected bindings (the documented rule)
# --------------------------------------------------------------------------

def expected_bindings(flows):
    """Flows a correct learner binds: translated, and in each direction no
    other flow of the same protocol on the same segment with an equal
    fingerprint (first FP_BYTES bytes, length) within FP_WINDOW_US."""
    ambiguous = set()
    for seg_i in (1, 2):
        for d in ("c", "s"):
            groups = {}
            for i, f in enumerate(flows):
                if d not in f.first:
                    continue
                pl, t_in, t_dmz = f.first[d]
                key = (f.proto, pl[:FP_BYTES], len(pl))
                groups.setdefault(key, []).append(((t_in, t_dmz)[seg_i - 1], i))
            for members in groups.values():
                if len(members) < 2:
                    continue
                members.sort()
                for (ta, ia), (tb, ib) in zip(members, members[1:]):
                    if tb - ta <= FP_WINDOW_US:
                        ambiguous.update((ia, ib))
    good = [f for i, f in enumerate(flows) if i not in ambiguous and f.first
            and f.cli != f.pub]
    return good, [flows[i] for i in sorted(ambiguous)]


def truth_digest(rows):
    return hashlib.sha256(json.dumps(sorted(rows), separators=(",", ":")).encode()).hexdigest()


# --------------------------------------------------------------------------
# nat_10k_flows
# --------------------------------------------------------------------------

N_TCP = 10000
N_UDP = 2000
N_KEEPALIVE = 20
COLLECTOR = ("203.0.113.200", 9000)


def plan_nat_10k(build=True):
    """Returns (out, flows): frames per segment (unsorted; None unless build)
    and the flows."""
    rng = random.Random("natprobe/nat_10k_flows")
    nat, ports = Nat(rng), Ports(rng)
    clients = ["10.1.%d.%d" % (i // 250, i % 250 + 2) for i in range(4000)]
    out = {"inside": [], "dmz": []} if build else None
    flows = []
    specs = []
    for i in range(N_TCP - N_KEEPALIVE):
        specs.append(("tls", rng.randrange(0, 8000000)))
    for i in range(N_KEEPALIVE):
        specs.append(("keepalive", 3000000 + rng.randrange(0, 1000000)))
    for i in range(N_UDP):
        specs.append(("ntp" if i % 2 == 0 else "stun", rng.randrange(0, 8000000)))
    ka_clients = rng.sample(clients, N_KEEPALIVE)
    ka_i = 0
    for kind, t_off in specs:
        t0 = T0_US + t_off
        if kind == "keepalive":
            cli_addr = ka_clients[ka_i]
            ka_i += 1
        else:
            cli_addr = rng.choice(clients)
        proto = UDP if kind in ("ntp", "stun") else TCP
        cli = (cli_addr, ports.take(cli_addr, proto))
        if kind == "keepalive":
            srv = COLLECTOR
        elif kind == "tls":
            srv = ("203.0.113.%d" % rng.randrange(1, 200),
                   rng.choice((443, 443, 443, 443, 443, 443, 8443, 993, 5223, 853)))
        else:
            srv = ("203.0.113.%d" % rng.randrange(1, 200), 123 if kind == "ntp" else 3478)
        pub = nat.map(proto, cli)
        f = Flow(proto, cli, srv, pub, rng.getrandbits(16), rng.getrandbits(16),
                 seq_offset=rng.getrandbits(32) if (proto == TCP and rng.random() < 0.3) else 0,
                 tag=kind)
        rtt = rng.randrange(4000, 60000)
        if kind == "tls":
            f.tcp_exchange(out, rng, t0, rtt, client_hello(rng), server_hello(rng))
        elif kind == "keepalive":
            f.tcp_exchange(out, rng, t0, rtt, KEEPALIVE_REQ, KEEPALIVE_ACK)
        elif kind == "ntp":
            req = ntp_request(rng)
            t = f.send(out, "c", t0, req)
            f.send(out, "s", t + rtt, ntp_response(rng, req))
        else:
            req = stun_request(rng)
            t = f.send(out, "c", t0, req)
            f.send(out, "s", t + rtt, stun_response(req, pub))
        flows.append(f)
    return out, flows


# --------------------------------------------------------------------------
# healthy_sip_10k
# --------------------------------------------------------------------------

N_PHONES = 800
N_CALLS = 972
DOMAIN = "pbx.example"
PROXY = ("203.0.113.5", 5060)
STUN_SRV = ("203.0.113.7", 3478)
DNS_SRV = ("203.0.113.53", 53)
GATEWAY = ("203.0.113.30", 5060)
RTP_PEERS = ["203.0.113.%d" % i for i in range(20, 30)]
N_LAPTOPS = 40
N_HTTPS = 300


def sip(start, headers, body=b"", compact=False):
    """A SIP message; compact: the short header forms (RFC 3261 7.3.3)."""
    short = {"Via": "v", "From": "f", "To": "t", "Call-ID": "i", "Contact": "m",
             "Content-Type": "c", "Content-Length": "l"}
    lines = [start]
    for k, v in headers:
        lines.append("%s: %s" % (short.get(k, k) if compact else k, v))
    lines.append("%s: %d" % ("l" if compact else "Content-Length", len(body)))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def sdp(rng, addr, port):
    sess = rng.randrange(10 ** 9, 10 ** 10)
    return ("v=0\r\no=- %d %d IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 18\r\n"
            % (sess, sess, addr, addr, port)).encode()


class Phone:
    def __init__(self, i, addr, pub, compact):
        self.i, self.addr, self.pub, self.compact = i, addr, pub, compact
        self.ext = "%d" % (2000 + i)
        self.aor = "<sip:%s@%s>" % (self.ext, DOMAIN)
        self.contact = "<sip:%s@%s:%d>" % (self.ext, pub[0], pub[1])
        self.busy_until = 0
        self.rtp_next = 16384 + 2 * (i % 50)


def _hex(rng, n):
    return rng.randbytes(n).hex()


def plan_healthy_sip(build=True):
    """Returns (out, flows, SIP messages per segment); out is None unless build."""
    rng = random.Random("natprobe/healthy_sip_10k")
    nat, ports = Nat(rng), Ports(rng)
    out = {"inside": [], "dmz": []} if build else None
    flows = []
    nsip = [0]

    def flow(proto, cli, srv, eim=False, tag=""):
        f = Flow(proto, cli, srv, nat.map(proto, cli, eim), rng.getrandbits(16),
                 rng.getrandbits(16), tag=tag)
        flows.append(f)
        return f

    def sipsend(f, d, t, msg):
        nsip[0] += 1
        return f.send(out, d, t, msg)

    def dns(cli_addr, t, name, answer):
        f = flow(UDP, (cli_addr, ports.take(cli_addr, UDP)), DNS_SRV, tag="dns")
        q = dns_query(rng, name)
        t = f.send(out, "c", t, q)
        return f.send(out, "s", t + rng.randrange(3000, 20000), dns_response(q, answer, 300))

    phones = []
    for i in range(N_PHONES):
        addr = "10.1.%d.%d" % (10 + i // 200, 10 + i % 200)
        pub = nat.map(UDP, (addr, 5060), eim=True)
        phones.append(Phone(i, addr, pub, compact=(i % 2 == 1)))

    # Registration: DNS, STUN on the SIP 5-tuple, REGISTER / 401 / REGISTER / 200.
    for ph in phones:
        t = T0_US + rng.randrange(0, 20000000)
        rtt = rng.randrange(8000, 50000)
        sf = flow(UDP, (ph.addr, 5060), PROXY, eim=True, tag="sip")
        ph.flow = sf
        req = stun_request(rng)
        t = sf.send(out, "c", t + 2000, req)
        t = sf.send(out, "s", t + rtt, stun_response(req, ph.pub))
        call_id = "%s@%s" % (_hex(rng, 6), ph.pub[0])
        ftag = _hex(rng, 4)
        via = lambda br: "SIP/2.0/UDP %s:%d;rport;branch=z9hG4bK%s" % (ph.pub + (br,))
        via_r = lambda br: "SIP/2.0/UDP %s:%d;rport=%d;branch=z9hG4bK%s" % (
            ph.pub + (ph.pub[1], br))
        ttag = _hex(rng, 4)
        nonce = _hex(rng, 8)
        for n, auth in ((1, None), (2, True)):
            br = _hex(rng, 6)
            hdrs = [("Via", via(br)), ("Max-Forwards", "70"),
                    ("From", "%s;tag=%s" % (ph.aor, ftag)), ("To", ph.aor),
                    ("Call-ID", call_id), ("CSeq", "%d REGISTER" % n),
                    ("Contact", ph.contact), ("Expires", "3600")]
            if auth:
                hdrs.append(("Authorization",
                             'Digest username="%s",realm="%s",nonce="%s",uri="sip:%s",'
                             'response="%s",algorithm=MD5' % (ph.ext, DOMAIN, nonce, DOMAIN,
                                                               _hex(rng, 16))))
            t = sipsend(sf, "c", t + rng.randrange(1000, 3000),
                        sip("REGISTER sip:%s SIP/2.0" % DOMAIN, hdrs, compact=ph.compact))
            rh = [("Via", via_r(br)), ("From", "%s;tag=%s" % (ph.aor, ftag)),
                  ("To", "%s;tag=%s" % (ph.aor, ttag)), ("Call-ID", call_id),
                  ("CSeq", "%d REGISTER" % n)]
            if auth:
                rh.append(("Contact", ph.contact + ";expires=3600"))
                start = "SIP/2.0 200 OK"
            else:
                rh.append(("WWW-Authenticate", 'Digest realm="%s",nonce="%s",algorithm=MD5'
                           % (DOMAIN, nonce)))
                start = "SIP/2.0 401 Unauthorized"
            t = sipsend(sf, "s", t + rtt, sip(start, rh))
        ph.busy_until = t + 500000

    # Calls.
    for k in range(N_CALLS):
        while True:
            ph = rng.choice(phones)
            t = T0_US + rng.randrange(5000000, 55000000)
            if t > ph.busy_until:
                break
        outbound = k % 2 == 0
        rtt = rng.randrange(8000, 50000)
        sf = ph.flow
        rtp_port = ph.rtp_next
        ph.rtp_next = 16384 + (ph.rtp_next - 16384 + 2) % 200
        call_id = "%s@%s" % (_hex(rng, 6), ph.pub[0] if outbound else PROXY[0])
        number = "+1555%07d" % rng.randrange(10 ** 7)
        remote = "<sip:%s@%s>" % (number, DOMAIN)
        remote_contact = "<sip:%s@%s:%d>" % (number, GATEWAY[0], GATEWAY[1])
        rr = "<sip:%s;lr>" % PROXY[0]
        media = (rng.choice(RTP_PEERS), rng.randrange(10000, 30000, 2))
        ptag, rtag = _hex(rng, 4), _hex(rng, 4)
        pvia = lambda br: "SIP/2.0/UDP %s:%d;rport;branch=z9hG4bK%s" % (ph.pub + (br,))
        pvia_r = lambda br: "SIP/2.0/UDP %s:%d;rport=%d;branch=z9hG4bK%s" % (
            ph.pub + (ph.pub[1], br))
        # Inbound calls come from the PBX's B2BUA leg: one Via, its own Contact.
        pbx_contact = "<sip:%s@%s:%d>" % (number, PROXY[0], PROXY[1])
        xvia = lambda br: "SIP/2.0/UDP %s:%d;branch=z9hG4bK%s" % (PROXY + (br,))
        cmp = ph.compact

        # The phone learns the public mapping of its RTP port (STUN), then
        # offers it in SDP.
        rf = flow(UDP, (ph.addr, rtp_port), STUN_SRV, eim=True, tag="stun-rtp")
        req = stun_request(rng)
        stun_t = t if outbound else t + rtt + 60000
        tt = rf.send(out, "c", stun_t, req)
        rf.send(out, "s", tt + rtt, stun_response(req, rf.pub))
        phone_sdp = sdp(rng, ph.pub[0], rf.pub[1])
        peer_sdp = sdp(rng, media[0], media[1])

        if outbound:
            br = _hex(rng, 6)
            fr_, to_, to_t = ("%s;tag=%s" % (ph.aor, ptag), remote, "%s;tag=%s" % (remote, rtag))
            base = [("From", fr_), ("To", to_), ("Call-ID", call_id), ("CSeq", "1 INVITE")]
            t = sipsend(sf, "c", t + 30000, sip(
                "INVITE sip:%s@%s SIP/2.0" % (number, DOMAIN),
                [("Via", pvia(br)), ("Max-Forwards", "70")] + base +
                [("Contact", ph.contact), ("Content-Type", "application/sdp")],
                phone_sdp, cmp))
            rv = [("Via", pvia_r(br))]
            t100 = sipsend(sf, "s", t + rtt, sip("SIP/2.0 100 Trying", rv + base))
            resp_to = [("From", fr_), ("To", to_t), ("Call-ID", call_id), ("CSeq", "1 INVITE")]
            t180 = sipsend(sf, "s", t100 - FW_LATENCY_US + rng.randrange(100000, 800000),
                           sip("SIP/2.0 180 Ringing", rv + [("Record-Route", rr)] + resp_to +
                               [("Contact", remote_contact)]))
            t200 = sipsend(sf, "s", t180 - FW_LATENCY_US + rng.randrange(500000, 3000000),
                           sip("SIP/2.0 200 OK", rv + [("Record-Route", rr)] + resp_to +
                               [("Contact", remote_contact), ("Content-Type", "application/sdp")],
                               peer_sdp))
            dlg = [("From", fr_), ("To", to_t), ("Call-ID", call_id)]
            tack = t200 + 5000
            sipsend(sf, "c", tack, sip(
                "ACK %s SIP/2.0" % remote_contact[1:-1],
                [("Via", pvia(_hex(rng, 6))), ("Max-Forwards", "70"), ("Route", rr)] + dlg +
                [("CSeq", "1 ACK")], compact=cmp))
        else:
            br = _hex(rng, 6)
            fr_, to_, to_t = ("%s;tag=%s" % (remote, rtag), ph.aor, "%s;tag=%s" % (ph.aor, ptag))
            base = [("Via", xvia(br))]
            dlg0 = [("From", fr_), ("To", to_), ("Call-ID", call_id), ("CSeq", "101 INVITE")]
            t = sipsend(sf, "s", t, sip(
                "INVITE sip:%s@%s:%d SIP/2.0" % ((ph.ext,) + ph.pub),
                base + [("Max-Forwards", "70")] + dlg0 +
                [("Contact", pbx_contact), ("Content-Type", "application/sdp")], peer_sdp))
            resp = [("From", fr_), ("To", to_t), ("Call-ID", call_id), ("CSeq", "101 INVITE")]
            sipsend(sf, "c", t + 1000, sip("SIP/2.0 100 Trying", base + dlg0, compact=cmp))
            t180 = t + rng.randrange(20000, 60000)
            sipsend(sf, "c", t180, sip("SIP/2.0 180 Ringing", base + resp +
                                       [("Contact", ph.contact)], compact=cmp))
            t200 = max(t180, stun_t + 2 * rtt) + rng.randrange(500000, 3000000)
            ta = sipsend(sf, "c", t200, sip(
                "SIP/2.0 200 OK", base + resp + [("Contact", ph.contact),
                                                 ("Content-Type", "application/sdp")],
                phone_sdp, cmp))
            dlg = [("From", fr_), ("To", to_t), ("Call-ID", call_id)]
            tack = sipsend(sf, "s", ta + rtt, sip(
                "ACK sip:%s@%s:%d SIP/2.0" % ((ph.ext,) + ph.pub),
                [("Via", xvia(_hex(rng, 6))), ("Max-Forwards", "70")] + dlg +
                [("CSeq", "101 ACK")]))
            tack -= FW_LATENCY_US

        # Media: the phone sends first; a sample of the stream (G.729, 20 ms):
        # two packets from the phone, one from the peer.
        mf = flow(UDP, (ph.addr, rtp_port), media, eim=True, tag="rtp")
        ssrc_p, ssrc_r = rng.getrandbits(32), rng.getrandbits(32)
        seq_p, seq_r = rng.getrandbits(16), rng.getrandbits(16)
        ts_p, ts_r = rng.getrandbits(32), rng.getrandbits(32)
        tm = tack + 10000
        for n in range(2):
            mf.send(out, "c", tm + 20000 * n, rtp_packet(seq_p + n, ts_p + 160 * n, ssrc_p,
                                                         rng.randbytes(20), n == 0))
        for n in range(1):
            mf.send(out, "s", tm + rtt + 20000 * n, rtp_packet(seq_r + n, ts_r + 160 * n, ssrc_r,
                                                               rng.randbytes(20), n == 0))

        # Hang up: the phone (outbound calls) or the far end (inbound).
        tb = tm + rng.randrange(1000000, 5000000)
        br = _hex(rng, 6)
        if outbound:
            hdr = [("Via", pvia(br)), ("Max-Forwards", "70"), ("Route", rr)] + dlg + \
                  [("CSeq", "2 BYE")]
            t = sipsend(sf, "c", tb, sip("BYE %s SIP/2.0" % remote_contact[1:-1], hdr,
                                         compact=cmp))
            t = sipsend(sf, "s", t + rtt, sip("SIP/2.0 200 OK", [("Via", pvia_r(br))] + dlg +
                                              [("CSeq", "2 BYE")]))
        else:
            hdr = [("Via", xvia(br)), ("Max-Forwards", "70")] + dlg + [("CSeq", "102 BYE")]
            t = sipsend(sf, "s", tb, sip("BYE sip:%s@%s:%d SIP/2.0" % ((ph.ext,) + ph.pub),
                                         hdr))
            t = sipsend(sf, "c", t + 2000, sip("SIP/2.0 200 OK", [("Via", xvia(br))] + dlg +
                                               [("CSeq", "102 BYE")], compact=cmp))
        ph.busy_until = t + 1000000

    # Noise: laptops browsing (DNS, then HTTPS).
    names = ["www.example.com", "cdn.example.org", "mail.example.net", "api.example.com",
             "static.example.org", "login.example.net"]
    for k in range(N_HTTPS):
        addr = "10.1.250.%d" % (10 + k % N_LAPTOPS)
        t = T0_US + rng.randrange(0, 58000000)
        srv_addr = "203.0.113.%d" % rng.randrange(100, 151)
        t = dns(addr, t, rng.choice(names), srv_addr)
        f = flow(TCP, (addr, ports.take(addr, TCP)), (srv_addr, 443), tag="https")
        f.tcp_exchange(out, rng, t + 500, rng.randrange(8000, 60000), client_hello(rng),
                       server_hello(rng))
    return out, flows, nsip[0]


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------

def _sorted(out):
    for seg in out:
        out[seg].sort(key=lambda x: x[0])
    return out


def truth(name):
    """Ground truth without building captures: dict with `bindings` (rows of
    Flow.truth(): proto, inside src, dst, dmz src, TCP sequence offset),
    `ambiguous` (rows), `digest`, and per-scenario counts."""
    if name == "nat_10k_flows":
        _, flows = plan_nat_10k(build=False)
        extra = {}
    elif name == "healthy_sip_10k":
        _, flows, n = plan_healthy_sip(build=False)
        extra = {"sip_messages": n}
    else:
        raise KeyError(name)
    good, amb = expected_bindings(flows)
    rows = [f.truth() for f in good]
    r = {"bindings": rows, "ambiguous": [f.truth() for f in amb], "digest": truth_digest(rows),
         "flows": len(flows)}
    r.update(extra)
    return r


def _fold(text, width=78):
    words, line, lines = text.split(), "  ", []
    for w in words:
        if len(line) + len(w) > width:
            lines.append(line.rstrip())
            line = "  "
        line += w + " "
    lines.append(line.rstrip())
    return lines


DESCRIPTIONS = {
    "nat_10k_flows":
        "10,000 concurrent TCP connections and 2,000 UDP flows from 10.1.0.0/16 "
        "to servers in 203.0.113.0/24 through a firewall that source-NATs them to "
        "198.51.100.1-4 (distinct ports; 30% of the TCP connections also get "
        "their sequence numbers shifted). Each flow's first payload in each "
        "direction is distinct (TLS hellos, NTP, STUN), except 20 connections to "
        "203.0.113.200:9000 that reconnect within 1 s with byte-identical "
        "keep-alives: ambiguous, never joined. Healthy outbound NAT.",
    "healthy_sip_10k":
        "800 SIP phones behind a source NAT (198.51.100.1-4), configured right: "
        "STUN on the SIP 5-tuple and the RTP ports, public addresses in Via, "
        "Contact and SDP. Registration with a 401 challenge, then 972 calls "
        "through the PBX 203.0.113.5 (INVITE, 100, 180, 200 with SDP, ACK, "
        "RTP, BYE, 200), half of them inbound: 10,004 SIP messages. No SIP ALG, "
        "so every message is byte-identical on both segments. DNS and HTTPS "
        "noise.",
}


def generate(name, outdir):
    if name == "nat_10k_flows":
        out, flows = plan_nat_10k()
        n_sip = 0
    elif name == "healthy_sip_10k":
        out, flows, n_sip = plan_healthy_sip()
    else:
        sys.stderr.write("gen_scale.py: unknown scenario '%s' (known: %s)\n"
                         % (name, ", ".join(SCENARIO_NAMES)))
        raise SystemExit(2)
    _sorted(out)
    good, amb = expected_bindings(flows)
    rows = [f.truth() for f in good]
    os.makedirs(outdir, exist_ok=True)
    for seg in ("inside", "dmz"):
        write_pcap(os.path.join(outdir, seg + ".pcap"), out[seg])
    kinds = {}
    for f in flows:
        kinds[f.tag] = kinds.get(f.tag, 0) + 1
    lines = [
        "# Generated by tools/gen_scale.py; do not edit, re-run the generator.",
        "name: %s" % name,
        "description: >-",
    ] + _fold(DESCRIPTIONS[name]) + [
        'start: "2016-04-19T08:00:00Z"',
        "captures:",
        "  inside: inside.pcap     # between the clients and the firewall",
        "  dmz: dmz.pcap           # between the firewall and the internet",
        "frames: {inside: %d, dmz: %d}" % (len(out["inside"]), len(out["dmz"])),
        "flows: {%s}   # per segment" % ", ".join("%s: %d" % (k, kinds[k]) for k in sorted(kinds)),
        "sip_messages: {inside: %d, dmz: %d}" % (n_sip, n_sip),
        "nat:",
        "  source_pool: [%s]" % ", ".join(NAT_POOL),
        "# Flows a correct learner joins into a binding (one record each): translated,",
        "# with a first payload in each direction no other flow of the segment shares",
        "# within 2 s. Tuples: tools/gen_scale.py truth('%s'); digest below." % name,
        "bindings_expected: %d" % len(rows),
        "ambiguous_flows: %d     # identical first payloads within 2 s: never joined" % len(amb),
        "truth_sha256: %s" % truth_digest(rows),
    ]
    if name == "nat_10k_flows":
        lines.append('ambiguous_server: "%s:%d"' % COLLECTOR)
    lines += [
        "# Anomaly types (ARCHITECTURE.md) a correct analyzer must / must not report.",
        "expect: []",
        "forbid: [%s]" % ", ".join(ANOMALY_TYPES),
        "",
    ]
    with open(os.path.join(outdir, "scenario.yaml"), "w") as f:
        f.write("\n".join(lines))
    return {"frames": {s: len(out[s]) for s in out}, "bindings_expected": len(rows),
            "ambiguous": len(amb), "sip_messages": n_sip}


def main(argv=None):
    ap = argparse.ArgumentParser(description="Generate natprobe's scale scenarios.")
    ap.add_argument("--all", metavar="OUTROOT",
                    help="write every scenario into OUTROOT/scenarios/<name>/")
    ap.add_argument("--list", action="store_true", help="list scenario names")
    ap.add_argument("scenario", nargs="?")
    ap.add_argument("outdir", nargs="?")
    a = ap.parse_args(argv)
    if a.list:
        print("\n".join(SCENARIO_NAMES))
        return 0
    if a.all:
        for name in SCENARIO_NAMES:
            print("%s: %s" % (name, generate(name, os.path.join(a.all, "scenarios", name))))
        return 0
    if not a.scenario or not a.outdir:
        ap.error("give SCENARIO OUTDIR, or --all OUTROOT")
    print("%s: %s" % (a.scenario, generate(a.scenario, a.outdir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
