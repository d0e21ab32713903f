# SPDX-License-Identifier: BSD-3-Clause
"""Configuration validation and the command line, end to end.

`natprobe check-config FILE` and `natprobe run -c FILE` share one contract:
a valid file gives exit 0 and `FILE: ok` (check-config); a bad one gives
exit 2 and exactly one stderr line

    natprobe: FILE:LINE: FIELD: what is wrong and what is allowed

(`:LINE` absent when unknown), FIELD being a path such as eal.worker_lcores,
ports[1].device, segments[0].ports, datapath.burst_size, nat.static[0].public.
"""

import re

import pytest

from conftest import REPO_ROOT, pcap_device, unique_prefix, write_frames

# A valid config that exercises every section; bad cases are edits of it.
# Lines marked "#<<" in an edit are where the error is; when the message
# carries a line number it must be that line.
BASE = """\
eal:
  main_lcore: 0
  worker_lcores: [1]
  no_huge: true
  memory_mb: 256
  file_prefix: {prefix}
  log_level: notice
ports:
  - name: c_side
    device: "{dev0}"
    rx_descriptors: 1024
  - name: fw_side
    device: "{dev1}"
  - name: dmz_tap
    device: "{dev2}"
segments:
  - name: inside
    mode: inline
    ports: [c_side, fw_side]
  - name: dmz
    mode: passive
    ports: [dmz_tap]
datapath:
  burst_size: 32
  mbufs: 4095
  mtu: 1518
sip:
  ports: [5060, 5061, 7001, 7003]
nat:
  static:
    - private: 10.0.10.2
      public: 64.100.0.10
export:
  metrics_listen: ""
  records_file: ""
  stats_interval_s: 0
"""


def base_text(tmp_path):
    empty = write_frames(tmp_path / "empty.pcap", [])
    return BASE.format(prefix=unique_prefix(),
                       dev0=pcap_device(0, empty, tmp_path / "tx0.pcap"),
                       dev1=pcap_device(1, empty, tmp_path / "tx1.pcap"),
                       dev2=pcap_device(2, empty))


def edit(text, *pairs):
    """Apply (old, new) replacements; each old must occur exactly once."""
    for old, new in pairs:
        assert text.count(old) == 1, "edit anchor %r occurs %d times" % (old, text.count(old))
        text = text.replace(old, new)
    return text


