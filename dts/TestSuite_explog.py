# SPDX-License-Identifier: BSD-3-Clause
"""Expressway diagnostic logs as offline inputs (analyze, dump-sip).

Traversal SIP between Expressway-C and Expressway-E is TLS on the wire; the
boxes' `network.sip` / `network.tcp` DEBUG logs hold it in clear text. The
fixtures (tests/fixtures/explog/, built by tools/gen_explog.py) are the seed's
log excerpts rebuilt into complete logs of both boxes, in both layouts (one
entry per line; hard-wrapped at 80 columns), plus the healthy twin.
"""

import filecmp
import json
import subprocess
import sys

import pytest

from conftest import FIXTURES, REPO_ROOT, SCENARIOS

LOGS = FIXTURES / "explog"
TLS = SCENARIOS / "seed_misroute_tls"
SEED_ADDRS = ["10.0.30.2:27901", "64.100.0.10:4401", "64.100.0.10:7003"]
NOT_INPUT = "not a pcap, pcapng or Expressway diagnostic log"


def records(result):
    """--json output: every stdout line must be one JSON object."""
    return [json.loads(line) for line in result.stdout.splitlines()]


def of_type(recs, t):
    return [r for r in recs if r["type"] == t]


def anomaly_types(recs):
    return {r["type"] for r in recs if r["kind"] in ("anomaly", "incident")}


def check_seed_diagnosis(recs, learned=True):
    """The full diagnosis of the seed failure, from whatever inputs.

    learned: the translation was learned from both sides (a binding); with a
    static NAT and one side's view only, Expressway-C's real address is
    unknown to the incident."""
    ids = {r["id"] for r in recs}
    inc = of_type(recs, "nat_reflection_misroute")
    assert len(inc) == 1, recs
    inc = inc[0]
    assert inc["kind"] == "incident"
    text = json.dumps(inc)
    for a in SEED_ADDRS if learned else SEED_ADDRS[1:]:
        assert a in text, "incident does not name %s: %s" % (a, text)
    assert set(inc["evidence"]) <= ids
    for t in ("hairpin_snat", "translated_route", "phantom_connect", "sip_timeout"):
        assert of_type(recs, t), "no %s in %s" % (t, sorted(anomaly_types(recs)))
    route = of_type(recs, "translated_route")[0]
    assert route["endpoint"] == "64.100.0.10:4401"
    assert route["sip"]["header"] == "Route"
    assert route["sip"]["method"] == "SERVICE"
    phantom = of_type(recs, "phantom_connect")[0]
    assert phantom["flow"]["src"] == "10.0.30.2:27921"
    assert phantom["flow"]["dst"] == "64.100.0.10:4401"
    assert phantom["severity"] == "critical"
    timeout = of_type(recs, "sip_timeout")[0]
    assert timeout["timeout"] == "fast"
    assert timeout["sip"]["cseq"] == "4616 SERVICE"
    assert not of_type(recs, "alg_rewrite"), "the same message in two logs is no ALG"


@pytest.mark.parametrize("c_log,e_log", [
    ("expc.log", "expe.log"),
    ("expc-wrapped.log", "expe-wrapped.log"),
    ("expc-wrapped.log", "expe.log"),
], ids=["one-line", "wrapped", "mixed-layouts"])
def test_both_logs_full_diagnosis(probe, c_log, e_log):
    """Steps: analyze --json inside=<Expressway-C log> dmz=<Expressway-E log>.
    Verifies: exit 0, JSON lines only; the binding is learned from the logs
    (inside 10.0.30.2:27901 -> 64.100.0.10:7003 is dmz 64.100.0.10:4401 ->
    10.0.10.2:7003); nat_reflection_misroute names 10.0.30.2:27901,
    64.100.0.10:4401 and 64.100.0.10:7003, with hairpin_snat,
    translated_route, phantom_connect and a fast sip_timeout."""
    r = probe.run("analyze", "--json", "inside=%s" % (LOGS / c_log), "dmz=%s" % (LOGS / e_log))
    assert r.rc == 0, r.describe()
    recs = records(r)
    check_seed_diagnosis(recs)
    b = of_type(recs, "nat_binding")
    assert len(b) == 1, recs
    assert b[0]["segments"]["inside"] == {"src": "10.0.30.2:27901", "dst": "64.100.0.10:7003"}
    assert b[0]["segments"]["dmz"] == {"src": "64.100.0.10:4401", "dst": "10.0.10.2:7003"}
    assert sorted(b[0]["changed"]) == ["dst", "src"]


