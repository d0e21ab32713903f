#!/usr/bin/env bash
# Build natprobe's Debian package from this source tree:
#   tools/build-deb.sh [OUTDIR]        # default OUTDIR: build-deb
# Copies the tree (the files git tracks or would track; everything but build
# folders outside git) into a scratch folder with tools/debian as debian/, runs
# `dpkg-buildpackage -us -uc -b` there, then lintian on the .deb, and leaves
# natprobe_VERSION_ARCH.deb and lintian.txt in OUTDIR. Exits non-zero when the
# build fails or lintian reports an error or a warning.
# Needs the packages tools/setup.sh installs (debhelper, dpkg-dev, lintian, and
# the build dependencies in tools/debian/control).
set -euo pipefail

cd "$(dirname "$0")/.."
out=$(mkdir -p "${1:-build-deb}" && cd "${1:-build-deb}" && pwd)
version=$(sed -n "s/^\tversion: '\([^']*\)',/\1/p" meson.build)
deb_version=$(sed -n '1s/^natprobe (\([^)]*\)).*/\1/p' tools/debian/changelog)
if [ "$version" != "$deb_version" ]; then
	echo "build-deb: meson.build says $version, tools/debian/changelog $deb_version:" \
		"add a changelog entry" >&2
	exit 1
fi

work=$(mktemp -d /tmp/natprobe-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT
src=$work/natprobe-$version
mkdir -p "$src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard | grep -zv '^tools/debian/' |
		tar --null -T - -cf - | tar -C "$src" -xf -
else
	tar --exclude='./build*' --exclude=./tools/debian -cf - . | tar -C "$src" -xf -
fi
cp -r tools/debian "$src/debian"

echo "build-deb: dpkg-buildpackage in $src"
(cd "$src" && DEB_BUILD_OPTIONS="parallel=${NP_JOBS:-2} ${DEB_BUILD_OPTIONS:-}" \
	dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1 ||
	{ tail -40 "$out/build.log"; echo "build-deb: dpkg-buildpackage failed ($out/build.log)" >&2; exit 1; }
deb=$(ls "$work"/natprobe_"$version"_*.deb)
cp "$deb" "$out/"
deb=$out/$(basename "$deb")

# lintian as root needs its own flag; it must report neither error nor warning
lintian_args=(--fail-on error,warning)
[ "$(id -u)" -eq 0 ] && lintian_args+=(--allow-root)
if ! lintian "${lintian_args[@]}" "$deb" >"$out/lintian.txt" 2>&1; then
	cat "$out/lintian.txt"
	echo "build-deb: lintian found problems in $deb" >&2
	exit 1
fi
cat "$out/lintian.txt"
echo "build-deb: $deb"
