#!/bin/bash
# `make bench`: what loopscope costs the process it traces, side by side with
# the peers, in ONE run that rotates the configurations (see
# ../shared/bench-notes.md for why this shape: these 2-vCPU VMs have heavy,
# unpredictable steal time).
#
#  floor     bench/floor (floor.bpf.c): two tp_btf programs (sys_enter,
#            sys_exit) that filter on the tgid and bump one per-CPU counter,
#            the least a tracer of loopscope's design can cost. It runs in
#            every rotation; loopscope's rows are reported as multiples of it
#            and of the bpftrace peer.
#  micro     bench/readloop (read of 1 byte from /dev/zero in a tight loop,
#            pinned) prints ns per call every 200 ms while each tracer is
#            attached to it by PID; "added ns per read" is the median over
#            rounds of (median with tracer - median untraced in that round).
#            The by-* configurations trace readloop's bystander copy instead:
#            the measured loop is then a process the tracer does not trace.
#  http      a node "ok" server pinned to one CPU, wrk pinned to the other,
#            each tracer attached by PID; requests/s and the ratio to no
#            tracer (median over runs of the ratio within a run).
#  progstats kernel.bpf_stats_enabled=1 for one run of each PROGSTATS
#            configuration on readloop and on node under wrk (after the
#            rotations, never during them: the stats cost two clock reads per
#            run), average ns per run of each of the tracer's programs (found
#            by the prog_id of its descriptors); the sysctl is restored.
#  collector loopscope's own CPU time per event (utime+stime from
#            /proc/PID/stat) while it traces readloop, the trace's bytes per
#            event.
#  replay    raw captures (record --raw) of readloop and of the node server
#            under wrk, replayed offline: records/s per core for the
#            correlator alone and with the Perfetto export, bytes per record;
#            bench/zbench compresses the node trace's packets as the export
#            does with each zlib level and chunk size and with libdeflate.
#
# Knobs (environment): BENCH_ROUNDS (5), BENCH_WINDOW seconds sampled per
# micro run (3), BENCH_SETTLE seconds after attach (1), BENCH_HTTP_RUNS (5),
# BENCH_HTTP_SECS (5), BENCH_HTTP_CONNS (32), BENCH_MICRO and BENCH_HTTP
# (configuration lists; an empty list skips that part), BENCH_REPLAY (3 replays
# of each capture; 0 skips the part), BENCH_PROGSTATS (configurations for
# the per-program figures; empty skips the part), BENCH_RESULTS
# (bench/results.md), BENCH_KEEP=1 keeps the raw logs, OUTPUT (build).
# A/B a prototype: BENCH_ALT=/other/build/loopscope [BENCH_ALT_LABEL=...] and
# add "alt" (and "by-alt", "alt-summary": its summary mode) to the lists; the replay part then replays with
# both builds. Defaults take about 13 minutes (770 s on 2026-12-01).
set -euo pipefail
cd "$(dirname "$0")/.."

OUTPUT=${OUTPUT:-build}
ROUNDS=${BENCH_ROUNDS:-5}
WINDOW=${BENCH_WINDOW:-3}
SETTLE=${BENCH_SETTLE:-1}
HTTP_RUNS=${BENCH_HTTP_RUNS:-5}
HTTP_SECS=${BENCH_HTTP_SECS:-5}
HTTP_CONNS=${BENCH_HTTP_CONNS:-32}
REPLAYS=${BENCH_REPLAY:-3}
RESULTS=${BENCH_RESULTS:-bench/results.md}
MICRO=${BENCH_MICRO-"none floor loopscope loopscope-fp loopscope-tmpfs loopscope-summary bpftrace-hist bpftrace-count perf-trace strace by-floor by-loopscope by-bpftrace-hist agent-all coroot-bt"}
HTTP=${BENCH_HTTP-"none floor loopscope loopscope-nojs loopscope-fp loopscope-nolibuv loopscope-summary agent agent-all coroot-bt bpftrace-hist perf-trace strace"}
PROGSTATS=${BENCH_PROGSTATS-"floor loopscope-summary loopscope bpftrace-hist"}
LS=$OUTPUT/loopscope
FLOOR=$OUTPUT/bench/floor
ZBENCH=$OUTPUT/bench/zbench
# what viewer-export/pftrace.c compresses with: compressor, level, chunk KiB
ZB_CUR="libdeflate 5 256"
RL=$OUTPUT/bench/readloop
# the syscalls loopscope pairs (bpf/loopscope.h), for the HTTP peer
LS_SYSCALLS="read write readv writev pread64 pwrite64 recvfrom sendto recvmsg sendmsg futex epoll_wait epoll_pwait epoll_pwait2"

