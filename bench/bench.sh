#!/bin/bash
# `make bench`: what loopscope costs the process it traces, side by side with
# the peers, in ONE run that rotates the configurations (see
# ../shared/bench-notes.md for why this shape: these 2-vCPU VMs have heavy,
# unpredictable steal time).
#
#  micro     bench/readloop (read of 1 byte from /dev/zero in a tight loop,
#            pinned) prints ns per call every 200 ms while each tracer is
#            attached to it by PID; "added ns per read" is the median over
#            rounds of (median with tracer - median untraced in that round).
#            The by-* configurations trace readloop's bystander copy instead:
#            the measured loop is then a process the tracer does not trace.
#  http      a node "ok" server pinned to one CPU, wrk pinned to the other,
#            each tracer attached by PID; requests/s and the ratio to no
#            tracer (median over runs of the ratio within a run).
#  collector loopscope's own CPU time per event (utime+stime from
#            /proc/PID/stat) while it traces readloop, the trace's bytes per
#            event.
#  replay    raw captures (record --raw) of readloop and of the node server
#            under wrk, replayed offline: records/s per core for the
#            correlator alone and with the Perfetto export, bytes per record.
#
# Knobs (environment): BENCH_ROUNDS (5), BENCH_WINDOW seconds sampled per
# micro run (3), BENCH_SETTLE seconds after attach (1), BENCH_HTTP_RUNS (5),
# BENCH_HTTP_SECS (5), BENCH_HTTP_CONNS (32), BENCH_MICRO and BENCH_HTTP
# (configuration lists; an empty list skips that part), BENCH_REPLAY (3 replays
# of each capture; 0 skips the part), BENCH_RESULTS
# (bench/results.md), BENCH_KEEP=1 keeps the raw logs, OUTPUT (build).
# A/B a prototype: BENCH_ALT=/other/build/loopscope [BENCH_ALT_LABEL=...] and
# add "alt" (and "by-alt") to the lists. Defaults take about 12 minutes.
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
MICRO=${BENCH_MICRO-"none loopscope loopscope-tmpfs loopscope-summary bpftrace-hist bpftrace-count perf-trace strace by-loopscope by-bpftrace-hist"}
HTTP=${BENCH_HTTP-"none loopscope loopscope-nolibuv loopscope-summary bpftrace-hist perf-trace strace"}
LS=$OUTPUT/loopscope
RL=$OUTPUT/bench/readloop
# the syscalls loopscope pairs (bpf/loopscope.h), for the HTTP peer
LS_SYSCALLS="read write readv writev pread64 pwrite64 recvfrom sendto recvmsg sendmsg futex epoll_wait epoll_pwait epoll_pwait2"

die() { echo "bench: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || { echo "bench: run as root (BPF, perf and ptrace of other processes)" >&2; exit 4; }
bench/install-deps.sh
for t in bpftrace perf strace wrk node taskset; do
	command -v "$t" >/dev/null || die "$t not found (bench/install-deps.sh installs it)"
done
[ -x "$LS" ] || die "$LS missing: run make first (make bench does)"

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
cleanup() {
	local p
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

# start_tracer CONFIG PID PREFIX SYSCALLS: sets TR (0 for none); 1 on failure
start_tracer() {
	local cfg=${1#by-} pid=$2 p=$3 sys=$4 ready readyf=$3.err
	TR=0
	case $cfg in
	none) sleep 1; return 0 ;;	# as long as an attach takes
	# libuv probes are attached just after "tracing PID"; SETTLE covers that
	loopscope) taskset -c "$OCPU" "$LS" record -p "$pid" -o "$DISKDIR/x.pftrace" >"$p.out" 2>"$p.err" &
		ready="tracing PID" ;;
	loopscope-tmpfs) taskset -c "$OCPU" "$LS" record -p "$pid" -o "$SHMDIR/x.pftrace" >"$p.out" 2>"$p.err" &
		ready="tracing PID" ;;
	loopscope-nolibuv) taskset -c "$OCPU" "$LS" record --no-libuv -p "$pid" -o "$DISKDIR/x.pftrace" \
			>"$p.out" 2>"$p.err" &
		ready="tracing PID" ;;
	# summary mode: no trace, syscalls counted in the kernel
	loopscope-summary) taskset -c "$OCPU" "$LS" record -p "$pid" --summary "$DISKDIR/x.json" \
			>"$p.out" 2>"$p.err" &
		ready="tracing PID" ;;
	alt) [ -n "${BENCH_ALT:-}" ] || die "configuration alt needs BENCH_ALT=/path/to/loopscope"
		taskset -c "$OCPU" "$BENCH_ALT" record -p "$pid" -o "$DISKDIR/x.pftrace" >"$p.out" 2>"$p.err" &
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

