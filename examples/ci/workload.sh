#!/bin/bash
# workload.sh PORT [SLOWDOWN_PERCENT]: drives examples/epoll-server with a
# fixed request mix whose loop busy time is known: one connection, PINGs,
# and every 12th request a BLOCK of 10, 20 or 30 ms (busy-spinning on the
# loop thread). SLOWDOWN_PERCENT makes every block that much longer, the
# way a slower build would: 10 gives blocks of 11, 22 and 33 ms.
set -eu
port=$1
slow=${2:-0}
EX=${EXAMPLES:-build/examples}
for ms in 10 20 30; do
	"$EX/loadgen" -p "$port" -c 1 -n 600 --block-every 12 \
		--block-ms $((ms * (100 + slow) / 100)) > /dev/null
done