# (id, edit function of the base text, FIELD prefix (regex, matched at the
#  start of the field), message fragment (regex, case-insensitive))
BAD = [
    ("unknown_top_level_key",
     lambda t: t + "colour: red  #<<\n",
     r"colour", r"unknown|unexpected|not allowed|invalid"),
    ("unknown_nested_key",
     lambda t: edit(t, ("  burst_size: 32\n", "  burst_sise: 32  #<<\n")),
     r"datapath\.burst_sise", r"unknown|unexpected|not allowed|invalid"),
    ("burst_size_string",
     lambda t: edit(t, ("  burst_size: 32\n", "  burst_size: lots  #<<\n")),
     r"datapath\.burst_size", r"lots|integer|number|numeric"),
    ("burst_size_zero",
     lambda t: edit(t, ("  burst_size: 32\n", "  burst_size: 0  #<<\n")),
     r"datapath\.burst_size", r"512"),
    ("burst_size_too_big",
     lambda t: edit(t, ("  burst_size: 32\n", "  burst_size: 100000  #<<\n")),
     r"datapath\.burst_size", r"512"),
    ("rx_descriptors_not_pow2",
     lambda t: edit(t, ("    rx_descriptors: 1024\n", "    rx_descriptors: 1000  #<<\n")),
     r"ports\[0\]\.rx_descriptors", r"power of two|power of 2"),
    ("port_in_two_segments",
     lambda t: edit(t, ("    ports: [dmz_tap]\n", "    ports: [dmz_tap, fw_side]  #<<\n")),
     r"segments\[1\]\.ports", r"fw_side"),
    ("inline_one_port",
     lambda t: edit(t, ("    ports: [c_side, fw_side]\n", "    ports: [c_side]  #<<\n"),
                    ("    ports: [dmz_tap]\n", "    ports: [dmz_tap, fw_side]\n")),
     r"segments\[0\]\.ports", r"\b2\b|two"),
    ("inline_three_ports",
     lambda t: edit(t, ("    ports: [c_side, fw_side]\n",
                        "    ports: [c_side, fw_side, dmz_tap]  #<<\n"),
                    ("    mode: passive\n    ports: [dmz_tap]\n",
                     "    mode: passive\n    ports: [extra]\n"),
                    ("segments:\n", "  - name: extra\n    device: \"net_null9\"\nsegments:\n")),
     r"segments\[0\]\.ports", r"\b2\b|two"),
    ("segment_names_unknown_port",
     lambda t: edit(t, ("    ports: [dmz_tap]\n", "    ports: [dmz_tap, nosuchport]  #<<\n")),
     r"segments\[1\]\.ports", r"nosuchport"),
    ("duplicate_port_name",
     lambda t: edit(t, ("  - name: dmz_tap\n", "  - name: c_side  #<<\n"),
                    ("    ports: [dmz_tap]\n", "    ports: [c_side]\n")),
     r"ports\[2\]\.name", r"c_side"),
    ("duplicate_segment_name",
     lambda t: edit(t, ("  - name: dmz\n", "  - name: inside  #<<\n")),
     r"segments\[1\]\.name", r"inside"),
    ("mode_enum",
     lambda t: edit(t, ("    mode: passive\n", "    mode: tap  #<<\n")),
     r"segments\[1\]\.mode", r"inline.*passive|passive.*inline"),
    ("worker_lcores_empty",
     lambda t: edit(t, ("  worker_lcores: [1]\n", "  worker_lcores: []  #<<\n")),
     r"eal\.worker_lcores", r"empty|at least|1\.\.|insufficient|min"),
    ("worker_lcore_is_main",
     lambda t: edit(t, ("  worker_lcores: [1]\n", "  worker_lcores: [0]  #<<\n")),
     r"eal\.worker_lcores", r"main"),
    ("worker_lcore_too_big",
     lambda t: edit(t, ("  worker_lcores: [1]\n", "  worker_lcores: [128]  #<<\n")),
     r"eal\.worker_lcores", r"127"),
    ("static_nat_bad_public",
     lambda t: edit(t, ("      public: 64.100.0.10\n", "      public: 999.1.1.1  #<<\n")),
     r"nat\.static\[0\]\.public", r"999\.1\.1\.1"),
    ("static_nat_missing_private",
     lambda t: edit(t, ("    - private: 10.0.10.2\n      public: 64.100.0.10\n",
                        "    - public: 64.100.0.10  #<<\n")),
     r"nat\.static\[0\]", r"private"),
    ("metrics_listen_no_port",
     lambda t: edit(t, ('  metrics_listen: ""\n', "  metrics_listen: localhost  #<<\n")),
     r"export\.metrics_listen", r"localhost"),
    ("no_segments",
     lambda t: t[:t.index("segments:\n")] + t[t.index("datapath:\n"):],
     r"segments|ports\[0\]", r"segment"),
    ("bad_device",
     lambda t: edit(t, ('    device: "{}"\n'.format(t.split('device: "')[3].split('"')[0]),
                        '    device: "not a device"  #<<\n')),
     r"ports\[2\]\.device", r"not a device|pci|vdev"),
    ("segment_name_charset",
     lambda t: edit(t, ("  - name: dmz\n", "  - name: dmz wire  #<<\n")),
     r"segments\[1\]\.name", r"A-Za-z0-9|character"),
    ("log_level_enum",
     lambda t: edit(t, ("  log_level: notice\n", "  log_level: verbose  #<<\n")),
     r"eal\.log_level", r"notice|debug"),
    ("mtu_too_small",
     lambda t: edit(t, ("  mtu: 1518\n", "  mtu: 63  #<<\n")),
     r"datapath\.mtu", r"65535"),
    ("ip_checksum_enum",
     lambda t: edit(t, ("  mtu: 1518\n", "  mtu: 1518\n  ip_checksum: sometimes  #<<\n")),
     r"datapath\.ip_checksum", r"auto.*yes.*no"),
    ("tunnel_match_bad",
     lambda t: t + "tunnels:\n  - match: vni=16777216  #<<\n    segment: dmz\n",
     r"tunnels\[0\]\.match", r"vni=N"),
    ("tunnel_segment_unknown",
     lambda t: t + "tunnels:\n  - match: gre=5\n    segment: nowhere  #<<\n",
     r"tunnels\[0\]\.segment", r"nowhere"),
    ("tunnel_twice",
     lambda t: t + "tunnels:\n  - match: vni=7\n    segment: dmz\n"
                   "  - match: vni=7  #<<\n    segment: inside\n",
     r"tunnels\[1\]\.match", r"twice"),
    ("tunnel_segment_unnamed",
     lambda t: edit(t, ("    ports: [dmz_tap]\n",
                        "    ports: [dmz_tap]\n  - name: remote\n    mode: tunnel  #<<\n")),
     r"segments\[2\]\.mode", r"tunnels"),
    ("tunnel_segment_with_ports",
     lambda t: edit(t, ("    mode: passive\n    ports: [dmz_tap]\n",
                        "    mode: tunnel\n    ports: [dmz_tap]  #<<\n")),
     r"segments\[1\]\.ports", r"no ports"),
    ("tx_backoff_too_long",
     lambda t: edit(t, ("  mtu: 1518\n", "  mtu: 1518\n  tx_backoff_us: 5000  #<<\n")),
     r"datapath\.tx_backoff_us", r"0\.\.1000"),
    ("link_down_warn_too_long",
     lambda t: edit(t, ("  mtu: 1518\n", "  mtu: 1518\n  link_down_warn_s: 100000  #<<\n")),
     r"datapath\.link_down_warn_s", r"0\.\.86400"),
    ("sip_port_out_of_range",
     lambda t: edit(t, ("  ports: [5060, 5061, 7001, 7003]\n", "  ports: [70000]  #<<\n")),
     r"sip\.ports", r"65535"),
    ("passive_no_ports",
     lambda t: edit(t, ("    ports: [dmz_tap]\n", "    ports: []  #<<\n"),
                    ("  - name: dmz_tap\n    device: \"{}\"\n".format(
                        t.split('device: "')[3].split('"')[0]), "")),
     r"segments\[1\]\.ports", r"port|empty|at least|insufficient|min"),
    ("evidence_history_too_big",
     lambda t: t + "evidence:\n  history_frames: 2000000  #<<\n",
     r"evidence\.history_frames", r"1048576"),
    ("evidence_snaplen_too_small",
     lambda t: t + "evidence:\n  snaplen: 64  #<<\n",
     r"evidence\.snaplen", r"128\.\.65535"),
    ("evidence_dir_relative",
     lambda t: t + "evidence:\n  dir: captures  #<<\n",
     r"evidence\.dir", r"absolute"),
    ("evidence_dir_without_history",
     lambda t: t + "evidence:\n  history_frames: 0\n  dir: /tmp  #<<\n",
     r"evidence\.dir", r"history_frames"),
]


