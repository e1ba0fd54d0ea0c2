#!/bin/bash
# workload.sh PORT [SLOWDOWN_PERCENT] [KIND]: drives examples/epoll-server
# with a fixed request mix whose loop busy time is known, over one connection.
#   blocks (default): PINGs, and every 12th request a BLOCK of 10, 20 or
#                     30 ms (busy-spinning on the loop thread): 1800 requests;
#   stalls:           a short run: 400 PINGs with three BLOCKs of 80 ms, so
#                     three stalls past loopscope's 50 ms threshold.
# SLOWDOWN_PERCENT makes every block that much longer, the way a slower build
# would: 10 gives blocks of 11, 22 and 33 ms (or stalls of 88 ms).
set -eu
port=$1
slow=${2:-0}
kind=${3:-blocks}
EX=${EXAMPLES:-build/examples}
case $kind in
blocks)
	for ms in 10 20 30; do
		"$EX/loadgen" -p "$port" -c 1 -n 600 --block-every 12 \
			--block-ms $((ms * (100 + slow) / 100)) > /dev/null
	done ;;
stalls)
	"$EX/loadgen" -p "$port" -c 1 -n 400 --block-every 133 \
		--block-ms $((80 * (100 + slow) / 100)) > /dev/null ;;
*)
	echo "workload.sh: unknown workload '$kind' (blocks or stalls)" >&2
	exit 2 ;;
esac
