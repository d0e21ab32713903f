# SPDX-License-Identifier: BSD-3-Clause
"""Scale: ten thousand concurrent NAT flows, ten thousand SIP messages.

Fixtures (tools/gen_scale.py, committed under tests/fixtures/scenarios/):

- nat_10k_flows: 10,000 TCP connections + 2,000 UDP flows through a source
  NAT, all open at once; each flow's first payload in each direction is
  distinct, except a group of 20 connections with byte-identical keep-alives
  (ambiguous: counted, never joined). Healthy: no anomaly.
- healthy_sip_10k: 10,004 SIP messages (registrations with a 401 challenge,
  972 INVITE dialogs) from 800 correctly configured phones behind the NAT,
  with RTP, STUN, DNS and HTTPS around them, byte-identical on both
  segments. Healthy: no anomaly, no incident.

The ground truth (which flows make a binding, with which tuples) comes from
gen_scale.truth(); its digest must equal scenario.yaml's truth_sha256, so a
generator changed without regenerating the fixtures fails loudly.

Live runs replay the captures at full speed, far faster than any wire: the
event rings are sized to hold every event of a capture, so that what is
checked is the analysis and not the control thread's catching up (event
ring drops are asserted 0 first).

Every test is bounded (natprobe time-outs of 60 s, each well under that on
a 2-core machine); the suite takes well under 3 minutes.
"""

import json
import time
from collections import Counter

import pytest

import gen_scale
from conftest import (SCENARIOS, config_text, frames_diff, load_yaml, pcap_device,
                      read_frames, write_frames)

NAT10K = SCENARIOS / "nat_10k_flows"
SIP10K = SCENARIOS / "healthy_sip_10k"
ALL_TYPES = ["hairpin_snat", "translated_route", "phantom_connect", "sip_timeout",
             "private_via_contact", "sdp_address_mismatch", "alg_rewrite",
             "nat_reflection_misroute"]
INCIDENT_TYPES = ["nat_reflection_misroute"]
LIMIT_S = 60                      # per natprobe invocation
MAX_FIXTURE_BYTES = 5 * 1000 * 1000
# Holds every flow and SIP event of either capture (about 100k for
# nat_10k_flows); 131072 entries of each ring need about 1 GiB with no
# hugepages.
LIVE_RING = 131072
LIVE_MEMORY_MB = 1280

_TRUTH = {}


def truth(name):
    if name not in _TRUTH:
        _TRUTH[name] = gen_scale.truth(name)
    return _TRUTH[name]


def meta_of(d):
    return load_yaml(d / "scenario.yaml")


def inputs(d):
    return ["inside=%s" % (d / "inside.pcap"), "dmz=%s" % (d / "dmz.pcap")]


def run_bounded(probe, *args, **kw):
    t0 = time.monotonic()
    r = probe.run(*args, timeout=LIMIT_S, **kw)
    assert time.monotonic() - t0 < LIMIT_S
    return r


def analyze_json(probe, d):
    """analyze --json both captures of d: (records, result)."""
    r = run_bounded(probe, "analyze", "--json", *inputs(d))
    assert r.rc == 0, r.describe()
    recs = []
    for n, line in enumerate(r.stdout.splitlines()):
        try:
            recs.append(json.loads(line))
        except ValueError:
            pytest.fail("stdout line %d is not JSON: %r" % (n + 1, line[:200]), pytrace=False)
    return recs, r


def binding_key(rec):
    s = rec["segments"]
    return (rec["proto"], s["inside"]["src"], s["inside"]["dst"], s["dmz"]["src"],
            s["dmz"]["dst"])


def truth_key(row):
    """gen_scale truth row -> binding_key() form (the destination is not translated)."""
    proto, cli, srv, pub = row[:4]
    return (proto, cli, srv, pub, srv)


def findings(recs):
    return [r for r in recs if r["kind"] in ("anomaly", "incident")]


def describe_findings(recs, n=5):
    f = findings(recs)
    c = Counter((r["kind"], r["type"], r.get("severity")) for r in f)
    return "%d findings %s; first: %s" % (len(f), dict(c), "\n".join(json.dumps(r)
                                                                    for r in f[:n]))


