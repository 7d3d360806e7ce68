#!/usr/bin/env bash
# The arm64 build's sysroot: Debian 12's arm64 development packages of the libraries ctrwatch
# links (and libc's), and busybox-static (the arm64 guest's test images), unpacked with mmdebstrap's extract variant (no maintainer scripts, so no
# emulation, and the host's dpkg keeps its one architecture), for aarch64-linux-gnu-gcc
# --sysroot. Cached: remade only when this script changes (its hash is OUT/inputs).
# usage: cross-sysroot.sh ARCH OUT   (ARCH: arm64)
set -euo pipefail
arch=$1
out=$2
inputs=$(echo "$arch" | cat - "$0" | sha256sum | cut -d' ' -f1)
if [ -f "$out/inputs" ] && [ "$(cat "$out/inputs")" = "$inputs" ]; then
	exit 0
fi
command -v mmdebstrap >/dev/null || { echo "cross: mmdebstrap missing (make deps)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$(dirname "$out")"
echo "cross: unpacking the $arch sysroot (Debian 12's -dev packages) into $out" >&2
mmdebstrap --quiet --variant=extract --mode=root --architectures="$arch" \
	--include=libc6-dev,linux-libc-dev,libbpf-dev,libelf-dev,zlib1g-dev,libnghttp2-dev,libhttp-parser-dev,libprotobuf-c-dev,libjansson-dev,busybox-static \
	--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
	bookworm "$out" >&2
echo "$inputs" >"$out/inputs"