def test_input_order_does_not_matter(probe):
    """Steps: analyze --json with the Expressway-E log named first.
    Verifies: the same anomaly types as with the Expressway-C log first."""
    a = probe.run("analyze", "--json", "inside=%s" % (LOGS / "expc.log"),
                  "dmz=%s" % (LOGS / "expe.log"))
    b = probe.run("analyze", "--json", "dmz=%s" % (LOGS / "expe.log"),
                  "inside=%s" % (LOGS / "expc.log"))
    assert a.rc == 0 and b.rc == 0, a.describe() + b.describe()
    assert anomaly_types(records(a)) == anomaly_types(records(b))


def test_healthy_pair_no_anomaly(probe):
    """Steps: analyze --json the healthy twin (no source NAT; C answers 200 OK).
    Verifies: exit 0; no anomaly and no incident; one binding, destination
    translated only (64.100.0.10:7003 -> 10.0.10.2:7003)."""
    r = probe.run("analyze", "--json", "inside=%s" % (LOGS / "healthy-expc.log"),
                  "dmz=%s" % (LOGS / "healthy-expe.log"))
    assert r.rc == 0, r.describe()
    recs = records(r)
    assert not anomaly_types(recs), recs
    b = of_type(recs, "nat_binding")
    assert len(b) == 1 and b[0]["changed"] == ["dst"], recs


def test_human_report(probe):
    """Steps: analyze (human report) both logs.
    Verifies: exit 0; one incident; both log inputs listed under Read."""
    r = probe.run("analyze", "inside=%s" % (LOGS / "expc.log"), "dmz=%s" % (LOGS / "expe.log"))
    assert r.rc == 0, r.describe()
    assert "== Incidents: 1" in r.stdout
    assert "nat_reflection_misroute" in r.stdout
    assert "expc.log" in r.stdout and "expe.log" in r.stdout
    assert r.stderr_lines() == [], r.describe()


def test_dump_sip_json(probe):
    """Steps: dump-sip --json expc.log.
    Verifies: one object per logged SIP message (the INFO summaries of dumped
    messages are not repeated), with the tuple as Expressway-C saw it, the
    method or status, Call-ID, CSeq, Route and Warning."""
    r = probe.run("dump-sip", "--json", LOGS / "expc.log")
    assert r.rc == 0, r.describe()
    msgs = records(r)
    assert [(m["method"], m["status"]) for m in msgs] == [
        ("OPTIONS", None), ("SERVICE", None), (None, 408), (None, 200)]
    for m in msgs:
        assert m["segment"] == "expc"
        assert m["flow"]["proto"] == "tcp"
    svc = msgs[1]
    assert svc["ts"] == "2016-04-19T07:09:13.973Z"
    assert svc["flow"] == {"proto": "tcp", "src": "64.100.0.10:7003", "dst": "10.0.30.2:27901"}
    assert svc["request_uri"] == "sip:serviceserver@cucm02.example.local"
    assert svc["call_id"] == "abcd12345678@127.0.0.1"
    assert svc["cseq"] == "4616 SERVICE"
    assert svc["route"] == ["<sip:64.100.0.10:4401;transport=tls;apparent;ds;lr>",
                            "<sip:127.0.0.1:22210;transport=tcp;vcs-cate;lr>"]
    assert svc["via"][0].startswith("SIP/2.0/TLS 64.100.0.10:7003;")
    assert svc["via"][1].startswith("SIP/2.0/TCP 127.0.0.1:5060;")
    assert svc["contact"] == ["<sip:serviceproxy@cucm02.example.local>"]
    resp = msgs[2]
    assert resp["ts"] == "2016-04-19T07:09:13.982Z"
    assert resp["flow"] == {"proto": "tcp", "src": "10.0.30.2:27901", "dst": "64.100.0.10:7003"}
    assert resp["reason"] == "Request Timeout"
    assert resp["cseq"] == "4616 SERVICE"
    assert resp["call_id"] == "abcd12345678@127.0.0.1"
    assert resp["warning"][0]["code"] == 399


def test_dump_sip_layouts_agree(probe):
    """Steps: dump-sip --json the one-line and the wrapped log of each box.
    Verifies: the same messages, field for field."""
    for box in ("expc", "expe"):
        a = probe.run("dump-sip", "--json", "x=%s" % (LOGS / ("%s.log" % box)))
        b = probe.run("dump-sip", "--json", "x=%s" % (LOGS / ("%s-wrapped.log" % box)))
        assert a.rc == 0 and b.rc == 0, a.describe() + b.describe()
        assert records(a) == records(b)
        assert len(records(a)) == 4


@pytest.mark.parametrize("cmd", ["analyze", "dump-sip"])
@pytest.mark.parametrize("content", [b"hello, this is not a log\n", bytes(range(256)) * 4, b""],
                         ids=["text", "binary", "empty"])
