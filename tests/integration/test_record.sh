#!/bin/bash
# loopscope record against the example epoll server, by PID and by command:
# real BPF programs, a real target, ground truth from the server itself.
. "$(dirname "$0")/lib.sh"
require_root "record"

stats() { "$EX/loadgen" -p "$PORT" --cmd STATS | awk '/^ITER/ {print $2}'; }

# ---- by PID: two injected 80 ms blocks, sync file reads, idle at the end ----
start_server "$TMP/srv.out" || fail "server starts"
"$LS" record -p "$SERVER_PID" -o "$TMP/p.pftrace" --summary "$TMP/p.json" \
	> "$TMP/ls.out" 2> "$TMP/ls.err" &
LSPID=$!
PIDS="$PIDS $LSPID"
check "record -p attaches" wait_for "$TMP/ls.err" "tracing PID $SERVER_PID"
before=$(stats)
"$EX/loadgen" -p "$PORT" -c 4 -n 600 --block-every 300 --block-ms 80 --readfile-every 50 \
	> "$TMP/load.out" || fail "loadgen by PID" "$(cat "$TMP/load.out")"
after=$(stats)
sleep 0.3
kill -INT "$LSPID"
timeout 20 tail --pid="$LSPID" -f /dev/null
wait "$LSPID"
rc=$?
check "record -p exits 0 on SIGINT" [ "$rc" = 0 ]
check "summary JSON written" test -s "$TMP/p.json"
check "schema_version is 1" [ "$(json "$TMP/p.json" "s['schema_version']")" = 1 ]
check "one loop thread, the server's main thread" \
	[ "$(json "$TMP/p.json" "[l['tid'] for l in s['loops']]")" = "[$SERVER_PID]" ]
check "exactly two stalls" [ "$(json "$TMP/p.json" "s['loops'][0]['stalls']")" = 2 ]
for i in 0 1; do
	ms=$(json "$TMP/p.json" "s['loops'][0]['stalls_top'][$i]['busy_ms']" 2>/dev/null ||
	     json "$TMP/p.json" "s['loops'][0]['stalls'][$i]['busy_ms']")
	# The block spins 80 ms on the wall clock, so a stall is never shorter
	# (a tight bound: a mis-paired call would show); it can be longer when
	# this shared 2-vCPU runner preempts the loop thread (86.9 ms seen once,
	# 198 ms beside another run): a mis-paired stall is off by a whole wait.
	check "stall $i lasts 80 ms, less than 2x (got $ms)" \
		python3 -c "import sys; sys.exit(0 if 79.5 <= float(sys.argv[1]) < 160 else 1)" "$ms"
done
ours=$(json "$TMP/p.json" "s['loops'][0]['iterations']")
theirs=$((after - before))
check "iterations $ours within 2% of the server's $theirs" \
	within "$ours" "$theirs" "$(python3 -c "print(max(2, 0.02 * $theirs))")"
check "sync file reads flagged" [ "$(json "$TMP/p.json" "s['loops'][0]['sync_file_io']['calls'] > 0")" = True ]
check "read on kind=file counted" \
	[ "$(json "$TMP/p.json" "s['loops'][0]['syscalls']['read']['fd_kinds'].get('file', 0) > 0")" = True ]
check "reads of sockets counted" \
	[ "$(json "$TMP/p.json" "s['loops'][0]['syscalls']['read']['fd_kinds'].get('socket', 0) > 0")" = True ]
check "zero drops" [ "$(json "$TMP/p.json" "sum(s['drops'].values())")" = 0 ]
check "end summary names the trace" grep -q "trace: $TMP/p.pftrace" "$TMP/ls.err"
check "trace decodes" validate_trace "$TMP/p.pftrace"
check "two STALL slices of 80 ms (less than 2x) in the trace" \
	[ "$(awk '$1 == "slice" && $6 == "STALL" && $4 >= 79500000 && $4 < 160000000' "$TMP/p.pftrace.dump" | wc -l)" = 2 ]
check "sync file I/O slices in the trace" grep -q "(sync file I/O)" "$TMP/p.pftrace.dump"
check "fd kind annotated" grep -q "fd_kind=file" "$TMP/p.pftrace.dump"
check "thread track named after the server" grep -q "^track .* thread $SERVER_PID $SERVER_PID epoll-server" "$TMP/p.pftrace.dump"
check "the idle wait at the end is an open call" grep -q "open=1" "$TMP/p.pftrace.dump"
check "no unclosed slices" [ "$(grep -c '^unclosed' "$TMP/p.pftrace.dump")" = 0 ]
kill "$SERVER_PID"

# ---- by command: traced from its first instruction, stops when it exits ----
"$LS" record -o "$TMP/c.pftrace" --summary "$TMP/c.json" -- "$EX/epoll-server" \
	> "$TMP/srv2.out" 2> "$TMP/ls2.err" &
LSPID=$!
PIDS="$PIDS $LSPID"
check "record -- CMD starts the server" wait_for "$TMP/srv2.out" '^listening'
PORT=$(sed -n 's/^listening 127.0.0.1:\([0-9]*\).*/\1/p' "$TMP/srv2.out")
"$EX/loadgen" -p "$PORT" -c 2 -n 400 --block-every 200 --block-ms 80 > "$TMP/load2.out" ||
	fail "loadgen by command" "$(cat "$TMP/load2.out")"
