#!/bin/bash
# Stacks of production binaries (issue 16): Debian's redis-server, built
# without frame pointers and stripped to .dynsym, and a C loop built with
# -O2 -fomit-frame-pointer. The stall stacks must reach the command and its
# callers in order, from .eh_frame alone (record's default --call-graph
# dwarf), and never show loopscope's own kernel frames.
. "$(dirname "$0")/lib.sh"
require_root "unwinding"
REDIS=/usr/bin/redis-server
[ -x "$REDIS" ] || { fail "redis-server missing (Debian package redis-server)"; finish; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# stack_has JSON PYEXPR NAMES...: some stack PYEXPR yields (a list of frame
# lists) holds NAMES consecutively, in this order (leaf first); frames named
# NAME.constprop.0 and the like count as NAME
stack_has() {
	python3 - "$@" << 'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
want = sys.argv[3:]
stacks = eval(sys.argv[2], {"s": s})
base = lambda f: f.split(".")[0]
for fr in stacks:
    names = [base(f) for f in fr]
    for i in range(len(names) - len(want) + 1):
        if names[i:i + len(want)] == want:
            sys.exit(0)
print("# no stack holds %s; stacks: %s" % (" <- ".join(want), stacks[:4]))
sys.exit(1)
EOF
}
ONCPU='[st["frames"] for l in s["loops"] for x in l["stalls_top"] for st in x.get("stacks", [])]'
OFFCPU='[x["offcpu_stack"] for l in s["loops"] for x in l["stalls_top"] if x.get("offcpu_stack")]'
ALL="$ONCPU + $OFFCPU"

own_frames() {
	python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
fr = [f for l in s["loops"] for x in l["stalls_top"] for f in x.get("offcpu_stack", []) +
      [g for st in x.get("stacks", []) for g in st["frames"]]]
bad = [f for f in fr if f.startswith(("bpf_prog_", "bpf_trace_run", "__bpf_trace_", "__traceiter_"))]
print("# own frames:", bad) if bad else None
sys.exit(1 if bad or not fr else 0)' "$1"
}

# --- Debian's redis-server: KEYS * (on CPU) and DEBUG SLEEP (off CPU)
RPORT=$(free_port)
"$REDIS" --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --enable-debug-command yes \
	--dir "$TMP" > "$TMP/redis.log" 2>&1 &
RPID=$!
PIDS="$PIDS $RPID"
for i in $(seq 1 100); do redis-cli -p "$RPORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.05; done
check "redis-server answers" sh -c "redis-cli -p $RPORT ping | grep -q PONG"
redis-cli -p "$RPORT" debug populate 400000 > /dev/null
# record runs until both commands are done (SIGINT then), however slow a loaded machine makes them
"$LS" record -p "$RPID" -o "$TMP/redis.pftrace" --summary "$TMP/redis.json" 2> "$TMP/redis.err" &
LSPID=$!
wait_for "$TMP/redis.err" "tracing PID $RPID" 30 || fail "record attaches to redis"
sleep 0.5
redis-cli -p "$RPORT" keys '*' > /dev/null
redis-cli -p "$RPORT" debug sleep 0.3 > /dev/null
sleep 0.3
kill -INT "$LSPID"
wait "$LSPID"
check "record on redis exits 0" test $? = 0
check "KEYS * stall: keysCommand <- call <- processCommand, from .eh_frame" \
	stack_has "$TMP/redis.json" "$ONCPU" keysCommand call processCommand
check "KEYS * stall stack reaches main" stack_has "$TMP/redis.json" "$ONCPU" aeMain main
check "DEBUG SLEEP stall: nanosleep <- debugCommand <- call <- processCommand, off CPU" \
	stack_has "$TMP/redis.json" "$OFFCPU" nanosleep debugCommand call processCommand
check "DEBUG SLEEP off-CPU stack starts in the scheduler, not in loopscope's programs" \
	stack_has "$TMP/redis.json" "[o[:1] for o in $OFFCPU if 'debugCommand' in o]" __schedule
check "no loopscope frame (bpf_prog_, bpf_trace_run, __bpf_trace_) in any stall stack" \
	own_frames "$TMP/redis.json"
crashed "$TMP/redis.err" && fail "record on redis crashed"

# --- a C loop without frame pointers: the stall three static calls deep
cat > "$TMP/nofp.c" << 'EOF'
#include <sys/epoll.h>
#include <time.h>
static volatile unsigned long sink;
static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}
__attribute__((noinline)) static void stall_leaf(double ms)
{
	double end = now() + ms / 1e3;
	while (now() < end)
		for (int i = 0; i < 1000; i++)
			sink += i;
}
__attribute__((noinline)) static void stall_mid(double ms) { stall_leaf(ms); sink++; }
__attribute__((noinline)) static void stall_top(double ms) { stall_mid(ms); sink++; }
int main(void)
{
	struct epoll_event ev;
	int ep = epoll_create1(0);
	for (;;) {
		epoll_wait(ep, &ev, 1, 20);
		stall_top(150);
	}
}
EOF
gcc -O2 -fomit-frame-pointer -o "$TMP/nofp" "$TMP/nofp.c"
check "the C loop is built without frame pointers" \
	sh -c "! objdump -d '$TMP/nofp' | grep -A3 '<stall_leaf' | grep -q 'push *%rbp'"
"$LS" record -d 1.5 -q -o "$TMP/nofp.pftrace" --summary "$TMP/nofp.json" -- "$TMP/nofp" 2> "$TMP/nofp.err"
check "record on the C loop exits 0" test $? = 0
check "stall stack: stall_leaf <- stall_mid <- stall_top <- main" \
	stack_has "$TMP/nofp.json" "$ONCPU" stall_leaf stall_mid stall_top main
"$LS" record -d 1.5 -q --call-graph fp -o "$TMP/fp.pftrace" --summary "$TMP/fp.json" -- "$TMP/nofp" 2> "$TMP/fp.err"
check "--call-graph fp names the leaf" stack_has "$TMP/fp.json" "$ONCPU" stall_leaf
if stack_has "$TMP/fp.json" "$ONCPU" stall_leaf stall_mid > /dev/null; then
	fail "--call-graph fp walked a binary without frame pointers: the test cannot tell the unwinders apart"
else
	ok "--call-graph fp cannot walk past the leaf (the test tells the unwinders apart)"
fi
check "--call-graph takes dwarf or fp only" sh -c "! '$LS' record --call-graph lbr -p 1 2> '$TMP/cg.err' && grep -q 'dwarf or fp' '$TMP/cg.err'"
finish
