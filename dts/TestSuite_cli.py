# SPDX-License-Identifier: BSD-3-Clause
"""The command line: options in any position, complete --help for every
subcommand, --version with the library versions, the man page and bash
completion (both built and installed from the same sources as --help)."""

import json
import os
import re
import subprocess

import pytest

from conftest import REPO_ROOT, SCENARIOS, natprobe_path, require_program

SEED = SCENARIOS / "seed_misroute"
SUBCOMMANDS = {            # subcommand -> the source file holding its option table
    "run": "cmd_run.c",
    "analyze": "cmd_analyze.c",
    "dump-sip": "cmd_dump_sip.c",
    "check-config": "cmd_check_config.c",
    "list-counters": "main.c",
}


def source_options(src, sub):
    """Long options of @sub's getopt table in app/natprobe/@src."""
    text = (REPO_ROOT / "app" / "natprobe" / src).read_text()
    if sub == "list-counters":
        text = text[text.index("static int cmd_list_counters"):]
    table = re.search(r"struct option opts\[\] = \{(.*?)\{ NULL", text, re.S)
    assert table, "no option table in %s" % src
    return re.findall(r'\{ "([a-z0-9-]+)",', table.group(1))


def help_options(text):
    return set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]+)", text))


@pytest.mark.parametrize("sub", sorted(SUBCOMMANDS))
def test_subcommand_help_lists_every_option(probe, sub):
    """Every subcommand's --help lists all its options, as tshark -h does.

    Steps:
      1. natprobe SUB --help; natprobe SUB -h; read SUB's getopt table in
         app/natprobe/.
      2. Give each option --help lists to SUB (with a value where it takes
         one).
    Verifies:
      - exit 0, "Usage: natprobe SUB" first, nothing on stderr; -h the same;
      - every long option of the table is in the text, and natprobe accepts
        every option the text names (never "unknown option");
      - natprobe --help holds each subcommand's text.
    """
    r = probe.run(sub, "--help")
    assert r.rc == 0 and r.stderr == "", r.describe()
    assert r.stdout.startswith("Usage: natprobe %s" % sub), r.stdout
    assert probe.run(sub, "-h").stdout == r.stdout
    listed = help_options(r.stdout)
    for opt in source_options(SUBCOMMANDS[sub], sub):
        assert "--" + opt in listed, "--%s missing from natprobe %s --help" % (opt, sub)
    for opt in listed - {"--help"}:
        args = [sub, opt]
        if re.search(r"%s [^ \n]" % re.escape(opt), r.stdout):    # "--opt VALUE"
            args.append("1")
        got = probe.run(*args)
        assert "unknown" not in got.stderr, "%s --help lists %s, refused: %s" % (
            sub, opt, got.stderr)
    main = probe.run("--help").stdout
    body = r.stdout.splitlines()
    for line in body[1:]:
        assert line.strip() in main, "natprobe --help lacks %r" % line


def test_version_names_every_library(probe):
    """--version gives natprobe's version and the libraries'.

    Steps:
      1. natprobe --version; pkg-config --modversion of libdpdk, libhs,
         libpcap, libcyaml; the version in meson.build.
    Verifies:
      - exit 0; first line "natprobe VERSION" as meson.build says;
      - a line for DPDK, Hyperscan, libpcap and libcyaml, each naming the
        version pkg-config reports (the library it runs with).
    """
    r = probe.run("--version")
    assert r.rc == 0, r.describe()
    want = re.search(r"version: '([^']+)'", (REPO_ROOT / "meson.build").read_text()).group(1)
    lines = r.stdout.splitlines()
    assert lines[0] == "natprobe %s" % want, lines
    for name, pc in [("DPDK", "libdpdk"), ("Hyperscan", "libhs"), ("libpcap", "libpcap"),
                     ("libcyaml", "libcyaml")]:
        v = subprocess.run([require_program("pkg-config"), "--modversion", pc],
                           capture_output=True, text=True).stdout.strip()
        assert any(ln.strip().startswith("%s %s" % (name, v)) for ln in lines), \
            "%s %s not in --version:\n%s" % (name, v, r.stdout)
    assert probe.run("-V").stdout == r.stdout


def test_options_after_inputs(probe):
    """Options may follow the inputs (getopt permutation).

    Steps:
      1. analyze inside=A dmz=B --json; analyze inside=A dmz=B --static-nat
         10.0.10.2=64.100.0.10 --json; dump-sip FILE --json; check-config
         FILE --help.
    Verifies:
      - exit 0 each, and the option took effect: JSON records, the same
        records as with the options first; dump-sip JSON objects.
    """
    a = ["inside=%s" % (SEED / "inside.pcap"), "dmz=%s" % (SEED / "dmz.pcap")]
    first = probe.run("analyze", "--json", "--static-nat", "10.0.10.2=64.100.0.10", *a)
    last = probe.run("analyze", *a, "--static-nat", "10.0.10.2=64.100.0.10", "--json")
    assert first.rc == 0 and last.rc == 0, last.describe()
    recs = [json.loads(ln) for ln in last.stdout.splitlines()]
    assert any(r["type"] == "nat_reflection_misroute" for r in recs), last.stdout
    assert last.stdout == first.stdout
    mixed = probe.run("analyze", a[0], "--json", a[1])
    assert mixed.stdout == probe.run("analyze", "--json", *a).stdout
    d = probe.run("dump-sip", SEED / "inside.pcap", "--json")
    assert d.rc == 0 and all(json.loads(ln)["segment"] for ln in d.stdout.splitlines()), \
        d.describe()
    c = probe.run("check-config", REPO_ROOT / "config" / "natprobe.yaml", "--help")
    assert c.rc == 0 and c.stdout.startswith("Usage: natprobe check-config"), c.describe()


