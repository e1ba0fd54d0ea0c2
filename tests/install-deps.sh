#!/bin/sh
# Installs Debian packages when missing: the arguments, or by default what
# loopscope builds and tests with. bench/install-deps.sh passes its own list.
set -e
PKGS="clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev protobuf-c-compiler libprotobuf-c-dev make gcc pkg-config python3 python3-yaml util-linux e2fsprogs procps libuv1-dev nodejs file libxml2-utils tmux libclang-rt-14-dev libdw-dev libdebuginfod-dev debuginfod elfutils binutils redis-server libdeflate-dev nginx-light wrk time curl"
[ $# -gt 0 ] && PKGS="$*"
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