def marked_line(text):
    for i, line in enumerate(text.splitlines(), 1):
        if line.rstrip().endswith("#<<"):
            return i
    return None


_ERR = re.compile(r"^natprobe: (?P<file>[^:]+)(?::(?P<line>\d+)(?::(?P<col>\d+))?)?: (?P<field>\S+): "
                  r"(?P<msg>.+)$")


def parse_error(r, path):
    """The single stderr line, checked against the contract; returns its match."""
    lines = r.stderr_lines()
    assert r.rc == 2, "expected exit 2\n" + r.describe()
    assert len(lines) == 1, "expected exactly one line on stderr\n" + r.describe()
    assert lines[0].startswith("natprobe: %s" % path), \
        "the line must start with 'natprobe: FILE'\n" + r.describe()
    m = _ERR.match(lines[0])
    assert m, "not 'natprobe: FILE[:LINE]: FIELD: message'\n" + r.describe()
    return m


def check_bad(r, path, text, field, frag):
    m = parse_error(r, path)
    assert re.match(field, m.group("field")), \
        "FIELD %r does not match %r\n%s" % (m.group("field"), field, r.describe())
    assert re.search(frag, m.group("msg"), re.I), \
        "message %r lacks %r\n%s" % (m.group("msg"), frag, r.describe())
    want_line = marked_line(text)
    if m.group("line") is not None and want_line is not None:
        assert int(m.group("line")) == want_line, \
            "line %s, the error is on line %d\n%s\n%s" % (
                m.group("line"), want_line, r.describe(), text)


