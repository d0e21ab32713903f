# SPDX-License-Identifier: BSD-3-Clause
"""A fresh Debian 12 machine: `bash tools/setup.sh && bash tools/test.sh` must pass on
one, so every program the tests, tools and docs call must come from a package
tools/setup.sh installs (docs/setup.md).

The programs are found from the code (dts/external_programs.py), never from a list kept
by hand; their packages from `dpkg -S` and `apt-cache depends` on this machine.
"""

import os
import re

import pytest

import external_programs as ep
from conftest import PROGRAM_PACKAGES, REPO_ROOT, require_program

SETUP_DOC = REPO_ROOT / "docs" / "setup.md"
DOC_LINE = re.compile(r"^- `([a-z0-9][a-z0-9.+-]*)` — (\S.*)$")


@pytest.fixture(scope="module")
def calls():
    return ep.scan()


def owners_of(programs):
    """{program: {owning packages}} of the installed programs among programs."""
    found = {p: ep.resolve(p) for p in programs}
    owners = ep.dpkg_owners([x for r in found.values() if r for x in r])
    return {p: owners.get(r[1], set()) | owners.get(r[0], set())
            for p, r in found.items() if r}


def test_called_programs_come_from_setup_packages(calls):
    """Steps: find every external program dts/, tests/, tools/, docs/ and the README
    call; resolve each (root's PATH) and find its package with dpkg -S.
    Verifies: each is installed and its package is one tools/setup.sh names, a hard
    dependency of one, or Essential/required; a failure names the program, where it is
    called and the package to add."""
    problems = ep.check(calls, known=PROGRAM_PACKAGES)
    if problems:
        pytest.fail("%d programs would be missing on a fresh machine:\n%s" % (
            len(problems), "\n".join(p.message for p in problems)), pytrace=False)


def test_imported_modules_come_from_setup_packages():
    """Steps: find the Python modules the tree imports that are neither the standard
    library's nor its own; find each one's file and its package.
    Verifies: each comes from a package tools/setup.sh brings."""
    imports = ep.python_imports()
    assert "pytest" in imports, "the scan found no import of pytest in dts/"
    problems = ep.check_modules(imports)
    if problems:
        pytest.fail("\n".join(p.message for p in problems), pytrace=False)


def test_dropping_a_needed_package_is_named(calls, tmp_path):
    """Steps: for each package tools/setup.sh names that alone brings a called program
    (dpdk-dev: dpdk-telemetry.py, dpdk-testpmd; tshark; prometheus; ...), check a copy of
    setup.sh without it.
    Verifies: the check fails, and its message names that package and the program."""
    setup = ep.setup_packages()
    text = ep.SETUP.read_text()
    block = re.search(r"^packages=\(.*?^\)", text, re.S | re.M)
    owners = owners_of({c.program for c in calls})
    graph = ep.dependency_graph(frozenset(setup) | ep.base_packages())
    base = ep.closure(ep.base_packages(), graph)
    tried = []
    for pkg in setup:
        others = ep.closure([p for p in setup if p != pkg], graph) | base
        progs = sorted(p for p, o in owners.items() if pkg in o and not o & others)
        if not progs:
            continue
        copy = tmp_path / ("setup-without-%s.sh" % pkg)
        cut = re.sub(r"(?<=\s)%s(?=\s)" % re.escape(pkg), "", block.group(0))
        copy.write_text(text.replace(block.group(0), cut))
        assert pkg not in ep.setup_packages(copy)
        problems = ep.check(calls, setup=copy, known=PROGRAM_PACKAGES)
        named = [p for p in problems if p.package == pkg and pkg in p.message]
        assert {p.program for p in named} == set(progs), \
            "without %s in setup.sh the check should name it for %s; it said:\n%s" % (
                pkg, progs, "\n".join(p.message for p in problems))
        tried.append(pkg)
    assert tried, "no package of tools/setup.sh owns a called program: the scan found nothing?"


