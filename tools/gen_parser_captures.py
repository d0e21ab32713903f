#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Deterministic captures for natprobe's SIP parser (scapy).

Each capture is a real Ethernet capture (classic pcap, microseconds) with
valid IP/UDP/TCP checksums and complete TCP handshakes, using documentation
addresses (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32;
10.x for private ones). Together they exercise what the parser must handle:

    tcp_split.pcap         an INVITE's header section cut inside a header name,
                           inside a value and between CR and LF; bodies cut too
    tcp_multi.pcap         three messages in one segment; a segment ending
                           mid-message, followed by the rest + another message
    compact_case.pcap      compact header names; upper/lower/mixed-case names
    folded.pcap            folded (continuation) lines in Via, Route, Contact,
                           Subject
    comma_lists.pcap       comma-separated values, commas inside quoted display
                           names and inside <...>, Via lines mixed with lists
    ipv6.pcap              SIP over IPv6, IPv6 literals in headers and SDP
    frag_invite.pcap       a ~3 kB INVITE as IPv4 fragments and as IPv6 fragments
    vlan.pcap              SIP in 802.1Q, 802.1ad+802.1Q and 802.1Q+802.1Q frames
    multipart.pcap         an INVITE whose multipart/mixed body holds the SDP
    nonstandard_port.pcap  SIP on UDP 15060 and TCP 5999 (found by signature),
                           SSDP (NOTIFY/M-SEARCH * HTTP/1.1) that is not SIP
    seed_service.pcap      the seed SERVICE / 408 (tools/gen_scenario.py,
                           scenario seed_misroute, inside segment)

expected.json (written beside them) holds, per capture, what the generator
put in: every SIP message `natprobe dump-sip --json` must print, in order, with
the fields of the dump-sip contract (docs: ARCHITECTURE.md), plus `frame`
(1-based index of the frame that completes the message; not a dump-sip
field). Header lists are given explicitly where the capture is about them, and
the generator checks them against its own mechanical reading of the headers
(unfold, split at commas outside quotes and <>, trim), so a typo in either
fails the generation instead of a test.

Byte-identical from run to run: fixed timestamps (from 2016-04-19T07:09:13Z),
fixed sequence numbers and IP ids, no randomness.

Usage: gen_parser_captures.py OUTDIR
"""

import json
import os
import re
import sys
import time

from scapy.config import conf

conf.verb = 0
from scapy.layers.inet import IP, TCP, UDP  # noqa: E402
from scapy.layers.inet6 import IPv6, IPv6ExtHdrFragment  # noqa: E402
from scapy.layers.l2 import Dot1AD, Dot1Q, Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_scenario  # noqa: E402

T0_US = 1461049753 * 1000000          # 2016-04-19T07:09:13Z, as gen_scenario.py
MSS = 1460

MAC_A = "02:00:5e:00:53:0a"
MAC_B = "02:00:5e:00:53:14"

# Hosts
UA = "192.0.2.10"             # a user agent
UA2 = "192.0.2.11"
PROXY = "198.51.100.20"       # a proxy
PEER = "203.0.113.30"         # the far end
PRIV = "10.0.0.5"             # a private address (behind a NAT)
V6_A = "2001:db8::1"
V6_B = "2001:db8::2"


# --------------------------------------------------------------------------
# Expected values: the generator's own reading of the headers it writes
# --------------------------------------------------------------------------

COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "m": "contact",
           "l": "content-length", "c": "content-type", "k": "supported", "s": "subject",
           "e": "content-encoding", "o": "event", "u": "allow-events", "r": "refer-to"}
LISTS = {"via": "via", "route": "route", "record-route": "record_route", "path": "path",
         "service-route": "service_route", "contact": "contact"}


def unfold(v):
    """RFC 3261 7.3.1: a line starting with white space continues the previous
    one; the CRLF and the white space around it become one space."""
    return re.sub(r"[ \t]*\r\n[ \t]+", " ", v).strip()


def split_commas(v):
    """Split a header value at commas outside double quotes (with backslash
    escapes) and outside <...>; trim each value, drop empty ones."""
    out, cur, quoted, esc, depth = [], [], False, False, 0
    for ch in v:
        if quoted:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == "<":
            depth += 1
        elif ch == ">" and depth:
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    out.append("".join(cur))
    return [x.strip() for x in out if x.strip()]


def header_tag(v):
    """The tag parameter of a From/To value (after the name-addr, if any)."""
    v = re.sub(r'"(?:[^"\\]|\\.)*"', "", v)
    if "<" in v:
        v = v[v.index(">") + 1:] if ">" in v else ""
    m = re.search(r";\s*tag\s*=\s*([^;,\s]+)", v, re.I)
    return m.group(1) if m else None


def sdp_body(lines):
    return ("\r\n".join(lines) + "\r\n").encode()


def sdp_read(body):
    """c= addresses and m= lines of an SDP body."""
    c, m = [], []
    for ln in body.decode().split("\r\n"):
        if ln.startswith("c="):
            c.append(ln.split()[2])
        elif ln.startswith("m="):
            f = ln[2:].split()
            m.append({"media": f[0], "port": int(f[1].split("/")[0]), "proto": f[2]})
    return c, m


class Sip:
    """One SIP message: its bytes and what dump-sip must say about it."""

    def __init__(self, start, headers, body=b"", cl_name="Content-Length", sdp=None,
                 expect=None, cl=True):
        """headers: [(name as written, value as written, CRLF+WS for folds)].
        sdp: (c list, m list) of an SDP body that is not the whole body
        (multipart); else read from a body whose Content-Type is application/sdp.
        expect: values written out by hand; each must equal the mechanical reading."""
        lines = [start] + ["%s: %s" % (k, v) for k, v in headers]
        if cl:
            lines.append("%s: %d" % (cl_name, len(body)))
        self.data = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        e = {"method": None, "request_uri": None, "status": None, "reason": None}
        if start.startswith("SIP/2.0 "):
            code, _, reason = start[8:].partition(" ")
            e["status"], e["reason"] = int(code), reason
        else:
            e["method"], e["request_uri"] = start.split(" ")[:2]
        for k in ("call_id", "cseq", "from_tag", "to_tag", "user_agent"):
            e[k] = None
        for k in LISTS.values():
            e[k] = []
        e["sdp_c"], e["sdp_m"], e["warning"] = [], [], []
        e["content_length"] = len(body) if cl else None
        ctype, server = None, None
        for name, value in headers:
            n = name.lower().strip()
            n = COMPACT.get(n, n)
            v = unfold(value)
            if n in LISTS:
                e[LISTS[n]] += split_commas(v)
            elif n == "call-id":
                e["call_id"] = v
            elif n == "cseq":
                e["cseq"] = v
            elif n == "from":
                e["from_tag"] = header_tag(v)
            elif n == "to":
                e["to_tag"] = header_tag(v)
            elif n == "user-agent":
                e["user_agent"] = v
            elif n == "server":
                server = v
            elif n == "content-type":
                ctype = v.lower()
        if e["user_agent"] is None:
            e["user_agent"] = server
        if sdp is not None:
            e["sdp_c"], e["sdp_m"] = sdp
        elif ctype and ctype.startswith("application/sdp") and body:
            e["sdp_c"], e["sdp_m"] = sdp_read(body)
        for k, v in (expect or {}).items():
            if k in e and e[k] != v:
                raise SystemExit("gen_parser_captures.py: %s: hand-written %s %r differs "
                                 "from the generator's reading %r" % (start, k, v, e[k]))
            e[k] = v
        self.expect = e

    def __len__(self):
        return len(self.data)


class Keepalive:
    """CRLF keep-alive bytes on a TCP stream (RFC 5626 3.5.1): no SIP message."""

    def __init__(self, data):
        self.data = data

    def __len__(self):
        return len(self.data)


def endpoint(ip, port):
    return ("[%s]:%d" if ":" in ip else "%s:%d") % (ip, port)


# --------------------------------------------------------------------------
# A capture: frames and the messages they carry
# --------------------------------------------------------------------------

class Capture:
    def __init__(self, name, description):
        self.name = name
        self.description = description
        self.frames = []      # (t_us, bytes)
        self.messages = []    # expected dump-sip objects (+ frame)

    def add(self, t_us, pkt):
        """Append a frame; returns its 1-based index."""
        self.frames.append((t_us, bytes(pkt)))
        return len(self.frames)

    def expect(self, msg, proto, src, dst, t_us, frame, reassembled=None):
        e = {"ts": ts_str(t_us), "frame": frame,
             "flow": {"proto": proto, "src": endpoint(*src), "dst": endpoint(*dst)}}
        e.update(msg.expect)
        if reassembled is not None:
            e["reassembled"] = reassembled
        self.messages.append(e)

    def udp(self, t_us, src, dst, msg, l2=None, v6=False, ident=1, expect=True):
        """One SIP message (or any payload) in one UDP datagram."""
        ipl = (IPv6(src=src[0], dst=dst[0]) if v6 else
               IP(src=src[0], dst=dst[0], id=ident, flags="DF"))
        payload = msg.data if isinstance(msg, Sip) else msg
        pkt = (l2 if l2 is not None else Ether(src=MAC_A, dst=MAC_B)) / ipl / \
            UDP(sport=src[1], dport=dst[1]) / Raw(payload)
        n = self.add(t_us, pkt)
        if expect and isinstance(msg, Sip):
            self.expect(msg, "udp", src, dst, t_us, n, reassembled=False)
        return n


def ts_str(t_us):
    """dump-sip's time: UTC, milliseconds (truncated)."""
    return "%s.%03dZ" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t_us // 1000000)),
                         t_us % 1000000 // 1000)