# --------------------------------------------------------------------------
# Valid configs
# --------------------------------------------------------------------------

def assert_ok_line(r, path):
    assert r.rc == 0, r.describe()
    assert r.stdout.splitlines() == ["%s: ok" % path], r.describe()
    assert r.stderr_lines() == [], r.describe()


def test_shipped_config_is_valid(probe):
    """The commented default config validates.

    Steps:
      1. natprobe check-config config/natprobe.yaml (every key, PCI devices).
    Verifies:
      - exit 0; stdout is exactly one line "config/natprobe.yaml: ok"
        (the path as given); stderr empty.
    """
    path = REPO_ROOT / "config" / "natprobe.yaml"
    r = probe.check_config(path)
    assert_ok_line(r, path)


def test_base_config_is_valid(probe, tmp_path):
    """The base of the bad-config table validates (so each bad case differs
    from a valid config by its one edit).

    Steps:
      1. Write the base config (net_pcap vdevs, inline + passive segments,
         static NAT); natprobe check-config FILE.
    Verifies:
      - exit 0, "FILE: ok", stderr empty.
    """
    path = probe.config(base_text(tmp_path))
    assert_ok_line(probe.check_config(path), path)


VALID_EDITS = [
    ("minimal", lambda t: (
        "ports:\n  - name: a\n    device: \"net_null0\"\n"
        "segments:\n  - name: s\n    mode: passive\n    ports: [a]\n")),
    ("ipv6_static_nat_and_listen", lambda t: edit(
        t, ("    - private: 10.0.10.2\n      public: 64.100.0.10\n",
            "    - private: 10.0.10.2\n      public: 64.100.0.10\n"
            "    - private: fd00::2\n      public: 2001:db8::10\n"),
        ('  metrics_listen: ""\n', '  metrics_listen: "[::1]:9109"\n'))),
    ("passive_three_ports", lambda t: edit(
        t, ("    ports: [dmz_tap]\n", "    ports: [dmz_tap, t2, t3]\n"),
        ("segments:\n", "  - name: t2\n    device: \"net_null7\"\n"
                        "  - name: t3\n    device: \"net_null8\"\n"
                        "segments:\n"))),
    ("limits", lambda t: edit(
        t, ("  burst_size: 32\n", "  burst_size: 512\n"),
        ("    rx_descriptors: 1024\n", "    rx_descriptors: 16384\n    tx_descriptors: 64\n"),
        ("  mtu: 1518\n", "  mtu: 9600\n"))),
    ("tunnels_and_checksums", lambda t: edit(
        t, ("  mtu: 1518\n", "  mtu: 65535\n  ip_checksum: yes\n"),
        ("    ports: [dmz_tap]\n", "    ports: [dmz_tap]\n  - name: remote\n    mode: tunnel\n"))
        + "tunnels:\n  - match: vni=100\n    segment: remote\n"
          "  - match: erspan=3\n    segment: dmz\n  - match: gre\n    segment: inside\n"),
    ("block_style_lists", lambda t: edit(
        t, ("  worker_lcores: [1]\n", "  worker_lcores:\n    - 1\n"),
        ("    ports: [c_side, fw_side]\n", "    ports:\n      - c_side\n      - fw_side\n"))),
]


@pytest.mark.parametrize("case", VALID_EDITS, ids=[c[0] for c in VALID_EDITS])
def test_valid_variants(probe, tmp_path, case):
    """Valid variations of the config validate.

    Steps:
      1. Write the variant (minimal with defaults; IPv6 static NAT and a
         bracketed IPv6 listen address; a passive segment of three ports;
         every range at its limit; block-style YAML lists).
      2. natprobe check-config FILE.
    Verifies:
      - exit 0, "FILE: ok", stderr empty.
    """
    _, fn = case
    path = probe.config(fn(base_text(tmp_path)))
    assert_ok_line(probe.check_config(path), path)


# --------------------------------------------------------------------------
# Bad configs
# --------------------------------------------------------------------------

