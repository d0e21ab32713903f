# SPDX-License-Identifier: BSD-3-Clause
"""natprobe analyze and the live records path on the scenario fixtures.

Every folder under tests/fixtures/scenarios/ is a scenario: captures in,
the anomaly types a correct analysis must and must not report out
(scenario.yaml: expect / forbid). A new scenario is data, not code.
"""

import json
import shutil

import pytest

from conftest import SCENARIOS, config_text, load_yaml, pcap_device

HEP_FIXTURES = SCENARIOS.parent / "hep"

ALL_TYPES = ["hairpin_snat", "translated_route", "phantom_connect", "sip_timeout",
             "private_via_contact", "sdp_address_mismatch", "alg_rewrite",
             "nat_reflection_misroute"]

SCENARIO_DIRS = sorted(p for p in SCENARIOS.iterdir() if (p / "scenario.yaml").is_file())


def inputs(d):
    meta = load_yaml(d / "scenario.yaml")
    return ["%s=%s" % (seg, d / f) for seg, f in meta["captures"].items()], meta


def records(result):
    """Parse --json output: every stdout line must be one JSON object."""
    out = []
    for line in result.stdout.splitlines():
        out.append(json.loads(line))
    return out


def types_of(recs):
    return {r["type"] for r in recs if r["kind"] in ("anomaly", "incident")}


@pytest.mark.parametrize("scenario", SCENARIO_DIRS, ids=lambda p: p.name)
def test_scenario_expectations(probe, scenario):
    """Steps: analyze --json both captures of the scenario.
    Verifies: exit 0, JSON lines only on stdout, every expected type present,
    every forbidden type absent."""
    args, meta = inputs(scenario)
    r = probe.run("analyze", "--json", *args)
    assert r.rc == 0, r.describe()
    recs = records(r)
    got = types_of(recs)
    for t in meta.get("expect") or []:
        assert t in got, "%s: expected %s, got %s" % (scenario.name, t, sorted(got))
    for t in meta.get("forbid") or []:
        assert t not in got, "%s: forbidden %s raised: %s" % (scenario.name, t, recs)


@pytest.mark.parametrize("scenario", SCENARIO_DIRS, ids=lambda p: p.name)
def test_scenario_with_static_nat(probe, scenario):
    """Steps: analyze --json with the scenario's static NAT given (--static-nat).
    Verifies: the same expectations hold when the operator states the NAT."""
    args, meta = inputs(scenario)
    extra = []
    for e in meta.get("static_nat") or []:
        extra += ["--static-nat", "%s=%s" % (e["private"], e["public"])]
    r = probe.run("analyze", "--json", *extra, *args)
    assert r.rc == 0, r.describe()
    got = types_of(records(r))
    for t in meta.get("expect") or []:
        assert t in got, "%s: expected %s, got %s" % (scenario.name, t, sorted(got))
    for t in meta.get("forbid") or []:
        assert t not in got


@pytest.mark.parametrize("scenario", SCENARIO_DIRS, ids=lambda p: p.name)
def test_scenario_segment_order(probe, scenario):
    """Steps: analyze --json the scenario's captures in the order its
    scenario.yaml lists them, then in the reverse order.
    Verifies: the same number of records of each type and the same bindings
    (pre-NAT side and translated side) both ways: which side of a binding is
    the client's comes from the addresses and the wires, never from which
    capture was named first (it once made healthy_sip_10k report 2,663
    translated_route findings on correct STUN clients)."""
    args, meta = inputs(scenario)
    if len(args) < 2:
        pytest.skip("one capture")
    runs = []
    for order in (args, list(reversed(args))):
        r = probe.run("analyze", "--json", *order)
        assert r.rc == 0, r.describe()
        recs = records(r)
        kinds = {}
        for rec in recs:
            kinds[rec["type"]] = kinds.get(rec["type"], 0) + 1
        runs.append((kinds, types_of(recs)))
    assert runs[0][0] == runs[1][0], "%s: %s in one order, %s in the other" % (
        scenario.name, runs[0][0], runs[1][0])
    for t in meta.get("forbid") or []:
        assert t not in runs[1][1], "%s: forbidden %s in reverse order" % (scenario.name, t)


