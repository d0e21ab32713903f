# SPDX-License-Identifier: BSD-3-Clause
"""Traffic from a remote mirror port: GRE, ERSPAN types I/II/III and VXLAN.

The seed's frames, both firewall sides, are encapsulated with one tunnel id
per side (the inside frames in one tunnel, the dmz frames in another), the
way a remote mirror session delivers them to a probe:

- by the kernel: the frames are sent into vxlan / gretap / erspan devices in
  a network namespace and tcpdump captures the outer frames on the underlay
  veth (skipped, saying so, where the kernel lacks the device type);
- by scapy, for every encapsulation, with tshark checking that it decodes
  each outer frame and finds the seed's SIP messages inside.

natprobe must decapsulate them offline (segments named after the tunnel
ids, chosen with FILE#vni=N, or mapped by the config's tunnels:) and live
(`run` on a passive net_pcap port, tunnels: mapping the ids to tunnel
segments), count them per encapsulation, and find the seed incident.
"""

import json

import pytest

from capture_tools import (SEED, Netns, analyze_json, can_netns, incidents, need,
                           report_frames, run, seed_records, send_frames, tshark_count,
                           types_of, write_records)
from conftest import config_text, pcap_device

SEED_TYPES = {"hairpin_snat", "translated_route", "phantom_connect", "sip_timeout",
              "nat_reflection_misroute"}
IDS = {"inside": 100, "dmz": 200}
SEED_SIP = None


def seed_sip_count():
    global SEED_SIP
    if SEED_SIP is None:
        SEED_SIP = sum(tshark_count(SEED / f, "sip") for f in ("inside.pcap", "dmz.pcap"))
    return SEED_SIP


def assert_seed(r, recs, what):
    assert r.rc == 0, "%s\n%s" % (what, r.describe())
    assert SEED_TYPES <= types_of(recs), "%s: %s" % (what, sorted(types_of(recs)))
    assert len(incidents(recs)) == 1, what
    b = [x for x in recs if x["kind"] == "binding"]
    assert len(b) == 1, "%s: %s" % (what, b)
    return b[0]


# --------------------------------------------------------------------------
# Encapsulated by scapy, checked by tshark
# --------------------------------------------------------------------------

def encapsulate(kind, frame, tid):
    from scapy.contrib.erspan import ERSPAN_II, ERSPAN_III
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import GRE, Ether
    from scapy.layers.vxlan import VXLAN
    outer = Ether(src="02:00:00:00:0a:01", dst="02:00:00:00:0a:02") / IP(
        src="192.0.2.1", dst="192.0.2.2", id=tid & 0xffff)
    inner = Ether(frame)
    if kind == "gre":
        p = outer / GRE(key_present=1, key=tid, proto=0x6558) / inner
    elif kind == "gre_ip":
        p = outer / GRE(key_present=1, key=tid, proto=0x0800) / inner.payload
    elif kind == "erspan1":
        p = outer / GRE(proto=0x88be) / inner
    elif kind == "erspan2":
        # scapy's ERSPAN_II defaults to version 0; type II is version 1
        p = outer / GRE(seqnum_present=1, sequence_number=1, proto=0x88be) / ERSPAN_II(
            ver=1, session_id=tid) / inner
    elif kind == "erspan3":
        p = outer / GRE(seqnum_present=1, sequence_number=1, proto=0x22eb) / ERSPAN_III(
            session_id=tid) / inner
    else:
        p = outer / UDP(sport=49152, dport=4789) / VXLAN(vni=tid) / inner
    return bytes(p)


