#!/usr/bin/env bash
# `make vmtest`: ctrwatch on a real node in a VM (tests/vm/guest/test_node.py says what is
# tested). Builds (or reuses) the guest, boots it under qemu with the checkout shared read-only
# over 9p, and waits for the guest's tests to power it off. KVM when it works, else TCG.
# usage: run.sh [--shell]   (--shell: boot the guest to a root shell on this terminal instead)
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$(pwd)
out=$repo/build/vm
timeout_s=${VMTEST_TIMEOUT:-900}
mode=${1:-} # --shell

tests/lib/install-deps.sh --vm
# arm64: the same ctrwatch cross-built, its unit tests run under qemu-user
if [ -z "${VMTEST_ONLY:-}" ] && { [ -z "${VMTEST_LEGS:-}" ] || [[ ",$VMTEST_LEGS," == *,arm64,* ]]; }; then
	make -s arm64-unit-test
fi
tests/vm/build-guest.sh "$out"
if [ -z "${VMTEST_ONLY:-}" ] && { [ -z "${VMTEST_LEGS:-}" ] ||
	[[ ",$VMTEST_LEGS," =~ ,(debian13|kernel7|containerd2\.[03]|engines), ]]; }; then
	tests/vm/build-guest.sh "$out/trixie" trixie
fi
mkdir -p "$out/gen" "$out/images"
protoc --python_out="$out/gen" -Iproto proto/cri.proto
tests/lib/make-image.sh "$out/images/busybox.tar" docker.io/ctrwatch/busybox:test \
	>"$out/images/busybox.digest"
IMAGE_CONFIG='{"Env":["PATH=/bin"],"Entrypoint":["/bin/sleep","2147483647"]}' \
	tests/lib/make-image.sh "$out/images/pause.tar" registry.k8s.io/pause:3.6 >/dev/null
# The DaemonSet test runs `make image`'s image with what the manifest declares (the guest has
# no YAML parser: the manifest goes in as JSON).
make -s ctrwatch arm64
deploy/image/build.sh "$out/images/ctrwatch.tar" >/dev/null
python3 -c 'import json, sys, yaml; json.dump(list(yaml.safe_load_all(open(sys.argv[1]))), sys.stdout)' \
	deploy/kubernetes/ctrwatch.yaml >"$out/gen/manifest.json"
