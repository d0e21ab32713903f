# SPDX-License-Identifier: BSD-3-Clause
"""Probe to probe: two natprobes on two wires, correlated at a third over HEP.

The seed on a real firewall as dts/sipnet.py builds it (two Kamailio
instances, Expressway-C and Expressway-E, around a real nftables NAT; cleartext
SIP over TCP), without siptrace: the HEP comes from natprobe itself. On the
firewall run three natprobes:
- "inside": passive on the firewall's inside veth (net_af_packet), exporting
  the SIP it sees, and its flow events (connection-start fingerprints, TCP
  outcomes) in natprobe's HEP vendor chunk, as HEPv3 over TCP to the
  correlator (export.hep_collector, hep_flow_events, capture id 201, node
  name fw-inside);
- "dmz": the same on the DMZ veth (capture id 202, node name fw-dmz);
- "central": no wire at all (an empty net_null port), `hep.listen` on
  loopback, its hep.agents mapping the two exporters to segments `inside`
  (by id) and `dmz` (by node name).
- "both": passive on both veths, the one-box deployment, for comparison.
The central one must name what the probe on both wires names. Skipped only
where network namespaces cannot be made.
"""

import json
import subprocess
import time

import pytest

import sipnet
from conftest import Background, config_text, natprobe_path, unique_prefix
from sipnet import C_ADDR, E_ADDR, E_PUB, SNAT_PORT, Lab, Traversal

HEP_PORT = 9061            # loopback of the firewall namespace: private to the run


def with_export(text, lines):
    return text.replace('export:\n  metrics_listen: ""',
                        'export:\n  metrics_listen: ""\n' + "".join("  %s\n" % x for x in lines))


def exporter_config(tmp, name, iface, agent, node):
    """A probe passive on one veth, sending its SIP to the central probe over HEP/TCP."""
    d = tmp / name
    d.mkdir()
    rec = d / "records.jsonl"
    text = config_text([("wire", "net_af_packet0,iface=%s" % iface)],
                       [(name, "passive", ["wire"])], file_prefix=unique_prefix())
    text = with_export(text, ["records_file: %s" % rec,
                              'hep_collector: "127.0.0.1:%d"' % HEP_PORT,
                              "hep_transport: tcp", "hep_flow_events: true",
                              "hep_capture_id: %d" % agent,
                              "hep_node_name: %s" % node])
    cfg = d / "natprobe.yaml"
    cfg.write_text(text)
    return d, cfg, rec


def reference_config(tmp, t):
    """One probe on both wires, as natprobe is meant to run: what the central one must match."""
    d = tmp / "both"
    d.mkdir()
    rec = d / "records.jsonl"
    text = config_text([("fw_inside", "net_af_packet0,iface=%s" % t.fw_in),
                        ("fw_dmz", "net_af_packet1,iface=%s" % t.fw_dmz)],
                       [("inside", "passive", ["fw_inside"]), ("dmz", "passive", ["fw_dmz"])],
                       file_prefix=unique_prefix())
    text = with_export(text, ["records_file: %s" % rec])
    cfg = d / "natprobe.yaml"
    cfg.write_text(text)
    return d, cfg, rec


def central_config(tmp):
    """No wire: the two exporters' HEP, each agent mapped to a segment of its own."""
    d = tmp / "central"
    d.mkdir()
    rec = d / "records.jsonl"
    text = config_text([("idle", "net_null0,no-rx=1")], [("none", "passive", ["idle"])],
                       file_prefix=unique_prefix())
    text = text.replace("datapath:", "  - name: inside\n    mode: tunnel\n"
                        "  - name: dmz\n    mode: tunnel\ndatapath:", 1)
    text = with_export(text, ["records_file: %s" % rec])
    text += ("hep:\n  listen: 127.0.0.1:%d\n  agents:\n"
             "    - match: id=201\n      segment: inside\n"
             "    - match: name=fw-dmz\n      segment: dmz\n" % HEP_PORT)
    cfg = d / "natprobe.yaml"
    cfg.write_text(text)
    return d, cfg, rec