die() { echo "bench: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || { echo "bench: run as root (BPF, perf and ptrace of other processes)" >&2; exit 4; }
bench/install-deps.sh
for t in bpftrace perf strace wrk node taskset bpftool jq bc python3; do
	command -v "$t" >/dev/null || die "$t not found (bench/install-deps.sh installs it)"
done
[ -x "$LS" ] || die "$LS missing: run make first (make bench does)"
[ -x "$FLOOR" ] || die "$FLOOR missing: make bench builds it (make OUTPUT=$OUTPUT $FLOOR)"

NCPU=$(nproc)
if [ "$NCPU" -ge 2 ]; then
	TCPU=1 OCPU=0	# target on CPU 1; tracers, bystander copy and wrk on CPU 0
else
	TCPU=0 OCPU=0
	echo "bench: warning: one CPU: target and tracers share it" >&2
fi

# bpftrace's tracepoints and perf trace need tracefs
if [ ! -d /sys/kernel/tracing/events/syscalls ]; then
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
	[ -d /sys/kernel/tracing/events/syscalls ] ||
		die "no syscall tracepoints in /sys/kernel/tracing (CONFIG_FTRACE_SYSCALLS?): the peers cannot run"
fi

LOGS=$(mktemp -d /tmp/loopscope-bench.XXXXXX)
DISKDIR=$(mktemp -d /var/tmp/loopscope-bench.XXXXXX)
SHMDIR=$(mktemp -d /dev/shm/loopscope-bench.XXXXXX)
STATS_OLD=""	# kernel.bpf_stats_enabled before we set it, restored on exit
cleanup() {
	local p
	[ -n "$STATS_OLD" ] && sysctl -q -w kernel.bpf_stats_enabled="$STATS_OLD" || true
	# only our own background jobs still running (tracers, readloop, node)
	for p in $(jobs -p); do
		kill -KILL "$p" 2>/dev/null || true
	done
	rm -rf "$DISKDIR" "$SHMDIR"
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "bench: raw logs kept in $LOGS" >&2
	else
		rm -rf "$LOGS"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$OUTPUT/bench"
${CC:-cc} -O2 -g -Wall -Wextra -Werror -o "$RL" bench/readloop.c

DATA=$LOGS/data.tsv
: > "$DATA"
CLK_TCK=$(getconf CLK_TCK)

median() {
	sort -g | awk '{ a[NR] = $1 } END {
		if (!NR) print "nan"; else if (NR % 2) print a[(NR + 1) / 2];
		else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

. bench/lib.sh

# stops PID with SIGINT (every tracer finalises on it), SIGKILL after 20 s
stop_pid() {
	local pid=$1 i
	kill -INT "$pid" 2>/dev/null || true
	for i in $(seq 200); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

bt_hist() {	# PID SYSCALLS...: the peer, entry/exit paired per tid into a histogram
	local pid=$1 s enter="" exit=""
	shift
	for s in "$@"; do
		enter="$enter${enter:+,}tracepoint:syscalls:sys_enter_$s"
		exit="$exit${exit:+,}tracepoint:syscalls:sys_exit_$s"
	done
	printf '%s /pid == %d/ { @start[tid] = nsecs; }\n' "$enter" "$pid"
	printf '%s /pid == %d && @start[tid]/ { @ns = hist(nsecs - @start[tid]); delete(@start[tid]); }\n' "$exit" "$pid"
}

# Coroot's node agent, as a stand-in: per node process one counter of the time its
# loop spent between polls (uprobes on libuv's uv__io_poll entry and return, in every
# process that maps node: the whole host, at no cost to the others)
bt_coroot() {
	local node
	node=$(readlink -f "$(command -v node)")
	printf 'uretprobe:%s:uv__io_poll { @left[tid] = nsecs; }\n' "$node"
	printf 'uprobe:%s:uv__io_poll /@left[tid]/ { $d = nsecs - @left[tid];' "$node"
	printf ' if ($d > 10000000) { @blocked_ns[pid] = sum($d); } }\n'
}

# start_tracer CONFIG PID PREFIX SYSCALLS: sets TR (0 for none); 1 on failure
start_tracer() {
	local cfg=${1#by-} pid=$2 p=$3 sys=$4 ready readyf=$3.err
	TR=0
	case $cfg in
	none) sleep 1; return 0 ;;	# as long as an attach takes
	floor) taskset -c "$OCPU" "$FLOOR" -p "$pid" >"$p.out" 2>"$p.err" &
		ready="tracing PID" ;;
	# libuv probes are attached just after "tracing PID"; SETTLE covers that
	loopscope) taskset -c "$OCPU" "$LS" record -p "$pid" -o "$DISKDIR/x.pftrace" >"$p.out" 2>"$p.err" &
		ready="tracing PID" ;;
	loopscope-tmpfs) taskset -c "$OCPU" "$LS" record -p "$pid" -o "$SHMDIR/x.pftrace" >"$p.out" 2>"$p.err" &
		ready="tracing PID" ;;
	# stacks by frame pointer, not copied for CFI unwinding: what the default's copies cost
	loopscope-fp) taskset -c "$OCPU" "$LS" record --call-graph fp -p "$pid" -o "$DISKDIR/x.pftrace" \
			>"$p.out" 2>"$p.err" &
		ready="tracing PID" ;;
	loopscope-nolibuv) taskset -c "$OCPU" "$LS" record --no-libuv -p "$pid" -o "$DISKDIR/x.pftrace" \
			>"$p.out" 2>"$p.err" &
		ready="tracing PID" ;;
	# JavaScript frames not named from V8's heap: what the reader costs
	loopscope-nojs) taskset -c "$OCPU" "$LS" record --no-js-names -p "$pid" -o "$DISKDIR/x.pftrace" \
			>"$p.out" 2>"$p.err" &
		ready="tracing PID" ;;
	# summary mode: no trace, syscalls counted in the kernel
	loopscope-summary) taskset -c "$OCPU" "$LS" record -p "$pid" --summary "$DISKDIR/x.json" \
			>"$p.out" 2>"$p.err" &
		ready="tracing PID" ;;
	# the agent, its scrape endpoint on a port of its choosing (nothing scrapes it here)
	agent) taskset -c "$OCPU" "$LS" agent -p "$pid" --listen 127.0.0.1:0 >"$p.out" 2>"$p.err" &
		ready="serving" ;;
	# the agent watching the whole host: PID unused, every process joins at its first loop wait
	agent-all) taskset -c "$OCPU" "$LS" agent --all --listen 127.0.0.1:0 >"$p.out" 2>"$p.err" &
		ready="serving" ;;
	coroot-bt) taskset -c "$OCPU" bpftrace -e "$(bt_coroot)" >"$p.out" 2>"$p.err" &
		ready="Attaching" readyf=$p.out ;;
	alt) [ -n "${BENCH_ALT:-}" ] || die "configuration alt needs BENCH_ALT=/path/to/loopscope"
		taskset -c "$OCPU" "$BENCH_ALT" record -p "$pid" -o "$DISKDIR/x.pftrace" >"$p.out" 2>"$p.err" &
		ready="tracing PID" ;;
	alt-summary) [ -n "${BENCH_ALT:-}" ] || die "configuration alt-summary needs BENCH_ALT=/path/to/loopscope"
		taskset -c "$OCPU" "$BENCH_ALT" record -p "$pid" --summary "$DISKDIR/x.json" >"$p.out" 2>"$p.err" &
		ready="tracing PID" ;;
	bpftrace-hist) taskset -c "$OCPU" bpftrace -e "$(bt_hist "$pid" $sys)" >"$p.out" 2>"$p.err" &
		ready="Attaching" readyf=$p.out ;;
	bpftrace-count) taskset -c "$OCPU" bpftrace -e \
			"tracepoint:syscalls:sys_enter_read /pid == $pid/ { @calls = count(); }" >"$p.out" 2>"$p.err" &
		ready="Attaching" readyf=$p.out ;;
	perf-trace) taskset -c "$OCPU" perf trace -p "$pid" -o /dev/null >"$p.out" 2>"$p.err" &
		ready="" ;;
	strace) taskset -c "$OCPU" strace -f -p "$pid" -o /dev/null >"$p.out" 2>"$p.err" &
		ready="attached" ;;
	*) die "unknown configuration '$1'" ;;
	esac
	TR=$!
	if [ -z "$ready" ]; then
		sleep 2	# perf trace says nothing when it is attached
		kill -0 "$TR" 2>/dev/null && return 0
	elif wait_for "$readyf" "$ready" "$TR"; then
		return 0
	elif kill -0 "$TR" 2>/dev/null; then
		echo "bench: $1: no '$ready' from it in 30 s; measuring anyway" >&2
		return 0
	fi
	echo "bench: $1 did not start:" >&2
	tail -n 3 "$p.err" >&2
	stop_pid "$TR"
	return 1
}