def built_man_page():
    """The man page meson built beside the binary (build/app/natprobe/natprobe.1)."""
    page = natprobe_path().parent / "natprobe.1"
    if not page.exists():
        require_program("help2man")
    assert page.is_file(), "%s not built (meson builds it with help2man)" % page
    return page


def test_man_page_built_from_help(probe):
    """The man page is built from --help and renders without warnings.

    Steps:
      1. Read the man page meson built; render it with man -l (groff
         warnings on).
    Verifies:
      - it renders with no warning; NAME, SYNOPSIS, DESCRIPTION, FILES;
      - every option of every subcommand's --help is in it, and the version.
    """
    page = built_man_page()
    env = dict(os.environ, MANWIDTH="100", MAN_KEEP_FORMATTING="0")
    r = subprocess.run([require_program("man"), "--warnings=w", "-l", str(page)],
                       capture_output=True, text=True,
                       env=env, timeout=30)
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr
    text = re.sub(r".\x08", "", r.stdout)
    for section in ("NAME", "SYNOPSIS", "DESCRIPTION", "FILES"):
        assert re.search(r"^%s$" % section, text, re.M), "no %s section" % section
    for sub in SUBCOMMANDS:
        for opt in help_options(probe.run(sub, "--help").stdout):
            assert opt in text, "%s (natprobe %s) missing from the man page" % (opt, sub)
    version = probe.run("--version").stdout.split()[1]
    assert version in text


def complete(line, script):
    """Completions bash offers for @line with natprobe's completion loaded."""
    words = line.split(" ")
    prog = ('source %s\nCOMP_WORDS=(%s)\nCOMP_CWORD=%d\nCOMP_LINE=%s\nCOMP_POINT=${#COMP_LINE}\n'
            '_natprobe\nprintf "%%s\\n" "${COMPREPLY[@]}"\n'
            % (script, " ".join("'%s'" % w for w in words), len(words) - 1,
               "'%s'" % line))
    r = subprocess.run(["bash", "--norc", "-c", prog], capture_output=True, text=True,
                       timeout=30, cwd=str(SEED))
    assert r.returncode == 0, r.stderr
    return set(ln for ln in r.stdout.splitlines() if ln)


def test_bash_completion_offers_every_option(probe):
    """The bash completion knows the subcommands and every option --help lists.

    Steps:
      1. Source config/natprobe.bash-completion in a plain bash; complete
         "natprobe ", "natprobe SUB --" for each subcommand, and
         "natprobe analyze inside=" in the seed scenario folder.
    Verifies:
      - the subcommands are offered; for each subcommand every long option of
        its --help is offered; inside= completes to the folder's files.
    """
    script = REPO_ROOT / "config" / "natprobe.bash-completion"
    assert set(SUBCOMMANDS) <= complete("natprobe ", script)
    for sub in SUBCOMMANDS:
        offered = complete("natprobe %s --" % sub, script)
        missing = help_options(probe.run(sub, "--help").stdout) - offered
        assert not missing, "completion of natprobe %s lacks %s" % (sub, sorted(missing))
    files = complete("natprobe analyze inside=", script)
    assert "inside=inside.pcap" in files and "inside=dmz.pcap" in files, files


def test_installed_layout(tmp_path):
    """meson install puts the man page, completion, unit, logrotate snippet,
    config, alert rules, dashboard and docs where a distribution expects them.

    Steps:
      1. meson install --destdir SCRATCH of the build under test.
    Verifies:
      - PREFIX/bin/natprobe runs (--version); the man page, bash completion,
        systemd unit (ExecStart naming the installed binary), logrotate
        snippet, default config, alert rules, Grafana dashboard and
        docs/deploy.md are installed.
    """
    build = natprobe_path().parent.parent.parent
    if not (build / "meson-info").is_dir():
        pytest.skip("NATPROBE_BIN is not in a meson build directory")
    dest = tmp_path / "root"
    r = subprocess.run([require_program("meson"), "install", "-C", str(build), "--destdir",
                        str(dest), "--no-rebuild", "--quiet"], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    info = json.loads((build / "meson-info" / "intro-buildoptions.json").read_text())
    opt = {o["name"]: o["value"] for o in info}
    prefix = dest / opt["prefix"].lstrip("/")
    sysconf = opt["sysconfdir"]
    etc = (dest / sysconf.lstrip("/")) if sysconf.startswith("/") else prefix / sysconf
    binary = prefix / "bin" / "natprobe"
    assert subprocess.run([str(binary), "--version"], capture_output=True).returncode == 0
    unitdir = opt["systemdunitdir"] or os.path.join(opt["prefix"], "lib", "systemd", "system")
    unit = dest / unitdir.lstrip("/") / "natprobe.service"
    for path in [prefix / "share" / "man" / "man1" / "natprobe.1",
                 prefix / "share" / "bash-completion" / "completions" / "natprobe",
                 unit, etc / "logrotate.d" / "natprobe", etc / "natprobe" / "natprobe.yaml",
                 prefix / "share" / "natprobe" / "prometheus-alerts.yml",
                 prefix / "share" / "natprobe" / "grafana-dashboard.json",
                 prefix / "share" / "doc" / "natprobe" / "deploy.md"]:
        assert path.is_file(), "%s not installed" % path
    assert "ExecStart=%s/bin/natprobe run -c " % opt["prefix"] in unit.read_text()