def test_seed_incident_names_the_seed(probe):
    """Steps: analyze --json the cleartext seed scenario.
    Verifies: the incident cites existing records as evidence, names the seed's
    addresses (10.0.30.2:27901, 64.100.0.10:4401, 64.100.0.10:7003) and gives
    both fixes; the translated_route record has the contract's fields."""
    args, _ = inputs(SCENARIOS / "seed_misroute")
    recs = records(probe.run("analyze", "--json", *args))
    ids = {r["id"] for r in recs}
    inc = [r for r in recs if r["kind"] == "incident"]
    assert len(inc) == 1
    inc = inc[0]
    assert inc["type"] == "nat_reflection_misroute" and inc["severity"] == "critical"
    assert set(inc["evidence"]) <= ids and len(inc["evidence"]) >= 4
    for addr in ("10.0.30.2:27901", "64.100.0.10:4401", "64.100.0.10:7003"):
        assert addr in inc["diagnosis"], inc["diagnosis"]
    assert len(inc["fixes"]) == 2
    assert "source translation" in inc["fixes"][0]
    assert "dual-NIC" in inc["fixes"][1]
    tr = [r for r in recs if r["type"] == "translated_route"][0]
    assert tr["endpoint"] == "64.100.0.10:4401"
    assert tr["sip"]["header"] == "Route"
    assert tr["sip"]["value"] == "<sip:64.100.0.10:4401;transport=tls;apparent;ds;lr>"
    assert tr["sip"]["call_id"] == "abcd12345678@127.0.0.1"
    assert tr["sip"]["cseq"] == "4616 SERVICE"
    assert tr["binding"] == {"inside": "10.0.30.2:27901", "dmz": "64.100.0.10:4401"}
    b = [r for r in recs if r["kind"] == "binding"][0]
    assert b["segments"]["inside"] == {"src": "10.0.30.2:27901", "dst": "64.100.0.10:7003"}
    assert b["segments"]["dmz"] == {"src": "64.100.0.10:4401", "dst": "10.0.10.2:7003"}
    assert sorted(b["changed"]) == ["dst", "src"]
    st = [r for r in recs if r["type"] == "sip_timeout"][0]
    assert st["timeout"] == "fast"


def test_seq_randomised_offset_reported(probe):
    """Steps: analyze the scenario whose firewall shifts TCP sequence numbers.
    Verifies: the binding is still learned (payload fingerprints) and the
    incident raised."""
    args, meta = inputs(SCENARIOS / "seq_randomised")
    recs = records(probe.run("analyze", "--json", *args))
    assert [r for r in recs if r["kind"] == "binding"]
    assert "nat_reflection_misroute" in types_of(recs)


def test_same_input_same_output(probe):
    """Steps: run analyze twice on the same input, JSON and report.
    Verifies: byte-identical output each time."""
    args, _ = inputs(SCENARIOS / "seed_misroute")
    a = probe.run("analyze", "--json", *args)
    b = probe.run("analyze", "--json", *args)
    assert a.stdout == b.stdout and a.stdout
    c = probe.run("analyze", *args)
    d = probe.run("analyze", *args)
    assert c.stdout == d.stdout


def test_human_report_incident_first(probe):
    """Steps: analyze (no --json) the seed.
    Verifies: the report shows incidents, then anomalies, then the summary of
    what was read, and the incident's evidence ladder and fixes."""
    args, _ = inputs(SCENARIOS / "seed_misroute")
    r = probe.run("analyze", *args)
    assert r.rc == 0, r.describe()
    out = r.stdout
    i, a, s = out.index("== Incidents: 1"), out.index("== Anomalies:"), out.index("== Read")
    assert i < a < s
    assert "Evidence:" in out and "Fix:" in out
    assert "inside.pcap: 12 frames" in out and "dmz.pcap: 10 frames" in out


