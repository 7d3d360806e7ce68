#!/usr/bin/env bash
# `make test`: unit tests (ASan/UBSan) then end-to-end tests against real containers.
# Needs root: the end-to-end tests load BPF programs and run a private containerd.
# usage: run.sh UNIT_TEST...   or   run.sh --e2e-only   (`make e2e-test`: the e2e suites alone)
set -u
cd "$(dirname "$0")/.."
e2e_only=
if [ "${1:-}" = --e2e-only ]; then
	e2e_only=1
	shift
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "make test needs root: it loads BPF programs and runs containers" >&2
	exit 1
fi
total_p=0 total_f=0
count() { # suite output on stdin -> adds its closing "N passed, N failed" line to the totals
	local line p f
	line=$(grep -E '^[a-z0-9_-]+: [0-9]+ passed, [0-9]+ failed$' | tail -1)
	p=$(echo "$line" | sed -nE 's/.*: ([0-9]+) passed.*/\1/p')
	f=$(echo "$line" | sed -nE 's/.* ([0-9]+) failed$/\1/p')
	total_p=$((total_p + ${p:-0}))
	total_f=$((total_f + ${f:-1}))
}
log=$(mktemp)
failures=$(mktemp)
trap 'rm -f "$log" "$failures"' EXIT
# A failing test's lines, from its FAIL line to the next test, kept for the end of the run:
# CI shows the tail of what a run printed.
keep_failures() { # suite name; its output in $log
	awk -v suite="$1" '/^FAIL /{on=1; print "[" suite "]"} /^(ok|\.\.\.) /{on=0} on' "$log" |
		head -60 >>"$failures"
}

[ -n "$e2e_only" ] || {
echo "== unit tests"
tests/run-unit.sh "$@" | tee "$log"
rc=${PIPESTATUS[0]}
count <"$log"
[ "$rc" -eq 0 ] || total_f=$((total_f > 0 ? total_f : 1))

echo "== fuzz targets, ${FUZZ_SECONDS:-5} s each, from their committed corpus"
fp=0 ff=0
make -s fuzz-build || ff=1
for f in build/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	work=build/fuzz/work/$(basename "$f")
	mkdir -p "$work"
	if "$f" -max_total_time="${FUZZ_SECONDS:-5}" -rss_limit_mb=1024 "$work" \
		"tests/fuzz/corpus/$(basename "$f")" >"$log" 2>&1; then
		fp=$((fp + 1))
		echo "ok   $(basename "$f") ($(grep -o 'Done [0-9]* runs' "$log"))"
	else
		ff=$((ff + 1))
		echo "FAIL $(basename "$f")"
		tail -30 "$log"
	fi
done
echo "fuzz: $fp passed, $ff failed" | tee "$log"
count <"$log"
}

for suite in tests/e2e/test_*.py; do
	echo "== end-to-end: $suite"
	timeout 600 python3 "$suite" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	count <"$log"
	keep_failures "$suite"
	[ "$rc" -eq 0 ] || total_f=$((total_f > 0 ? total_f : 1))
done

[ -n "$e2e_only" ] || {
echo "== benchmarks, tiny mode (so they cannot rot; no timing is asserted)"
timeout 600 python3 bench/run.py --tiny 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
count <"$log"
[ "$rc" -eq 0 ] || total_f=$((total_f > 0 ? total_f : 1))
}

if [ -s "$failures" ]; then
	echo "== the failures again"
	cat "$failures"
fi
echo "$total_p passed, $total_f failed"
[ "$total_f" -eq 0 ]
