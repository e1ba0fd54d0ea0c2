#!/bin/bash
# loopscope top for real: in a tmux terminal (send-keys, capture-pane) it
# draws the example server's loop, quits on q and on Ctrl-C, and leaves the
# terminal as it found it; piped, it prints one plain line per interval.
. "$(dirname "$0")/lib.sh"
require_root "top"
command -v tmux > /dev/null || { fail "tmux missing (apt-get install tmux)"; finish; exit 1; }
S=lstop$$
tmux kill-server -L "$S" 2> /dev/null
t() { tmux -L "$S" "$@"; }

# until_pane PATTERN [SECONDS]: until the pane shows PATTERN
until_pane() {
	local i
	for i in $(seq 1 $((${2:-10} * 10))); do
		t capture-pane -p -t "$S" > "$TMP/pane" 2> /dev/null
		grep -qE "$1" "$TMP/pane" && return 0
		sleep 0.1
	done
	echo "# pane never showed '$1':" >&2
	sed 's/^/#   /' "$TMP/pane" >&2
	return 1
}

start_server "$TMP/srv.out" || fail "server starts"
"$EX/loadgen" -p "$PORT" -c 2 -n 200000 -r 2000 --block-every 500 --block-ms 60 \
	> /dev/null 2>&1 &
PIDS="$PIDS $!"

t new-session -d -s "$S" -x 100 -y 30 "env PS1='$ ' bash --norc --noprofile"
t send-keys -t "$S" "stty -a > $TMP/stty.before; clear" Enter
sleep 0.3
t send-keys -t "$S" "$LS top -p $SERVER_PID" Enter
check "top draws its header" until_pane "loopscope top - PID $SERVER_PID \(epoll-server\)"
check "top shows the loop thread" until_pane "^$SERVER_PID +$SERVER_PID +epoll-server +[0-9]+ +[0-9.]+%"
check "top shows the column header" grep -qE "^PID +TID +COMM +ITER/S +BUSY% +P99 BUSY +WORST +STALLS +TOTAL" "$TMP/pane"
check "top shows syscall rates" until_pane "^SYSCALLS/S .*read [0-9]+"
check "a 60 ms block shows as the worst iteration" until_pane "epoll-server .* 6[0-9]\.[0-9] ms +[1-9]" 6
check "the worst stall's cause: busy_spin <- loop_run, all its samples" \
	until_pane "^WORST STALL 6[0-9]\.[0-9] ms in $SERVER_PID/$SERVER_PID \(epoll-server\): busy_spin <- loop_run <- main \([0-9]+/[0-9]+ samples, 100%\)" 6
check "the causes since the start: one, its stalls counted" \
	grep -qE "^ +[1-9][0-9]* stalls? +6[0-9.]+ ms- *[0-9.]+ ms +[0-9.]+ m?s in all: busy_spin <- loop_run" "$TMP/pane"
check "iterations per second > 0" \
	[ "$(awk -v p="$SERVER_PID" '$1 == p {print ($3 > 0)}' "$TMP/pane")" = 1 ]
t send-keys -t "$S" q
check "q quits: the shell prompt is back" until_pane '^\$ ?$' 5
check "q: the alternate screen is gone" [ "$(grep -c 'loopscope top - PID' "$TMP/pane")" = 0 ]
t send-keys -t "$S" "stty -a > $TMP/stty.after" Enter
wait_for "$TMP/stty.after" "^speed" 5 || fail "the shell runs stty after top (stty.after)"
check "q: terminal modes restored" cmp -s "$TMP/stty.before" "$TMP/stty.after"

t send-keys -t "$S" "clear; $LS top -p $SERVER_PID; echo exit=\$?" Enter
check "top again" until_pane "loopscope top - PID"
t send-keys -t "$S" C-c
check "Ctrl-C quits with exit 0" until_pane "^exit=0" 5
t send-keys -t "$S" "stty -a > $TMP/stty.after2" Enter
wait_for "$TMP/stty.after2" "^speed" 5 || fail "the shell runs stty after top (stty.after2)"
check "Ctrl-C: terminal modes restored" cmp -s "$TMP/stty.before" "$TMP/stty.after2"
t send-keys -t "$S" "clear; NO_COLOR= $LS top -p $SERVER_PID -n 2; echo exit=\$?" Enter
check "-n 2 ends by itself" until_pane "^exit=0" 8
t kill-server

