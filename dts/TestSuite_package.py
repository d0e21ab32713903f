# SPDX-License-Identifier: BSD-3-Clause
"""The Debian package (tools/build-deb.sh, tools/debian/): it builds with
dpkg-buildpackage, lintian finds nothing to report, and it installs what an
operator needs where Debian puts it. The build takes about a minute on two
cores: the case is marked slow (pytest -m 'not slow' leaves it out).
"""

import os
import re
import subprocess

import pytest

from conftest import REPO_ROOT, require_program

BUILD_TIMEOUT_S = 900


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    """tools/build-deb.sh into a scratch folder, then `dpkg -x` into a scratch root."""
    for tool in ("dpkg-buildpackage", "lintian"):
        require_program(tool)
    out = tmp_path_factory.mktemp("deb")
    r = subprocess.run(["bash", str(REPO_ROOT / "tools" / "build-deb.sh"), str(out)],
                       capture_output=True, text=True, timeout=BUILD_TIMEOUT_S)
    assert r.returncode == 0, "tools/build-deb.sh failed:\n%s\n%s" % (r.stdout[-4000:],
                                                                     r.stderr[-4000:])
    debs = list(out.glob("natprobe_*_amd64.deb"))
    assert len(debs) == 1, list(out.iterdir())
    root = out / "root"
    subprocess.run(["dpkg", "-x", str(debs[0]), str(root)], check=True, timeout=60)
    return debs[0], root, out


@pytest.mark.slow
def test_package_builds_lintian_clean(package):
    """Steps: tools/build-deb.sh (dpkg-buildpackage -us -uc -b, then lintian).
    Verifies: a natprobe_VERSION_amd64.deb whose version is meson.build's;
    lintian reports no error and no warning."""
    deb, _, out = package
    version = re.search(r"version: '([^']+)'", (REPO_ROOT / "meson.build").read_text()).group(1)
    assert deb.name == "natprobe_%s_amd64.deb" % version
    tags = [ln for ln in (out / "lintian.txt").read_text().splitlines()
            if re.match(r"^[EW]: ", ln)]
    assert tags == [], "\n".join(tags)


@pytest.mark.slow
def test_package_layout_and_metadata(package):
    """Steps: dpkg -x the package into a scratch root; dpkg-deb -I and -e.
    Verifies: the binary, /etc/natprobe/natprobe.yaml and the logrotate
    snippet (both conffiles), the systemd unit, man page, bash completion,
    alert rules, Grafana dashboard and docs are where Debian puts them; it
    depends on the libraries natprobe loads at run time (libcap-ng0,
    libsystemd0) besides those it links."""
    deb, root, out = package
    for path in ["usr/bin/natprobe", "etc/natprobe/natprobe.yaml", "etc/logrotate.d/natprobe",
                 "lib/systemd/system/natprobe.service", "usr/share/man/man1/natprobe.1.gz",
                 "usr/share/bash-completion/completions/natprobe",
                 "usr/share/natprobe/prometheus-alerts.yml",
                 "usr/share/natprobe/grafana-dashboard.json",
                 "usr/share/doc/natprobe/copyright", "usr/share/doc/natprobe/README.md*",
                 "usr/share/doc/natprobe/deploy.md*"]:
        # dh_compress gzips documents over 4 kB
        hits = [p for p in root.glob(path) if p.is_file()]
        assert hits, "%s not in the package" % path
    assert os.access(root / "usr/bin/natprobe", os.X_OK)
    ctl = out / "control"
    subprocess.run(["dpkg-deb", "-e", str(deb), str(ctl)], check=True, timeout=60)
    assert (ctl / "conffiles").read_text().split() == ["/etc/logrotate.d/natprobe",
                                                       "/etc/natprobe/natprobe.yaml"]
    info = subprocess.run(["dpkg-deb", "-f", str(deb), "Depends"], capture_output=True,
                          text=True, check=True).stdout
    for dep in ("libcap-ng0", "libsystemd0", "libhyperscan5", "libcyaml1", "libpcap0.8",
                "librte-eal23"):
        assert dep in info, "Depends lacks %s: %s" % (dep, info)
    unit = (root / "lib/systemd/system/natprobe.service").read_text()
    assert "ExecStart=/usr/bin/natprobe run -c /etc/natprobe/natprobe.yaml" in unit
    assert "Type=notify" in unit and "ExecReload=/bin/kill -HUP $MAINPID" in unit


@pytest.mark.slow
def test_packaged_binary_runs(package, tmp_path):
    """Steps: run the packaged natprobe from the scratch root: --version,
    check-config of the packaged /etc/natprobe/natprobe.yaml, analyze of the
    seed captures; systemd-analyze verify of the packaged unit (ExecStart
    pointed at the scratch root, the packaged man page on MANPATH).
    Verifies: each exits 0; the version is meson.build's; the seed incident is
    found; the unit verifies clean."""
    _, root, _ = package
    binary = root / "usr/bin/natprobe"
    r = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30)
    version = re.search(r"version: '([^']+)'", (REPO_ROOT / "meson.build").read_text()).group(1)
    assert r.returncode == 0 and r.stdout.startswith("natprobe %s\n" % version), r.stdout
    r = subprocess.run([str(binary), "check-config", str(root / "etc/natprobe/natprobe.yaml")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    seed = REPO_ROOT / "tests" / "fixtures" / "scenarios" / "seed_misroute"
    r = subprocess.run([str(binary), "analyze", "--json", "inside=%s" % (seed / "inside.pcap"),
                        "dmz=%s" % (seed / "dmz.pcap")], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0 and "nat_reflection_misroute" in r.stdout, r.stderr
    sa = require_program("systemd-analyze")
    unit = tmp_path / "natprobe.service"
    unit.write_text((root / "lib/systemd/system/natprobe.service").read_text().replace(
        "/usr/bin/natprobe", str(binary)))
    r = subprocess.run([sa, "verify", str(unit)], capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, MANPATH=str(root / "usr/share/man")))
    if r.returncode != 0 and "Failed to initialize manager" in r.stderr:
        pytest.skip("systemd-analyze cannot run here: %s" % r.stderr.strip())
    assert r.returncode == 0 and not (r.stdout + r.stderr).strip(), r.stdout + r.stderr
