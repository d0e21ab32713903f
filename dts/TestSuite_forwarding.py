# SPDX-License-Identifier: BSD-3-Clause
"""Forwarding and counting: natprobe as a bump in the wire, and as a passive tap.

Every case runs the real binary on net_pcap virtual devices: frames come from
pcap files (rx_pcap), forwarded frames land in pcap files (tx_pcap), and the
counters printed at exit (Prometheus text) are checked against the captures.
"""

import os
import signal
import subprocess
import time

import pytest

from conftest import (
    CLASSES, MALFORMED, SCENARIOS, config_text, frames_diff, load_yaml, pcap_device,
    read_frames, write_frames,
)

# Source MACs of the frames each side of the firewall sends (tools/gen_scenario.py).
MAC_C = bytes.fromhex("005056a11e02")       # Expressway-C, inside
MAC_FW_IN = bytes.fromhex("005056a1fe01")   # firewall, inside
MAC_FW_DMZ = bytes.fromhex("005056a1fe02")  # firewall, dmz
MAC_E = bytes.fromhex("005056a10a02")       # Expressway-E, dmz

# Every two-segment scenario under tests/fixtures/scenarios/.
# The Expressway traversal family (tools/gen_scenario.py): one TCP connection
# per side, frames told apart by MAC. Scale scenarios have their own suite.
TRAVERSAL_SCENARIOS = sorted(p.name for p in SCENARIOS.iterdir()
                             if (p / "inside.pcap").is_file() and (p / "dmz.pcap").is_file()
                             and "\ntraversal:" in (p / "scenario.yaml").read_text())


def split_by_source(frames, left_mac):
    """(frames sent by left_mac, the others): the two directions of one wire."""
    left = [f for f in frames if f[6:12] == left_mac]
    right = [f for f in frames if f[6:12] != left_mac]
    return left, right


def assert_ok(r):
    assert r.rc == 0, "natprobe failed:\n" + r.describe()
    assert len(r.counters) > 0, "no natprobe_* counters on stdout:\n" + r.describe()


def assert_port(r, port, rx, tx):
    """rx / tx: the frame lists the port received / must have transmitted."""
    c = r.counters
    got = {
        "rx_packets": c.get("natprobe_port_rx_packets_total", port=port),
        "rx_bytes": c.get("natprobe_port_rx_bytes_total", port=port),
        "tx_packets": c.get("natprobe_port_tx_packets_total", port=port),
        "tx_bytes": c.get("natprobe_port_tx_bytes_total", port=port),
        "dropped": c.get("natprobe_port_dropped_packets_total", port=port),
    }
    want = {
        "rx_packets": len(rx), "rx_bytes": sum(map(len, rx)),
        "tx_packets": len(tx), "tx_bytes": sum(map(len, tx)),
        "dropped": 0,
    }
    assert got == want, "port %s counters differ\n%s" % (port, r.describe())


def assert_segment(r, segment, frames, classes=None, oversize=0):
    """frames: every frame the segment's ports received; classes: expected
    count per class (default: all tcp)."""
    c = r.counters
    assert c.get("natprobe_segment_packets_total", segment=segment) == len(frames), \
        "segment %s packets\n%s" % (segment, r.describe())
    want = {k: 0 for k in CLASSES}
    want.update(classes if classes is not None else {"tcp": len(frames)})
    got = {k: c.value("natprobe_segment_frames_total", segment=segment, **{"class": k})
           for k in CLASSES}
    assert got == want, "segment %s frames per class: got %s, want %s\n%s" % (
        segment, got, want, r.describe())
    assert c.get("natprobe_segment_oversize_frames_total", segment=segment) == oversize, \
        "segment %s oversize\n%s" % (segment, r.describe())


def assert_workers(r, total):
    c = r.counters
    workers = c.series("natprobe_worker_packets_total")
    assert workers, "no natprobe_worker_packets_total\n" + r.describe()
    assert sum(v for _, v in workers) == total, r.describe()
    assert c.get("natprobe_worker_packets_total", worker="0") == total, r.describe()
    assert c.get("natprobe_event_ring_drops_total", worker="0") == 0, r.describe()


def assert_exposition(r):
    """Every sample's metric has # HELP and # TYPE lines (Prometheus text format)."""
    for name in r.counters.names():
        assert name in r.counters.types, "no # TYPE for %s" % name
        assert name in r.counters.help, "no # HELP for %s" % name
        if name.endswith("_total"):
            assert r.counters.types[name] == "counter", "%s is not a counter" % name


