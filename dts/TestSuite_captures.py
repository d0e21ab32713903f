# SPDX-License-Identifier: BSD-3-Clause
"""Every form in which someone hands over captures (docs/offline.md).

The seed's two captures (tests/fixtures/scenarios/seed_misroute) are turned,
with the tools people use, into what an operator receives: captures taken on
a host that offloads checksums (IPv4 header checksum 0x0000), one pcapng of
both firewall interfaces (text2pcap -N and mergecap; dumpcap on two veths),
standard input, a FIFO, gzip and zstd, rotated chunks (editcap -c, the names
dumpcap's ring buffer writes), the two directions of a TAP as two files, a
time window and a BPF filter. Each must still give the seed incident
(nat_reflection_misroute), and a mistake (two wires under one name, a part
that does not exist) a one-line error. The real-world capture
sip-body-large.pcap (../shared/corpus) must give tshark's INVITE.
"""

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from capture_tools import (PY, SEED, Netns, analyze_json, can_netns, incidents, need,
                           read_records, report_frames, run, seed_records, text2pcapng,
                           tshark_count, tshark_fields, types_of, write_records)
from conftest import REPO_ROOT, config_text, pcap_device

CORPUS_LARGE = (REPO_ROOT / ".." / "shared" / "corpus" / "real-sip" /
                "sip-body-large-sip-body-large.pcap")
INSIDE, DMZ = SEED / "inside.pcap", SEED / "dmz.pcap"
SEED_TYPES = {"hairpin_snat", "translated_route", "phantom_connect", "sip_timeout",
              "nat_reflection_misroute"}


def assert_seed(r, recs, what):
    assert r.rc == 0, "%s\n%s" % (what, r.describe())
    got = types_of(recs)
    assert SEED_TYPES <= got, "%s: %s" % (what, sorted(got))
    assert len(incidents(recs)) == 1, "%s: %s" % (what, incidents(recs))
    bindings = [x for x in recs if x["kind"] == "binding"]
    assert len(bindings) == 1, "%s: %d bindings %s" % (what, len(bindings), bindings)
    return bindings[0]


# --------------------------------------------------------------------------
# Checksums
# --------------------------------------------------------------------------

def zero_checksums(src, dst):
    """src with every IPv4 header checksum set to 0 (scapy), as an offloading host writes."""
    from scapy.layers.inet import IP
    from scapy.layers.l2 import Ether
    out = []
    for ts, fr in read_records(src):
        p = Ether(fr)
        p[IP].chksum = 0
        out.append((ts, bytes(p)))
    return write_records(dst, out)


def test_seed_zero_ip_checksums(probe, tmp_path):
    """Steps: rewrite both seed captures with IPv4 header checksums 0 (scapy);
    tshark confirms every checksum is 0 and wrong; analyze them (default
    --ip-checksum auto), then with --ip-checksum yes and no.
    Verifies: auto and no give the seed incident; the auto report says
    checksum offloading was seen and counts the 22 frames; yes gives no
    incident and classes the 22 frames bad_checksum."""
    a, b = zero_checksums(INSIDE, tmp_path / "inside.pcap"), zero_checksums(DMZ,
                                                                             tmp_path / "dmz.pcap")
    for f in (a, b):
        sums = tshark_fields(f, "ip.checksum", "ip.checksum.status", display="ip")
        assert sums and all(s[0] == "0x0000" for s in sums), sums[:3]
    args = ["inside=%s" % a, "dmz=%s" % b]
    r, recs = analyze_json(probe, *args)
    assert_seed(r, recs, "zero checksums, auto")
    assert "22 frames with a zero IPv4 header checksum" in r.stderr, r.describe()
    rep = probe.run("analyze", *args)
    assert "checksum offloading seen" in rep.stdout and "22 frames" in rep.stdout, rep.describe()
    r, recs = analyze_json(probe, "--ip-checksum", "no", *args)
    assert_seed(r, recs, "zero checksums, no")
    rep = probe.run("analyze", "--ip-checksum", "yes", *args)
    assert rep.rc == 0 and "== Incidents: 0" in rep.stdout, rep.describe()
    assert "bad_checksum 22" in rep.stdout, rep.describe()
    bad = probe.run("analyze", "--ip-checksum", "maybe", *args)
    assert bad.rc == 2 and len(bad.stderr_lines()) == 1 and "auto, yes or no" in bad.stderr


