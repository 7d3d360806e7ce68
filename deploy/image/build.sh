#!/usr/bin/env bash
# `make image`: ctrwatch as one OCI image for amd64 and arm64 (an image index, one manifest per
# architecture), without Docker or a registry. Each architecture's root filesystem is a minimal
# Debian bookworm one holding only the runtime libraries of runtime-packages.txt that its binary
# loads (mmdebstrap's extract variant for that architecture: no shell, no package manager, no
# compiler, no emulation), plus the binary: ./ctrwatch (amd64) and build/arm64/ctrwatch (`make
# arm64`). usage: build.sh OUT.tar [IMAGE_NAME]; prints the index's digest.
# IMAGE_ARCHES="amd64" makes a one-architecture index.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$here/../..
out=$1
name=${2:-docker.io/ctrwatch/ctrwatch:latest}
arches=${IMAGE_ARCHES:-amd64 arm64}
command -v mmdebstrap >/dev/null || { echo "image: mmdebstrap missing (make deps)" >&2; exit 1; }

binary_of() { # arch -> the binary built for it
	case $1 in
	amd64) echo "$repo/ctrwatch" ;;
	arm64) echo "$repo/build/arm64/ctrwatch" ;;
	*) echo "image: no build for $1" >&2; return 1 ;;
	esac
}

# The shared objects a binary loads, by name, resolved in root (its NEEDED entries, theirs, and
# the program interpreter), whatever the architecture: readelf reads any ELF.
closure() { # root binary -> one path inside root per line
	local root=$1 todo seen=" " f lib path
	todo=$(readelf -d "$2" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
	readelf -l "$2" | sed -n 's/.*Requesting program interpreter: \(.*\)\]/\1/p'
	while [ -n "$todo" ]; do
		set -- $todo
		lib=$1
		shift
		todo="$*"
		case $seen in *" $lib "*) continue ;; esac
		seen="$seen$lib "
		path=$(cd "$root" && ls -d usr/lib/*-linux-gnu/"$lib" lib/*-linux-gnu/"$lib" 2>/dev/null | head -1)
		[ -n "$path" ] || { echo "image: $lib not in the root filesystem" >&2; return 1; }
		echo "/$path"
		f=$(readlink -f "$root/$path")
		todo="$todo $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | paste -sd' ')"
	done
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pack_args=()
for arch in $arches; do
	binary=$(binary_of "$arch")
	[ -x "$binary" ] || { echo "image: build $binary first (make, make arm64)" >&2; exit 1; }
	root=$work/$arch
	mmdebstrap --quiet --variant=extract --mode=root --format=tar --architectures="$arch" \
		--include="$(paste -sd, "$here/runtime-packages.txt")" \
		--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		bookworm "$work/$arch.tar" >&2
	mkdir "$root"
	tar -C "$root" -xf "$work/$arch.tar"
	rm "$work/$arch.tar"
	# extract does not run maintainer scripts: drop what only they or apt would use
	rm -rf "$root"/usr/share/{doc,man,locale,info,lintian} "$root"/var/cache/apt \
		"$root"/var/lib/apt/lists
	# Packages bring libraries ctrwatch never loads: keep only the binary's closure (the names
	# it asks for and the files they resolve to)
	keep=$(closure "$root" "$binary" | while read -r lib; do
		basename "$lib"
		basename "$(readlink -f "$root$lib")"
	done | sort -u)
	find "$root" \( -type f -o -type l \) -name '*.so*' | while read -r f; do
		grep -qxF "$(basename "$f")" <<<"$keep" || rm -f "$f"
	done
	install -D -m 0755 "$binary" "$root/usr/local/sbin/ctrwatch"
	mkdir -p "$root"/{proc,sys,dev,tmp,run}
	pack_args+=("$arch=$root")
done
"$here/oci-pack.sh" "$out" "$name" \
	'{"Entrypoint":["/usr/local/sbin/ctrwatch"],"Env":["PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"]}' \
	"${pack_args[@]}"
