# SPDX-License-Identifier: BSD-3-Clause
"""A tiny SIP-over-TCP (cleartext) traversal peer for dts/TestSuite_live_nat.py.

  live_nat_peer.py e LISTEN_ADDR:PORT PUBLIC_ADDR [BODY_BYTES]
      Expressway-E: accept one traversal connection, send a SIP SERVICE whose
      Route names the source address:port it saw (getpeername), read the final
      response, close. With BODY_BYTES the SERVICE carries an XML body of
      that size, written in one call (a TSO/GSO frame on a veth).
  live_nat_peer.py c LOCAL_ADDR:PORT SERVER_ADDR:PORT
      Expressway-C: connect from LOCAL to SERVER, read the SERVICE; if its
      Route names C itself answer 200 OK, else connect to the Route address
      (refused behind a reflecting NAT) and answer 408 Request Timeout with
      Warning 399; close.

Each prints one JSON line describing what it did. Every socket operation is
bounded (TIMEOUT_S); the process exits by itself (exit 0 on success).
"""

import json
import socket
import sys
import time

TIMEOUT_S = 5.0
CALL_ID = "abcd12345678@127.0.0.1"
BRANCH_E = "z9hG4bK4616e0a1b2"
BRANCH_CLIENT = "z9hG4bKclient25063"


def hostport(s):
    h, p = s.rsplit(":", 1)
    return h, int(p)


def sip_message(start, headers, body=b""):
    lines = [start] + ["%s: %s" % kv for kv in headers]
    lines.append("Content-Length: %d" % len(body))
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def via_e(public):
    return "SIP/2.0/TCP %s:7003;branch=%s;rport" % (public, BRANCH_E)


def via_client():
    return ("SIP/2.0/TCP 127.0.0.1:5060;branch=%s;received=127.0.0.1;rport=25063"
            % BRANCH_CLIENT)


def service(public, route, body_bytes=0):
    body = b""
    hdrs = []
    if body_bytes:
        head, tail = b"<?xml version=\"1.0\"?><services><pad>", b"</pad></services>\r\n"
        body = head + b"x" * max(0, body_bytes - len(head) - len(tail)) + tail
        hdrs = [("Content-Type", "application/xml")]
    return sip_message("SERVICE sip:serviceserver@cucm02.example.local SIP/2.0", hdrs + [
        ("Via", via_e(public)),
        ("Via", via_client()),
        ("Call-ID", CALL_ID),
        ("CSeq", "4616 SERVICE"),
        ("Contact", "<sip:serviceproxy@cucm02.example.local>"),
        ("From", "<sip:serviceproxy@cucm02.example.local>;tag=0987654321aaaa"),
        ("To", "<sip:serviceserver@cucm02.example.local>"),
        ("Max-Forwards", "15"),
        ("Route", "<sip:%s;transport=tcp;lr>" % route),
        ("User-Agent", "TANDBERG/4132 (X8.7.2)"),
        ("Event", "service"),
    ], body)


def response(public, code, reason, warning=None):
    hdrs = [
        ("Via", via_e(public) + ";received=%s" % public),
        ("Via", via_client()),
        ("Call-ID", CALL_ID),
        ("CSeq", "4616 SERVICE"),
        ("From", "<sip:serviceproxy@cucm02.example.local>;tag=0987654321aaaa"),
        ("To", "<sip:serviceserver@cucm02.example.local>;tag=0987654321bbbb"),
        ("Server", "TANDBERG/4132 (X8.7.2)"),
    ]
    if warning:
        hdrs.append(("Warning", warning))
    return sip_message("SIP/2.0 %d %s" % (code, reason), hdrs)


def read_message(sock):
    """One SIP message (headers + Content-Length body), bounded in time."""
    deadline = time.monotonic() + TIMEOUT_S
    buf = b""
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            clen = 0
            for line in buf[:end].decode("latin-1").split("\r\n")[1:]:
                k, _, v = line.partition(":")
                if k.strip().lower() in ("content-length", "l"):
                    clen = int(v.strip())
            if len(buf) >= end + 4 + clen:
                return buf[:end + 4 + clen].decode("latin-1")
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no complete SIP message within %.0f s" % TIMEOUT_S)
        sock.settimeout(left)
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("connection closed before a complete SIP message")
        buf += chunk


def header(msg, name):
    for line in msg.split("\r\n")[1:]:
        k, _, v = line.partition(":")
        if k.strip().lower() == name.lower():
            return v.strip()
    return None


def wait_eof(sock):
    sock.settimeout(TIMEOUT_S)
    try:
        while sock.recv(4096):
            pass
    except OSError:
        pass


def run_e(listen, public, body_bytes=0):
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(hostport(listen))
    ls.listen(4)
    print(json.dumps({"role": "e", "listening": listen}), flush=True)
    ls.settimeout(TIMEOUT_S * 2)
    conn, peer = ls.accept()
    ls.close()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    route = "%s:%d" % conn.getpeername()
    conn.settimeout(TIMEOUT_S)
    msg = service(public, route, body_bytes)
    conn.sendall(msg)
    resp = read_message(conn)
    conn.close()
    print(json.dumps({"role": "e", "peer": route, "route": route, "sent": len(msg),
                      "status": resp.split("\r\n", 1)[0],
                      "warning": header(resp, "Warning")}), flush=True)


def run_c(local, server):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.bind(hostport(local))
    s.settimeout(TIMEOUT_S)
    s.connect(hostport(server))
    me = "%s:%d" % s.getsockname()
    msg = read_message(s)
    route = header(msg, "Route") or ""
    target = route.split("sip:", 1)[-1].split(";", 1)[0].rstrip(">")
    public = hostport(server)[0]
    out = {"role": "c", "local": me, "route": target}
    if target == me:
        out["routed"] = "self"
        s.sendall(response(public, 200, "OK"))
    else:
        # Follow the Route, as Expressway-C does; behind the reflecting NAT
        # this is a translated source nothing listens on: refused.
        p = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        p.settimeout(3.0)
        try:
            p.connect(hostport(target))
            out["routed"] = "connected"
        except ConnectionRefusedError:
            out["routed"] = "refused"
        except OSError as e:
            out["routed"] = "error: %s" % e
        finally:
            p.close()
        s.sendall(response(public, 408, "Request Timeout",
                           '399 %s "Request Timeout"' % me.split(":")[0]))
    wait_eof(s)
    s.close()
    print(json.dumps(out), flush=True)


def main(argv):
    if len(argv) not in (4, 5) or argv[1] not in ("e", "c"):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[1] == "e":
        run_e(argv[2], argv[3], int(argv[4]) if len(argv) == 5 else 0)
    else:
        run_c(argv[2], argv[3])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
