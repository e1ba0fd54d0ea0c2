#!/bin/bash
# Findings that hold (issue 18, part 3): the sync-file-I/O finding names
# stored files by path, counts them right, and is silent on what is not
# blocking file I/O: /proc reads (redis' serverCron) and a node's writes to
# its own perf map (--perf-basic-prof), which are listed apart.
. "$(dirname "$0")/lib.sh"
require_root "findings"
HERE=$(cd "$(dirname "$0")/../.." && pwd)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
loop0() { json "$1" "s['loops'][0]['sync_file_io']$2"; }

# ---- a loop that reads a file it keeps open: 50 iterations, one pread each ----
head -c 65536 /dev/zero > "$TMP/kept.bin"
# It lives 0.4 s past its last pread: a stack is unwound from the process's
# maps when user space reads it (every 100 ms), and a process gone by then
# leaves its finding without one (JSON null; a slower SAN build saw that).
"$LS" record -q --summary "$TMP/py.json" -- python3 -c '
import os, selectors, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
sel = selectors.EpollSelector()
r, w = os.pipe()
sel.register(r, selectors.EVENT_READ)
for i in range(50):
    sel.select(0.001)
    os.pread(fd, 4096, 0)
sel.select(0.001)
time.sleep(0.4)
' "$TMP/kept.bin" > "$TMP/py.out" 2> "$TMP/py.err"
check "record of the python loop exits 0" [ $? = 0 ]
check "kept-open file: the finding names its path" [ "$(loop0 "$TMP/py.json" "['paths'][0]['path']")" = "$TMP/kept.bin" ]
check "kept-open file: 50 preads" [ "$(loop0 "$TMP/py.json" "['paths'][0]['count']")" = 50 ]
check "kept-open file: pread64 named" [ "$(loop0 "$TMP/py.json" "['paths'][0]['syscalls']")" = "['pread64']" ]
check "kept-open file: 50 calls in the finding" [ "$(loop0 "$TMP/py.json" "['calls']")" = 50 ]
"$LS" report "$TMP/py.json" > "$TMP/py.report" 2>&1
check "report lists the path" grep -q "pread64  $TMP/kept.bin" "$TMP/py.report"
# the stack that made it: taken at the call's exit, unwound from .eh_frame, named from python3's symbols
check "kept-open file: the stack names os.pread's C function" \
	[ "$(loop0 "$TMP/py.json" "['paths'][0]['stack']['frames'][:2]")" = "['pread64', 'os_pread']" ]
check "report shows the file's stack" grep -A2 -q "stack of a .* call, innermost first" "$TMP/py.report"
check "report's stack names os_pread" grep -q "^      os_pread$" "$TMP/py.report"

# ---- epoll-server READFILE: open + 17 read(2)s + close, per request ----
head -c 65536 /dev/urandom > "$TMP/data.bin"
start_server "$TMP/srv.out" -f "$TMP/data.bin" || fail "server starts"
"$LS" record -p "$SERVER_PID" --summary "$TMP/e.json" > /dev/null 2> "$TMP/e.err" &
LSPID=$!
PIDS="$PIDS $LSPID"
check "record -p attaches" wait_for "$TMP/e.err" "tracing PID $SERVER_PID"
"$EX/loadgen" -p "$PORT" -c 1 -n 10 --readfile-every 1 > "$TMP/load.out" || fail "loadgen"
sleep 0.3
kill -INT "$LSPID"
wait "$LSPID"
check "record on epoll-server exits 0" [ $? = 0 ]
check "READFILE: 10 x 17 reads in the finding" [ "$(loop0 "$TMP/e.json" "['calls']")" = 170 ]
check "READFILE: one file, 170 reads" [ "$(json "$TMP/e.json" "[p['count'] for p in s['loops'][0]['sync_file_io']['paths']]")" = "[170]" ]
# The file is closed microseconds after its reads, long before user space
# sees them (it polls every 100 ms): /proc cannot name it, the kernel does
# at openat (the path the server passed, the same inode).
p=$(loop0 "$TMP/e.json" "['paths'][0]['path']")
check "READFILE: named by its path at openat (got $p)" [ "$p" = "$TMP/data.bin" ]
check "READFILE: the end summary names it" grep -q "read $TMP/data.bin: 170 calls" "$TMP/e.err"
check "READFILE: the end summary shows where the longest read came from" \
	sh -c "grep -A1 'read $TMP/data.bin: 170 calls' '$TMP/e.err' | grep -q '^        from [^ ].* <- '"