is_loopscope() { case ${1#by-} in loopscope* | alt*) return 0 ;; esac; return 1; }

# loopscope's end summary: "loopscope: 4.2 s, 3060703 events, ..." -> "4.2 3060703 DROPS"
ls_summary() {
	local f=$1 dur ev drops
	dur=$(sed -n 's/^loopscope: \([0-9.]*\) s, \([0-9]*\) events.*/\1/p' "$f" | tail -n 1)
	ev=$(sed -n 's/^loopscope: \([0-9.]*\) s, \([0-9]*\) events.*/\2/p' "$f" | tail -n 1)
	drops=$(sed -n 's/.*data lost: \([0-9]*\) ring-buffer drops.*/\1/p' "$f" | tail -n 1)
	echo "${dur:-nan} ${ev:-nan} ${drops:-0}"
}

trace_size() {	# CONFIG: size of the trace it wrote, removed afterwards
	local f=""
	case ${1#by-} in
	loopscope | loopscope-fp | loopscope-nolibuv | loopscope-nojs | alt) f=$DISKDIR/x.pftrace ;;
	loopscope-tmpfs) f=$SHMDIR/x.pftrace ;;
	esac
	if [ -n "$f" ] && [ -f "$f" ]; then
		stat -c %s "$f"
		rm -f "$f"
	else
		echo nan
	fi
}

micro_run() {	# CONFIG ROUND
	local cfg=$1 r=$2 p=$LOGS/micro-$1-$2 rl target n0 n1 t0 t1 wall cpu sum size dur ev drops
	taskset -c "$TCPU" "$RL" -c "$TCPU" -B "$OCPU" >"$p.rl" &
	rl=$!
	wait_for "$p.rl" "^bystander" "$rl" || die "readloop did not start"
	target=$(awk '$1 == "pid" { print $2 }' "$p.rl")
	[ "${cfg#by-}" != "$cfg" ] && target=$(awk '$1 == "bystander" { print $2 }' "$p.rl")
	sleep 1	# warm up
	if ! start_tracer "$cfg" "$target" "$p" read; then
		stop_pid "$rl"
		return 0
	fi
	sleep "$SETTLE"
	n0=$(wc -l <"$p.rl")
	t0=$([ "$TR" != 0 ] && cpu_ticks "$TR" || echo 0)
	sleep "$WINDOW"
	n1=$(wc -l <"$p.rl")
	t1=$([ "$TR" != 0 ] && cpu_ticks "$TR" || echo 0)
	# the target first: under a sustained high event rate loopscope's drain
	# loop may not return to check for SIGINT until the producer stops
	stop_pid "$rl"
	[ "$TR" != 0 ] && stop_pid "$TR"
	wall=$(sed -n "$((n0 + 1)),${n1}p" "$p.rl" | awk '{ print $1 }' | median)
	cpu=$(sed -n "$((n0 + 1)),${n1}p" "$p.rl" | awk '{ print $2 }' | median)
	sum="nan nan 0"
	is_loopscope "$cfg" && sum=$(ls_summary "$p.err")
	read -r dur ev drops <<<"$sum"
	size=$(trace_size "$cfg")
	# the last number but one: tracer CPU seconds per second of window
	printf 'micro\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$cfg" "$r" "$wall" "$cpu" \
		"$dur" "$ev" "$drops" \
		"$(awk -v a="$t0" -v b="$t1" -v hz="$CLK_TCK" -v w="$WINDOW" 'BEGIN { print (b - a) / hz / w }')" \
		"$size" >>"$DATA"
	printf '  round %s %-18s %8.1f ns/read (cpu %6.1f)\n' "$r" "$cfg" "$wall" "$cpu"
}

http_run() {	# CONFIG RUN NODEPID PORT
	local cfg=$1 r=$2 node=$3 port=$4 p=$LOGS/http-$1-$2 rps sum size dur ev drops t0 t1 js
	if ! start_tracer "$cfg" "$node" "$p" "$LS_SYSCALLS"; then
		return 0
	fi
	sleep "$SETTLE"
	t0=$([ "$TR" != 0 ] && cpu_ticks "$TR" || echo 0)
	taskset -c "$OCPU" wrk -t1 -c"$HTTP_CONNS" -d"${HTTP_SECS}s" "http://127.0.0.1:$port/" >"$p.wrk" 2>&1 || true
	t1=$([ "$TR" != 0 ] && cpu_ticks "$TR" || echo 0)
	[ "$TR" != 0 ] && stop_pid "$TR"
	rps=$(awk '/^Requests\/sec:/ { print $2 }' "$p.wrk")
	sum="nan nan 0"
	is_loopscope "$cfg" && sum=$(ls_summary "$p.err")
	read -r dur ev drops <<<"$sum"
	size=$(trace_size "$cfg")
	# the V8 reader's own time per stack, from the record line
	js=$([ -f "$p.err" ] && sed -n 's/.*JS frames (.*(\([0-9.]*\) us a stack).*/\1/p' "$p.err" | tail -n 1 || true)
	[ -n "$js" ] && printf 'jsread\t%s\t%s\t%s\n' "$cfg" "$r" "$js" >>"$DATA"
	printf 'http\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$cfg" "$r" "${rps:-nan}" "$dur" "$ev" "$drops" \
		"$size" "$(awk -v a="$t0" -v b="$t1" -v hz="$CLK_TCK" -v w="$HTTP_SECS" 'BEGIN { print (b - a) / hz / w }')" \
		>>"$DATA"
	printf '  run %s %-18s %10s req/s\n' "$r" "$cfg" "${rps:-failed}"
}

# prog_stats PID: "name run_cnt run_time_ns" for each BPF program PID holds a
# descriptor of (its fdinfo names the prog_id; this bpftool shows no pids)
prog_stats() {
	local ids
	ids=$(cat /proc/"$1"/fdinfo/* 2>/dev/null | awk '$1 == "prog_id:" { print $2 }' | sort -un | paste -sd, -)
	[ -n "$ids" ] || return 0
	bpftool prog show --json | jq -r --arg ids "$ids" '($ids | split(",") | map(tonumber)) as $want
		| .[] | select(.id as $i | $want | index($i)) | "\(.name) \(.run_cnt // 0) \(.run_time_ns // 0)"' |
		awk '{ c[$1] += $2; t[$1] += $3 } END { for (n in c) print n, c[n], t[n] }'
}

# progstat_run PART CONFIG PID LOAD...: one run with bpf_stats on; LOAD runs
# the window (sleep for readloop, wrk for node). Rows: progstat PART CONFIG
# NAME RUNS NS SECONDS, the deltas over the window.
progstat_run() {
	local part=$1 cfg=$2 pid=$3 p=$LOGS/progstat-$1-$2 a b t0 t1
	shift 3
	start_tracer "$cfg" "$pid" "$p" "$([ "$part" = http ] && echo "$LS_SYSCALLS" || echo read)" || return 0
	sleep "$SETTLE"
	a=$(prog_stats "$TR")
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>&1 || true
	t1=$(date +%s.%N)
	b=$(prog_stats "$TR")
	stop_pid "$TR"
	trace_size "$cfg" >/dev/null
	join <(sort <<<"$a") <(sort <<<"$b") | awk -v part="$part" -v c="$cfg" -v s="$(echo "$t1 - $t0" | bc)" '
		{ printf "progstat\t%s\t%s\t%s\t%d\t%d\t%s\n", part, c, $1, $4 - $2, $5 - $3, s }' >>"$DATA"
	printf '  %s %-18s per-program stats\n' "$part" "$cfg"
}

stats_on() {
	STATS_OLD=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -q -w kernel.bpf_stats_enabled=1
}

stats_off() {
	sysctl -q -w kernel.bpf_stats_enabled="$STATS_OLD"
	STATS_OLD=""
}

rotate() {	# N WORDS...: the words, starting at the N-th (mod count)
	local n=$1
	shift
	local a=("$@") i
	for i in "${!a[@]}"; do
		echo "${a[$(((i + n) % ${#a[@]}))]}"
	done
}

steal0=$(awk '/^cpu / { print $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
started=$(date +%s)

echo "bench: micro-benchmark, $ROUNDS rounds of: $MICRO"
for r in $(seq "$ROUNDS"); do
	for cfg in $(rotate "$r" $MICRO); do
		micro_run "$cfg" "$r"
	done
done

if [ -n "$PROGSTATS" ]; then
	echo "bench: per-program figures on readloop (bpf_stats_enabled): $PROGSTATS"
	taskset -c "$TCPU" "$RL" -c "$TCPU" -B "$OCPU" >"$LOGS/progstat.rl" &
	rl=$!
	wait_for "$LOGS/progstat.rl" "^bystander" "$rl" || die "readloop did not start"
	stats_on
	for cfg in $PROGSTATS; do
		progstat_run micro "$cfg" "$rl" sleep "$WINDOW"
	done
	stats_off
	stop_pid "$rl"
fi

if [ -n "$HTTP" ]; then
echo "bench: HTTP, $HTTP_RUNS runs of: $HTTP (${HTTP_SECS} s each, wrk -c$HTTP_CONNS)"
taskset -c "$TCPU" node bench/http-server.js >"$LOGS/node.out" 2>&1 &
node_pid=$!
wait_for "$LOGS/node.out" "^listening" "$node_pid" || die "the node server did not start: $(cat "$LOGS/node.out")"
port=$(awk '$1 == "listening" { print $2 }' "$LOGS/node.out")
taskset -c "$OCPU" wrk -t1 -c"$HTTP_CONNS" -d3s "http://127.0.0.1:$port/" >/dev/null	# warm up the JIT
for r in $(seq "$HTTP_RUNS"); do
	for cfg in $(rotate "$r" $HTTP); do
		http_run "$cfg" "$r" "$node_pid" "$port"
	done
done
if [ -n "$PROGSTATS" ]; then
	echo "bench: per-program figures on node under wrk (bpf_stats_enabled): $PROGSTATS"
	stats_on
	for cfg in $PROGSTATS; do
		progstat_run http "$cfg" "$node_pid" taskset -c "$OCPU" wrk -t1 -c"$HTTP_CONNS" -d"${HTTP_SECS}s" \
			"http://127.0.0.1:$port/"
	done
	stats_off
fi
stop_pid "$node_pid"
fi

# ---- replay: captures, then the collector offline on one core ------------------

replay_one() {	# NAME RAW BINARY: one replay of each kind
	local name=$1 raw=$2 bin=$3 rate
	rate=$(taskset -c "$TCPU" "$bin" replay "$raw" 2>&1 | sed -n 's/.*: \([0-9]*\) records\/s per core/\1/p')
	printf 'replay\t%s\tcorrelate\t%s\t0\t0\n' "$name" "${rate:-nan}" >>"$DATA"
	rate=$(taskset -c "$TCPU" "$bin" replay "$raw" -o "$SHMDIR/replay.pftrace" 2>&1 |
		sed -n 's/^replay: \([0-9]*\) records.*: \([0-9]*\) records\/s per core/\1 \2/p')
	printf 'replay\t%s\texport\t%s\t%s\t%s\n' "$name" "${rate#* }" "${rate%% *}" \
		"$(stat -c %s "$SHMDIR/replay.pftrace")" >>"$DATA"
	rm -f "$SHMDIR/replay.pftrace"
}

replay_run() {	# NAME RAW: appends replay rows (correlate only, with export), BENCH_ALT's interleaved
	local name=$1 raw=$2 i
	for i in $(seq "$REPLAYS"); do
		replay_one "$name" "$raw" "$LS"
		[ -n "${BENCH_ALT:-}" ] && replay_one "$name-alt" "$raw" "$BENCH_ALT"
	done
	echo "  replayed $name $REPLAYS times"
}

# A capture's trace packets compressed by each method of bench/zbench.
zbench_run() {	# NAME RAW
	local recs
	recs=$(taskset -c "$TCPU" "$LS" replay "$2" -o "$SHMDIR/zb.pftrace" 2>&1 | sed -n 's/^replay: \([0-9]*\) records.*/\1/p')
	bench/pftrace-packets.py "$SHMDIR/zb.pftrace" "$SHMDIR/zb.pkt" || die "pftrace-packets failed"
	taskset -c "$TCPU" "$ZBENCH" "$SHMDIR/zb.pkt" "$recs" 3 300 | sed "s/^zbench/zbench\t$1/" >>"$DATA" ||
		die "zbench failed"
	rm -f "$SHMDIR/zb.pftrace" "$SHMDIR/zb.pkt"
	echo "  compressed the $1 trace's packets with each method"
}

if [ "$REPLAYS" -gt 0 ]; then
echo "bench: replay, raw captures of readloop and node under wrk"
taskset -c "$TCPU" "$RL" -c "$TCPU" -B "$OCPU" >"$LOGS/cap.rl" &
rl=$!
wait_for "$LOGS/cap.rl" "^bystander" "$rl" || die "readloop did not start"
taskset -c "$OCPU" "$LS" record -q -p "$rl" -d 2 -o /dev/null --raw "$SHMDIR/readloop.raw" \
	2>"$LOGS/cap-rl.err" || die "readloop capture failed: $(tail -1 "$LOGS/cap-rl.err")"
stop_pid "$rl"
taskset -c "$TCPU" node bench/http-server.js >"$LOGS/node-cap.out" 2>&1 &
node_pid=$!
wait_for "$LOGS/node-cap.out" "^listening" "$node_pid" || die "the node server did not start"
port=$(awk '$1 == "listening" { print $2 }' "$LOGS/node-cap.out")
taskset -c "$OCPU" wrk -t1 -c"$HTTP_CONNS" -d3s "http://127.0.0.1:$port/" >/dev/null	# warm up the JIT
taskset -c "$OCPU" "$LS" record -q -p "$node_pid" -d 5 -o /dev/null --raw "$SHMDIR/node.raw" \
	2>"$LOGS/cap-node.err" &
cap=$!
sleep 0.5
taskset -c "$OCPU" wrk -t1 -c"$HTTP_CONNS" -d4s "http://127.0.0.1:$port/" >/dev/null
wait "$cap" || die "node capture failed: $(tail -1 "$LOGS/cap-node.err")"
stop_pid "$node_pid"
replay_run readloop "$SHMDIR/readloop.raw"
replay_run node "$SHMDIR/node.raw"
zbench_run readloop "$SHMDIR/readloop.raw"
zbench_run node "$SHMDIR/node.raw"
rm -f "$SHMDIR/readloop.raw" "$SHMDIR/node.raw"
fi

steal=$(awk -v s0="${steal0% *}" -v t0="${steal0#* }" '/^cpu / {
	t = $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; printf "%.1f", 100 * ($9 - s0) / (t - t0) }' /proc/stat)
elapsed=$(($(date +%s) - started))

# ---- report ----------------------------------------------------------------

col() {	# KIND CONFIG FIELD: the field of every row of that configuration
	awk -F'\t' -v k="$1" -v c="$2" -v f="$3" '$1 == k && $2 == c && $f != "nan" { print $f }' "$DATA"
}

# per round: field of CONFIG minus field of none (or BASE) in the same round
# (micro), or ratio CONFIG/none in the same run (http)
paired() {	# KIND CONFIG FIELD OP [BASE]
	awk -F'\t' -v k="$1" -v c="$2" -v f="$3" -v op="$4" -v b="${5:-none}" '
		$1 == k && $2 == b { base[$3] = $f }
		$1 == k && $2 == c { v[$3] = $f }
		END { for (r in v) if ((r in base) && v[r] != "nan" && base[r] != "nan" && base[r] > 0)
			print (op == "-" ? v[r] - base[r] : v[r] / base[r]) }' "$DATA"
}

range() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR) printf "%.0f..%.0f", lo, hi; else printf "n/a" }'; }
fmt() { awk -v f="$1" '{ if ($1 == "nan") print "n/a"; else printf f "\n", $1 }'; }

