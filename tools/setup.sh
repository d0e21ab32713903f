#!/usr/bin/env bash
# Install every Debian package natprobe's build, tests, demo, benchmarks and the
# docs' commands need, then configure and build it in ./build. Safe to run again:
# apt skips what is installed, meson reconfigures an existing build dir.
#
#   tools/setup.sh            # release build in ./build
#   NP_BUILD_DIR=b tools/setup.sh
set -euo pipefail

cd "$(dirname "$0")/.."
build=${NP_BUILD_DIR:-build}

# One line each on why a package is here: docs/setup.md (dts/TestSuite_setup.py keeps the
# two in step, and checks that every program the tests, tools and docs call comes from
# one of these packages or their dependencies).
packages=(
	# build
	gcc pkg-config meson ninja-build
	libdpdk-dev libcyaml-dev libyaml-dev libhyperscan-dev libpcap-dev libmicrohttpd-dev libcap-ng-dev
	libsystemd-dev help2man
	# gzip and zstd captures are decompressed in process (app/natprobe/offline/instream.c)
	zlib1g-dev libzstd-dev
	# the Debian package (tools/build-deb.sh) and its checks
	debhelper dpkg-dev fakeroot lintian
	# service checks: the logrotate snippet, log lines never sent to syslog
	logrotate strace
	# tests, fuzzing, sanitizers
	libcmocka-dev clang libclang-rt-14-dev clang-format valgrind python3 python3-pytest python3-scapy python3-yaml
	# peers and tools the tests and benchmarks drive
	dpdk dpdk-dev tshark sngrep iproute2 nftables procps prometheus git time
	# real SIP software for end-to-end suites
	kamailio kamailio-tls-modules sip-tester sipsak baresip tcpdump openssl
	# profiles of the HEP listener and the correlator (docs/performance.md, "HEP input")
	linux-perf
	# commands the docs give (deploy, monitoring, Expressway logs)
	kmod systemd sudo jq
	# capture forms and offloads (dts/TestSuite_captures.py, TestSuite_tunnels.py, live_nat)
	ethtool gzip zstd
	# renders analyze --html headless: DOM and screenshot (dts/TestSuite_evidence.py)
	chromium
)

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	$sudo apt-get update
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi

if [ -f "$build/build.ninja" ]; then
	meson setup --reconfigure "$build" >/dev/null
else
	meson setup "$build"
fi
ninja -C "$build"
echo "setup: built $build/app/natprobe/natprobe"
