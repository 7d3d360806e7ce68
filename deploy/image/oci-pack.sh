#!/usr/bin/env bash
# Packs a root filesystem directory into an OCI image layout tarball, reproducibly (sorted, mtime
# 0, numeric root ownership, uncompressed layer so its digest is its diff_id), for `ctr image
# import`. Prints the manifest digest.
# usage: oci-pack.sh ROOTFS OUT.tar IMAGE_NAME CONFIG_JSON
#   CONFIG_JSON is the image's "config" object, e.g. '{"Entrypoint":["/bin/app"]}'.
set -euo pipefail
root=$1 out=$2 name=$3 config=$4

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
read -r layer_d layer_s < <(tar -C "$root" --sort=name --mtime=@0 --owner=0 --group=0 \
	--numeric-owner -cf - . | blob)
read -r config_d config_s < <(printf '%s' '{"architecture":"amd64","os":"linux",'\
'"config":'"$config"','\
'"rootfs":{"type":"layers","diff_ids":["sha256:'"$layer_d"'"]}}' | blob)
read -r manifest_d manifest_s < <(printf '%s' '{"schemaVersion":2,'\
'"mediaType":"application/vnd.oci.image.manifest.v1+json",'\
'"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:'"$config_d"'","size":'"$config_s"'},'\
'"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:'"$layer_d"'","size":'"$layer_s"'}]}' | blob)
printf '%s' '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
printf '%s' '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",'\
'"digest":"sha256:'"$manifest_d"'","size":'"$manifest_s"',"annotations":{"io.containerd.image.name":"'"$name"'",'\
'"org.opencontainers.image.ref.name":"'"${name##*:}"'"}}]}' >"$layout/index.json"
tar -C "$layout" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$out" .
echo "sha256:$manifest_d"