def test_live_zero_ip_checksums(probe, tmp_path):
    """Steps: natprobe run replaying the zero-checksum seed captures on two
    passive net_pcap ports, with datapath.ip_checksum auto (the default), then
    yes.
    Verifies: auto inspects them (the seed incident is written) and counts the
    22 frames in natprobe_segment_ipv4_checksum_zero_total (12 inside, 10 dmz);
    yes classes them bad_checksum and raises nothing."""
    a, b = zero_checksums(INSIDE, tmp_path / "inside.pcap"), zero_checksums(DMZ,
                                                                             tmp_path / "dmz.pcap")
    for mode in ("auto", "yes"):
        rec = tmp_path / ("rec-%s.jsonl" % mode)
        text = config_text([("a", pcap_device(0, rx=a)), ("b", pcap_device(1, rx=b))],
                           [("inside", "passive", ["a"]), ("dmz", "passive", ["b"])],
                           datapath={"ip_checksum": mode})
        text = text.replace('export:\n  metrics_listen: ""',
                            'export:\n  metrics_listen: ""\n  records_file: %s' % rec)
        r = probe.run_config(text, name="%s.yaml" % mode)
        assert r.rc == 0, r.describe()
        c = r.counters
        import json
        recs = [json.loads(x) for x in rec.read_text().splitlines()] if rec.exists() else []
        if mode == "auto":
            assert "nat_reflection_misroute" in types_of(recs), recs
            assert c.value("natprobe_segment_ipv4_checksum_zero_total", segment="inside") == 12
            assert c.value("natprobe_segment_ipv4_checksum_zero_total", segment="dmz") == 10
        else:
            assert types_of(recs) == set(), recs
            assert c.value("natprobe_segment_frames_total", segment="inside",
                           **{"class": "bad_checksum"}) == 12
            assert c.value("natprobe_segment_ipv4_checksum_zero_total", segment="inside") == 0


def test_corpus_sip_body_large(probe):
    """Steps: dump-sip --json on Suricata-Verify's sip-body-large.pcap (BSD
    loopback, IPv4 checksums 0, one INVITE with a 64 KiB body in 16 KB TCP
    segments) and tshark on the same file; again with --ip-checksum yes.
    Verifies: natprobe gives tshark's messages (INVITE then 100 Trying): method
    or status, Call-ID, CSeq, Via, Content-Length, and the flow; with
    --ip-checksum yes it gives none."""
    if not CORPUS_LARGE.is_file():
        pytest.skip("corpus capture not found at %s (../shared/corpus, beside the "
                    "repository)" % CORPUS_LARGE.resolve())
    r = probe.run("dump-sip", "--json", CORPUS_LARGE)
    assert r.rc == 0, r.describe()
    import json
    got = [json.loads(x) for x in r.stdout.splitlines()]
    want = tshark_fields(CORPUS_LARGE, "sip.Method", "sip.Status-Code", "sip.Call-ID",
                         "sip.CSeq", "sip.Via", "sip.Content-Length", "tcp.srcport",
                         display="sip")
    assert len(got) == len(want) == 2, (got, want)
    for g, (meth, status, cid, cseq, via, clen, sport) in zip(got, want):
        assert (g["method"] or "") == meth and str(g["status"] or "") == status, (g, meth)
        assert g["call_id"] == cid and g["cseq"] == cseq, g
        assert g["via"] == [via] and str(g["content_length"]) == clen, g
        assert g["flow"]["src"] == "127.0.0.1:%s" % sport, g
    assert got[0]["method"] == "INVITE" and got[0]["content_length"] == 65536
    r = probe.run("dump-sip", "--json", "--ip-checksum", "yes", CORPUS_LARGE)
    assert r.rc == 0 and r.stdout == "", r.describe()


# --------------------------------------------------------------------------
# pcapng interfaces
# --------------------------------------------------------------------------

def two_interface_pcapng(tmp_path, name_a="inside", name_b="dmz"):
    """The seed's two sides as one pcapng: text2pcap -N per side, then mergecap."""
    a = text2pcapng(read_records(INSIDE), tmp_path / "a.pcapng", name_a)
    b = text2pcapng(read_records(DMZ), tmp_path / "b.pcapng", name_b)
    out = tmp_path / "fw.pcapng"
    run(need("mergecap"), "-w", out, a, b)
    return out