def analyze_capture(tmp, pcap):
    """`natprobe analyze` of the tcpdump of the correlator's port, with the
    correlator's agent map (hep.port: its port): JSON records and the report."""
    cfg = tmp / "analyze.yaml"
    cfg.write_text((tmp / "central" / "natprobe.yaml").read_text().replace(
        "listen: 127.0.0.1:%d" % HEP_PORT, "port: %d" % HEP_PORT))
    out = {}
    for mode, args in (("recs", ["--json"]), ("report", [])):
        r = subprocess.run([natprobe_path(), "analyze", "-c", str(cfg)] + args + [str(pcap)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=60)
        assert r.returncode == 0, "analyze %s: rc=%d\n%s" % (pcap, r.returncode, r.stderr)
        out[mode] = [json.loads(x) for x in r.stdout.splitlines() if x.strip()] \
            if mode == "recs" else r.stdout
    return out


def records(path):
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()] \
        if path.exists() else []


def probe_to_probe(tmp_path_factory, name, snat, tls=False):
    why = sipnet.can_netns()
    if why:
        pytest.skip(why)
    sipnet.need()
    tmp = tmp_path_factory.mktemp(name)
    lab = Lab(tmp / "lab", "p")
    probes = {}
    try:
        t = Traversal(lab, snat=snat, tls=tls)
        fw = ["ip", "netns", "exec", t.fw]
        # what reaches the correlator, for `analyze` (the exporters' refused connects included)
        hep_pcap = lab.capture(t.fw, "lo", "hep", bpf=["tcp", "port", str(HEP_PORT)])
        configs = {}

        started = [0.0]

        def start(role, d, cfg, rec):
            configs[role] = (d, cfg, rec)
            probes[role] = (Background(natprobe_path(), cfg, d, 120, prefix=fw), rec)
            started[0] = time.monotonic()

        # the exporters first: refused until the correlator listens, they must reconnect
        for seg, iface, agent, node in (("inside", t.fw_in, 201, "fw-inside"),
                                        ("dmz", t.fw_dmz, 202, "fw-dmz")):
            start(seg, *exporter_config(tmp, seg, iface, agent, node))
        time.sleep(2.5)
        start("central", *central_config(tmp))
        assert lab.wait_listen(t.fw, "tcp", "127.0.0.1", HEP_PORT), \
            probes["central"][0].describe()
        start("both", *reference_config(tmp, t))
        restarts = 0
        deadline = time.monotonic() + 20     # both exporters (re)connected to the central one
        while time.monotonic() < deadline:
            out = lab.sh("ss", "-Htn", "state", "established", "dst", "127.0.0.1:%d" % HEP_PORT,
                         ns=t.fw, check=False).stdout
            # a probe refused its fanout group exits within ~0.1 s of its start
            if len(out.strip().splitlines()) >= 2 and time.monotonic() - started[0] > 1 and all(
                    p.proc.poll() is None for p, _ in probes.values()):
                break
            for role, (p, _) in list(probes.items()):
                if p.proc.poll() is None:
                    continue
                # Three probes with af_packet ports share the firewall's namespace: DPDK
                # derives each port's fanout group from PID ^ ifindex, and one may meet
                # another's (natprobe says so, TestSuite_live_nat tests it). A new start
                # has another PID.
                if "fanout group" in p.err.read_text() and restarts < 3:
                    restarts += 1
                    start(role, *configs[role])
                    continue
                raise AssertionError(p.describe())
            time.sleep(0.2)
        else:
            pytest.fail("the exporters did not connect\n" +
                        "\n".join(p.describe() for p, _ in probes.values()), pytrace=False)
        c_log = t.run()
        time.sleep(1)
        out = {"c_log": c_log}
        for role in ("both", "inside", "dmz", "central"):     # exporters first: they flush to central
            p, rec = probes[role]
            rc, counters = p.stop()
            out[role] = dict(rc=rc, counters=counters, recs=records(rec), describe=p.describe())
        lab.stop_captures()
        out["analyze"] = analyze_capture(tmp, hep_pcap)
        return out
    finally:
        for p, _ in probes.values():
            p.kill()
        lab.down()


@pytest.fixture(scope="module")
def seed_p2p(tmp_path_factory):
    return probe_to_probe(tmp_path_factory, "seed_p2p", snat=True)


@pytest.fixture(scope="module")
def healthy_p2p(tmp_path_factory):
    return probe_to_probe(tmp_path_factory, "healthy_p2p", snat=False)