def assert_bindings_exact(recs, name):
    """The binding records are exactly the generator's ground truth: same
    count, same tuples, none twice, none extra."""
    meta = meta_of(SCENARIOS / name)
    tr = truth(name)
    want = {truth_key(row) for row in tr["bindings"]}
    ambiguous = {truth_key(row) for row in tr["ambiguous"]}
    bindings = [r for r in recs if r["kind"] == "binding"]
    got = Counter(binding_key(r) for r in bindings)
    dups = sorted(k for k, n in got.items() if n > 1)
    missing = sorted(want - set(got))
    extra = sorted(set(got) - want)
    extra_amb = [k for k in extra if k in ambiguous]
    msg = []
    if dups:
        msg.append("%d flows bound more than once, e.g. %s" % (len(dups), dups[:3]))
    if missing:
        msg.append("%d bindings missing, e.g. %s" % (len(missing), missing[:5]))
    if extra:
        msg.append("%d spurious bindings (%d of them flows of the ambiguous group, which "
                   "must never be joined), e.g. %s" % (len(extra), len(extra_amb), extra[:5]))
    if len(bindings) != meta["bindings_expected"]:
        msg.append("%d binding records, expected %d" % (len(bindings),
                                                        meta["bindings_expected"]))
    assert not msg, "%s: %s" % (name, "; ".join(msg))
    for r in bindings:
        assert r["changed"] == ["src"] and r["static"] is False, r


def live_text(d, tmp_path, datapath=None):
    """Both captures of d on passive net_pcap ports, records to a file."""
    ports = [("c_side", pcap_device(0, rx=d / "inside.pcap")),
             ("fw_dmz", pcap_device(1, rx=d / "dmz.pcap"))]
    segs = [("inside", "passive", ["c_side"]), ("dmz", "passive", ["fw_dmz"])]
    dp = {"event_ring_size": LIVE_RING}
    dp.update(datapath or {})
    rec = tmp_path / "records.jsonl"
    text = config_text(ports, segs, datapath=dp)
    text = text.replace("memory_mb: 256", "memory_mb: %d" % LIVE_MEMORY_MB)
    text = text.replace('export:\n  metrics_listen: ""',
                        'export:\n  metrics_listen: ""\n  records_file: %s' % rec)
    return text, rec


def assert_no_ring_drops(r):
    drops = sum(v for _, v in r.counters.series("natprobe_event_ring_drops_total"))
    assert drops == 0, ("%d events dropped: the control thread fell behind the replay; the "
                        "counts below would mean nothing\n%s" % (drops, r.describe()))


def assert_no_findings_counted(r):
    c = r.counters
    raised = {t: c.value("natprobe_anomalies_total", type=t) for t in ALL_TYPES[:-1]}
    raised.update({"incident " + t: c.value("natprobe_incidents_total", type=t)
                   for t in INCIDENT_TYPES})
    assert not any(raised.values()), "findings on healthy traffic: %s" % {
        k: v for k, v in raised.items() if v}


# --------------------------------------------------------------------------
# Fixtures are what the generator makes
# --------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["nat_10k_flows", "healthy_sip_10k"])
def test_fixture_matches_generator(name):
    """Steps: read the scenario's captures and scenario.yaml; compute the
    ground truth with gen_scale.truth().
    Verifies: frame counts as stated, each capture under 5 MB, the truth's
    digest and counts equal scenario.yaml's (else: re-run tools/gen_scale.py)."""
    d = SCENARIOS / name
    meta = meta_of(d)
    for seg in ("inside", "dmz"):
        p = d / ("%s.pcap" % seg)
        assert p.stat().st_size < MAX_FIXTURE_BYTES, "%s is %d bytes" % (p, p.stat().st_size)
        assert len(read_frames(p)) == meta["frames"][seg]
    tr = truth(name)
    assert tr["digest"] == meta["truth_sha256"], (
        "%s: fixture and tools/gen_scale.py disagree; regenerate: tools/gen_scale.py %s %s"
        % (name, name, d))
    assert len(tr["bindings"]) == meta["bindings_expected"]
    assert len(tr["ambiguous"]) == meta["ambiguous_flows"]
    assert meta["forbid"] == ALL_TYPES and meta["expect"] == []
    if name == "nat_10k_flows":
        assert tr["flows"] == 12000 and meta["bindings_expected"] == 12000 - 20
        assert {row[2] for row in tr["ambiguous"]} == {meta["ambiguous_server"]}
        assert sum(1 for row in tr["bindings"] if row[0] == "tcp") == 10000 - 20
    else:
        assert tr["sip_messages"] >= 10000
        assert meta["sip_messages"] == {"inside": tr["sip_messages"],
                                        "dmz": tr["sip_messages"]}


# --------------------------------------------------------------------------
# (a) nat_10k_flows
# --------------------------------------------------------------------------

