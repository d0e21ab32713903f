#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Deterministic scenario generator for natprobe (scapy).

Builds the captures of the seed failure (Cisco TAC: "MRA phone services fail
because of source NAT over NAT reflection") and its variants, seen from both
sides of the firewall:

    Expressway-C 10.0.30.2 --[inside]-- firewall --[dmz]-- Expressway-E 10.0.10.2
                                                        (static NAT 64.100.0.10)

Every scenario is a folder (Suricata-Verify style):

    inside.pcap     captured between Expressway-C and the firewall
    dmz.pcap        captured between the firewall and Expressway-E
    scenario.yaml   addresses, frame counts, and the anomaly types a correct
                    analyzer must report (expect) and must not report (forbid)

plus `malformed/frames.pcap` + `frames.yaml`: a frame zoo for the L2-L4 parser
and the fail-open forwarding path, with the expected class of every frame.

Output is byte-identical from run to run: fixed timestamps (from
2016-04-19T07:09:13Z, the time of the seed's logs), fixed seeds, and a pcap
writer of our own (microsecond pcap, link type Ethernet, snaplen 65535).

Usage:
    gen_scenario.py SCENARIO OUTDIR     write one scenario into OUTDIR
    gen_scenario.py --all OUTROOT       OUTROOT/scenarios/<name>/, OUTROOT/malformed/
    gen_scenario.py --list              list scenario names
"""

import argparse
import os
import random
import struct
import sys

from scapy.config import conf

conf.verb = 0
from scapy.layers.inet import GRE, ICMP, IP, TCP, UDP, IPOption_RR  # noqa: E402
from scapy.layers.inet6 import (  # noqa: E402
    ICMPv6EchoRequest,
    IPv6,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
)
from scapy.layers.l2 import ARP, Dot1AD, Dot1Q, Dot3, Ether, LLC  # noqa: E402
from scapy.packet import Raw  # noqa: E402

# 2016-04-19T07:09:13Z: the seed's logs (UTCTime="2016-04-19 07:09:13,973").
T0_US = 1461049753 * 1000000

# Addresses, from the seed.
EXPC = "10.0.30.2"           # Expressway-C
EXPE_PRIV = "10.0.10.2"      # Expressway-E, its only NIC
EXPE_PUB = "64.100.0.10"     # Expressway-E, static NAT on the firewall
TRAV_PORT = 7003             # traversal zone port on Expressway-E
C_PORT = 27901               # Expressway-C's source port of the traversal connection
SNAT_PORT = 4401             # the firewall's source translation of C_PORT
PHANTOM_SPORT = 27921        # C's failed connect, following the Route header

MAC_C = "00:50:56:a1:1e:02"
MAC_FW_IN = "00:50:56:a1:fe:01"
MAC_FW_DMZ = "00:50:56:a1:fe:02"
MAC_E = "00:50:56:a1:0a:02"

FW_LATENCY_US = 80           # the firewall's forwarding delay
MSS = 1460
ANOMALY_TYPES = [
    "hairpin_snat", "translated_route", "phantom_connect", "sip_timeout",
    "private_via_contact", "sdp_address_mismatch", "alg_rewrite",
    "nat_reflection_misroute",
]


# --------------------------------------------------------------------------
# pcap writer: deterministic, microsecond resolution, Ethernet
# --------------------------------------------------------------------------

def write_pcap(path, frames):
    """frames: list of (time_us, bytes). Written in the order given."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t_us, data in frames:
            data = bytes(data)
            f.write(struct.pack("<IIII", t_us // 1000000, t_us % 1000000,
                                len(data), len(data)))
            f.write(data)


# --------------------------------------------------------------------------
# SIP messages (cleartext traversal variant of the seed)
# --------------------------------------------------------------------------

BOUNDARY = "boundary-6j7zrmj35ifsu3efg5ga603hnz1nbf"
BRANCH_E = "z9hG4bK5e0f6d9b3a1c27d4e8f0a2b4c6d8e0f1"
BRANCH_CLIENT = "z9hG4bK0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d"
PROXY_CALL_ID = "7c1e9a52-3b8d-4f60-9e21-5a4c3d2b1f00"
BRANCH_KA = "z9hG4bK3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c"

IDENTITY = (
    "7ioJ9gpsS5ob2TUAttNxBGYRWDbnRuf5skrkxP+B14ngRvjkIWIu7BQP5W7vW1BTVyVaGuubV5u7rPDc5an"
    "Dx9u46i/8TkxxYuxkr83DEh/cYPWlwO7JvTP5nub6/EtEt6RXvwizY6Gm/MXV4eMqQJ06kA86EFxP1SsRxop0Y"
    "jUs61B10JnBrtQjOicskoAuMGzNjiBKvcCAbrASGtWP015vRp9khcs3e8vmkpZH5Qtef6+gNaRWPES3MS==")

XML_BODY = (
    '<?xml version="1.0" encoding="utf-8"?>\r\n'
    "<methodCall><params><username>john.smith</username><realm>cucm02.example.local</realm>"
    "<nonce>2i78worv9unccs6vbclfi4xai78worv9unccs6vbclfi4xa4i15j</nonce><qop>auth</qop>"
    "<cnonce>54f80570</cnonce><nc>00000001</nc><response>2i78worv9unccs6vbclfi4xa4i15j"
    "</response><uri>sip:cucm02.example.local</uri><method>REGISTER</method><id>12345678</id>"
    "<caching-enabled>true</caching-enabled><reqtype>collab-edge</reqtype></params>"
    "<methodName>DigestAuth</methodName><version>1.0</version><msgid>12345678979</msgid>"
    "<sipdomain>cucm02.example.local</sipdomain></methodCall>")

CERT_LINES = """hknS5nQ8NJEspxLPY0N4BvA8iL7ZasOqnqgHRlj95N8bn
OfigoKhe90kV6Y7PRbRpwFv6jGiFR8hyepr3t2BPec0aZ
ZAK3ZC92RQbDjCxy2U99L8WLlTpJQwIuTjLHicbiNCNZu
Be9xEMgewwGFVfSzW08DzlecJNXpsKqQ0ivbpLbwreXJG
SCbcse3O67yvghMDsotcK4gur11FZWOZJFa3EMlgoT3Mj
ApGvMfL9caTjY1EaLWDl5rWGGe8FpRLCizrz0wwUGg7Px
Moy6kAujtolwN9BUI0sgJ98MnBuuREJZNW7g7nJL5zywT
FXhMgy9PBUMuwjgu5KruY4caWDYtNu1kZzCtnm044lOk7
xhIOoOWWj9sNFnDQGDrgBIFBjggEihSbZr6h4Pq2ZMZ4r
i5yGpz0j7a6lg2NOKm6FXpfqVlB7zvyQsM6x0XJEImpjV
al0nHYkTLkBEmK5jVosgyOrSWpZPimc364sRxRW4ABZZX
M6XstZNGhvQNDVk1JlfCN5yRtEgEkkizeWOHJcts922wL
2rVTfUfWGXMkca8YHKj2ixkthNnHVbLG0YoUNOUDHq1xu
49F7Kcw7neuQQZ4MmEif59lnyhY7qEIQVEpGn0jgqZAX8
omNVxTewa9nTXvjxo5xvTLghYfESCqniBbtWwMhhRuR7N
eh09OvFWsuUyHJmDBYpoNZWTXEB4Fw5XwfjzZAoHzOFV6
xcE4LGYrpI4EbaZ58r8uVrfXkrNrgepFw2zMgamhwf9n5
AzEU2gh9vTUNZEAn8De5XQKAipeehO8Dpef2JTBLV5avf
nh7rfxh8BZY4xteSRox8iBnT4Na6qsDMb2gvp6gTYFFJH
RGMHIe5siI1HhARqDjen4EwrKfMOYNJWTqmx4mjDrqyme""".split("\n")


def sip_message(start_line, headers, body=b""):
    """Build a SIP message; Content-Length is computed from body."""
    lines = [start_line] + ["%s: %s" % (k, v) for k, v in headers]
    lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def service_body():
    parts = [
        "--" + BOUNDARY,
        "Content-Type: application/text",
        "",
        XML_BODY,
        "--" + BOUNDARY,
        "Content-Type: application/x-x509-ca-cert",
        "",
        "-----BEGIN CERTIFICATE-----",
    ] + CERT_LINES + [
        "-----END CERTIFICATE-----",
        "--" + BOUNDARY + "--",
        "",
    ]
    return "\r\n".join(parts).encode()


E_VIA = ("SIP/2.0/TLS %s:%d;egress-zone=UCTraversal;branch=%s;proxy-call-id=%s;rport"
         % (EXPE_PUB, TRAV_PORT, BRANCH_E, PROXY_CALL_ID))
CLIENT_VIA = ("SIP/2.0/TCP 127.0.0.1:5060;branch=%s;received=127.0.0.1;rport=25063;"
              "ingress-zone=DefaultZone" % BRANCH_CLIENT)


def sip_service(route_endpoint):
    """Expressway-E's SERVICE towards Expressway-C; Route names route_endpoint."""
    return sip_message("SERVICE sip:serviceserver@cucm02.example.local SIP/2.0", [
        ("Via", E_VIA),
        ("Via", CLIENT_VIA),
        ("Call-ID", "abcd12345678@127.0.0.1"),
        ("CSeq", "4616 SERVICE"),
        ("Contact", "<sip:serviceproxy@cucm02.example.local>"),
        ("From", "<sip:serviceproxy@cucm02.example.local>;tag=0987654321aaaa"),
        ("To", "<sip:serviceserver@cucm02.example.local>"),
        ("Max-Forwards", "15"),
        ("Route", "<sip:%s;transport=tls;apparent;ds;lr>" % route_endpoint),
        ("Route", "<sip:127.0.0.1:22210;transport=tcp;vcs-cate;lr>"),
        ("User-Agent", "TANDBERG/4132 (X8.7.2)"),
        ("Date", "Tue, 19 Apr 2016 07:09:13 GMT"),
        ("Event", "service"),
        ("P-Asserted-Identity", "<sip:serviceproxy@cucm02.example.local>"),
        ("X-TAATag", "e90b4983919b1f7a46d38f835"),
        ("Identity", '"%s"' % IDENTITY),
        ("Content-Type", "multipart/mixed;boundary=" + BOUNDARY),
    ], service_body())


def sip_service_response(code, reason, warning=None):
    """Expressway-C's final response to the SERVICE (408 in the seed, 200 when healthy)."""
    hdrs = [
        ("Via", "SIP/2.0/TLS %s:%d;egress-zone=UCTraversal;branch=%s;proxy-call-id=%s;"
                "received=%s;rport=%d;ingress-zone=UCTraversal;ingress-zone-id=4"
                % (EXPE_PUB, TRAV_PORT, BRANCH_E, PROXY_CALL_ID, EXPE_PUB, TRAV_PORT)),
        ("Via", CLIENT_VIA),
        ("Call-ID", "abcd12345678@127.0.0.1"),
        ("CSeq", "4616 SERVICE"),
        ("From", "<sip:serviceproxy@cucm02.example.local>;tag=0987654321aaaa"),
        ("To", "<sip:serviceserver@cucm02.example.local>;tag=0987654321bbbb"),
        ("Server", "TANDBERG/4132 (X8.7.2)"),
    ]
    if warning:
        hdrs.append(("Warning", warning))
    return sip_message("SIP/2.0 %d %s" % (code, reason), hdrs)


def sip_keepalive():
    """Expressway-E's OPTIONS keepalive on the traversal connection."""
    return sip_message("OPTIONS sip:expc.example.local;transport=tls SIP/2.0", [
        ("Via", "SIP/2.0/TLS %s:%d;branch=%s;rport" % (EXPE_PUB, TRAV_PORT, BRANCH_KA)),
        ("Call-ID", "5d1c2b3a4f@%s" % EXPE_PUB),
        ("CSeq", "31337 OPTIONS"),
        ("From", "<sip:expe.example.com>;tag=a1b2c3d4e5"),
        ("To", "<sip:expc.example.local>"),
        ("Max-Forwards", "0"),
        ("User-Agent", "TANDBERG/4132 (X8.7.2)"),
    ])


def sip_keepalive_ok():
    return sip_message("SIP/2.0 200 OK", [
        ("Via", "SIP/2.0/TLS %s:%d;branch=%s;received=%s;rport=%d"
                % (EXPE_PUB, TRAV_PORT, BRANCH_KA, EXPE_PUB, TRAV_PORT)),
        ("Call-ID", "5d1c2b3a4f@%s" % EXPE_PUB),
        ("CSeq", "31337 OPTIONS"),
        ("From", "<sip:expe.example.com>;tag=a1b2c3d4e5"),
        ("To", "<sip:expc.example.local>;tag=f6e5d4c3b2"),
        ("Allow", "INVITE,ACK,CANCEL,OPTIONS,BYE,INFO,SUBSCRIBE,NOTIFY,MESSAGE,REFER,SERVICE"),
        ("Server", "TANDBERG/4132 (X8.7.2)"),
    ])


def tls_record(rng, length):
    """An opaque TLS 1.2 application_data record, `length` bytes in all."""
    return bytes([0x17, 0x03, 0x03]) + struct.pack(">H", length - 5) + rng.randbytes(length - 5)


# --------------------------------------------------------------------------
# TCP connection seen on one or two segments
# --------------------------------------------------------------------------

class View:
    """One segment's view of a connection: addresses, MACs, time shift, TTL."""

    def __init__(self, cli, srv, cli_mac, srv_mac, cli_ttl, srv_ttl, cli_seq_offset=0,
                 c2s_delay=0, s2c_delay=0):
        self.cli, self.srv = cli, srv
        self.cli_mac, self.srv_mac = cli_mac, srv_mac
        self.cli_ttl, self.srv_ttl = cli_ttl, srv_ttl
        self.cli_seq_offset = cli_seq_offset
        self.c2s_delay, self.s2c_delay = c2s_delay, s2c_delay


class Conn:
    """A TCP connection; every packet is emitted into each view it is seen in.

    Sequence numbers are tracked once; a view may shift the client's sequence
    space (a firewall that randomises ISNs). Times are the sender's wire time;
    each view adds its own delay per direction.
    """

    def __init__(self, views, out, cli_isn, srv_isn, ipid):
        self.views = views          # {segment: View}
        self.out = out              # {segment: [(t_us, bytes)]}
        self.seq = {"c": cli_isn, "s": srv_isn}
        self.ipid = ipid            # {"c": n, "s": n}, shared with other connections
        self.wnd = {"c": 29200, "s": 28960}

    def _emit(self, t, d, flags, payload=b"", opts=None, ack=True, only=None):
        other = "s" if d == "c" else "c"
        seq = self.seq[d]
        ackn = self.seq[other] if ack else 0
        ident = self.ipid[d]
        self.ipid[d] = (ident + 1) & 0xFFFF
        for seg, v in self.views.items():
            if only and seg not in only:
                continue
            s_seq, s_ack = seq, ackn
            if d == "c":
                s_seq = (seq + v.cli_seq_offset) & 0xFFFFFFFF
                src, dst, smac, dmac, ttl = v.cli, v.srv, v.cli_mac, v.srv_mac, v.cli_ttl
                delay = v.c2s_delay
            else:
                if ack:
                    s_ack = (ackn + v.cli_seq_offset) & 0xFFFFFFFF
                src, dst, smac, dmac, ttl = v.srv, v.cli, v.srv_mac, v.cli_mac, v.srv_ttl
                delay = v.s2c_delay
            tcp = TCP(sport=src[1], dport=dst[1], seq=s_seq, ack=s_ack, flags=flags,
                      window=(0 if "R" in flags else
                              self.wnd[d] if "S" in flags else self.wnd[d] >> 7),
                      options=opts or [])
            pkt = (Ether(src=smac, dst=dmac) /
                   IP(src=src[0], dst=dst[0], ttl=ttl, id=ident, flags="DF") / tcp)
            if payload:
                pkt = pkt / Raw(payload)
            self.out[seg].append((t + delay, bytes(pkt)))

    def handshake(self, t):
        syn_opts = [("MSS", MSS), ("SAckOK", b""), ("NOP", None), ("WScale", 7)]
        self._emit(t, "c", "S", opts=syn_opts, ack=False)
        self.seq["c"] += 1
        self._emit(t + 400, "s", "SA", opts=syn_opts)
        self.seq["s"] += 1
        self._emit(t + 560, "c", "A")

    def write(self, t, d, data, cuts=()):
        """Send `data` from side d ("c" or "s"), cut at the given offsets and at
        the MSS; the peer ACKs every second segment and the last one."""
        bounds = sorted(set([0, len(data)] + [c for c in cuts if 0 < c < len(data)]))
        chunks = []
        for a, b in zip(bounds, bounds[1:]):
            while b - a > MSS:
                chunks.append(data[a:a + MSS])
                a += MSS
            chunks.append(data[a:b])
        other = "s" if d == "c" else "c"
        for i, chunk in enumerate(chunks):
            ts = t + 25 * i
            last = i == len(chunks) - 1
            self._emit(ts, d, "PA" if last else "A", chunk)
            self.seq[d] = (self.seq[d] + len(chunk)) & 0xFFFFFFFF
            if i % 2 == 1 or last:
                self._emit(ts + 200, other, "A")
        return t + 25 * len(chunks) + 200


def phantom_connect(out, seg, t, isn, ipid):
    """C follows the Route header to 64.100.0.10:4401; the firewall refuses."""
    c = Conn({seg: View((EXPC, PHANTOM_SPORT), (EXPE_PUB, SNAT_PORT), MAC_C, MAC_FW_IN, 64, 64)},
             out, isn, 0, ipid)
    c._emit(t, "c", "S", opts=[("MSS", MSS), ("SAckOK", b""), ("NOP", None), ("WScale", 7)],
            ack=False)
    c.seq["c"] += 1
    # RST/ACK from the firewall, on behalf of 64.100.0.10 (seq 0, ack isn+1)
    saved = c.ipid["s"]
    c.ipid["s"] = 0
    c._emit(t + 1000, "s", "RA")
    c.ipid["s"] = saved


# --------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------

def traversal_scenario(name, snat, tls, seq_offset, healthy, dnat=True):
    """The traversal connection C -> E, seen inside and in the DMZ.

    snat:       the firewall also translates the source to 64.100.0.10:4401
    tls:        payload is opaque TLS records instead of cleartext SIP
    seq_offset: the firewall shifts C's TCP sequence numbers on the dmz side
    healthy:    C answers the SERVICE itself (200 OK); otherwise it follows the
                Route, gets a RST, and answers 408
    dnat:       C dials E's public address, which the firewall translates to
                10.0.10.2; without it (dual-NIC Expressway-E) C dials E's internal
                address directly and nothing is translated at all
    """
    rng = random.Random("natprobe/" + name)
    out = {"inside": [], "dmz": []}
    c_isn = rng.getrandbits(32)
    e_isn = rng.getrandbits(32)
    phantom_isn = rng.getrandbits(32)
    dmz_cli = (EXPE_PUB, SNAT_PORT) if snat else (EXPC, C_PORT)
    views = {
        "inside": View((EXPC, C_PORT), (EXPE_PUB if dnat else EXPE_PRIV, TRAV_PORT), MAC_C,
                       MAC_FW_IN, 64, 63, s2c_delay=FW_LATENCY_US),
        "dmz": View(dmz_cli, (EXPE_PRIV, TRAV_PORT), MAC_FW_DMZ, MAC_E, 63, 64,
                    cli_seq_offset=seq_offset, c2s_delay=FW_LATENCY_US),
    }
    ipid = {"c": 0x3a10, "s": 0x5c20}
    conn = Conn(views, out, c_isn, e_isn, ipid)
    # The traversal connection was opened at 07:09:13.000 ...
    conn.handshake(T0_US)
    # ... E (dmz wire time 13.972920, inside 13.973000, as logged by C) sends its
    # keepalive and the SERVICE back to back: one segment carries the whole
    # OPTIONS and the SERVICE's first bytes, cut in the middle of the Route
    # header; the SERVICE continues over two more segments.
    route = "%s:%d" % dmz_cli
    ka, service = sip_keepalive(), sip_service(route)
    if healthy:
        resp = sip_service_response(200, "OK")
    else:
        resp = sip_service_response(408, "Request Timeout",
                                    '399 %s "Request Timeout"' % EXPC)
    ok = sip_keepalive_ok()
    cut_in_route = service.index(b"Route: <sip:") + 17
    if tls:
        ka, service = tls_record(rng, len(ka) + 29), tls_record(rng, len(service) + 29)
        resp, ok = tls_record(rng, len(resp) + 29), tls_record(rng, len(ok) + 29)
    e_write = ka + service
    conn.write(T0_US + 972920, "s", e_write, cuts=[len(ka) + cut_in_route])
    if not healthy:
        # C routes the SERVICE per its Route header: 10.0.30.2:27921 -> 64.100.0.10:4401,
        # refused (inside only: the firewall answers).
        phantom_connect(out, "inside", T0_US + 979000, phantom_isn, ipid)
    # C answers both requests in one segment: final response to the SERVICE,
    # then the 200 OK to the keepalive.
    conn.write(T0_US + 982000, "c", resp + ok)
    for seg in out:
        out[seg].sort(key=lambda x: x[0])
    return out


SCENARIOS = {
    "seed_misroute": dict(
        snat=True, tls=False, seq_offset=0, healthy=False,
        description="The seed failure, cleartext traversal: the firewall DNATs "
                    "64.100.0.10:7003 to 10.0.10.2:7003 and also source-NATs C's "
                    "10.0.30.2:27901 to 64.100.0.10:4401 (NAT reflection). E's SERVICE "
                    "carries Route <sip:64.100.0.10:4401;...>; C connects there from "
                    "port 27921, gets a RST, and answers 408 with Warning 399.",
        expect=["hairpin_snat", "translated_route", "phantom_connect", "sip_timeout",
                "nat_reflection_misroute"],
        forbid=["private_via_contact", "sdp_address_mismatch", "alg_rewrite"]),
    "seed_misroute_tls": dict(
        snat=True, tls=True, seq_offset=0, healthy=False,
        description="The seed failure as it is on the wire (TLS): same flows and "
                    "segmentation as seed_misroute, payload opaque TLS records; "
                    "only the NAT bindings and the refused connect are visible.",
        expect=["hairpin_snat", "phantom_connect", "nat_reflection_misroute"],
        forbid=["translated_route", "sip_timeout", "private_via_contact",
                "sdp_address_mismatch", "alg_rewrite"]),
    "healthy_dnat_only": dict(
        snat=False, tls=False, seq_offset=0, healthy=True,
        description="The seed's fix: the firewall only translates the destination "
                    "(64.100.0.10:7003 -> 10.0.10.2:7003); E sees C as 10.0.30.2:27901, "
                    "Route names it, C processes the SERVICE itself and answers 200 OK.",
        expect=[],
        forbid=list(ANOMALY_TYPES)),
    "dual_nic_no_nat": dict(
        snat=False, dnat=False, tls=False, seq_offset=0, healthy=True,
        description="The seed's second fix: Expressway-E has a second NIC facing "
                    "Expressway-C, which connects to 10.0.10.2:7003 directly; the "
                    "firewall routes without any NAT, both wires carry the same "
                    "4-tuple, Route names 10.0.30.2:27901 and C answers 200 OK.",
        expect=[],
        forbid=list(ANOMALY_TYPES)),
    "seq_randomised": dict(
        snat=True, tls=False, seq_offset=0x1F2E3D4C, healthy=False,
        description="As seed_misroute, but the firewall also shifts C's TCP sequence "
                    "numbers on the dmz side by 0x1F2E3D4C (ISN randomisation): "
                    "bindings must be learned from payload, not from sequence numbers.",
        expect=["hairpin_snat", "translated_route", "phantom_connect", "sip_timeout",
                "nat_reflection_misroute"],
        forbid=["private_via_contact", "sdp_address_mismatch", "alg_rewrite"]),
}


def yaml_list(items):
    return "[" + ", ".join(items) + "]"


def gen_traversal(name, outdir):
    sc = SCENARIOS[name]
    out = traversal_scenario(name, sc["snat"], sc["tls"], sc["seq_offset"], sc["healthy"],
                             sc.get("dnat", True))
    os.makedirs(outdir, exist_ok=True)
    for seg in ("inside", "dmz"):
        write_pcap(os.path.join(outdir, seg + ".pcap"), out[seg])
    dmz_src = "%s:%d" % ((EXPE_PUB, SNAT_PORT) if sc["snat"] else (EXPC, C_PORT))
    n_sip = 0 if sc["tls"] else 4
    lines = [
        "# Generated by tools/gen_scenario.py; do not edit, re-run the generator.",
        "name: %s" % name,
        "description: >-",
    ]
    # fold the description at ~78 columns
    words, line = sc["description"].split(), "  "
    for w in words:
        if len(line) + len(w) > 78:
            lines.append(line.rstrip())
            line = "  "
        line += w + " "
    lines.append(line.rstrip())
    lines += [
        'start: "2016-04-19T07:09:13Z"',
        "captures:",
        "  inside: inside.pcap     # between Expressway-C and the firewall",
        "  dmz: dmz.pcap           # between the firewall and Expressway-E",
        "frames: {inside: %d, dmz: %d}" % (len(out["inside"]), len(out["dmz"])),
        "payload: %s" % ("tls" if sc["tls"] else "sip"),
        "sip_messages: {inside: %d, dmz: %d}   # OPTIONS, SERVICE, final response, 200 OK"
        % (n_sip, n_sip),
        "hosts:",
        "  expressway_c: %s" % EXPC,
        "  expressway_e_private: %s" % EXPE_PRIV,
        "  expressway_e_public: %s" % EXPE_PUB,
        "static_nat:             # known to the operator (analyze --static-nat PRIV=PUB)",
        "  - {private: %s, public: %s}" % (EXPE_PRIV, EXPE_PUB),
        "traversal:              # the same TCP connection on both segments",
        '  inside: {src: "%s:%d", dst: "%s:%d"}' % (EXPC, C_PORT, EXPE_PUB if sc.get("dnat", True)
                                                     else EXPE_PRIV, TRAV_PORT),
        '  dmz: {src: "%s", dst: "%s:%d"}' % (dmz_src, EXPE_PRIV, TRAV_PORT),
        "  dmz_seq_offset: %d" % sc["seq_offset"],
    ]
    if not sc["healthy"]:
        lines += [
            "phantom_connect:        # inside only; refused with a RST",
            '  inside: {src: "%s:%d", dst: "%s:%d"}' % (EXPC, PHANTOM_SPORT, EXPE_PUB, SNAT_PORT),
        ]
    lines += [
        "# Anomaly types (ARCHITECTURE.md) a correct analyzer must / must not report",
        "# for this scenario, given both captures and the static NAT above.",
        "expect: %s" % yaml_list(sc["expect"]),
        "forbid: %s" % yaml_list(sc["forbid"]),
        "",
    ]
    with open(os.path.join(outdir, "scenario.yaml"), "w") as f:
        f.write("\n".join(lines))
    return {seg: len(out[seg]) for seg in out}


# --------------------------------------------------------------------------
# Malformed / mixed frames
# --------------------------------------------------------------------------

M1, M2 = "02:00:00:00:00:01", "02:00:00:00:00:02"
A4, B4 = "192.0.2.1", "198.51.100.2"
A6, B6 = "2001:db8::1", "2001:db8::2"


def _eth(t=None):
    return Ether(src=M1, dst=M2) if t is None else Ether(src=M1, dst=M2, type=t)


def _ip4_hdr_checksum(hdr):
    s = 0
    for i in range(0, len(hdr), 2):
        s += (hdr[i] << 8) | hdr[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def _set_ip4_checksum(frame, l3_off, hlen, good=True):
    f = bytearray(frame)
    f[l3_off + 10:l3_off + 12] = b"\0\0"
    c = _ip4_hdr_checksum(bytes(f[l3_off:l3_off + hlen]))
    if not good:
        c ^= 0x5A5A
    f[l3_off + 10:l3_off + 12] = struct.pack(">H", c)
    return bytes(f)


def malformed_frames():
    """[(class, description, bytes)]; classes as np_pkt_class_name() in lib/pkt/np_pkt.h."""
    rng = random.Random("natprobe/malformed")
    tcp4 = _eth() / IP(src=A4, dst=B4, id=1) / TCP(sport=40000, dport=5060, flags="S", seq=1000)
    data = b"OPTIONS sip:b@198.51.100.2 SIP/2.0\r\n"
    F = []

    def add(cls, what, pkt):
        F.append((cls, what, bytes(pkt)))

    # --- valid frames
    add("tcp", "IPv4 TCP SYN", tcp4)
    add("tcp", "IPv4 TCP with payload",
        _eth() / IP(src=A4, dst=B4, id=2) / TCP(sport=40000, dport=5060, flags="PA") / data)
    add("tcp", "IPv4 with options (IHL 8, record route) TCP",
        _eth() / IP(src=A4, dst=B4, id=3, options=[IPOption_RR(routers=["0.0.0.0"] * 2)]) /
        TCP(sport=40001, dport=80, flags="A"))
    add("tcp", "802.1Q VLAN 100, IPv4 TCP",
        _eth() / Dot1Q(vlan=100) / IP(src=A4, dst=B4, id=4) / TCP(sport=40002, dport=7003))
    add("tcp", "QinQ 802.1ad 200 / 802.1Q 300, IPv4 TCP",
        _eth() / Dot1AD(vlan=200) / Dot1Q(vlan=300) / IP(src=A4, dst=B4, id=5) /
        TCP(sport=40003, dport=7003, flags="PA") / data)
    add("tcp", "IPv6 TCP",
        _eth() / IPv6(src=A6, dst=B6) / TCP(sport=40004, dport=5061, flags="S"))
    add("tcp", "IPv6 hop-by-hop extension header, TCP",
        _eth() / IPv6(src=A6, dst=B6) / IPv6ExtHdrHopByHop() / TCP(sport=40005, dport=5061))
    add("tcp", "60-byte frame, IPv4 TCP + 6 bytes Ethernet padding (IP length wins)",
        bytes(_eth() / IP(src=A4, dst=B4, id=6) / TCP(sport=40006, dport=80, flags="A"))
        + b"\0" * 6)
    add("tcp", "IPv4 TCP with a wrong TCP checksum (L4 checksums are not verified)",
        _eth() / IP(src=A4, dst=B4, id=7) / TCP(sport=40007, dport=80, flags="A", chksum=0xBEEF))
    big = (_eth() / Dot1Q(vlan=100) / IP(src=A4, dst=B4, id=8) /
           TCP(sport=40008, dport=5060, flags="A"))
    add("tcp", "1518-byte frame: 802.1Q IPv4 TCP, full-size payload",
        big / Raw(rng.randbytes(1518 - len(big))))
    jumbo = _eth() / IP(src=A4, dst=B4, id=9) / TCP(sport=40009, dport=5060, flags="A")
    add("tcp", "1600-byte frame (over a 1518 MTU), IPv4 TCP",
        jumbo / Raw(rng.randbytes(1600 - len(jumbo))))
    add("udp", "IPv4 UDP SIP",
        _eth() / IP(src=A4, dst=B4, id=10) / UDP(sport=5060, dport=5060) / data)
    add("udp", "IPv6 UDP", _eth() / IPv6(src=A6, dst=B6) / UDP(sport=5060, dport=5060) / data)
    add("udp", "802.1Q VLAN 10, IPv6 UDP",
        _eth() / Dot1Q(vlan=10) / IPv6(src=A6, dst=B6) / UDP(sport=53, dport=53) / (b"\0" * 12))
    add("udp", "QinQ 802.1ad 20 / 802.1Q 30, IPv4 UDP",
        _eth() / Dot1AD(vlan=20) / Dot1Q(vlan=30) / IP(src=A4, dst=B4, id=11) /
        UDP(sport=5060, dport=5060) / data)
    add("icmp", "IPv4 ICMP echo request",
        _eth() / IP(src=A4, dst=B4, id=12) / ICMP(type=8, id=1, seq=1) / b"ping")
    add("icmp", "IPv4 ICMP port unreachable quoting a UDP datagram",
        _eth() / IP(src=B4, dst=A4, id=13) / ICMP(type=3, code=3) /
        bytes(IP(src=A4, dst=B4, id=10) / UDP(sport=5060, dport=5060))[:28])
    add("icmp", "IPv6 ICMPv6 echo request",
        _eth() / IPv6(src=A6, dst=B6) / ICMPv6EchoRequest(id=1, seq=1))
    add("ip_other", "IPv4 GRE",
        _eth() / IP(src=A4, dst=B4, id=14) / GRE() / IP(src="10.1.1.1", dst="10.1.1.2") / ICMP())
    add("ip_other", "IPv4 ESP (protocol 50)",
        _eth() / IP(src=A4, dst=B4, id=15, proto=50) / Raw(rng.randbytes(48)))
    add("ip_other", "IPv6 SCTP (next header 132)",
        _eth() / IPv6(src=A6, dst=B6, nh=132) / Raw(rng.randbytes(28)))
    frag_payload = bytes(TCP(sport=40010, dport=5060, flags="PA") / Raw(b"F" * 60))
    add("fragment", "IPv4 first fragment (MF, offset 0) carrying a TCP header",
        _eth() / IP(src=A4, dst=B4, id=16, proto=6, flags="MF", frag=0) / frag_payload[:48])
    add("fragment", "IPv4 last fragment (offset 48)",
        _eth() / IP(src=A4, dst=B4, id=16, proto=6, flags=0, frag=6) / frag_payload[48:])
    add("fragment", "IPv6 fragment extension header (first fragment, M=1)",
        _eth() / IPv6(src=A6, dst=B6) / IPv6ExtHdrFragment(id=0x1234, m=1, offset=0, nh=17) /
        bytes(UDP(sport=5060, dport=5060, len=200) / (b"U" * 40)))

    # --- runts: shorter than an Ethernet header (libpcap cannot write 0 bytes)
    base = bytes(tcp4)
    for n in (1, 6, 13):
        add("runt", "%d-byte runt" % n, base[:n])

    # --- non-IP
    add("non_ip", "ARP request",
        _eth() / ARP(op=1, hwsrc=M1, psrc=A4, pdst=B4))
    lldp = (b"\x02\x07\x04" + bytes.fromhex("020000000001") +      # chassis id (MAC)
            b"\x04\x03\x07p1" +                                  # port id (local)
            b"\x06\x02\x00\x78" + b"\x00\x00")                     # TTL 120, end
    add("non_ip", "LLDP", Ether(src=M1, dst="01:80:c2:00:00:0e", type=0x88CC) / lldp)
    add("non_ip", "802.1Q VLAN 100, ARP reply",
        _eth() / Dot1Q(vlan=100) / ARP(op=2, hwsrc=M1, psrc=A4, hwdst=M2, pdst=B4))
    add("non_ip", "802.3 length field + LLC (spanning tree BPDU)",
        Dot3(src=M1, dst="01:80:c2:00:00:00") / LLC(dsap=0x42, ssap=0x42, ctrl=3) /
        Raw(b"\0" * 35))
    # --- unknown EtherTypes
    add("unknown_ethertype", "EtherType 0x88b5 (IEEE local experimental)",
        _eth(0x88B5) / Raw(rng.randbytes(46)))
    add("unknown_ethertype", "EtherType 0x88b6 (IEEE local experimental 2)",
        _eth(0x88B6) / Raw(rng.randbytes(46)))

    # --- truncated
    add("truncated", "Ethernet header only, EtherType IPv4 (14 bytes)", base[:14])
    add("truncated", "802.1Q tag cut (16 bytes)", bytes(_eth() / Dot1Q(vlan=5) / IP())[:16])
    add("truncated", "IPv4 header cut at 10 bytes", base[:24])
    add("truncated", "TCP header cut at 8 bytes (IP total length says 40)", base[:14 + 28])
    pkt = bytearray(bytes(_eth() / IP(src=A4, dst=B4, id=17) /
                          TCP(sport=40011, dport=5060, flags="PA") / data))
    pkt[16:18] = struct.pack(">H", 1000)
    add("truncated", "IPv4 total length 1000 > frame", _set_ip4_checksum(pkt, 14, 20))
    add("truncated", "IPv6 header cut at 20 bytes",
        bytes(_eth() / IPv6(src=A6, dst=B6) / TCP())[:14 + 20])
    pkt = bytearray(bytes(_eth() / IPv6(src=A6, dst=B6) / UDP(sport=1, dport=2) / data))
    pkt[18:20] = struct.pack(">H", 900)
    add("truncated", "IPv6 payload length 900 > frame", bytes(pkt))

    # --- impossible fields
    pkt = bytearray(base)
    pkt[14] = 0x44
    add("bad_header", "IPv4 IHL 4 (< 5)", _set_ip4_checksum(pkt, 14, 20))
    pkt = bytearray(base)
    pkt[14] = 0x55
    add("bad_header", "IP version 5 under EtherType IPv4", _set_ip4_checksum(pkt, 14, 20))
    pkt = bytearray(bytes(_eth() / IPv6(src=A6, dst=B6) / UDP(sport=1, dport=2) / data))
    pkt[14] = (4 << 4) | (pkt[14] & 0x0F)
    add("bad_header", "IP version 4 under EtherType IPv6", bytes(pkt))
    pkt = bytearray(base)
    pkt[14 + 20 + 12] = 0x30   # data offset 3 words
    add("bad_header", "TCP data offset 3 (< 5)", bytes(pkt))

    # --- IPv4 header checksum
    add("bad_checksum", "IPv4 TCP, header checksum wrong",
        _set_ip4_checksum(bytes(_eth() / IP(src=A4, dst=B4, id=18) /
                                TCP(sport=40012, dport=5060, flags="PA") / data), 14, 20, False))
    add("bad_checksum", "IPv4 UDP, header checksum wrong",
        _set_ip4_checksum(bytes(_eth() / IP(src=A4, dst=B4, id=19) /
                                UDP(sport=5060, dport=5060) / data), 14, 20, False))
    # Interleave deterministically so classes are not in blocks.
    order = list(range(len(F)))
    rng.shuffle(order)
    return [F[i] for i in order]


CLASSES = ["tcp", "udp", "icmp", "ip_other", "fragment", "runt", "non_ip",
           "unknown_ethertype", "truncated", "bad_header", "bad_checksum"]


def gen_malformed(outdir, mtu=1518):
    frames = malformed_frames()
    os.makedirs(outdir, exist_ok=True)
    write_pcap(os.path.join(outdir, "frames.pcap"),
               [(T0_US + 1000 * i, f) for i, (_, _, f) in enumerate(frames)])
    counts = {c: 0 for c in CLASSES}
    for c, _, _ in frames:
        counts[c] += 1
    lines = [
        "# Generated by tools/gen_scenario.py; do not edit, re-run the generator.",
        "# frames.pcap: valid and malformed frames; class of each frame as",
        "# np_pkt_parse() must return it (names: np_pkt_class_name(), lib/pkt/np_pkt.h).",
        "frames: %d" % len(frames),
        "bytes: %d" % sum(len(f) for _, _, f in frames),
        "classes:",
    ]
    lines += ["  %s: %d" % (c, counts[c]) for c in CLASSES]
    lines += [
        "oversize:               # frames longer than datapath.mtu",
        "  mtu: %d" % mtu,
        "  count: %d" % sum(1 for _, _, f in frames if len(f) > mtu),
        "list:                   # index in frames.pcap, length, class, what it is",
    ]
    for i, (c, what, f) in enumerate(frames):
        lines.append('  - {index: %d, len: %d, class: %s, what: "%s"}' % (i, len(f), c, what))
    lines.append("")
    with open(os.path.join(outdir, "frames.yaml"), "w") as f:
        f.write("\n".join(lines))
    return len(frames)


def generate(name, outdir):
    if name == "malformed":
        return {"frames": gen_malformed(outdir)}
    if name not in SCENARIOS:
        sys.stderr.write("gen_scenario.py: unknown scenario '%s' (known: %s)\n"
                         % (name, ", ".join(list(SCENARIOS) + ["malformed"])))
        raise SystemExit(2)
    return gen_traversal(name, outdir)


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Generate natprobe's deterministic scenario captures.")
    ap.add_argument("--all", metavar="OUTROOT",
                    help="write every scenario into OUTROOT/scenarios/<name>/ "
                         "and the frame zoo into OUTROOT/malformed/")
    ap.add_argument("--list", action="store_true", help="list scenario names")
    ap.add_argument("scenario", nargs="?", help="scenario name (or 'malformed')")
    ap.add_argument("outdir", nargs="?", help="folder to write into")
    a = ap.parse_args(argv)
    if a.list:
        print("\n".join(list(SCENARIOS) + ["malformed"]))
        return 0
    if a.all:
        for name in SCENARIOS:
            r = generate(name, os.path.join(a.all, "scenarios", name))
            print("%s: %s" % (name, r))
        r = generate("malformed", os.path.join(a.all, "malformed"))
        print("malformed: %s" % r)
        return 0
    if not a.scenario or not a.outdir:
        ap.error("give SCENARIO OUTDIR, or --all OUTROOT")
    print("%s: %s" % (a.scenario, generate(a.scenario, a.outdir)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
