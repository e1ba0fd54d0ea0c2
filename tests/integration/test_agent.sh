#!/bin/bash
# loopscope agent (issue 20) with the real components: Debian's prometheus
# on 127.0.0.1 scrapes the agent every second while two epoll-servers with
# injected stalls run under it (one started after the agent attached, as a
# child of a traced wrapper) and a python loop named to break a naive
# exposition; PromQL through prometheus' HTTP API must give the known
# stall counts, busy-time buckets and stall time; a server that exits
# leaves the scrape after the grace period; promtool and the OpenMetrics
# parser of python3-prometheus-client accept the scrape.
. "$(dirname "$0")/lib.sh"
require_root "agent"
PROM=$(command -v prometheus || true)
PROMTOOL=$(command -v promtool || true)
for need in "$PROM:prometheus" "$PROMTOOL:prometheus" "$(command -v node):nodejs" "/usr/bin/python3:python3" "$(command -v curl):curl"; do
	[ -x "${need%%:*}" ] || { fail "missing: ${need#*:}"; finish; exit 1; }
done
/usr/bin/python3 -c 'import prometheus_client.openmetrics.parser' 2> /dev/null ||
	{ fail "missing: python3-prometheus-client"; finish; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
APORT=$(free_port)
PPORT=$(free_port)
# promql QUERY: the instant query's values, "pid=value" by pid, one line
promql() {
	curl -sf --max-time 5 "http://127.0.0.1:$PPORT/api/v1/query" --data-urlencode "query=$1" |
		python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]
r.sort(key=lambda x: int(x["metric"].get("pid") or 0))
print(" ".join("%s=%g" % (x["metric"].get("pid", ""), float(x["value"][1])) for x in r))'
}
scrape() { curl -sf --max-time 5 "http://127.0.0.1:$APORT/metrics" "$@"; }

# ---- bad input: one line, a documented exit code ----
"$LS" agent -p 1 > /dev/null 2> "$TMP/e1"
check "no --listen: exit 2" [ $? = 2 ]
check "no --listen: says so" grep -q "give --listen ADDR:PORT" "$TMP/e1"
"$LS" agent -p 1 --listen localhost:x > /dev/null 2> "$TMP/e2"
check "a malformed --listen: exit 2, one line" [ $? = 2 -a "$(wc -l < "$TMP/e2")" = 1 ]

# ---- targets: a server, a wrapper whose child server starts later, a renamed python loop ----
start_server "$TMP/s1.out" || fail "server 1 starts"
S1=$SERVER_PID
P1=$PORT
GO=$TMP/go
sh -c 'until [ -e "$1" ]; do sleep 0.05; done; "$2" > "$3" 2>&1 & wait' wrapper "$GO" "$EX/epoll-server" \
	"$TMP/s2.out" &
WRAP=$!
PIDS="$PIDS $WRAP"
python3 -c '
import ctypes, selectors, os, time
ctypes.CDLL(None).prctl(15, b"ev\"il\\\nna\x1bme", 0, 0, 0)
sel = selectors.EpollSelector(); r, w = os.pipe(); sel.register(r, selectors.EVENT_READ)
while True: sel.select(0.01)
' &
PY=$!
PIDS="$PIDS $PY"
# node: 8 pbkdf2 on 4 workers once $GO exists: 4 start at once, 4 wait about one run
cat > "$TMP/pool.js" <<'JS'
const crypto = require('crypto'), fs = require('fs');
const t = setInterval(() => {
  if (!fs.existsSync(process.argv[2])) return;
  clearInterval(t);
  for (let i = 0; i < 8; i++) crypto.pbkdf2('secret', 'salt' + i, 200000, 64, 'sha512', () => {});
  setInterval(() => {}, 1000);
}, 20);
JS
UV_THREADPOOL_SIZE=4 node "$TMP/pool.js" "$GO" &
NODEP=$!
PIDS="$PIDS $NODEP"
sleep 0.3
# no CPU budget: every sample, for the stall causes. Under the default 1% CI saw
# the samples thinned to 1 in 4 here: unwinding node's stacks and naming their
# JS frames (~140 us a stack) at 49 Hz is sampling's cost, which the budget
# weighs (the setup apart); test_agent_discovery tests the budget itself
"$LS" agent -p "$S1,$WRAP,$PY,$NODEP" --listen "127.0.0.1:$APORT" --grace 3 --stall-log --sample-hz 49 --cpu-budget 0 \
	> "$TMP/stalls.jsonl" 2> "$TMP/agent.err" &