@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_config_check(probe, tmp_path, case):
    """check-config rejects each bad config with one precise line.

    Steps:
      1. Apply the case's single edit to the valid base config; write it.
      2. natprobe check-config FILE.
    Verifies:
      - exit 2; stdout empty; exactly one stderr line
        "natprobe: FILE[:LINE]: FIELD: message";
      - FIELD is the case's field path; the message carries the case's
        fragment (the bad value, or what is allowed);
      - when a line number is given it is the edited line.
    """
    _, fn, field, frag = case
    text = fn(base_text(tmp_path))
    path = probe.config(text)
    r = probe.check_config(path)
    check_bad(r, path, text, field, frag)
    assert r.stdout.strip() == "", r.describe()


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_config_run(probe, tmp_path, case):
    """`run -c` rejects each bad config exactly as check-config does.

    Steps:
      1. Write the case's config; natprobe check-config FILE, then
         natprobe run -c FILE --idle-exit 1.
    Verifies:
      - run exits 2 before starting DPDK (no counters) with the very same
        single stderr line as check-config.
    """
    _, fn, field, frag = case
    text = fn(base_text(tmp_path))
    path = probe.config(text)
    want = probe.check_config(path)
    r = probe.run("run", "-c", path, "--idle-exit", "1")
    check_bad(r, path, text, field, frag)
    assert r.stderr_lines() == want.stderr_lines(), r.describe()
    assert len(r.counters) == 0, r.describe()


SPECIAL_BAD = [
    ("empty_file", "", r"\(document\)|ports|segments", r"empty|required|missing|no "),
    ("not_yaml", "@@@ this is not YAML {]\n", r"\S+",
     r"yaml|pars|syntax|invalid|token|scan|character"),
    ("yaml_not_a_mapping", "- just\n- a list\n", r"\S+", r"mapping|map|expect|invalid"),
]


@pytest.mark.parametrize("case", SPECIAL_BAD, ids=[c[0] for c in SPECIAL_BAD])
def test_bad_document(probe, tmp_path, case):
    """Files that are not a natprobe config at all.

    Steps:
      1. Write an empty file / YAML garbage / a YAML list; check-config it.
    Verifies:
      - exit 2 and one line "natprobe: FILE[:LINE]: FIELD: message" whose
        message says what is wrong.
    """
    _, text, field, frag = case
    path = probe.config(text)
    r = probe.check_config(path)
    m = parse_error(r, path)
    assert re.match(field, m.group("field")), r.describe()
    assert re.search(frag, m.group("msg") + " " + m.group("field"), re.I), r.describe()


def test_config_file_not_found(probe, tmp_path):
    """A config path that does not exist.

    Steps:
      1. natprobe check-config <tmp>/nope.yaml; natprobe run -c <tmp>/nope.yaml.
    Verifies:
      - both exit 2 with exactly one stderr line starting "natprobe: " that
        names the file and says it does not exist.
    """
    path = tmp_path / "nope.yaml"
    for args in (["check-config", path], ["run", "-c", path, "--idle-exit", "1"]):
        r = probe.run(*args)
        lines = r.stderr_lines()
        assert r.rc == 2, r.describe()
        assert len(lines) == 1 and lines[0].startswith("natprobe: "), r.describe()
        assert str(path) in lines[0], r.describe()
        assert re.search(r"no such file|not found|does not exist|cannot (open|read)",
                         lines[0], re.I), r.describe()


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

@pytest.mark.parametrize("args", [[], ["frobnicate"], ["--bogus"]],
                         ids=["no_args", "unknown_command", "unknown_option"])
def test_usage_errors(probe, args):
    """Bad command lines.

    Steps:
      1. natprobe with no arguments / an unknown command / an unknown option.
    Verifies:
      - exit 2, nothing on stdout, exactly one stderr line starting
        "natprobe: " that points at --help.
    """
    r = probe.run(*args)
    lines = r.stderr_lines()
    assert r.rc == 2, r.describe()
    assert len(lines) == 1 and lines[0].startswith("natprobe: "), r.describe()
    assert "--help" in lines[0], r.describe()
    assert r.stdout.strip() == "", r.describe()


@pytest.mark.parametrize("args", [["run"], ["run", "-c"], ["check-config"],
                                  ["run", "-c", "x.yaml", "--idle-exit", "soon"]],
                         ids=["run_no_config", "run_c_no_file", "check_config_no_file",
                              "idle_exit_not_a_number"])
