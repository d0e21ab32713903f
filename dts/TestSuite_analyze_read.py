# SPDX-License-Identifier: BSD-3-Clause
"""natprobe analyze: the two ways one capture file is read give one result.

One classic pcap file with nothing to merge it with is read in libpcap's own
loop (a callback per frame); two or more inputs go through the merge in time
order, a frame at a time. Adding an input that holds no frame at all (a valid
pcap header, nothing after it) sends the same frames through the merge, so
the records, the counts and the warnings must not change.
"""

import re
import struct

import pytest

from conftest import SCENARIOS, load_yaml

SCENARIO_DIRS = sorted(p for p in SCENARIOS.iterdir() if (p / "scenario.yaml").is_file())
CAPTURES = [c for d in SCENARIO_DIRS for c in sorted(d.glob("*.pcap"))]
# the lines of the report's "Read" section that count what was read
COUNT_LINES = re.compile(r"^[ \t]+(time|frames|flows|SIP|bindings|window)[ \t]", re.M)


def empty_pcap(path):
    """A classic pcap (microseconds, Ethernet) with its header and no frame."""
    path.write_bytes(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    return path


def counts(report):
    return [m.group(0) + report[m.end():].split("\n", 1)[0] for m in COUNT_LINES.finditer(report)]


def static_nat(capture):
    meta = load_yaml(capture.parent / "scenario.yaml")
    out = []
    for e in meta.get("static_nat") or []:
        out += ["--static-nat", "%s=%s" % (e["private"], e["public"])]
    return out


@pytest.mark.parametrize("capture", CAPTURES,
                         ids=lambda p: "%s-%s" % (p.parent.name, p.stem))
def test_loop_and_merge_agree(probe, tmp_path, capture):
    """Steps: analyze --json and the report of one scenario capture alone (the
    read loop), then with an empty pcap as a second input (the merge).
    Verifies: identical JSON records; identical read counts in the reports."""
    empty = empty_pcap(tmp_path / "empty.pcap")
    nat = static_nat(capture)
    one = probe.run("analyze", "--json", *nat, "wire=%s" % capture)
    two = probe.run("analyze", "--json", *nat, "wire=%s" % capture, "none=%s" % empty)
    assert one.rc == 0, one.describe()
    assert two.rc == 0, two.describe()
    assert one.stdout == two.stdout
    one = probe.run("analyze", *nat, "wire=%s" % capture)
    two = probe.run("analyze", *nat, "wire=%s" % capture, "none=%s" % empty)
    assert one.rc == 0 and two.rc == 0, one.describe() + two.describe()
    assert counts(one.stdout) and counts(one.stdout) == counts(two.stdout)


def test_loop_and_merge_agree_on_damage_and_window(probe, tmp_path):
    """Steps: a scenario capture cut in the middle of a frame, analysed alone
    and with an empty second input; the full capture with --to before its
    last frames, both ways.
    Verifies: the same damage warning on stderr, the same frame counts, the
    same records; the --to stop is reported both ways."""
    src = SCENARIOS / "seed_misroute" / "inside.pcap"
    data = src.read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[:len(data) * 2 // 3])
    empty = empty_pcap(tmp_path / "empty.pcap")
    one = probe.run("analyze", "wire=%s" % cut)
    two = probe.run("analyze", "wire=%s" % cut, "none=%s" % empty)
    assert one.rc == 0 and two.rc == 0, one.describe() + two.describe()
    warn = [x for x in one.stderr.splitlines() if "damaged after" in x]
    assert len(warn) == 1, one.describe()
    assert warn == [x for x in two.stderr.splitlines() if "damaged after" in x]
    assert counts(one.stdout) == counts(two.stdout)
    to = ["--to", "2016-04-19T07:09:13.975Z"]
    one = probe.run("analyze", "--json", *to, "wire=%s" % src)
    two = probe.run("analyze", "--json", *to, "wire=%s" % src, "none=%s" % empty)
    assert one.rc == 0 and two.rc == 0, one.describe() + two.describe()
    assert one.stdout == two.stdout
    one = probe.run("analyze", *to, "wire=%s" % src)
    two = probe.run("analyze", *to, "wire=%s" % src, "none=%s" % empty)
    assert "reading stopped at the first frame after --to" in one.stdout, one.describe()
    assert counts(one.stdout) == counts(two.stdout)