def inline_pair_config(tmp, rx_a, rx_b, seg="wire", names=("a", "b"), index0=0, **kw):
    """One inline segment over two net_pcap ports; returns (ports, segments, tx files)."""
    tx_a, tx_b = tmp / ("%s_tx.pcap" % names[0]), tmp / ("%s_tx.pcap" % names[1])
    ports = [(names[0], pcap_device(index0, rx_a, tx_a)),
             (names[1], pcap_device(index0 + 1, rx_b, tx_b))]
    return ports, [(seg, "inline", list(names))], (tx_a, tx_b)


# --------------------------------------------------------------------------
# Inline
# --------------------------------------------------------------------------

@pytest.mark.parametrize("scenario", TRAVERSAL_SCENARIOS)
def test_inline_two_segments_scenario(probe, tmp_path, scenario):
    """Both firewall legs inline, each direction replayed from the scenario.

    Steps:
      1. Split the scenario's inside.pcap by sender (Expressway-C / firewall)
         and dmz.pcap by sender (firewall / Expressway-E) into four rx files.
      2. Configure segment `inside` inline over ports c_side + fw_in, and
         segment `dmz` inline over fw_dmz + e_side, every port a net_pcap
         vdev with rx_pcap = its direction and tx_pcap = a fresh file.
      3. natprobe run -c CFG --idle-exit 1.
    Verifies:
      - exit 0 and counters printed in Prometheus text (HELP/TYPE present);
      - every tx file holds exactly the frames the peer port received, byte
        for byte and in order (timestamps ignored);
      - rx/tx packets and bytes per port equal those frame counts, 0 dropped;
      - segment packets = frames on that wire, all classed tcp, no oversize;
      - worker 0 handled every frame, no event-ring drops.
    """
    sdir = SCENARIOS / scenario
    meta = load_yaml(sdir / "scenario.yaml")
    inside = read_frames(sdir / "inside.pcap")
    dmz = read_frames(sdir / "dmz.pcap")
    assert len(inside) == meta["frames"]["inside"] and len(dmz) == meta["frames"]["dmz"]
    from_c, from_fw_in = split_by_source(inside, MAC_C)
    from_fw_dmz, from_e = split_by_source(dmz, MAC_FW_DMZ)
    assert from_c and from_fw_in and from_fw_dmz and from_e
    assert all(f[6:12] == MAC_FW_IN for f in from_fw_in)
    assert all(f[6:12] == MAC_E for f in from_e)
    rx = {}
    for name, frames in (("c_side", from_c), ("fw_in", from_fw_in),
                         ("fw_dmz", from_fw_dmz), ("e_side", from_e)):
        rx[name] = (write_frames(tmp_path / ("%s_rx.pcap" % name), frames), frames)
    p_in, s_in, (tx_c, tx_fw_in) = inline_pair_config(
        tmp_path, rx["c_side"][0], rx["fw_in"][0], "inside", ("c_side", "fw_in"), 0)
    p_dmz, s_dmz, (tx_fw_dmz, tx_e) = inline_pair_config(
        tmp_path, rx["fw_dmz"][0], rx["e_side"][0], "dmz", ("fw_dmz", "e_side"), 2)

    r = probe.run_config(config_text(p_in + p_dmz, s_in + s_dmz))

    assert_ok(r)
    assert_exposition(r)
    for tx_file, peer in ((tx_c, "fw_in"), (tx_fw_in, "c_side"),
                          (tx_fw_dmz, "e_side"), (tx_e, "fw_dmz")):
        got = read_frames(tx_file)
        d = frames_diff(got, rx[peer][1])
        assert not d, "%s: %s" % (tx_file.name, d)
    assert_port(r, "c_side", from_c, from_fw_in)
    assert_port(r, "fw_in", from_fw_in, from_c)
    assert_port(r, "fw_dmz", from_fw_dmz, from_e)
    assert_port(r, "e_side", from_e, from_fw_dmz)
    assert_segment(r, "inside", inside)
    assert_segment(r, "dmz", dmz)
    assert_workers(r, len(inside) + len(dmz))


def expected_classes(meta):
    return {k: v for k, v in meta["classes"].items()}


