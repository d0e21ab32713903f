# SPDX-License-Identifier: BSD-3-Clause
"""`natprobe dump-sip --json`: the SIP parser, end to end, from captures.

Three opinions on every capture of tests/fixtures/parser/ (tools/gen_parser_captures.py):

  1. expected.json: what the generator put in. natprobe must print exactly
     those messages, field by field (the authority).
  2. tshark (Debian 12: 4.0), an independent parser: same message count, and
     per message the same method/status, Call-ID, CSeq, flow, time, and the same
     multiset of Via, Route, Record-Route, Path, Service-Route and Contact
     values (after the normalisation described at tshark_messages()).
  3. The real-world corpus in ../shared/corpus/real-sip/ (next to the
     repository; skipped with a message when absent): natprobe never fails on
     it and agrees with tshark on count, method/status, Call-ID and CSeq.

Plus the output contract (keys, types, nulls, time format), segment names,
pcapng input, and bad input (not a capture, truncated, missing, no argument).

Run:  /usr/bin/python3 -m pytest -q dts/TestSuite_dump_sip.py
"""

import collections
import importlib.util
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO_ROOT, require_program, run_natprobe

PARSER = FIXTURES / "parser"
EXPECTED_JSON = PARSER / "expected.json"
GENERATOR = REPO_ROOT / "tools" / "gen_parser_captures.py"
# The generator's own header-value splitting (RFC 3261 7.3.1): one rule for
# what the fixtures expect and for how tshark's lines are compared.
_spec = importlib.util.spec_from_file_location("gen_parser_captures", GENERATOR)
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)
CORPUS = REPO_ROOT / ".." / "shared" / "corpus" / "real-sip"

CAPTURES = ["tcp_split.pcap", "tcp_multi.pcap", "compact_case.pcap", "folded.pcap",
            "comma_lists.pcap", "ipv6.pcap", "frag_invite.pcap", "vlan.pcap",
            "multipart.pcap", "nonstandard_port.pcap", "seed_service.pcap"]

# The dump-sip --json contract (ARCHITECTURE.md, and the brief of this suite).
CONTRACT_KEYS = ["segment", "ts", "flow", "method", "request_uri", "status", "reason",
                 "call_id", "cseq", "from_tag", "to_tag", "via", "route", "record_route",
                 "path", "service_route", "contact", "sdp_c", "sdp_m", "warning",
                 "content_length", "user_agent", "reassembled"]
STRING_LISTS = ["via", "route", "record_route", "path", "service_route", "contact", "sdp_c"]
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ENDPOINT_RE = re.compile(r"^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:.]+\]):\d{1,5}$")

# Address headers compared with tshark: dump-sip key -> tshark field.
TSHARK_LISTS = {"via": "sip.Via", "route": "sip.Route", "record_route": "sip.Record-Route",
                "path": "sip.Path", "service_route": "sip.Service-Route",
                "contact": "sip.Contact"}
TSHARK_ARGS = [
    # reassemble SIP over TCP: headers and bodies across segments
    "-o", "tcp.desegment_tcp_streams:TRUE",
    "-o", "sip.desegment_headers:TRUE",
    "-o", "sip.desegment_body:TRUE",
    # IP reassembly is on by default; say so, a local preference must not change it
    "-o", "ip.defragment:TRUE",
    "-o", "ipv6.defragment:TRUE",
    # nonstandard_port.pcap: SIP off the well-known ports
    "-d", "udp.port==15060,sip",
    "-d", "tcp.port==5999,sip",
]
TSHARK_TIMEOUT_S = 60

# Where tshark 4.0 is wrong, so natprobe and tshark legitimately disagree:
# capture -> {message number (1-based, in time order) -> {field: why}}. Only
# those fields of those messages are left out of the tshark comparison;
# natprobe is still held to expected.json on them, exactly.
_HCOLON = ("RFC 3261 25.1: HCOLON = *( SP / HTAB ) \":\" SWS, so white space may "
           "precede the colon; tshark 4.0 takes the white space as part of the name "
           "and reports an 'Unrecognised SIP header'")
