# SPDX-License-Identifier: BSD-3-Clause
"""Evidence that can be handed on: frame references in records, a pcapng per
incident (analyze --evidence, and `run` beside its records file), and the
HTML page with a ladder per incident (analyze --html).

Everything is checked against real programs: tshark reads the captures natprobe
writes and the original captures the records point into; headless Chromium
(Debian's chromium) renders the page, with JavaScript disabled, into a DOM
and a screenshot. The seed scenario is checked in both forms the repository
has: the generated one (seed_misroute) and the one recorded from real
Kamailio servers through a real kernel NAT (kamailio_seed_tcp).
"""

import json
import os
import re
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from conftest import SCENARIOS, config_text, pcap_device, require_program

SEEDS = ["seed_misroute", "kamailio_seed_tcp"]
CHROMIUM_TIMEOUT_S = 90


def tshark_frames(path, *fields, display_filter=None):
    """[[field values]] of each frame of a capture, by tshark -T fields."""
    tshark = require_program("tshark")
    cmd = [tshark, "-r", str(path), "-T", "fields", "-E", "separator=\t", "-E",
           "occurrence=a", "-E", "aggregator=|"]
    if display_filter:
        cmd += ["-Y", display_filter]
    for f in fields:
        cmd += ["-e", f]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, "tshark cannot read %s: %s" % (path, r.stderr)
    return [line.split("\t") for line in r.stdout.splitlines()]


