#!/usr/bin/env bash
# The guest of `make vmtest`: Debian 12 with systemd as PID 1, containerd (CRI plugin, systemd
# cgroup driver), runc and crun, and Debian's 6.1 kernel, built with mmdebstrap from Debian's
# packages (no downloaded VM image). Debian 11's 5.10 kernel is installed beside it, for the leg
# that checks ctrwatch refuses a kernel older than it needs. Writes OUT/{vmlinuz,initrd.img,
# vmlinuz-5.10,initrd.img-5.10,rootfs.img}; rebuilt only when this script, the package lists or
# the guest's files change (their hash is OUT/inputs).
# With SUITE trixie: the same node, Debian 13 (kernel 6.12, systemd 257, containerd 1.7), with
# Docker and Podman (rootless too), and trixie-backports' 7.x kernel, the newest, beside its own.
# OUT/{vmlinuz,initrd.img,vmlinuz-7,initrd.img-7,rootfs.img}.
# With ARCH arm64: Debian 12 for arm64 (its 6.1 kernel, the same packages and unit), built on this
# amd64 host with qemu-user running the packages' maintainer scripts (binfmt_misc: registered
# for the build if it is not, and unregistered after). OUT/{vmlinuz,initrd.img,rootfs.img}.
# usage: build-guest.sh OUT [SUITE [ARCH]]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
suite=${2:-bookworm}
arch=${3:-amd64}
inputs=$(echo "$suite $arch" | cat - "$0" "$here/guest-packages.txt" \
	"$here/../../deploy/image/runtime-packages.txt" \
	"$here"/guest/*.service "$here"/guest/*.toml | sha256sum | cut -d' ' -f1)
if [ -f "$out/inputs" ] && [ "$(cat "$out/inputs")" = "$inputs" ] && [ -f "$out/rootfs.img" ]; then
	echo "vm: guest is up to date ($out)"
	exit 0
fi
mkdir -p "$out"
rm -f "$out/inputs"
work=$(mktemp -d)
binfmt=/proc/sys/fs/binfmt_misc
undo_binfmt=()
cleanup() {
	rm -rf "$work"
	# what this build registered, and only that
	for step in "${undo_binfmt[@]}"; do eval "$step" || true; done
}
trap cleanup EXIT
# Another architecture's packages run their maintainer scripts under qemu-user: binfmt_misc
# hands it that architecture's programs (Debian's qemu-user-static entry, F: opened now, so it
# works inside the chroot).
if [ "$arch" != amd64 ]; then
	if [ ! -e "$binfmt/register" ]; then
		mount -t binfmt_misc binfmt_misc "$binfmt"
		undo_binfmt=("umount $binfmt")
	fi
	if [ ! -e "$binfmt/qemu-aarch64" ]; then
		cat /usr/lib/binfmt.d/qemu-aarch64.conf >"$binfmt/register"
		undo_binfmt=("echo -1 >$binfmt/qemu-aarch64" "${undo_binfmt[@]}")
	fi
fi
packages=$(cat "$here/guest-packages.txt" "$here/../../deploy/image/runtime-packages.txt" |
	{ if [ "$suite" = trixie ]; then sed 's/^libelf1$/libelf1t64/'; else cat; fi } |
	sed "s/^linux-image-amd64$/linux-image-$arch/" | paste -sd,)
# The machine's own Debian mirror (and its security archive, if it has one): the suite, its
# updates and its security updates, as mmdebstrap adds them for a stable suite by itself
mirror=$("$here/../lib/debian-mirror.sh")
security=$("$here/../lib/debian-mirror.sh" security)
sources=("deb $mirror $suite main" "deb $mirror $suite-updates main")
[ -z "$security" ] || sources+=("deb $security $suite-security main")
kernels=()
if [ "$suite" = trixie ]; then
	# Docker and Podman as users run them (their systemd units, drivers), Podman rootless too
	# (a user's systemd manager and session bus, subordinate ids)
	packages="$packages,docker.io,docker-cli,podman,uidmap,dbus-user-session,libpam-systemd"
	# trixie-backports' newest 7.x kernel beside Debian 13's own
	kernels=(
		--customize-hook="echo 'deb $mirror trixie-backports main' >\"\$1/etc/apt/sources.list.d/trixie-backports.list\""
		--customize-hook='chroot "$1" apt-get update -q >/dev/null'
		--customize-hook='pkg=$(chroot "$1" apt-cache search --names-only "^linux-image-7\.[0-9.]+\+deb13-amd64\$" | cut -d" " -f1 | sort -V | tail -1) && [ -n "$pkg" ] && chroot "$1" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends -t trixie-backports "$pkg" >/dev/null'
		--customize-hook='rm "$1/etc/apt/sources.list.d/trixie-backports.list" && chroot "$1" apt-get update -q >/dev/null'
	)
fi
# Under qemu-user, mkinitramfs with every module, twice (the kernel's postinst, then the
# initramfs-tools trigger), took 10 of the arm64 guest's 14 minutes: its initramfs gets the
# modules qemu's virt board needs to mount the root, made once.
if [ "$arch" = arm64 ]; then
	kernels=(
		--dpkgopt=force-confold # the two initramfs-tools files below are its conffiles
		--essential-hook='mkdir -p "$1/etc/initramfs-tools/conf.d"'
		--essential-hook='echo MODULES=list >"$1/etc/initramfs-tools/conf.d/ctrwatch-vm.conf"'
		--essential-hook='printf "virtio_pci\nvirtio_mmio\nvirtio_blk\next4\n" >>"$1/etc/initramfs-tools/modules"'
		--essential-hook='mkdir -p "$1/etc/initramfs-tools" && echo update_initramfs=no >"$1/etc/initramfs-tools/update-initramfs.conf"'
	)
fi
# Debian 12's guest also gets Debian 11's 5.10 (refused).
if [ "$suite" = bookworm ] && [ "$arch" = amd64 ]; then
	kernels=(
		--customize-hook="echo 'deb $mirror bullseye main' >\"\$1/etc/apt/sources.list.d/bullseye.list\""
		--customize-hook='chroot "$1" apt-get update -q >/dev/null'
		--customize-hook='pkg=$(chroot "$1" apt-cache search --names-only "^linux-image-5\.10\.0-[0-9]+-amd64\$" | cut -d" " -f1 | sort -V | tail -1) && chroot "$1" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$pkg" >/dev/null'
		--customize-hook='rm "$1/etc/apt/sources.list.d/bullseye.list" && chroot "$1" apt-get update -q >/dev/null'
	)
fi
echo "vm: building the guest root filesystem (mmdebstrap $suite, $arch)"
mmdebstrap --quiet --mode=root --variant=apt --architectures="$arch" --include="$packages" \
	--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
	--dpkgopt='path-exclude=/usr/share/locale/*' \
	"${kernels[@]}" \
	--customize-hook='echo ctrwatch-vm >"$1/etc/hostname"' \
	--customize-hook='printf "127.0.0.1 localhost\n127.0.1.1 ctrwatch-vm\n::1 localhost\n" >"$1/etc/hosts"' \
	--customize-hook=': >"$1/etc/resolv.conf"' \
	--customize-hook='sed -i "s/^root:[^:]*:/root::/" "$1/etc/shadow"' \
	--customize-hook="cp '$here/guest/ctrwatch-vmtest.service' \"\$1/etc/systemd/system/\"" \
	--customize-hook='chroot "$1" systemctl enable ctrwatch-vmtest.service' \
	--customize-hook="mkdir -p \"\$1/etc/containerd\" && cp '$here/guest/containerd-config.toml' \"\$1/etc/containerd/config.toml\"" \
	--customize-hook='mkdir -p "$1/repo" "$1/results"' \
	--customize-hook='echo 9pnet_virtio >"$1/etc/modules-load.d/9p.conf"' \
	--customize-hook='printf "repo /repo 9p trans=virtio,version=9p2000.L,ro,nofail 0 0\nresults /results 9p trans=virtio,version=9p2000.L,nofail 0 0\n" >>"$1/etc/fstab"' \
	"$suite" "$work/root" "${sources[@]}" >&2
cp "$work"/root/boot/vmlinuz-6.* "$out/vmlinuz"
cp "$work"/root/boot/initrd.img-6.* "$out/initrd.img"
if [ "$suite" = bookworm ] && [ "$arch" = amd64 ]; then
	cp "$work"/root/boot/vmlinuz-5.10.* "$out/vmlinuz-5.10"
	cp "$work"/root/boot/initrd.img-5.10.* "$out/initrd.img-5.10"
fi
if [ "$suite" = trixie ]; then
	cp "$work"/root/boot/vmlinuz-7.* "$out/vmlinuz-7"
	cp "$work"/root/boot/initrd.img-7.* "$out/initrd.img-7"
fi
rm -f "$out/rootfs.img"
mke2fs -q -t ext4 -L ctrwatch-vm -d "$work/root" "$out/rootfs.img" 3G
echo "$inputs" >"$out/inputs"
echo "vm: guest built: $(du -h "$out/rootfs.img" | cut -f1) root filesystem"
