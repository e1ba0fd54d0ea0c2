#!/bin/sh
# Debian 12's own node 18 (nodejs + libnode108), beside whatever node the
# machine has: a newer node (nodesource's 20) owns the package name, so the
# two packages are unpacked into DIR (default /opt/loopscope-node18), not
# installed. Its externalized builtins are ordinary packages. The tests of
# JS frame names run both versions. Run as root; idempotent.
set -e
DIR=${1:-/opt/loopscope-node18}
[ -x "$DIR/usr/bin/node" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "error: run as root to fetch Debian's node 18 into $DIR" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Debian's build, whatever version its archive has now (never nodesource's)
ver=$(apt-cache madison libnode108 | awk '{print $3; exit}')
if [ -z "$ver" ]; then
	apt-get update -qq
	ver=$(apt-cache madison libnode108 | awk '{print $3; exit}')
fi
[ -n "$ver" ] || { echo "error: Debian's libnode108 is not in the apt sources" >&2; exit 1; }
# what libnode108 depends on (its own libraries, and the builtins Debian keeps outside it)
deps=$(apt-cache depends "libnode108=$ver" | awk '/ Depends: [a-z]/{print $2}')
apt-get install -y -qq --no-install-recommends $deps >/dev/null
work=$(mktemp -d)
(cd "$work" && apt-get download -qq "nodejs=$ver" "libnode108=$ver" >/dev/null 2>&1)
mkdir -p "$DIR.new"
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$DIR.new"; done
rm -rf "$work" "$DIR"
mv "$DIR.new" "$DIR"
LD_LIBRARY_PATH="$DIR/usr/lib/x86_64-linux-gnu" "$DIR/usr/bin/node" -e 'process.exit(process.versions.node.startsWith("18.") ? 0 : 1)'
