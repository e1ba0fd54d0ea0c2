#!/bin/bash
# `make soak`: loopscope attached to a node HTTP server under wrk for a long
# run, once in summary mode, once writing the full trace, once as
# `loopscope agent` scraped every second while short-lived python loops
# churn beside node (one started every 0.5 s, each living 2 s; --grace 5),
# and once as the agent watching the whole host (--all: node, wrk, the
# churn and any other loop found at its next wait). Samples the
# collector's RSS every SOAK_SAMPLE seconds and checks it stays flat: after
# a warm-up (the first 10% of the run, at least one sample), the largest RSS
# must stay within 5% of the RSS at the end of the warm-up. Also requires no
# drops at this load. Writes bench/soak.md; exits 1 if a check fails.
#
# Knobs (environment): SOAK_SECS (600 per mode), SOAK_SAMPLE (10),
# SOAK_MODES ("summary full agent agent-all"), SOAK_CONNS (32), SOAK_RESULTS (bench/soak.md),
# OUTPUT (build).
set -euo pipefail
cd "$(dirname "$0")/.."

OUTPUT=${OUTPUT:-build}
SECS=${SOAK_SECS:-600}
SAMPLE=${SOAK_SAMPLE:-10}
MODES=${SOAK_MODES:-"summary full agent agent-all"}
CONNS=${SOAK_CONNS:-32}
RESULTS=${SOAK_RESULTS:-bench/soak.md}
LS=$OUTPUT/loopscope

