# ctrwatch build. `make` builds ./ctrwatch; `make test` (root) runs unit and end-to-end tests.
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/' -e 's/s390x/s390/')
VMLINUX_ARCH := $(shell uname -m | sed -e 's/aarch64/arm64/')
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1.0)

CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool
OUT := build
PKG_CONFIG ?= pkg-config

# RECORDS_DEFINES=-DRECORDS_LAYOUT_NEXT: the next record layout, for the upgrade test (layout-next)
RECORDS_DEFINES ?=
BIN ?= ctrwatch
CFLAGS ?= -O2 -g
CFLAGS += $(RECORDS_DEFINES) -Wall -Wextra -Werror -std=gnu11 -Ulinux -Iinclude -Isrc -I$(OUT) \
	-DCTRWATCH_VERSION='"$(VERSION)"' -D_FORTIFY_SOURCE=2 -fstack-protector-strong
LDLIBS := $(shell $(PKG_CONFIG) --libs libbpf 2>/dev/null || echo -lbpf -lelf -lz) \
	-lnghttp2 -lhttp_parser -lprotobuf-c -ljansson -lpthread
BPF_CFLAGS := $(RECORDS_DEFINES) -target bpf -g -O2 -D__TARGET_ARCH_$(ARCH) -Iinclude -Ivmlinux/$(VMLINUX_ARCH) -Wall -Werror

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(OUT)/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(OUT)/%.skel.h,$(BPF_SRCS))
# Modules with no libbpf or containerd client dependency: unit tested and fuzzed on their own. The pipeline is
# among them: it reaches containerd only through the lookup seam (enrich/lookup.h).
PURE_SRCS := $(wildcard src/common/*.c src/lifecycle/*.c src/filter/*.c src/output/*.c) \
	src/kernel/cgroup_hierarchy.c src/kernel/cgroup_scan.c src/kernel/privileges.c \
	src/kernel/records_upgrade.c src/metrics/metrics.c src/metrics/metrics_address.c src/metrics/http_request.c \
	src/enrich/container_meta.c src/enrich/lookup.c src/enrich/user_socket.c src/enrich/user_lane.c \
	src/enrich/runtime_cgroup.c src/enrich/declared.c src/enrich/addresses.c \
	src/cli.c \
	src/pipeline.c src/pipeline_lookup.c src/pipeline_reports.c
SRCS := $(wildcard src/*.c src/*/*.c)
HDRS := $(wildcard src/*.h src/*/*.h)
OBJS := $(patsubst src/%.c,$(OUT)/obj/%.o,$(SRCS)) $(OUT)/proto/containerd.pb-c.o \
	$(OUT)/proto/cri.pb-c.o
PROTO_H := $(OUT)/proto/containerd.pb-c.h $(OUT)/proto/cri.pb-c.h
UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(wildcard tests/unit/test_*.c))

.SECONDARY:
PREFIX ?= /usr/local
DESTDIR ?=
SBINDIR := $(PREFIX)/sbin
MANDIR := $(PREFIX)/share/man
DOCDIR := $(PREFIX)/share/doc/ctrwatch
UNITDIR ?= $(PREFIX)/lib/systemd/system

.PHONY: arm64 arm64-unit-test vmlinux-arm64 layout-next all clean test install uninstall image unit-test e2e-test deps bench-deps vmlinux fuzz fuzz-build format bench soak vmtest

all: ctrwatch

$(OUT) $(OUT)/tests:
	mkdir -p $@

$(OUT)/%.bpf.o: bpf/%.bpf.c include/ctrwatch_records.h | $(OUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(OUT)/%.skel.h: $(OUT)/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@

$(OUT)/proto/%.pb-c.c $(OUT)/proto/%.pb-c.h: proto/%.proto | $(OUT)
	protoc-c --c_out=$(OUT) $<

$(OUT)/proto/%.pb-c.o: $(OUT)/proto/%.pb-c.c
	$(CC) $(filter-out -Werror,$(CFLAGS)) -c $< -o $@

$(OUT)/obj/%.o: src/%.c $(HDRS) include/ctrwatch_records.h $(SKELS) $(PROTO_H) | $(OUT)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BIN): $(OBJS)
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