TSHARK_KNOWN = {
    "compact_case.pcap": {
        2: {"cseq": "'cseq<TAB>: 11 INVITE': " + _HCOLON},
        3: {"call_id": "'I : compact-msg-77@...': " + _HCOLON},
    },
}


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def load_expected():
    if not EXPECTED_JSON.is_file():
        pytest.fail("%s is missing: run tools/gen_parser_captures.py %s"
                    % (EXPECTED_JSON, PARSER), pytrace=False)
    return json.loads(EXPECTED_JSON.read_text())["captures"]


def dump_sip(natprobe_bin, *args):
    """Run `natprobe dump-sip --json ARGS`; it must exit 0 and print only JSON
    objects, one per line. Returns (messages, Result)."""
    r = run_natprobe(natprobe_bin, ["dump-sip", "--json"] + [str(a) for a in args])
    assert r.rc == 0, "dump-sip failed:\n" + r.describe()
    msgs = []
    for i, line in enumerate(r.stdout.split("\n")):
        if line == "" and i == len(r.stdout.split("\n")) - 1:
            break                           # the newline ending the last line
        try:
            obj = json.loads(line)
        except ValueError as e:
            pytest.fail("stdout line %d is not JSON (%s): %r\n%s"
                        % (i + 1, e, line[:300], r.describe()), pytrace=False)
        assert isinstance(obj, dict), "stdout line %d is not a JSON object: %r" % (i + 1, line)
        msgs.append(obj)
    return msgs, r


def by_time(msgs):
    """Messages ordered by time, then by their order in the output (stream
    order: several messages completed by one frame share its time)."""
    return sorted(msgs, key=lambda m: m["ts"])    # sorted() is stable


def ts_of_epoch(epoch):
    """tshark's frame.time_epoch ("1461049753.973050000") as dump-sip writes
    times: UTC, milliseconds truncated."""
    import time
    sec, _, frac = epoch.partition(".")
    return "%s.%sZ" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(sec))),
                       (frac + "000")[:3])


def norm_ws(s):
    """Collapse every run of white space (space, tab, CR, LF) into one space, trim."""
    return re.sub(r"\s+", " ", s).strip()


def norm_values(values, split):
    """The multiset of individual header values, for the tshark comparison.

    Why each step:
    - split (tshark's side only) at commas outside quotes and <...>: tshark
      gives one field per header *line* (a line "a, b" is one field); dump-sip
      gives one entry per value. Splitting tshark's line the way RFC 3261 7.3.1
      separates values makes them comparable. dump-sip's entries are NOT split
      here: an entry holding two values is a natprobe bug and must show.
    - collapse white space (both sides): tshark keeps a folded line's CRLF and
      indentation in the field, and its PDML output puts them in an XML
      attribute, where the XML parser turns CR, LF and tab into spaces;
      dump-sip joins a fold with one space. Only runs of white space are
      merged, never removed, so "a ;b" and "a;b" stay different.
    - empty values (a trailing comma) are dropped from tshark's side; an empty
      dump-sip entry is kept (and fails).
    - a multiset, not a list: the order of values is checked against
      expected.json, exactly; here only the contents.
    """
    out = collections.Counter()
    for v in values:
        for p in (gen.split_commas(v) if split else [v]):
            p = norm_ws(p)
            if p or not split:
                out[p] += 1
    return out


