#!/usr/bin/env bash
# `make deps`: the Debian/Ubuntu packages needed to build, run and test ctrwatch. Idempotent.
set -euo pipefail
packages=(
	make gcc clang llvm pkg-config libbpf-dev libelf-dev zlib1g-dev bpftool # build
	libnghttp2-dev libprotobuf-c-dev protobuf-c-compiler libjansson-dev     # containerd API
	libhttp-parser-dev                                                      # Docker/Podman API
	libclang-rt-14-dev                                                      # fuzzing
	containerd runc busybox-static python3 python3-yaml util-linux valgrind jq # tests
	python3-grpcio python3-protobuf protobuf-compiler                      # CRI test client
	containernetworking-plugins iproute2                                   # a pod network of its own
	docker.io podman conmon                                                 # engines' tests
	prometheus                                                              # metrics test
	mmdebstrap                                                              # make image
	gcc-aarch64-linux-gnu qemu-user-static                                  # arm64 build
)
# `make bench` also compares with execsnoop and bpftrace and plots with gnuplot.
[ "${1:-}" = --bench ] && packages=(libbpf-tools bpftrace gnuplot-nox)
# `make vmtest` boots a Debian guest under qemu and drives it through CRI.
# Its containerd 2.0 leg builds containerd with Go 1.23 (golang-1.23-go, from bookworm-backports).
# Its arm64 leg boots an arm64 guest (qemu-system-arm), built with qemu-user (arch-test tells
# mmdebstrap it can run arm64 programs).
[ "${1:-}" = --vm ] && packages=(qemu-system-x86 qemu-utils protobuf-compiler e2fsprogs mmdebstrap
	golang-1.23-go qemu-system-arm qemu-user-static arch-test)
# An engine installed another way (Docker's docker-ce and containerd.io, a Podman build) is
# used as it is: Debian's package would conflict with it.
provided_by() {
	case "$1" in
	docker.io) command -v dockerd ;;
	podman) command -v podman ;;
	containerd) command -v containerd ;;
	runc) command -v runc ;;
	*) return 1 ;;
	esac
}
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && continue
	provided_by "$p" >/dev/null && continue
	missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all installed"
	exit 0
fi
[ "$(id -u)" -eq 0 ] || { echo "deps: installing ${missing[*]} needs root" >&2; exit 1; }
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Go 1.23 is in bookworm-backports: its source added where it is missing (Debian 12 hosts)
for i in "${!missing[@]}"; do
	[ "${missing[$i]}" = golang-1.23-go ] || continue
	if grep -q '^VERSION_CODENAME=bookworm' /etc/os-release &&
		! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d; then
		echo "deb $("$(dirname "$0")/debian-mirror.sh") bookworm-backports main" \
			>/etc/apt/sources.list.d/bookworm-backports.list
	fi
	missing[$i]=golang-1.23-go/bookworm-backports
done
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
# The Debian containerd package starts the host's daemon; the tests use their own private one.