# ctrwatch for arm64 from an x86_64 host: build/arm64/ctrwatch, cross-compiled by Debian's
# gcc-aarch64-linux-gnu against a sysroot of Debian's arm64 -dev packages, the BPF object
# built for __TARGET_ARCH_arm64 against vmlinux/arm64/vmlinux.h (docs/architecture.md).
ARM64_SYSROOT := $(abspath $(OUT))/arm64/sysroot
ARM64_MAKE := $(MAKE) --no-print-directory ARCH=arm64 VMLINUX_ARCH=arm64 OUT=$(OUT)/arm64 \
	BIN=$(OUT)/arm64/ctrwatch CC="aarch64-linux-gnu-gcc --sysroot=$(ARM64_SYSROOT)" \
	PKG_CONFIG=false
arm64:
	@deploy/image/cross-sysroot.sh arm64 $(ARM64_SYSROOT)
	@$(ARM64_MAKE) $(OUT)/arm64/ctrwatch

# The unit tests built for arm64 and run under qemu-user (no sanitizers: ASan's shadow does not
# map under qemu-user): what they assume of the architecture (sizes, alignment, atomics).
arm64-unit-test: arm64
	@$(ARM64_MAKE) TEST_CFLAGS='$$(filter-out -D_FORTIFY_SOURCE=2,$$(CFLAGS)) -O1 -Itests/unit' \
		$(patsubst $(OUT)/tests/%,$(OUT)/arm64/tests/%,$(UNIT_TESTS))
	@QEMU_LD_PREFIX=$(ARM64_SYSROOT) UNIT_RUNNER=qemu-aarch64-static tests/run-unit.sh \
		$(patsubst $(OUT)/tests/%,$(OUT)/arm64/tests/%,$(UNIT_TESTS))

# The same ctrwatch with the next record layout, for the upgrade test (tests/e2e/test_restart.py):
# it must take over from ./ctrwatch's pinned programs and drain their ring buffer.
layout-next:
	@$(MAKE) --no-print-directory RECORDS_DEFINES=-DRECORDS_LAYOUT_NEXT OUT=$(OUT)/layout-next \
		BIN=$(OUT)/layout-next/ctrwatch $(OUT)/layout-next/ctrwatch >/dev/null

# Unit tests build with AddressSanitizer and UBSan.
TEST_CFLAGS := $(filter-out -D_FORTIFY_SOURCE=2,$(CFLAGS)) -O1 -fsanitize=address,undefined \
	-fno-omit-frame-pointer -fno-sanitize-recover=all -Itests/unit
# The containerd reply decoder needs protobuf-c and jansson (never gRPC).
UNIT_LIBS_test_containerd_decode := src/enrich/containerd_decode.c src/enrich/declared_decode.c src/enrich/json_text.c $(OUT)/proto/containerd.pb-c.c \
	-lprotobuf-c -ljansson
# The gRPC framing against a scripted HTTP/2 server (nghttp2's server side, in a thread).
UNIT_LIBS_test_grpc_unary := src/enrich/grpc_unary.c -lnghttp2 -lpthread
# HTTP on a unix socket against a scripted server in a thread; the engines' JSON replies.
UNIT_LIBS_test_http_unix := src/enrich/http_unix.c -lhttp_parser -lpthread
UNIT_LIBS_test_declared := src/enrich/declared_decode.c src/enrich/json_text.c -ljansson
UNIT_LIBS_test_engine_decode := src/enrich/engine_decode.c src/enrich/declared_decode.c src/enrich/json_text.c -ljansson
# The users' engines' table (clients are made, never called).
UNIT_LIBS_test_user_engines := src/enrich/user_engines.c src/enrich/engine_client.c \
	src/enrich/engine_decode.c src/enrich/declared_decode.c src/enrich/json_text.c src/enrich/http_unix.c -lhttp_parser -ljansson
# A CRI runtime's replies, packed by protobuf-c in the test.
UNIT_LIBS_test_cri_decode := src/enrich/cri_decode.c src/enrich/declared_decode.c src/enrich/json_text.c $(OUT)/proto/cri.pb-c.c -lprotobuf-c -ljansson
# The readmission gate's reasons, timed without a map (the map calls need libbpf to link).
UNIT_LIBS_test_readmit_gate := src/kernel/readmit_gate.c -lbpf
UNIT_LIBS_test_creator_quota := src/kernel/creator_quota.c -lbpf
# Built with the next record layout: the upgrade from today's is then a real one.
UNIT_LIBS_test_records_upgrade := -DRECORDS_LAYOUT_NEXT
$(OUT)/tests/%: tests/unit/%.c $(PURE_SRCS) $(HDRS) tests/unit/test.h $(PROTO_H) \
		src/enrich/containerd_decode.c src/enrich/grpc_unary.c src/enrich/http_unix.c \
		src/enrich/engine_decode.c src/kernel/readmit_gate.c src/kernel/creator_quota.c \
		src/enrich/cri_decode.c src/enrich/declared_decode.c src/enrich/json_text.c \
		src/enrich/user_engines.c src/enrich/engine_client.c | $(OUT)/tests
	$(CC) $(TEST_CFLAGS) $< $(PURE_SRCS) $(UNIT_LIBS_$*) -o $@

