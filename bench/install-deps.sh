#!/bin/sh
# Installs what `make bench` measures with, when missing: the peers (bpftrace,
# perf, strace), the load generator (wrk) and node for the HTTP target.
# The build dependencies come from tests/install-deps.sh.
set -e
PKGS="bpftrace wrk linux-perf strace nodejs util-linux procps"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# node may come from elsewhere than Debian (nodesource, a tarball): take it as it is
if command -v node >/dev/null 2>&1; then
	missing=$(echo "$missing" | sed 's/ nodejs//')
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "error: missing packages:$missing (run as root, or: sudo apt-get install$missing)" >&2
	exit 1
fi
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