die() { echo "soak: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || { echo "soak: run as root (BPF)" >&2; exit 4; }
bench/install-deps.sh
for t in wrk node taskset curl; do
	command -v "$t" >/dev/null || die "$t not found (bench/install-deps.sh installs it)"
done
[ -x "$LS" ] || die "$LS missing: run make first (make soak does)"
[ "$SECS" -ge 10 ] 2>/dev/null || die "SOAK_SECS must be a whole number >= 10"

NCPU=$(nproc)
TCPU=$((NCPU > 1 ? 1 : 0))	# node on CPU 1; wrk and loopscope on CPU 0

WORK=$(mktemp -d /var/tmp/loopscope-soak.XXXXXX)
NODE=0
LSPID=0
CHURN=0
cleanup() {
	[ "$CHURN" != 0 ] && kill -KILL "$CHURN" 2>/dev/null
	[ "$LSPID" != 0 ] && kill -KILL "$LSPID" 2>/dev/null
	[ "$NODE" != 0 ] && kill -KILL "$NODE" 2>/dev/null
	rm -rf "$WORK"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rss_kib() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

. bench/lib.sh

FAILED=0
ROWS=""
CURVES=""

AGENT_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
scrape() { curl -sf --max-time 2 "http://127.0.0.1:$AGENT_PORT/metrics" || true; }

# The churner: a shell that starts a python epoll loop every 0.5 s, each
# 200 iterations of 10 ms; the agent follows it and its children.
start_churn() {
	bash -c 'while :; do /usr/bin/python3 -c "
import selectors, os
sel = selectors.EpollSelector(); r, w = os.pipe(); sel.register(r, selectors.EVENT_READ)
for i in range(200): sel.select(0.01)
" & sleep 0.5; done' > /dev/null 2>&1 &
	CHURN=$!
}

soak_mode() {	# MODE
	local mode=$1 port args=() t=0 rss first=0 peak=0 warm=$((SECS / 10)) curve="" \
		reqs drops size="-" flat verdict
	[ "$warm" -lt "$SAMPLE" ] && warm=$SAMPLE
	taskset -c "$TCPU" node bench/http-server.js 0 > "$WORK/node.out" 2>&1 &
	NODE=$!
	wait_for "$WORK/node.out" "^listening" "$NODE" || die "node did not start"
	port=$(awk '/^listening/ { print $2 }' "$WORK/node.out")
	case $mode in
	summary) args=(record -p "$NODE" --summary "$WORK/s.json") ;;
	full) args=(record -p "$NODE" -o "$WORK/t.pftrace" --summary "$WORK/s.json") ;;
	agent) start_churn
		args=(agent -p "$NODE,$CHURN" --listen "127.0.0.1:$AGENT_PORT" --grace 5) ;;
	agent-all) start_churn	# node, wrk, the churn and whatever else runs a loop here
		args=(agent --all --listen "127.0.0.1:$AGENT_PORT" --grace 5) ;;
	*) die "unknown mode $mode (summary, full, agent, agent-all)" ;;
	esac
	taskset -c 0 "$LS" "${args[@]}" > "$WORK/ls.out" 2> "$WORK/ls.err" &
	LSPID=$!
	wait_for "$WORK/ls.err" "tracing PID\|serving" "$LSPID" || die "loopscope did not start: $(tail -1 "$WORK/ls.err")"
	taskset -c 0 wrk -t1 -c"$CONNS" -d"${SECS}s" "http://127.0.0.1:$port/" > "$WORK/wrk.out" 2>&1 &
	local wrk=$!
	while kill -0 "$wrk" 2>/dev/null; do
		if [ "${mode%-all}" = agent ]; then	# Prometheus' pace: a scrape a second
			for _ in $(seq "$SAMPLE"); do scrape > "$WORK/scrape.txt"; sleep 1; done
		else
			sleep "$SAMPLE"
		fi
		t=$((t + SAMPLE))
		rss=$(rss_kib "$LSPID")
		curve="$curve $t:$rss"
		if [ "$t" -ge "$warm" ] && [ "$first" = 0 ]; then
			first=$rss
		fi
		[ "$first" != 0 ] && [ "$rss" -gt "$peak" ] && peak=$rss
	done
	wait "$wrk" || true
	kill -INT "$LSPID"
	wait "$LSPID" || die "loopscope exited $? in $mode mode: $(tail -1 "$WORK/ls.err")"
	[ "${mode%-all}" = agent ] && echo "soak: agent: $(grep -c '^loopscope_loop_iterations_total{' "$WORK/scrape.txt") loop rows in the last scrape" >&2
	LSPID=0
	kill -TERM "$NODE" 2>/dev/null || true
	wait "$NODE" 2>/dev/null || true
	NODE=0
	reqs=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$WORK/wrk.out")
	if [ "${mode%-all}" = agent ]; then
		drops=$(awk '/^loopscope_drops_total/ { n += $2 } END { print n + 0 }' "$WORK/scrape.txt")
		{ kill -KILL "$CHURN" && wait "$CHURN"; } 2>/dev/null || true
		CHURN=0
	else
		drops=$(python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(sum(s['drops'].values()))" \
			"$WORK/s.json")
	fi
	[ -f "$WORK/t.pftrace" ] && size=$(du -m "$WORK/t.pftrace" | cut -f1)
	rm -f "$WORK/t.pftrace" "$WORK/s.json"
	flat=$(awk -v a="$first" -v b="$peak" 'BEGIN { printf "%+.1f", a ? (b - a) * 100 / a : 0 }')
	verdict=ok
	if awk -v f="$flat" 'BEGIN { exit !(f > 5) }'; then
		verdict="NOT FLAT"
		FAILED=1
	fi
	if [ "$drops" != 0 ]; then
		verdict="$verdict, drops"
		FAILED=1
	fi
	echo "soak: $mode: ${SECS} s, ${reqs:-?} req/s, RSS $first KiB after warm-up, peak $peak KiB" \
		"($flat%), drops $drops, trace ${size} MB: $verdict" >&2
	ROWS="$ROWS| $mode | $SECS | ${reqs:-?} | $first | $peak | $flat% | $drops | $size | $verdict |
"
	CURVES="$CURVES- $mode:$(echo "$curve" | tr ' ' '\n' | awk -F: -v n="$SAMPLE" -v secs="$SECS" '
		NF == 2 && ($1 % (secs >= 300 ? 60 : n * 2) == 0) { printf " %s s %s;", $1, $2 }')
"
}

for m in $MODES; do
	soak_mode "$m"
done

{
	echo "# loopscope soak"
	echo
	echo "$(date -u +%Y-%m-%d), $(uname -r), $(nproc) CPUs, $("$LS" --version 2>&1 | head -1)," \
		"node $(node --version), wrk -t1 -c$CONNS, node on CPU $TCPU, wrk and loopscope on CPU 0."
	echo "Generated by \`make soak\` (bench/soak.sh); RSS is loopscope's VmRSS, sampled every" \
		"$SAMPLE s. Flat = (peak - RSS after warm-up) / RSS after warm-up, warm-up = first 10%."
	echo
	echo "| mode | seconds | requests/s | RSS after warm-up (KiB) | peak RSS (KiB) | flat | drops | trace (MB) | verdict |"
	echo "|---|---|---|---|---|---|---|---|---|"
	printf '%s' "$ROWS"
	echo
	echo "RSS curve (KiB):"
	echo
	printf '%s' "$CURVES"
} > "$RESULTS"
echo "soak: wrote $RESULTS" >&2
exit "$FAILED"