@pytest.fixture(scope="module")
def seed_p2p_tls(tmp_path_factory):
    return probe_to_probe(tmp_path_factory, "seed_p2p_tls", snat=True, tls=True)


@pytest.fixture(scope="module")
def healthy_p2p_tls(tmp_path_factory):
    return probe_to_probe(tmp_path_factory, "healthy_p2p_tls", snat=False, tls=True)


def show(recs):
    return "\n".join(json.dumps(r) for r in recs)


def findings(recs):
    return [r for r in recs if r["kind"] in ("anomaly", "incident")]


def test_seed_at_the_third_probe(seed_p2p):
    """Steps: the seed over TCP; natprobe passive on each firewall veth
    exporting HEP/TCP to a third natprobe's hep.listen on the firewall's
    loopback, flow events forwarded too; the exporters start 2.5 s before
    the correlator listens (refused, retried each second). Verifies: all
    exit 0; both exporters connected once it listened; each exporter
    sent SIP and flow events and lost none; the central one received exactly
    what they sent, decoded it without error and mapped both agents to its
    configured segments (none left unmapped); its records hold the binding
    (C's address seen as E_PUB:4401, learned from the connection start),
    translated_route on the SERVICE, phantom_connect (the RST, from the
    forwarded TCP outcome), the 408 and the nat_reflection_misroute incident,
    in segments inside and dmz; neither exporter, each seeing one wire, names
    the incident."""
    r = seed_p2p
    for role in ("inside", "dmz", "central"):
        assert r[role]["rc"] == 0, r[role]["describe"]
    for role in ("inside", "dmz"):
        c = r[role]["counters"]
        assert c.value("natprobe_hep_sent_total", what="sip") >= 5, r[role]["describe"]
        for err in ("busy", "refused", "other", "oversize"):
            assert c.value("natprobe_hep_send_errors_total", error=err) == 0, (err, r[role]["describe"])
        assert "nat_reflection_misroute" not in {x.get("type") for x in r[role]["recs"]}
    c = r["central"]["counters"]
    sent = sum(r[x]["counters"].value("natprobe_hep_sent_total", what="sip")
               for x in ("inside", "dmz"))
    assert c.value("natprobe_hep_received_total", outcome="sip") == sent, r["central"]["describe"]
    flows = sum(r[x]["counters"].value("natprobe_hep_sent_total", what="flow")
                for x in ("inside", "dmz"))
    assert flows >= 4, r["inside"]["describe"]           # connection starts, the RST at least
    assert c.value("natprobe_hep_received_total", outcome="flow") == flows, r["central"]["describe"]
    assert c.value("natprobe_hep_received_total", outcome="bad_flow") == 0
    assert c.value("natprobe_hep_received_total", outcome="no_segment") == 0
    for bad in ("not_hep", "version", "truncated", "bad_length", "bad_chunk"):
        assert c.value("natprobe_hep_received_total", outcome=bad) == 0, bad
    recs = r["central"]["recs"]
    binds = [x for x in recs if x["kind"] == "binding"]
    assert binds, show(recs)
    text = json.dumps(binds)
    assert "%s:%d" % (E_PUB, SNAT_PORT) in text and C_ADDR in text and E_ADDR in text, text
    types = {x["type"] for x in findings(recs)}
    assert {"translated_route", "sip_timeout", "phantom_connect",
            "nat_reflection_misroute"} <= types, show(recs)
    phantom = [x for x in recs if x.get("type") == "phantom_connect"][0]
    assert phantom["outcome"] == "rst" and phantom["segment"] == "inside", phantom
    # learned from the connection start (the exporters' fingerprints), not only from messages
    assert any(x["seq_offset"] is not None for x in binds), text
    route = [x for x in recs if x.get("type") == "translated_route"][0]
    assert route["sip"]["method"] == "SERVICE", route
    timeout = [x for x in recs if x.get("type") == "sip_timeout"][0]
    assert timeout["sip"]["status"] == 408, timeout
    segs = {x["segment"] for x in recs if x["kind"] == "anomaly"}
    assert segs and segs <= {"inside", "dmz"}, show(recs)


def binding_set(recs):
    """The bindings, each once, as (proto, {segment: (src, dst)})."""
    return {(x["proto"], tuple(sorted((k, v["src"], v["dst"]) for k, v in x["segments"].items())))
            for x in recs if x["kind"] == "binding"}