def test_not_an_input_exit_2(probe, tmp_path, cmd, content):
    """Steps: give a file that is neither a capture nor a log.
    Verifies: exit 2, nothing on stdout, one stderr line naming the file and
    saying it is not a pcap, pcapng or Expressway diagnostic log."""
    f = tmp_path / "junk.log"
    f.write_bytes(content)
    r = probe.run(cmd, "inside=%s" % f)
    assert r.rc == 2, r.describe()
    assert r.stdout == ""
    lines = r.stderr_lines()
    assert len(lines) == 1, r.describe()
    assert str(f) in lines[0] and NOT_INPUT in lines[0]


def test_garbled_lines_counted(probe):
    """Steps: analyze --json and the human report with a log holding 5
    garbled lines (text, binary, a cut entry, a bad address, a SIP line
    without its peer); dump-sip on the same log.
    Verifies: exit 0 each time, the same full diagnosis, and the 5 lines
    reported (stderr note for --json and dump-sip; the human report too)."""
    args = ["inside=%s" % (LOGS / "expc-garbled.log"), "dmz=%s" % (LOGS / "expe.log")]
    r = probe.run("analyze", "--json", *args)
    assert r.rc == 0, r.describe()
    check_seed_diagnosis(records(r))
    assert any("expc-garbled.log: 5 lines not understood" in ln for ln in r.stderr_lines()), \
        r.describe()
    h = probe.run("analyze", *args)
    assert h.rc == 0, h.describe()
    assert "5 lines not understood" in h.stdout + h.stderr, h.describe()
    d = probe.run("dump-sip", LOGS / "expc-garbled.log")
    assert d.rc == 0, d.describe()
    assert len(d.stdout.splitlines()) == 4
    assert any("5 lines not understood" in ln for ln in d.stderr_lines()), d.describe()


def test_c_log_with_e_side_tls_capture(probe):
    """Steps: analyze --json inside=expc.log dmz=<the seed's TLS capture of
    the DMZ>, without and with --static-nat 10.0.10.2=64.100.0.10.
    Verifies: log and capture cannot join (TLS records are not SIP text):
    without static NAT, phantom_connect (named by the logged Route) and the
    fast sip_timeout only; with it, the capture's flow from 64.100.0.10:4401
    is a hairpin, and the whole incident follows."""
    args = ["inside=%s" % (LOGS / "expc.log"), "dmz=%s" % (TLS / "dmz.pcap")]
    r = probe.run("analyze", "--json", *args)
    assert r.rc == 0, r.describe()
    recs = records(r)
    assert anomaly_types(recs) == {"phantom_connect", "sip_timeout"}, recs
    assert not of_type(recs, "nat_binding")
    s = probe.run("analyze", "--json", "--static-nat", "10.0.10.2=64.100.0.10", *args)
    assert s.rc == 0, s.describe()
    check_seed_diagnosis(records(s), learned=False)


def test_e_log_with_c_side_tls_capture(probe):
    """Steps: analyze --json inside=<the seed's TLS capture inside> dmz=expe.log
    --static-nat 10.0.10.2=64.100.0.10.
    Verifies: the capture's refused SYN and the logged SERVICE's Route and 408
    give the whole incident."""
    r = probe.run("analyze", "--json", "--static-nat", "10.0.10.2=64.100.0.10",
                  "inside=%s" % (TLS / "inside.pcap"), "dmz=%s" % (LOGS / "expe.log"))
    assert r.rc == 0, r.describe()
    check_seed_diagnosis(records(r), learned=False)


def test_single_logs(probe):
    """Steps: analyze --json expc.log alone; expe.log alone with --static-nat.
    Verifies: C's log alone shows the refused connect to the address the
    Route named (warning) and the fast 408; E's log with the static NAT
    shows the hairpin and the translated Route: an incident."""
    c = probe.run("analyze", "--json", "inside=%s" % (LOGS / "expc.log"))
    assert c.rc == 0, c.describe()
    recs = records(c)
    assert anomaly_types(recs) == {"phantom_connect", "sip_timeout"}, recs
    assert of_type(recs, "phantom_connect")[0]["severity"] == "warning"
    e = probe.run("analyze", "--json", "--static-nat", "10.0.10.2=64.100.0.10",
                  "dmz=%s" % (LOGS / "expe.log"))
    assert e.rc == 0, e.describe()
    got = anomaly_types(records(e))
    assert {"hairpin_snat", "translated_route", "sip_timeout",
            "nat_reflection_misroute"} <= got, got


def test_fixtures_are_generated(tmp_path):
    """Steps: run tools/gen_explog.py into a temporary folder.
    Verifies: the output is byte-identical to tests/fixtures/explog/ (the
    fixtures are data from the generator, not hand edits)."""
    out = tmp_path / "explog"
    p = subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "gen_explog.py"), str(out)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    names = sorted(x.name for x in out.iterdir())
    assert names == sorted(x.name for x in LOGS.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(out, LOGS, names, shallow=False)
    assert not mismatch and not errors, (mismatch, errors)
