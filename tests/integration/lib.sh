# Shared helpers of the integration tests (sourced). Each test script ends
# with `finish`, which prints "N passed, N failed" for tests/run.sh to sum.
set -u
OUTPUT=${OUTPUT:-build}
LS=$(readlink -f "$OUTPUT/loopscope")
EX=$(readlink -f "$OUTPUT/examples")
DUMP=$(readlink -f "$OUTPUT/tests/pftrace-dump")
TMP=$(mktemp -d /tmp/loopscope-test.XXXXXX)
PASS=0
FAIL=0
PIDS=""

# After a failure the commands' own messages (the *.err files) go to the log,
# so a failure seen only in CI can be read there; KEEP_TMP=1: the files stay.
cleanup() {
	local f
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	if [ "$FAIL" != 0 ]; then
		for f in "$TMP"/*.err; do
			[ -s "$f" ] || continue
			echo "# --- $(basename "$f") (first 25 lines)"
			head -25 "$f" | cut -c1-300 | sed 's/^/#   /'
		done
	fi
	[ -n "${KEEP_TMP:-}" ] && { echo "# kept $TMP" >&2; return; }
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { PASS=$((PASS + 1)); echo "ok - $1"; }
fail() { FAIL=$((FAIL + 1)); echo "not ok - $1"; shift; [ $# -gt 0 ] && echo "# $*"; return 0; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else fail "$name" "command: $*"; fi; }
finish() { echo "$PASS passed, $FAIL failed"; [ "$FAIL" = 0 ]; }

# In CI a BPF test that cannot run is a failure, never a skip.
require_root() {
	if [ "$(id -u)" != 0 ]; then
		fail "$1: must run as root (BPF tests never skip)"
		finish
		exit 1
	fi
}

# wait_for FILE PATTERN [SECONDS]: until the file holds a line matching PATTERN
wait_for() {
	local i
	for i in $(seq 1 $((${3:-10} * 20))); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "# timed out waiting for '$2' in $1:" >&2
	sed 's/^/#   /' "$1" >&2
	return 1
}

# start_server OUTFILE ARGS...: starts the example server, sets SERVER_PID and PORT
start_server() {
	local out=$1; shift
	"$EX/epoll-server" "$@" > "$out" 2>&1 &
	SERVER_PID=$!
	PIDS="$PIDS $SERVER_PID"
	wait_for "$out" '^listening' || return 1
	PORT=$(sed -n 's/^listening 127.0.0.1:\([0-9]*\).*/\1/p' "$out")
}

# http_get PORT PATH [TIMES]: GET requests to 127.0.0.1:PORT over bash's
# /dev/tcp, one after the other, each read to its end
http_get() {
	local i
	for i in $(seq 1 "${3:-1}"); do
		exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET %s HTTP/1.0\r\n\r\n' "$2" >&3 &&
			cat <&3 > /dev/null
		exec 3<&-
	done
}

# json FILE PYTHON-EXPR: evaluates EXPR with the summary loaded as `s`
# crashed FILE: FILE holds a sanitizer report, a fatal signal or a failed
# assertion. The exact report forms only: a traced program's stack (an ASan
# build's) may well name __sanitizer:: functions in loopscope's own output.
CRASH_RE='==[0-9]+==(ERROR|WARNING): |runtime error: |Sanitizer:DEADLYSIGNAL|Segmentation fault|core dumped|Assertion .* failed'
# wait_rc PID SECONDS: waits for a child of this shell, sets RC to its exit
# code (124 on timeout)
wait_rc() {
	if timeout "$2" tail --pid="$1" -f /dev/null; then
		wait "$1"
		RC=$?
	else
		RC=124
	fi
}

crashed() { grep -E -A12 "$CRASH_RE" "$1"; }

# json FILE EXPR: EXPR of the JSON document s. main(s) is a process's main-thread loop
# (node also runs a loop in its delayed-task thread, which may iterate first).
json() { python3 -c "import json,sys
def main(s): return next(l for l in s['loops'] if l['tid'] == l['pid'])
s=json.load(open(sys.argv[1])); print($2)" "$1"; }

# within A B TOL: |A - B| <= TOL (floats)
within() { python3 -c "import sys; a,b,t=map(float,sys.argv[1:]); sys.exit(0 if abs(a-b)<=t else 1)" "$1" "$2" "$3"; }

# validate TRACE: decodes with our subset, and with Perfetto's schema when available
validate_trace() {
	"$DUMP" "$1" > "$1.dump" || return 1
	if [ -n "${PERFETTO_PROTO:-}" ] && [ -x ../shared/tools/perfetto-validate ]; then
		../shared/tools/perfetto-validate -q "$1" || return 1
	fi
	return 0
}

# expect NAME CODE PATTERN -- ARGS...: runs ARGS (EXPECT_TIMEOUT seconds at
# most, default 30) and checks its exit code, that PATTERN (if any) is in its
# stderr or stdout (EXPECT_STDERR_ONLY=1: in stderr), that a usage error (2)
# is one line (EXPECT_ONE_LINE=failure: every failure is one line of stderr;
# ONE_LINE=0 turns that off for one call), and that nothing crashed. Output
# stays in $TMP/out and $TMP/err.
expect() {
	local name=$1 code=$2 pattern=$3 where=("$TMP/err" "$TMP/out") one=2
	shift 4
	[ "${EXPECT_STDERR_ONLY:-0}" = 1 ] && where=("$TMP/err")
	[ "${EXPECT_ONE_LINE:-usage}" = failure ] && one=failure
	timeout "${EXPECT_TIMEOUT:-30}" "$@" > "$TMP/out" 2> "$TMP/err"
	local rc=$?
	if [ "$rc" != "$code" ]; then
		fail "$name: exit $rc, expected $code" "$(head -3 "$TMP/err") $(tail -3 "$TMP/out")"
	elif [ -n "$pattern" ] && ! grep -qE "$pattern" "${where[@]}"; then
		fail "$name: output does not match '$pattern'" "$(head -3 "$TMP/err")"
	elif [ "${ONE_LINE:-1}" = 1 ] && { [ "$one" = failure ] && [ "$code" != 0 ] ||
			[ "$code" = 2 ]; } && [ "$(wc -l < "$TMP/err")" != 1 ]; then
		fail "$name: $(wc -l < "$TMP/err") lines on stderr, expected one" "$(head -3 "$TMP/err")"
	elif crashed "$TMP/err"; then
		fail "$name: crashed" "$(head -3 "$TMP/err")"
	else
		ok "$name"
	fi
}