unit-test: $(UNIT_TESTS)
	@tests/run-unit.sh $(UNIT_TESTS)

e2e-test: ctrwatch arm64 layout-next
	@tests/run.sh --e2e-only

test: ctrwatch arm64 layout-next $(UNIT_TESTS) $(OUT)/bench/empty_exec.bpf.o $(OUT)/bench/attach_object \
		$(OUT)/bench/encode_cost $(OUT)/bench/labels_cost
	@tests/run.sh $(UNIT_TESTS)

# libFuzzer targets (clang), each with its committed corpus (tests/fuzz/corpus/NAME). `make fuzz`
# runs each for FUZZ_RUNS executions; new inputs go to build/fuzz/work, not the committed corpus.
FUZZ_RUNS ?= 10000000
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,$(OUT)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
# The targets that encode events check each line: check_line.c, check_formats.c.
FUZZ_CHECKS := tests/fuzz/check_line.c tests/fuzz/check_formats.c tests/fuzz/check_text.c
FUZZ_LIBS_fuzz_records := $(FUZZ_CHECKS) -ljansson
FUZZ_LIBS_fuzz_engine_reply := $(FUZZ_CHECKS) src/enrich/http_unix.c \
	src/enrich/engine_decode.c src/enrich/declared_decode.c src/enrich/json_text.c -lhttp_parser -ljansson
# The gRPC framing: a server thread on a unix socket sends the input back to one call.
FUZZ_LIBS_fuzz_grpc_reply := src/enrich/grpc_unary.c -lnghttp2 -lpthread
FUZZ_LIBS_fuzz_containerd_reply := $(FUZZ_CHECKS) src/enrich/containerd_decode.c $(OUT)/proto/containerd.pb-c.c \
	src/enrich/declared_decode.c src/enrich/json_text.c 	-lprotobuf-c -ljansson
FUZZ_LIBS_fuzz_cri_reply := $(FUZZ_CHECKS) src/enrich/cri_decode.c $(OUT)/proto/cri.pb-c.c \
	src/enrich/declared_decode.c src/enrich/json_text.c 	-lprotobuf-c -ljansson
$(OUT)/fuzz/%: tests/fuzz/%.c $(FUZZ_CHECKS) $(PURE_SRCS) $(HDRS) $(PROTO_H) \
		src/enrich/containerd_decode.c src/enrich/http_unix.c src/enrich/engine_decode.c \
		src/enrich/grpc_unary.c src/enrich/cri_decode.c src/enrich/declared_decode.c src/enrich/json_text.c
	mkdir -p $(OUT)/fuzz
	$(CLANG) -g -O1 -std=gnu11 -Ulinux -Iinclude -Isrc -I$(OUT) -fsanitize=fuzzer,address,undefined \
		$< $(PURE_SRCS) $(FUZZ_LIBS_$*) -o $@
fuzz-build: $(FUZZ_TARGETS)
fuzz: $(FUZZ_TARGETS)
	@for f in $(FUZZ_TARGETS); do n=$$(basename $$f); mkdir -p $(OUT)/fuzz/work/$$n; \
		echo "== $$n"; $$f -runs=$(FUZZ_RUNS) -rss_limit_mb=2048 $(OUT)/fuzz/work/$$n \
		tests/fuzz/corpus/$$n >$(OUT)/fuzz/$$n.log 2>&1 || { tail -40 $(OUT)/fuzz/$$n.log; exit 1; }; \
		grep -E '^#[0-9]+ +DONE' $(OUT)/fuzz/$$n.log; done

deps:
	tests/lib/install-deps.sh

bench-deps: deps
	tests/lib/install-deps.sh --bench

# ctrwatch on a real node: a Debian 12 guest (kernel 6.1, systemd, pure cgroup v2, containerd's
# CRI plugin with the systemd driver) under qemu; docs/testing.md.
vmtest: ctrwatch
	tests/vm/run.sh