# display filter tshark decodes each with, and the selector naming a side's tunnel
KINDS = {
    "gre": ("gre.proto == 0x6558", "gre=%d", "gre-%d"),
    "gre_ip": ("gre && gre.proto == 0x0800", "gre=%d", "gre-%d"),
    "erspan1": ("erspan", None, None),
    "erspan2": ("erspan", "erspan=%d", "erspan-%d"),
    "erspan3": ("erspan", "erspan=%d", "erspan-%d"),
    "vxlan": ("vxlan", "vni=%d", "vxlan-%d"),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_tunnel_capture(probe, tmp_path, kind):
    """Steps: wrap each seed frame in KIND (scapy), the inside side in tunnel
    id 100 and the dmz side in 200, in one capture (ERSPAN type I has no id:
    one capture per side); tshark decodes it; analyze it without SEG=, with
    each tunnel chosen (inside=FILE#vni=100 ...), and in report mode.
    Verifies: tshark sees every outer frame as KIND and the seed's SIP
    messages inside; natprobe decapsulates all 22 frames, names the segments
    after the tunnels (vxlan-100, ...) or as chosen, and finds the seed
    incident."""
    display, sel, auto = KINDS[kind]
    recs = seed_records()
    if sel is None:
        files = {}
        for side in IDS:
            files[side] = write_records(tmp_path / ("%s.pcap" % side), [
                (ts, encapsulate(kind, fr, 0)) for ts, s, fr in recs if s == side])
        for side, f in files.items():
            assert tshark_count(f, display) == (12 if side == "inside" else 10)
        assert sum(tshark_count(f, "sip") for f in files.values()) == seed_sip_count()
        r, out = analyze_json(probe, *("%s=%s" % kv for kv in files.items()))
        b = assert_seed(r, out, kind)
        assert set(b["segments"]) == {"inside", "dmz"}
        rep = probe.run("analyze", *("%s=%s" % kv for kv in files.items()))
        assert "22 frames decapsulated from %s" % kind in rep.stdout, rep.describe()
        return
    f = write_records(tmp_path / ("%s.pcap" % kind),
                      [(ts, encapsulate(kind, fr, IDS[s])) for ts, s, fr in recs])
    assert tshark_count(f, display) == 22
    assert tshark_count(f, "sip") == seed_sip_count()
    r, out = analyze_json(probe, f)
    b = assert_seed(r, out, kind)
    assert set(b["segments"]) == {auto % 100, auto % 200}, b
    r, out = analyze_json(probe, "c=%s#%s" % (f, sel % 100), "e=%s#%s" % (f, sel % 200))
    b = assert_seed(r, out, kind + " chosen")
    assert set(b["segments"]) == {"c", "e"}, b
    rep = probe.run("analyze", f)
    enc = "gre" if kind.startswith("gre") else kind
    assert "22 frames decapsulated from %s" % enc in rep.stdout, rep.describe()
    assert report_frames(rep.stdout) == {(auto % 100, f.name): 12, (auto % 200, f.name): 10}


def test_tunnels_merged_under_one_name_warn(probe, tmp_path):
    """Steps: the VXLAN capture of both sides given as mirror=FILE.
    Verifies: it is read (exit 0) but not silently: one warning line says two
    tunnels (vni=100, vni=200) were read as one wire and how to name them
    apart."""
    f = write_records(tmp_path / "vx.pcap", [(ts, encapsulate("vxlan", fr, IDS[s]))
                                             for ts, s, fr in seed_records()])
    r = probe.run("analyze", "mirror=%s" % f)
    assert r.rc == 0, r.describe()
    warn = [x for x in r.stderr_lines() if "tunnels" in x]
    assert len(warn) == 1 and "vni=100" in warn[0] and "vni=200" in warn[0], r.describe()


def test_tunnel_headers_not_understood(probe, tmp_path):
    """Steps: VXLAN frames without the I flag and ERSPAN II frames of version
    2 (scapy), then analyze.
    Verifies: exit 0; they are counted as headers not understood, in one
    warning line per encapsulation, and inspected as the outer frames."""
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import GRE, Ether
    t0 = 1461049753 * 10**9
    bad_vx = bytes(Ether() / IP(src="192.0.2.1", dst="192.0.2.2") / UDP(dport=4789) /
                   (b"\x00" * 8 + bytes(Ether())))
    bad_es = bytes(Ether() / IP(src="192.0.2.1", dst="192.0.2.2") /
                   GRE(seqnum_present=1, proto=0x88be) / (b"\x20\x00\x00\x01" + b"\x00" * 4))
    f = write_records(tmp_path / "bad.pcap", [(t0, bad_vx), (t0 + 1000, bad_es)])
    r = probe.run("analyze", f)
    assert r.rc == 0, r.describe()
    assert "1 vxlan headers not understood" in r.stderr, r.describe()
    assert "1 erspan2 headers not understood" in r.stderr, r.describe()
    assert "frames     2 (udp 1, ip_other 1)" in r.stdout, r.describe()


def tunnel_config(tmp_path, rx, records, mapped=True):
    """A passive net_pcap port on segment mirror; tunnel segments inside, dmz."""
    segs = [("mirror", "passive", ["m"])]
    extra = ""
    if mapped:
        segs += [("inside", "tunnel", []), ("dmz", "tunnel", [])]
        extra = ("tunnels:\n  - match: vni=100\n    segment: inside\n"
                 "  - match: vni=200\n    segment: dmz\n")
    # the mirror port's frames carry the tunnel headers: mtu holds them
    text = config_text([("m", pcap_device(0, rx=rx))], segs, datapath={"mtu": 9000},
                       extra=extra)
    return text.replace('export:\n  metrics_listen: ""',
                        'export:\n  metrics_listen: ""\n  records_file: %s' % records)


def test_live_vxlan_tunnel_segments(probe, tmp_path):
    """Steps: natprobe run with a passive net_pcap port replaying the VXLAN
    capture of both seed sides, tunnels: vni=100 -> segment inside, vni=200 ->
    dmz (tunnel segments, no ports); then the same without tunnels:.
    Verifies: the records file holds the binding between inside and dmz and the
    seed incident; natprobe_tunnel_frames_total{segment=mirror,encap=vxlan} is
    22; the inside and dmz segments count 12 and 10 frames; unmapped, the 22
    frames are counted in natprobe_tunnel_unmapped_frames_total and inspected
    on mirror."""
    f = write_records(tmp_path / "vx.pcap", [(ts, encapsulate("vxlan", fr, IDS[s]))
                                             for ts, s, fr in seed_records()])
    rec = tmp_path / "records.jsonl"
    r = probe.run_config(tunnel_config(tmp_path, f, rec))
    assert r.rc == 0, r.describe()
    recs = [json.loads(x) for x in rec.read_text().splitlines()]
    b = assert_seed(r, recs, "live vxlan")
    assert set(b["segments"]) == {"inside", "dmz"}, b
    c = r.counters
    assert c.value("natprobe_tunnel_frames_total", segment="mirror", encap="vxlan") == 22
    assert c.value("natprobe_tunnel_unmapped_frames_total", segment="mirror", encap="vxlan") == 0
    assert c.value("natprobe_segment_packets_total", segment="inside") == 12
    assert c.value("natprobe_segment_packets_total", segment="dmz") == 10
    assert c.value("natprobe_segment_frames_total", segment="inside", **{"class": "tcp"}) == 12
    rec2 = tmp_path / "records2.jsonl"
    r = probe.run_config(tunnel_config(tmp_path, f, rec2, mapped=False), name="unmapped.yaml")
    assert r.rc == 0, r.describe()
    c = r.counters
    assert c.value("natprobe_tunnel_unmapped_frames_total", segment="mirror", encap="vxlan") == 22
    assert c.value("natprobe_sip_requests_total", segment="mirror", method="SERVICE") >= 1


# --------------------------------------------------------------------------
# Encapsulated by the kernel
# --------------------------------------------------------------------------

KERNEL = {
    # kind: (ip link arguments per tunnel id, tcpdump filter, selector, display filter)
    "vxlan": (lambda tid, lo, re_, dev: ["type", "vxlan", "id", tid, "dstport", 4789, "local",
                                         lo, "remote", re_, "dev", dev],
              ["udp", "dst", "port", "4789"], "vni=%d", "vxlan"),
    "gretap": (lambda tid, lo, re_, dev: ["type", "gretap", "local", lo, "remote", re_, "key",
                                          tid],
               ["ip", "proto", "47"], "gre=%d", "gre"),
    "erspan2": (lambda tid, lo, re_, dev: ["type", "erspan", "local", lo, "remote", re_, "seq",
                                           "key", tid, "erspan_ver", 1, "erspan", tid],
                ["ip", "proto", "47"], "erspan=%d", "erspan"),
    "erspan3": (lambda tid, lo, re_, dev: ["type", "erspan", "local", lo, "remote", re_, "seq",
                                           "key", tid, "erspan_ver", 2, "erspan_dir", "ingress",
                                           "erspan_hwid", 7],
                ["ip", "proto", "47"], "erspan=%d", "erspan"),
}


@pytest.mark.parametrize("kind", list(KERNEL))
def test_kernel_tunnel(probe, tmp_path, kind):
    """Steps: namespaces m (the mirror source) and c (the probe), joined by an
    underlay veth (192.0.2.1 - 192.0.2.2); in m two KIND devices, id 100 and
    200, to c; the seed's inside frames are sent into the first, the dmz
    frames into the second, in time order (raw AF_PACKET sockets); tcpdump
    in c captures the outer frames; analyze them without SEG= and with the
    tunnels chosen.
    Verifies: tshark decodes the 22 outer frames as KIND and finds the seed's
    SIP inside; natprobe finds the seed incident both ways. Skipped when the
    kernel cannot make KIND devices."""
    why = can_netns()
    if why:
        pytest.skip(why)
    args_of, bpf, sel, display = KERNEL[kind]
    lab = Netns()
    try:
        m, c = lab.ns("m"), lab.ns("c")
        um, uc = lab.ifname("um"), lab.ifname("uc")
        lab.veth(m, um, c, uc)
        for ns, ifn, addr in ((m, um, "192.0.2.1"), (c, uc, "192.0.2.2")):
            lab.sh(ns, "ip", "link", "set", ifn, "mtu", 9000)
            lab.sh(ns, "ip", "addr", "add", addr + "/24", "dev", ifn)
            lab.sh(ns, "ip", "link", "set", ifn, "up")
        tun = {}
        for side, tid in IDS.items():
            name = lab.ifname("t%d" % tid)
            r = lab.sh(m, "ip", "link", "add", name, *args_of(tid, "192.0.2.1", "192.0.2.2", um),
                       check=False)
            if r.returncode != 0:
                if "Unknown device type" in r.stderr or "not supported" in r.stderr.lower():
                    pytest.skip("this kernel cannot make %s devices: %s" % (kind,
                                                                            r.stderr.strip()))
                raise AssertionError(r.stderr)
            lab.sh(m, "ip", "link", "set", name, "mtu", 8800)
            lab.sh(m, "ip", "link", "set", name, "up")
            tun[side] = name
        lab.sh(m, "ip", "neigh", "replace", "192.0.2.2", "lladdr",
               lab.sh(c, "cat", "/sys/class/net/%s/address" % uc).stdout.strip(), "dev", um)
        out = tmp_path / ("%s.pcap" % kind)
        td = lab.tcpdump(c, uc, out, 22, bpf)
        send_frames(lab, m, [(tun[s], fr) for _ts, s, fr in seed_records()], tmp_path)
        rc, _o, err = lab.wait(td, 10)
        assert out.exists(), err
    finally:
        lab.down()
    assert tshark_count(out, display) == 22, run(need("tshark"), "-r", out).stdout
    assert tshark_count(out, "sip") == seed_sip_count()
    r, recs = analyze_json(probe, out)
    assert_seed(r, recs, "kernel " + kind)
    r, recs = analyze_json(probe, "inside=%s#%s" % (out, sel % 100),
                           "dmz=%s#%s" % (out, sel % 200))
    b = assert_seed(r, recs, "kernel %s chosen" % kind)
    assert set(b["segments"]) == {"inside", "dmz"}, b


def test_kernel_vxlan_config_mapping(probe, tmp_path):
    """Steps: the scapy VXLAN capture analysed with -c CONFIG whose tunnels:
    map vni=100 to segment inside and vni=200 to dmz.
    Verifies: the binding names inside and dmz: offline reading follows the
    same mapping as run."""
    f = write_records(tmp_path / "vx.pcap", [(ts, encapsulate("vxlan", fr, IDS[s]))
                                             for ts, s, fr in seed_records()])
    cfg = probe.config(tunnel_config(tmp_path, f, tmp_path / "unused.jsonl"))
    r, recs = analyze_json(probe, "-c", cfg, f)
    b = assert_seed(r, recs, "config mapping")
    assert set(b["segments"]) == {"inside", "dmz"}, b


def test_tunnel_counters_documented(probe):
    """Steps: natprobe list-counters.
    Verifies: the tunnel families are listed with their labels."""
    r = probe.run("list-counters")
    for fam in ("natprobe_tunnel_frames_total", "natprobe_tunnel_unmapped_frames_total",
                "natprobe_tunnel_errors_total"):
        assert "`%s` | counter | segment, encap |" % fam in r.stdout, r.stdout
