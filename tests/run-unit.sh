#!/usr/bin/env bash
# Runs the unit test binaries given as arguments; prints their lines and one closing total.
set -u
passed=0 failed=0
for t in "$@"; do
	out=$(${UNIT_RUNNER:-} "$t" 2>&1)
	rc=$?
	echo "$out" | grep -v -E '^[a-z_]+: [0-9]+ passed, [0-9]+ failed$'
	line=$(echo "$out" | grep -E '^[a-z_]+: [0-9]+ passed, [0-9]+ failed$' | tail -1)
	p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed/\1/')
	[ -n "$line" ] || { echo "$t: crashed (exit $rc)"; p=0; f=1; }
	[ "$rc" -eq 0 ] || [ "${f:-0}" -gt 0 ] || f=1
	echo "$(basename "$t"): ${p:-0} passed, ${f:-0} failed"
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
