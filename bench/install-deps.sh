#!/bin/sh
# Installs what `make bench` measures with, when missing: the peers (bpftrace,
# perf, strace), the load generator (wrk) and node for the HTTP target.
# The build dependencies come from tests/install-deps.sh, which does the work.
exec "$(dirname "$0")/../tests/install-deps.sh" bpftrace wrk linux-perf strace nodejs util-linux procps
