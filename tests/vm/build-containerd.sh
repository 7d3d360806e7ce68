#!/usr/bin/env bash
# containerd VERSION built from its release source for the VM's containerd 2.x legs, offline (its
# vendored modules), cached: OUT/containerd-VERSION/bin/{containerd,ctr,containerd-shim-runc-v2}.
# The source is containerd-VERSION.tar.xz in CONTAINERD_SRC_DIR, else in ../shared/containerd
# beside the checkout; with neither, one line says the leg is skipped and this exits 2.
# Go, as containerd's RELEASES.md asks: golang-1.23 (bookworm-backports, `make deps --vm`) for
# 2.0; golang-1.26 for 2.3, which only trixie-backports has: its two packages are downloaded with
# a private apt state and unpacked under OUT/go-1.26 (the go tool is static), so the host's apt
# sources stay as they are.
# usage: build-containerd.sh OUT VERSION
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd) # absolute: apt takes relative Dir:: paths as under /var
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

# OUT/go-1.26/usr/lib/go-1.26/bin: Debian's golang-1.26 from trixie-backports, unpacked
unpack_go_1_26() {
	local cache=$out/go-1.26 apt mirror
	[ -x "$cache/usr/lib/go-1.26/bin/go" ] && return 0
	mirror=$("$here/../lib/debian-mirror.sh") # the machine's own Debian mirror
	rm -rf "$cache.tmp" && mkdir -p "$cache.tmp/lists/partial" "$cache.tmp/cache/archives/partial"
	echo "deb $mirror trixie-backports main" >"$cache.tmp/sources.list"
	apt=(-o "Dir::Etc::SourceList=$cache.tmp/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o "Dir::State::Lists=$cache.tmp/lists" -o "Dir::Cache=$cache.tmp/cache"
		-o APT::Sandbox::User=root)
	apt-get "${apt[@]}" update -q >/dev/null
	(cd "$cache.tmp" && apt-get "${apt[@]}" download -q golang-1.26-go golang-1.26-src >/dev/null)
	mkdir -p "$cache.tmp/root"
	for deb in "$cache.tmp"/*.deb; do dpkg-deb -x "$deb" "$cache.tmp/root"; done
	rm -rf "$cache" && mv "$cache.tmp/root" "$cache" && rm -rf "$cache.tmp"
}

case $version in
2.0.*) go=/usr/lib/go-1.23/bin ;;
*)
	unpack_go_1_26
	go=$out/go-1.26/usr/lib/go-1.26/bin
	;;
esac
[ -x "$go/go" ] || { echo "vm: no Go for containerd $version at $go (make deps --vm)" >&2; exit 1; }
echo "vm: building containerd $version from $tarball ($("$go/go" version | cut -d' ' -f3))"
mkdir -p "$out"
rm -rf "$dir"
tar -C "$out" -xJf "$tarball"
start=$(date +%s)
# Go's build cache under OUT too: nothing of the build lands in the invoking user's home
if ! (cd "$dir" && env PATH="$go:$PATH" GOROOT="$(dirname "$go")" GOFLAGS=-mod=vendor \
	GOCACHE="$out/go-build-cache" GOTOOLCHAIN=local GOPROXY=off make binaries \
	BUILDTAGS=no_btrfs VERSION="v$version" REVISION=release >"$out/build-$version.log" 2>&1); then
	tail -20 "$out/build-$version.log" >&2
	echo "vm: containerd $version did not build (log: $out/build-$version.log)" >&2
	exit 1
fi
touch "$dir/.built"
echo "vm: containerd $version built in $(($(date +%s) - start))s"