"$EX/loadgen" -p "$PORT" --cmd QUIT > /dev/null
timeout 20 tail --pid="$LSPID" -f /dev/null
wait "$LSPID"
rc=$?
check "record -- CMD exits 0 when the command exits" [ "$rc" = 0 ]
theirs=$(awk '/^iterations/ {print $2}' "$TMP/srv2.out")
ours=$(json "$TMP/c.json" "s['loops'][0]['iterations']")
# the first epoll return opens iteration 1, so we count one fewer than the server
check "iterations $ours within 2% of the server's $theirs" \
	within "$ours" "$((theirs - 1))" "$(python3 -c "print(max(1, 0.02 * $theirs))")"
check "two stalls by command" [ "$(json "$TMP/c.json" "s['loops'][0]['stalls']")" = 2 ]
check "trace by command decodes" validate_trace "$TMP/c.pftrace"

# ---- several loop threads in one process ----
start_server "$TMP/srv3.out" -t 2 || fail "server -t 2 starts"
"$LS" record -p "$SERVER_PID" -d 3 -o "$TMP/t.pftrace" --summary "$TMP/t.json" 2> "$TMP/ls3.err" &
LSPID=$!
wait_for "$TMP/ls3.err" "tracing PID" || fail "record -p -t 2 attaches"
"$EX/loadgen" -p "$PORT" -c 16 -n 2000 > /dev/null
wait "$LSPID"
check "record -d stops by itself" [ $? = 0 ]
check "two loop threads found" [ "$(json "$TMP/t.json" "len([l for l in s['loops'] if l['iterations'] > 0])")" = 2 ]
check "loop tids are threads of the server" \
	[ "$(json "$TMP/t.json" "all(l['pid'] == $SERVER_PID and l['tid'] != $SERVER_PID for l in s['loops'])")" = True ]
kill "$SERVER_PID"

# ---- raw capture and replay: the same model again, offline ----
start_server "$TMP/srv6.out" || fail "server starts"
"$LS" record -p "$SERVER_PID" -o "$TMP/live.pftrace" --summary "$TMP/live.json" --raw "$TMP/cap.raw" -d 3 \
	2> "$TMP/ls6.err" &
LSPID=$!
wait_for "$TMP/ls6.err" "tracing PID" || fail "record --raw attaches"
"$EX/loadgen" -p "$PORT" -c 2 -n 600 --block-every 300 --block-ms 80 > /dev/null
wait "$LSPID"
check "raw: record exits 0" [ $? = 0 ]
expect "replay exits 0" 0 "records/s per core" -- "$LS" replay "$TMP/cap.raw" -o "$TMP/rp.pftrace" --summary "$TMP/rp.json"
check "replay: same iterations" [ "$(json "$TMP/rp.json" "s['loops'][0]['iterations']")" = "$(json "$TMP/live.json" "s['loops'][0]['iterations']")" ]
check "replay: same two stalls" [ "$(json "$TMP/rp.json" "s['loops'][0]['stalls']")" = 2 ]
check "replay: trace decodes" validate_trace "$TMP/rp.pftrace"
# the process tracks are the capture's process, none "pid 0"
process_tracks() { sed -n 's/^track [0-9]* process \([0-9-]*\) .*/\1/p' "$1" | sort -u | tr '\n' ' '; }
check "replay: the process track is the captured pid's" \
	[ "$(process_tracks "$TMP/rp.pftrace.dump")" = "$(json "$TMP/live.json" "s['target']['pid']") " ]
expect "replay: not a capture" 2 "not a raw capture" -- "$LS" replay /etc/passwd
head -c 200 "$TMP/cap.raw" > "$TMP/trunc.raw"
expect "replay: truncated capture" 2 "corrupt or truncated" -- "$LS" replay "$TMP/trunc.raw"
kill "$SERVER_PID"

# ---- summary mode: --summary without -o counts most calls in the kernel ----
start_server "$TMP/srv5.out" || fail "server starts"
(cd "$TMP" && "$LS" record -p "$SERVER_PID" --summary "$TMP/sm.json" -d 4 2> "$TMP/ls5.err") &
LSPID=$!
wait_for "$TMP/ls5.err" "tracing PID" || fail "summary mode attaches"
"$EX/loadgen" -p "$PORT" -c 4 -n 1000 --block-every 500 --block-ms 80 --readfile-every 100 > /dev/null
wait "$LSPID"
check "summary mode: exits 0" [ $? = 0 ]
check "summary mode: no trace written" [ ! -e "$TMP/loopscope.pftrace" ]
check "summary mode: exactly two stalls" [ "$(json "$TMP/sm.json" "s['loops'][0]['stalls']")" = 2 ]
check "summary mode: every request's write counted" \
	[ "$(json "$TMP/sm.json" "s['loops'][0]['syscalls']['write']['count'] >= 1000")" = True ]
check "summary mode: sync file reads still findings" \
	[ "$(json "$TMP/sm.json" "s['loops'][0]['sync_file_io']['calls'] >= 10")" = True ]
calls=$(json "$TMP/sm.json" "sum(v['count'] for v in s['loops'][0]['syscalls'].values())")
recs=$(json "$TMP/sm.json" "s['records']")
check "summary mode: far fewer records ($recs) than calls ($calls)" [ "$((recs * 2))" -lt "$calls" ]
kill "$SERVER_PID"

# ---- a process without an event loop ----
sleep 30 &
SLEEPER=$!
PIDS="$PIDS $SLEEPER"
"$LS" record -p "$SLEEPER" -d 1 -o "$TMP/n.pftrace" 2> "$TMP/ls4.err"
check "no loop: still exits 0" [ $? = 0 ]
check "no loop: says so" grep -q "no loop thread seen" "$TMP/ls4.err"
check "no loop: trace still decodes" validate_trace "$TMP/n.pftrace"

finish