label() {
	case $1 in
	none) echo "no tracer" ;;
	floor) echo "floor: tp_btf enter+exit, tgid filter, one counter" ;;
	by-floor) echo "floor tracing another process" ;;
	loopscope) echo "loopscope record, trace on disk" ;;
	loopscope-nolibuv) echo "loopscope record --no-libuv" ;;
	loopscope-nojs) echo "loopscope record --no-js-names (V8's heap not read)" ;;
	loopscope-fp) echo "loopscope record --call-graph fp (no stack copies)" ;;
	loopscope-summary) echo "loopscope record --summary (summary mode, no trace)" ;;
	agent) echo "loopscope agent (summary mode, scrape endpoint)" ;;
	agent-all) echo "loopscope agent --all (every loop of the host)" ;;
	coroot-bt) echo "Coroot-style: bpftrace uprobes on node's uv__io_poll, one counter" ;;
	alt) echo "${BENCH_ALT_LABEL:-loopscope, BENCH_ALT build}" ;;
	alt-summary) echo "${BENCH_ALT_LABEL:-loopscope, BENCH_ALT build} --summary" ;;
	by-alt) echo "${BENCH_ALT_LABEL:-BENCH_ALT build}, tracing another process" ;;
	loopscope-tmpfs) echo "loopscope record, trace on tmpfs" ;;
	bpftrace-hist) echo "bpftrace, enter/exit paired into hist (peer)" ;;
	bpftrace-count) echo "bpftrace, count() on sys_enter_read" ;;
	perf-trace) echo "perf trace -p" ;;
	strace) echo "strace -f -p" ;;
	by-loopscope) echo "loopscope tracing another process" ;;
	by-bpftrace-hist) echo "bpftrace hist tracing another process" ;;
	*) echo "$1" ;;
	esac
}