class Tcp:
    """A TCP connection in a capture (IPv4). Sequence numbers are tracked per
    side; every data segment is ACKed by the peer."""

    def __init__(self, cap, cli, srv, cli_isn, srv_isn, ipid=0x100):
        self.cap, self.ep = cap, {"c": cli, "s": srv}
        self.mac = {"c": MAC_A, "s": MAC_B}
        self.seq = {"c": cli_isn, "s": srv_isn}
        self.ipid = {"c": ipid, "s": ipid + 0x1000}

    def _emit(self, t, d, flags, payload=b"", opts=None, ack=True):
        o = "s" if d == "c" else "c"
        ident = self.ipid[d]
        self.ipid[d] = (ident + 1) & 0xFFFF
        pkt = (Ether(src=self.mac[d], dst=self.mac[o]) /
               IP(src=self.ep[d][0], dst=self.ep[o][0], id=ident, flags="DF", ttl=64) /
               TCP(sport=self.ep[d][1], dport=self.ep[o][1], seq=self.seq[d],
                   ack=self.seq[o] if ack else 0, flags=flags, window=502,
                   options=opts or []))
        if payload:
            pkt = pkt / Raw(payload)
        return self.cap.add(t, pkt)

    def handshake(self, t):
        opts = [("MSS", MSS), ("SAckOK", b""), ("NOP", None), ("WScale", 7)]
        self._emit(t, "c", "S", opts=opts, ack=False)
        self.seq["c"] += 1
        self._emit(t + 300, "s", "SA", opts=opts)
        self.seq["s"] += 1
        self._emit(t + 500, "c", "A")
        return t + 1000

    def send(self, t, d, msgs, cuts=(), step_us=2000):
        """Send the messages back to back from side d, cut into segments at the
        given offsets (into the concatenation) and at the MSS. Expects each
        message at the segment that completes it. Returns the next free time."""
        data = b"".join(m.data for m in msgs)
        bounds = sorted(set([0, len(data)] + [c for c in cuts if 0 < c < len(data)]))
        segs = []
        for a, b in zip(bounds, bounds[1:]):
            while b - a > MSS:
                segs.append((a, a + MSS))
                a += MSS
            segs.append((a, b))
        o = "s" if d == "c" else "c"
        where = []    # (start, end, t, frame) per segment
        for i, (a, b) in enumerate(segs):
            ts = t + step_us * i
            n = self._emit(ts, d, "PA" if i == len(segs) - 1 else "A", data[a:b])
            self.seq[d] = (self.seq[d] + b - a) & 0xFFFFFFFF
            where.append((a, b, ts, n))
            self._emit(ts + 200, o, "A")
        off = 0
        for m in msgs:
            if isinstance(m, Keepalive):
                off += len(m)
                continue
            first = next(w for w in where if w[0] <= off < w[1])
            last = next(w for w in where if w[0] < off + len(m) <= w[1])
            self.cap.expect(m, "tcp", self.ep[d], self.ep[o], last[2], last[3],
                            reassembled=first is not last)
            off += len(m)
        return t + step_us * len(segs) + 1000

    def close(self, t):
        self._emit(t, "c", "FA")
        self.seq["c"] += 1
        self._emit(t + 200, "s", "FA")
        self.seq["s"] += 1
        self._emit(t + 400, "c", "A")
        return t + 1000


# --------------------------------------------------------------------------
# SIP building blocks
# --------------------------------------------------------------------------

def audio_sdp(ip, port=49170, v6=False, origin="alice"):
    fam = "IP6" if v6 else "IP4"
    return sdp_body([
        "v=0",
        "o=%s 2890844526 2890844526 IN %s %s" % (origin, fam, ip),
        "s=-",
        "c=IN %s %s" % (fam, ip),
        "t=0 0",
        "m=audio %d RTP/AVP 0 8 101" % port,
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:101 telephone-event/8000",
        "a=sendrecv",
    ])


def invite(call_id, via, frm, to, contact, body, extra=(), ruri="sip:bob@example.com",
           cseq="1 INVITE"):
    return Sip("INVITE %s SIP/2.0" % ruri, [
        ("Via", via),
        ("Max-Forwards", "70"),
        ("From", frm),
        ("To", to),
        ("Call-ID", call_id),
        ("CSeq", cseq),
        ("Contact", contact),
    ] + list(extra) + [
        ("User-Agent", "natprobe-gen/1.0"),
        ("Content-Type", "application/sdp"),
    ], body)


