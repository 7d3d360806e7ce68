#!/usr/bin/env bash
# Packs root filesystem directories into an OCI image layout tarball, reproducibly (sorted, mtime
# 0, numeric root ownership, uncompressed layers so a layer's digest is its diff_id), for `ctr
# image import`. One ARCH=ROOTFS: the image is that manifest (its digest printed). Several: an
# image index naming one manifest per platform (linux/ARCH), which a runtime resolves to its
# node's own (its digest printed).
# usage: oci-pack.sh OUT.tar IMAGE_NAME CONFIG_JSON ARCH=ROOTFS...
#   CONFIG_JSON is the image's "config" object, e.g. '{"Entrypoint":["/bin/app"]}'.
set -euo pipefail
out=$1 name=$2 config=$3
shift 3
[ $# -ge 1 ] || { echo "oci-pack: no ARCH=ROOTFS given" >&2; exit 2; }

layout=$(mktemp -d)
trap 'rm -rf "$layout"' EXIT
mkdir -p "$layout/blobs/sha256"
blob() { # stdin -> blob, prints "digest size"
	local tmp=$layout/blob.tmp d
	cat >"$tmp"
	d=$(sha256sum "$tmp" | cut -d' ' -f1)
	mv "$tmp" "$layout/blobs/sha256/$d"
	echo "$d $(stat -c %s "$layout/blobs/sha256/$d")"
}
# One architecture's manifest; prints "digest size".
manifest() { # arch rootfs
	local arch=$1 root=$2 layer_d layer_s config_d config_s
	read -r layer_d layer_s < <(tar -C "$root" --sort=name --mtime=@0 --owner=0 --group=0 \
		--numeric-owner -cf - . | blob)
	read -r config_d config_s < <(printf '%s' '{"architecture":"'"$arch"'","os":"linux",'\
'"config":'"$config"','\
'"rootfs":{"type":"layers","diff_ids":["sha256:'"$layer_d"'"]}}' | blob)
	printf '%s' '{"schemaVersion":2,'\
'"mediaType":"application/vnd.oci.image.manifest.v1+json",'\
'"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:'"$config_d"'","size":'"$config_s"'},'\
'"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:'"$layer_d"'","size":'"$layer_s"'}]}' | blob
}
names='"annotations":{"io.containerd.image.name":"'"$name"'","org.opencontainers.image.ref.name":"'"${name##*:}"'"}'
if [ $# -eq 1 ]; then
	read -r top_d top_s < <(manifest "${1%%=*}" "${1#*=}")
	top_type=application/vnd.oci.image.manifest.v1+json
else
	entries=()
	for pair in "$@"; do
		read -r d s < <(manifest "${pair%%=*}" "${pair#*=}")
		entries+=('{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:'"$d"'","size":'"$s"',"platform":{"architecture":"'"${pair%%=*}"'","os":"linux"}}')
	done
	read -r top_d top_s < <(printf '%s' '{"schemaVersion":2,'\
'"mediaType":"application/vnd.oci.image.index.v1+json","manifests":['"$(IFS=,; echo "${entries[*]}")"']}' | blob)
	top_type=application/vnd.oci.image.index.v1+json
fi
printf '%s' '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
printf '%s' '{"schemaVersion":2,"manifests":[{"mediaType":"'"$top_type"'",'\
'"digest":"sha256:'"$top_d"'","size":'"$top_s"','"$names"'}]}' >"$layout/index.json"
tar -C "$layout" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$out" .
echo "sha256:$top_d"
