#!/bin/bash
# loopscope agent's discovery and its bounds (issue 20), on real processes:
# --comm finds the loops of that name, those running before the agent and
# one started after it, and leaves others alone; --all finds every loop;
# --max-targets caps the processes and counts the rest; the utilization
# gauge of a loop with a known duty cycle (20 ms busy, 30 ms waiting);
# the cgroup label from /proc/PID/cgroup; the stall log appended to a file
# and reopened on SIGHUP (log rotation), refused where root must not write;
# --comm on Debian's nginx and redis-server.
. "$(dirname "$0")/lib.sh"
require_root "agent discovery"
for need in "$(command -v curl):curl" "/usr/bin/python3:python3" "/usr/sbin/nginx:nginx-light" \
	"/usr/bin/redis-server:redis-server" "$(command -v redis-cli):redis-tools"; do
	[ -x "${need%%:*}" ] || { fail "missing: ${need#*:}"; finish; exit 1; }
done
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
APORT=$(free_port)
scrape() { curl -sf --max-time 5 "http://127.0.0.1:$APORT/metrics"; }
# metric NAME PID: the value of the first sample of NAME for PID in the last scrape
metric() { sed -n "s/^$1{pid=\"$2\",[^}]*} \\(.*\\)$/\\1/p" "$TMP/scrape.txt" | head -1; }
start_agent() {	# start_agent ERRFILE ARGS...: until it serves
	local err=$1; shift
	"$LS" agent --listen "127.0.0.1:$APORT" "$@" 2> "$err" &
	AGENT=$!
	PIDS="$PIDS $AGENT"
	wait_for "$err" "serving http://"
}
stop_agent() { kill -TERM "$AGENT"; wait "$AGENT"; }

# ---- bad input: one line, exit 2 ----
"$LS" agent --comm 0123456789abcdefg --listen 127.0.0.1:1 > /dev/null 2> "$TMP/e1"
check "a --comm past 15 bytes: exit 2, one line" [ $? = 2 -a "$(wc -l < "$TMP/e1")" = 1 ]
"$LS" agent --all -p 1 --listen 127.0.0.1:1 > /dev/null 2> "$TMP/e2"
check "--all with -p: exit 2, one line" [ $? = 2 -a "$(wc -l < "$TMP/e2")" = 1 ]
"$LS" agent --listen 127.0.0.1:1 > /dev/null 2> "$TMP/e3"
check "nothing to trace: exit 2, names the ways" grep -q "give --all, --comm NAME" "$TMP/e3"
"$LS" agent --all --max-targets 0 --listen 127.0.0.1:1 > /dev/null 2> "$TMP/e4"
check "--max-targets 0: exit 2" [ $? = 2 ]

# ---- the loops: two servers (one started later), a 40% duty loop, a bystander loop ----
start_server "$TMP/s1.out" || fail "server 1 starts"
S1=$SERVER_PID
P1=$PORT
python3 -c '
import ctypes, selectors, os, time
ctypes.CDLL(None).prctl(15, b"duty", 0, 0, 0)
sel = selectors.EpollSelector(); r, w = os.pipe(); sel.register(r, selectors.EVENT_READ)
while True:
    t = time.perf_counter()
    while time.perf_counter() - t < 0.020: pass
    sel.select(0.030)
' &
DUTY=$!
PIDS="$PIDS $DUTY"
python3 -c '
import selectors, os
sel = selectors.EpollSelector(); r, w = os.pipe(); sel.register(r, selectors.EVENT_READ)
while True: sel.select(0.01)
' &
OTHER=$!
PIDS="$PIDS $OTHER"
sleep 0.3

mkdir -p "$TMP/log"
start_agent "$TMP/a1.err" --comm epoll-server --comm duty --stall-log="$TMP/log/stalls.jsonl" ||
	fail "agent --comm serves"
