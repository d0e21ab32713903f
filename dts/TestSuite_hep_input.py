# SPDX-License-Identifier: BSD-3-Clause
"""natprobe diagnoses the seed from HEP alone, sent by Kamailio's own encoder.

The seed rebuilt as in TestSuite_realsip.py (dts/sipnet.py: Kamailio as
Expressway-C and Expressway-E over cleartext TCP, nftables DNAT and the
hairpin source NAT, the kernel's RST), with Kamailio's siptrace module on
both instances sending every SIP message it sends or receives as HEPv3
(agent 101 on C's side, 102 on E's) to a collector address on the firewall.
tcpdump on the firewall keeps only the HEP (UDP port 9060); `natprobe
analyze` reads that capture and nothing else: no packet of the SIP itself.
Skipped only where network namespaces cannot be made.
"""

import json
import subprocess

import pytest
from scapy.all import IP, UDP, Raw, rdpcap, wrpcap

import sipnet
from conftest import natprobe_path, require_binary, require_program
from sipnet import C_ADDR, E_ADDR, E_PUB, SNAT_PORT, TRAV_PORT, Lab, Traversal


@pytest.fixture(scope="module", autouse=True)
def _need_netns():
    why = sipnet.can_netns()
    if why:
        pytest.skip(why)
    sipnet.need()


def analyze(*args):
    r = subprocess.run([require_binary(natprobe_path()), "analyze", "--json"] +
                       [str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=60)
    assert r.returncode == 0, "analyze %s: rc=%d\n%s" % (args, r.returncode, r.stderr)
    return [json.loads(x) for x in r.stdout.splitlines() if x.strip()]


def show(recs):
    return "\n".join(json.dumps(r) for r in recs)


def findings(recs):
    return [r for r in recs if r["kind"] in ("anomaly", "incident")]


def traversal_hep(tmp_path_factory, name, snat):
    lab = Lab(tmp_path_factory.mktemp(name), "h")
    try:
        t = Traversal(lab, snat=snat, tls=False, hep=True)
        hep = lab.capture(t.fw, "any", "hep", bpf=["udp", "port", "9060"])
        c_log = t.run()
        lab.stop_captures()
        return dict(hep=hep, c_log=c_log, e_log=lab.log("kamailio-e"))
    finally:
        lab.down()


@pytest.fixture(scope="module")
def seed_hep(tmp_path_factory):
    return traversal_hep(tmp_path_factory, "seed_hep", snat=True)


@pytest.fixture(scope="module")
def healthy_hep(tmp_path_factory):
    return traversal_hep(tmp_path_factory, "healthy_hep", snat=False)


def test_seed_from_hep(seed_hep):
    """Steps: the seed over TCP with siptrace on C and E; analyze the capture
    of their HEP only. Verifies: Kamailio relayed the SERVICE and E saw the
    translated source; the capture holds no SIP packet; natprobe learned the
    binding from the OPTIONS both agents reported (C's 10.0.30.2:5070 ->
    E_PUB:7003 is 198.51.100.10:4401 -> 10.0.10.2:7003 at E), named the
    translated Route in the SERVICE and the 408 with its Warning."""
    assert "relaying SERVICE" in seed_hep["c_log"], seed_hep["c_log"][-2000:]
    assert "%s:%d" % (E_PUB, SNAT_PORT) in seed_hep["e_log"], seed_hep["e_log"][-2000:]
    out = subprocess.run([require_program("tcpdump"), "-nr", str(seed_hep["hep"]), "not", "udp", "port", "9060"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    assert out.strip() == "", "the capture holds more than HEP:\n" + out[:1000]
    recs = analyze(seed_hep["hep"])
    binds = [r for r in recs if r["kind"] == "binding"]
    assert binds, show(recs)
    text = json.dumps(binds)
    assert "%s:%d" % (E_PUB, SNAT_PORT) in text and C_ADDR in text and E_ADDR in text, text
    # the seed's findings less phantom_connect: the refused connect is no SIP message
    assert {r["type"] for r in findings(recs)} == {
        "hairpin_snat", "translated_route", "sip_timeout", "nat_reflection_misroute"}, show(recs)
    route = [r for r in recs if r["type"] == "translated_route"][0]
    assert route["sip"]["method"] == "SERVICE", route
    assert "%s:%d" % (E_PUB, SNAT_PORT) in json.dumps(route), route
    timeout = [r for r in recs if r["type"] == "sip_timeout"][0]
    assert timeout["sip"]["status"] == 408, timeout
    segs = {r["segment"] for r in recs if r["kind"] == "anomaly"}
    assert segs <= {"hep-101", "hep-102"}, show(recs)


def test_healthy_from_hep(healthy_hep):
    """Steps: the same without the source NAT (DNAT only): C processes the
    SERVICE. Verifies: from the HEP capture, no anomaly and no incident."""
    assert "SERVICE for me" in healthy_hep["c_log"], healthy_hep["c_log"][-2000:]
    recs = analyze(healthy_hep["hep"])
    assert findings(recs) == [], show(recs)
    assert any(r["kind"] == "binding" for r in recs), show(recs)


def test_bad_hep_counted(seed_hep, tmp_path):
    """Steps: the seed's HEP capture with every HEP packet cut to its first 40
    bytes inside well-formed UDP datagrams (lengths and checksums rewritten, so
    only HEP is broken). Verifies: analyze exits 0, reports nothing, counts every
    frame read (udp) and every HEP packet as truncated by the HEP decoder."""
    frames = []
    for f in rdpcap(str(seed_hep["hep"])):
        payload = bytes(f[UDP].payload)[:40]
        f[UDP].remove_payload()
        f[UDP].add_payload(Raw(payload))
        del f[IP].len, f[IP].chksum, f[UDP].len, f[UDP].chksum
        frames.append(f.__class__(bytes(f)))
    cut = tmp_path / "cut.pcap"
    wrpcap(str(cut), frames)
    n = len(frames)
    r = subprocess.run([require_binary(natprobe_path()), "analyze", str(cut)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "Incidents: 0" in r.stdout and "Anomalies: 0" in r.stdout, r.stdout
    assert n > 0 and "  frames     %d (udp %d)" % (n, n) in r.stdout, r.stdout
    hep = [ln for ln in r.stdout.splitlines() if ln.startswith("  hep ")]
    assert hep and "%d frames to port 9060" % n in hep[0], r.stdout
    assert "truncated %d" % n in hep[0] and " sip " not in hep[0], r.stdout