def test_program_packages_table_is_right(calls):
    """Steps: for every program the suites run from outside the base system, and for
    every entry of conftest.PROGRAM_PACKAGES (the package require_program names when a
    program is absent), find the package with dpkg -S.
    Verifies: each such program has an entry, and installing each entry's package
    brings the package dpkg says owns the program (itself or a hard dependency)."""
    base = ep.base_packages()
    used = {c.program for c in calls if c.where.startswith("dts/") and
            c.where.split(":")[0].endswith(".py")}
    owners = owners_of(used | set(PROGRAM_PACKAGES))
    graph = ep.dependency_graph(frozenset(PROGRAM_PACKAGES.values()) | base)
    wrong = []
    for prog in sorted(used):
        if prog in owners and not owners[prog] & base and \
                os.path.basename(prog) not in PROGRAM_PACKAGES:
            wrong.append("%s (package %s) has no entry in conftest.PROGRAM_PACKAGES"
                         % (prog, "/".join(sorted(owners[prog]))))
    for prog, pkg in sorted(PROGRAM_PACKAGES.items()):
        if prog not in owners:
            wrong.append("%s is not installed: cannot check that %s ships it" % (prog, pkg))
        elif not owners[prog] & ep.closure([pkg], graph):
            wrong.append("PROGRAM_PACKAGES says %s comes from %s; dpkg -S says %s"
                         % (prog, pkg, "/".join(sorted(owners[prog]))))
    if wrong:
        pytest.fail("\n".join(wrong), pytrace=False)


def test_suites_require_the_programs_they_run(calls):
    """Steps: for every external program a dts/*.py file runs (outside the base
    system and the suites' own interpreter), look for a require_program() call in that
    file that resolves to the same program.
    Verifies: there is one, so an absent program fails the test naming its package
    instead of raising FileNotFoundError."""
    base = ep.base_packages()
    runs, required = {}, set()
    for c in calls:
        path = c.where.split(":")[0]
        if not (path.startswith("dts/") and path.endswith(".py")):
            continue
        name = os.path.basename(c.program)
        if c.kind == "require":
            required.add((path, name))
        elif c.kind == "run" and not name.startswith("python3"):
            runs.setdefault((path, name), []).append(c.where)
    owners = owners_of({n for _, n in runs})
    missing = ["%s runs %s (%s) without require_program(%r)" % (path, name, wheres[0], name)
               for (path, name), wheres in sorted(runs.items())
               if (path, name) not in required and not owners.get(name, set()) & base]
    if missing:
        pytest.fail("\n".join(missing), pytrace=False)


def test_require_program_names_the_package(tmp_path, monkeypatch):
    """Steps: with PATH holding only an empty directory, require_program() the
    telemetry client, a name no package ships, and an absolute path that does not
    exist; then with the real PATH, require_program() the telemetry client.
    Verifies: each absent program fails the test (no traceback) with one line naming
    the program and, where known, the Debian package (dpdk-dev); a present one
    returns its executable path."""
    real = require_program("dpdk-telemetry.py")
    assert os.path.isabs(real) and os.access(real, os.X_OK), real
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    for name, want in (("dpdk-telemetry.py", "Debian package dpdk-dev"),
                       ("np-no-such-program", "add that package to tools/setup.sh"),
                       ("/usr/bin/np-no-such-program", "add that package to tools/setup.sh")):
        with pytest.raises(pytest.fail.Exception) as e:
            require_program(name)
        msg = str(e.value)
        assert e.value.pytrace is False, "%s: the failure would print a traceback" % name
        assert msg.startswith("%s is not installed" % name) and want in msg \
            and "\n" not in msg, msg


def test_setup_doc_in_step():
    """Steps: read the packages tools/setup.sh installs (bash reads its list) and the
    `- \\`package\\` — why` lines of docs/setup.md.
    Verifies: each package is explained once in the doc, and the doc explains no
    package setup.sh does not install."""
    setup = ep.setup_packages()
    doc = [m.group(1) for m in map(DOC_LINE.match, SETUP_DOC.read_text().splitlines()) if m]
    wrong = []
    dup = sorted({p for p in doc if doc.count(p) > 1})
    if dup:
        wrong.append("docs/setup.md explains %s more than once" % " ".join(dup))
    if set(setup) - set(doc):
        wrong.append("docs/setup.md does not say why tools/setup.sh installs %s"
                     % " ".join(sorted(set(setup) - set(doc))))
    if set(doc) - set(setup):
        wrong.append("docs/setup.md explains %s, which tools/setup.sh does not install"
                     % " ".join(sorted(set(doc) - set(setup))))
    if "docs/setup.md" not in (REPO_ROOT / "README.md").read_text():
        wrong.append("README.md's Documentation list does not link docs/setup.md")
    if wrong:
        pytest.fail("\n".join(wrong), pytrace=False)


# --------------------------------------------------------------------------
# The scanner on a tree of known content
# --------------------------------------------------------------------------

