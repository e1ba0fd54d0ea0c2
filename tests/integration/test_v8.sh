#!/bin/bash
# JavaScript frames named from V8's heap, no --perf-basic-prof: node 20
# (the machine's) and Debian 12's node 18 (libnode.so, unpacked by
# tests/install-node18.sh). Ground truth: the lines of the scripts'
# functions, and, where node writes a perf map, its name of each frame.
. "$(dirname "$0")/lib.sh"
require_root "v8"
HERE=$(cd "$(dirname "$0")/../.." && pwd)
NODE20=$(command -v node || true)
N18DIR=${LOOPSCOPE_NODE18:-/opt/loopscope-node18}
STALLS=$HERE/examples/node/js-stalls.js
GC=$HERE/examples/node/js-gc.js
REC=$HERE/examples/node/recurse.js

# the line a function of a script starts on
line_of() { grep -n "function $2(" "$1" | head -1 | cut -d: -f1; }

# in_order FOLDED RE...: one stack (root first) holds frames matching each RE, in this order
in_order() {
	python3 - "$@" <<'PY'
import re, sys
path, pats = sys.argv[1], [re.compile(p) for p in sys.argv[2:]]
for line in open(path):
    frames, k = line.rsplit(" ", 1)[0].split(";"), 0
    for f in frames:
        if k < len(pats) and pats[k].search(f):
            k += 1
    if k == len(pats):
        sys.exit(0)
sys.exit(1)
PY
}

# note_count ERR WHAT: the number before WHAT in the JS frames line
note_count() { sed -n "s/.*JS frames (.*[ ,]\([0-9][0-9]*\) $2.*/\1/p" "$1" | head -1; }

