#!/usr/bin/env bash
# Installs trixie-backports' newest 7.x kernel into the Debian 12 guest root ROOT (build-guest.sh's
# customize hook), beside Debian 12's own: the newest kernel the node suite runs on (CO-RE must
# relocate there). Its packages expect Debian 13's tools, so three steps are done by hand:
# linux-base from backports, the postinst's hooks (run-parts options bookworm's debianutils
# lacks) skipped, and the initramfs made with bookworm's mkinitramfs. Leaves
# ROOT/boot/{vmlinuz,initrd.img}-7.x copies for build-guest.sh.
# usage: install-backports-kernel.sh ROOT
set -euo pipefail
root=$1
list=$root/etc/apt/sources.list.d/trixie-backports.list
echo "deb http://deb.debian.org/debian trixie-backports main" >"$list"
chroot "$root" apt-get update -q >/dev/null
pkg=$(chroot "$root" apt-cache search --names-only '^linux-image-7\.[0-9.]+\+deb13-amd64$' |
	cut -d' ' -f1 | sort -V | tail -1)
[ -n "$pkg" ] || { echo "install-backports-kernel: no 7.x kernel in trixie-backports" >&2; exit 1; }
version=${pkg#linux-image-}
# the postinst fails on bookworm (its hooks): unpacked and set up, then its hooks skipped
chroot "$root" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	"$pkg" linux-base/trixie-backports >/dev/null 2>&1 || true
echo 'exit 0' >"$root/var/lib/dpkg/info/$pkg.postinst"
chroot "$root" env DEBIAN_FRONTEND=noninteractive dpkg --configure -a >/dev/null
cp "$root/usr/lib/modules/$version/config" "$root/boot/config-$version"
cp "$root/usr/lib/modules/$version/vmlinuz" "$root/boot/vmlinuz-$version"
chroot "$root" mkinitramfs -o "/boot/initrd.img-$version" "$version" 2>/dev/null
rm "$list"
chroot "$root" apt-get update -q >/dev/null
echo "$version"