def test_pcapng_two_interfaces(probe, tmp_path):
    """Steps: the seed's sides as one two-interface pcapng (text2pcap -N inside /
    -N dmz, mergecap); analyze it alone; analyze it with each interface chosen
    and renamed (c=FILE#inside e=FILE#1); report mode.
    Verifies: capinfos sees two interfaces; alone, the segments are named
    inside and dmz after the interfaces, with tshark's frame count per
    interface, and the seed incident is found; chosen and renamed, the binding
    names c and e."""
    f = two_interface_pcapng(tmp_path)
    info = run(need("capinfos"), f).stdout
    assert "Number of interfaces in file: 2" in info, info
    per_if = tshark_fields(f, "frame.interface_id")
    want = {"inside": sum(1 for x in per_if if x[0] == "0"),
            "dmz": sum(1 for x in per_if if x[0] == "1")}
    r, recs = analyze_json(probe, f)
    b = assert_seed(r, recs, "two-interface pcapng")
    assert set(b["segments"]) == {"inside", "dmz"}, b
    rep = probe.run("analyze", f)
    got = report_frames(rep.stdout)
    assert got == {("inside", "fw.pcapng"): want["inside"],
                   ("dmz", "fw.pcapng"): want["dmz"]}, rep.stdout
    r, recs = analyze_json(probe, "c=%s#inside" % f, "e=%s#1" % f)
    b = assert_seed(r, recs, "interfaces chosen")
    assert set(b["segments"]) == {"c", "e"}, b


def test_pcapng_interfaces_mistakes(probe, tmp_path):
    """Steps: analyze the two-interface pcapng under one SEG=, with an
    interface it does not have, with an interface chosen twice; then a
    mergecap -I none of two pcapngs without interface names (editcap -F pcapng).
    Verifies: the first three exit 2 with one line naming the file's
    interfaces; the unnamed file (mergecap -I none: by default mergecap
    itself merges identical interface descriptions, and the two sides with
    them) is not merged silently: one warning line says
    its interfaces cannot be told apart, they become two segments (FILE-if0,
    FILE-if1), and the seed incident is still found."""
    f = two_interface_pcapng(tmp_path)
    for args, frag in ((["x=%s" % f], "holds 2 interfaces (0 inside, 1 dmz)"),
                       (["x=%s#eth9" % f], "no interface 'eth9'"),
                       (["x=%s#5" % f], "no interface 5"),
                       (["x=%s#0" % f, "y=%s#inside" % f], "selected twice")):
        r = probe.run("analyze", *args)
        assert r.rc == 2 and r.stdout == "", r.describe()
        assert len(r.stderr_lines()) == 1 and frag in r.stderr, r.describe()
    a, b = tmp_path / "a.pcapng", tmp_path / "b.pcapng"
    run(need("editcap"), "-F", "pcapng", INSIDE, a)
    run(need("editcap"), "-F", "pcapng", DMZ, b)
    m = tmp_path / "both.pcapng"
    run(need("mergecap"), "-I", "none", "-w", m, a, b)
    r, recs = analyze_json(probe, m)
    bnd = assert_seed(r, recs, "unnamed interfaces")
    assert set(bnd["segments"]) == {"both-if0", "both-if1"}, bnd
    warn = [x for x in r.stderr_lines() if "cannot be told apart" in x]
    assert len(warn) == 1 and "SEG=%s#0" % m in warn[0], r.describe()


