#!/usr/bin/env bash
# `make image`: ctrwatch as an OCI image, without Docker or a registry. A minimal Debian bookworm
# root filesystem holding only the runtime libraries of runtime-packages.txt and what they
# depend on (mmdebstrap's extract variant: no shell, no package manager, no compiler), plus the
# binary. usage: build.sh OUT.tar [IMAGE_NAME]; prints the manifest digest.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
name=${2:-docker.io/ctrwatch/ctrwatch:latest}
binary=$here/../../ctrwatch
[ -x "$binary" ] || { echo "image: build ./ctrwatch first (make)" >&2; exit 1; }
command -v mmdebstrap >/dev/null || { echo "image: mmdebstrap missing (make deps)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mmdebstrap --quiet --variant=extract --mode=root --format=tar \
	--include="$(paste -sd, "$here/runtime-packages.txt")" \
	--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	bookworm "$work/rootfs.tar" >&2
mkdir "$work/rootfs"
tar -C "$work/rootfs" -xf "$work/rootfs.tar"
# extract does not run maintainer scripts: drop what only they or apt would use
rm -rf "$work/rootfs"/usr/share/{doc,man,locale,info,lintian} "$work/rootfs"/var/cache/apt \
	"$work/rootfs"/var/lib/apt/lists
# Packages bring libraries ctrwatch never loads: keep only
# the shared objects of the binary's ldd closure (names and the files they resolve to).
keep=$(ldd "$binary" | awk '/=> \//{print $3} /ld-linux/{print $1}' |
	while read -r lib; do basename "$lib"; basename "$(readlink -f "$lib")"; done | sort -u)
find "$work/rootfs" \( -type f -o -type l \) -name '*.so*' | while read -r f; do
	grep -qxF "$(basename "$f")" <<<"$keep" || rm -f "$f"
done
install -D -m 0755 "$binary" "$work/rootfs/usr/local/sbin/ctrwatch"
mkdir -p "$work/rootfs"/{proc,sys,dev,tmp,run}
"$here/oci-pack.sh" "$work/rootfs" "$out" "$name" \
	'{"Entrypoint":["/usr/local/sbin/ctrwatch"],"Env":["PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"]}'