AGENT=$!
PIDS="$PIDS $AGENT"
check "agent serves" wait_for "$TMP/agent.err" "serving http://127.0.0.1:$APORT/metrics"
cat > "$TMP/prom.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: loopscope
    static_configs:
      - targets: ['127.0.0.1:$APORT']
YML
"$PROM" --config.file="$TMP/prom.yml" --storage.tsdb.path="$TMP/prom-data" \
	--web.listen-address="127.0.0.1:$PPORT" > "$TMP/prom.log" 2>&1 &
PIDS="$PIDS $!"
for i in $(seq 1 100); do curl -sf "http://127.0.0.1:$PPORT/-/ready" > /dev/null && break; sleep 0.1; done
check "prometheus is ready" curl -sf "http://127.0.0.1:$PPORT/-/ready" -o /dev/null
# its discovery hands the target to the scraper about 5 s after start
for i in $(seq 1 150); do [ "$(promql 'up{job="loopscope"}')" = "=1" ] && break; sleep 0.1; done
check "prometheus scrapes the agent (up = 1)" [ "$(promql 'up{job="loopscope"}')" = "=1" ]

# ---- known truth: 1000 requests on server 1 with 4 blocks of 80 ms; 400 with 2 on server 2 ----
"$EX/loadgen" -p "$P1" -c 1 -n 1000 --block-every 250 --block-ms 80 > "$TMP/load1.out" || fail "loadgen 1"
touch "$GO"
check "server 2 starts under the traced wrapper" wait_for "$TMP/s2.out" '^listening'
read -r P2 S2 <<< "$(sed -n 's/^listening 127.0.0.1:\([0-9]*\) pid \([0-9]*\)$/\1 \2/p' "$TMP/s2.out")"
sleep 0.5	# its first loop wait, where the agent sets it up
"$EX/loadgen" -p "$P2" -c 1 -n 400 --block-every 200 --block-ms 80 > "$TMP/load2.out" || fail "loadgen 2"
sleep 2.5	# two scrapes past the last request
got=$(promql 'loopscope_loop_stalls_total{comm="epoll-server"}')
want=$( [ "$S1" -lt "$S2" ] && echo "$S1=4 $S2=2" || echo "$S2=2 $S1=4")
check "PromQL: stalls per server are the injected 4 and 2 (got $got)" [ "$got" = "$want" ]
got=$(promql "loopscope_loop_stall_seconds_total{pid=\"$S1\"}")
# never under 4 x 80 ms; over it by what the scheduler adds on 2 busy cores (a
# 198 ms stall under load): a stall paired wrong would take a whole wait in
check "PromQL: server 1's stall time is 4 x 80 ms, less than 2x ($got)" \
	python3 -c "import sys; v=float(sys.argv[1].split('=')[1]); sys.exit(0 if 0.32 <= v < 0.64 else 1)" "$got"
iters=$(promql "loopscope_loop_iterations_total{pid=\"$S1\"}")
iters=${iters#*=}
check "PromQL: server 1 iterated at least once per request ($iters)" [ "${iters:-0}" -ge 1000 ]
got=$(promql "loopscope_loop_busy_seconds_bucket{pid=\"$S1\",le=\"0.05\"}")
check "PromQL: every iteration but the 4 stalls is at most 50 ms busy ($got of $iters)" \
	[ "${got#*=}" = "$((iters - 4))" ]
got=$(promql "loopscope_loop_busy_seconds_bucket{pid=\"$S1\",le=\"0.25\"} - ignoring(le) loopscope_loop_busy_seconds_count{pid=\"$S1\"}")
check "PromQL: and all of them at most 250 ms ($got)" [ "${got#*=}" = 0 ]
got=$(promql "histogram_quantile(0.99, loopscope_loop_busy_seconds_bucket{pid=\"$S1\"})")
check "PromQL: histogram_quantile works on the buckets (p99 $got)" [ -n "${got#*=}" ]
got=$(promql "loopscope_threadpool_queue_seconds_count{pid=\"$NODEP\",kind=\"queue_work\"}")
check "PromQL: node's 8 pbkdf2 items are in its pool's queue histogram ($got)" [ "$got" = "$NODEP=8" ]
got=$(promql "loopscope_threadpool_queue_seconds_bucket{pid=\"$NODEP\",kind=\"queue_work\",le=\"0.01\"}")
check "PromQL: and the 4 past the pool's 4 workers waited over 10 ms ($got)" [ "${got#*=}" -le 4 ]
check "the agent's own cost is scraped" [ -n "$(promql 'loopscope_agent_cpu_seconds_total')" ]
got=$(promql 'loopscope_agent_setup_cpu_seconds_total > 0 and loopscope_agent_setup_cpu_seconds_total <= loopscope_agent_cpu_seconds_total')
check "the setup's share of it counted apart ($got)" [ -n "${got#*=}" ]
got=$(promql 'loopscope_agent_sample_keep_ratio')
check "no budget: every sample taken ($got)" [ "$got" = "=1" ]

# ---- the stall log: a JSON line per stall, its cause from the samples ----
got=$(python3 -c 'import json,sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(" ".join("%d:%d" % (p, sum(r["pid"] == p for r in rows)) for p in map(int, sys.argv[2:])))' \
	"$TMP/stalls.jsonl" "$S1" "$S2")
check "stall log: a line per stall, 4 and 2 ($got)" [ "$got" = "$S1:4 $S2:2" ]
# never under the 80 ms spin; over it by what the scheduler adds on 2 busy cores
# (89.7 and 198 ms seen here beside a CI run): a wrong pairing is off by a whole wait
check "stall log: each 80 ms, less than 2x, with its wall-clock time ($(sed -n 's/.*"busy_ms":\([0-9.]*\).*/\1/p' "$TMP/stalls.jsonl" | tr '\n' ' '))" python3 -c 'import json,sys
rows = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if rows and all(80 <= r["busy_ms"] < 160 and r["time"].endswith("Z") for r in rows) else 1)' \
	"$TMP/stalls.jsonl"