def test_subcommand_usage_errors(probe, args):
    """Subcommands missing their arguments.

    Steps:
      1. natprobe run / run -c / check-config without a file; run with a
         non-numeric --idle-exit.
    Verifies:
      - exit 2 and exactly one stderr line starting "natprobe: ".
    """
    r = probe.run(*args)
    lines = r.stderr_lines()
    assert r.rc == 2, r.describe()
    assert len(lines) == 1 and lines[0].startswith("natprobe: "), r.describe()


def test_help(probe):
    """natprobe --help documents the subcommands.

    Steps:
      1. natprobe --help.
    Verifies:
      - exit 0; stdout names run, analyze, dump-sip and check-config, and
        the run options --duration and --idle-exit; stderr empty.
    """
    r = probe.run("--help")
    assert r.rc == 0, r.describe()
    for word in ("run", "analyze", "dump-sip", "check-config", "--idle-exit", "--duration"):
        assert word in r.stdout, "%r not in --help\n%s" % (word, r.describe())
    assert r.stderr_lines() == [], r.describe()


# --------------------------------------------------------------------------
# Every error at once, where it is, and what was meant
# --------------------------------------------------------------------------

def error_lines(r, path):
    """The stderr lines of a rejected config, each checked against the contract."""
    assert r.rc == 2, r.describe()
    out = []
    for ln in r.stderr_lines():
        m = _ERR.match(ln)
        assert m and m.group("file") == str(path), "not 'natprobe: FILE[:LINE]: FIELD: " \
            "message': %r\n%s" % (ln, r.describe())
        out.append(m)
    return out


def test_all_errors_in_one_run(probe, tmp_path):
    """check-config and run list every error of a config, one per line.

    Steps:
      1. The base config with four independent errors (burst_size 0, mtu 63,
         a bad static NAT address, stats_interval_s out of range); check-config
         and run it.
      2. A config with 30 unknown keys.
    Verifies:
      - 1: four lines, each on the edited line with the right field, the
        same from run as from check-config;
      - 2: 20 lines, then one saying 11 more were not shown (the cap).
    """
    text = edit(base_text(tmp_path),
                ("  burst_size: 32\n", "  burst_size: 0  #<<\n"),
                ("  mtu: 1518\n", "  mtu: 63  #<<\n"),
                ("      public: 64.100.0.10\n", "      public: 64.100.0  #<<\n"),
                ("  stats_interval_s: 0\n", "  stats_interval_s: 100000  #<<\n"))
    path = probe.config(text)
    want = [(i, ln) for i, ln in enumerate(text.splitlines(), 1) if ln.endswith("#<<")]
    got = error_lines(probe.check_config(path), path)
    assert [(int(m.group("line")), m.group("field")) for m in got] == [
        (want[0][0], "datapath.burst_size"), (want[1][0], "datapath.mtu"),
        (want[2][0], "nat.static[0].public"), (want[3][0], "export.stats_interval_s")], got
    r = probe.run("run", "-c", path, "--idle-exit", "1")
    assert [m.group(0) for m in error_lines(r, path)] == [m.group(0) for m in got]

    many = base_text(tmp_path) + "".join("key_%d: 1\n" % i for i in range(31))
    path = probe.config(many, name="many.yaml")
    got = error_lines(probe.check_config(path), path)
    assert len(got) == 21, got
    assert got[-1].group("field") == "(more)" and "11 more errors" in got[-1].group("msg")


@pytest.mark.parametrize("edit_pair,line_text,field,hint", [
    (("  burst_size: 32\n", "  burst_sise: 32\n"), "burst_sise", "datapath.burst_sise",
     "did you mean 'burst_size'?"),
    (("  mtu: 1518\n", "  mtu: 1518\n  mbuf_cahce: 64\n"), "mbuf_cahce", "datapath.mbuf_cahce",
     "did you mean 'mbuf_cache'?"),
    (("sip:\n", "records_file: /tmp/r.jsonl\nsip:\n"), "records_file", "records_file",
     "did you mean 'export.records_file' (in another section)?"),
], ids=["typo", "transposed", "wrong_section"])
def test_unknown_key_did_you_mean(probe, tmp_path, edit_pair, line_text, field, hint):
    """An unknown key is named with the key that was probably meant.

    Steps:
      1. The base config with a misspelt key, or a key put in the wrong
         section; check-config.
    Verifies:
      - one line, on the key's line, FIELD the key's path, the message says
        unknown key and suggests the right one.
    """
    text = edit(base_text(tmp_path), edit_pair)
    path = probe.config(text)
    (m,) = error_lines(probe.check_config(path), path)
    want = [i for i, ln in enumerate(text.splitlines(), 1) if ln.strip().startswith(line_text)]
    assert int(m.group("line")) == want[0] and m.group("field") == field, m.group(0)
    assert "unknown key" in m.group("msg") and hint in m.group("msg"), m.group(0)


