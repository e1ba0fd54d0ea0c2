#!/bin/bash
# `make test`: unit tests, then the BPF integration tests (as root, never
# skipped). Ends with the total "N passed, N failed"; exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.."
OUTPUT=${OUTPUT:-build}
export OUTPUT
passed=0
failed=0
log=$(mktemp)
# Every failure again at the end, so a log cut to its tail still names them.
failures=$(mktemp)

run() {
	echo "== $*"
	"$@" 2>&1 | tee "$log"
	local rc=${PIPESTATUS[0]}
	local line
	grep -E '^not ok' "$log" | sed "s|^|[$(basename "${!#}")] |" >> "$failures"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -1)
	if [ -z "$line" ]; then
		echo "not ok - $* ended without a result line (exit $rc)" | tee -a "$failures"
		failed=$((failed + 1))
		return
	fi
	passed=$((passed + ${line%% passed*}))
	local f=${line#*, }
	failed=$((failed + ${f%% failed}))
	if [ "$rc" != 0 ] && [ "${f%% failed}" = 0 ]; then
		echo "not ok - $* exited $rc" | tee -a "$failures"
		failed=$((failed + 1))
	fi
}

run "$OUTPUT/tests/unit-tests"
for t in tests/integration/test_*.sh; do
	run bash "$t"
done
rm -f "$log"
if [ -s "$failures" ]; then
	echo "== failures"
	cat "$failures"
fi
rm -f "$failures"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
