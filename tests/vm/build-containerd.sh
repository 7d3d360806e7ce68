#!/usr/bin/env bash
# containerd VERSION built from its release source for the VM's containerd 2.x leg, offline (its
# vendored modules), cached: OUT/containerd-VERSION/bin/{containerd,ctr,containerd-shim-runc-v2}.
# The source is containerd-VERSION.tar.xz in CONTAINERD_SRC_DIR, else in ../shared/containerd
# beside the checkout; with neither, one line says the leg is skipped and this exits 2.
# Go: golang-1.23 (bookworm-backports) for 2.0, as containerd's RELEASES.md asks.
# usage: build-containerd.sh OUT VERSION
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
version=$2
src_dir=${CONTAINERD_SRC_DIR:-$here/../../../shared/containerd}
tarball=$src_dir/containerd-$version.tar.xz
dir=$out/containerd-$version
if [ -x "$dir/bin/containerd" ] && [ -f "$dir/.built" ]; then
	echo "vm: containerd $version is built ($dir)"
	exit 0
fi
if [ ! -f "$tarball" ]; then
	echo "vm: no containerd-$version.tar.xz in ${CONTAINERD_SRC_DIR:-../shared/containerd} (set CONTAINERD_SRC_DIR): its leg is skipped"
	exit 2
fi
go=/usr/lib/go-1.23/bin
[ -x "$go/go" ] || { echo "vm: golang-1.23 is not installed (make deps --vm)" >&2; exit 1; }
echo "vm: building containerd $version from $tarball"
mkdir -p "$out"
rm -rf "$dir"
tar -C "$out" -xJf "$tarball"
start=$(date +%s)
(cd "$dir" && env PATH="$go:$PATH" GOFLAGS=-mod=vendor GOTOOLCHAIN=local GOPROXY=off \
	make binaries BUILDTAGS=no_btrfs VERSION="v$version" REVISION=release >/dev/null 2>&1)
touch "$dir/.built"
echo "vm: containerd $version built in $(($(date +%s) - start))s"