def test_one_segment_still_finds_anomalies(probe):
    """Steps: analyze only the inside capture of the seed, then only the dmz
    one with the static NAT given.
    Verifies: with less evidence the right anomalies are still raised: inside
    alone sees the SIP timeout; dmz alone with static NAT sees the hairpin
    source NAT and the translated Route, and names the incident."""
    d = SCENARIOS / "seed_misroute"
    r = probe.run("analyze", "--json", "inside=%s" % (d / "inside.pcap"))
    assert r.rc == 0, r.describe()
    got = types_of(records(r))
    assert "sip_timeout" in got
    assert "hairpin_snat" not in got
    r = probe.run("analyze", "--json", "--static-nat", "10.0.10.2=64.100.0.10",
                  "dmz=%s" % (d / "dmz.pcap"))
    got = types_of(records(r))
    assert {"hairpin_snat", "translated_route", "nat_reflection_misroute"} <= got


@pytest.mark.parametrize("argv,fragment", [
    (["analyze"], "no input"),
    (["analyze", "--json"], "no input"),
    (["analyze", "--static-nat", "10.0.0.1", "x=y"], "--static-nat"),
    (["analyze", "--static-nat", "10.0.0.1=2001:db8::1", "x=y"], "--static-nat"),
    (["analyze", "--bogus", "x=y"], "unknown"),
    (["analyze", "inside=/nonexistent.pcap"], "cannot read"),
    (["analyze", "inside="], "no file"),
    (["analyze", "in side=/etc/hostname"], "segment name"),
    (["analyze", "inside=/etc/hostname"], "not a pcap"),
    (["analyze", "-c", "/nonexistent.yaml", "x=y"], "cannot read"),
])
def test_bad_input_exits_2(probe, argv, fragment):
    """Steps: analyze with a bad command line or input.
    Verifies: exit 2, one line on stderr naming the problem, nothing on stdout."""
    r = probe.run(*argv)
    assert r.rc == 2, r.describe()
    assert len(r.stderr_lines()) == 1, r.describe()
    assert fragment in r.stderr, r.describe()
    assert r.stdout == ""