def response(code, reason, vias, frm, to, call_id, cseq, extra=(), body=b"",
             ctype="application/sdp", cl_name="Content-Length"):
    hdrs = [("Via", v) for v in vias] + [
        ("From", frm), ("To", to), ("Call-ID", call_id), ("CSeq", cseq)] + list(extra) + [
        ("Server", "natprobe-gen-uas/1.0")]
    if body:
        hdrs.append(("Content-Type", ctype))
    return Sip("SIP/2.0 %d %s" % (code, reason), hdrs, body, cl_name=cl_name)


def request(method, ruri, via, frm, to, call_id, cseq, extra=(), body=b"", ctype=None):
    hdrs = [("Via", via), ("Max-Forwards", "70"), ("From", frm), ("To", to),
            ("Call-ID", call_id), ("CSeq", cseq)] + list(extra)
    if body:
        hdrs.append(("Content-Type", ctype))
    return Sip("%s %s SIP/2.0" % (method, ruri), hdrs, body)


# --------------------------------------------------------------------------
# The captures
# --------------------------------------------------------------------------

def cap_tcp_split():
    cap = Capture("tcp_split", "INVITE over TCP whose header section is cut inside a "
                  "header name (Rou|te), inside a value (Call-ID) and between the CR and "
                  "LF of a header line; its SDP body is cut too. The 100 Trying is cut "
                  "inside the name Content-Le|ngth; the 200 OK's header section is cut "
                  "between CR and LF of the empty line, its body cut in two; the ACK is "
                  "cut between the last header's CRLF and the empty line.")
    cli, srv = (UA, 40001), (PROXY, 5060)
    c = Tcp(cap, cli, srv, 0x1A2B3C4D, 0x5E6F7081)
    t = c.handshake(T0_US + 100000)
    cid = "split-7f3a9c21@192.0.2.10"
    via = "SIP/2.0/TCP %s:%d;branch=z9hG4bK-split-1;rport" % cli
    frm = '"Alice" <sip:alice@example.com>;tag=a1split'
    to = "<sip:bob@example.com>"
    inv = invite(cid, via, frm, to, "<sip:alice@%s:%d;transport=tcp>" % cli,
                 audio_sdp(UA, 49170),
                 extra=[("Route", "<sip:%s:5060;transport=tcp;lr>" % PROXY),
                        ("Record-Route", "<sip:%s;lr>" % PEER)])
    d = inv.data
    cut_name = d.index(b"Route: <sip:") + 3                   # "Rou" | "te: ..."
    cut_value = d.index(cid.encode()) + 9                     # inside the Call-ID value
    cut_crlf = d.index(b"\r\n", d.index(b"CSeq: ")) + 1        # CSeq line: CR | LF
    body_at = d.index(b"\r\n\r\n") + 4
    cut_body = body_at + 60                                   # inside the SDP
    t = c.send(t, "c", [inv], cuts=[cut_name, cut_value, cut_crlf, cut_body])
    trying = response(100, "Trying", [via], frm, to, cid, "1 INVITE")
    t = c.send(t + 5000, "s", [trying], cuts=[trying.data.index(b"Content-Length") + 10])
    to_tag = to + ";tag=b2split"
    ok = response(200, "OK", [via], frm, to_tag, cid, "1 INVITE",
                  extra=[("Contact", "<sip:bob@%s:5060;transport=tcp>" % PEER),
                         ("Record-Route", "<sip:%s;lr>" % PEER)],
                  body=audio_sdp(PEER, 30000, origin="bob"))
    d = ok.data
    end_hdr = d.index(b"\r\n\r\n")
    t = c.send(t + 20000, "s", [ok], cuts=[end_hdr + 3, end_hdr + 4 + 100])
    ack = request("ACK", "sip:bob@%s:5060;transport=tcp" % PEER,
                  "SIP/2.0/TCP %s:%d;branch=z9hG4bK-split-2;rport" % cli, frm, to_tag, cid,
                  "1 ACK", extra=[("Route", "<sip:%s;lr>" % PEER)])
    t = c.send(t + 5000, "c", [ack], cuts=[ack.data.index(b"\r\n\r\n") + 2])
    c.close(t + 5000)
    return cap


def cap_tcp_multi():
    cap = Capture("tcp_multi", "TCP: one segment carries a request (OPTIONS), a "
                  "provisional (100) and a final response with a body (200 OK + SDP, "
                  "compact l: framing); then a CRLF keep-alive ping and pong; later one "
                  "segment ends in the middle of a BYE and the next carries the rest of "
                  "it plus a whole 200 OK.")
    cli, srv = (UA2, 40002), (PROXY, 5060)
    c = Tcp(cap, cli, srv, 0x0BADCAFE, 0x7E57F00D, ipid=0x2200)
    t = c.handshake(T0_US + 200000)
    cid = "multi-4c2d@192.0.2.11"
    via = "SIP/2.0/TCP %s:%d;branch=z9hG4bK-multi-1;rport" % cli
    frm = "<sip:carol@example.com>;tag=c1multi"
    to = "<sip:dave@example.org>"
    inv = invite(cid, via, frm, to, "<sip:carol@%s:%d;transport=tcp>" % cli,
                 audio_sdp(UA2, 40000, origin="carol"), ruri="sip:dave@example.org")
    t = c.send(t, "c", [inv])
    opt = request("OPTIONS", "sip:carol@%s:%d;transport=tcp" % cli,
                  "SIP/2.0/TCP %s:5060;branch=z9hG4bK-multi-ka" % PROXY,
                  "<sip:proxy@example.org>;tag=p1ka", "<sip:carol@example.com>",
                  "ka-99@198.51.100.20", "7 OPTIONS")
    trying = response(100, "Trying", [via], frm, to, cid, "1 INVITE",
                      cl_name="content-length")
    to_tag = to + ";tag=d2multi"
    ok = response(200, "OK", [via], frm, to_tag, cid, "1 INVITE",
                  extra=[("Contact", "<sip:dave@%s:5060;transport=tcp>" % PEER)],
                  body=audio_sdp(PEER, 30002, origin="dave"), cl_name="l")
    t = c.send(t + 10000, "s", [opt, trying, ok])
    # RFC 5626 keep-alive: CRLF CRLF ping, CRLF pong (not SIP messages)
    t = c.send(t + 5000, "c", [Keepalive(b"\r\n\r\n")])
    t = c.send(t + 500, "s", [Keepalive(b"\r\n")])
    ack = request("ACK", "sip:dave@%s:5060;transport=tcp" % PEER,
                  "SIP/2.0/TCP %s:%d;branch=z9hG4bK-multi-2;rport" % cli, frm, to_tag, cid,
                  "1 ACK")
    bye = request("BYE", "sip:dave@%s:5060;transport=tcp" % PEER,
                  "SIP/2.0/TCP %s:%d;branch=z9hG4bK-multi-3;rport" % cli, frm, to_tag, cid,
                  "2 BYE", extra=[("User-Agent", "natprobe-gen/1.0")])
    opt_ok = response(200, "OK", ["SIP/2.0/TCP %s:5060;branch=z9hG4bK-multi-ka" % PROXY],
                      "<sip:proxy@example.org>;tag=p1ka",
                      "<sip:carol@example.com>;tag=c9ka", "ka-99@198.51.100.20",
                      "7 OPTIONS", extra=[("Allow", "INVITE, ACK, BYE, OPTIONS")])
    # segment 1: ACK + the BYE's first 100 bytes; segment 2: the rest + 200 OK (OPTIONS)
    t = c.send(t + 10000, "c", [ack, bye, opt_ok], cuts=[len(ack) + 100,
                                                         len(ack) + len(bye) + len(opt_ok)])
    bye_ok = response(200, "OK", ["SIP/2.0/TCP %s:%d;branch=z9hG4bK-multi-3;rport" % cli],
                      frm, to_tag, cid, "2 BYE")
    t = c.send(t + 5000, "s", [bye_ok])
    c.close(t + 5000)
    return cap