def tshark_messages(path):
    """Every SIP message tshark finds in a capture, in frame order, then in
    order within the frame: dicts with ts, flow, method, status, call_id, cseq
    and the raw field values of the address headers.

    -T pdml is used because it keeps each SIP PDU of a frame in its own
    <proto name="sip"> element, in stream order; -T fields merges several
    messages of one TCP segment into one row and loses which value belongs to
    which message.
    """
    tshark = require_program("tshark")
    p = subprocess.run([tshark, "-n", "-r", str(path)] + TSHARK_ARGS + ["-Y", "sip", "-T", "pdml"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TSHARK_TIMEOUT_S)
    assert p.returncode == 0, "tshark failed on %s: %s" % (path, p.stderr.decode()[-2000:])
    root = ET.fromstring(p.stdout)
    msgs = []
    for pkt in root.iter("packet"):
        protos = pkt.findall("proto")
        first = {}
        for pr in protos:
            if pr.get("name") in ("frame", "ip", "ipv6", "udp", "tcp"):
                for f in pr.iter("field"):
                    first.setdefault(f.get("name"), f.get("show"))
        if "udp.srcport" in first:
            l4 = "udp"
        elif "tcp.srcport" in first:
            l4 = "tcp"
        else:
            continue
        src = first.get("ip.src") or "[%s]" % first.get("ipv6.src")
        dst = first.get("ip.dst") or "[%s]" % first.get("ipv6.dst")
        flow = {"proto": l4, "src": "%s:%s" % (src, first[l4 + ".srcport"]),
                "dst": "%s:%s" % (dst, first[l4 + ".dstport"])}
        ts = ts_of_epoch(first["frame.time_epoch"])
        for pr in protos:
            if pr.get("name") != "sip":
                continue
            m = {"ts": ts, "flow": flow, "frame": int(first["frame.number"]),
                 "method": None, "status": None, "call_id": None, "cseq": None}
            for k in TSHARK_LISTS:
                m[k] = []
            fields = {v: k for k, v in TSHARK_LISTS.items()}
            for f in pr.iter("field"):
                n, show = f.get("name"), f.get("show")
                if n == "sip.Method" and m["method"] is None:
                    m["method"] = show
                elif n == "sip.Status-Code" and m["status"] is None:
                    m["status"] = int(show)
                elif n == "sip.Call-ID" and m["call_id"] is None:
                    m["call_id"] = show
                elif n == "sip.CSeq" and m["cseq"] is None:
                    m["cseq"] = show
                elif n in fields:
                    m[fields[n]].append(show)
            msgs.append(m)
    return msgs


def compare_with_tshark(name, np_msgs, ts_msgs, skip=(), lists=True):
    """Differences between dump-sip's (or expected.json's) messages and
    tshark's, as a list of lines. skip: fields never compared; the fields
    TSHARK_KNOWN names for a message are not compared for that message."""
    known = TSHARK_KNOWN.get(name, {})
    diffs = []
    if len(np_msgs) != len(ts_msgs):
        diffs.append("%d messages from natprobe, %d from tshark" % (len(np_msgs), len(ts_msgs)))
    for i, (n, t) in enumerate(zip(by_time(np_msgs), by_time(ts_msgs))):
        what = "message %d (tshark frame %d, %s %s)" % (i + 1, t["frame"], t["method"] or "",
                                                         t["status"] or "")
        pairs = [("ts", n["ts"], t["ts"]), ("flow", n["flow"], t["flow"]),
                 ("method", n["method"], t["method"]), ("status", n["status"], t["status"]),
                 # Call-ID and CSeq: white space collapsed (a folded CSeq)
                 ("call_id", n["call_id"], t["call_id"]),
                 ("cseq", norm_ws(n["cseq"] or ""), norm_ws(t["cseq"] or ""))]
        if lists:
            pairs += [(k, norm_values(n[k], False), norm_values(t[k], True))
                      for k in TSHARK_LISTS]
        for k, a, b in pairs:
            if k in skip or k in known.get(i + 1, {}):
                continue
            if a != b:
                if isinstance(a, collections.Counter):
                    a, b = sorted(a.elements()), sorted(b.elements())
                diffs.append("%s %s: natprobe %r, tshark %r" % (what, k, a, b))
    return diffs


def run_generator(outdir):
    p = subprocess.run([sys.executable, str(GENERATOR), str(outdir)], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=300)
    assert p.returncode == 0, "generator failed:\n%s\n%s" % (p.stdout, p.stderr)
    return p


def corpus_files():
    if not CORPUS.is_dir():
        return []
    return sorted(p.name for p in CORPUS.iterdir()
                  if p.is_file() and p.suffix in (".pcap", ".pcapng", ".cap"))


def assert_contract(obj, where):
    """One dump-sip --json object against the contract."""
    missing = [k for k in CONTRACT_KEYS if k not in obj]
    assert not missing, "%s: keys %s missing in %s" % (where, missing, obj)
    assert isinstance(obj["segment"], str) and obj["segment"], where
    assert TS_RE.match(obj["ts"]), "%s: ts %r is not YYYY-MM-DDTHH:MM:SS.mmmZ" % (where, obj["ts"])
    fl = obj["flow"]
    assert isinstance(fl, dict) and set(fl) >= {"proto", "src", "dst"}, "%s: flow %r" % (where, fl)
    assert fl["proto"] in ("tcp", "udp"), "%s: flow.proto %r" % (where, fl["proto"])
    for k in ("src", "dst"):
        assert ENDPOINT_RE.match(fl[k]), "%s: flow.%s %r is not ADDR:PORT" % (where, k, fl[k])
    if obj["method"] is not None:           # a request
        assert isinstance(obj["method"], str) and obj["method"], where
        assert obj["status"] is None, "%s: a request with status %r" % (where, obj["status"])
        assert obj["reason"] is None, "%s: a request with reason %r" % (where, obj["reason"])
        assert isinstance(obj["request_uri"], str) and obj["request_uri"], where
    else:                                   # a response
        assert isinstance(obj["status"], int) and not isinstance(obj["status"], bool), \
            "%s: neither method nor status: %s" % (where, obj)
        assert 100 <= obj["status"] <= 699, "%s: status %r" % (where, obj["status"])
        assert obj["request_uri"] is None, "%s: a response with a request_uri" % where
        assert obj["reason"] is None or isinstance(obj["reason"], str), where
    for k in ("call_id", "cseq", "from_tag", "to_tag", "user_agent"):
        assert obj[k] is None or isinstance(obj[k], str), "%s: %s %r" % (where, k, obj[k])
    for k in STRING_LISTS:
        assert isinstance(obj[k], list) and all(isinstance(v, str) for v in obj[k]), \
            "%s: %s is not a list of strings: %r" % (where, k, obj[k])
        assert all(v == v.strip() and v for v in obj[k]), \
            "%s: %s has an empty or untrimmed value: %r" % (where, k, obj[k])
    assert isinstance(obj["sdp_m"], list), where
    for m in obj["sdp_m"]:
        assert isinstance(m, dict) and set(m) >= {"media", "port", "proto"}, \
            "%s: sdp_m entry %r" % (where, m)
    assert isinstance(obj["warning"], list), where
    for w in obj["warning"]:
        assert isinstance(w, dict) and set(w) >= {"code", "agent", "text"}, \
            "%s: warning entry %r" % (where, w)
    cl = obj["content_length"]
    assert cl is None or (isinstance(cl, int) and not isinstance(cl, bool) and cl >= 0), \
        "%s: content_length %r" % (where, cl)
    assert isinstance(obj["reassembled"], bool), "%s: reassembled %r" % (where, obj["reassembled"])


def pcap_records(path):
    """[(offset of the record header, captured length)] of a classic pcap."""
    import struct
    data = Path(path).read_bytes()
    end = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    recs, off = [], 24
    while off + 16 <= len(data):
        caplen = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        recs.append((off, caplen))
        off += 16 + caplen
    return recs


# --------------------------------------------------------------------------
# The generated captures
# --------------------------------------------------------------------------

def test_fixtures_regenerate_identically(tmp_path):
    """Steps: run tools/gen_parser_captures.py into an empty folder; compare
    every file with the committed tests/fixtures/parser/.
    Verifies: the generator is deterministic and the committed captures and
    expected.json are its current output; each capture is under 100 KiB and is
    listed in expected.json, with the message count this suite expects."""
    run_generator(tmp_path)
    made = sorted(p.name for p in tmp_path.iterdir())
    committed = sorted(p.name for p in PARSER.iterdir())
    assert made == committed, "generated %s, committed %s" % (made, committed)
    for name in made:
        assert (tmp_path / name).read_bytes() == (PARSER / name).read_bytes(), \
            "%s differs from the generator's output: re-run tools/gen_parser_captures.py %s" \
            % (name, PARSER)
    exp = load_expected()
    assert sorted(exp) == sorted(CAPTURES)
    for name in CAPTURES:
        assert (PARSER / name).stat().st_size < 100 * 1024, "%s is 100 KiB or more" % name


@pytest.mark.parametrize("capture", CAPTURES)
def test_matches_generator(natprobe_bin, capture):
    """Steps: natprobe dump-sip --json on the capture; order its messages by
    time (then output order); compare with expected.json, message by message.
    Verifies: the message count, and every field the generator wrote down
    (flow, ts, method, request URI, status, reason, Call-ID, CSeq, tags, Via,
    Route, Record-Route, Path, Service-Route, Contact in order, SDP c=/m=,
    Warning, Content-Length, User-Agent/Server, reassembled) equal exactly."""
    want = load_expected()[capture]["messages"]
    got, r = dump_sip(natprobe_bin, PARSER / capture)
    got = by_time(got)
    diffs = []
    if len(got) != len(want):
        diffs.append("%d messages, expected %d" % (len(got), len(want)))
    for i, (g, w) in enumerate(zip(got, want)):
        what = "message %d (frame %d, %s)" % (i + 1, w["frame"], w["method"] or w["status"])
        for k, v in w.items():
            if k == "frame":
                continue
            if g.get(k, "<absent>") != v:
                diffs.append("%s %s:\n      expected %s\n      got      %s"
                             % (what, k, json.dumps(v), json.dumps(g.get(k, "<absent>"))))
    if len(got) != len(want):
        diffs.append("natprobe printed: %s" % [(m["method"] or m["status"], m["call_id"])
                                               for m in got])
    assert not diffs, "natprobe dump-sip --json %s:\n  %s" % (PARSER / capture,
                                                             "\n  ".join(diffs))


@pytest.mark.parametrize("capture", CAPTURES)
def test_matches_tshark(natprobe_bin, capture):
    """Steps: tshark -T pdml (TCP/SIP reassembly on, 15060/udp and 5999/tcp
    decoded as SIP) and natprobe dump-sip --json on the capture; order both by
    time, then stream order; compare message by message.
    Verifies: equal message counts; per message equal time, flow,
    method/status, Call-ID and CSeq, and equal multisets of Via, Route,
    Record-Route, Path, Service-Route and Contact values (tshark's lines
    split at commas outside quotes and <>, white space collapsed)."""
    ts_msgs = tshark_messages(PARSER / capture)
    np_msgs, _ = dump_sip(natprobe_bin, PARSER / capture)
    diffs = compare_with_tshark(capture, np_msgs, ts_msgs)
    assert not diffs, "natprobe and tshark disagree on %s:\n  %s" % (PARSER / capture,
                                                                      "\n  ".join(diffs))


@pytest.mark.parametrize("capture", CAPTURES)
def test_generator_matches_tshark(capture):
    """Steps: tshark -T pdml on the capture; compare with expected.json as the
    natprobe comparison does.
    Verifies: the fixtures say what an independent parser reads in them, so a
    natprobe failure above is natprobe's, not the generator's."""
    want = load_expected()[capture]["messages"]
    diffs = compare_with_tshark(capture, want, tshark_messages(PARSER / capture))
    assert not diffs, "expected.json and tshark disagree on %s:\n  %s" % (capture,
                                                                           "\n  ".join(diffs))


def test_tshark_exemptions_still_hold():
    """Steps: for every field TSHARK_KNOWN exempts from the tshark comparison,
    read tshark's value and the generator's.
    Verifies: they still differ; an exemption that no longer applies (a newer
    tshark, a changed fixture) fails here, so it cannot hide a natprobe bug."""
    exp = load_expected()
    for capture, per_msg in TSHARK_KNOWN.items():
        want = by_time(exp[capture]["messages"])
        got = by_time(tshark_messages(PARSER / capture))
        assert len(want) == len(got), capture
        for i, fields in per_msg.items():
            for k in fields:
                a, b = want[i - 1][k], got[i - 1][k]
                if k == "cseq":
                    a, b = norm_ws(a or ""), norm_ws(b or "")
                assert a != b, ("%s message %d: tshark now agrees on %s (%r); drop the "
                                "exemption" % (capture, i, k, b))


def test_ssdp_is_not_sip(natprobe_bin):
    """Steps: dump-sip on nonstandard_port.pcap, which holds SSDP NOTIFY and
    M-SEARCH (`* HTTP/1.1`) on UDP 1900 besides SIP on 15060/udp and 5999/tcp.
    Verifies: no message is reported from or to port 1900, and SIP off the
    well-known port is found on both transports."""
    msgs, _ = dump_sip(natprobe_bin, PARSER / "nonstandard_port.pcap")
    ports = [(m["flow"]["src"], m["flow"]["dst"]) for m in msgs]
    assert not [p for p in ports if p[0].endswith(":1900") or p[1].endswith(":1900")], ports
    assert not [m for m in msgs if m["method"] in ("NOTIFY", "M-SEARCH")], msgs
    assert {m["flow"]["proto"] for m in msgs} == {"udp", "tcp"}, ports


def test_contract_shape(natprobe_bin):
    """Steps: dump-sip --json on every generated capture (and the corpus,
    when present).
    Verifies: each object has at least the keys of the contract, `status` and
    `reason` null for requests, `method` and `request_uri` null for responses,
    ts as YYYY-MM-DDTHH:MM:SS.mmmZ, flow endpoints ADDR:PORT ([v6]:port), lists
    of trimmed non-empty strings, typed sdp_m / warning entries."""
    files = [PARSER / c for c in CAPTURES] + [CORPUS / f for f in corpus_files()]
    n = 0
    for f in files:
        msgs, _ = dump_sip(natprobe_bin, f)
        for i, m in enumerate(msgs):
            assert_contract(m, "%s message %d" % (f.name, i + 1))
            n += 1
    assert n >= sum(len(v["messages"]) for v in load_expected().values())


def test_segment_names(natprobe_bin):
    """Steps: dump-sip --json FILE, then dmz=FILE, then two SEG=FILE inputs.
    Verifies: the segment is the file name up to its first dot by default, the
    given name with SEG=; with two inputs each message carries its own segment
    and both captures are read in full."""
    seed = PARSER / "seed_service.pcap"
    n = len(load_expected()["seed_service.pcap"]["messages"])
    msgs, _ = dump_sip(natprobe_bin, seed)
    assert {m["segment"] for m in msgs} == {"seed_service"}
    msgs, _ = dump_sip(natprobe_bin, "dmz=%s" % seed)
    assert [m["segment"] for m in msgs] == ["dmz"] * n
    msgs, _ = dump_sip(natprobe_bin, "inside=%s" % seed, "other=%s" % (PARSER / "vlan.pcap"))
    segs = collections.Counter(m["segment"] for m in msgs)
    assert segs == {"inside": n,
                    "other": len(load_expected()["vlan.pcap"]["messages"])}, segs


def test_pcapng_same_as_pcap(natprobe_bin, tmp_path):
    """Steps: convert tcp_multi.pcap and frag_invite.pcap to pcapng with
    editcap; dump-sip --json both forms.
    Verifies: pcapng input yields the same messages as the pcap."""
    editcap = require_program("editcap")
    for name in ("tcp_multi.pcap", "frag_invite.pcap"):
        ng = tmp_path / (Path(name).stem + ".pcapng")
        subprocess.run([editcap, "-F", "pcapng", str(PARSER / name), str(ng)], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        a, _ = dump_sip(natprobe_bin, "x=%s" % (PARSER / name))
        b, _ = dump_sip(natprobe_bin, "x=%s" % ng)
        assert a == b, "%s: pcapng and pcap differ" % name


# --------------------------------------------------------------------------
# The real-world corpus
# --------------------------------------------------------------------------

CORPUS_FILES = corpus_files()


@pytest.mark.parametrize("capture", CORPUS_FILES or ["<absent>"])
def test_corpus(natprobe_bin, capture):
    """Steps: natprobe dump-sip --json and tshark on each capture of
    ../shared/corpus/real-sip/ (skipped, saying so, when the folder is absent).
    Verifies: exit 0, only JSON objects on stdout, every object within the
    contract; for SIP captures the message count and, message by message,
    method/status, Call-ID and CSeq (and time, flow, address header values)
    equal tshark's; the SSDP capture yields no message (nor does any capture
    tshark finds no SIP in)."""
    if capture == "<absent>":
        pytest.skip("real-world corpus not found at %s (it lives beside the repository, "
                    "in ../shared/corpus/real-sip)" % CORPUS.resolve())
    path = CORPUS / capture
    np_msgs, r = dump_sip(natprobe_bin, path)
    assert "Segmentation" not in r.stderr and "Aborted" not in r.stderr, r.describe()
    for i, m in enumerate(np_msgs):
        assert_contract(m, "%s message %d" % (capture, i + 1))
    ts_msgs = tshark_messages(path)
    if "ssdp" in capture.lower():
        assert np_msgs == [], "SSDP capture %s: natprobe reported %s" % (capture, np_msgs)
        assert ts_msgs == [], "tshark found SIP in SSDP capture %s" % capture
        return
    # The corpus has no generator, so tshark is the only reference: count,
    # method/status, Call-ID and CSeq, and also time, flow and the address
    # header values (the same comparison as for the generated captures).
    diffs = compare_with_tshark(capture, np_msgs, ts_msgs)
    assert not diffs, "natprobe and tshark disagree on %s:\n  %s\n%s" % (
        path, "\n  ".join(diffs), r.describe())


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------

def test_not_a_capture(natprobe_bin, tmp_path):
    """Steps: dump-sip --json on a text file, and on an empty file.
    Verifies: exit 2, nothing on stdout, exactly one line on stderr naming the file."""
    for name, content in (("notes.pcap", b"INVITE sip:bob@example.com SIP/2.0\r\n\r\n"),
                          ("empty.pcap", b"")):
        f = tmp_path / name
        f.write_bytes(content)
        r = run_natprobe(natprobe_bin, ["dump-sip", "--json", f])
        assert r.rc == 2, r.describe()
        assert r.stdout == "", r.describe()
        assert len(r.stderr_lines()) == 1 and name in r.stderr, r.describe()


def test_truncated_capture(natprobe_bin, tmp_path):
    """Steps: cut seed_service.pcap in the middle of the record of the frame
    that completes the 408 and the 200 OK; dump-sip --json on it.
    Verifies: exit 0; the messages completed before the cut (OPTIONS, SERVICE)
    are printed, exactly as from the whole capture; one warning line on stderr."""
    src = PARSER / "seed_service.pcap"
    want = load_expected()["seed_service.pcap"]["messages"]
    cut_frame = next(m["frame"] for m in want if m["status"] == 408)
    off, caplen = pcap_records(src)[cut_frame - 1]
    data = src.read_bytes()
    cut = tmp_path / "seed_service.pcap"
    cut.write_bytes(data[:off + 16 + caplen // 2])
    got, r = dump_sip(natprobe_bin, cut)
    full, _ = dump_sip(natprobe_bin, src)
    before = [m for m in want if m["frame"] < cut_frame]
    assert [(m["method"], m["call_id"]) for m in got] == \
        [(m["method"], m["call_id"]) for m in before], r.describe()
    assert got == full[:len(before)], r.describe()
    assert len(r.stderr_lines()) == 1, "want one warning line:\n" + r.describe()
    assert "warn" in r.stderr.lower(), r.describe()


def test_missing_file(natprobe_bin, tmp_path):
    """Steps: dump-sip --json on a path that does not exist.
    Verifies: exit 2, nothing on stdout, one line on stderr naming the path."""
    f = tmp_path / "nonexistent.pcap"
    r = run_natprobe(natprobe_bin, ["dump-sip", "--json", f])
    assert r.rc == 2, r.describe()
    assert r.stdout == "", r.describe()
    assert len(r.stderr_lines()) == 1 and "nonexistent.pcap" in r.stderr, r.describe()


def test_no_argument(natprobe_bin):
    """Steps: dump-sip and dump-sip --json with no capture.
    Verifies: exit 2, nothing on stdout, one line on stderr."""
    for args in (["dump-sip"], ["dump-sip", "--json"]):
        r = run_natprobe(natprobe_bin, args)
        assert r.rc == 2, r.describe()
        assert r.stdout == "", r.describe()
        assert len(r.stderr_lines()) == 1, r.describe()
