# SPDX-License-Identifier: BSD-3-Clause
"""The documentation that is generated from code stays in step with it."""

import re

from conftest import REPO_ROOT, SCENARIOS, config_text, pcap_device


def test_counters_page_matches_the_table(probe):
    """Steps: natprobe list-counters; read docs/counters.md.
    Verifies: the page holds the command's output verbatim (regenerate it with
    the command when a counter is added)."""
    r = probe.run("list-counters")
    assert r.rc == 0, r.describe()
    page = (REPO_ROOT / "docs" / "counters.md").read_text()
    assert r.stdout in page, "docs/counters.md is stale: regenerate from natprobe list-counters"


def test_every_exported_family_is_documented(probe, tmp_path):
    """Steps: run the seed scenario through natprobe run; collect every metric
    family printed at exit.
    Verifies: each family has a row in docs/counters.md, and every row names a
    family that is exported."""
    d = SCENARIOS / "seed_misroute"
    ports = [("a", pcap_device(0, rx=d / "inside.pcap"))]
    r = probe.run_config(config_text(ports, [("s", "passive", ["a"])]))
    assert r.rc == 0, r.describe()
    exported = set(re.findall(r"^# TYPE (natprobe_\w+) ", r.stdout, re.M))
    page = (REPO_ROOT / "docs" / "counters.md").read_text()
    documented = set(re.findall(r"^\| `(natprobe_\w+)`", page, re.M))
    assert exported, r.stdout[:500]
    assert exported - documented == set()
    assert documented - exported == set()