@pytest.mark.parametrize("mtu,burst", [(1518, 32), (1500, 1), (9600, 512)])
def test_inline_malformed_fail_open(probe, tmp_path, mtu, burst):
    """Malformed and odd frames are forwarded unchanged and counted by class.

    Steps:
      1. Port a receives tests/fixtures/malformed/frames.pcap (46 frames:
         runts of 1..13 bytes, ARP/LLDP/STP, unknown EtherTypes, truncated
         and impossible headers, bad IPv4 checksums, fragments, VLAN/QinQ,
         IPv6, a 1518-byte and a 1600-byte frame); port b receives the same
         frames in reverse order.
      2. One inline segment over a and b, datapath.mtu and burst_size as
         parametrised; natprobe run --idle-exit 1.
    Verifies:
      - a's tx file = b's frames and b's tx file = a's frames, byte for byte
        (fail-open: nothing dropped, nothing altered, whatever it is);
      - port counters equal the frame counts and bytes, 0 dropped;
      - per-class counters equal frames.yaml (twice: both directions) and
        sum to the segment's packets;
      - oversize counter = frames longer than datapath.mtu.
    """
    meta = load_yaml(MALFORMED / "frames.yaml")
    frames = read_frames(MALFORMED / "frames.pcap")
    assert len(frames) == meta["frames"]
    rev = list(reversed(frames))
    rx_a = MALFORMED / "frames.pcap"
    rx_b = write_frames(tmp_path / "b_rx.pcap", rev)
    ports, segs, (tx_a, tx_b) = inline_pair_config(tmp_path, rx_a, rx_b)

    r = probe.run_config(config_text(ports, segs, datapath={"mtu": mtu, "burst_size": burst}))

    assert_ok(r)
    d = frames_diff(read_frames(tx_b), frames)
    assert not d, "b_tx.pcap: " + d
    d = frames_diff(read_frames(tx_a), rev)
    assert not d, "a_tx.pcap: " + d
    assert_port(r, "a", frames, rev)
    assert_port(r, "b", rev, frames)
    classes = {k: 2 * v for k, v in expected_classes(meta).items()}
    assert sum(classes.values()) == 2 * len(frames)
    oversize = 2 * sum(1 for f in frames if len(f) > mtu)
    assert_segment(r, "wire", frames + rev, classes, oversize)
    assert_workers(r, 2 * len(frames))


def test_inline_one_direction_empty(probe, tmp_path):
    """An inline pair where only one side has traffic.

    Steps:
      1. Port a receives the seed_misroute inside.pcap (both directions as
         captured); port b receives an empty capture.
      2. natprobe run --idle-exit 1.
    Verifies:
      - b's tx file = inside.pcap frame for frame; a's tx file has 0 frames;
      - a: rx = all frames, tx 0; b: rx 0, tx = all frames; 0 dropped.
    """
    frames = read_frames(SCENARIOS / "seed_misroute" / "inside.pcap")
    empty = write_frames(tmp_path / "empty.pcap", [])
    ports, segs, (tx_a, tx_b) = inline_pair_config(
        tmp_path, SCENARIOS / "seed_misroute" / "inside.pcap", empty)

    r = probe.run_config(config_text(ports, segs))

    assert_ok(r)
    assert not frames_diff(read_frames(tx_b), frames), frames_diff(read_frames(tx_b), frames)
    assert read_frames(tx_a) == []
    assert_port(r, "a", frames, [])
    assert_port(r, "b", [], frames)
    assert_segment(r, "wire", frames)


# --------------------------------------------------------------------------
# Passive
# --------------------------------------------------------------------------

def test_passive_rx_only(probe, tmp_path):
    """A passive segment on one rx-only port (no tx_pcap at all).

    Steps:
      1. Segment `inside`, passive, one port `span` = net_pcap0 with
         rx_pcap = seed_misroute inside.pcap and no tx_pcap.
      2. natprobe run --idle-exit 1.
    Verifies:
      - exit 0; span rx = 12 frames and their bytes, tx 0, dropped 0;
      - segment packets 12, all tcp; worker 0 saw 12.
    """
    frames = read_frames(SCENARIOS / "seed_misroute" / "inside.pcap")
    ports = [("span", pcap_device(0, SCENARIOS / "seed_misroute" / "inside.pcap"))]

    r = probe.run_config(config_text(ports, [("inside", "passive", ["span"])]))

    assert_ok(r)
    assert_port(r, "span", frames, [])
    assert_segment(r, "inside", frames)
    assert_workers(r, len(frames))