@pytest.mark.parametrize("bad,line,col,problem", [
    ("  mtu: 1518\n\tmbufs: 4095\n", 2, 1, "found a tab character that violates indentation"),
    ("  mtu: [1518\n  mbufs: 4095\n", 2, 8, "did not find expected ',' or ']'"),
    ("  mtu: 1518\n   mbufs: 4095\n", 2, 9, "mapping values are not allowed in this context"),
], ids=["tab", "unclosed_list", "bad_indent"])
def test_yaml_syntax_error_line_and_column(probe, tmp_path, bad, line, col, problem):
    """A YAML syntax error names the line and column where it is.

    Steps:
      1. The base config with its datapath section replaced by broken YAML;
         check-config and run.
    Verifies:
      - one line "natprobe: FILE:LINE:COLUMN: (yaml): syntax error: ..."
        with libyaml's problem and the offending character's position
        (line counted in the file), the same from run.
    """
    base = base_text(tmp_path)
    start = base.index("datapath:\n") + len("datapath:\n")
    end = base.index("sip:\n")
    text = base[:start] + bad + base[end:]
    path = probe.config(text)
    (m,) = error_lines(probe.check_config(path), path)
    first = base[:start].count("\n")
    assert (m.group("field"), int(m.group("line")), int(m.group("col"))) == (
        "(yaml)", first + line, col), m.group(0)
    assert problem in m.group("msg"), m.group(0)
    r = probe.run("run", "-c", path)
    assert [x.group(0) for x in error_lines(r, path)] == [m.group(0)]


@pytest.mark.parametrize("text_edit,fragment", [
    (("  stats_interval_s: 0\n", "  stats_interval_s: 0\n  hep_collector: \"255.255.255.255:9060\"\n"),
     "export.hep_collector: 255.255.255.255 is a broadcast address"),
    (("  stats_interval_s: 0\n", "  stats_interval_s: 0\n  hep_collector: \"239.0.0.1:9060\"\n"),
     "export.hep_collector: 239.0.0.1 is a multicast address"),
    (('  metrics_listen: ""\n', '  metrics_listen: "[ff02::1]:9109"\n'),
     "export.metrics_listen: ff02::1 is a multicast address"),
    (("  worker_lcores: [1]\n", "  worker_lcores: [1, 127]\n"),
     "eal.worker_lcores[1]: CPU 127 is not available"),
    (("  stats_interval_s: 0\n", "  stats_interval_s: 0\n  hep_flow_events: true\n"),
     "export.hep_flow_events: true needs export.hep_collector"),
    (("  stats_interval_s: 0\n", "  stats_interval_s: 0\nhep:\n  clock_skew_ms: 10001\n"),
     "hep.clock_skew_ms: 10001 is more than 10000"),
    (("  stats_interval_s: 0\n", "  stats_interval_s: 0\nhep:\n  relay: maybe\n"),
     "hep.relay: 'maybe' is not allowed"),
], ids=["hep_broadcast", "hep_multicast", "metrics_multicast", "lcore_not_here",
        "flow_events_nowhere", "clock_skew_too_large", "relay_not_boolean"])
def test_check_config_knows_what_run_rejects(probe, tmp_path, text_edit, fragment):
    """What `run` would refuse and check-config can know, check-config refuses.

    Steps:
      1. The base config with a broadcast or multicast HEP collector, a
         multicast /metrics address, or a worker lcore this machine lacks;
         check-config, then run.
    Verifies:
      - both exit 2 with the same single line naming the field.
    """
    path = probe.config(edit(base_text(tmp_path), text_edit))
    r = probe.check_config(path)
    assert r.rc == 2 and len(r.stderr_lines()) == 1, r.describe()
    assert fragment in r.stderr, r.describe()
    r2 = probe.run("run", "-c", path, "--idle-exit", "1")
    assert r2.rc == 2 and r2.stderr_lines() == r.stderr_lines(), r2.describe()
