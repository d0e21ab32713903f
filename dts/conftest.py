# SPDX-License-Identifier: BSD-3-Clause
"""Shared machinery of natprobe's end-to-end suites (dts/TestSuite_*.py).

The suites drive the real binary on DPDK virtual devices (net_pcap files), so
they need no NIC and no hugepages. The binary is found at $NATPROBE_BIN, or
else at build/app/natprobe/natprobe under the repository root. A missing
binary is a test FAILURE with a clear message, never a silent skip.

Run:  /usr/bin/python3 -m pytest -q dts
"""

import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BIN = REPO_ROOT / "build" / "app" / "natprobe" / "natprobe"
FIXTURES = REPO_ROOT / "tests" / "fixtures"
SCENARIOS = FIXTURES / "scenarios"
MALFORMED = FIXTURES / "malformed"
RUN_TIMEOUT_S = 30

# Frame classes, as np_pkt_class_name() names them (lib/pkt/np_pkt.h).
CLASSES = ["tcp", "udp", "icmp", "ip_other", "fragment", "runt", "non_ip",
           "unknown_ethertype", "truncated", "bad_header", "bad_checksum"]

sys.path.insert(0, str(REPO_ROOT / "tools"))


def pytest_configure(config):
    # DTS naming: suites are dts/TestSuite_<feature>.py.
    config.addinivalue_line("python_files", "TestSuite_*.py")
    config.addinivalue_line("markers", "slow: takes a minute or more (the Debian package build); "
                            "tools/test.sh runs it, -m 'not slow' leaves it out")


# --------------------------------------------------------------------------
# The binary
# --------------------------------------------------------------------------

def natprobe_path():
    return Path(os.environ.get("NATPROBE_BIN", str(DEFAULT_BIN)))


def require_binary(p):
    """Fail (not skip, not error) the running test when the binary is missing."""
    p = Path(p)
    if not p.is_file() or not os.access(p, os.X_OK):
        pytest.fail("natprobe binary not found or not executable at %s: build it "
                    "(meson setup build && ninja -C build) or set NATPROBE_BIN" % p,
                    pytrace=False)
    return p


# --------------------------------------------------------------------------
# External programs
# --------------------------------------------------------------------------

# The Debian package that ships each program the suites (and tools/bench, tools/scale)
# run. Used only to name the package when a program is absent (dpkg -S cannot tell
# then); TestSuite_setup.py checks each entry against dpkg -S and that every program
# dts/ runs from outside the base system has one.
PROGRAM_PACKAGES = dict(line.split() for line in """
baresip           baresip
capinfos          wireshark-common
chromium          chromium
dpdk-telemetry.py dpdk-dev
dpkg-buildpackage dpkg-dev
dpdk-testpmd      dpdk-dev
dumpcap           wireshark-common
editcap           wireshark-common
ethtool           ethtool
help2man          help2man
ip                iproute2
kamailio          kamailio
kamcmd            kamailio
lintian           lintian
logrotate         logrotate
man               man-db
meson             meson
mergecap          wireshark-common
nft               nftables
openssl           openssl
pkg-config        pkg-config
prometheus        prometheus
promtool          prometheus
python3           python3
sipp              sip-tester
sipsak            sipsak
sngrep            sngrep
ss                iproute2
strace            strace
sysctl            procps
systemd-analyze   systemd
tcpdump           tcpdump
text2pcap         wireshark-common
tshark            tshark
zstd              zstd
""".strip().splitlines())


