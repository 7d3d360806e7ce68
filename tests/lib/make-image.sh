#!/usr/bin/env bash
# Builds a busybox-static OCI image layout tarball, offline and reproducibly.
# usage: make-image.sh OUT.tar IMAGE_NAME
# Prints the manifest digest. The layer is an uncompressed tar, so its digest is also its diff_id.
set -euo pipefail
out=$1
name=$2
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "make-image: $busybox not found (apt-get install busybox-static)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root"/{bin,dev,proc,sys,tmp,etc}
cp "$busybox" "$root/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"

layout=$work/layout
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
'"config":{"Env":["PATH=/bin"],"Cmd":["/bin/sh"]},'\
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