sleep 0.5	# each joins at its next loop wait
"$EX/loadgen" -p "$P1" -c 1 -n 300 --block-every 150 --block-ms 80 > /dev/null || fail "loadgen 1"
start_server "$TMP/s2.out" || fail "server 2 starts"
S2=$SERVER_PID
sleep 0.3
"$EX/loadgen" -p "$PORT" -c 1 -n 100 --block-every 100 --block-ms 80 > /dev/null || fail "loadgen 2"
sleep 0.3
scrape > /dev/null	# a utilization window starts here
sleep 2
scrape > "$TMP/scrape.txt"
check "--comm: server 1, running before the agent, has its 2 stalls" [ "$(metric loopscope_loop_stalls_total "$S1")" = 2 ]
check "--comm: server 2, started after it, has its 1" [ "$(metric loopscope_loop_stalls_total "$S2")" = 1 ]
check "--comm: the loop renamed 'duty' is found by its name" [ -n "$(metric loopscope_loop_iterations_total "$DUTY")" ]
check "--comm: the python loop of another name is not traced" sh -c '! grep -q "pid=\"$1\"" "$2"' _ "$OTHER" "$TMP/scrape.txt"
u=$(metric loopscope_loop_utilization "$DUTY")
check "utilization: the duty loop is 20 ms busy in 50 ($u; 0.30-0.45 allowed)" \
	python3 -c "import sys; sys.exit(0 if 0.30 <= float(sys.argv[1] or -1) <= 0.45 else 1)" "${u:-}"
check "utilization: none for server 1, idle in one wait since the last scrape (not known yet)" \
	[ -z "$(metric loopscope_loop_utilization "$S1")" ]
cg=$(sed -n 's/^0:://p' "/proc/$DUTY/cgroup")
check "the cgroup label is /proc/PID/cgroup's v2 path ($cg)" \
	grep -qF "loopscope_loop_iterations_total{pid=\"$DUTY\",tid=\"$DUTY\",comm=\"duty\",cgroup=\"$cg\"}" "$TMP/scrape.txt"
check "targets: the two servers and the duty loop" grep -qx "loopscope_targets 3" "$TMP/scrape.txt"

# ---- the stall log rotated: SIGHUP reopens it by its path ----
# lines FILE: the servers' (the duty loop, preempted past 50 ms, may add its own)
lines() { grep -cE "\"pid\":($S1|$S2)," "$1"; }
check "stall log: the servers' 3 lines in the file" [ "$(lines "$TMP/log/stalls.jsonl")" = 3 ]
mv "$TMP/log/stalls.jsonl" "$TMP/log/stalls.jsonl.1"
kill -HUP "$AGENT"
check "SIGHUP: said" wait_for "$TMP/a1.err" "SIGHUP: reopened $TMP/log/stalls.jsonl"
check "SIGHUP: the agent goes on" kill -0 "$AGENT"
"$EX/loadgen" -p "$P1" -c 1 -n 100 --block-every 100 --block-ms 80 > /dev/null || fail "loadgen 3"
sleep 0.5
check "SIGHUP: the next stall is in the new file" [ "$(lines "$TMP/log/stalls.jsonl")" = 1 ]
check "SIGHUP: the rotated file kept its 3" [ "$(lines "$TMP/log/stalls.jsonl.1")" = 3 ]
check "stall log file: 0600" [ "$(stat -c %a "$TMP/log/stalls.jsonl")" = 600 ]
stop_agent
check "--comm: SIGTERM exits 0" [ $? = 0 ]

# ---- --all: every loop of the host, as it next waits ----
start_agent "$TMP/a2.err" --all --grace 0 || fail "agent --all serves"
sleep 0.5
"$EX/loadgen" -p "$P1" -c 1 -n 100 --block-every 100 --block-ms 80 > /dev/null || fail "loadgen 4"
sleep 0.3
scrape > "$TMP/scrape.txt"
check "--all: server 1's stall" [ "$(metric loopscope_loop_stalls_total "$S1")" = 1 ]
check "--all: the other python loop too" [ -n "$(metric loopscope_loop_iterations_total "$OTHER")" ]
check "--all: the duty loop too" [ -n "$(metric loopscope_loop_iterations_total "$DUTY")" ]
stop_agent

