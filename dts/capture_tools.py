# SPDX-License-Identifier: BSD-3-Clause
"""Helpers of the capture-input suites (TestSuite_captures.py, TestSuite_tunnels.py):
pcap records with their timestamps, the Wireshark tools, network namespaces.

Every namespace and interface made here is named with NETNS_PREFIX and torn
down by Netns.down(), which the suites call from a fixture (so also when a
test fails). Every program started is bounded in time.
"""

import itertools
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import time
from pathlib import Path

import pytest

from conftest import SCENARIOS, require_program

PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"
SEED = SCENARIOS / "seed_misroute"
NETNS_PREFIX = "npc"
_ids = itertools.count()


# --------------------------------------------------------------------------
# pcap records
# --------------------------------------------------------------------------

def read_records(path):
    """[(ts_ns, frame bytes)] of a classic pcap (micro or nano, either byte order)."""
    data = Path(path).read_bytes()
    magic = data[:4]
    order = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    out, off = [], 24
    while off + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(order + "IIII", data[off:off + 16])
        off += 16
        out.append((sec * 10**9 + (frac if nano else frac * 1000), data[off:off + caplen]))
        off += caplen
    return out


def write_records(path, records, linktype=1):
    """Write [(ts_ns, frame)] as a little-endian nanosecond pcap."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b23c4d, 2, 4, 0, 0, 262144, linktype))
        for ts, fr in records:
            f.write(struct.pack("<IIII", ts // 10**9, ts % 10**9, len(fr), len(fr)))
            f.write(fr)
    return Path(path)


def seed_records():
    """The seed's frames, both sides, in time order: [(ts_ns, side, frame)]."""
    recs = [(ts, "inside", fr) for ts, fr in read_records(SEED / "inside.pcap")]
    recs += [(ts, "dmz", fr) for ts, fr in read_records(SEED / "dmz.pcap")]
    return sorted(recs, key=lambda r: (r[0], r[1] != "inside"))


# --------------------------------------------------------------------------
# Wireshark tools
# --------------------------------------------------------------------------

def need(tool):
    path = shutil.which(tool)
    if path is None:
        pytest.fail("%s not installed (tools/setup.sh installs it)" % tool, pytrace=False)
    return path