def cap_compact_case():
    cap = Capture("compact_case", "UDP: an INVITE with compact header names only "
                  "(v f t i m l c k s e), its 180 with upper/lower/mixed-case full names "
                  "(VIA, record-route, cAll-Id, ...), and a MESSAGE mixing both; two "
                  "names are followed by white space before the colon (RFC 3261 HCOLON); "
                  "the MESSAGE has headers whose names start or end like address "
                  "headers (Call-Info, X-Route, X-Via, Contact-Info) and a text/plain "
                  "body that looks like Route/Contact/Via headers and SDP.")
    a, b = (UA, 5060), (PROXY, 5060)
    cid = "compact-1d2e3f@192.0.2.10"
    body = audio_sdp(UA, 49172)
    inv = Sip("INVITE sip:bob@example.com SIP/2.0", [
        ("v", "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-compact-1;rport"),
        ("f", "<sip:alice@example.com>;tag=cmp-a1"),
        ("t", "<sip:bob@example.com>"),
        ("i", cid),
        ("CSeq", "11 INVITE"),
        ("m", "<sip:alice@192.0.2.10:5060>"),
        ("k", "timer, 100rel"),
        ("s", "compact forms"),
        ("e", "identity"),
        ("c", "application/sdp"),
    ], body, cl_name="l", expect={
        "via": ["SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-compact-1;rport"],
        "contact": ["<sip:alice@192.0.2.10:5060>"], "call_id": cid, "from_tag": "cmp-a1",
        "to_tag": None, "content_length": len(body), "sdp_c": [UA]})
    cap.udp(T0_US + 300000, a, b, inv, ident=0x3001)
    ring = Sip("SIP/2.0 180 Ringing", [
        ("VIA", "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-compact-1;rport=5060;"
                "received=192.0.2.10"),
        ("record-route", "<sip:198.51.100.20;lr>"),
        ("RECORD-ROUTE", "<sip:203.0.113.30;lr>"),
        ("FROM", "<sip:alice@example.com>;tag=cmp-a1"),
        ("to", "<sip:bob@example.com>;TAG=cmp-b2"),
        ("cAll-Id", cid),
        ("cseq\t", "11 INVITE"),
        ("CONTACT", "<sip:bob@203.0.113.30:5060>"),
    ], b"", cl_name="content-LENGTH", expect={
        "record_route": ["<sip:198.51.100.20;lr>", "<sip:203.0.113.30;lr>"],
        "to_tag": "cmp-b2", "call_id": cid, "cseq": "11 INVITE", "content_length": 0})
    cap.udp(T0_US + 310000, b, a, ring, ident=0x4001)
    # A body that looks like headers and SDP: none of it is reported.
    text = (b"hello, compact world\r\nRoute: <sip:203.0.113.66;lr>\r\n"
            b"Contact: <sip:x@203.0.113.67>\r\nv: SIP/2.0/UDP 203.0.113.69\r\n"
            b"c=IN IP4 203.0.113.68\r\n")
    msg = Sip("MESSAGE sip:bob@example.com SIP/2.0", [
        ("V", "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-compact-2"),
        ("Max-forwards", "70"),
        ("F", "<sip:alice@example.com>;tag=cmp-a3"),
        ("T", "<sip:bob@example.com>"),
        ("I ", "compact-msg-77@192.0.2.10"),
        ("CSEQ", "12 MESSAGE"),
        ("M", "<sip:alice@192.0.2.10:5060>"),
        ("ROUTE", "<sip:198.51.100.20;lr>"),
        ("Call-Info", "<http://www.example.com/alice/photo.jpg> ;purpose=icon"),
        ("X-Route", "<sip:203.0.113.97;lr>"),
        ("X-Via", "SIP/2.0/UDP 203.0.113.98"),
        ("Contact-Info", "<sip:203.0.113.95>"),
        ("C", "text/plain"),
        ("user-agent", "natprobe-gen/1.0"),
    ], text, cl_name="L", expect={
        "via": ["SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-compact-2"],
        "route": ["<sip:198.51.100.20;lr>"], "call_id": "compact-msg-77@192.0.2.10",
        "contact": ["<sip:alice@192.0.2.10:5060>"], "sdp_c": [],
        "content_length": len(text)})
    cap.udp(T0_US + 320000, a, b, msg, ident=0x3002)
    return cap