added() { paired micro "$1" 5 - | median; }	# CONFIG: its added CPU ns per read

# A / B of two added costs, "n/a" when either is missing or B is not positive
multiple() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || a == "" || b == "" || b <= 0)
		print "n/a"; else printf "%.2fx\n", a / b }'
}

micro_table() {	# FLOOR PEER CONFIGS...: multiples of the added cost of FLOOR and PEER
	local c a fl=nan pe=nan
	case " $MICRO " in *" $1 "*) fl=$(added "$1") ;; esac
	case " $MICRO " in *" $2 "*) pe=$(added "$2") ;; esac
	shift 2
	echo "| tracer | CPU ns per read | added CPU ns per read | range over rounds | added wall ns | x floor | x bpftrace hist |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	for c in "$@"; do
		case " $MICRO " in *" $c "*) ;; *) continue ;; esac
		a=$([ "$c" = none ] && echo nan || added "$c")
		printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$(label "$c")" \
			"$(col micro "$c" 5 | median | fmt %.0f)" \
			"$([ "$c" = none ] && echo - || echo "$a" | fmt %+.0f)" \
			"$([ "$c" = none ] && echo - || paired micro "$c" 5 - | range)" \
			"$([ "$c" = none ] && echo - || paired micro "$c" 4 - | median | fmt %+.0f)" \
			"$([ "$c" = none ] && echo - || multiple "$a" "$fl")" \
			"$([ "$c" = none ] && echo - || multiple "$a" "$pe")"
	done
}