# ---- --max-targets: the cap holds, and what it left out is counted ----
start_agent "$TMP/a3.err" --comm epoll-server --comm duty --max-targets 1 || fail "agent --max-targets serves"
sleep 0.5	# the duty loop waits every 50 ms: in first; the servers wait when woken
"$EX/loadgen" -p "$P1" -c 1 -n 20 > /dev/null || fail "loadgen 5"
scrape > "$TMP/scrape.txt"
check "--max-targets 1: one process traced" grep -qx "loopscope_targets 1" "$TMP/scrape.txt"
refused() { sed -n 's/^loopscope_drops_total{reason="targets_full"} //p' "$TMP/scrape.txt"; }
R1=$(refused)
# the refused: the processes of those names but the one traced, once each, whatever their waits
MAYBE=$(( $(pgrep -cx epoll-server) + $(pgrep -cx duty) - 1 ))
check "--max-targets 1: server 1, left out, counted ($R1 of at most $MAYBE)" [ "${R1:-0}" -ge 1 -a "${R1:-0}" -le "$MAYBE" ]
"$EX/loadgen" -p "$P1" -c 1 -n 200 > /dev/null || fail "loadgen 6"
scrape > "$TMP/scrape.txt"
check "--max-targets 1: its 200 more waits not counted again ($(refused))" [ "$(refused)" = "$R1" ]
stop_agent

# ---- the CPU budget: 5000 samples/s of the duty loop cost the agent about 4% of a CPU ----
start_agent "$TMP/a4.err" --comm duty --sample-hz 5000 --cpu-budget 0.5 || fail "agent --cpu-budget serves"
sleep 9	# four 2 s windows: a step after each from the second on
scrape > "$TMP/scrape.txt"
stop_agent
keep=$(sed -n 's/^loopscope_agent_sample_keep_ratio //p' "$TMP/scrape.txt")
check "budget 0.5%: samples thinned by halves (keep $keep)" \
	python3 -c "import sys; k=float(sys.argv[1]); sys.exit(0 if 0 < k <= 0.25 else 1)" "${keep:-0}"
check "budget: the skipped samples counted" \
	grep -qE '^loopscope_drops_total\{reason="cpu_budget_samples"\} [1-9]' "$TMP/scrape.txt"
check "budget: each step said" grep -q "against a budget of 0.50%: 1 stack sample in 4 taken" "$TMP/a4.err"
first=$(sed -n 's/.*: CPU \([0-9.]*\)% against.*/\1/p' "$TMP/a4.err" | head -1)
last=$(sed -n 's/.*: CPU \([0-9.]*\)% against.*/\1/p' "$TMP/a4.err" | tail -1)
check "budget: the agent's CPU fell ($first% -> $last%)" \
	python3 -c "import sys; sys.exit(0 if 0 < float(sys.argv[2]) < float(sys.argv[1]) else 1)" "${first:-0}" "${last:-0}"
start_agent "$TMP/a5.err" --comm duty --sample-hz 5000 --cpu-budget 0 || fail "agent, no budget, serves"
sleep 4.5
scrape > "$TMP/scrape.txt"
stop_agent
check "no budget: every sample taken" grep -qx "loopscope_agent_sample_keep_ratio 1" "$TMP/scrape.txt"

# ---- --comm on Debian's servers: nginx's 2 workers (not its master, which
# runs no loop) and redis-server, whose 2 DEBUG SLEEPs of 100 ms are stalls ----
NGX=$TMP/nginx
mkdir -p "$NGX"
NPORT=$(free_port)
cat > "$NGX/nginx.conf" <<NGINXCONF
worker_processes 2;
daemon off;
pid $NGX/nginx.pid;
error_log $NGX/error.log notice;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $NGX/body;
    proxy_temp_path $NGX/proxy;
    fastcgi_temp_path $NGX/fastcgi;
    uwsgi_temp_path $NGX/uwsgi;
    scgi_temp_path $NGX/scgi;
    server { listen 127.0.0.1:$NPORT; location / { return 200 "ok"; } }
}
NGINXCONF
/usr/sbin/nginx -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/error.log" > "$NGX/out" 2>&1 &
NGINX=$!
PIDS="$PIDS $NGINX"
RPORT=$(free_port)
/usr/bin/redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no \
	--enable-debug-command yes --dir "$TMP" > "$TMP/redis.log" 2>&1 &