def run(*args, timeout=60, check=True, **kw):
    r = subprocess.run([str(a) for a in args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise AssertionError("%s: rc=%d\n%s%s" % (" ".join(str(a) for a in args),
                                                   r.returncode, r.stdout, r.stderr))
    return r


def tshark_fields(path, *fields, display=None):
    """tshark -T fields: one list of field values per frame (that matches display)."""
    args = [need("tshark"), "-r", path, "-T", "fields", "-E", "separator=\t"]
    if display:
        args += ["-Y", display]
    for f in fields:
        args += ["-e", f]
    out = run(*args).stdout
    return [line.split("\t") for line in out.splitlines()]


def tshark_count(path, display):
    return len(tshark_fields(path, "frame.number", display=display))


def to_text2pcap(records):
    """Hex dump of [(ts_ns, frame)] that text2pcap -t '%Y-%m-%d %H:%M:%S.' reads."""
    lines = []
    for ts, fr in records:
        lines.append(time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts // 10**9))
                     + ".%09d" % (ts % 10**9))
        for i in range(0, len(fr), 16):
            lines.append("%06x " % i + " ".join("%02x" % b for b in fr[i:i + 16]))
        lines.append("")
    return "\n".join(lines) + "\n"


def text2pcapng(records, path, ifname):
    """A one-interface pcapng named ifname, written by text2pcap -N."""
    txt = Path(str(path) + ".txt")
    txt.write_text(to_text2pcap(records))
    run(need("text2pcap"), "-q", "-n", "-N", ifname, "-t", "%Y-%m-%d %H:%M:%S.", txt, path)
    return Path(path)


def analyze_json(probe, *args):
    r = probe.run("analyze", "--json", *args)
    recs = [json.loads(x) for x in r.stdout.splitlines() if x.strip()] if r.rc == 0 else []
    return r, recs


def types_of(recs):
    return {x["type"] for x in recs if x.get("kind") in ("anomaly", "incident")}


def incidents(recs):
    return [x for x in recs if x.get("kind") == "incident"]


def report_frames(stdout):
    """{(segment, file name): frames} from the input lines of a report's '== Read'."""
    out = {}
    for m in re.finditer(r"^  (\S+)\s+(.+?): (\d+) frames", stdout, re.M):
        out[(m.group(1), Path(m.group(2)).name)] = int(m.group(3))
    return out


# --------------------------------------------------------------------------
# Network namespaces
# --------------------------------------------------------------------------

def can_netns():
    """None when namespaces can be made here, else why not."""
    if os.geteuid() != 0:
        return "not root: cannot create network namespaces"
    if not shutil.which("ip"):
        return "iproute2 (ip) not installed"
    name = "%schk%d" % (NETNS_PREFIX, os.getpid())
    r = subprocess.run(["ip", "netns", "add", name], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=10)
    if r.returncode != 0:
        return "ip netns add failed: %s" % r.stderr.strip()
    subprocess.run(["ip", "netns", "del", name], timeout=10)
    return None


class Netns:
    """Namespaces (and their veths) of one test; down() removes them all."""

    def __init__(self):
        self.tag = "%d%d" % (os.getpid() % 10000, next(_ids))
        self.names = []
        self.procs = []

    def ns(self, role):
        name = "%s%s%s" % (NETNS_PREFIX, role, self.tag)
        run(require_program("ip"), "netns", "add", name, timeout=10)
        self.names.append(name)
        self.sh(name, "ip", "link", "set", "lo", "up")
        return name

    def ifname(self, role):
        return ("%s%s%s" % (NETNS_PREFIX, role, self.tag))[:15]

    def sh(self, ns, *args, check=True, timeout=20):
        return run("ip", "netns", "exec", ns, *args, check=check, timeout=timeout)

    def veth(self, ns_a, if_a, ns_b, if_b):
        run("ip", "link", "add", if_a, "type", "veth", "peer", "name", if_b, timeout=10)
        run("ip", "link", "set", if_a, "netns", ns_a, timeout=10)
        run("ip", "link", "set", if_b, "netns", ns_b, timeout=10)

    def spawn(self, ns, args, **kw):
        p = subprocess.Popen(["ip", "netns", "exec", ns] + [str(a) for a in args],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True, **kw)
        self.procs.append(p)
        return p

    def tcpdump(self, ns, iface, path, count=None, bpf=()):
        """tcpdump in ns writing path (-c count when given); returns once it listens."""
        # a 64 MiB ring: GSO frames of 64 KiB would overflow the default one
        p = self.spawn(ns, [need("tcpdump"), "-i", iface, "--immediate-mode", "-B", "65536",
                            "-U", "-n", "-s", "0", "-w", path]
                       + (["-c", count] if count else []) + list(bpf))
        wait_listening(p)
        return p

    @staticmethod
    def wait(p, timeout):
        try:
            out, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGINT)
            try:
                out, err = p.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                out, err = p.communicate()
        return p.returncode, out, err

    def down(self):
        for p in self.procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                p.communicate(timeout=5)
            except (subprocess.TimeoutExpired, ValueError):
                pass
        for name in self.names:       # deleting a namespace deletes its veths
            subprocess.run(["ip", "netns", "del", name], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=10)


def wait_listening(p, lines=5):
    """Read tcpdump's stderr until it says it listens (it may say the link type first)."""
    seen = []
    for _ in range(lines):
        line = p.stderr.readline()
        seen.append(line)
        if "listening on" in line:
            return
        if not line:
            break
    raise AssertionError("tcpdump did not start: %s" % "".join(seen))


# Sends frames out of interfaces in a namespace, in order, on raw AF_PACKET
# sockets: argv[1] is a JSON file [[iface, hex frame], ...].
SENDER = r"""
import json, socket, sys, time
frames = json.load(open(sys.argv[1]))
socks = {}
for ifn, hx in frames:
    s = socks.get(ifn)
    if s is None:
        s = socks[ifn] = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((ifn, 0))
    s.send(bytes.fromhex(hx))
    time.sleep(0.002)
print(len(frames))
"""


def send_frames(lab, ns, frames, tmp):
    """Send [(iface, frame)] from namespace ns, in order, 2 ms apart."""
    js = Path(tmp) / ("frames%s.json" % next(_ids))
    js.write_text(json.dumps([[i, f.hex()] for i, f in frames]))
    r = lab.sh(ns, PY, "-c", SENDER, js, timeout=60)
    assert r.stdout.strip() == str(len(frames)), r.stdout + r.stderr
