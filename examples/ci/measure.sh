#!/bin/bash
# measure.sh [-t TRIALS] [-s SLOWDOWN_PERCENT] [-n RUNS[,RUNS...]] [-w KIND] [-d DIR] [-- CHECK_ARGS]
#
# The detection and false-alarm rates of `loopscope check` as perf-gate.sh
# uses it, from fresh recordings. Each of TRIALS trials records three sets
# of the most RUNS runs of workload.sh KIND (blocks, the default, or
# stalls): its own baseline, a same-build set, and a set with every block
# SLOWDOWN_PERCENT (default 10) longer. For each RUNS (default 1,3,5) the
# first RUNS runs of each set are compared:
#   false alarm = check fails the same-build set against its baseline;
#   detection   = check fails the slowed set against that baseline.
# So every trial at every RUNS is a fresh pair of sides; the RUNS levels
# share recordings (a 1-run trial is the first run of the 5-run one). A
# trial's outputs stay in DIR (default: a new /tmp/measure.XXXXXX), and a
# second call with the same DIR reuses the sets already recorded (the
# same-build sets of a workload serve every SLOWDOWN). Which metrics or
# causes failed is counted from check's JUnit. CHECK_ARGS go to check.
set -u
here=$(cd "$(dirname "$0")" && pwd)
LS=${LOOPSCOPE:-build/loopscope}
trials=20 slow=10 levels=1,3,5 kind=blocks out=
while getopts "t:s:n:w:d:" opt; do
	case $opt in
	t) trials=$OPTARG ;;
	s) slow=$OPTARG ;;
	n) levels=$OPTARG ;;
	w) kind=$OPTARG ;;
	d) out=$OPTARG ;;
	*) echo "usage: $0 [-t TRIALS] [-s PCT] [-n RUNS,...] [-w blocks|stalls] [-d DIR] [-- CHECK_ARGS]" >&2
	   exit 2 ;;
	esac
done
shift $((OPTIND - 1))
IFS=, read -ra runs_at <<< "$levels"
most=0
for k in "${runs_at[@]}"; do
	case $k in ''|*[!0-9]*|0) echo "measure.sh: -n: run counts are positive integers" >&2; exit 2 ;; esac
	[ "$k" -gt "$most" ] && most=$k
done
[ -n "$out" ] || out=$(mktemp -d /tmp/measure.XXXXXX)
mkdir -p "$out" || exit 2

# rec SET PCT: the set's runs, unless an earlier call recorded them
rec() {
	[ -s "$out/$1/run-$most.json" ] && return 0
	"$here/perf-gate.sh" -r -n "$most" -o "$out/$1" -s "$2" -w "$kind" ||
		{ echo "measure.sh: recording $1 failed" >&2; exit 3; }
}
for i in $(seq "$trials"); do
	rec "$kind-base-$i" 0
	rec "$kind-same-$i" 0
	rec "$kind-slow$slow-$i" "$slow"
done

# judge BASE CUR K NAME: 1 when check fails CUR's first K runs against BASE's
judge() {
	local args=() r
	for r in $(seq "$3"); do args+=(--baseline "$out/$1/run-$r.json"); done
	for r in $(seq "$3"); do args+=("$out/$2/run-$r.json"); done
	"$LS" check -q "${args[@]}" --junit "$out/$4.xml" "${@:5}" > "$out/$4.check"
	case $? in
	0) return 1 ;;
	1) xmllint --xpath '//testcase[failure]/@name' "$out/$4.xml" 2> /dev/null |
		sed 's/ name="\([^"]*\)"/\1\n/g' | sed 's/^\(stall cause\):.*/\1/' | grep . >> "$out/failed-on"
	   return 0 ;;
	*) echo "measure.sh: check could not compare $2 with $1 (see $out/$4.check)" >&2; exit 3 ;;
	esac
}
echo "workload=$kind slowdown=$slow% trials=$trials, each with its own baseline; data=$out"
printf "%-10s %-10s %-13s %s\n" RUNS/SIDE DETECTED "FALSE ALARMS" "FAILED ON (detections)"
for k in "${runs_at[@]}"; do
	det=0 fa=0
	for i in $(seq "$trials"); do
		judge "$kind-base-$i" "$kind-same-$i" "$k" "same-$kind-$k-$i" "$@" && fa=$((fa + 1))
	done
	: > "$out/failed-on"
	for i in $(seq "$trials"); do
		judge "$kind-base-$i" "$kind-slow$slow-$i" "$k" "slow$slow-$kind-$k-$i" "$@" && det=$((det + 1))
	done
	on=$(sort "$out/failed-on" | uniq -c | sort -rn | awk '{n=$1; $1=""; printf "%s%s %d", sep, substr($0,2), n; sep=", "}')
	printf "%-10s %-10s %-13s %s\n" "$k" "$det/$trials" "$fa/$trials" "${on:--}"
done