# One guest boot: the cached image under a throw-away overlay, the given kernel, the tests the
# kernel command line selects. Returns the guest tests' status.
run_leg_once() { # label kernel initrd suite [kernel release prefix [root image [more of the cmdline [arch]]]]
	local label=$1 kernel=$2 initrd=$3 suite=$4 release=${5:-} image=${6:-$out/rootfs.img}
	local more=${7:-} arch=${8:-amd64} qemu=qemu-system-x86_64 console=ttyS0 machine=()
	echo "vm: $label"
	rm -rf "$out/results"
	mkdir -p "$out/results"
	# A throw-away overlay keeps the cached image as built.
	rm -f "$out/run.qcow2"
	qemu-img create -q -f qcow2 -b "$image" -F raw "$out/run.qcow2"

	# The guest needs no virtualization of its own: kvm_amd/kvm_intel (and powernow_k8, which
	# probes for a host CPU feature) are kept out, so nothing loads them as the node comes up.
	# arm64: qemu's virt board, its PL011 console; emulated only (this host is amd64)
	if [ "$arch" = arm64 ]; then
		qemu=qemu-system-aarch64 console=ttyAMA0 machine=(-M virt)
	fi
	append="root=/dev/vda rw console=$console systemd.unified_cgroup_hierarchy=1 panic=-1"
	append="$append modprobe.blacklist=kvm_amd,kvm_intel,kvm,powernow_k8"
	[ "$mode" = --shell ] && append="$append systemd.mask=ctrwatch-vmtest.service"
	[ -n "${VMTEST_ONLY:-}" ] && append="$append ctrwatch.tests=$VMTEST_ONLY"
	[ -n "$suite" ] && append="$append ctrwatch.suite=$suite"
	[ -n "$release" ] && append="$append ctrwatch.kernel=$release"
	[ -n "$more" ] && append="$append $more"
	qemu_args=("${machine[@]}" -m 4096 -smp 2 -nographic -no-reboot -kernel "$kernel" -initrd "$initrd"
		-append "$append" -drive "file=$out/run.qcow2,if=virtio,format=qcow2"
		-virtfs "local,path=$repo,mount_tag=repo,security_model=none,readonly=on"
		-virtfs "local,path=$out/results,mount_tag=results,security_model=none" -nic none)

	if [ "$mode" = --shell ]; then
		exec "$qemu" -accel tcg -cpu max "${qemu_args[@]}"
	fi

	# KVM is tried first; on this kind of host a KVM guest can hang before its kernel prints a
	# line, so a guest that says nothing within 30 s is given up for TCG.
	boot() { # accel cpu -> runs qemu in the background, console to $out/console.log
		: >"$out/console.log"
		"$qemu" -accel "$1" -cpu "$2" "${qemu_args[@]}" -serial "file:$out/console.log" \
			-monitor none </dev/null >"$out/qemu.log" 2>&1 &
		qemu_pid=$!
	}
	accel=tcg
	start=$(date +%s)
	if [ -w /dev/kvm ] && [ "${VMTEST_ACCEL:-}" != tcg ] && [ "$arch" = amd64 ]; then
		boot kvm host,-arch-capabilities
		for _ in $(seq 30); do
			grep -q "Linux version" "$out/console.log" 2>/dev/null && { accel=kvm; break; }
			kill -0 "$qemu_pid" 2>/dev/null || break
			sleep 1
		done
		if [ "$accel" != kvm ]; then
			echo "vm: KVM guest printed nothing in 30 s; using TCG"
			kill "$qemu_pid" 2>/dev/null || true
			wait "$qemu_pid" 2>/dev/null || true
		fi
	fi
	[ "$accel" = kvm ] || boot tcg max
	echo "vm: booted with $accel"
	# a host where KVM hung once does not get another 30 s wait for the next leg
	if [ "$accel" = tcg ] && [ "$arch" = amd64 ]; then VMTEST_ACCEL=tcg; fi
	trap 'kill "$qemu_pid" 2>/dev/null || true' EXIT
	# The guest's test output is printed as it comes (over 9p), so that a run cut short still
	# shows which test it was in and what that test printed.
	shown=0
	show_guest_output() {
		local f=$out/results/output.txt n
		[ -f "$f" ] || return 0
		n=$(wc -l <"$f")
		[ "$n" -gt "$shown" ] || return 0
		sed -n "$((shown + 1)),${n}p" "$f"
		shown=$n
	}
	deadline=$(($(date +%s) + timeout_s))
	booted=$(date +%s)
	panic_retried=
	while :; do
	while kill -0 "$qemu_pid" 2>/dev/null; do
		show_guest_output
		# A KVM guest that printed its kernel but never got to the tests (their first line comes
		# within a minute of boot) is given up for TCG too, once.
		if [ "$accel" = kvm ] && [ "$shown" = 0 ] && [ "$(date +%s)" -gt $((booted + 240)) ]; then
			echo "vm: the KVM guest did not reach its tests in 240 s; console tail:"
			tail -15 "$out/console.log"
			echo "vm: using TCG"
			kill "$qemu_pid" 2>/dev/null || true
			wait "$qemu_pid" 2>/dev/null || true
			rm -f "$out/run.qcow2" "$out/results/"*
			qemu-img create -q -f qcow2 -b "$image" -F raw "$out/run.qcow2"
			accel=tcg
			boot tcg max
			echo "vm: booted with $accel"
			booted=$(date +%s)
			deadline=$((booted + timeout_s))
			continue
		fi
		if [ "$(date +%s)" -gt "$deadline" ]; then
			echo "vm: console tail:"
			tail -40 "$out/console.log"
			echo "vm: timed out after ${timeout_s}s (guest output above the console tail)"
			return 1
		fi
		sleep 2
	done
	show_guest_output
	# An emulated guest's kernel can oops while it patches its own code at boot (seen once
	# under TCG: int3 in sched_clock_cpu, before init): nothing of ours has run. Booted once
	# more, from a fresh disk; a panic after the tests began is the tests' to answer for.
	if [ ! -f "$out/results/status" ] && [ "$shown" = 0 ] && [ -z "$panic_retried" ] &&
		grep -q "Kernel panic" "$out/console.log"; then
		echo "vm: the guest's kernel panicked at boot, before its tests; console tail:"
		tail -15 "$out/console.log"
		panic_retried=1
		rm -f "$out/run.qcow2" "$out/results/"*
		qemu-img create -q -f qcow2 -b "$image" -F raw "$out/run.qcow2"
		boot "$accel" "$([ "$accel" = kvm ] && echo host,-arch-capabilities || echo max)"
		echo "vm: booted again with $accel"
		booted=$(date +%s)
		deadline=$((booted + timeout_s))
		continue
	fi
	break
	done
	echo "vm: $label: guest powered off after $(($(date +%s) - start))s ($accel)"
	if [ ! -f "$out/results/status" ]; then
		echo "vm: console tail:"
		tail -60 "$out/console.log"
		echo "vm: the guest tests did not finish (console tail above)"
		return 1
	fi
	return "$(cat "$out/results/status")"
}

# One line per leg at the end: PASS or FAIL with the guest suite's own count, or SKIP and why.
summary=()
leg_summary() { # verdict label why
	summary+=("vm: $1  $2: $3")
}
run_leg() { # as run_leg_once; says how the leg went in the summary
	local rc=0 counts=""
	run_leg_once "$@" || rc=$?
	[ -f "$out/results/output.txt" ] &&
		counts=$(grep -Eo '^[a-z0-9-]+: [0-9]+ passed, [0-9]+ failed$' "$out/results/output.txt" |
			tail -1 || true)
	if [ "$rc" = 0 ]; then
		leg_summary PASS "$1" "${counts:-passed}"
	else
		leg_summary FAIL "$1" "${counts:-the guest tests did not finish}"
	fi
	return "$rc"
}

