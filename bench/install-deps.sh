#!/bin/sh
# Installs what `make bench` measures with, when missing: the peers (bpftrace,
# perf, strace), the load generator (wrk), node for the HTTP target, jq and bc
# for the per-program figures, libdeflate-dev for bench/zbench.
# The build dependencies come from tests/install-deps.sh, which does the work.
exec "$(dirname "$0")/../tests/install-deps.sh" bpftrace wrk linux-perf strace nodejs util-linux procps \
	jq bc python3 libdeflate-dev
