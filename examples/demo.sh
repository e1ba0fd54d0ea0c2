#!/bin/bash
# `make demo`: runs the example server under load with injected stalls and
# synchronous file reads, records it, and writes demo.pftrace and
# demo-summary.json in the current directory.
set -euo pipefail
OUTPUT=${OUTPUT:-build}
LS=$OUTPUT/loopscope
EX=$OUTPUT/examples
tmp=$(mktemp -d /tmp/loopscope-demo.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

if [ "$(id -u)" != 0 ]; then
	echo "demo: run as root (loading BPF programs needs CAP_BPF and CAP_PERFMON)" >&2
	exit 4
fi
echo "demo: recording the example epoll server while a load driver hits it"
echo "demo: every 200th request blocks the loop for 80 ms, every 50th reads a file synchronously"
"$LS" record -o demo.pftrace --summary demo-summary.json -- "$EX/epoll-server" > "$tmp/server.out" &
ls_pid=$!
for _ in $(seq 100); do grep -q '^listening' "$tmp/server.out" 2>/dev/null && break; sleep 0.05; done
port=$(sed -n 's/^listening 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/server.out")
if [ -z "$port" ]; then
	echo "demo: the server did not start" >&2
	kill "$ls_pid" 2>/dev/null || true
	exit 1
fi
"$EX/loadgen" -p "$port" -c 8 -n 5000 -r 2500 --block-every 200 --block-ms 80 --readfile-every 50
"$EX/loadgen" -p "$port" --cmd QUIT > /dev/null
wait "$ls_pid"
echo
echo "demo: wrote demo.pftrace and demo-summary.json"
echo "demo: open demo.pftrace at https://ui.perfetto.dev (Open trace file), then search 'STALL'"
