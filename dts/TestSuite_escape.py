# SPDX-License-Identifier: BSD-3-Clause
"""Bytes from the wire never reach a terminal raw.

A capture built with scapy carries terminal escape sequences (OSC "set the
window title", CSI "clear the screen", the 8-bit CSI as a C1 control and as
a raw byte, invalid UTF-8) in the Call-ID, the Via, the User-Agent and the
SDP of an INVITE, which a 408 answers. Every text output (dump-sip, the
analyze report, log lines on stderr) must write them as \\xNN; the JSON
outputs must stay valid JSON that gives the bytes back.
"""

import json
import re

from conftest import write_frames

OSC = b"\x1b]0;pwned\x07"                    # sets an xterm's window title
CSI = b"\x1b[2J" + b"\xc2\x9b" + b"\x9b\xff"  # clear screen, C1 CSI, raw 0x9b, invalid UTF-8
CALL_ID = b"abc" + OSC + CSI + b"@host"


def escaped(raw):
    """raw bytes as natprobe's text output must show them."""
    out = []
    i = 0
    while i < len(raw):
        b = raw[i]
        if raw[i:i + 2] == b"\xc2\x9b":
            out.append("\\xc2\\x9b")
            i += 2
            continue
        if b < 0x20 or b >= 0x7f:
            out.append("\\x%02x" % b)
        else:
            out.append(chr(b))
        i += 1
    return "".join(out)


def sip_capture(path):
    """INVITE from a public address with the escapes in Call-ID, Via,
    User-Agent and SDP; then 408 Request Timeout."""
    from scapy.all import IP, UDP, Ether
    body = (b"v=0\r\no=- 1 1 IN IP4 10.1.1.1\r\ns=x" + OSC + b"\r\nc=IN IP4 10.1.1.1" + CSI +
            b"\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n")
    common = (b"From: <sip:alice@203.0.113.5>;tag=1\r\nTo: <sip:bob@198.51.100.20>%s\r\n"
              b"Call-ID: " + CALL_ID + b"\r\nCSeq: 1 INVITE\r\n")
    via = b"Via: SIP/2.0/UDP 10.1.1.1:5060;branch=z9hG4bK" + OSC + b"\r\n"
    invite = (b"INVITE sip:bob@198.51.100.20 SIP/2.0\r\n" + via + common % b"" +
              b"Contact: <sip:alice@10.1.1.1:5060>\r\nUser-Agent: evil" + OSC + b"\r\n"
              b"Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    answer = (b"SIP/2.0 408 Request Timeout\r\n" + via + common % b";tag=2" +
              b"Content-Length: 0\r\n\r\n")
    frames = [bytes(Ether() / IP(src="203.0.113.5", dst="198.51.100.20") /
                    UDP(sport=5060, dport=5060) / invite),
              bytes(Ether() / IP(src="198.51.100.20", dst="203.0.113.5") /
                    UDP(sport=5060, dport=5060) / answer)]
    return write_frames(path, frames)


def assert_terminal_safe(data, what):
    """No C0 control but newline, no DEL, no C1 control, valid UTF-8."""
    text = data.decode("utf-8")        # raises on invalid UTF-8
    bad = [c for c in text if (ord(c) < 0x20 and c != "\n") or 0x7f <= ord(c) <= 0x9f]
    assert not bad, "%s holds control characters %r:\n%r" % (what, bad, text[:2000])
    return text