def require_program(name):
    """Path of an external program a test runs: a name looked up in PATH, or an
    absolute path. When it is absent the running test FAILS with one line that names
    the Debian package to install (never a skip, never a traceback). A path inside the
    tree is the tree's own program: require_binary() judges it."""
    name = str(name)
    if os.path.isabs(name) and Path(name).resolve().is_relative_to(REPO_ROOT):
        return str(require_binary(name))
    if os.path.isabs(name):
        path = name if os.path.isfile(name) and os.access(name, os.X_OK) else None
    else:
        path = shutil.which(name)
    if path is None:
        base = os.path.basename(name)
        pkg = PROGRAM_PACKAGES.get(base)
        how = ("it ships in Debian package %s: run bash tools/setup.sh (or apt-get install "
               "-y %s)" % (pkg, pkg)) if pkg else \
            "install the Debian package that ships it and add that package to tools/setup.sh"
        pytest.fail("%s is not installed: %s" % (name, how), pytrace=False)
    return path


@pytest.fixture(scope="session")
def natprobe_bin():
    """Path of the natprobe binary. Its absence is checked when a test runs it,
    so every such test FAILS with a clear message (never a silent skip)."""
    return natprobe_path()


@dataclass
class Result:
    """One natprobe invocation."""
    args: list
    rc: int
    stdout: str
    stderr: str
    elapsed_s: float
    counters: "Counters" = None

    def stderr_lines(self):
        return [ln for ln in self.stderr.splitlines() if ln.strip()]

    def describe(self):
        return ("natprobe %s\nrc=%s (%.1f s)\n--- stdout ---\n%s\n--- stderr ---\n%s"
                % (" ".join(str(a) for a in self.args), self.rc, self.elapsed_s,
                   self.stdout[-4000:], self.stderr[-4000:]))