def tshark_raw(path):
    """[(interface name, comment, frame bytes)] of every frame, by tshark -T json -x."""
    tshark = require_program("tshark")
    r = subprocess.run([tshark, "-r", str(path), "-T", "json", "-x"], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, "tshark cannot read %s: %s" % (path, r.stderr)
    out = []
    for pkt in json.loads(r.stdout):
        layers = pkt["_source"]["layers"]
        frame = layers["frame"]
        name = frame.get("frame.interface_id_tree", {}).get("frame.interface_name")
        comment = layers.get("pkt_comment", {}).get("frame.comment")
        out.append((name, comment, bytes.fromhex(layers["frame_raw"][0])))
    return out


def analyze(probe, seed, *opts):
    d = SCENARIOS / seed
    return probe.run("analyze", *opts, "inside=%s" % (d / "inside.pcap"),
                     "dmz=%s" % (d / "dmz.pcap"))


def records(probe, seed):
    r = analyze(probe, seed, "--json")
    assert r.rc == 0, r.describe()
    return [json.loads(x) for x in r.stdout.splitlines()]


def incident_of(recs):
    inc = [x for x in recs if x["kind"] == "incident"]
    assert len(inc) == 1, recs
    return inc[0]


# --------------------------------------------------------------------------
# Frame references
# --------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_records_name_their_frames(probe, seed):
    """Steps: analyze --json on the seed's two captures; for every frame a
    record names, ask tshark what that frame of that input is.
    Verifies: every record names frames (segment, input file, frame number);
    translated_route's are the SERVICE on both sides, phantom_connect's the
    SYN to the translated address and the RST answering it, sip_timeout's the
    SERVICE and the 408, hairpin_snat's the traversal connection's SYN on each
    side, the incident's every one of them (as Wireshark numbers frames)."""
    recs = records(probe, seed)
    d = SCENARIOS / seed
    files = {"inside": d / "inside.pcap", "dmz": d / "dmz.pcap"}
    truth = {}
    for seg, path in files.items():
        for row in tshark_frames(path, "frame.number", "tcp.flags.syn", "tcp.flags.ack",
                                 "tcp.flags.reset", "sip.Method", "sip.Status-Code",
                                 "tcp.dstport"):
            truth[(seg, int(row[0]))] = row[1:]
    inc = incident_of(recs)
    for r in recs:
        assert r.get("frames"), "record %s names no frames: %s" % (r["id"], r)
        for f in r["frames"]:
            assert f["input"] == str(files[f["segment"]]), f
            assert (f["segment"], f["frame"]) in truth, f
    by_type = {r["type"]: r for r in recs}

    def kinds(rec):
        return [truth[(f["segment"], f["frame"])] for f in rec["frames"]]

    tr = by_type["translated_route"]
    assert {f["segment"] for f in tr["frames"]} == {"inside", "dmz"}
    assert all("SERVICE" in k[3].split("|") for k in kinds(tr))
    ph = kinds(by_type["phantom_connect"])
    assert any(k[0] == "1" and k[1] == "0" and k[5] == "4401" for k in ph), ph   # the SYN
    assert any(k[2] == "1" for k in ph), ph                                         # the RST
    to = kinds(by_type["sip_timeout"])
    assert any("408" in k[4].split("|") for k in to), to
    assert any("SERVICE" in k[3].split("|") for k in to), to
    hp = by_type["hairpin_snat"]
    assert {f["segment"] for f in hp["frames"]} == {"inside", "dmz"}
    assert all(k[0] == "1" and k[1] == "0" for k in kinds(hp))
    cited = {(f["segment"], f["frame"]) for r in recs if r["kind"] != "incident"
             for f in r["frames"]}
    assert {(f["segment"], f["frame"]) for f in inc["frames"]} == cited


# --------------------------------------------------------------------------
# analyze --evidence
# --------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_evidence_capture_holds_the_failing_exchange(probe, seed, tmp_path):
    """Steps: analyze --evidence DIR --json on the seed's captures; tshark on
    the pcapng written.
    Verifies: one file, DIR/incident-ID.pcapng, mode 0640; tshark reads it:
    two interfaces named inside and dmz, each with its input in the
    description; Wireshark finds (reassembled) the SERVICE on both sides, the
    SYN to the translated address and its RST, and the 408 on both sides;
    every frame is byte for byte the frame its comment names in the original
    capture; every cited frame's comment names each record citing it; the
    frames are in time order."""
    ev = tmp_path / "ev"
    ev.mkdir()
    r = analyze(probe, seed, "--json", "--evidence", str(ev))
    assert r.rc == 0, r.describe()
    recs = [json.loads(x) for x in r.stdout.splitlines()]
    inc = incident_of(recs)
    files = sorted(os.listdir(ev))
    assert files == ["incident-%d.pcapng" % inc["id"]], files
    cap = ev / files[0]
    assert (cap.stat().st_mode & 0o777) == 0o640
    d = SCENARIOS / seed
    inputs = {"inside": d / "inside.pcap", "dmz": d / "dmz.pcap"}

    rows = tshark_frames(cap, "frame.interface_name", "frame.interface_description",
                         "frame.time_epoch")
    assert {x[0] for x in rows} == {"inside", "dmz"}
    for name, descr, _ in rows:
        assert descr == "natprobe input %s" % inputs[name]
    times = [float(x[2]) for x in rows]
    assert times == sorted(times)
    for side in ("inside", "dmz"):
        svc = tshark_frames(cap, "frame.interface_name", display_filter='sip.Method == "SERVICE"')
        assert side in {x[0] for x in svc}, "no SERVICE on %s" % side
        t408 = tshark_frames(cap, "frame.interface_name", display_filter="sip.Status-Code == 408")
        assert side in {x[0] for x in t408}, "no 408 on %s" % side
    syn = tshark_frames(cap, "frame.interface_name", display_filter=
                        "tcp.flags.syn == 1 && tcp.flags.ack == 0 && tcp.dstport == 4401 && "
                        "ip.src == %s" % inc["binding"]["inside"].split(":")[0])
    assert [x[0] for x in syn] == ["inside"]
    rst = tshark_frames(cap, "frame.interface_name", display_filter=
                        "tcp.flags.reset == 1 && tcp.srcport == 4401")
    assert [x[0] for x in rst] == ["inside"]

    raw = tshark_raw(cap)
    by_id = {x["id"]: x for x in recs}
    orig = {seg: {i + 1: fr for i, (_, fr) in enumerate(tshark_raw_pcap(path))}
            for seg, path in inputs.items()}
    for name, comment, data in raw:
        assert comment, "a frame without a comment"
        where = comment.rsplit("[", 1)[1].rstrip("]")
        path, n = where.rsplit(" frame ", 1)
        assert path == str(inputs[name]), comment
        assert orig[name][int(n)] == data, "frame %s of %s differs" % (n, path)
        citing = sorted(rid for rid, rec in by_id.items()
                        if {"segment": name, "input": path, "frame": int(n)} in rec.get("frames", [])
                        and (rid == inc["id"] or rid in inc["evidence"]))
        if citing:
            want = ", ".join("#%d %s" % (i, by_id[i]["type"]) for i in citing)
            assert comment == "%s [%s frame %s]" % (want, path, n), comment
        else:
            assert comment.startswith("context of #%d nat_reflection_misroute: same " %
                                      inc["id"]), comment
    cited = {(f["segment"], f["frame"]) for f in inc["frames"]}
    got = set()
    for name, comment, _ in raw:
        got.add((name, int(comment.rsplit(" frame ", 1)[1].rstrip("]"))))
    assert cited <= got, "cited frames missing from the capture: %s" % (cited - got)


def tshark_raw_pcap(path):
    """[(iface, frame bytes)] of an original capture, read by tshark."""
    return [(n, data) for n, _, data in tshark_raw(path)]


def test_evidence_errors(probe, tmp_path):
    """Steps: --evidence naming a missing directory, a file; --html in a missing
    directory; --evidence into a directory where the capture exists already.
    Verifies: exit 2 with one line for the bad arguments (nothing read); exit
    1 with one line naming the file when it exists, and the file is left as
    it was."""
    r = analyze(probe, "seed_misroute", "--evidence", str(tmp_path / "none"))
    assert r.rc == 2 and len(r.stderr_lines()) == 1 and "--evidence" in r.stderr, r.describe()
    f = tmp_path / "afile"
    f.write_text("x")
    r = analyze(probe, "seed_misroute", "--evidence", str(f))
    assert r.rc == 2 and "not a directory" in r.stderr, r.describe()
    r = analyze(probe, "seed_misroute", "--html", str(tmp_path / "none" / "r.html"))
    assert r.rc == 2 and len(r.stderr_lines()) == 1 and "--html" in r.stderr, r.describe()
    ev = tmp_path / "ev"
    ev.mkdir()
    (ev / "incident-6.pcapng").write_text("earlier run")
    r = analyze(probe, "seed_misroute", "--evidence", str(ev))
    assert r.rc == 1, r.describe()
    assert len(r.stderr_lines()) == 1 and "incident-6.pcapng" in r.stderr and \
        "exists" in r.stderr, r.describe()
    assert (ev / "incident-6.pcapng").read_text() == "earlier run"
    assert r.stdout.startswith("Verdict: 1 incident")


def test_no_evidence_history_refused(probe, tmp_path):
    """Steps: a config with evidence.history_frames: 0, analyze --evidence with it.
    Verifies: exit 2 and one line naming evidence.history_frames."""
    cfg = tmp_path / "c.yaml"
    cfg.write_text(config_text([("a", pcap_device(0))], [("inside", "passive", ["a"])]) +
                   "evidence:\n  history_frames: 0\n")
    r = analyze(probe, "seed_misroute", "-c", str(cfg), "--evidence", str(tmp_path))
    assert r.rc == 2 and len(r.stderr_lines()) == 1, r.describe()
    assert "evidence.history_frames" in r.stderr


# --------------------------------------------------------------------------
# run: the same evidence capture, live
# --------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEEDS)
def test_run_writes_the_same_evidence_capture(probe, tmp_path, seed):
    """Steps: natprobe run replaying the seed's captures on net_pcap ports (as
    config/seed-demo.yaml does), records_file in DIR; analyze --evidence on
    the same captures.
    Verifies: run writes DIR/incident-START-ID.pcapng (mode 0640) and logs it;
    tshark reads it; it holds the same frames (bytes), on the same interfaces,
    with the same comments as analyze's, but for the input names (the ports
    c_side and fw_dmz for the files); the records name the same frames; the
    evidence counters show one file, no loss."""
    d = SCENARIOS / seed
    live = tmp_path / "live"
    live.mkdir()
    rec = live / "records.jsonl"
    ports = [("c_side", pcap_device(0, rx=d / "inside.pcap", tx=tmp_path / "o0.pcap")),
             ("fw_inside", pcap_device(1, tx=tmp_path / "o1.pcap")),
             ("fw_dmz", pcap_device(2, rx=d / "dmz.pcap", tx=tmp_path / "o2.pcap")),
             ("e_side", pcap_device(3, tx=tmp_path / "o3.pcap"))]
    segs = [("inside", "inline", ["c_side", "fw_inside"]), ("dmz", "inline", ["fw_dmz", "e_side"])]
    text = config_text(ports, segs).replace(
        'export:\n  metrics_listen: ""', 'export:\n  metrics_listen: ""\n  records_file: %s' % rec)
    r = probe.run_config(text)
    assert r.rc == 0, r.describe()
    live_recs = [json.loads(x) for x in rec.read_text().splitlines()]
    inc = incident_of(live_recs)
    caps = [p for p in os.listdir(live) if p.endswith(".pcapng")]
    assert len(caps) == 1 and caps[0].startswith("incident-") and \
        caps[0].endswith("-%d.pcapng" % inc["id"]), caps
    cap = live / caps[0]
    assert (cap.stat().st_mode & 0o777) == 0o640
    assert caps[0] in r.stderr, r.describe()
    assert r.counters.value("natprobe_evidence_files_total") == 1
    assert r.counters.value("natprobe_evidence_frames_lost_total") == 0
    assert r.counters.value("natprobe_evidence_history_frames_total") > 0

    ev = tmp_path / "offline"
    ev.mkdir()
    a = analyze(probe, seed, "--json", "--evidence", str(ev))
    assert a.rc == 0, a.describe()
    off_recs = [json.loads(x) for x in a.stdout.splitlines()]
    names = {str(d / "inside.pcap"): "c_side", str(d / "dmz.pcap"): "fw_dmz"}

    def live_view(comment):
        for path, port in names.items():
            comment = comment.replace("[%s frame" % path, "[%s frame" % port)
        return comment

    got = sorted(tshark_raw(cap))
    want = sorted((n, live_view(c), data) for n, c, data in
                  tshark_raw(ev / ("incident-%d.pcapng" % incident_of(off_recs)["id"])))
    assert len(got) == len(want) and got == want
    # the records cite the same frames, live and offline
    for lr, orc in zip(live_recs, off_recs):
        assert lr["type"] == orc["type"] and lr["id"] == orc["id"]
        assert [(f["segment"], names[f["input"]], f["frame"]) for f in orc["frames"]] == \
            [(f["segment"], f["input"], f["frame"]) for f in lr["frames"]]


def test_run_without_records_file_keeps_no_history(probe, tmp_path):
    """Steps: run the seed replay with no records_file and no evidence.dir.
    Verifies: no history is kept (natprobe_evidence_history_bytes 0, no frames
    copied), the incident is still found, no capture is written anywhere."""
    d = SCENARIOS / "seed_misroute"
    ports = [("c_side", pcap_device(0, rx=d / "inside.pcap")),
             ("fw_dmz", pcap_device(1, rx=d / "dmz.pcap"))]
    segs = [("inside", "passive", ["c_side"]), ("dmz", "passive", ["fw_dmz"])]
    r = probe.run_config(config_text(ports, segs))
    assert r.rc == 0, r.describe()
    assert r.counters.value("natprobe_incidents_total", type="nat_reflection_misroute") == 1
    assert r.counters.value("natprobe_evidence_history_bytes") == 0
    assert r.counters.value("natprobe_evidence_history_frames_total") == 0
    assert r.counters.value("natprobe_evidence_files_total") == 0


def test_run_evidence_dir(probe, tmp_path):
    """Steps: run the seed replay with evidence.dir set (no records file);
    then with evidence.dir a symbolic link, and a relative path.
    Verifies: the capture is written there; a link and a relative path are
    refused before start (exit 2, one line naming evidence.dir)."""
    d = SCENARIOS / "seed_misroute"
    out = tmp_path / "captures"
    out.mkdir()
    ports = [("c_side", pcap_device(0, rx=d / "inside.pcap")),
             ("fw_dmz", pcap_device(1, rx=d / "dmz.pcap"))]
    segs = [("inside", "passive", ["c_side"]), ("dmz", "passive", ["fw_dmz"])]
    r = probe.run_config(config_text(ports, segs) + "evidence:\n  dir: %s\n" % out)
    assert r.rc == 0, r.describe()
    caps = os.listdir(out)
    assert len(caps) == 1 and caps[0].endswith(".pcapng"), caps
    assert len(tshark_frames(out / caps[0], "frame.number")) >= 8
    link = tmp_path / "link"
    link.symlink_to(out)
    r = probe.run_config(config_text(ports, segs) + "evidence:\n  dir: %s\n" % link)
    assert r.rc == 2 and len(r.stderr_lines()) == 1 and "evidence.dir" in r.stderr, r.describe()
    r = probe.run_config(config_text(ports, segs) + "evidence:\n  dir: captures\n")
    assert r.rc == 2 and len(r.stderr_lines()) == 1 and "evidence.dir" in r.stderr, r.describe()


# --------------------------------------------------------------------------
# analyze --html, rendered by Chromium
# --------------------------------------------------------------------------

def chromium(tmp_path, url, *args):
    """Run headless Chromium (no network, no sandbox as root, a profile of its own).
    Headless --dump-dom and --screenshot work through DevTools and need script
    enabled in the browser; the page cannot run any itself: it has no script and
    no event handler (checked), and its Content-Security-Policy (default-src
    'none', no script-src) forbids them, so what Chromium renders is what a
    browser with JavaScript off renders."""
    exe = require_program("chromium")
    prof = tmp_path / "chromium-profile"
    prof.mkdir(exist_ok=True)
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run",
           "--user-data-dir=%s" % prof] + list(args) + [url]
    r = subprocess.run(cmd, capture_output=True, timeout=CHROMIUM_TIMEOUT_S)
    assert r.returncode == 0, "chromium failed: %s" % r.stderr.decode(errors="replace")[-2000:]
    return r


