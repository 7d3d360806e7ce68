#!/usr/bin/env bash
# Builds the tests' busybox-static OCI image layout tarball, offline and reproducibly.
# usage: make-image.sh OUT.tar IMAGE_NAME; prints the manifest digest. IMAGE_CONFIG replaces the
# image config (default: PATH=/bin, Cmd /bin/sh). BUSYBOX names another architecture's
# busybox-static (its applets are listed by the host's), IMAGE_ARCH that architecture.
set -euo pipefail
out=$1
name=$2
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "make-image: $busybox not found (apt-get install busybox-static)" >&2; exit 1; }

root=$(mktemp -d)
chmod 0755 "$root" # mktemp makes it 0700: it becomes the image's /
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,etc}
cp "$busybox" "$root/bin/busybox"
for applet in $(/bin/busybox --list); do
	[ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
echo 'root:x:0:0:root:/:/bin/sh' >"$root/etc/passwd"
config='{"Env":["PATH=/bin"],"Cmd":["/bin/sh"]}'
"$(dirname "$0")/../../deploy/image/oci-pack.sh" "$out" "$name" "${IMAGE_CONFIG:-$config}" \
	"${IMAGE_ARCH:-amd64}=$root"