def test_pcapng_by_dumpcap_on_two_veths(probe, tmp_path):
    """Steps: two veth pairs in a namespace; dumpcap -i on both ends of the
    pair (one interface per firewall side) writes one pcapng while the seed's
    frames are sent on the other ends (inside frames on one pair, dmz frames
    on the other, in time order); analyze that file alone.
    Verifies: the file holds two interfaces named after the veths; natprobe
    names the segments after them and finds the seed incident."""
    why = can_netns()
    if why:
        pytest.skip(why)
    need("dumpcap")
    lab = Netns()
    try:
        ns = lab.ns("d")
        lab.sh(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
        lab.sh(ns, "sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1")
        ifs = {side: (lab.ifname(side[0] + "s"), lab.ifname(side[0] + "c"))
               for side in ("inside", "dmz")}
        for s, c in ifs.values():
            lab.veth(ns, s, ns, c)
            for i in (s, c):
                lab.sh(ns, "ip", "link", "set", i, "up")
        out = tmp_path / "fw.pcapng"
        p = lab.spawn(ns, [need("dumpcap"), "-q", "-i", ifs["inside"][1], "-i",
                           ifs["dmz"][1], "-f", "ip", "-c", "22", "-w", out])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (out.exists() and out.stat().st_size > 0):
            time.sleep(0.1)
        time.sleep(1.0)
        frames = [(ifs[side][0], fr) for _ts, side, fr in seed_records()]
        from capture_tools import send_frames
        send_frames(lab, ns, frames, tmp_path)
        rc, _o, err = lab.wait(p, 15)
        assert out.exists(), err
        names = {x[0] for x in tshark_fields(out, "frame.interface_name")}
        assert names == {ifs["inside"][1], ifs["dmz"][1]}, (names, err)
        r, recs = analyze_json(probe, out)
        b = assert_seed(r, recs, "dumpcap")
        assert set(b["segments"]) == {ifs["inside"][1], ifs["dmz"][1]}, b
    finally:
        lab.down()


# --------------------------------------------------------------------------
# Streams: stdin, FIFO, gzip, zstd
# --------------------------------------------------------------------------

def test_stdin_fifo_gzip_zstd(probe, tmp_path, natprobe_bin):
    """Steps: the dmz capture on standard input (dmz=-) from a pipe, the
    inside one gzip-compressed; then the inside capture zstd-compressed and
    the dmz one through a FIFO written by another process after natprobe
    started; then both compressed and fed through FIFOs.
    Verifies: each run exits 0 within the time-out (no hang) and gives the seed
    incident; the report lists standard input and the FIFO."""
    gz = tmp_path / "inside.pcap.gz"
    gz.write_bytes(subprocess.run([need("gzip"), "-c", str(INSIDE)], stdout=subprocess.PIPE,
                                  check=True, timeout=30).stdout)
    zs = tmp_path / "dmz.pcap.zst"
    run(need("zstd"), "-q", "-f", DMZ, "-o", zs)
    zi = tmp_path / "inside.pcap.zst"
    run(need("zstd"), "-q", "-f", INSIDE, "-o", zi)
    # stdin from a pipe
    cat = subprocess.Popen(["cat", str(DMZ)], stdout=subprocess.PIPE)
    p = subprocess.run([str(natprobe_bin), "analyze", "--json", "inside=%s" % gz, "dmz=-"],
                       stdin=cat.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=30)
    cat.wait(timeout=10)
    import json
    recs = [json.loads(x) for x in p.stdout.splitlines()]
    assert p.returncode == 0 and len(incidents(recs)) == 1, p.stderr
    # FIFOs, written after natprobe opened them
    for inside, dmz in ((zi, DMZ), (zi, zs)):
        fifos = []
        for n, src in (("in", inside), ("dmz", dmz)):
            fifo = tmp_path / ("%s.fifo%d" % (n, len(list(tmp_path.iterdir()))))
            os.mkfifo(fifo)
            fifos.append((fifo, src))

        def writer(fifo, src):
            with open(fifo, "wb") as w:
                w.write(Path(src).read_bytes())
        threads = [threading.Thread(target=writer, args=fs, daemon=True) for fs in fifos]
        for t in threads:
            t.start()
        r = probe.run("analyze", "inside=%s" % fifos[0][0], "dmz=%s" % fifos[1][0])
        for t in threads:
            t.join(timeout=10)
        assert r.rc == 0 and "== Incidents: 1" in r.stdout, r.describe()
        got = report_frames(r.stdout)
        assert got == {("inside", fifos[0][0].name): 12, ("dmz", fifos[1][0].name): 10}, got


def test_corrupt_compressed_capture(probe, tmp_path):
    """Steps: a gzip capture cut in half; a zstd file whose data is damaged.
    Verifies: each is analysed as far as it goes, with one warning line naming
    the file and the compression, never a crash or a hang."""
    data = subprocess.run(["gzip", "-c", str(INSIDE)], stdout=subprocess.PIPE,
                          check=True).stdout
    cut = tmp_path / "cut.pcap.gz"
    cut.write_bytes(data[:len(data) // 2])
    r = probe.run("analyze", "inside=%s" % cut)
    assert r.rc == 0, r.describe()
    assert len(r.stderr_lines()) == 1 and "gzip" in r.stderr and "cut.pcap.gz" in r.stderr, \
        r.describe()
    zs = tmp_path / "bad.pcap.zst"
    run(need("zstd"), "-q", "-f", INSIDE, "-o", zs)
    raw = bytearray(zs.read_bytes())
    for i in range(40, len(raw) - 8):
        raw[i] ^= 0x5a
    zs.write_bytes(bytes(raw))
    r = probe.run("analyze", "inside=%s" % zs)
    assert r.rc in (0, 2) and "zstd" in r.stderr and len(r.stderr_lines()) == 1, r.describe()


# --------------------------------------------------------------------------
# Several files per segment: rotation, TAP directions, mistakes
# --------------------------------------------------------------------------

def chunks(src, tmp, stem, n):
    """editcap -c n src into tmp/stem_NNNNN_YYYYMMDDhhmmss.pcap (dumpcap's ring names)."""
    run(need("editcap"), "-c", n, src, tmp / ("%s.pcap" % stem))
    return sorted(tmp.glob("%s_*.pcap" % stem))


def test_rotated_chunks(probe, tmp_path):
    """Steps: editcap -c 4 splits each seed capture into chunks named as
    dumpcap's ring buffer names them (in_00000_20160419070913.pcap, ...);
    analyze every chunk given without SEG= (the shell's glob); then with SEG=
    and a quoted glob that natprobe expands; then tcpdump -C style names
    (in, in1, in2) given without SEG=.
    Verifies: the chunks of a side are one segment (in, dmz), so exactly one
    binding is learned, not one per chunk pair, and the seed incident is found;
    every frame is read."""
    d = tmp_path / "rot"
    d.mkdir()
    ins, dmz = chunks(INSIDE, d, "in", 4), chunks(DMZ, d, "dmz", 4)
    assert len(ins) == 3 and len(dmz) == 3, (ins, dmz)
    r, recs = analyze_json(probe, *(ins + dmz))
    b = assert_seed(r, recs, "rotated chunks, no SEG=")
    assert set(b["segments"]) == {"in", "dmz"}, b
    r, recs = analyze_json(probe, "inside=%s/in_*.pcap" % d, "dmz=%s/dmz_*" % d)
    assert_seed(r, recs, "SEG= and a glob")
    t = tmp_path / "tcpdump"
    t.mkdir()
    for i, f in enumerate(ins):
        shutil.copy(f, t / ("inside%s" % (i or "")))
    for i, f in enumerate(dmz):
        shutil.copy(f, t / ("dmz%s" % (i or "")))
    r, recs = analyze_json(probe, *sorted(t.iterdir()))
    b = assert_seed(r, recs, "tcpdump -C names")
    assert set(b["segments"]) == {"inside", "dmz"}, b
    rep = probe.run("analyze", *(ins + dmz))
    assert sum(report_frames(rep.stdout).values()) == 22, rep.stdout


def test_many_inputs(probe, tmp_path):
    """Steps: editcap -c 1 splits the seed into 22 one-frame files (more than
    the 16 inputs natprobe once took); analyze them with two globs; then a
    1,000-frame UDP capture (scapy) split into 1,000 one-frame files, all one
    segment.
    Verifies: the seed incident from the 22 files; the 1,000 files give 1,000
    frames, exit 0, no warning."""
    d = tmp_path / "one"
    d.mkdir()
    chunks(INSIDE, d, "in", 1)
    chunks(DMZ, d, "dmz", 1)
    assert len(list(d.iterdir())) == 22
    r, recs = analyze_json(probe, "inside=%s/in_*" % d, "dmz=%s/dmz_*" % d)
    assert_seed(r, recs, "22 one-frame files")
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    big = tmp_path / "udp.pcap"
    t0 = 1461049753 * 10**9
    write_records(big, [(t0 + i * 10**6, bytes(Ether() / IP(src="10.0.0.1", dst="10.0.0.2") /
                                               UDP(sport=40000 + i % 100, dport=9) / b"x"))
                        for i in range(1000)])
    m = tmp_path / "many"
    m.mkdir()
    run(need("editcap"), "-c", 1, big, m / "u.pcap")
    assert len(list(m.iterdir())) == 1000
    r = probe.run("analyze", "all=%s/u_*" % m, timeout=120)
    assert r.rc == 0 and "frames     1000 (udp 1000)" in r.stdout, r.describe()
    assert r.stderr_lines() == [], r.describe()


def test_two_wires_under_one_name(probe, tmp_path):
    """Steps: analyze inside=c.pcap inside=e.pcap (the seed's two sides under
    one name), and the same file twice; then the inside capture split by
    direction with tshark (a TAP's two monitor ports) as inside=dir1
    inside=dir2 with the dmz capture.
    Verifies: the first two exit 2 with one line naming both files; the TAP
    directions are read as one wire and the seed incident is found."""
    r = probe.run("analyze", "--json", "inside=%s" % INSIDE, "inside=%s" % DMZ)
    assert r.rc == 2 and len(r.stderr_lines()) == 1, r.describe()
    assert "inside.pcap" in r.stderr and "dmz.pcap" in r.stderr and "two wires" in r.stderr
    assert '"incident"' not in r.stdout
    r = probe.run("analyze", "inside=%s" % INSIDE, "dmz=%s" % INSIDE)
    assert r.rc == 2 and len(r.stderr_lines()) == 1 and "twice" in r.stderr, r.describe()
    d1, d2 = tmp_path / "c2fw.pcap", tmp_path / "fw2c.pcap"
    run(need("tshark"), "-r", INSIDE, "-Y", "ip.src == 10.0.30.2", "-w", d1, "-F", "pcap")
    run(need("tshark"), "-r", INSIDE, "-Y", "ip.src != 10.0.30.2", "-w", d2, "-F", "pcap")
    assert tshark_count(d1, "ip") + tshark_count(d2, "ip") == 12
    r, recs = analyze_json(probe, "inside=%s" % d1, "inside=%s" % d2, "dmz=%s" % DMZ)
    assert_seed(r, recs, "TAP directions")


# --------------------------------------------------------------------------
# Time window and filter
# --------------------------------------------------------------------------

def test_time_window_and_filter(probe):
    """Steps: analyze the seed with --from/--to around its middle, with
    --filter 'tcp port 7003', with a window past its end, and with a bad
    filter and a bad time.
    Verifies: the frames read equal tshark's count for the same window and
    filter; the filter leaves out the refused connection (no
    phantom_connect); past the end nothing is read; the bad values exit 2
    with one line."""
    args = ["inside=%s" % INSIDE, "dmz=%s" % DMZ]
    ts = sorted(float(x[0]) for f in (INSIDE, DMZ) for x in tshark_fields(f, "frame.time_epoch"))
    lo, hi = ts[5], ts[15]
    want = sum(tshark_count(f, "frame.time_epoch >= %.9f && frame.time_epoch <= %.9f"
                            % (lo, hi)) for f in (INSIDE, DMZ))
    r = probe.run("analyze", "--from", "%.9f" % lo, "--to", "%.9f" % hi, *args)
    assert r.rc == 0 and "frames     %d " % want in r.stdout, (want, r.describe())
    iso = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(lo))) + ".%06dZ" % round(
        (lo % 1) * 1e6)
    r2 = probe.run("analyze", "--from", iso, "--to", "%.9f" % hi, *args)
    assert "frames     %d " % want in r2.stdout, r2.describe()
    keep = sum(tshark_count(f, "tcp.port == 7003") for f in (INSIDE, DMZ))
    r, recs = analyze_json(probe, "--filter", "tcp port 7003", *args)
    assert r.rc == 0 and "phantom_connect" not in types_of(recs), r.describe()
    rep = probe.run("analyze", "--filter", "tcp port 7003", *args)
    assert "frames     %d " % keep in rep.stdout, rep.describe()
    assert "filter     %d frames did not match" % (22 - keep) in rep.stdout
    r = probe.run("analyze", "--from", "%.0f" % (ts[-1] + 10), *args)
    assert r.rc == 0 and "frames     0 " in r.stdout, r.describe()
    for bad, frag in ((["--filter", "tcp port"], "--filter"), (["--from", "yesterday"], "--from"),
                      (["--from", "%.0f" % hi, "--to", "%.0f" % lo], "--to")):
        r = probe.run("analyze", *bad, *args)
        assert r.rc == 2 and len(r.stderr_lines()) == 1 and frag in r.stderr, r.describe()


# --------------------------------------------------------------------------
# Large frames: GSO / TSO on veths, tcpdump -i any
# --------------------------------------------------------------------------

BIG_SIP = r"""
import socket, sys
role, addr = sys.argv[1], sys.argv[2]
host, port = addr.rsplit(":", 1)
if role == "server":
    ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((host, int(port))); ls.listen(1); ls.settimeout(10)
    print("listening", flush=True)
    c, _ = ls.accept(); c.settimeout(10); n = 0
    while True:
        b = c.recv(65536)
        if not b: break
        n += len(b)
    print(n, flush=True)
else:
    body = ("v=0\r\no=- 1 1 IN IP4 10.0.40.1\r\ns=-\r\nc=IN IP4 10.0.40.1\r\nt=0 0\r\n"
            "m=audio 4000 RTP/AVP 0\r\n" + "a=x-pad:" + "p" * 30000 + "\r\n").encode()
    hdr = ("INVITE sip:bob@10.0.40.2 SIP/2.0\r\n"
           "Via: SIP/2.0/TCP 10.0.40.1:5060;branch=z9hG4bKgso1\r\n"
           "From: <sip:alice@10.0.40.1>;tag=a1\r\nTo: <sip:bob@10.0.40.2>\r\n"
           "Call-ID: gso-1@10.0.40.1\r\nCSeq: 1 INVITE\r\n"
           "Contact: <sip:alice@10.0.40.1:5060;transport=tcp>\r\n"
           "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n" % len(body)).encode()
    s = socket.socket(); s.settimeout(10); s.connect((host, int(port)))
    s.sendall(hdr + body); s.close()
    print(len(hdr) + len(body), flush=True)
"""


def test_gso_frames_tcpdump_any(probe, tmp_path):
    """Steps: a veth pair between two namespaces with TSO/GSO on (ethtool -k
    says so); tcpdump -i any in the sender's namespace; the sender writes a
    30 KB SIP INVITE over TCP in one call, which the stack hands to the veth as
    one GSO frame; dump-sip --json and tshark on the capture.
    Verifies: the capture holds frames longer than the 1500-byte MTU (so
    offloads were on); natprobe gives the INVITE, whole (its Content-Length,
    Call-ID and CSeq as tshark reads them), and tshark and natprobe agree on
    the message count."""
    why = can_netns()
    if why:
        pytest.skip(why)
    need("ethtool")
    lab = Netns()
    try:
        a, b = lab.ns("ga"), lab.ns("gb")
        ia, ib = lab.ifname("gva"), lab.ifname("gvb")
        lab.veth(a, ia, b, ib)
        lab.sh(a, "ip", "addr", "add", "10.0.40.1/24", "dev", ia)
        lab.sh(b, "ip", "addr", "add", "10.0.40.2/24", "dev", ib)
        lab.sh(a, "ip", "link", "set", ia, "up")
        lab.sh(b, "ip", "link", "set", ib, "up")
        lab.sh(a, "ethtool", "-K", ia, "tso", "on", "gso", "on", check=False)
        feats = lab.sh(a, "ethtool", "-k", ia).stdout
        assert "tcp-segmentation-offload: on" in feats, feats
        cap = tmp_path / "any.pcap"
        td = lab.tcpdump(a, "any", cap, bpf=["tcp", "port", "5060"])
        srv = lab.spawn(b, [PY, "-c", BIG_SIP, "server", "10.0.40.2:5060"])
        assert "listening" in srv.stdout.readline()
        cli = lab.spawn(a, [PY, "-c", BIG_SIP, "client", "10.0.40.2:5060"])
        rc, out, err = lab.wait(cli, 20)
        assert rc == 0, err
        rc, sout, err = lab.wait(srv, 20)
        assert rc == 0 and sout.split()[-1] == out.strip(), (sout, out, err)
        time.sleep(0.5)
        lab.wait(td, 0.1)
    finally:
        lab.down()
    lens = [int(x[0]) for x in tshark_fields(cap, "frame.len")]
    assert max(lens) > 1600, "no frame longer than the MTU: %s" % lens
    r = probe.run("dump-sip", "--json", cap)
    assert r.rc == 0, r.describe()
    import json
    got = [json.loads(x) for x in r.stdout.splitlines()]
    want = tshark_fields(cap, "sip.Method", "sip.Call-ID", "sip.CSeq", "sip.Content-Length",
                         display="sip")
    assert len(got) == len(want) == 1, (got, want)
    g = got[0]
    assert g["method"] == "INVITE" == want[0][0] and g["call_id"] == want[0][1], g
    assert g["cseq"] == want[0][2] and str(g["content_length"]) == want[0][3], g
