#!/bin/bash
# measure.sh [TRIALS] [SLOWDOWN_PERCENT] [RUNS]: the detection and false-alarm
# rates of `loopscope check` as perf-gate.sh uses it. Records a baseline of
# RUNS runs, then TRIALS times RUNS runs of the same build and TRIALS times
# RUNS runs with every block SLOWDOWN_PERCENT longer (all disjoint), and
# checks each trial against the baseline:
#   false alarm = a same-build trial that check fails;
#   detection   = a slowed trial that check fails.
# Extra arguments after -- go to `loopscope check`.
set -u
here=$(cd "$(dirname "$0")" && pwd)
LS=${LOOPSCOPE:-build/loopscope}
trials=${1:-20}
slow=${2:-10}
runs=${3:-3}
shift $(($# > 3 ? 3 : $#)); [ "${1:-}" = -- ] && shift
out=${MEASURE_DIR:-$(mktemp -d /tmp/measure.XXXXXX)}
rec() { [ -s "$1/run-$runs.json" ] || "$here/perf-gate.sh" -r -n "$runs" -o "$1" -s "$2" || exit 1; }
rec "$out/base" 0
for i in $(seq "$trials"); do rec "$out/same-$i" 0; rec "$out/slow-$i" "$slow"; done
base=()
for f in "$out"/base/*.json; do base+=(--baseline "$f"); done
fa=0 det=0
for i in $(seq "$trials"); do
	"$LS" check -q "${base[@]}" "$out/same-$i"/*.json "$@" > "$out/same-$i.check"
	rc=$?; [ $rc = 1 ] && fa=$((fa + 1)); [ $rc -gt 1 ] && echo "check failed: $rc" >&2
	"$LS" check -q "${base[@]}" "$out/slow-$i"/*.json "$@" > "$out/slow-$i.check"
	rc=$?; [ $rc = 1 ] && det=$((det + 1)); [ $rc -gt 1 ] && echo "check failed: $rc" >&2
done
echo "trials=$trials runs/trial=$runs slowdown=$slow% data=$out"
echo "detected: $det/$trials slowed trials"
echo "false alarms: $fa/$trials same-build trials"
