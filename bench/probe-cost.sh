#!/bin/bash
# The cost of loopscope's uprobes and sampling on a target, in one run that
# rotates the configurations (bench-notes: medians side by side).
#   phases: bench/uv-spin (one libuv iteration = 5 probed functions, 10 hits)
#           under no tracer / loopscope --no-libuv / loopscope: added ns per
#           iteration and per uprobe hit.
#   sampling: bench/uv-spin -s (pure CPU) under no tracer / loopscope
#           --sample-hz 0 / --sample-hz 999: added ns per 1000-turn batch, as
#           % of the target's CPU, and loopscope's own CPU per second.
# Usage: bench/probe-cost.sh [ROUNDS=3] [SECONDS=4]; OUTPUT (build).
set -u
OUTPUT=${OUTPUT:-build}
LS=$OUTPUT/loopscope
SPIN=$OUTPUT/bench/uv-spin
ROUNDS=${1:-3}
SECS=${2:-4}
tmp=$(mktemp -d /tmp/probe-cost.XXXXXX)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir -p "$OUTPUT/bench"
${CC:-cc} -O2 -g -Wall -Wextra -Werror -o "$SPIN" bench/uv-spin.c -l:libuv_a.a -lpthread -ldl || exit 1

# run MODE CONFIG: one measurement, prints the median ns of the target and loopscope's CPU %
run() {
	local mode=$1 cfg=$2 lsargs="" pid lspid=""
	taskset -c 1 "$SPIN" $mode -t "$((SECS + 2))" > "$tmp/spin" &
	pid=$!
	for _ in $(seq 50); do grep -q '^pid' "$tmp/spin" && break; sleep 0.05; done
	case $cfg in
	none) ;;
	nolibuv) lsargs="--no-libuv --sample-hz 0" ;;
	libuv) lsargs="--sample-hz 0" ;;
	nosample) lsargs="--no-libuv --sample-hz 0" ;;
	sample) lsargs="--no-libuv --sample-hz ${SAMPLE_HZ:-999}" ;;
	esac
	if [ "$cfg" != none ]; then
		taskset -c 0 "$LS" record -q $lsargs -p "$pid" -d "$SECS" -o "$tmp/t.pftrace" 2> /dev/null &
		lspid=$!
	fi
	sleep 1	# attach, warm up
	local from t0=0 t1=0
	from=$(wc -l < "$tmp/spin")
	[ -n "$lspid" ] && t0=$(awk '{print $14 + $15}' "/proc/$lspid/stat")
	sleep "$((SECS - 2))"
	[ -n "$lspid" ] && t1=$(awk '{print $14 + $15}' "/proc/$lspid/stat")
	tail -n +"$((from + 1))" "$tmp/spin" | sort -n | awk '{a[NR]=$1} END {printf "%s ", a[int((NR+1)/2)]}'
	echo "$(( (t1 - t0) * 100 / (SECS - 2) / $(getconf CLK_TCK) ))"
	[ -n "$lspid" ] && wait "$lspid"
	wait "$pid"
}

printf 'config\tround\tns\tloopscope_cpu_%%\n'
for r in $(seq "$ROUNDS"); do
	cfgs="none nolibuv libuv"
	[ $((r % 2)) = 0 ] && cfgs="libuv nolibuv none"
	for cfg in $cfgs; do
		printf 'phases-%s\t%s\t%s\n' "$cfg" "$r" "$(run "" "$cfg" | tr ' ' '\t')"
	done
	# alternate the order by round: a drift over the round must not favour one config
	cfgs="none nosample sample"
	[ $((r % 2)) = 0 ] && cfgs="sample nosample none"
	for cfg in $cfgs; do
		printf 'sampling-%s\t%s\t%s\n' "$cfg" "$r" "$(run -s "$cfg" | tr ' ' '\t')"
	done
done