is_loopscope() { case ${1#by-} in loopscope* | alt) return 0 ;; esac; return 1; }

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
	loopscope | loopscope-nolibuv | alt) f=$DISKDIR/x.pftrace ;;
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
	local cfg=$1 r=$2 node=$3 port=$4 p=$LOGS/http-$1-$2 rps sum size dur ev drops t0 t1
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
	printf 'http\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$cfg" "$r" "${rps:-nan}" "$dur" "$ev" "$drops" \
		"$size" "$(awk -v a="$t0" -v b="$t1" -v hz="$CLK_TCK" -v w="$HTTP_SECS" 'BEGIN { print (b - a) / hz / w }')" \
		>>"$DATA"
	printf '  run %s %-18s %10s req/s\n' "$r" "$cfg" "${rps:-failed}"
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
stop_pid "$node_pid"
fi

# ---- replay: captures, then the collector offline on one core ------------------

replay_run() {	# NAME RAW: appends replay rows (correlate only, with export)
	local name=$1 raw=$2 i rate
	for i in $(seq "$REPLAYS"); do
		rate=$(taskset -c "$TCPU" "$LS" replay "$raw" 2>&1 | sed -n 's/.*: \([0-9]*\) records\/s per core/\1/p')
		printf 'replay\t%s\tcorrelate\t%s\t0\t0\n' "$name" "${rate:-nan}" >>"$DATA"
		rate=$(taskset -c "$TCPU" "$LS" replay "$raw" -o "$SHMDIR/replay.pftrace" 2>&1 |
			sed -n 's/^replay: \([0-9]*\) records.*: \([0-9]*\) records\/s per core/\1 \2/p')
		printf 'replay\t%s\texport\t%s\t%s\t%s\n' "$name" "${rate#* }" "${rate%% *}" \
			"$(stat -c %s "$SHMDIR/replay.pftrace")" >>"$DATA"
		rm -f "$SHMDIR/replay.pftrace"
	done
	echo "  replayed $name $REPLAYS times"
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
rm -f "$SHMDIR/readloop.raw" "$SHMDIR/node.raw"
fi

steal=$(awk -v s0="${steal0% *}" -v t0="${steal0#* }" '/^cpu / {
	t = $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; printf "%.1f", 100 * ($9 - s0) / (t - t0) }' /proc/stat)
elapsed=$(($(date +%s) - started))

# ---- report ----------------------------------------------------------------

col() {	# KIND CONFIG FIELD: the field of every row of that configuration
	awk -F'\t' -v k="$1" -v c="$2" -v f="$3" '$1 == k && $2 == c && $f != "nan" { print $f }' "$DATA"
}

# per round: field of CONFIG minus field of none in the same round (micro),
# or ratio CONFIG/none in the same run (http)
paired() {	# KIND CONFIG FIELD OP
	awk -F'\t' -v k="$1" -v c="$2" -v f="$3" -v op="$4" '
		$1 == k && $2 == "none" { base[$3] = $f }
		$1 == k && $2 == c { v[$3] = $f }
		END { for (r in v) if ((r in base) && v[r] != "nan" && base[r] != "nan" && base[r] > 0)
			print (op == "-" ? v[r] - base[r] : v[r] / base[r]) }' "$DATA"
}

range() { sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR) printf "%.0f..%.0f", lo, hi; else printf "n/a" }'; }
fmt() { awk -v f="$1" '{ if ($1 == "nan") print "n/a"; else printf f "\n", $1 }'; }

label() {
	case $1 in
	none) echo "no tracer" ;;
	loopscope) echo "loopscope record, trace on disk" ;;
	loopscope-nolibuv) echo "loopscope record --no-libuv" ;;
	loopscope-summary) echo "loopscope record --summary (summary mode, no trace)" ;;
	alt) echo "${BENCH_ALT_LABEL:-loopscope, BENCH_ALT build}" ;;
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