# The legs, by name (VMTEST_LEGS=name,name runs those only). Debian 12, Debian 13 with its own
# 6.12, with trixie-backports' 7.x, with containerd 2.3 and 2.0 run the node suite; Debian 11's 5.10, older than ctrwatch
# needs, checks that it is refused in one line (tests/vm/guest/test_older_kernel.py).
# VMTEST_ONLY (some tests of the node suite) runs the first leg only.
leg_wanted() { # name
	local wanted=0
	if [ -n "${VMTEST_ONLY:-}" ]; then
		[ "$1" = debian12 ] || wanted=1
	elif [ -n "${VMTEST_LEGS:-}" ] && [[ ",$VMTEST_LEGS," != *",$1,"* ]]; then
		wanted=1
	fi
	[ "$wanted" = 0 ] || leg_summary SKIP "$1" "not asked for (VMTEST_LEGS, VMTEST_ONLY)"
	return "$wanted"
}
status=0
if leg_wanted debian12; then
	run_leg "Debian 12, kernel 6.1: the node suite" "$out/vmlinuz" "$out/initrd.img" "" "" \
		"$out/rootfs.img" ctrwatch.containerd_version=1.6. || status=$?
fi
if leg_wanted debian13; then
	run_leg "Debian 13, kernel 6.12, systemd 257, containerd 1.7: the node suite" \
		"$out/trixie/vmlinuz" "$out/trixie/initrd.img" "" 6.12. "$out/trixie/rootfs.img" \
		ctrwatch.containerd_version=1.7. || status=$?
fi
if leg_wanted kernel7; then
	run_leg "Debian 13 with trixie-backports' kernel 7.x: the node suite" "$out/trixie/vmlinuz-7" \
		"$out/trixie/initrd.img-7" "" 7. "$out/trixie/rootfs.img" \
		ctrwatch.containerd_version=1.7. || status=$?
fi
# containerd 2.x from its release source (../shared/containerd or CONTAINERD_SRC_DIR), in the
# Debian 13 guest in place of its own 1.7
containerd_leg() { # version
	local rc=0
	tests/vm/build-containerd.sh "$repo/build/containerd" "$1" || rc=$?
	if [ "$rc" = 0 ]; then
		run_leg "Debian 13 with containerd $1: the node suite" "$out/trixie/vmlinuz" \
			"$out/trixie/initrd.img" "" 6.12. "$out/trixie/rootfs.img" \
			"ctrwatch.containerd=/repo/build/containerd/containerd-$1/bin ctrwatch.containerd_version=$1" ||
			return
	elif [ "$rc" = 2 ]; then # said why already; not a pass
		leg_summary SKIP "Debian 13 with containerd $1" \
			"no containerd $1 source (../shared/containerd, or CONTAINERD_SRC_DIR)"
	else
		leg_summary FAIL "Debian 13 with containerd $1" "its build failed ($rc)"
		return "$rc"
	fi
}
if leg_wanted containerd2.3; then
	containerd_leg 2.3.4 || status=$?
fi
if leg_wanted containerd2.0; then
	containerd_leg 2.0.11 || status=$?
fi
if leg_wanted engines; then
	run_leg "Debian 13: Docker 26 and Podman 5 on systemd" "$out/trixie/vmlinuz" \
		"$out/trixie/initrd.img" engines "" "$out/trixie/rootfs.img" || status=$?
fi
if leg_wanted arm64; then
	# arm64: Debian 12 for arm64 (6.1, systemd, containerd's CRI) under qemu-system-aarch64,
	# `make arm64`'s binary and image: the whole node suite
	tests/vm/build-guest.sh "$out/arm64" bookworm arm64
	mkdir -p "$out/images-arm64"
	BUSYBOX=build/arm64/sysroot/bin/busybox IMAGE_ARCH=arm64 tests/lib/make-image.sh \
		"$out/images-arm64/busybox.tar" docker.io/ctrwatch/busybox:test \
		>"$out/images-arm64/busybox.digest"
	BUSYBOX=build/arm64/sysroot/bin/busybox IMAGE_ARCH=arm64 \
		IMAGE_CONFIG='{"Env":["PATH=/bin"],"Entrypoint":["/bin/sleep","2147483647"]}' \
		tests/lib/make-image.sh "$out/images-arm64/pause.tar" registry.k8s.io/pause:3.6 >/dev/null
	cp "$out/images/ctrwatch.tar" "$out/images-arm64/ctrwatch.tar" # both architectures
	run_leg "Debian 12 for arm64, kernel 6.1: the node suite" \
		"$out/arm64/vmlinuz" "$out/arm64/initrd.img" "" "" "$out/arm64/rootfs.img" \
		ctrwatch.containerd_version=1.6. arm64 ||
		status=$?
fi
if leg_wanted kernel5.10; then
	run_leg "Debian 12 with Debian 11's kernel 5.10: refused" "$out/vmlinuz-5.10" \
		"$out/initrd.img-5.10" older-kernel || status=$?
fi
printf '%s\n' "${summary[@]}"
exit "$status"