def cap_folded():
    cap = Capture("folded", "UDP: folded header lines (RFC 3261 7.3.1): Via folded "
                  "before its parameters and after a comma, Route folded after a comma "
                  "and with a tab, Contact whose value starts on the continuation line, "
                  "Subject over three lines, and a Subject whose continuation lines "
                  "start with 'Route:' and 'Via:' (not headers).")
    a, b = (UA, 5060), (PROXY, 5060)
    cid = "folded-5a6b@192.0.2.10"
    inv = Sip("INVITE sip:bob@example.com SIP/2.0", [
        ("Via", "SIP/2.0/UDP 192.0.2.10:5060\r\n ;branch=z9hG4bK-fold-1;rport"),
        ("Via", "SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK-fold-0,\r\n\tSIP/2.0/UDP "
                "10.0.0.6:5064;branch=z9hG4bK-fold-00"),
        ("Max-Forwards", "70"),
        ("Route", "<sip:198.51.100.20;lr>,\r\n  <sip:203.0.113.30;lr>"),
        ("Route", "<sip:203.0.113.31\r\n\t;lr>"),
        ("From", "<sip:alice@example.com>\r\n ;tag=fold-a1"),
        ("To", "<sip:bob@example.com>"),
        ("Call-ID", cid),
        ("CSeq", "21\r\n INVITE"),
        ("Contact", "\r\n <sip:alice@192.0.2.10:5060>;expires=3600"),
        ("Subject", "a subject\r\n  folded over\r\n\tthree lines"),
        ("Subject", "continuation lines that look like headers\r\n Route: "
                    "<sip:203.0.113.96;lr>\r\n\tVia: SIP/2.0/UDP 203.0.113.95"),
        ("Content-Type", "application/sdp"),
    ], audio_sdp(UA, 49174), expect={
        "via": ["SIP/2.0/UDP 192.0.2.10:5060 ;branch=z9hG4bK-fold-1;rport",
                "SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK-fold-0",
                "SIP/2.0/UDP 10.0.0.6:5064;branch=z9hG4bK-fold-00"],
        "route": ["<sip:198.51.100.20;lr>", "<sip:203.0.113.30;lr>",
                  "<sip:203.0.113.31 ;lr>"],
        "contact": ["<sip:alice@192.0.2.10:5060>;expires=3600"],
        "from_tag": "fold-a1", "cseq": "21 INVITE", "call_id": cid})
    cap.udp(T0_US + 400000, a, b, inv, ident=0x5001)
    ok = Sip("SIP/2.0 200 OK", [
        ("Via", "SIP/2.0/UDP 192.0.2.10:5060\r\n ;branch=z9hG4bK-fold-1;rport=5060\r\n "
                ";received=192.0.2.10"),
        ("Via", "SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK-fold-0,\r\n\tSIP/2.0/UDP "
                "10.0.0.6:5064;branch=z9hG4bK-fold-00"),
        ("Record-Route", "<sip:198.51.100.20;lr>,\r\n <sip:203.0.113.30;lr>"),
        ("From", "<sip:alice@example.com>;tag=fold-a1"),
        ("To", "<sip:bob@example.com>;tag=fold-b2"),
        ("Call-ID", cid),
        ("CSeq", "21 INVITE"),
        ("Contact", "<sip:bob@203.0.113.30:5060>\r\n ;expires=60"),
        ("Server", "natprobe-gen-uas/1.0"),
    ], expect={
        "via": ["SIP/2.0/UDP 192.0.2.10:5060 ;branch=z9hG4bK-fold-1;rport=5060 "
                ";received=192.0.2.10",
                "SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK-fold-0",
                "SIP/2.0/UDP 10.0.0.6:5064;branch=z9hG4bK-fold-00"],
        "record_route": ["<sip:198.51.100.20;lr>", "<sip:203.0.113.30;lr>"],
        "contact": ["<sip:bob@203.0.113.30:5060> ;expires=60"],
        "to_tag": "fold-b2"})
    cap.udp(T0_US + 420000, b, a, ok, ident=0x6001)
    return cap


def cap_comma_lists():
    cap = Capture("comma_lists", "UDP: Route, Record-Route, Contact and Via with "
                  "several comma-separated values, commas inside quoted display names "
                  "(with an escaped quote) and inside <...> URI parameters and headers, "
                  "several Via lines mixed with comma lists; a REGISTER with Path and "
                  "its 200 with Service-Route; a REGISTER with Contact: *.")
    a, b = (UA, 5060), (PROXY, 5060)
    cid = "comma-8e9f@192.0.2.10"
    inv = Sip("INVITE sip:bob@example.com SIP/2.0", [
        ("Via", "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-comma-1,SIP/2.0/UDP "
                "10.0.0.5:5060;branch=z9hG4bK-comma-0 , SIP/2.0/TCP 10.0.0.6;branch=z9hG4bK-c00"),
        ("Via", "SIP/2.0/UDP 10.0.0.7:5070;branch=z9hG4bK-comma-000"),
        ("Via", "SIP/2.0/UDP 10.0.0.8:5080;branch=z9hG4bK-c4, "
                "SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK-c5"),
        ("Max-Forwards", "70"),
        ("Route", '<sip:198.51.100.20;lr>, "Proxy, Outbound" <sip:198.51.100.21;lr>,'
                  '<sip:203.0.113.30;lr;foo=a,b>'),
        ("Route", '"edge \\"one, two\\"" <sip:203.0.113.31:5061;transport=tls;lr>'),
        ("Record-Route", "<sip:198.51.100.22;lr;ftag=x,y,z>, <sip:203.0.113.32;lr>"),
        ("Record-Route", "<sip:10.0.0.1;lr>"),
        ("From", '"Doe, Alice" <sip:alice@example.com>;tag=comma-a1'),
        ("To", '"Bob, Jr." <sip:bob@example.com>'),
        ("Call-ID", cid),
        ("CSeq", "31 INVITE"),
        ("Contact", '"Alice, mobile" <sip:alice@192.0.2.10:5060>;q=0.7, '
                    '<sip:alice@10.0.0.5:5060?subject=a,b>;q=0.3,sip:alice@203.0.113.40'),
        ("Content-Type", "application/sdp"),
    ], audio_sdp(UA, 49176), expect={
        "via": ["SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-comma-1",
                "SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK-comma-0",
                "SIP/2.0/TCP 10.0.0.6;branch=z9hG4bK-c00",
                "SIP/2.0/UDP 10.0.0.7:5070;branch=z9hG4bK-comma-000",
                "SIP/2.0/UDP 10.0.0.8:5080;branch=z9hG4bK-c4",
                "SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK-c5"],
        "route": ["<sip:198.51.100.20;lr>", '"Proxy, Outbound" <sip:198.51.100.21;lr>',
                  "<sip:203.0.113.30;lr;foo=a,b>",
                  '"edge \\"one, two\\"" <sip:203.0.113.31:5061;transport=tls;lr>'],
        "record_route": ["<sip:198.51.100.22;lr;ftag=x,y,z>", "<sip:203.0.113.32;lr>",
                         "<sip:10.0.0.1;lr>"],
        "contact": ['"Alice, mobile" <sip:alice@192.0.2.10:5060>;q=0.7',
                    "<sip:alice@10.0.0.5:5060?subject=a,b>;q=0.3",
                    "sip:alice@203.0.113.40"],
        "from_tag": "comma-a1", "to_tag": None})
    cap.udp(T0_US + 500000, a, b, inv, ident=0x7001)
    reg = Sip("REGISTER sip:example.com SIP/2.0", [
        ("Via", "SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bK-reg-p, "
                "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-reg-1;received=192.0.2.10"),
        ("Max-Forwards", "69"),
        ("From", "<sip:alice@example.com>;tag=reg-a1"),
        ("To", "<sip:alice@example.com>"),
        ("Call-ID", "reg-42@192.0.2.10"),
        ("CSeq", "1 REGISTER"),
        ("Path", "<sip:198.51.100.20;lr>, <sip:10.0.0.2;lr;ob>"),
        ("Contact", "<sip:alice@10.0.0.5:5060;transport=udp>;expires=600, "
                    "<sip:alice@192.0.2.10:5060>;expires=600"),
        ("User-Agent", "natprobe-gen/1.0"),
    ], expect={
        "path": ["<sip:198.51.100.20;lr>", "<sip:10.0.0.2;lr;ob>"],
        "contact": ["<sip:alice@10.0.0.5:5060;transport=udp>;expires=600",
                    "<sip:alice@192.0.2.10:5060>;expires=600"]})
    cap.udp(T0_US + 520000, b, (PEER, 5060), reg, ident=0x6002)
    reg_ok = Sip("SIP/2.0 200 OK", [
        ("Via", "SIP/2.0/UDP 198.51.100.20:5060;branch=z9hG4bK-reg-p, "
                "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-reg-1;received=192.0.2.10"),
        ("From", "<sip:alice@example.com>;tag=reg-a1"),
        ("To", "<sip:alice@example.com>;tag=reg-r2"),
        ("Call-ID", "reg-42@192.0.2.10"),
        ("CSeq", "1 REGISTER"),
        ("Service-Route", "<sip:203.0.113.33;lr;orig>, <sip:198.51.100.23;lr>"),
        ("Path", "<sip:198.51.100.20;lr>"),
        ("Contact", "<sip:alice@10.0.0.5:5060;transport=udp>;expires=600"),
    ], expect={"service_route": ["<sip:203.0.113.33;lr;orig>", "<sip:198.51.100.23;lr>"]})
    cap.udp(T0_US + 530000, (PEER, 5060), b, reg_ok, ident=0x7701)
    unreg = Sip("REGISTER sip:example.com SIP/2.0", [
        ("Via", "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-reg-2"),
        ("Max-Forwards", "70"),
        ("From", "<sip:alice@example.com>;tag=reg-a3"),
        ("To", "<sip:alice@example.com>"),
        ("Call-ID", "reg-43@192.0.2.10"),
        ("CSeq", "2 REGISTER"),
        ("Contact", "*"),
        ("Expires", "0"),
    ], expect={"contact": ["*"]})
    cap.udp(T0_US + 540000, a, b, unreg, ident=0x7002)
    return cap