SAMPLE_PY = '''import shutil
import subprocess
import sys

from conftest import require_program

TOOL = "/usr/bin/tool-a"
CLASSES = ["not-a-program", "nor-this"]


def sh(*args, ns=None):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + [str(a) for a in args]
    return subprocess.run(cmd)


def helper(name):
    return shutil.which(name)


def argv(x):
    return ["timeout", "5", x, "-v"]


def test_a():
    sh("tool-b", "--flag", ns="n1")
    helper("tool-c")
    subprocess.run(argv("tool-d"))
    subprocess.run([sys.executable, "tools/gen.py"])
    subprocess.run("tool-e | tool-f --x", shell=True)
    subprocess.run(["build/app/natprobe/natprobe", "run"])
    require_program("tool-g")
    subprocess.Popen([TOOL, "--x"])
'''

SAMPLE_SH = '''#!/usr/bin/env bash
set -euo pipefail
packages=(
	pkg-one pkg-two   # a comment
	pkg-three
)
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
bin=${NATPROBE_BIN:-build/app/natprobe/natprobe}
helper() {
	local x
	x=$(tool-h --count "$1" | tool-i)
	echo "$x"
}
$sudo tool-j update
"$bin" run -c cfg
CC=tool-k tool-l setup b
cat <<EOF
tool-not-here
EOF
if command -v tool-m >/dev/null; then helper 1; fi
for f in a b; do tool-n "$f" 2>&1; done
timeout 3 tool-o && mytool --x
n=$((1 + 2))
case "$1" in
	start|go) tool-r --now ;;
	*) echo no ;;
esac
'''

SAMPLE_MD = '''# Sample

```sh
tool-p --a   # a comment
```

```console
$ sudo tool-q -f x
--> not-a-command
```

```text
tool-not-either
```

```yaml
key: value
```
'''


def test_scanner_on_a_sample_tree(tmp_path):
    """Steps: write a small tree (a Python suite, a shell script, a Markdown file and a
    meson.build defining `mytool`) and scan it.
    Verifies: exactly the external programs are found (through parameters, wrappers,
    shell=True strings, variables, $(...), `command -v`, CC=, sh and console
    blocks), each at the line that calls it; builtins, functions, heredocs, arrays,
    case patterns, the tree's own programs, text blocks and list constants are not."""
    (tmp_path / "dts").mkdir()
    (tmp_path / "tools").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "dts" / "TestSuite_x.py").write_text(SAMPLE_PY)
    script = tmp_path / "tools" / "x"
    script.write_text(SAMPLE_SH)
    (tmp_path / "docs" / "x.md").write_text(SAMPLE_MD)
    (tmp_path / "meson.build").write_text("executable('mytool', 'x.c')\n")
    got = {}
    for c in ep.scan(tmp_path):
        got.setdefault(c.program, set()).add(c.where)
    want = {
        "/usr/bin/tool-a": {"dts/TestSuite_x.py:32"},
        "ip": {"dts/TestSuite_x.py:13"},
        "tool-b": {"dts/TestSuite_x.py:25"},
        "tool-c": {"dts/TestSuite_x.py:26"},
        "timeout": {"dts/TestSuite_x.py:27", "tools/x:23"},
        "tool-d": {"dts/TestSuite_x.py:27"},
        "python3": {"dts/TestSuite_x.py:28"},
        "tool-e": {"dts/TestSuite_x.py:29"},
        "tool-f": {"dts/TestSuite_x.py:29"},
        "tool-g": {"dts/TestSuite_x.py:31"},
        "id": {"tools/x:8"},
        "sudo": {"tools/x:15", "docs/x.md:8"},
        "tool-h": {"tools/x:12"},
        "tool-i": {"tools/x:12"},
        "tool-j": {"tools/x:15"},
        "tool-k": {"tools/x:17"},
        "tool-l": {"tools/x:17"},
        "cat": {"tools/x:18"},
        "tool-m": {"tools/x:21"},
        "tool-n": {"tools/x:22"},
        "tool-o": {"tools/x:23"},
        "tool-r": {"tools/x:26"},
        "tool-p": {"docs/x.md:4"},
        "tool-q": {"docs/x.md:8"},
    }
    diff = ["%s: found at %s, wanted at %s" % (p, sorted(got.get(p, ())), sorted(want.get(p, ())))
            for p in sorted(set(got) | set(want)) if got.get(p) != want.get(p)]
    assert not diff, "\n".join(diff)