def run_bytes(probe, *args):
    import subprocess
    from conftest import require_binary
    p = subprocess.run([str(require_binary(probe.bin))] + [str(a) for a in args],
                       capture_output=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def test_dump_sip_text_escapes_wire_bytes(probe, tmp_path):
    """dump-sip's text view escapes what the wire carried.

    Steps:
      1. natprobe dump-sip CAPTURE (the escape-laden INVITE and its 408).
    Verifies:
      - exit 0; stdout is valid UTF-8 without a control character but the
        line ends;
      - the Call-ID, the Via and the SDP c= address appear with every
        escape written as \\xNN (the C1 CSI as \\xc2\\x9b).
    """
    cap = sip_capture(tmp_path / "esc.pcap")
    rc, out, err = run_bytes(probe, "dump-sip", cap)
    assert rc == 0, err
    text = assert_terminal_safe(out, "dump-sip output")
    lines = text.splitlines()
    assert len(lines) == 2, text
    assert "call-id=%s " % escaped(CALL_ID) in lines[0], lines[0]
    assert "branch=z9hG4bK%s" % escaped(OSC) in lines[0], lines[0]
    assert "sdp-c=10.1.1.1%s" % escaped(CSI) in lines[0], lines[0]


def test_analyze_report_escapes_wire_bytes(probe, tmp_path):
    """The analyze report escapes the Call-ID it quotes.

    Steps:
      1. natprobe analyze inside=CAPTURE.
    Verifies:
      - exit 0; the report is terminal-safe (as above);
      - the sip_timeout finding quotes the Call-ID escaped.
    """
    cap = sip_capture(tmp_path / "esc.pcap")
    rc, out, err = run_bytes(probe, "analyze", "inside=%s" % cap)
    assert rc == 0, err
    text = assert_terminal_safe(out, "analyze report")
    assert "sip_timeout" in text, text
    assert "Call-ID %s)" % escaped(CALL_ID) in text, text


def test_json_outputs_stay_exact(probe, tmp_path):
    """JSON output keeps its own escaping: valid JSON, the bytes given back.

    Steps:
      1. natprobe dump-sip --json CAPTURE; natprobe analyze --json inside=CAPTURE.
    Verifies:
      - every line is a JSON object and terminal-safe;
      - dump-sip's call_id, via and user_agent decode to the captured text
        (valid UTF-8 kept, every other byte as its Latin-1 code point);
      - analyze's sip_timeout record carries the same call_id.
    """
    def as_json_text(raw):
        out, i = [], 0
        while i < len(raw):
            if raw[i:i + 2] == b"\xc2\x9b":
                out.append("\x9b")
                i += 2
            else:
                out.append(chr(raw[i]))
                i += 1
        return "".join(out)

    cap = sip_capture(tmp_path / "esc.pcap")
    rc, out, err = run_bytes(probe, "dump-sip", "--json", cap)
    assert rc == 0, err
    objs = [json.loads(ln) for ln in assert_terminal_safe(out, "dump-sip --json").splitlines()]
    assert objs[0]["call_id"] == as_json_text(CALL_ID)
    assert objs[0]["via"][0].endswith("z9hG4bK" + as_json_text(OSC))
    assert objs[0]["user_agent"] == "evil" + as_json_text(OSC)
    rc, out, err = run_bytes(probe, "analyze", "--json", "inside=%s" % cap)
    assert rc == 0, err
    recs = [json.loads(ln) for ln in assert_terminal_safe(out, "analyze --json").splitlines()]
    timeouts = [r for r in recs if r["type"] == "sip_timeout"]
    assert timeouts and timeouts[0]["sip"]["call_id"] == as_json_text(CALL_ID), recs


def test_error_lines_escape_names(probe, tmp_path):
    """A log line quoting a name from outside (an input path) is escaped.

    Steps:
      1. natprobe analyze SEG=PATH where PATH holds an OSC escape and a
         newline and does not exist.
    Verifies:
      - exit 2; exactly one stderr line, terminal-safe, naming the path
        with \\x1b and \\x0a.
    """
    bad = str(tmp_path) + "/x\x1b]0;pwned\x07\nfake.pcap"
    rc, out, err = run_bytes(probe, "analyze", "inside=" + bad)
    assert rc == 2
    text = assert_terminal_safe(err, "stderr")
    lines = [ln for ln in text.splitlines() if ln]
    assert len(lines) == 1, text
    assert re.search(r"x\\x1b\]0;pwned\\x07\\x0afake\.pcap", lines[0]), lines[0]