def cap_ipv6():
    cap = Capture("ipv6", "SIP over UDP/IPv6 with IPv6 literals [2001:db8::1]:5060 in "
                  "Via, Contact, Route, Record-Route, and SDP c=IN IP6.")
    a, b = (V6_A, 5060), (V6_B, 5060)
    cid = "v6-0a0b0c@[2001:db8::1]"
    via = "SIP/2.0/UDP [2001:db8::1]:5060;branch=z9hG4bK-v6-1;rport"
    frm = "<sip:alice@example.com>;tag=v6-a1"
    inv = invite(cid, via, frm, "<sip:bob@example.com>",
                 "<sip:alice@[2001:db8::1]:5060>", audio_sdp("2001:db8::5", 49178, v6=True),
                 extra=[("Route", "<sip:[2001:db8::10]:5060;lr>, <sip:[2001:db8:0:1::20];lr>")],
                 ruri="sip:bob@[2001:db8::2]")
    cap.udp(T0_US + 600000, a, b, inv, v6=True)
    ok = response(200, "OK", [via + ";received=2001:db8::1"], frm,
                  "<sip:bob@example.com>;tag=v6-b2", cid, "1 INVITE",
                  extra=[("Contact", "<sip:bob@[2001:db8::2]:5060>"),
                         ("Record-Route", "<sip:[2001:db8::10]:5060;lr>")],
                  body=audio_sdp("2001:db8::6", 30004, v6=True, origin="bob"))
    cap.udp(T0_US + 650000, b, a, ok, v6=True)
    return cap


def big_sdp(ip, v6=False):
    """An SDP of about 3000 bytes: two media with many attributes, a media c=."""
    fam = "IP6" if v6 else "IP4"
    lines = ["v=0", "o=alice 2890844527 2890844527 IN %s %s" % (fam, ip), "s=big",
             "c=IN %s %s" % (fam, ip), "t=0 0", "m=audio 49180 RTP/SAVP 0 8 9 18 101"]
    for i in range(20):
        lines.append("a=crypto:%d AES_CM_128_HMAC_SHA1_80 inline:%s|2^20|1:32"
                     % (i + 1, ("%040x" % (0x5EED0000 + i * 7919))[:40]))
    lines += ["a=rtpmap:101 telephone-event/8000", "a=sendrecv",
              "m=video 49182 RTP/AVP 96 97",
              "c=IN %s %s" % (fam, "2001:db8::7" if v6 else "192.0.2.77")]
    for i in range(28):
        lines.append("a=fmtp:%d profile-level-id=42e01f;packetization-mode=1;max-br=%d"
                     % (96 + i % 2, 1000 + i))
    return sdp_body(lines)