def test_nat_10k_bindings_exact(probe):
    """Steps: analyze --json inside=nat_10k_flows/inside.pcap dmz=.../dmz.pcap.
    Verifies: one binding record per flow of the ground truth (11,980: every
    TCP and UDP flow but the 20 ambiguous keep-alive connections), each with
    the right inside and dmz tuples and changed == [src]; no flow bound twice;
    no spurious binding, in particular none for the ambiguous group."""
    recs, _ = analyze_json(probe, NAT10K)
    assert_bindings_exact(recs, "nat_10k_flows")


def test_nat_10k_no_anomalies(probe):
    """Steps: analyze --json, then the human report, of nat_10k_flows.
    Verifies: no anomaly and no incident (healthy outbound source NAT: no
    hairpin_snat, the sources are not the servers' own addresses); the report
    read 88,000 frames and 24,000 flows."""
    recs, _ = analyze_json(probe, NAT10K)
    assert not findings(recs), describe_findings(recs)
    r = run_bounded(probe, "analyze", *inputs(NAT10K))
    assert r.rc == 0, r.describe()
    assert "frames     88000 (tcp 80000, udp 8000)" in r.stdout, r.stdout[-2000:]
    assert "flows      24000 (" in r.stdout, r.stdout[-2000:]
    assert "anomalies 0; incidents 0" in r.stdout, r.stdout[-2000:]


def test_nat_10k_seq_offset(probe):
    """Steps: analyze --json nat_10k_flows (30% of its TCP connections have
    their sequence numbers shifted by the firewall on the dmz side).
    Verifies: each TCP binding's seq_offset is that shift (dmz = inside +
    seq_offset, modulo 2^32; 0 when kept), per docs/records.md."""
    recs, _ = analyze_json(probe, NAT10K)
    want = {truth_key(row): row[4] for row in truth("nat_10k_flows")["bindings"]
            if row[0] == "tcp"}
    assert sum(1 for v in want.values() if v) > 2000
    wrong = []
    for r in recs:
        if r["kind"] != "binding" or r["proto"] != "tcp":
            continue
        k = binding_key(r)
        if k in want and r["seq_offset"] % (1 << 32) != want[k]:
            wrong.append((k, r["seq_offset"], want[k]))
    assert not wrong, "%d TCP bindings with a wrong seq_offset (got, want), e.g. %s" % (
        len(wrong), wrong[:3])


def test_nat_10k_live_ambiguous_counted(probe, tmp_path):
    """Steps: natprobe run, inside.pcap and dmz.pcap of nat_10k_flows on two
    passive net_pcap ports (segments inside and dmz), --idle-exit 1.
    Verifies: no event dropped; every frame and flow seen (88,000 frames,
    24,000 flows, 48,000 fingerprints); the 20 keep-alive connections
    counted ambiguous once each after the first on each segment
    (natprobe_nat_ambiguous_total = 2 x 19); 11,980 bindings active at exit;
    no anomaly, no incident."""
    text, _ = live_text(NAT10K, tmp_path)
    r = probe.run_config(text, timeout=LIMIT_S)
    assert r.rc == 0, r.describe()
    assert_no_ring_drops(r)
    c = r.counters
    assert c.value("natprobe_worker_packets_total", worker="0") == 88000
    assert c.value("natprobe_flows_created_total") == 24000
    assert c.value("natprobe_nat_fingerprints_total") == 48000
    assert c.value("natprobe_nat_ambiguous_total") == 2 * (20 - 1), r.describe()
    assert c.value("natprobe_nat_bindings_active") == 11980, r.describe()
    assert c.value("natprobe_nat_untranslated_total") == 0
    assert c.value("natprobe_nat_pending_dropped_total") == 0
    assert c.value("natprobe_nat_table_full_total") == 0
    assert_no_findings_counted(r)


# --------------------------------------------------------------------------
# (b) healthy_sip_10k
# --------------------------------------------------------------------------

def test_healthy_sip_offline_no_anomalies(probe):
    """Steps: analyze --json, then the human report, of healthy_sip_10k.
    Verifies: every SIP message parsed (2 x 10,004 in the report's SIP line)
    and not one anomaly or incident: phones that put their STUN/rport-learned
    public address in Via, Contact and SDP behind a NAT without a SIP ALG are
    configured right."""
    meta = meta_of(SIP10K)
    r = run_bounded(probe, "analyze", *inputs(SIP10K))
    assert r.rc == 0, r.describe()
    n = meta["sip_messages"]["inside"] + meta["sip_messages"]["dmz"]
    assert "SIP        %d messages" % n in r.stdout, r.stdout[-2000:]
    recs, _ = analyze_json(probe, SIP10K)
    assert not findings(recs), describe_findings(recs)