def same_findings(ref, got, ref_name, got_name):
    """@got names what @ref names: the same anomalies in the same segments, the
    same bindings, one nat_reflection_misroute incident on the same endpoint
    and binding, citing evidence of the same types. @return the anomalies."""
    def anomalies(recs):
        return sorted((x["type"], x["segment"]) for x in recs if x["kind"] == "anomaly")

    assert anomalies(ref) and anomalies(got) == anomalies(ref), \
        "%s:\n%s\n%s:\n%s" % (ref_name, show(ref), got_name, show(got))
    assert binding_set(got) == binding_set(ref), (binding_set(got), binding_set(ref))
    # each binding written once, as the probe on both wires writes it (not again from messages)
    n_bind = [len([x for x in recs if x["kind"] == "binding"]) for recs in (ref, got)]
    assert n_bind[0] == n_bind[1] == len(binding_set(ref)), (n_bind, show(got))
    inc_r = [x for x in ref if x["kind"] == "incident"]
    inc_g = [x for x in got if x["kind"] == "incident"]
    assert len(inc_r) == 1 and len(inc_g) == 1, show(got)
    assert inc_g[0]["type"] == inc_r[0]["type"] == "nat_reflection_misroute"
    assert inc_g[0]["endpoint"] == inc_r[0]["endpoint"] == "%s:%d" % (E_PUB, SNAT_PORT)
    assert inc_g[0]["binding"] == inc_r[0]["binding"], (inc_g[0], inc_r[0])

    def cited(recs, inc):
        by_id = {x["id"]: x for x in recs}
        return sorted(by_id[i]["type"] for i in inc["evidence"] if by_id[i]["kind"] != "binding")

    assert cited(got, inc_g[0]) == cited(ref, inc_r[0]), (inc_g[0], inc_r[0])
    return anomalies(got)


def same_as_both(run):
    """The central probe's findings are those of the probe on both wires."""
    assert run["both"]["rc"] == 0, run["both"]["describe"]
    return same_findings(run["both"]["recs"], run["central"]["recs"], "both wires", "central")


def read_line(text, head, words=""):
    """The Read section's line that starts with @head ("  hep tcp ") and holds @words."""
    lines = [ln for ln in text.splitlines() if ln.startswith(head) and words in ln]
    assert lines, text
    return lines[0]


def analyzed_all(run):
    """analyze of the capture of the correlator's port read every HEP packet
    the exporters sent, SIP and flow events, over both TCP connections, and
    nothing it could not use."""
    text = run["analyze"]["report"]
    sent = {w: sum(run[x]["counters"].value("natprobe_hep_sent_total", what=w)
                   for x in ("inside", "dmz")) for w in ("sip", "flow")}
    hep = read_line(text, "  hep  ", "frames to port")
    assert " flow %d" % sent["flow"] in hep, (sent, hep)
    if sent["sip"]:
        assert " sip %d" % sent["sip"] in hep, (sent, hep)
    for bad in ("bad_flow", "no_segment", "not_hep", "truncated", "bad_length", "bad_chunk"):
        assert bad not in hep, hep
    tcp = read_line(text, "  hep tcp ")
    assert "2 connections" in tcp and "gaps" not in tcp and "resync" not in tcp, tcp


def test_same_incident_as_one_probe_on_both_wires(seed_p2p):
    """Steps: in the same run, a fourth natprobe passive on both firewall veths
    (the usual deployment). Verifies: the central probe, fed only by the two
    one-wire probes, wrote the same findings as the probe on both wires: the
    same anomaly types in the same segments, the same bindings, one
    nat_reflection_misroute incident with the same translated endpoint and
    binding, citing evidence of the same types."""
    same_as_both(seed_p2p)


def test_tls_same_incident_at_the_third_probe(seed_p2p_tls):
    """Steps: the seed with the traversal over TLS (Kamailio's tls module):
    no SIP can be read, only connections. Verifies: the exporters forwarded
    flow events and the central probe received them all; it wrote the same
    findings as the probe on both wires (as above): hairpin_snat,
    phantom_connect and the nat_reflection_misroute incident on the binding
    learned from the TLS connection's start."""
    r = seed_p2p_tls
    for role in ("inside", "dmz", "central"):
        assert r[role]["rc"] == 0, r[role]["describe"]
    flows = sum(r[x]["counters"].value("natprobe_hep_sent_total", what="flow")
                for x in ("inside", "dmz"))
    c = r["central"]["counters"]
    assert flows >= 4 and c.value("natprobe_hep_received_total", outcome="flow") == flows
    types = {t for t, _ in same_as_both(r)}
    assert {"hairpin_snat", "phantom_connect"} <= types, show(r["central"]["recs"])