def run_natprobe(binary, args, timeout=RUN_TIMEOUT_S, cwd=None):
    """Run natprobe with args; a time-out fails the test (and kills the process)."""
    require_binary(binary)
    t0 = time.monotonic()
    p = subprocess.Popen([str(binary)] + [str(a) for a in args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, cwd=cwd,
                         start_new_session=True)
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, err = p.communicate()
        pytest.fail("natprobe %s did not exit within %d s\n--- stdout ---\n%s\n"
                    "--- stderr ---\n%s" % (" ".join(str(a) for a in args), timeout,
                                            out[-4000:], err[-4000:]), pytrace=False)
    r = Result(list(args), p.returncode, out, err, time.monotonic() - t0)
    r.counters = Counters.parse(out)
    return r


# --------------------------------------------------------------------------
# Prometheus text exposition
# --------------------------------------------------------------------------

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?\s*$')
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')


class Counters:
    """Samples parsed from Prometheus text lines: `name{label="v",...} value`.

    Only `natprobe_*` samples are kept; `# HELP` / `# TYPE` lines are recorded
    in .help / .types. Lookups: c.get(name, port="x") -> float or None.
    """

    def __init__(self):
        self.samples = {}   # (name, frozenset(labels.items())) -> float
        self.help = {}
        self.types = {}

    @classmethod
    def parse(cls, text):
        c = cls()
        for line in text.splitlines():
            line = line.strip()
            if line.startswith("# HELP ") or line.startswith("# TYPE "):
                parts = line.split(None, 3)
                if len(parts) >= 3:
                    (c.help if parts[1] == "HELP" else c.types)[parts[2]] = \
                        parts[3] if len(parts) > 3 else ""
                continue
            if not line.startswith("natprobe_"):
                continue
            m = _SAMPLE.match(line)
            if not m:
                continue
            labels = {}
            if m.group(2):
                pos, s = 0, m.group(2)
                while pos < len(s):
                    lm = _LABEL.match(s, pos)
                    if not lm:
                        break
                    labels[lm.group(1)] = lm.group(2)
                    pos = lm.end()
            try:
                v = float(m.group(3))
            except ValueError:
                continue
            c.samples[(m.group(1), frozenset(labels.items()))] = v
        return c

    def get(self, name, **labels):
        """The sample of `name` whose labels include `labels` (others, such as
        a port's segment, may be present); None when there is none."""
        want = set(labels.items())
        hits = [v for (n, ls), v in self.samples.items() if n == name and want <= ls]
        if len(hits) > 1:
            raise AssertionError("%s%s matches %d samples" % (name, labels, len(hits)))
        return hits[0] if hits else None

    def value(self, name, default=0, **labels):
        v = self.get(name, **labels)
        return default if v is None else v

    def series(self, name):
        """[(labels dict, value)] of every sample of a metric."""
        return [(dict(k[1]), v) for k, v in self.samples.items() if k[0] == name]

    def names(self):
        return sorted({k[0] for k in self.samples})

    def __len__(self):
        return len(self.samples)


# --------------------------------------------------------------------------
# Configs
# --------------------------------------------------------------------------

_prefix_counter = itertools.count()


def unique_prefix():
    return "dts%d_%d" % (os.getpid(), next(_prefix_counter))


def pcap_device(index, rx=None, tx=None):
    """net_pcapN vdev string."""
    s = "net_pcap%d" % index
    if rx is not None:
        s += ",rx_pcap=%s" % rx
    if tx is not None:
        s += ",tx_pcap=%s" % tx
    return s


def _q(s):
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


def config_text(ports, segments, file_prefix=None, datapath=None, nat_static=None,
                extra=""):
    """A natprobe YAML config for tests.

    ports:    [(name, device)]
    segments: [(name, mode, [port names])]
    datapath: dict of datapath keys (mbufs defaults to 4095)
    """
    dp = {"mbufs": 4095}
    dp.update(datapath or {})
    lines = [
        "eal:",
        "  main_lcore: 0",
        "  worker_lcores: [1]",
        "  no_huge: true",
        "  memory_mb: 256",
        "  file_prefix: %s" % (file_prefix or unique_prefix()),
        "ports:",
    ]
    for name, dev in ports:
        lines += ["  - name: %s" % name, "    device: %s" % _q(dev)]
    lines.append("segments:")
    for name, mode, pnames in segments:
        lines += ["  - name: %s" % name, "    mode: %s" % mode,
                  "    ports: [%s]" % ", ".join(pnames)]
    lines.append("datapath:")
    lines += ["  %s: %s" % (k, v) for k, v in dp.items()]
    if nat_static:
        lines += ["nat:", "  static:"]
        for priv, pub in nat_static:
            lines += ["    - private: %s" % priv, "      public: %s" % pub]
    lines += ["export:", '  metrics_listen: ""']
    return "\n".join(lines) + "\n" + extra


def write_config(tmp_path, text, name="natprobe.yaml"):
    p = Path(tmp_path) / name
    p.write_text(text)
    return p


class Probe:
    """Bound helper handed to tests: writes configs, runs natprobe."""

    def __init__(self, binary, tmp_path):
        self.bin = binary
        self.tmp = Path(tmp_path)

    def run(self, *args, timeout=RUN_TIMEOUT_S):
        return run_natprobe(self.bin, list(args), timeout=timeout)

    def config(self, text, name="natprobe.yaml"):
        return write_config(self.tmp, text, name)

    def run_config(self, text, idle_exit=1, extra_args=(), timeout=RUN_TIMEOUT_S,
                   name="natprobe.yaml"):
        """Write `text` and run `natprobe run -c cfg --idle-exit N`."""
        cfg = self.config(text, name)
        args = ["run", "-c", cfg]
        if idle_exit is not None:
            args += ["--idle-exit", str(idle_exit)]
        args += list(extra_args)
        return self.run(*args, timeout=timeout)

    def check_config(self, path):
        return self.run("check-config", path)


@pytest.fixture
def probe(natprobe_bin, tmp_path):
    return Probe(natprobe_bin, tmp_path)


# --------------------------------------------------------------------------
# Captures
# --------------------------------------------------------------------------

def read_frames(path):
    """Frame bytes of a pcap (timestamps ignored), in file order.

    Reads classic pcap, micro- or nanosecond, either byte order (net_pcap
    writes nanosecond pcaps); a file that is not one fails the test.
    """
    import struct
    path = Path(path)
    if not path.is_file():
        pytest.fail("capture %s does not exist" % path, pytrace=False)
    data = path.read_bytes()
    if len(data) < 24:
        pytest.fail("capture %s: %d bytes, no pcap header" % (path, len(data)), pytrace=False)
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        pytest.fail("capture %s: not a pcap file (magic %s)" % (path, magic.hex()),
                    pytrace=False)
    frames, off = [], 24
    while off + 16 <= len(data):
        _sec, _frac, caplen, _wirelen = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        if off + caplen > len(data):
            pytest.fail("capture %s: record truncated at byte %d" % (path, off),
                        pytrace=False)
        frames.append(data[off:off + caplen])
        off += caplen
    if off != len(data):
        pytest.fail("capture %s: %d trailing bytes" % (path, len(data) - off), pytrace=False)
    return frames


def write_frames(path, frames, t0_us=1461049753 * 1000000):
    """Write frames (bytes) as a pcap, 1 ms apart."""
    from gen_scenario import write_pcap
    write_pcap(str(path), [(t0_us + 1000 * i, f) for i, f in enumerate(frames)])
    return Path(path)


def frames_diff(got, want):
    """A short human description of how two frame lists differ ('' when equal)."""
    if got == want:
        return ""
    msg = ["%d frames, expected %d" % (len(got), len(want))]
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            msg.append("first difference at frame %d: got %d bytes %s..., expected %d bytes "
                       "%s..." % (i, len(g), g[:24].hex(), len(w), w[:24].hex()))
            break
    return "; ".join(msg)


def load_yaml(path):
    import yaml
    with open(path) as f:
        return yaml.safe_load(f)


def free_listen():
    """127.0.0.1:PORT with nothing listening, in 18000..18999 (the range the
    suites that serve /metrics use, apart from other services)."""
    import random
    import socket
    ports = list(range(18000, 19000))
    random.Random(os.getpid() ^ time.monotonic_ns()).shuffle(ports)
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return "127.0.0.1:%d" % port
    pytest.fail("no free loopback port in 18000..18999", pytrace=False)


class Background:
    """`natprobe run -c CFG --duration BOUND_S` in the background, stdout and
    stderr to files in tmp; stop() sends SIGTERM and returns (rc, counters
    printed at exit); kill() is the fixture's clean-up."""

    def __init__(self, binary, cfg, tmp, bound_s, prefix=()):
        """prefix: a command that ends by exec'ing its arguments (unshare, ...)."""
        self.cfg = cfg
        self.out, self.err = tmp / "probe.out", tmp / "probe.err"
        with open(self.out, "w") as o, open(self.err, "w") as e:
            self.proc = subprocess.Popen(list(prefix) + [str(require_binary(binary)), "run", "-c",
                                                         str(cfg), "--duration", str(bound_s)],
                                         stdout=o, stderr=e, start_new_session=True)

    def describe(self):
        return "natprobe run -c %s rc=%s\n--- config ---\n%s--- stdout ---\n%s\n--- stderr ---\n%s" % (
            self.cfg, self.proc.poll(), self.cfg.read_text(), self.out.read_text()[-3000:],
            self.err.read_text()[-3000:])

    def wait_listening(self, addr, timeout_s=15):
        """Until a TCP connection to addr (host, port) succeeds: the probe's
        hep.listen (or any TCP listener it opens) is up. Fails at once if the
        probe exits, and after timeout_s."""
        import socket
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                socket.create_connection(addr, timeout=0.2).close()
                return
            except OSError:
                assert self.proc.poll() is None, self.describe()
                time.sleep(0.1)
        raise AssertionError("%s:%d never came up\n%s" % (addr[0], addr[1], self.describe()))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                pytest.fail("natprobe ignored SIGTERM\n" + self.describe(), pytrace=False)
        return self.proc.returncode, Counters.parse(self.out.read_text())

    def kill(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