micro_table() {	# CONFIGS...
	local c
	echo "| tracer | CPU ns per read | added CPU ns per read | range over rounds | added wall ns |"
	echo "|---|---:|---:|---:|---:|"
	for c in "$@"; do
		case " $MICRO " in *" $c "*) ;; *) continue ;; esac
		printf '| %s | %s | %s | %s | %s |\n' "$(label "$c")" \
			"$(col micro "$c" 5 | median | fmt %.0f)" \
			"$([ "$c" = none ] && echo - || paired micro "$c" 5 - | median | fmt %+.0f)" \
			"$([ "$c" = none ] && echo - || paired micro "$c" 5 - | range)" \
			"$([ "$c" = none ] && echo - || paired micro "$c" 4 - | median | fmt %+.0f)"
	done
}

http_table() {
	local c
	echo "| tracer | requests/s (median) | ratio to no tracer | loopscope events/s | tracer CPU |"
	echo "|---|---:|---:|---:|---:|"
	for c in $HTTP; do
		printf '| %s | %s | %s | %s | %s |\n' "$(label "$c")" \
			"$(col http "$c" 4 | median | fmt %.0f)" \
			"$([ "$c" = none ] && echo 1 || paired http "$c" 4 / | median | fmt %.3f)" \
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

replay_table() {
	local name
	echo "| capture | records | correlate: records/s per core | with Perfetto export: records/s per core | bytes per record |"
	echo "|---|---:|---:|---:|---:|"
	for name in readloop node; do
		printf '| %s | %s | %s | %s | %s |\n' "$name" \
			"$(awk -F'\t' -v n="$name" '$1 == "replay" && $2 == n && $3 == "export" { print $5 }' "$DATA" | median | fmt %.0f)" \
			"$(awk -F'\t' -v n="$name" '$1 == "replay" && $2 == n && $3 == "correlate" && $4 != "nan" { print $4 }' "$DATA" | median | fmt %.0f)" \
			"$(awk -F'\t' -v n="$name" '$1 == "replay" && $2 == n && $3 == "export" && $4 != "" { print $4 }' "$DATA" | median | fmt %.0f)" \
			"$(awk -F'\t' -v n="$name" '$1 == "replay" && $2 == n && $3 == "export" && $5 > 0 { print $6 / $5 }' "$DATA" | median | fmt %.1f)"
	done
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
	micro_table none loopscope loopscope-tmpfs loopscope-summary alt bpftrace-hist bpftrace-count perf-trace strace
	echo
	echo "### Bystander: a process the tracer does not trace"
	echo
	echo "The tracer traces readloop's bystander copy (CPU $OCPU, one read per ms); the"
	echo "measured loop is not traced and pays only the tracer's reject path."
	echo
	micro_table by-loopscope by-alt by-bpftrace-hist
	echo
	echo "## node HTTP server (realistic, coarse)"
	echo
	echo "\`node bench/http-server.js\` pinned to CPU $TCPU, \`wrk -t1 -c$HTTP_CONNS -d${HTTP_SECS}s\` pinned to CPU $OCPU,"
	echo "$HTTP_RUNS runs per configuration, rotated; the bpftrace peer pairs the syscalls loopscope"
	echo "traces. Ratio: median over runs of (requests/s / untraced requests/s in the same run)."
	echo "Tracer CPU: the tracer process's own utime+stime per second of load (on CPU $OCPU, shared"
	echo "with wrk: on 2 CPUs whatever it takes, wrk loses). On these VMs effects under ~10% are"
	echo "within noise."
	echo
	http_table
	echo
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
		echo "correlator alone, and with the Perfetto export (zlib included) to tmpfs; medians."
		echo
		replay_table
	fi
} >"$RESULTS"

echo
cat "$RESULTS"
