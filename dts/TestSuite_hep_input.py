# SPDX-License-Identifier: BSD-3-Clause
"""natprobe diagnoses the seed from HEP alone, sent by Kamailio's own encoder.

The seed rebuilt as in TestSuite_realsip.py (dts/sipnet.py: Kamailio as
Expressway-C and Expressway-E over cleartext TCP, nftables DNAT and the
hairpin source NAT, the kernel's RST), with Kamailio's siptrace module on
both instances sending every SIP message it sends or receives as HEPv3
(agent 101 on C's side, 102 on E's) to a collector address on the firewall.
tcpdump on the firewall keeps only the HEP (UDP port 9060); `natprobe
analyze` reads that capture and nothing else: no packet of the SIP itself.
The same again with siptrace sending over TCP (duplicate_uri
...;transport=tcp) to a collector on the firewall: analyze follows the two
connections and names the same, also from that capture made worse
(segments reordered, retransmitted, missing, the capture begun mid-stream).
Skipped only where network namespaces cannot be made.
"""

import json
import re
import subprocess

import pytest
from scapy.all import IP, TCP, UDP, Raw, rdpcap, wrpcap

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


def traversal_hep(tmp_path_factory, name, snat, transport="udp"):
    lab = Lab(tmp_path_factory.mktemp(name), "h")
    try:
        t = Traversal(lab, snat=snat, tls=False, hep=True if transport == "udp" else transport)
        if transport == "tcp":
            sipnet.hep_sink(lab, t.fw)
        hep = lab.capture(t.fw, "any", "hep", bpf=[transport, "port", "9060"])
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


@pytest.fixture(scope="module")
def seed_hep_tcp(tmp_path_factory):
    return traversal_hep(tmp_path_factory, "seed_hep_tcp", snat=True, transport="tcp")


@pytest.fixture(scope="module")
def healthy_hep_tcp(tmp_path_factory):
    return traversal_hep(tmp_path_factory, "healthy_hep_tcp", snat=False, transport="tcp")