ratio_to() {	# CONFIG BASE: median over runs of requests/s of CONFIG / BASE's in that run
	case " $HTTP " in *" $2 "*) ;; *) echo n/a; return ;; esac
	[ "$1" = "$2" ] && { echo 1; return; }
	paired http "$1" 4 / "$2" | median | fmt %.3f
}

http_table() {
	local c
	echo "| tracer | requests/s (median) | ratio to no tracer | ratio to floor | ratio to bpftrace hist | loopscope events/s | tracer CPU |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	for c in $HTTP; do
		printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$(label "$c")" \
			"$(col http "$c" 4 | median | fmt %.0f)" \
			"$([ "$c" = none ] && echo 1 || paired http "$c" 4 / | median | fmt %.3f)" \
			"$(ratio_to "$c" floor)" "$(ratio_to "$c" bpftrace-hist)" \
			"$(is_loopscope "$c" && col http "$c" 6 | median | awk -v s="$HTTP_SECS" '{ if ($1 == "nan") print "n/a"; else printf "%.0f\n", $1 / s }' || echo -)" \
			"$([ "$c" = none ] && echo - || col http "$c" 9 | median | awk '{ printf "%.0f%%\n", 100 * $1 }')"
	done
}

collector_table() {
	local c
	echo "| run | events/s traced | collector CPU | CPU us per event | events/s per core | ring-buffer drops | bytes per event |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	for c in loopscope loopscope-tmpfs alt; do
		case " $MICRO " in *" $c "*) ;; *) continue ;; esac
		awk -F'\t' -v c="$c" -v l="readloop, $(label "$c" | sed 's/loopscope record, //')" '
			$1 == "micro" && $2 == c && $7 != "nan" && $6 > 0 {
				n++; ev[n] = $7 / $6; cpu[n] = $9; dr += $8; b[n] = $10 / $7 }
			function med(a, n,   i, j, t) {
				for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++)
					if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
				return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
			END { if (!n) exit; e = med(ev, n); u = med(cpu, n);
				printf "| %s | %.0f | %.0f%% | %.2f | %.0f | %d | %.1f |\n",
					l, e, 100 * u, 1e6 * u / e, e / u, dr, med(b, n) }' "$DATA"
	done
	awk -F'\t' -v s="$HTTP_SECS" '
		$1 == "http" && $2 == "loopscope" && $6 != "nan" && $6 > 0 { n++; ev += $6; dr += $7; by += $8 }
		END { if (n) printf "| node HTTP (wrk) | %.0f | | | | %d | %.1f |\n", ev / n / s, dr, by / ev }' "$DATA"
}