def test_truncated_capture_still_analysed(probe, tmp_path):
    """Steps: cut the inside capture in the middle of a record; analyze it.
    Verifies: exit 0, the frames before the cut are analysed, one warning line."""
    src = SCENARIOS / "seed_misroute" / "inside.pcap"
    data = src.read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[: len(data) * 2 // 3])
    r = probe.run("analyze", "inside=%s" % cut)
    assert r.rc == 0, r.describe()
    assert "damaged" in r.stderr and len(r.stderr_lines()) == 1
    assert "frames" in r.stdout


def test_live_run_writes_incident_to_records_file(probe, tmp_path):
    """Steps: natprobe run on net_pcap vdevs replaying both seed captures through
    two inline segments, with export.records_file set.
    Verifies: the records file holds, one JSON object per line, the binding,
    the anomalies and the nat_reflection_misroute incident; the counters show
    the incident; the file is mode 0640."""
    d = SCENARIOS / "seed_misroute"
    rec = tmp_path / "records.jsonl"
    ports = [("c_side", pcap_device(0, rx=d / "inside.pcap", tx=tmp_path / "o0.pcap")),
             ("fw_in", pcap_device(1, tx=tmp_path / "o1.pcap")),
             ("fw_dmz", pcap_device(2, rx=d / "dmz.pcap", tx=tmp_path / "o2.pcap")),
             ("e_side", pcap_device(3, tx=tmp_path / "o3.pcap"))]
    segs = [("inside", "inline", ["c_side", "fw_in"]), ("dmz", "inline", ["fw_dmz", "e_side"])]
    text = config_text(ports, segs).replace(
        'export:\n  metrics_listen: ""', 'export:\n  metrics_listen: ""\n  records_file: %s' % rec)
    r = probe.run_config(text)
    assert r.rc == 0, r.describe()
    lines = rec.read_text().splitlines()
    recs = [json.loads(x) for x in lines]
    kinds = [x["kind"] for x in recs]
    assert "binding" in kinds and "incident" in kinds
    assert {"hairpin_snat", "translated_route", "phantom_connect", "sip_timeout",
            "nat_reflection_misroute"} <= types_of(recs)
    assert (rec.stat().st_mode & 0o777) == 0o640
    assert r.counters.value("natprobe_incidents_total", type="nat_reflection_misroute") == 1
    assert r.counters.value("natprobe_anomalies_total", type="translated_route") == 1


def test_live_run_healthy_raises_nothing(probe, tmp_path):
    """Steps: natprobe run replaying the healthy (destination NAT only) scenario.
    Verifies: the records file holds only the binding; no anomaly counter moved."""
    d = SCENARIOS / "healthy_dnat_only"
    rec = tmp_path / "records.jsonl"
    ports = [("c_side", pcap_device(0, rx=d / "inside.pcap")),
             ("fw_dmz", pcap_device(1, rx=d / "dmz.pcap"))]
    segs = [("inside", "passive", ["c_side"]), ("dmz", "passive", ["fw_dmz"])]
    text = config_text(ports, segs).replace(
        'export:\n  metrics_listen: ""', 'export:\n  metrics_listen: ""\n  records_file: %s' % rec)
    r = probe.run_config(text)
    assert r.rc == 0, r.describe()
    recs = [json.loads(x) for x in rec.read_text().splitlines()]
    assert [x["kind"] for x in recs] == ["binding"]
    for t in ALL_TYPES[:-1]:
        assert r.counters.value("natprobe_anomalies_total", type=t) == 0


def test_hep_over_tcp_fixture(probe):
    """Steps: analyze tests/fixtures/hep/kamailio-siptrace-tcp.pcap (Kamailio's
    siptrace sending HEPv3 over TCP on both sides of the seed's NAT; no packet
    of the SIP itself). Verifies: the two TCP connections are followed with
    nothing lost, and the seed is named from them: the binding, hairpin_snat,
    translated_route, sip_timeout and the incident on 198.51.100.10:4401."""
    r = probe.run("analyze", "--json", str(HEP_FIXTURES / "kamailio-siptrace-tcp.pcap"))
    assert r.rc == 0, r.describe()
    recs = records(r)
    assert types_of(recs) == {"hairpin_snat", "translated_route", "sip_timeout",
                              "nat_reflection_misroute"}, r.stdout
    inc = [x for x in recs if x["kind"] == "incident"]
    assert len(inc) == 1 and inc[0]["endpoint"] == "198.51.100.10:4401", r.stdout
    assert len([x for x in recs if x["kind"] == "binding"]) == 1, r.stdout
    r = probe.run("analyze", str(HEP_FIXTURES / "kamailio-siptrace-tcp.pcap"))
    line = [x for x in r.stdout.splitlines() if x.startswith("  hep tcp ")]
    assert line and line[0].split()[2] == "2" and "gaps" not in line[0], r.stdout


def test_probe_to_probe_fixture(probe):
    """Steps: analyze tests/fixtures/hep/natprobe-p2p-tcp.pcap (two natprobes
    forwarding SIP and flow events in natprobe's vendor chunk to a third over
    HEPv3/TCP) with the correlator's config. Verifies: every flow event is
    used (flow N, no bad_flow), phantom_connect comes from the forwarded RST,
    the incident is named, and its binding is written once."""
    r = probe.run("analyze", "-c", str(HEP_FIXTURES / "correlator.yaml"), "--json",
                  str(HEP_FIXTURES / "natprobe-p2p-tcp.pcap"))
    assert r.rc == 0, r.describe()
    recs = records(r)
    assert {"hairpin_snat", "translated_route", "phantom_connect", "sip_timeout",
            "nat_reflection_misroute"} == types_of(recs), r.stdout
    phantom = [x for x in recs if x.get("type") == "phantom_connect"][0]
    assert phantom["segment"] == "inside" and phantom["outcome"] == "rst", phantom
    binds = [x for x in recs if x["kind"] == "binding"]
    assert len(binds) == 1 and binds[0]["seq_offset"] is not None, binds
    r = probe.run("analyze", "-c", str(HEP_FIXTURES / "correlator.yaml"),
                  str(HEP_FIXTURES / "natprobe-p2p-tcp.pcap"))
    hep = [x for x in r.stdout.splitlines() if x.startswith("  hep  ")]
    assert hep and " flow 10" in hep[0] and "bad_flow" not in hep[0], r.stdout