# ---- not a terminal: one plain line per interval ----
timeout 20 "$LS" top -p "$SERVER_PID" -n 3 > "$TMP/lines" 2> "$TMP/top.err"
check "piped top exits 0" [ $? = 0 ]
check "three lines for -n 3" [ "$(wc -l < "$TMP/lines")" = 3 ]
check "plain lines have the fields" \
	[ "$(grep -cE '^[0-9:]{8} loops=1 iter/s=[0-9]+ busy%=[0-9.]+ p99=.* worst=.* stalls=[0-9]+ calls/s=[0-9]+( cause: .*)?$' "$TMP/lines")" = 3 ]
# (a 60 ms block every 500 requests at 2000/s: about 4 a second)
check "plain lines end with the worst stall's cause" \
	[ "$(grep -cE ' stalls=[1-9][0-9]* .* cause: busy_spin <- loop_run <- main \([0-9]+/[0-9]+ samples, 100%\)$' "$TMP/lines")" -ge 2 ]
check "no escape sequences when piped" [ "$(grep -c $'\033' "$TMP/lines")" = 0 ]
timeout 20 "$LS" top -p "$SERVER_PID" -n 2 --sample-hz 0 > "$TMP/nosample" 2> /dev/null
check "--sample-hz 0: stalls, no cause" \
	bash -c 'grep -q " stalls=[1-9]" "$1" && ! grep -q "cause:" "$1"' sh "$TMP/nosample"
kill "$SERVER_PID"
timeout 10 "$LS" top -p "$SERVER_PID" -n 100 > /dev/null 2>&1
check "top stops when the target exits" [ $? -le 3 ]

# ---- libuv's pool: 8 pbkdf2 calls submitted at once every 300 ms, on 4 workers:
# all 8 queue before the first pickup, 4 at least wait for a worker ----
UV_THREADPOOL_SIZE=4 node -e 'const c = require("crypto");
setInterval(() => { for (let i = 0; i < 8; i++) c.pbkdf2("s", "t" + i, 20000, 64, "sha512", () => {}); }, 300);' &
POOL_PID=$!
PIDS="$PIDS $POOL_PID"
sleep 0.5
timeout --foreground 20 "$LS" top -p "$POOL_PID" -n 3 > "$TMP/pool.out" 2> "$TMP/pool.err"
check "pool: piped top exits 0" [ $? = 0 ]
deepest=$(sed -n 's/.* pool_queued_max=\([0-9]*\).*/\1/p' "$TMP/pool.out" | sort -n | tail -1)
check "pool: the deepest queue of an interval is 4 to 8 (got ${deepest:-none})" \
	[ "${deepest:-0}" -ge 4 -a "${deepest:-0}" -le 8 ]
kill "$POOL_PID" 2> /dev/null
wait "$POOL_PID" 2> /dev/null

# ---- node, no flag: the worst stall's cause reaches the JS function that spun ----
cat > "$TMP/spin.js" <<'JS'
function spinFor(ms) { const end = Date.now() + ms; let x = 0; while (Date.now() < end) x++; return x; }
function onTimer() { return spinFor(80); }
setInterval(onTimer, 200);
JS
node "$TMP/spin.js" &
SPIN_PID=$!
PIDS="$PIDS $SPIN_PID"
sleep 0.5
timeout --foreground 20 "$LS" top -p "$SPIN_PID" -n 3 > "$TMP/spin.out" 2> "$TMP/spin.err"
check "node: piped top exits 0" [ $? = 0 ]
check "node: the worst stall's cause names spinFor, file and line, from V8's heap" \
	grep -qE " cause: .*JS:.spinFor $TMP/spin.js:1( |$)" "$TMP/spin.out"
kill "$SPIN_PID" 2> /dev/null
wait "$SPIN_PID" 2> /dev/null

# ---- bad input ----
"$LS" top > /dev/null 2> "$TMP/e1"
check "no -p: exit 2" [ $? = 2 ]
true &
dead=$!
wait "$dead"
"$LS" top -p "$dead" > /dev/null 2> "$TMP/e2"
check "dead PID: exit 3" [ $? = 3 ]
check "dead PID: one line naming it" [ "$(cat "$TMP/e2")" = "loopscope top: no such process: $dead" ]
"$LS" top -p 1 -i 0 > /dev/null 2> "$TMP/e3"
check "bad interval: exit 2" [ $? = 2 ]

finish