progstat_table() {
	echo "| target | tracer | program | runs/s | avg ns per run |"
	echo "|---|---|---|---:|---:|"
	awk -F'\t' '$1 == "progstat" && $5 > 0 {
		printf "| %s | %s | %s | %.0f | %.0f |\n", ($2 == "micro" ? "readloop" : "node + wrk"),
			$3, $4, $5 / $7, $6 / $5 }' "$DATA"
}

replay_table() {
	local name
	echo "| capture | records | correlate: records/s per core | with Perfetto export: records/s per core | bytes per record |"
	echo "|---|---:|---:|---:|---:|"
	for name in readloop node ${BENCH_ALT:+readloop-alt node-alt}; do
		printf '| %s | %s | %s | %s | %s |\n' \
			"$(echo "$name" | sed "s/-alt\$/ (${BENCH_ALT_LABEL:-BENCH_ALT build})/")" \
			"$(awk -F'\t' -v n="$name" '$1 == "replay" && $2 == n && $3 == "export" { print $5 }' "$DATA" | median | fmt %.0f)" \
			"$(awk -F'\t' -v n="$name" '$1 == "replay" && $2 == n && $3 == "correlate" && $4 != "nan" { print $4 }' "$DATA" | median | fmt %.0f)" \
			"$(awk -F'\t' -v n="$name" '$1 == "replay" && $2 == n && $3 == "export" && $4 != "" { print $4 }' "$DATA" | median | fmt %.0f)" \
			"$(awk -F'\t' -v n="$name" '$1 == "replay" && $2 == n && $3 == "export" && $5 > 0 { print $6 / $5 }' "$DATA" | median | fmt %.1f)"
	done
}

# Medians over passes per method; size and speed against zlib 5 at 256 KiB
# and an estimate of the export's records/s per core with the method:
# 1 / (1/E - c(ZB_CUR) + c(method)),
# E the measured export rate of the capture, c the compression CPU per record.
zbench_table() {	# CAPTURE
	local e
	e=$(awk -F'\t' -v n="$1" '$1 == "replay" && $2 == n && $3 == "export" && $4 != "" { print $4 }' "$DATA" | median)
	echo "| compressor | level | chunk KiB | compress ns per record | MB/s in | bytes out | size vs zlib 5 | speed vs zlib 5 | export records/s per core (est.) |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	awk -F'\t' -v n="$1" '$1 == "zbench" && $2 == n { print $3 "\t" $4 "\t" $5 "\t" $6 "\t" $7 "\t" $8 }' "$DATA" |
		sort -t"$(printf '\t')" -k1,1 -k2,2n -k3,3n -k4,4g |
		awk -F'\t' -v e="$e" -v cur="$(echo "$ZB_CUR" | tr ' ' '\t')" '
		{ k = $1 "\t" $2 "\t" $3; if (!(k in n)) order[++m] = k; n[k]++; ns[k, n[k]] = $4; mb[k, n[k]] = $5; out[k] = $6 }
		function med(a, k, c,   i, j, t, v) {
			for (i = 1; i <= c; i++) v[i] = a[k, i]
			for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
			return c % 2 ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2 }
		END {
			base = "zlib\t5\t256"
			bns = med(ns, base, n[base]); cns = med(ns, cur, n[cur])
			for (i = 1; i <= m; i++) {
				k = order[i]; split(k, f, "\t"); x = med(ns, k, n[k])
				est = (e == "nan" || e <= 0) ? "n/a" : sprintf("%.0f", 1e9 / (1e9 / e - cns + x))
				printf "| %s | %s | %s | %.0f | %.0f | %d | %+.1f%% | %.2fx | %s |\n", f[1], f[2], f[3], x,
					med(mb, k, n[k]), out[k], 100 * (out[k] / out[base] - 1), bns / x, est }
		}'
}

version() { "$@" 2>&1 | head -n 1 || echo "n/a"; }