# The long fault-injection run (root, ~40 minutes): 1000 containers 20 at a time with an exec storm,
# then CTRWATCH_SOAK_MINUTES (30) of churn with ctrwatch's memory slope; a 100 000-cgroup flood.
soak: ctrwatch
	CTRWATCH_SOAK=1 python3 tests/e2e/test_faults.py
	CTRWATCH_FLOOD=100000 python3 tests/e2e/test_pressure.py

# Rewrites docs/benchmarks.md and docs/benchmarks-latency.png (root, ~20 minutes).
bench: ctrwatch bench-deps $(OUT)/bench/empty_exec.bpf.o $(OUT)/bench/attach_object \
		$(OUT)/bench/encode_cost $(OUT)/bench/labels_cost
	python3 bench/run.py

vmlinux:
	mkdir -p vmlinux/$(VMLINUX_ARCH)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/$(VMLINUX_ARCH)/vmlinux.h

# vmlinux/arm64/vmlinux.h from Debian 12's arm64 kernel image (vmlinux/README.md)
vmlinux-arm64:
	rm -rf $(OUT)/arm64/kernel
	mmdebstrap --quiet --variant=extract --mode=root --architectures=arm64 \
		--include=linux-image-arm64 bookworm $(OUT)/arm64/kernel
	vmlinux/btf-from-image.py $$(ls $(OUT)/arm64/kernel/boot/vmlinuz-* | sort -V | tail -1) \
		$(OUT)/arm64/vmlinux.btf
	mkdir -p vmlinux/arm64
	$(BPFTOOL) btf dump file $(OUT)/arm64/vmlinux.btf format c > vmlinux/arm64/vmlinux.h
	rm -rf $(OUT)/arm64/kernel

format:
	clang-format -i $$(git ls-files '*.c' '*.h' | grep -v '^vmlinux/')

# The unit's ExecStart follows PREFIX.
install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/ctrwatch
	install -D -m 0644 docs/ctrwatch.8 $(DESTDIR)$(MANDIR)/man8/ctrwatch.8
	install -D -m 0644 docs/events.md $(DESTDIR)$(DOCDIR)/events.md
	install -D -m 0644 docs/filters.md $(DESTDIR)$(DOCDIR)/filters.md
	install -d $(DESTDIR)$(UNITDIR)
	sed 's|/usr/local/sbin/ctrwatch|$(SBINDIR)/ctrwatch|' deploy/systemd/ctrwatch.service \
		> $(DESTDIR)$(UNITDIR)/ctrwatch.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/ctrwatch.service

# The unit pins the programs (--pin): they are detached first, while the binary is there.
uninstall:
	if [ -z "$(DESTDIR)" ] && [ -x $(SBINDIR)/ctrwatch ]; then $(SBINDIR)/ctrwatch --cleanup; fi
	rm -f $(DESTDIR)$(SBINDIR)/ctrwatch $(DESTDIR)$(MANDIR)/man8/ctrwatch.8 \
		$(DESTDIR)$(UNITDIR)/ctrwatch.service
	rm -rf $(DESTDIR)$(DOCDIR)

# An OCI image tarball of ctrwatch, built without Docker (docs/deploy.md).
image: ctrwatch arm64
	deploy/image/build.sh $(OUT)/ctrwatch-image.tar

clean:
	rm -rf $(OUT) ctrwatch

# Benchmarks (root). Helpers live in build/bench.
$(OUT)/bench/%.bpf.o: bench/%.bpf.c
	mkdir -p $(OUT)/bench
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@
$(OUT)/bench/encode_cost: bench/encode_cost.c $(PURE_SRCS) $(HDRS)
	mkdir -p $(OUT)/bench
	$(CC) $(CFLAGS) $< $(PURE_SRCS) -o $@
$(OUT)/bench/labels_cost: bench/labels_cost.c $(PURE_SRCS) src/enrich/engine_decode.c \
		src/enrich/declared_decode.c src/enrich/json_text.c $(HDRS)
	mkdir -p $(OUT)/bench
	$(CC) $(CFLAGS) $< $(PURE_SRCS) src/enrich/engine_decode.c src/enrich/declared_decode.c \
		src/enrich/json_text.c -ljansson -o $@
$(OUT)/bench/attach_object: bench/attach_object.c
	mkdir -p $(OUT)/bench
	$(CC) $(CFLAGS) $< $(LDLIBS) -o $@
