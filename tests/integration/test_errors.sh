#!/bin/bash
# Bad input to `loopscope record`: each case gets one line on stderr that
# names the problem, and its documented exit code (cli/exitcodes.h).
. "$(dirname "$0")/lib.sh"
require_root "errors"

# expect NAME CODE PATTERN -- ARGS...: runs loopscope, checks exit code and message
expect() {
	local name=$1 code=$2 pattern=$3
	shift 4
	timeout 30 "$@" > "$TMP/out" 2> "$TMP/err"
	local rc=$?
	if [ "$rc" != "$code" ]; then
		fail "$name: exit $rc, expected $code" "$(head -3 "$TMP/err")"
	elif [ -n "$pattern" ] && ! grep -qE "$pattern" "$TMP/err"; then
		fail "$name: message does not match '$pattern'" "$(head -3 "$TMP/err")"
	elif grep -qiE "segmentation|assert|sanitizer" "$TMP/err"; then
		fail "$name: crashed" "$(head -3 "$TMP/err")"
	else
		ok "$name"
	fi
}

true &
dead=$!
wait "$dead"
expect "dead PID" 3 "no such process: $dead" -- "$LS" record -p "$dead" -o "$TMP/x.pftrace"
check "dead PID leaves no trace file" [ ! -e "$TMP/x.pftrace" ]
# a zombie: its parent execs into a long sleep and never reaps it
sh -c 'sleep 0.1 & exec sleep 5' &
zp=$!
PIDS="$PIDS $zp"
sleep 0.5
zombie=$(ps -o pid= --ppid "$zp" | tr -d ' ')
expect "zombie PID" 3 "no such process" -- "$LS" record -p "$zombie" -o "$TMP/x.pftrace"
expect "kernel thread" 3 "kernel thread" -- "$LS" record -p 2 -o "$TMP/x.pftrace"
expect "own PID" 3 "loopscope itself" -- sh -c 'exec "$0" record -p $$ -o "$1"' "$LS" "$TMP/x.pftrace"
expect "no target" 2 "nothing to trace" -- "$LS" record
expect "PID and command conflict" 2 "conflict" -- "$LS" record -p 1 -- true
expect "unknown option" 2 "unrecognized option|invalid option" -- "$LS" record --frobnicate
expect "unknown command" 2 "unknown command 'frob'" -- "$LS" frob
expect "no command" 2 "USAGE" -- "$LS"
expect "PID not a number" 2 "invalid PID 'abc'" -- "$LS" record -p abc
expect "negative duration" 2 "invalid duration '-1'" -- "$LS" record -p 1 -d -1
expect "absurd duration" 2 "invalid duration" -- "$LS" record -p 1 -d 1e99
expect "zero stall threshold" 2 "invalid stall threshold '0'" -- "$LS" record -p 1 --stall-ms 0
expect "stray argument" 2 "unexpected argument" -- "$LS" record -p 1 extra
expect "-- without a command" 2 "needs a command" -- "$LS" record --
expect "summary equals output" 2 "same file" -- "$LS" record -p 1 -o a.json --summary a.json
expect "command not found" 3 "cannot (run|start) /nonexistent/cmd" -- "$LS" record -o "$TMP/x.pftrace" -- /nonexistent/cmd
expect "output directory missing" 6 "cannot create $TMP/nodir/x.pftrace: No such file" -- \
	"$LS" record -o "$TMP/nodir/x.pftrace" -- true
expect "output is a directory" 6 "Is a directory" -- "$LS" record -o "$TMP" -- true
expect "no BTF" 5 "BTF unavailable" -- env LOOPSCOPE_BTF=/dev/null "$LS" record -o "$TMP/x.pftrace" -- true
expect "missing BTF file" 5 "BTF unavailable.*No such file" -- env LOOPSCOPE_BTF=/nonexistent "$LS" record -- true
if command -v setpriv > /dev/null; then
	chmod 755 "$TMP"
	expect "not root" 4 "needs CAP_BPF and CAP_PERFMON" -- \
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$LS" record -o "$TMP/x.pftrace" -- true
else
	fail "not root: setpriv (util-linux) missing"
fi
expect "help exits 0" 0 "" -- "$LS" help record
check "help shows examples" grep -q "EXAMPLES" "$TMP/out"
expect "version" 0 "" -- "$LS" --version
check "version printed" grep -q "^loopscope [0-9]" "$TMP/out"

finish