{
	echo "# loopscope overhead benchmark"
	echo
	echo "Generated by \`make bench\` (bench/bench.sh) on $(date -u '+%Y-%m-%d %H:%M UTC'), in ${elapsed} s."
	echo
	echo "Machine: $NCPU CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)),"
	echo "kernel $(uname -r), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM;"
	echo "host steal time during the run: ${steal}% of CPU time."
	echo "Versions: $(version "$LS" --version); $(version bpftrace --version); $(version perf --version);"
	echo "node $(node --version); $(version strace -V); $(wrk -v 2>&1 | head -n 1 | awk '{ print "wrk", $2 }')."
	echo "Trace on disk: $(stat -f -c %T /var/tmp) (/var/tmp); on tmpfs: $(stat -f -c %T /dev/shm) (/dev/shm)."
	if [ -n "${BENCH_ALT:-}" ]; then
		echo "A/B: rows \"${BENCH_ALT_LABEL:-BENCH_ALT build}\" run $BENCH_ALT, interleaved with the others."
	fi
	echo
	echo "## Added cost per traced syscall (micro-benchmark)"
	echo
	echo "\`bench/readloop\` pinned to CPU $TCPU reads 1 byte of /dev/zero in a loop and prints"
	echo "ns per call every 200 ms; tracers run on CPU $OCPU and attach by PID. $ROUNDS rounds,"
	echo "configurations rotated, ${WINDOW} s sampled per run after ${SETTLE} s settling."
	echo "Added CPU ns: median over rounds of (median with the tracer - median untraced in the"
	echo "same round) of the loop thread's own CPU time per call. It leaves out host steal"
	echo "(CONFIG_PARAVIRT_TIME_ACCOUNTING) and time other processes run on the CPU, and keeps"
	echo "interrupts taken on the thread (irq_work wakeups). Added wall ns: the same on elapsed"
	echo "time, which is what bench-notes' peer figures used; it moves with the host's steal."
	echo
	echo "x floor, x bpftrace hist: added CPU ns of the row / added CPU ns of the floor and of"
	echo "the bpftrace hist peer (each the median over rounds)."
	echo
	micro_table floor bpftrace-hist none floor loopscope loopscope-fp loopscope-tmpfs loopscope-summary alt alt-summary bpftrace-hist \
		bpftrace-count perf-trace strace
	echo
	echo "### Bystander: a process the tracer does not trace"
	echo
	echo "The tracer traces readloop's bystander copy (CPU $OCPU, one read per ms); the"
	echo "measured loop is not traced and pays only the tracer's reject path. Multiples are"
	echo "of the floor's and of bpftrace hist's bystander cost."
	echo
	micro_table by-floor by-bpftrace-hist by-floor by-loopscope by-alt by-bpftrace-hist
	echo
	echo "### Whole host: the agent's discovery and a Coroot-style counter"
	echo
	echo "\\`loopscope agent --all\\` traces every process that waits in a loop; readloop"
	echo "never does, so it is a bystander paying the discovery's check on each syscall."
	echo "The Coroot-style counter uses uprobes in node only: nothing fires in readloop."
	echo
	micro_table by-floor by-bpftrace-hist by-floor agent-all coroot-bt
	echo
	echo "## node HTTP server (realistic, coarse)"
	echo
	echo "\`node bench/http-server.js\` pinned to CPU $TCPU, \`wrk -t1 -c$HTTP_CONNS -d${HTTP_SECS}s\` pinned to CPU $OCPU,"
	echo "$HTTP_RUNS runs per configuration, rotated; the bpftrace peer pairs the syscalls loopscope"
	echo "traces. Ratio: median over runs of (requests/s / untraced requests/s in the same run);"
	echo "ratio to floor and to bpftrace hist: the same against those configurations' runs."
	echo "Tracer CPU: the tracer process's own utime+stime per second of load (on CPU $OCPU, shared"
	echo "with wrk: on 2 CPUs whatever it takes, wrk loses). On these VMs effects under ~10% are"
	echo "within noise."
	echo
	http_table
	echo
	if grep -q '^jsread' "$DATA"; then
		echo "V8 reader (JavaScript frames named from V8's heap, the record line's figure):"
		echo "$(col jsread loopscope 4 | median | fmt %.1f) us of loopscope's CPU per stack of node's,"
		echo "median over the \`loopscope\` runs; \`loopscope-nojs\` is the same run without it."
		echo
	fi
	if [ -n "$PROGSTATS" ]; then
		echo "## Per-program cost (kernel.bpf_stats_enabled)"
		echo
		echo "One run per configuration after the rotations, stats on (then restored): the"
		echo "tracer's programs' run_cnt and run_time_ns (\`bpftool prog show\`) over a ${WINDOW} s"
		echo "window on readloop and a ${HTTP_SECS} s wrk run on node. Programs on syscall"
		echo "tracepoints run for every syscall on the host, the target's or not. The time of"
		echo "the tracepoint dispatch and of uprobe traps is not in these figures."
		echo
		progstat_table
		echo
	fi
	echo "## Collector throughput and trace size"
	echo
	echo "Collector CPU: loopscope's utime+stime per second while tracing readloop;"
	echo "events/s per core = events/s / collector CPU. Bytes per event = trace file size / events."
	echo
	collector_table
	if [ "$REPLAYS" -gt 0 ]; then
		echo
		echo "### Replay: the collector offline"
		echo
		echo "Raw captures (\`record --raw\`: readloop 2 s, node under wrk 5 s) replayed $REPLAYS times"
		echo "each with \`loopscope replay\`, pinned to CPU $TCPU: records/s per core (CPU time) for the"
		echo "correlator alone, and with the Perfetto export (compression included) to tmpfs; medians."
		echo
		replay_table
		echo
		echo "### The export's compression"
		echo
		echo "\`bench/zbench\`: each capture's trace packets (inflated back by"
		echo "\`bench/pftrace-packets.py\`) compressed the way the export cuts them (chunks of whole"
		echo "packets up to the chunk size, one zlib-format stream each), every method in turn,"
		echo "3 passes, medians; pinned to CPU $TCPU. The export's own setting: $ZB_CUR (compressor,"
		echo "level, chunk KiB). Estimated export rate: the measured one with the method's"
		echo "compression time in place of that setting's."
		echo
		echo "readloop:"
		echo
		zbench_table readloop
		echo
		echo "node:"
		echo
		zbench_table node
	fi
} >"$RESULTS"

echo
cat "$RESULTS"