got=$(python3 -c 'import json,sys
rows = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["pid"] == int(sys.argv[2])]
print(sum(1 for r in rows if r["cause"] and r["cause"]["frames"][:2] == ["busy_spin", "loop_run"]))' \
	"$TMP/stalls.jsonl" "$S1")
check "stall log: server 1's stalls name busy_spin <- loop_run ($got of 4)" [ "$got" -ge 3 ]
check "stall log: nothing over its rate" [ "$(promql 'loopscope_drops_total{reason="stall_log_rate"}')" = "=0" ]

# ---- the scrape itself: promtool, the OpenMetrics parser, a hostile comm ----
scrape > "$TMP/scrape.txt"
check "promtool check metrics passes" sh -c "'$PROMTOOL' check metrics < '$TMP/scrape.txt'"
check "the renamed python loop is a row, its name escaped" \
	grep -q "^loopscope_loop_iterations_total{pid=\"$PY\",tid=\"$PY\",comm=\"ev\\\\\"il\\\\\\\\?na?me\",cgroup=\"[^\"]*\"} [1-9]" "$TMP/scrape.txt"
scrape -H 'Accept: application/openmetrics-text; version=1.0.0' -D "$TMP/om.head" > "$TMP/om.txt"
check "OpenMetrics when asked for" grep -qi "^content-type: application/openmetrics-text; version=1.0.0" "$TMP/om.head"
check "OpenMetrics: python3-prometheus-client's parser reads every family" \
	/usr/bin/python3 -c 'import sys; from prometheus_client.openmetrics.parser import text_string_to_metric_families as p
fams = {f.name: f for f in p(open(sys.argv[1]).read())}
sys.exit(0 if {"loopscope_loop_iterations", "loopscope_loop_busy_seconds", "loopscope_loop_stalls"} <= set(fams) else 1)' "$TMP/om.txt"
check "GET of another path: 404" [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$APORT/")" = 404 ]

# ---- a server that exits leaves after the grace period (3 s) ----
kill "$S2"
sleep 1.5
check "server 2's row stays through the grace period" grep -q "pid=\"$S2\"" <(scrape)
sleep 3
check "then it goes" sh -c "! curl -sf 'http://127.0.0.1:$APORT/metrics' | grep -q 'pid=\"$S2\"'"
sleep 1.5
check "and prometheus sees it gone (stale)" [ "$(promql "loopscope_loop_iterations_total{pid=\"$S2\"}")" = "" ]
check "server 1 is still there" [ -n "$(promql "loopscope_loop_iterations_total{pid=\"$S1\"}")" ]

"$LS" agent -p "$S1" --listen "127.0.0.1:$APORT" > /dev/null 2> "$TMP/e3"
check "a port in use: exit 6, one line" [ $? = 6 -a "$(wc -l < "$TMP/e3")" = 1 ]
check "a port in use: says why" grep -q "cannot listen on 127.0.0.1:$APORT: Address already in use" "$TMP/e3"

kill -TERM "$AGENT"
wait "$AGENT"
check "SIGTERM: the agent exits 0" [ $? = 0 ]
crashed "$TMP/agent.err" && fail "agent crashed"
finish
