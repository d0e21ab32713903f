# SPDX-License-Identifier: BSD-3-Clause
"""Probe to probe: two natprobes on two wires, correlated at a third over HEP.

The seed on a real firewall as dts/sipnet.py builds it (two Kamailio
instances, Expressway-C and Expressway-E, around a real nftables NAT; cleartext
SIP over TCP), without siptrace: the HEP comes from natprobe itself. On the
firewall run three natprobes:
- "inside": passive on the firewall's inside veth (net_af_packet), exporting
  what it sees as HEPv3 over TCP to the correlator (export.hep_collector,
  capture id 201, node name fw-inside);
- "dmz": the same on the DMZ veth (capture id 202, node name fw-dmz);
- "central": no wire at all (an empty net_null port), `hep.listen` on
  loopback, its hep.agents mapping the two exporters to segments `inside`
  (by id) and `dmz` (by node name).
The central one must name what one probe on both wires names. Skipped only
where network namespaces cannot be made.
"""

import json
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
                              "hep_transport: tcp", "hep_capture_id: %d" % agent,
                              "hep_node_name: %s" % node])
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


def records(path):
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()] \
        if path.exists() else []


def probe_to_probe(tmp_path_factory, name, snat):
    why = sipnet.can_netns()
    if why:
        pytest.skip(why)
    sipnet.need()
    tmp = tmp_path_factory.mktemp(name)
    lab = Lab(tmp / "lab", "p")
    probes = {}
    try:
        t = Traversal(lab, snat=snat, tls=False)
        fw = ["ip", "netns", "exec", t.fw]
        d, cfg, rec = central_config(tmp)
        probes["central"] = (Background(natprobe_path(), cfg, d, 120, prefix=fw), rec)
        assert lab.wait_listen(t.fw, "tcp", "127.0.0.1", HEP_PORT), \
            probes["central"][0].describe()
        for seg, iface, agent, node in (("inside", t.fw_in, 201, "fw-inside"),
                                        ("dmz", t.fw_dmz, 202, "fw-dmz")):
            d, cfg, rec = exporter_config(tmp, seg, iface, agent, node)
            probes[seg] = (Background(natprobe_path(), cfg, d, 120, prefix=fw), rec)
        deadline = time.monotonic() + 20     # both exporters connected to the central one
        while time.monotonic() < deadline:
            out = lab.sh("ss", "-Htn", "state", "established", "dst", "127.0.0.1:%d" % HEP_PORT,
                         ns=t.fw, check=False).stdout
            if len(out.strip().splitlines()) >= 2:
                break
            for p, _ in probes.values():
                assert p.proc.poll() is None, p.describe()
            time.sleep(0.2)
        else:
            pytest.fail("the exporters did not connect\n" +
                        "\n".join(p.describe() for p, _ in probes.values()), pytrace=False)
        c_log = t.run()
        time.sleep(1)
        out = {"c_log": c_log}
        for role in ("inside", "dmz", "central"):     # exporters first: they flush to central
            p, rec = probes[role]
            rc, counters = p.stop()
            out[role] = dict(rc=rc, counters=counters, recs=records(rec), describe=p.describe())
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


def show(recs):
    return "\n".join(json.dumps(r) for r in recs)


def findings(recs):
    return [r for r in recs if r["kind"] in ("anomaly", "incident")]


def test_seed_at_the_third_probe(seed_p2p):
    """Steps: the seed over TCP; natprobe passive on each firewall veth
    exporting HEP/TCP to a third natprobe's hep.listen on the firewall's
    loopback. Verifies: all three exit 0; each exporter sent SIP and lost
    none; the central one decoded it without error and mapped both agents to
    its configured segments (none left unmapped); its records hold the
    binding (C's address seen as E_PUB:4401), translated_route on the SERVICE,
    the 408 and the nat_reflection_misroute incident, in segments inside and
    dmz; neither exporter, each seeing one wire, names the incident."""
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
    assert c.value("natprobe_hep_received_total", outcome="no_segment") == 0
    for bad in ("not_hep", "version", "truncated", "bad_length", "bad_chunk"):
        assert c.value("natprobe_hep_received_total", outcome=bad) == 0, bad
    recs = r["central"]["recs"]
    binds = [x for x in recs if x["kind"] == "binding"]
    assert binds, show(recs)
    text = json.dumps(binds)
    assert "%s:%d" % (E_PUB, SNAT_PORT) in text and C_ADDR in text and E_ADDR in text, text
    types = {x["type"] for x in findings(recs)}
    assert {"translated_route", "sip_timeout", "nat_reflection_misroute"} <= types, show(recs)
    route = [x for x in recs if x.get("type") == "translated_route"][0]
    assert route["sip"]["method"] == "SERVICE", route
    timeout = [x for x in recs if x.get("type") == "sip_timeout"][0]
    assert timeout["sip"]["status"] == 408, timeout
    segs = {x["segment"] for x in recs if x["kind"] == "anomaly"}
    assert segs and segs <= {"inside", "dmz"}, show(recs)


def test_healthy_at_the_third_probe(healthy_p2p):
    """Steps: the same without the source NAT. Verifies: C processed the
    SERVICE; the central probe received the exporters' SIP, learned the
    binding and reported no anomaly and no incident."""
    r = healthy_p2p
    assert "SERVICE for me" in r["c_log"], r["c_log"][-2000:]
    assert r["central"]["rc"] == 0, r["central"]["describe"]
    assert r["central"]["counters"].value("natprobe_hep_received_total", outcome="sip") >= 5
    assert findings(r["central"]["recs"]) == [], show(r["central"]["recs"])
    assert any(x["kind"] == "binding" for x in r["central"]["recs"]), show(r["central"]["recs"])