def png_pixels(path):
    """(width, height, set of distinct RGB colours, share of non-white pixels) of an
    8-bit RGB or RGBA PNG, decoded with zlib (filters undone)."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, hdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype = hdr[0], hdr[1], hdr[2], hdr[3]
    assert depth == 8 and ctype in (2, 6), "PNG colour type %d depth %d" % (ctype, depth)
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    prev = bytearray(stride)
    colours, ink = set(), 0
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 0xff
            elif f == 2:
                line[i] = (line[i] + b) & 0xff
            elif f == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 0xff
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xff
        for x in range(0, stride, bpp * 4):          # every 4th pixel is plenty
            px = bytes(line[x:x + 3])
            colours.add(px)
            ink += px != b"\xff\xff\xff"
        prev = line
    return w, h, colours, ink / (h * w / 4)


@pytest.mark.parametrize("seed", SEEDS)
def test_html_renders_the_ladder(probe, seed, tmp_path):
    """Steps: analyze --evidence DIR --html report.html on the seed; headless
    Chromium dumps the DOM after load and takes a screenshot.
    Verifies: the page has no script, no event handler attribute and loads
    nothing (a CSP allowing no source, no URL but the SVG namespace); the verdict, the SVG ladder with lanes for
    Expressway-C, the firewall (both faces) and Expressway-E, the arrows of
    the SERVICE, the SYN and RST, and the 408, the translated address and the
    offending Route highlighted, the diagnosis, both fixes and the evidence
    table with frame references are in the rendered DOM; the screenshot is
    not blank (many colours, ink on the page)."""
    ev = tmp_path / "ev"
    ev.mkdir()
    page = tmp_path / "report.html"
    r = analyze(probe, seed, "--json", "--evidence", str(ev), "--html", str(page))
    assert r.rc == 0, r.describe()
    recs = [json.loads(x) for x in r.stdout.splitlines()]
    inc = incident_of(recs)
    html = page.read_text()
    assert (page.stat().st_mode & 0o777) == 0o640
    assert "<script" not in html.lower()
    assert not re.search(r"\son[a-z]+\s*=", html), "an event handler attribute in the page"
    assert "content=\"default-src 'none'; style-src 'unsafe-inline'\"" in html
    urls = {u for u in re.findall(r"(?:https?|ftp)://[^\s\"'<>]+", html)}
    assert urls <= {"http://www.w3.org/2000/svg"}, urls

    dom = chromium(tmp_path, page.as_uri(), "--dump-dom").stdout.decode()
    assert "<svg" in dom and 'class="ladder"' in dom
    assert "Verdict: 1 incident (nat_reflection_misroute 1)" in dom
    client = inc["binding"]["inside"].split(":")[0]
    xlat = inc["binding"]["dmz"]
    binding = next(x for x in recs if x["kind"] == "binding")
    server = binding["segments"]["dmz"]["dst"].split(":")[0]
    for text in ("Expressway-C", "Expressway-E", "firewall", client, server,
                 "SERVICE sip:serviceserver@cucm02.example.local", "TCP SYN", "TCP RST",
                 "408 Request Timeout", "dmz face", "inside face"):
        assert text in dom, "%r not in the rendered page" % text
    assert dom.count('class="arrow ') >= 8
    assert '<tspan class="xlat">%s</tspan>' % xlat in dom
    assert 'class="sub offending"' in dom and "Route: &lt;sip:" in dom
    assert inc["diagnosis"].split(".")[0] in dom
    for rid in inc["evidence"]:
        assert "<td>#%d</td>" % rid in dom
    assert "incident-%d.pcapng" % inc["id"] in dom

    shot = tmp_path / "shot.png"
    chromium(tmp_path, page.as_uri(), "--window-size=1300,1100", "--screenshot=%s" % shot,
             "--hide-scrollbars")
    w, h, colours, ink = png_pixels(shot)
    assert (w, h) == (1300, 1100)
    assert len(colours) > 50, "screenshot looks blank: %d colours" % len(colours)
    assert ink > 0.05, "screenshot looks blank: %.3f of pixels not white" % ink


def test_html_escapes_the_wire(probe, tmp_path):
    """Steps: the seed's captures with the Call-ID replaced, on both sides, by
    one of the same length holding markup and a terminal escape
    ("<svg onload=x>" and ESC [2J); analyze --html; Chromium dumps the DOM.
    Verifies: the incident is still found; the page holds the Call-ID as
    text only: no element or attribute came from the wire (no onload), the
    ESC is shown as \\x1b, no raw control character is in the file."""
    from capture_tools import read_records, write_records
    old = b"abcd12345678@127.0.0.1"
    new = b"<svg onload=x>\x1b[2J@h12"
    assert len(new) == len(old)
    d = SCENARIOS / "seed_misroute"
    for side in ("inside", "dmz"):
        recs = [(ts, fr.replace(old, new)) for ts, fr in read_records(d / ("%s.pcap" % side))]
        write_records(tmp_path / ("%s.pcap" % side), recs)
    page = tmp_path / "r.html"
    r = probe.run("analyze", "--html", str(page), "inside=%s" % (tmp_path / "inside.pcap"),
                  "dmz=%s" % (tmp_path / "dmz.pcap"))
    assert r.rc == 0, r.describe()
    assert r.stdout.startswith("Verdict: 1 incident"), r.describe()
    raw = page.read_bytes()
    assert not any(b < 0x20 and b not in (0x0a, 0x09) for b in raw)
    assert b"onload=x" not in raw.replace(b"&lt;svg onload=x&gt;", b"")
    dom = chromium(tmp_path, page.as_uri(), "--dump-dom").stdout.decode()
    assert "onload" not in dom.replace("&lt;svg onload=x&gt;", "")
    assert "&lt;svg onload=x&gt;\\x1b[2J@h12" in dom