def test_healthy_sip_bindings_exact(probe):
    """Steps: analyze --json healthy_sip_10k.
    Verifies: one binding per translated flow (SIP signalling, STUN, RTP,
    DNS, HTTPS), tuples as the generator made them."""
    recs, _ = analyze_json(probe, SIP10K)
    assert_bindings_exact(recs, "healthy_sip_10k")


def test_healthy_sip_live_no_anomalies(probe, tmp_path):
    """Steps: natprobe run, healthy_sip_10k's captures on two passive
    net_pcap ports, flow table of 65536 (every flow fits), --idle-exit 1.
    Verifies: no event dropped; every frame seen and every SIP message
    handed to the control thread (20,008); no anomaly or incident counted
    and none in the records file (which holds only bindings)."""
    meta = meta_of(SIP10K)
    text, rec = live_text(SIP10K, tmp_path, {"flow_table_size": 65536})
    r = probe.run_config(text, timeout=LIMIT_S)
    assert r.rc == 0, r.describe()
    assert_no_ring_drops(r)
    c = r.counters
    frames = meta["frames"]["inside"] + meta["frames"]["dmz"]
    assert c.value("natprobe_worker_packets_total", worker="0") == frames
    assert c.value("natprobe_control_sip_messages_total") == 2 * meta["sip_messages"]["inside"]
    assert c.value("natprobe_flows_evicted_total") == 0
    assert_no_findings_counted(r)
    recs = [json.loads(x) for x in rec.read_text().splitlines()]
    assert not findings(recs), describe_findings(recs)


# --------------------------------------------------------------------------
# (c) tiny flow table, inline
# --------------------------------------------------------------------------

def test_tiny_flow_table_inline_forwards_everything(probe, tmp_path):
    """Steps: split nat_10k_flows/inside.pcap by sender (clients / firewall)
    into two rx files; one inline segment over two net_pcap ports a (clients'
    side) and b (firewall's side); datapath.flow_table_size 1024 (the
    minimum) for 12,000 concurrent flows; natprobe run --idle-exit 1.
    Verifies: a's tx file holds exactly b's frames and b's tx file a's, byte
    for byte and in order (fail-open: eviction never touches forwarding);
    frame and byte counts equal, per port rx = tx of the peer, nothing
    dropped; natprobe_flows_evicted_total > 0 and the table never above
    1024 flows; no anomaly."""
    frames = read_frames(NAT10K / "inside.pcap")
    from_c = [f for f in frames if f[6:12] == gen_scale.MAC_C]
    from_fw = [f for f in frames if f[6:12] == gen_scale.MAC_FW_IN]
    assert len(from_c) + len(from_fw) == len(frames) and from_c and from_fw
    rx_a = write_frames(tmp_path / "a_rx.pcap", from_c)
    rx_b = write_frames(tmp_path / "b_rx.pcap", from_fw)
    tx_a, tx_b = tmp_path / "a_tx.pcap", tmp_path / "b_tx.pcap"
    ports = [("a", pcap_device(0, rx_a, tx_a)), ("b", pcap_device(1, rx_b, tx_b))]
    text = config_text(ports, [("inside", "inline", ["a", "b"])],
                       datapath={"flow_table_size": 1024})
    r = probe.run_config(text, timeout=LIMIT_S)
    assert r.rc == 0, r.describe()
    got_b = read_frames(tx_b)       # what b sent: a's frames
    got_a = read_frames(tx_a)
    assert (len(got_b), sum(map(len, got_b))) == (len(from_c), sum(map(len, from_c)))
    assert (len(got_a), sum(map(len, got_a))) == (len(from_fw), sum(map(len, from_fw)))
    d = frames_diff(got_b, from_c)
    assert not d, "b_tx.pcap: " + d
    d = frames_diff(got_a, from_fw)
    assert not d, "a_tx.pcap: " + d
    c = r.counters
    for port, rx, tx in (("a", from_c, from_fw), ("b", from_fw, from_c)):
        assert c.get("natprobe_port_rx_packets_total", port=port) == len(rx), r.describe()
        assert c.get("natprobe_port_rx_bytes_total", port=port) == sum(map(len, rx))
        assert c.get("natprobe_port_tx_packets_total", port=port) == len(tx), r.describe()
        assert c.get("natprobe_port_tx_bytes_total", port=port) == sum(map(len, tx))
        assert c.get("natprobe_port_dropped_packets_total", port=port) == 0
    assert c.value("natprobe_flows_evicted_total") > 0, r.describe()
    assert c.value("natprobe_flows_active") <= 1024
    assert c.value("natprobe_flows_created_total") >= 12000
    assert_no_findings_counted(r)