def report(path, *more):
    r = subprocess.run([require_binary(natprobe_path()), "analyze", str(path)] + list(more),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
    assert r.returncode == 0, "analyze %s: rc=%d\n%s" % (path, r.returncode, r.stderr)
    return r.stdout


def read_line(text, head, words=""):
    """The Read section's line that starts with @head ("  hep tcp ") and holds @words."""
    lines = [ln for ln in text.splitlines() if ln.startswith(head) and words in ln]
    assert lines, text
    return lines[0]


def count(line, pattern):
    """The number in @line right before or after the words of @pattern ("gaps %d")."""
    m = re.search(pattern.replace("(", r"\(").replace(")", r"\)").replace("%d", r"(\d+)"), line)
    return int(m.group(1)) if m else 0


def binding_set(recs):
    return {(x["proto"], tuple(sorted((k, v["src"], v["dst"]) for k, v in x["segments"].items())))
            for x in recs if x["kind"] == "binding"}


def same_findings(a, b):
    """Two analyses name the same thing: anomalies by type and segment, bindings, the incident."""
    def anomalies(recs):
        return sorted((x["type"], x["segment"]) for x in recs if x["kind"] == "anomaly")

    assert anomalies(a) == anomalies(b), "%s\n----\n%s" % (show(a), show(b))
    assert binding_set(a) == binding_set(b), (binding_set(a), binding_set(b))
    inc_a = [(x["type"], x["endpoint"]) for x in a if x["kind"] == "incident"]
    inc_b = [(x["type"], x["endpoint"]) for x in b if x["kind"] == "incident"]
    assert inc_a == inc_b, (inc_a, inc_b)


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


def hep_tcp_frames(path):
    """The capture's frames, and the indexes of those with data to port 9060."""
    frames = rdpcap(str(path))
    data = [i for i, f in enumerate(frames)
            if TCP in f and f[TCP].dport == 9060 and len(bytes(f[TCP].payload)) > 0]
    return frames, data


def test_seed_from_hep_over_tcp(seed_hep, seed_hep_tcp):
    """Steps: the seed again, siptrace sending its HEP over TCP
    (duplicate_uri ...;transport=tcp) to a collector on the firewall that only
    reads; tcpdump keeps TCP port 9060 alone. Verifies: the capture holds no
    UDP; analyze followed both agents' connections (SYN seen, no gap, no
    resync) and cut from them as many HEP packets as there were HEP data
    segments or more, all decoded as SIP; it names the same anomalies in the
    same segments, the same bindings and the same incident on the same
    endpoint as from the UDP capture of the same seed."""
    out = subprocess.run([require_program("tcpdump"), "-nr", str(seed_hep_tcp["hep"]), "udp"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    assert out.strip() == "", out[:1000]
    _, data = hep_tcp_frames(seed_hep_tcp["hep"])
    assert len(data) >= 10, len(data)
    text = report(seed_hep_tcp["hep"])
    line = read_line(text, "  hep tcp ")
    assert count(line, "%d connections") >= 2, line
    for bad in ("begun before", "gaps", "resync", "unfinished", "for room"):
        assert bad not in line, line
    packets = count(line, "%d HEP packets")
    assert packets >= len(data), (packets, len(data), line)
    hep = read_line(text, "  hep  ", "frames to port")
    assert " sip %d" % packets in hep and "truncated" not in hep, hep
    tcp, udp = analyze(seed_hep_tcp["hep"]), analyze(seed_hep["hep"])
    assert {r["type"] for r in findings(tcp)} == {
        "hairpin_snat", "translated_route", "sip_timeout", "nat_reflection_misroute"}, show(tcp)
    same_findings(tcp, udp)


def test_healthy_from_hep_over_tcp(healthy_hep_tcp):
    """Steps: the healthy twin (no source NAT), HEP over TCP. Verifies: the
    binding is learned from the TCP capture and nothing is found."""
    assert "SERVICE for me" in healthy_hep_tcp["c_log"], healthy_hep_tcp["c_log"][-2000:]
    recs = analyze(healthy_hep_tcp["hep"])
    assert findings(recs) == [], show(recs)
    assert any(r["kind"] == "binding" for r in recs), show(recs)


def test_hep_over_tcp_reordered_and_retransmitted(seed_hep_tcp, tmp_path):
    """Steps: the TCP capture rewritten as a bad capture would hold it: data
    segments to the HEP port swapped with the next of the same connection (a
    pair, then at least one segment left alone, throughout), and
    every fourth repeated right after itself (a retransmission). Verifies:
    analyze counts the segments it put back in order and the retransmissions,
    finds no gap, reads as many HEP packets as from the clean capture and
    names the same findings."""
    frames, data = hep_tcp_frames(seed_hep_tcp["hep"])
    order = list(range(len(frames)))
    swapped = 0
    k = 0
    # pairs of consecutive data segments of one connection, two apart at least: how the
    # live capture interleaves the two connections' segments differs run to run
    while k < len(data) - 1:
        a, b = data[k], data[k + 1]
        if frames[a][IP].src == frames[b][IP].src and frames[a][TCP].sport == frames[b][TCP].sport:
            order[a], order[b] = order[b], order[a]
            swapped += 1
            k += 3
        else:
            k += 1
    out = []
    repeated = 0
    for i in order:
        out.append(frames[i])
        if i in data[::4]:
            out.append(frames[i])
            repeated += 1
    assert swapped >= 2 and repeated >= 3, (swapped, repeated)
    bad = tmp_path / "reordered.pcap"
    wrpcap(str(bad), out)
    clean = read_line(report(seed_hep_tcp["hep"]), "  hep tcp ")
    text = report(bad)
    line = read_line(text, "  hep tcp ")
    assert count(line, "out of order %d") >= swapped, line
    assert count(line, "retransmitted segments %d") >= repeated, line
    assert "gaps" not in line and "begun before" not in line, line
    assert count(line, "%d HEP packets") == count(clean, "%d HEP packets"), (line, clean)
    same_findings(analyze(bad), analyze(seed_hep_tcp["hep"]))


def test_hep_over_tcp_cut_capture(seed_hep_tcp, tmp_path):
    """Steps: the TCP capture without its first frames (the SYNs and the
    first HEP data segment of each connection: the capture began mid-stream)
    and without one data segment in the middle, cut in two at an odd byte
    (a gap), its other half's segment kept. Verifies: analyze exits 0,
    reports the connections begun before the capture, the gap and its bytes,
    and reads fewer HEP packets than from the whole capture but still some."""
    frames, data = hep_tcp_frames(seed_hep_tcp["hep"])
    firsts = {}
    for i in data:
        firsts.setdefault((frames[i][IP].src, frames[i][TCP].sport), i)
    drop = {i for i, f in enumerate(frames) if TCP in f and f[TCP].flags & 0x02}
    drop |= set(firsts.values())
    rest = [i for i in data if i not in drop]
    mid = rest[len(rest) // 2]
    out = []
    for i, f in enumerate(frames):
        if i in drop:
            continue
        if i == mid:                      # keep the segment's second half: a gap before it
            payload = bytes(f[TCP].payload)
            cut = len(payload) // 2 + 1
            f = f.copy()
            f[TCP].seq = (f[TCP].seq + cut) % (1 << 32)
            f[TCP].remove_payload()
            f[TCP].add_payload(Raw(payload[cut:]))
            del f[IP].len, f[IP].chksum, f[TCP].chksum
            f = f.__class__(bytes(f))
        out.append(f)
    bad = tmp_path / "cut.pcap"
    wrpcap(str(bad), out)
    clean = read_line(report(seed_hep_tcp["hep"]), "  hep tcp ")
    text = report(bad)
    line = read_line(text, "  hep tcp ")
    assert count(line, "(%d begun before the capture)") == len(firsts), line
    assert count(line, "gaps %d") == 1 and count(line, "(%d bytes not captured)") > 0, line
    n = count(line, "%d HEP packets")
    assert 0 < n < count(clean, "%d HEP packets"), (line, clean)