check "READFILE: the stack reaches the loop" \
	[ "$(json "$TMP/e.json" "'loop_run' in s['loops'][0]['sync_file_io']['paths'][0]['stack']['frames']")" = True ]
kill "$SERVER_PID"

# ---- Debian's redis-server: serverCron reads /proc/self/stat on its loop ----
REDIS=/usr/bin/redis-server
if [ -x "$REDIS" ]; then
	RPORT=$(free_port)
	"$REDIS" --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP" \
		> "$TMP/redis.log" 2>&1 &
	RPID=$!
	PIDS="$PIDS $RPID"
	for i in $(seq 1 100); do redis-cli -p "$RPORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.05; done
	"$LS" record -p "$RPID" --summary "$TMP/redis.json" 2> "$TMP/redis.err" &
	LSPID=$!
	wait_for "$TMP/redis.err" "tracing PID $RPID" 30 || fail "record attaches to redis"
	sleep 3	# serverCron's /proc reads, 10 a second
	kill -INT "$LSPID"
	wait "$LSPID"
	check "record on redis exits 0" [ $? = 0 ]
	check "redis: /proc reads seen, as procfs" \
		[ "$(json "$TMP/redis.json" "s['loops'][0]['syscalls']['read']['fd_kinds'].get('procfs', 0) > 0")" = True ]
	check "redis: no sync-file-I/O finding" [ "$(loop0 "$TMP/redis.json" "['calls']")" = 0 ]
	check "redis: no stall counts file I/O" \
		[ "$(json "$TMP/redis.json" "sum(t['file_io'] for t in s['loops'][0]['stalls_top'])")" = 0 ]
	check "redis: no finding in the end summary" sh -c "! grep -q 'finding:' '$TMP/redis.err'"
	kill "$RPID"
else
	fail "redis-server missing (Debian package redis-server)"
fi

# ---- node --perf-basic-prof: its perf map writes are listed apart ----
if command -v node > /dev/null; then
	node --perf-basic-prof "$HERE/examples/node/busy-server.js" 0 20 > "$TMP/bs.out" 2> "$TMP/bs.err" &
	NPID=$!
	PIDS="$PIDS $NPID"
	wait_for "$TMP/bs.out" '^listening' 10 || fail "busy-server starts"
	NPORT=$(sed -n 's/^listening 127.0.0.1:\([0-9]*\).*/\1/p' "$TMP/bs.out")
	"$LS" record -p "$NPID" --summary "$TMP/node.json" > /dev/null 2> "$TMP/node.err" &
	LSPID=$!
	PIDS="$PIDS $LSPID"
	wait_for "$TMP/node.err" "tracing PID $NPID"
	http_get "$NPORT" /login 5
	http_get "$NPORT" / 20
	sleep 0.3
	kill -INT "$LSPID"
	wait "$LSPID"
	check "record on node exits 0" [ $? = 0 ]
	check "node: perf map writes counted apart" \
		[ "$(json "$TMP/node.json" "sum(l['sync_file_io']['perf_map']['calls'] for l in s['loops']) > 0")" = True ]
	check "node: no perf map among the finding's files" \
		[ "$(json "$TMP/node.json" "[p['path'] for l in s['loops'] for p in l['sync_file_io']['paths'] if 'perf-' in (p['path'] or '')]")" = "[]" ]
	check "node: the end summary lists them apart" grep -q "perf map writes: [0-9]" "$TMP/node.err"
	kill "$NPID"
else
	fail "node is not installed"
fi
crashed "$TMP/e.err" "$TMP/node.err" "$TMP/py.err" && fail "record crashed"
finish
