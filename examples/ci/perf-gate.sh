#!/bin/bash
# perf-gate.sh: the CI recipe of README.md ("Report, top and check"), runnable.
# Records examples/epoll-server under examples/ci/workload.sh with
# `loopscope record --summary`, then compares it with a committed baseline
# with `loopscope check`: exit 0 pass, 1 regression, 2 bad input; any other
# code means the recording itself failed.
#
#   perf-gate.sh [-b BASELINE_DIR] [-o OUT_DIR] [-n RUNS] [-j JUNIT.xml] [-s SLOWDOWN_PERCENT]
#                [-w blocks|stalls] [-m METRIC=LIMIT ...]   (limits on top of check's defaults)
#   perf-gate.sh -r -o DIR [-n RUNS]    record only (a new baseline: -o examples/ci/baseline)
#
# KIND is workload.sh's (blocks, the default; stalls: a short run with three
# 80 ms stalls). RUNS (default 5) runs are recorded and compared with the baseline's runs
# through their median: one run slowed by a busy CI machine cannot fail the
# gate alone, and one slowed baseline run cannot hide a regression.
# LOOPSCOPE and EXAMPLES point at the binaries (default: build/).
set -u
here=$(cd "$(dirname "$0")" && pwd)
LS=${LOOPSCOPE:-build/loopscope}
export EXAMPLES=${EXAMPLES:-build/examples}
baseline=$here/baseline
outdir=
junit=
slow=0
kind=blocks
runs=5
record_only=0
limits=()
while getopts "b:o:n:j:s:w:rm:" opt; do
	case $opt in
	m) limits+=(--max "$OPTARG") ;;
	b) baseline=$OPTARG ;;
	o) outdir=$OPTARG ;;
	n) runs=$OPTARG ;;
	j) junit=$OPTARG ;;
	s) slow=$OPTARG ;;
	w) kind=$OPTARG ;;
	r) record_only=1 ;;
	*) echo "usage: $0 [-b BASELINE_DIR] [-o OUT_DIR] [-n RUNS] [-j JUNIT] [-s PCT] [-w KIND] [-r]" >&2
	   exit 2 ;;
	esac
done
tmp=$(mktemp -d /tmp/perf-gate.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
[ -n "$outdir" ] || outdir=$tmp/current
mkdir -p "$outdir" || exit 2

# record_run FILE.json N: the server is started by loopscope, traced from its
# first instruction. Each run has files of its own: a background job opens
# its redirections after `&` returns, so a reused file could still show the
# previous run's "listening" line (and port) to the wait below.
record_run() {
	local out=$tmp/server-$2.out err=$tmp/record-$2.err
	"$LS" record -q -o "$tmp/run-$2.pftrace" --summary "$1" -- "$EXAMPLES/epoll-server" \
		> "$out" 2> "$err" &
	local rec=$! port= i
	# up to 60 s: a loaded CI runner (or a sanitizer build) can be slow to
	# load the probes and start the server
	for i in $(seq 1200); do
		grep -q '^listening' "$out" 2>/dev/null && break
		kill -0 "$rec" 2>/dev/null || break
		sleep 0.05
	done
	port=$(sed -n 's/^listening 127.0.0.1:\([0-9]*\).*/\1/p' "$out")
	if [ -z "$port" ]; then
		echo "perf-gate: the server did not start: $(head -1 "$err")" >&2
		kill "$rec" 2> /dev/null
		return 3
	fi
	"$here/workload.sh" "$port" "$slow" "$kind" || { kill "$rec"; echo "perf-gate: workload failed" >&2; return 3; }
	"$EXAMPLES/loadgen" -p "$port" --cmd QUIT > /dev/null
	if ! wait "$rec"; then
		echo "perf-gate: loopscope record failed: $(head -1 "$err")" >&2
		return 3
	fi
	rm -f "$tmp/run-$2.pftrace"
}

# 1. record the workload RUNS times
for i in $(seq "$runs"); do
	record_run "$outdir/run-$i.json" "$i" || exit 3
done

# 2. compare with the committed baseline
[ "$record_only" = 1 ] && exit 0
args=()
for f in "$baseline"/*.json; do args+=(--baseline "$f"); done
exec "$LS" check "${args[@]}" "${limits[@]}" "$outdir"/run-*.json ${junit:+--junit "$junit"}