def test_passive_never_transmits(probe, tmp_path):
    """A passive port given a tx_pcap must still transmit nothing.

    Steps:
      1. Segment `dmz`, passive, one port `tap` = net_pcap0 with rx_pcap =
         seed_misroute dmz.pcap and tx_pcap = a fresh file.
      2. natprobe run --idle-exit 1.
    Verifies:
      - the tx file holds 0 frames; tx counters 0;
      - every received frame counted (rx, segment, class, worker).
    """
    frames = read_frames(SCENARIOS / "seed_misroute" / "dmz.pcap")
    tx = tmp_path / "tap_tx.pcap"
    ports = [("tap", pcap_device(0, SCENARIOS / "seed_misroute" / "dmz.pcap", tx))]

    r = probe.run_config(config_text(ports, [("dmz", "passive", ["tap"])]))

    assert_ok(r)
    if tx.exists():
        assert read_frames(tx) == [], "a passive port transmitted"
    assert_port(r, "tap", frames, [])
    assert_segment(r, "dmz", frames)
    assert_workers(r, len(frames))


def test_passive_two_segments_and_multi_port(probe, tmp_path):
    """Two passive segments, one of them fed by two taps (both directions).

    Steps:
      1. Segment `inside`, passive, ports tap_c + tap_fw: the seed_misroute
         inside.pcap split by sender; segment `dmz`, passive, port tap_dmz:
         the whole dmz.pcap.
      2. natprobe run --idle-exit 1.
    Verifies:
      - per port rx = its frames, tx 0; per segment packets = frames on
        that wire; all tcp; total across workers = 22.
    """
    sdir = SCENARIOS / "seed_misroute"
    inside = read_frames(sdir / "inside.pcap")
    dmz = read_frames(sdir / "dmz.pcap")
    from_c, from_fw = split_by_source(inside, MAC_C)
    rx_c = write_frames(tmp_path / "c.pcap", from_c)
    rx_fw = write_frames(tmp_path / "fw.pcap", from_fw)
    ports = [("tap_c", pcap_device(0, rx_c)), ("tap_fw", pcap_device(1, rx_fw)),
             ("tap_dmz", pcap_device(2, sdir / "dmz.pcap"))]
    segs = [("inside", "passive", ["tap_c", "tap_fw"]), ("dmz", "passive", ["tap_dmz"])]

    r = probe.run_config(config_text(ports, segs))

    assert_ok(r)
    assert_port(r, "tap_c", from_c, [])
    assert_port(r, "tap_fw", from_fw, [])
    assert_port(r, "tap_dmz", dmz, [])
    assert_segment(r, "inside", inside)
    assert_segment(r, "dmz", dmz)
    assert_workers(r, len(inside) + len(dmz))


def test_inline_and_passive_mixed(probe, tmp_path):
    """An inline segment and a passive segment in one probe.

    Steps:
      1. Segment `inside` inline over c_side + fw_in (seed_misroute inside
         split by sender); segment `dmz` passive on one rx-only port with
         the whole dmz.pcap.
      2. natprobe run --idle-exit 1.
    Verifies:
      - inline outputs byte-identical to the peer's input; the passive port
        transmits nothing; all counters match.
    """
    sdir = SCENARIOS / "seed_misroute"
    inside = read_frames(sdir / "inside.pcap")
    dmz = read_frames(sdir / "dmz.pcap")
    from_c, from_fw = split_by_source(inside, MAC_C)
    ports, segs, (tx_c, tx_fw) = inline_pair_config(
        tmp_path, write_frames(tmp_path / "c.pcap", from_c),
        write_frames(tmp_path / "fw.pcap", from_fw), "inside", ("c_side", "fw_in"))
    ports.append(("tap_dmz", pcap_device(2, sdir / "dmz.pcap")))
    segs.append(("dmz", "passive", ["tap_dmz"]))

    r = probe.run_config(config_text(ports, segs))

    assert_ok(r)
    assert not frames_diff(read_frames(tx_c), from_fw)
    assert not frames_diff(read_frames(tx_fw), from_c)
    assert_port(r, "c_side", from_c, from_fw)
    assert_port(r, "fw_in", from_fw, from_c)
    assert_port(r, "tap_dmz", dmz, [])
    assert_segment(r, "inside", inside)
    assert_segment(r, "dmz", dmz)


# --------------------------------------------------------------------------
# Stopping
# --------------------------------------------------------------------------