REDIS=$!
PIDS="$PIDS $REDIS"
for i in $(seq 1 100); do
	[ "$(grep -c 'start worker process' "$NGX/error.log" 2> /dev/null)" = 2 ] &&
		redis-cli -p "$RPORT" ping 2> /dev/null | grep -q PONG && break
	sleep 0.05
done
WORKERS=$(cat "/proc/$NGINX/task/$NGINX/children" 2> /dev/null)
start_agent "$TMP/a6.err" --comm nginx --comm redis-server || fail "agent on nginx and redis serves"
sleep 0.3
for i in $(seq 1 40); do curl -sf --max-time 2 "http://127.0.0.1:$NPORT/" > /dev/null; done
redis-cli -p "$RPORT" debug sleep 0.1 > /dev/null
redis-cli -p "$RPORT" debug sleep 0.1 > /dev/null
for i in $(seq 1 20); do redis-cli -p "$RPORT" ping > /dev/null; done
sleep 0.3
scrape > "$TMP/scrape.txt"
stop_agent
check "Debian's nginx: 2 workers ($(echo $WORKERS))" [ "$(echo $WORKERS | wc -w)" = 2 ]
for w in $WORKERS; do
	check "Debian's nginx: worker $w found by its comm" [ -n "$(metric loopscope_loop_iterations_total "$w")" ]
done
check "Debian's nginx: the master, which runs no loop, is not traced" \
	sh -c '! grep -q "pid=\"$1\"" "$2"' _ "$NGINX" "$TMP/scrape.txt"
check "Debian's redis-server: its 2 stalls of 100 ms" [ "$(metric loopscope_loop_stalls_total "$REDIS")" = 2 ]
st=$(metric loopscope_loop_stall_seconds_total "$REDIS")
check "Debian's redis-server: 0.2 s of stall time ($st; 0.19-0.4 allowed: two wakeups each)" \
	python3 -c "import sys; sys.exit(0 if 0.19 <= float(sys.argv[1] or -1) < 0.4 else 1)" "${st:-}"
check "targets: the 2 workers and redis-server" grep -qx "loopscope_targets 3" "$TMP/scrape.txt"
kill "$NGINX" "$REDIS" 2> /dev/null
wait "$NGINX" "$REDIS" 2> /dev/null

# ---- the stall log where root must not write ----
chmod 1777 "$TMP/log"
ln -s /etc/passwd "$TMP/log/planted"
chown -h nobody "$TMP/log/planted"
"$LS" agent --comm duty --listen "127.0.0.1:$APORT" --stall-log="$TMP/log/planted" > /dev/null 2> "$TMP/e5"
check "another user's link as the stall log: exit 6, one line" [ $? = 6 -a "$(wc -l < "$TMP/e5")" = 1 ]
touch "$TMP/log/theirs"
chown nobody "$TMP/log/theirs"
"$LS" agent --comm duty --listen "127.0.0.1:$APORT" --stall-log="$TMP/log/theirs" > /dev/null 2> "$TMP/e6"
check "another user's file as the stall log: exit 6, says why" grep -q "a file of another user" "$TMP/e6"
ln "$TMP/log/stalls.jsonl.1" "$TMP/log/twice"
"$LS" agent --comm duty --listen "127.0.0.1:$APORT" --stall-log="$TMP/log/twice" > /dev/null 2> "$TMP/e7"
check "a file with two links as the stall log: exit 6" [ $? = 6 ]
check "/etc/passwd untouched" sh -c '! grep -q busy_ms /etc/passwd'
for f in "$TMP"/a*.err; do crashed "$f" && fail "agent crashed ($f)"; done
finish