def test_healthy_tls_at_the_third_probe(healthy_p2p_tls):
    """Steps: the TLS traversal without the source NAT. Verifies: nothing
    found at the central probe nor at the probe on both wires; the same
    bindings at both."""
    r = healthy_p2p_tls
    assert r["central"]["rc"] == 0, r["central"]["describe"]
    assert r["central"]["counters"].value("natprobe_hep_received_total", outcome="flow") >= 4
    assert findings(r["central"]["recs"]) == [], show(r["central"]["recs"])
    assert findings(r["both"]["recs"]) == [], show(r["both"]["recs"])
    assert binding_set(r["central"]["recs"]) == binding_set(r["both"]["recs"])
    assert binding_set(r["central"]["recs"]), show(r["central"]["recs"])


def test_healthy_at_the_third_probe(healthy_p2p):
    """Steps: the same without the source NAT. Verifies: C processed the
    SERVICE; the central probe received the exporters' SIP, learned the
    binding and reported no anomaly and no incident."""
    r = healthy_p2p
    assert "SERVICE for me" in r["c_log"], r["c_log"][-2000:]
    assert r["central"]["rc"] == 0, r["central"]["describe"]
    assert r["central"]["counters"].value("natprobe_hep_received_total", outcome="sip") >= 5
    assert findings(r["central"]["recs"]) == [], show(r["central"]["recs"])
    assert findings(r["both"]["recs"]) == [], show(r["both"]["recs"])
    assert binding_set(r["central"]["recs"]) == binding_set(r["both"]["recs"])
    assert any(x["kind"] == "binding" for x in r["central"]["recs"]), show(r["central"]["recs"])


def test_analyze_capture_as_the_third_probe(seed_p2p):
    """Steps: tcpdump on the firewall's loopback, the correlator's port, during
    the seed run (the exporters' refused connects before it listened
    included); `natprobe analyze` of that capture with the correlator's
    config (its hep.agents, hep.port its port). Verifies: analyze followed the
    two HEP/TCP connections and read every SIP message and every flow event
    the exporters sent (natprobe's vendor chunk used, not only counted); it
    names what the live third probe named: the same anomalies in the same
    segments, bindings, incident, endpoint and cited evidence types,
    phantom_connect (from the forwarded RST) included."""
    r = seed_p2p
    analyzed_all(r)
    types = {t for t, _ in same_findings(r["central"]["recs"], r["analyze"]["recs"],
                                         "central (live)", "analyze")}
    assert "phantom_connect" in types, show(r["analyze"]["recs"])


def test_analyze_capture_tls_as_the_third_probe(seed_p2p_tls):
    """Steps: the same with the traversal over TLS: no SIP, flow events only.
    Verifies: analyze read every flow event and names, from them alone, what
    the live third probe named (hairpin_snat, phantom_connect, the incident)."""
    r = seed_p2p_tls
    analyzed_all(r)
    types = {t for t, _ in same_findings(r["central"]["recs"], r["analyze"]["recs"],
                                         "central (live)", "analyze")}
    assert {"hairpin_snat", "phantom_connect"} <= types, show(r["analyze"]["recs"])


def test_analyze_capture_healthy(healthy_p2p, healthy_p2p_tls):
    """Steps: the healthy twins' captures of the correlator's port, analysed.
    Verifies: every HEP packet read; the same bindings as the live third
    probe, and nothing found."""
    for r in (healthy_p2p, healthy_p2p_tls):
        analyzed_all(r)
        recs = r["analyze"]["recs"]
        assert findings(recs) == [], show(recs)
        assert binding_set(recs) and binding_set(recs) == binding_set(r["central"]["recs"])
        for who in (recs, r["central"]["recs"]):    # each binding written once
            assert len([x for x in who if x["kind"] == "binding"]) == len(binding_set(recs))