def cap_frag_invite():
    cap = Capture("frag_invite", "A UDP INVITE of ~3300 bytes (SDP ~3000) sent as IPv4 "
                  "fragments (MTU 1500), its 100 Trying; the same over IPv6 (fragment "
                  "header, MTU 1500) and its 100 Trying; the same over IPv4 again with "
                  "the fragments sent last first, and its 100 Trying.")
    for v6, (src, dst), t, ident, rev in (
            (False, ((UA, 5060), (PROXY, 5060)), 700000, 0x8001, False),
            (True, ((V6_A, 5060), (V6_B, 5060)), 750000, 0x8002, False),
            (False, ((UA2, 5062), (PROXY, 5060)), 780000, 0x8003, True)):
        ip = src[0]
        host = "[%s]" % ip if v6 else ip
        cid = "frag-%s%s@%s" % ("v6" if v6 else "v4", "-rev" if rev else "", host)
        via = "SIP/2.0/UDP %s:%d;branch=z9hG4bK-frag-%d" % (host, src[1], ident)
        frm = "<sip:alice@example.com>;tag=frag-%d" % ident
        inv = invite(cid, via, frm, "<sip:bob@example.com>",
                     "<sip:alice@%s:%d>" % (host, src[1]), big_sdp(ip, v6))
        if v6:
            whole = bytes(IPv6(src=src[0], dst=dst[0]) / UDP(sport=src[1], dport=dst[1]) /
                          Raw(inv.data))
            l4 = whole[40:]
            step = (1500 - 40 - 8) // 8 * 8
        else:
            whole = bytes(IP(src=src[0], dst=dst[0], id=ident) /
                          UDP(sport=src[1], dport=dst[1]) / Raw(inv.data))
            l4 = whole[20:]
            step = (1500 - 20) // 8 * 8
        frames = []
        for off in range(0, len(l4), step):
            chunk, more = l4[off:off + step], off + step < len(l4)
            if v6:
                pkt = (Ether(src=MAC_A, dst=MAC_B) / IPv6(src=src[0], dst=dst[0]) /
                       IPv6ExtHdrFragment(nh=17, offset=off // 8, m=int(more), id=ident) /
                       Raw(chunk))
            else:
                pkt = (Ether(src=MAC_A, dst=MAC_B) /
                       IP(src=src[0], dst=dst[0], id=ident, proto=17,
                          flags="MF" if more else 0, frag=off // 8) / Raw(chunk))
            frames.append(pkt)
        tt = T0_US + t
        if rev:
            frames.reverse()
        for i, pkt in enumerate(frames):
            n = cap.add(tt + 100 * i, pkt)
        # the last fragment completes the datagram (whether this counts as
        # "reassembled" is not a TCP matter: left unchecked)
        cap.expect(inv, "udp", src, dst, tt + 100 * (len(frames) - 1), n)
        trying = response(100, "Trying", [via], frm, "<sip:bob@example.com>", cid, "1 INVITE")
        cap.udp(tt + 5000, dst, src, trying, v6=v6, ident=ident + 0x100)
    return cap


def cap_vlan():
    cap = Capture("vlan", "SIP over UDP in 802.1Q (VLAN 100), QinQ 802.1ad 200 / "
                  "802.1Q 300, and double 802.1Q (0x8100 / 0x8100, 10 / 20) frames.")
    a, b = (UA, 5060), (PROXY, 5060)
    tags = [
        ("dot1q", lambda s, d: Ether(src=s, dst=d) / Dot1Q(vlan=100)),
        ("qinq", lambda s, d: Ether(src=s, dst=d) / Dot1AD(vlan=200) / Dot1Q(vlan=300)),
        ("dq8100", lambda s, d: Ether(src=s, dst=d) / Dot1Q(vlan=10) / Dot1Q(vlan=20)),
    ]
    t = T0_US + 800000
    for i, (name, l2) in enumerate(tags):
        cid = "vlan-%s@192.0.2.10" % name
        via = "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-vlan-%d" % i
        frm = "<sip:alice@example.com>;tag=vlan-a%d" % i
        opt = request("OPTIONS", "sip:%s" % PROXY, via, frm, "<sip:%s>" % PROXY, cid,
                      "%d OPTIONS" % (i + 1), extra=[("Contact", "<sip:alice@10.0.0.5:5060>")])
        cap.udp(t, a, b, opt, l2=l2(MAC_A, MAC_B), ident=0x9001 + i)
        ok = response(200, "OK", [via + ";received=192.0.2.10"], frm,
                      "<sip:%s>;tag=vlan-b%d" % (PROXY, i), cid, "%d OPTIONS" % (i + 1))
        cap.udp(t + 3000, b, a, ok, l2=l2(MAC_B, MAC_A), ident=0xA001 + i)
        t += 10000
    return cap


def cap_multipart():
    cap = Capture("multipart", "An INVITE with a multipart/mixed body: application/sdp "
                  "then application/pidf+xml; its 200 OK with a plain SDP; an UPDATE "
                  "whose multipart/mixed body has the SDP second (boundary unquoted).")
    a, b = (UA, 5060), (PROXY, 5060)
    boundary = "unique-boundary-1"
    sdp = audio_sdp("192.0.2.10", 49184)
    pidf = (b'<?xml version="1.0" encoding="UTF-8"?>\r\n'
            b'<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:alice@example.com">'
            b'<tuple id="t1"><status><basic>open</basic></status>'
            b'<contact>sip:alice@198.51.100.99</contact></tuple></presence>\r\n')
    body = (b"--" + boundary.encode() + b"\r\nContent-Type: application/sdp\r\n\r\n" + sdp +
            b"\r\n--" + boundary.encode() + b"\r\nContent-Type: application/pidf+xml\r\n"
            b"Content-ID: <loc1@example.com>\r\n\r\n" + pidf +
            b"\r\n--" + boundary.encode() + b"--\r\n")
    cid = "multipart-31@192.0.2.10"
    via = "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-mp-1"
    frm = "<sip:alice@example.com>;tag=mp-a1"
    inv = Sip("INVITE sip:bob@example.com SIP/2.0", [
        ("Via", via), ("Max-Forwards", "70"), ("From", frm), ("To", "<sip:bob@example.com>"),
        ("Call-ID", cid), ("CSeq", "1 INVITE"), ("Contact", "<sip:alice@192.0.2.10:5060>"),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/mixed;boundary="%s"' % boundary),
    ], body, sdp=sdp_read(sdp))
    cap.udp(T0_US + 900000, a, b, inv, ident=0xB001)
    ok = response(200, "OK", [via], frm, "<sip:bob@example.com>;tag=mp-b2", cid, "1 INVITE",
                  extra=[("Contact", "<sip:bob@198.51.100.20:5060>")],
                  body=audio_sdp("198.51.100.20", 30006, origin="bob"))
    cap.udp(T0_US + 920000, b, a, ok, ident=0xC001)
    boundary2 = "b2-sdp-last"
    sdp2 = audio_sdp("192.0.2.10", 49186)
    body2 = (b"--" + boundary2.encode() + b"\r\nContent-Type: application/pidf+xml\r\n\r\n" +
             pidf + b"\r\n--" + boundary2.encode() +
             b"\r\nContent-Type: application/sdp\r\n\r\n" + sdp2 +
             b"\r\n--" + boundary2.encode() + b"--\r\n")
    upd = Sip("UPDATE sip:bob@198.51.100.20:5060 SIP/2.0", [
        ("Via", "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-mp-2"), ("Max-Forwards", "70"),
        ("From", frm), ("To", "<sip:bob@example.com>;tag=mp-b2"), ("Call-ID", cid),
        ("CSeq", "2 UPDATE"), ("Contact", "<sip:alice@192.0.2.10:5060>"),
        ("Content-Type", "multipart/mixed; boundary=%s" % boundary2),
    ], body2, sdp=sdp_read(sdp2))
    cap.udp(T0_US + 940000, a, b, upd, ident=0xB002)
    return cap


def cap_nonstandard_port():
    cap = Capture("nonstandard_port", "SIP on UDP 15060 (OPTIONS, 200) and over TCP "
                  "on port 5999 (REGISTER, 401, REGISTER, 200), found by signature; "
                  "SSDP NOTIFY * HTTP/1.1 and M-SEARCH * HTTP/1.1 on UDP 1900, which "
                  "are not SIP and must not be reported.")
    a, b = (UA, 15060), (PROXY, 15060)
    cid = "port15060-1@192.0.2.10"
    via = "SIP/2.0/UDP 192.0.2.10:15060;branch=z9hG4bK-np-1"
    frm = "<sip:alice@example.com>;tag=np-a1"
    ssdp_notify = (b"NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"
                   b"CACHE-CONTROL: max-age=1800\r\nLOCATION: http://192.0.2.50:80/desc.xml\r\n"
                   b"NT: upnp:rootdevice\r\nNTS: ssdp:alive\r\nSERVER: Linux/5.10 UPnP/1.0 "
                   b"gen/1.0\r\nUSN: uuid:2f402f80-da50-11e1-9b23-0000000000a1::upnp:rootdevice"
                   b"\r\n\r\n")
    cap.udp(T0_US + 1000000, ("192.0.2.50", 1900), ("239.255.255.250", 1900), ssdp_notify,
            l2=Ether(src=MAC_A, dst="01:00:5e:7f:ff:fa"), ident=0xD001)
    opt = request("OPTIONS", "sip:%s:15060" % PROXY, via, frm, "<sip:%s:15060>" % PROXY,
                  cid, "1 OPTIONS", extra=[("Contact", "<sip:alice@192.0.2.10:15060>")])
    cap.udp(T0_US + 1010000, a, b, opt, ident=0xD002)
    ok = response(200, "OK", [via], frm, "<sip:%s:15060>;tag=np-b1" % PROXY, cid, "1 OPTIONS")
    cap.udp(T0_US + 1012000, b, a, ok, ident=0xD101)
    msearch = (b'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"'
               b"\r\nMX: 2\r\nST: ssdp:all\r\n\r\n")
    cap.udp(T0_US + 1015000, ("192.0.2.51", 50000), ("239.255.255.250", 1900), msearch,
            l2=Ether(src=MAC_B, dst="01:00:5e:7f:ff:fa"), ident=0xD003)
    cli, srv = (UA2, 40005), (PEER, 5999)
    c = Tcp(cap, cli, srv, 0x31415926, 0x27182818, ipid=0xE000)
    t = c.handshake(T0_US + 1020000)
    rcid = "port5999-reg@192.0.2.11"
    tvia = "SIP/2.0/TCP 192.0.2.11:40005;branch=z9hG4bK-np-r%d;rport"
    rfrm = "<sip:carol@example.com>;tag=np-c1"
    contact = [("Contact", "<sip:carol@192.0.2.11:40005;transport=tcp>;expires=300")]
    reg1 = request("REGISTER", "sip:example.com:5999;transport=tcp", tvia % 1, rfrm,
                   "<sip:carol@example.com>", rcid, "1 REGISTER", extra=contact)
    t = c.send(t, "c", [reg1])
    unauth = response(401, "Unauthorized", [tvia % 1 + "=40005;received=192.0.2.11"], rfrm,
                      "<sip:carol@example.com>;tag=np-s1", rcid, "1 REGISTER",
                      extra=[("WWW-Authenticate", 'Digest realm="example.com", '
                              'nonce="5eed", algorithm=MD5, qop="auth"')])
    t = c.send(t + 5000, "s", [unauth])
    reg2 = request("REGISTER", "sip:example.com:5999;transport=tcp", tvia % 2, rfrm,
                   "<sip:carol@example.com>", rcid, "2 REGISTER", extra=contact + [
                       ("Authorization", 'Digest username="carol", realm="example.com", '
                        'nonce="5eed", uri="sip:example.com", response="0123456789abcdef'
                        '0123456789abcdef", algorithm=MD5, qop=auth, nc=00000001, '
                        'cnonce="c0ffee"')])
    t = c.send(t + 5000, "c", [reg2])
    ok2 = response(200, "OK", [tvia % 2 + "=40005;received=192.0.2.11"], rfrm,
                   "<sip:carol@example.com>;tag=np-s2", rcid, "2 REGISTER", extra=contact)
    t = c.send(t + 5000, "s", [ok2])
    c.close(t + 5000)
    return cap


def cap_seed_service():
    """The inside capture of gen_scenario.py's seed_misroute, and its messages."""
    cap = Capture("seed_service", "The seed failure, cleartext, inside segment (as "
                  "tools/gen_scenario.py seed_misroute inside.pcap): E's OPTIONS and "
                  "SERVICE in segments cut inside the Route header, C's 408 (Warning "
                  "399) and 200 OK in one segment.")
    out = gen_scenario.traversal_scenario("seed_misroute", snat=True, tls=False,
                                          seq_offset=0, healthy=False)
    cap.frames = [(t, bytes(f)) for t, f in out["inside"]]
    g = gen_scenario
    e = (g.EXPE_PUB, g.TRAV_PORT)
    cl = (g.EXPC, g.C_PORT)
    ka, svc = g.sip_keepalive(), g.sip_service("%s:%d" % (g.EXPE_PUB, g.SNAT_PORT))
    resp = g.sip_service_response(408, "Request Timeout",
                                  '399 %s "Request Timeout"' % g.EXPC)
    ok = g.sip_keepalive_ok()
    # Locate each message's completing frame in the capture, from the TCP payloads.
    stream = {}       # direction -> [(end offset, t, frame)]
    for i, (t, f) in enumerate(cap.frames):
        p = Ether(f)
        if TCP in p and len(p[TCP].payload):
            d = (p[IP].src, p[TCP].sport)
            lst = stream.setdefault(d, [])
            end = (lst[-1][0] if lst else 0) + len(p[TCP].payload)
            lst.append((end, t, i + 1))
    for d, dst, msgs in ((e, cl, (ka, svc)), (cl, e, (resp, ok))):
        off = 0
        segs = stream[d]
        for m in msgs:
            start = off
            off += len(m)
            first = next(s for s in segs if s[0] > start)
            last = next(s for s in segs if s[0] >= off)
            cap.expect(_seed_expect(m, d), "tcp", d, dst, last[1], last[2],
                       reassembled=first is not last)
    return cap


class _Wrapped:
    def __init__(self, expect):
        self.expect = expect


def _seed_expect(data, src):
    """Expected values of a gen_scenario message (bytes), written by hand from the
    constants gen_scenario.py builds it from."""
    g = gen_scenario
    text = data.decode()
    start = text.split("\r\n", 1)[0]
    hdrs = []
    for ln in text.split("\r\n\r\n", 1)[0].split("\r\n")[1:]:
        k, _, v = ln.partition(": ")
        hdrs.append((k, v))
    body = data[data.index(b"\r\n\r\n") + 4:]
    s = Sip(start, [h for h in hdrs if h[0] != "Content-Length"], body)
    if s.data != data:
        raise SystemExit("gen_parser_captures.py: cannot rebuild a seed message")
    if start.startswith("SIP/2.0 408"):
        s.expect["warning"] = [{"code": 399, "agent": g.EXPC, "text": "Request Timeout"}]
    return _Wrapped(s.expect)


CAPTURES = [cap_tcp_split, cap_tcp_multi, cap_compact_case, cap_folded, cap_comma_lists,
            cap_ipv6, cap_frag_invite, cap_vlan, cap_multipart, cap_nonstandard_port,
            cap_seed_service]

KEY_ORDER = ["frame", "ts", "flow", "method", "request_uri", "status", "reason", "call_id",
             "cseq", "from_tag", "to_tag", "via", "route", "record_route", "path",
             "service_route", "contact", "sdp_c", "sdp_m", "warning", "content_length",
             "user_agent", "reassembled"]


def main(argv):
    if len(argv) != 2 or argv[1].startswith("-"):
        sys.stderr.write("usage: gen_parser_captures.py OUTDIR\n")
        return 2
    outdir = argv[1]
    os.makedirs(outdir, exist_ok=True)
    expected = {}
    for fn in CAPTURES:
        cap = fn()
        path = os.path.join(outdir, cap.name + ".pcap")
        gen_scenario.write_pcap(path, cap.frames)
        size = os.path.getsize(path)
        if size >= 100 * 1024:
            raise SystemExit("gen_parser_captures.py: %s is %d bytes (limit 100 KiB)"
                             % (path, size))
        expected[cap.name + ".pcap"] = {
            "description": cap.description,
            "frames": len(cap.frames),
            "messages": [{k: m[k] for k in KEY_ORDER if k in m} for m in cap.messages],
        }
        print("%s.pcap: %d frames, %d SIP messages, %d bytes"
              % (cap.name, len(cap.frames), len(cap.messages), size))
    with open(os.path.join(outdir, "expected.json"), "w") as f:
        json.dump({"generator": "tools/gen_parser_captures.py",
                   "note": "per capture: every SIP message natprobe dump-sip --json must "
                           "print, in order; 'frame' is the 1-based index of the frame "
                           "that completes the message (not a dump-sip field)",
                   "captures": expected}, f, indent=1, sort_keys=False)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
