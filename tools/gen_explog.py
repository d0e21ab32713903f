#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Deterministic Expressway diagnostic log fixtures for natprobe.

Rebuilds the log excerpts of the seed (Cisco TAC: "MRA phone services fail
because of source NAT over NAT reflection") into complete `tvcs:` logs of
both boxes, with the seed's real addresses:

    Expressway-C 10.0.30.2 --[inside]-- firewall --[dmz]-- Expressway-E 10.0.10.2
                                                        (static NAT 64.100.0.10)

The SIP messages are the ones tools/gen_scenario.py puts in the scenario
captures (same Call-IDs, branches, times), so a log can be mixed with a
capture of the other side (tests/fixtures/scenarios/seed_misroute_tls).

Files written into OUTDIR (tests/fixtures/explog/):

    expc.log, expe.log          the seed failure, one entry per line
    expc-wrapped.log, ...       the same, hard-wrapped at 80 columns
    healthy-expc.log, ...       the fix: no source NAT, C answers 200 OK
    expc-garbled.log            expc.log with 5 garbled lines among the entries
    README.md                   what each file is and what analyze reports

Output is byte-identical from run to run (fixed times, no randomness).

Usage: gen_explog.py [OUTDIR]      (default: tests/fixtures/explog)
"""

import hashlib
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_scenario as gs  # noqa: E402  (the scenario's SIP messages and addresses)

T0_MS = gs.T0_US // 1000        # 2016-04-19T07:09:13.000Z
TZ_OFFSET_S = 10 * 3600         # the boxes log local time +10:00 (as in the seed)
WRAP = 80

EXPC, EXPE_PRIV, EXPE_PUB = gs.EXPC, gs.EXPE_PRIV, gs.EXPE_PUB
TRAV, C_PORT, SNAT_PORT, PHANTOM = gs.TRAV_PORT, gs.C_PORT, gs.SNAT_PORT, gs.PHANTOM_SPORT

# The seed's developer.sip.leg line: a module natprobe does not use.
SIP_LEG = ('Module="developer.sip.leg" Level="INFO" '
           'CodeLocation="ppcmains/sip/sipproxy/SipProxyLeg.cpp(10047)" '
           'Method="SipProxyLeg::routeViaNettleIfNeeded" Thread="0x3150905deea6": '
           'this="0xc76759f343ca" Type="Outbound" routingViaNettle="false" twoInARow="false" '
           'oneIsATraversalServerZone="false" isCall="false" isRefer="false" '
           'fromClusterPeer="false" fromNettle="false" toNettle="false" '
           'inboundZone=UC_Traversal (encryption-mode=on ice-mode=off) '
           'outboundZone=DefaultZone (encryption-mode=auto ice-mode=off) '
           'encryptionSettingsRequireNettle="true" iceSettingsRequireNettle="false" '
           'needlesslyNettling="false" routeViaNettle="false"')


def syslog_prefix(host, t_ms):
    lt = time.gmtime(t_ms // 1000 + TZ_OFFSET_S)
    return "%s+10:00 %s tvcs: " % (time.strftime("%Y-%m-%dT%H:%M:%S", lt), host)


def utctime(t_ms):
    return 'UTCTime="%s,%03d"' % (time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t_ms // 1000)),
                                  t_ms % 1000)


def line(host, t_ms, rest):
    return syslog_prefix(host, t_ms) + utctime(t_ms) + " " + rest


def msg_hash(msg):
    return str(int.from_bytes(hashlib.sha256(msg).digest()[:8], "big"))


def flatten(msg):
    """The one-line SIPMSG layout: line ends lost, each line after a space."""
    text = msg.decode()
    return " ".join(ln for ln in text.split("\r\n") if ln != "")


def sip_fields(msg):
    """Start line and headers of a message, as a dict of first values."""
    head = msg.decode().split("\r\n\r\n", 1)[0].split("\r\n")
    hdrs = {}
    for h in head[1:]:
        k, v = h.split(":", 1)
        hdrs.setdefault(k.strip(), v.strip())
    return head[0], hdrs


def tag_of(v):
    return v.split(";tag=", 1)[1].split(";")[0] if ";tag=" in v else None


def uri_of(v):
    return v.split("<", 1)[1].split(">", 1)[0] if "<" in v else v.split(";")[0]


def summary(msg, sent):
    """The INFO summary natprobe also reads (Detail="Sending Response Code=408, ...")."""
    start, h = sip_fields(msg)
    cseq_num, method = h["CSeq"].split()
    if start.startswith("SIP/2.0 "):
        parts = ["Code=%s" % start.split()[1], "Method=%s" % method, "CSeq=%s" % cseq_num,
                 "To=%s" % uri_of(h["To"]), "Call-ID=%s" % h["Call-ID"]]
        kind = "Response"
    else:
        parts = ["Method=%s" % method, "Request-URI=%s" % start.split()[1],
                 "CSeq=%s" % cseq_num, "To=%s" % uri_of(h["To"]), "Call-ID=%s" % h["Call-ID"]]
        kind = "Request"
    if tag_of(h["From"]):
        parts.append("From-Tag=%s" % tag_of(h["From"]))
    if tag_of(h["To"]):
        parts.append("To-Tag=%s" % tag_of(h["To"]))
    parts.append("Msg-Hash=%s" % msg_hash(msg))
    return "%s %s %s" % ("Sending" if sent else "Receive", kind, ", ".join(parts))


def sip_entries(host, t_ms, msg, local, peer, sent):
    """INFO summary then DEBUG dump of one message, as Expressway logs them."""
    peer_k = "Dst" if sent else "Src"
    ep = ('Action="%s" Local-ip="%s" Local-port="%d" %s-ip="%s" %s-port="%d"'
          % ("Sent" if sent else "Received", local[0], local[1], peer_k, peer[0], peer_k,
             peer[1]))
    return [
        line(host, t_ms, 'Module="network.sip" Level="INFO": %s Detail="%s"'
             % (ep, summary(msg, sent))),
        line(host, t_ms, 'Module="network.sip" Level="DEBUG": %s Msg-Hash="%s" SIPMSG: |%s |'
             % (ep, msg_hash(msg), flatten(msg))),
    ]


def tcp_entry(host, t_ms, level, src, dst, detail):
    return line(host, t_ms, 'Module="network.tcp" Level="%s": Src-ip="%s" Src-port="%d" '
                'Dst-ip="%s" Dst-port="%d" Detail="%s"'
                % (level, src[0], src[1], dst[0], dst[1], detail))


def build_logs(healthy):
    """(expc lines, expe lines) of the seed failure, or of its fix."""
    c_ep = (EXPC, C_PORT)
    c_view_e = (EXPE_PUB, TRAV)                          # E as C sees it
    e_local = (EXPE_PRIV, TRAV)
    e_view_c = (EXPC, C_PORT) if healthy else (EXPE_PUB, SNAT_PORT)  # C as E sees it
    ka, ok = gs.sip_keepalive(), gs.sip_keepalive_ok()
    service = gs.sip_service("%s:%d" % e_view_c)
    if healthy:
        resp = gs.sip_service_response(200, "OK")
    else:
        resp = gs.sip_service_response(408, "Request Timeout", '399 %s:5061 "Request Timeout"'
                                       % EXPC)
    t_conn, t_e_send, t_c_recv = T0_MS, T0_MS + 972, T0_MS + 973
    t_resp = T0_MS + 982

    c = [tcp_entry("expc", t_conn, "DEBUG", c_ep, c_view_e, "TCP Connecting"),
         tcp_entry("expc", t_conn + 1, "DEBUG", c_ep, c_view_e, "TCP Connected")]
    c += sip_entries("expc", t_c_recv, ka, c_ep, c_view_e, sent=False)
    c += sip_entries("expc", t_c_recv, service, c_ep, c_view_e, sent=False)
    c.append(line("expc", T0_MS + 977, SIP_LEG))
    if not healthy:
        phantom = (EXPC, PHANTOM)
        target = (EXPE_PUB, SNAT_PORT)
        c.append(tcp_entry("expc", T0_MS + 979, "DEBUG", phantom, target, "TCP Connecting"))
        c.append(tcp_entry("expc", T0_MS + 980, "ERROR", phantom, target,
                           "TCP Connection Failed"))
    c += sip_entries("expc", t_resp, resp, c_ep, c_view_e, sent=True)
    c += sip_entries("expc", t_resp, ok, c_ep, c_view_e, sent=True)

    e = sip_entries("expe", t_e_send, ka, e_local, e_view_c, sent=True)
    e += sip_entries("expe", t_e_send, service, e_local, e_view_c, sent=True)
    e.append(line("expe", T0_MS + 975, SIP_LEG.replace("0xc76759f343ca", "0x9a1b2c3d4e5f")))
    e += sip_entries("expe", t_resp, resp, e_local, e_view_c, sent=False)
    e += sip_entries("expe", t_resp, ok, e_local, e_view_c, sent=False)
    return c, e


def wrap(lines, width=WRAP):
    """Hard-wrap every line at `width` columns (an export through a fixed-width viewer)."""
    out = []
    for ln in lines:
        while len(ln) > width:
            out.append(ln[:width])
            ln = ln[width:]
        out.append(ln)
    return out


def garble(lines):
    """expc.log with 5 lines natprobe cannot use (counted, never fatal)."""
    out = list(lines)
    bad = [
        # 1. text that is no log line, between two entries
        "----- expc.log.1 ends here; continued in expc.log -----",
        # 2. binary junk (a disk error, a rotated gzip)
        "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xab\xcd",
        # 3. an entry cut in the middle of its time
        syslog_prefix("expc", T0_MS + 500) + 'UTCTime="2016-04-19 07:0',
        # 4. an address that is none
        line("expc", T0_MS + 600, 'Module="network.tcp" Level="DEBUG": Src-ip="10.0.30.2" '
             'Src-port="27950" Dst-ip="64.100.0.999" Dst-port="7003" Detail="TCP Connecting"'),
        # 5. a SIP entry without its peer
        line("expc", T0_MS + 700, 'Module="network.sip" Level="INFO": Action="Received" '
             'Local-ip="10.0.30.2" Local-port="27901" Detail="Receive Request Method=OPTIONS, '
             'CSeq=1, Call-ID=x@y"'),
    ]
    for i, b in enumerate(bad):
        out.insert(2 + 2 * i, b)
    return out


README = """\
# Expressway diagnostic log fixtures

Generated by `tools/gen_explog.py`; do not edit, re-run the generator.

The seed failure (docs/anomalies.md, `nat_reflection_misroute`) as
Expressway-C and Expressway-E log it with `network.sip` and `network.tcp` at
DEBUG: the same SIP messages, times and addresses as the captures of
`tests/fixtures/scenarios/seed_misroute*`.

| file | what |
|---|---|
| `expc.log` | Expressway-C 10.0.30.2: traversal connection 10.0.30.2:27901 -> 64.100.0.10:7003, the SERVICE received (Route <sip:64.100.0.10:4401;...>), TCP Connecting / Connection Failed 10.0.30.2:27921 -> 64.100.0.10:4401, the 408 sent (Warning 399) |
| `expe.log` | Expressway-E 10.0.10.2: the SERVICE sent from 10.0.10.2:7003 to 64.100.0.10:4401, the 408 received from 64.100.0.10:4401 |
| `expc-wrapped.log`, `expe-wrapped.log` | the same, hard-wrapped at 80 columns |
| `healthy-expc.log`, `healthy-expe.log` | the fix: no source NAT, E sees 10.0.30.2:27901, the Route names it, C answers 200 OK |
| `expc-garbled.log` | `expc.log` with 5 garbled lines (text, binary, a cut entry, a bad address, a SIP entry without its peer) |

Expected (`dts/TestSuite_explog.py`):

- `natprobe analyze inside=expc.log dmz=expe.log` (either layout):
  `nat_reflection_misroute` with `hairpin_snat`, `translated_route`,
  `phantom_connect`, `sip_timeout` (fast);
- the healthy pair: no anomaly (one binding, destination translated only);
- `inside=expc-garbled.log dmz=expe.log`: the same diagnosis, exit 0,
  5 lines reported as not understood.
"""


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    outdir = argv[0] if argv else os.path.join(root, "tests", "fixtures", "explog")
    os.makedirs(outdir, exist_ok=True)
    seed_c, seed_e = build_logs(healthy=False)
    ok_c, ok_e = build_logs(healthy=True)
    files = {
        "expc.log": seed_c,
        "expe.log": seed_e,
        "expc-wrapped.log": wrap(seed_c),
        "expe-wrapped.log": wrap(seed_e),
        "healthy-expc.log": ok_c,
        "healthy-expe.log": ok_e,
        "expc-garbled.log": garble(seed_c),
    }
    for name, lines in files.items():
        with open(os.path.join(outdir, name), "w", encoding="latin-1", newline="\n") as f:
            f.write("\n".join(lines) + "\n")
        print("%s: %d lines" % (name, len(lines)))
    with open(os.path.join(outdir, "README.md"), "w") as f:
        f.write(README)
    return 0


if __name__ == "__main__":
    sys.exit(main())