def test_duration_stops(probe, tmp_path):
    """--duration stops a probe that sees no traffic.

    Steps:
      1. One passive port on an empty capture; natprobe run --duration 2
         (no --idle-exit).
    Verifies:
      - exit 0 after about 2 s (well before the 30 s time-out); counters
        printed, all zero for the port.
    """
    empty = write_frames(tmp_path / "empty.pcap", [])
    cfg = config_text([("span", pcap_device(0, empty))], [("s", "passive", ["span"])])

    r = probe.run_config(cfg, idle_exit=None, extra_args=["--duration", "2"])

    assert_ok(r)
    assert 1.5 <= r.elapsed_s < 20, "ran %.1f s for --duration 2" % r.elapsed_s
    assert_port(r, "span", [], [])


def test_sigint_clean_stop(probe, tmp_path, natprobe_bin):
    """SIGINT stops the probe cleanly and the counters are still printed.

    Steps:
      1. One passive port on the seed_misroute inside.pcap; natprobe run
         without --duration or --idle-exit; wait 3 s; send SIGINT.
    Verifies:
      - exit 0 within 10 s of the signal; counters on stdout; rx = 12.
    """
    from conftest import Counters, Result, require_binary
    require_binary(natprobe_bin)
    frames = read_frames(SCENARIOS / "seed_misroute" / "inside.pcap")
    cfg = probe.config(config_text(
        [("span", pcap_device(0, SCENARIOS / "seed_misroute" / "inside.pcap"))],
        [("s", "passive", ["span"])]))
    p = subprocess.Popen([str(natprobe_bin), "run", "-c", str(cfg)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(3)
    t0 = time.monotonic()
    p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        pytest.fail("natprobe ignored SIGINT for 10 s\n" + err[-2000:])
    r = Result(["run", "-c", cfg], p.returncode, out, err, time.monotonic() - t0,
               Counters.parse(out))
    assert_ok(r)
    assert_port(r, "span", frames, [])


# --------------------------------------------------------------------------
# Start-up errors
# --------------------------------------------------------------------------

def assert_one_line_error(r, *fragments):
    lines = r.stderr_lines()
    assert r.rc == 2, "expected exit 2\n" + r.describe()
    assert len(lines) == 1, "expected exactly one line on stderr\n" + r.describe()
    assert lines[0].startswith("natprobe: "), r.describe()
    for frag in fragments:
        assert frag in lines[0], "%r not in %r" % (frag, lines[0])
    return lines[0]


def test_segment_names_unknown_port(probe, tmp_path):
    """A segment naming a port that is not in `ports` stops `run` at once.

    Steps:
      1. Config with ports a, b; segment `wire` inline over [a, nosuchport]
         (a and b otherwise valid net_pcap vdevs).
      2. natprobe run -c CFG --idle-exit 1.
    Verifies:
      - exit 2, exactly one stderr line naming segments[0].ports and the
        unknown name; nothing is forwarded (no tx file written).
    """
    empty = write_frames(tmp_path / "empty.pcap", [])
    tx = tmp_path / "tx.pcap"
    ports = [("a", pcap_device(0, empty, tx)), ("b", pcap_device(1, empty))]
    cfg = config_text(ports, [("wire", "inline", ["a", "nosuchport"]),
                              ("other", "passive", ["b"])])

    r = probe.run_config(cfg)

    assert_one_line_error(r, "segments[0].ports", "nosuchport")
    assert not tx.exists()


def test_eal_failure_bogus_vdev(probe, tmp_path):
    """A device string DPDK cannot probe fails start-up with one line.

    Steps:
      1. Config whose port `a` has device "net_bogus0" (no such driver),
         in a passive segment.
      2. natprobe run -c CFG --idle-exit 1.
    Verifies:
      - exit 2 within the time-out, exactly one stderr line starting
        "natprobe: " that names the device; no counters on stdout.
    """
    cfg = config_text([("a", "net_bogus0")], [("s", "passive", ["a"])])

    r = probe.run_config(cfg)

    line = assert_one_line_error(r)
    assert "net_bogus0" in line or "ports[0]" in line, line
    assert len(r.counters) == 0, "counters printed after a failed start\n" + r.describe()


def test_eal_failure_missing_rx_file(probe, tmp_path):
    """A net_pcap port whose rx file does not exist fails start-up with one line.

    Steps:
      1. Port `a` = net_pcap0,rx_pcap=<tmp>/missing.pcap, passive segment.
      2. natprobe run -c CFG --idle-exit 1.
    Verifies:
      - exit 2, exactly one stderr line starting "natprobe: ".
    """
    cfg = config_text([("a", pcap_device(0, tmp_path / "missing.pcap"))],
                      [("s", "passive", ["a"])])

    r = probe.run_config(cfg)

    assert_one_line_error(r)
