# SPDX-License-Identifier: BSD-3-Clause
"""Soak, bounded: tools/soak for 24 seconds (docs/robustness.md has a
two-minute measured run and how to run longer ones)."""

import json
import subprocess
import sys

from conftest import REPO_ROOT, require_binary

SOAK = REPO_ROOT / "tools" / "soak"


def test_memory_flat_once_tables_full(natprobe_bin):
    """Memory stays flat at full rate once every table is full.

    Steps:
      1. tools/soak --minutes 0.4 --interval 2 --json: natprobe run replays
         bench's nonsip64 + sip900 + seedtcp profiles forever through an
         inline net_pcap -> net_null pair (flow table 1,024, SIP over UDP
         and TCP, unanswered INVITEs), plus the seed's dmz capture on a
         passive segment; VmRSS and /metrics sampled every 2 s.
    Verifies:
      - the soak passes (exit 0, "flat": true): from 8 s on, resident memory
        grows by at most 1 MiB;
      - the flow table was full at that point (evictions going on), the
        probe forwarded over 100,000 frames, and 12 samples were taken;
      - natprobe itself exited 0 on SIGTERM (else the soak exits 2).
    """
    binary = require_binary(natprobe_bin)
    r = subprocess.run([sys.executable, str(SOAK), "--minutes", "0.4", "--interval", "2",
                        "--json", "--natprobe", str(binary)], capture_output=True, text=True,
                       timeout=150)
    assert r.returncode in (0, 1), "soak could not run (exit %d):\n%s\n%s" % (
        r.returncode, r.stdout[-2000:], r.stderr[-3000:])
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res["flow_table_full_at_baseline"], res
    assert res["frames"] > 100000, res
    assert res["samples"] >= 12, res
    assert res["growth_kib"] <= res["max_growth_kib"] == 1024, res
    assert res["flat"] is True and r.returncode == 0, res
