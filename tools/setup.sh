#!/usr/bin/env bash
# Install every Debian package natprobe's build, tests and demo need, then
# configure and build it in ./build. Safe to run again: apt skips what is
# installed, meson reconfigures an existing build dir.
#
#   tools/setup.sh            # release build in ./build
#   NP_BUILD_DIR=b tools/setup.sh
set -euo pipefail

cd "$(dirname "$0")/.."
build=${NP_BUILD_DIR:-build}

packages=(
	# build
	gcc pkg-config meson ninja-build
	libdpdk-dev libcyaml-dev libyaml-dev libhyperscan-dev libpcap-dev libmicrohttpd-dev libcap-ng-dev
	# gzip and zstd captures are decompressed in process (app/natprobe/instream.c)
	zlib1g-dev libzstd-dev
	# tests, fuzzing, sanitizers
	libcmocka-dev clang libclang-rt-14-dev valgrind python3 python3-pytest python3-scapy python3-yaml
	# peers and tools the tests and benchmarks drive
	dpdk tshark sngrep iproute2 nftables procps prometheus
	# capture forms and offloads (dts/TestSuite_captures.py, TestSuite_tunnels.py, live_nat)
	tcpdump ethtool gzip zstd
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