# run_version LABEL V8_MAJOR NODE...: the checks on one node
run_version() {
	local v=$1 major=$2; shift 2
	local d="$TMP/$v" spin busy tick parse hash
	mkdir -p "$d"
	spin=$(line_of "$STALLS" spinFor); busy=$(line_of "$STALLS" busyTwoDeep)
	tick=$(line_of "$STALLS" tick); parse=$(line_of "$STALLS" parseBig); hash=$(line_of "$STALLS" hashSync)
	# no flag: what production runs
	(cd "$d" && "$LS" record --sample-hz 499 -o "$d/s.pftrace" --folded "$d/s.folded" --summary "$d/s.json" \
		--raw "$d/s.raw" -- "$@" "$STALLS" > "$d/s.out" 2> "$d/s.err")
	check "$v: record exits 0" [ $? = 0 ]
	check "$v: the record line names V8 $major and the frames it named" \
		grep -qE "JS frames \(V8 $major\.[0-9.]+, 1 processes, no perf map needed\): [1-9][0-9]* named" "$d/s.err"
	check "$v: no perf map was written" [ ! -e "/tmp/perf-$(sed -n 's/.*tracing PID \([0-9]*\).*/\1/p' "$d/s.err").map" ]
	check "$v: busy loop two calls deep: tick -> busyTwoDeep -> spinFor, with lines" \
		in_order "$d/s.folded" "^JS:.tick .*js-stalls.js:${tick}_" "^JS:.busyTwoDeep .*js-stalls.js:${busy}_" \
		"^JS:.spinFor .*js-stalls.js:${spin}_"
	check "$v: JSON.parse: parseBig:$parse above V8's JSON parser" \
		in_order "$d/s.folded" "^JS:.tick " "^JS:.parseBig .*js-stalls.js:${parse}_" "JsonParse"
	check "$v: sync crypto: hashSync:$hash -> node's pbkdf2Sync -> PBKDF2" \
		in_order "$d/s.folded" "^JS:.hashSync .*js-stalls.js:${hash}_" "^JS:.pbkdf2Sync node:internal/crypto/pbkdf2" "PBKDF2"
	check "$v: a stall's cause reaches its JS callers" \
		python3 -c "
import json, sys
s = json.load(open(sys.argv[1]))
causes = [g['frames'] for l in s['loops'] for g in l.get('stall_causes', [])]
sys.exit(0 if any(f.startswith('JS:') and 'js-stalls.js' in f for c in causes for f in c) else 1)" "$d/s.json"
	# (one line a group: past V8's C++ frames, "...", to the JS that called them)
	check "$v: the end summary's stall causes reach the script's JS functions" \
		grep -qE "stalls?, .* in all: .* <- JS:.[a-zA-Z]+ [^ ]*js-stalls.js:[0-9]+ " "$d/s.err"
	check "$v: the trace decodes" validate_trace "$d/s.pftrace"
	# the capture holds the names: replay, with the process gone, still has them
	"$LS" replay -q "$d/s.raw" --summary "$d/r.json" --folded "$d/r.folded" 2> "$d/replay.err"
	check "$v: replay names the JS frames from the capture: tick -> parseBig, with lines" \
		in_order "$d/r.folded" "^JS:.tick .*js-stalls.js:${tick}_" "^JS:.parseBig .*js-stalls.js:${parse}_"
	check "$v: replay's stall causes reach their JS callers" \
		python3 -c "
import json, sys
s = json.load(open(sys.argv[1]))
causes = [g['frames'] for l in s['loops'] for g in l.get('stall_causes', [])]
sys.exit(0 if any(f.startswith('JS:') and 'js-stalls.js' in f for c in causes for f in c) else 1)" "$d/r.json"

	# GC moving objects under the sampling, beside node's own perf map: never another function.
	# The perf map is the truth only while code stays where it was written: V8 does not
	# log code that compaction moves (the map then names the code's old neighbours,
	# 68-153 frames a run here, where V8's objects name the frame's own function), so
	# code space is not compacted; scavenges and old-space compaction still move the
	# JSFunctions, SharedFunctionInfos and scripts the reader reads.
	(cd "$d" && "$LS" record --sample-hz 499 -o "$d/g.pftrace" --folded "$d/g.folded" \
		-- "$@" --perf-basic-prof --no-compact-code-space "$GC" > "$d/g.out" 2> "$d/g.err")
	check "$v gc: record exits 0" [ $? = 0 ]
	check "$v gc: the perf map and V8 name 20+ frames alike" [ "$(note_count "$d/g.err" 'by the perf map and V8 alike')" -ge 20 ]
	# (a perf map line newer than the sample, an older one naming V8's function, is no disagreement)
	check "$v gc: no frame where the perf map names another function" \
		[ "$(note_count "$d/g.err" 'where the perf map names another function')" = 0 ]
	check "$v gc: churn and stall named with their lines" \
		in_order "$d/g.folded" "^JS:.stall .*js-gc.js:$(line_of "$GC" stall)_" "(JS|LazyCompile|Function):.churn .*js-gc.js:$(line_of "$GC" churn)"

	# a RangeError: the recursion named without the perf map
	(cd "$d" && "$LS" record -o "$d/r.pftrace" -- "$@" "$REC" 3 300 > "$d/r.out" 2> "$d/r.err")
	check "$v overflow: record exits 0" [ $? = 0 ]
	check "$v overflow: the script caught 3" grep -q "caught 3" "$d/r.out"
	check "$v overflow: the recursion is recurseA and recurseB, with lines" \
		grep -qE "RangeError.*recursion: JS:~recurse[AB] .*recurse.js:($(line_of "$REC" recurseA)|$(line_of "$REC" recurseB)) -> JS:~recurse[AB] " "$d/r.err"
}

if [ -n "$NODE20" ]; then
	run_version node20 11 "$NODE20"
else
	fail "node (20) is not installed"
fi
if [ -x "$N18DIR/usr/bin/node" ]; then
	run_version node18 10 env LD_LIBRARY_PATH="$N18DIR/usr/lib/x86_64-linux-gnu" "$N18DIR/usr/bin/node"
else
	fail "Debian's node 18 is not in $N18DIR (tests/install-node18.sh)"
fi
finish
