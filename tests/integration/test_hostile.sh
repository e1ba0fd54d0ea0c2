#!/bin/bash
# Safe to run as root on a hostile host (issue 13): a target running as an
# unprivileged user (uid 65534) plants symbolic links, FIFOs, huge files and
# other users' files where loopscope, as root, reads and writes. Every case
# must give the documented refusal: never a hang, never a write through a
# link of another user, never root's bytes in the output.
. "$(dirname "$0")/lib.sh"
require_root "hostile host"
HERE=$(cd "$(dirname "$0")/../.." && pwd)
SYM=$(readlink -f "$OUTPUT/tests/symbolize-addr")
NODE=$(command -v node || true)
AS_USER="setpriv --reuid=65534 --regid=65534 --clear-groups"
SECRET=SECRET_ROOT_LINE

# $PUB is a /tmp: world-writable and sticky, where the attacker plants.
chmod 711 "$TMP"
PUB=$TMP/pub
mkdir -m 1777 "$PUB"
echo VICTIM > "$TMP/victim"
chmod 600 "$TMP/victim"
mkdir -m 700 "$TMP/rootdir"
# a root-only file that reads as a perf map naming every address
printf '0 7fffffffffff %s\n' "$SECRET" > "$TMP/secret.map"
chmod 600 "$TMP/secret.map"

# plant NAME TARGET: the attacker's symbolic link $PUB/NAME -> TARGET
plant() { rm -f "$PUB/$1"; $AS_USER ln -s "$2" "$PUB/$1"; }
victim_intact() { [ "$(cat "$TMP/victim")" = VICTIM ] && [ ! -e "$TMP/rootdir/x" ]; }
REFUSED="symbolic link on the way belongs to another user"

# ---- outputs: links planted by another user are not followed as root ----
start_server "$TMP/srv.out" || fail "server starts"
"$LS" record -p "$SERVER_PID" -d 1 -o "$TMP/ok.pftrace" --summary "$TMP/ok.json" \
	--raw "$TMP/cap.raw" 2> "$TMP/ok.err"
check "record with plain outputs exits 0" [ $? = 0 ]
plant t.pftrace "$TMP/victim"
expect "record -o through another user's link: exit 6" 6 "$REFUSED" -- \
	"$LS" record -p "$SERVER_PID" -d 1 -o "$PUB/t.pftrace"
check "record -o: the victim is intact" victim_intact
plant s.json "$TMP/victim"
expect "record --summary through another user's link: exit 6" 6 "$REFUSED" -- \
	"$LS" record -p "$SERVER_PID" -d 1 --summary "$PUB/s.json"
check "record --summary: refused before tracing, not after" sh -c "! grep -q 'tracing PID' '$TMP/err'"
plant f.txt "$TMP/victim"
expect "record --folded through another user's link: exit 6" 6 "$REFUSED" -- \
	"$LS" record -p "$SERVER_PID" -d 1 -o "$TMP/ok2.pftrace" --folded "$PUB/f.txt"
plant r.raw "$TMP/victim"
expect "record --raw through another user's link: exit 6" 6 "$REFUSED" -- \
	"$LS" record -p "$SERVER_PID" -d 1 -o "$TMP/ok3.pftrace" --raw "$PUB/r.raw"
check "record outputs: the victim is intact" victim_intact
kill "$SERVER_PID"

plant rp "$TMP/victim"
expect "replay -o through another user's link: exit 6" 6 "$REFUSED" -- \
	"$LS" replay "$TMP/cap.raw" -o "$PUB/rp"
plant j.xml "$TMP/victim"
expect "check --junit through another user's link: exit 6" 6 "$REFUSED" -- \
	"$LS" check --baseline "$TMP/ok.json" "$TMP/ok.json" --junit "$PUB/j.xml"
$AS_USER mkdir "$PUB/att"
plant att/d "$TMP/rootdir"
expect "a directory on the way linked by another user: exit 6" 6 "$REFUSED" -- \
	"$LS" replay "$TMP/cap.raw" -o "$PUB/att/d/x"
check "replay and check outputs: the victim is intact" victim_intact
$AS_USER mkfifo "$PUB/fifo"
plant lf "$PUB/fifo"
EXPECT_TIMEOUT=10 expect "a link to a FIFO: refused, no hang" 6 "$REFUSED" -- \
	"$LS" replay "$TMP/cap.raw" -o "$PUB/lf"

rm -f "$PUB/fifo2"
$AS_USER mkfifo "$PUB/fifo2"
$AS_USER sh -c "exec sleep 30 < '$PUB/fifo2'" &	# a reader that never reads
PIDS="$PIDS $!"
sleep 0.2
EXPECT_TIMEOUT=10 expect "another user's FIFO at the output name: refused, no hang" 6 \
	"a FIFO, device or socket of another user" -- "$LS" replay "$TMP/cap.raw" -o "$PUB/fifo2"
EXPECT_TIMEOUT=10 expect "...also for record, before tracing" 6 "of another user" -- \
	"$LS" record -d 1 -o "$PUB/fifo2" -- true
check "...before tracing" sh -c "! grep -q 'tracing PID' '$TMP/err'"

# ---- outputs the user names: still written as before ----
mkfifo "$TMP/fifo"
EXPECT_TIMEOUT=10 expect "a FIFO nobody reads: exit 6 at once" 6 "a FIFO that nobody reads" -- \
	"$LS" replay "$TMP/cap.raw" -o "$TMP/fifo"
cat "$TMP/fifo" > "$TMP/fifo.pftrace" &
READER=$!
sleep 0.2
EXPECT_TIMEOUT=10 expect "a FIFO with a reader is written" 0 "" -- "$LS" replay "$TMP/cap.raw" -o "$TMP/fifo"
wait "$READER"
check "the FIFO's reader got a trace" validate_trace "$TMP/fifo.pftrace"
ln -s "$TMP/real.pftrace" "$TMP/mylink"
expect "root's own link is followed" 0 "" -- "$LS" replay "$TMP/cap.raw" -o "$TMP/mylink"
check "the trace is where the link leads, the link kept" \
	sh -c "[ -L '$TMP/mylink' ] && [ -f '$TMP/real.pftrace' ]"
check "...and decodes" validate_trace "$TMP/real.pftrace"
expect "-o /dev/null" 0 "" -- "$LS" replay "$TMP/cap.raw" -o /dev/null
check "/dev/null is still a device" [ -c /dev/null ]
"$LS" replay "$TMP/cap.raw" -o - > "$TMP/stdout.pftrace" 2> /dev/null
check "-o - writes the trace to standard output" validate_trace "$TMP/stdout.pftrace"

# ---- perf maps: a regular file of the target's own user, within a cap ----
$AS_USER sleep 120 &
TPID=$!
PIDS="$PIDS $TPID"
PMAP=/tmp/perf-$TPID.map
# symbolize ADDR...: the symbolizer on the target, 10 s at most (a hang fails)
symbolize() { timeout 10 "$SYM" "$TPID" "$@" > "$TMP/sym.out" 2>&1; }
$AS_USER sh -c "echo '1000 100 own_jit_function' > $PMAP"
check "the target's own perf map is read" sh -c "$SYM $TPID 0x1010 | grep -q own_jit_function"
rm -f "$PMAP"
$AS_USER ln -s "$TMP/secret.map" "$PMAP"
symbolize 0x1010
check "a perf map that is a link: refused, not followed" grep -q "symbolic link" "$TMP/sym.out"
check "a perf map that is a link: root's file not shown" sh -c "! grep -q $SECRET '$TMP/sym.out'"
rm -f "$PMAP"
cp "$TMP/secret.map" "$PMAP"
symbolize 0x1010
check "a perf map of another user: refused" grep -q "not owned by the target's user" "$TMP/sym.out"
check "a perf map of another user: not shown" sh -c "! grep -q $SECRET '$TMP/sym.out'"
rm -f "$PMAP"
$AS_USER mkfifo "$PMAP"
symbolize 0x1010
check "a perf map that is a FIFO: no hang, refused" grep -q "not a regular file" "$TMP/sym.out"
rm -f "$PMAP"
$AS_USER truncate -s 24G "$PMAP"
symbolize 0x1010
check "a 24 GB sparse perf map: read to the cap only, no hang" grep -q "larger than 64 MiB" "$TMP/sym.out"
rm -f "$PMAP"
# 70 MiB of real lines: the first is named, the last lies past the cap
$AS_USER /usr/bin/python3 -c "
import sys
with open('$PMAP', 'w') as f:
    line = 0
    while f.tell() < 70 << 20:
        f.write('%x 10 jit_%d_%s\n' % (0x100000 + line * 16, line, 'x' * 40)); line += 1
    f.write('7f0000000000 10 beyond_the_cap\n')
"
symbolize 0x100004 0x7f0000000004
check "a 70 MiB perf map: the first line named" grep -q "jit_0_x" "$TMP/sym.out"
check "a 70 MiB perf map: nothing read past 64 MiB" sh -c "! grep -q beyond_the_cap '$TMP/sym.out'"
rm -f "$PMAP"
kill "$TPID"

# ---- the same, end to end: record on a node server of the attacker's ----
if [ -n "$NODE" ]; then
	cp "$HERE/examples/node/busy-server.js" "$PUB/srv.js"
	chmod 644 "$PUB/srv.js"
	(cd "$PUB" && exec $AS_USER "$NODE" "$PUB/srv.js" 0 100 > "$TMP/node.out" 2>&1) &
	wait_for "$TMP/node.out" '^listening' 10 || fail "node starts as uid 65534"
	NPID=$(sed -n 's/.* pid \([0-9]*\).*/\1/p' "$TMP/node.out")
	PORT=$(sed -n 's/^listening 127.0.0.1:\([0-9]*\).*/\1/p' "$TMP/node.out")
	PIDS="$PIDS $NPID"
	$AS_USER ln -s "$TMP/secret.map" "/tmp/perf-$NPID.map"
	timeout 30 "$LS" record -p "$NPID" -d 3 --sample-hz 999 -o "$TMP/n.pftrace" \
		--summary "$TMP/n.json" --folded "$TMP/n.folded" 2> "$TMP/n.err" &
	LSPID=$!
	wait_for "$TMP/n.err" "tracing PID" || fail "record attaches to node"
	http_get "$PORT" /login 2
	wait "$LSPID"
	check "node: record exits 0" [ $? = 0 ]
	check "node: the stalls were seen" grep -qE "[0-9]+ iterations, .* [2-9] stalls" "$TMP/n.err"
	"$DUMP" "$TMP/n.pftrace" > "$TMP/n.dump" 2>&1
	check "node: root's file reaches no output" \
		sh -c "! grep -q $SECRET '$TMP/n.err' '$TMP/n.json' '$TMP/n.folded' '$TMP/n.dump'"
	check "node: the refusal is said once" \
		[ "$(grep -c "perf map was not read: it is reached through a symbolic link" "$TMP/n.err")" = 1 ]
	rm -f "/tmp/perf-$NPID.map"
	$AS_USER mkfifo "/tmp/perf-$NPID.map"
	EXPECT_TIMEOUT=20 expect "node: a perf map that is a FIFO does not hang record -d 2" 0 \
		"not a regular file" -- "$LS" record -p "$NPID" -d 2 -o "$TMP/n2.pftrace"
	rm -f "/tmp/perf-$NPID.map"
	kill "$NPID"
else
	fail "node is not installed"
fi

# ---- a mapped binary deleted and replaced by a FIFO at its path ----
$AS_USER cp "$EX/epoll-server" "$PUB/att/srv"
$AS_USER "$PUB/att/srv" > "$TMP/srv2.out" 2>&1 &
SERVER_PID=$!
PIDS="$PIDS $SERVER_PID"
wait_for "$TMP/srv2.out" '^listening' || fail "the attacker's server starts"
PORT=$(sed -n 's/^listening 127.0.0.1:\([0-9]*\).*/\1/p' "$TMP/srv2.out")
$AS_USER sh -c "rm '$PUB/att/srv' && mkfifo '$PUB/att/srv'"
timeout 30 "$LS" record -p "$SERVER_PID" -d 3 --sample-hz 999 --folded "$TMP/b.folded" \
	-o "$TMP/b.pftrace" 2> "$TMP/b.err" &
LSPID=$!
wait_for "$TMP/b.err" "tracing PID" || fail "record attaches"
"$EX/loadgen" -p "$PORT" -n 4 --block-every 2 --block-ms 80 > /dev/null
wait "$LSPID"
check "a binary replaced by a FIFO: record exits 0, no hang" [ $? = 0 ]
check "...and names the stall's function from the mapped file itself" \
	grep -qE "on CPU: [0-9]+/[0-9]+ samples in .*busy_spin" "$TMP/b.err"
kill "$SERVER_PID"
check "nothing crashed" sh -c "! cat '$TMP'/*.err | grep -qE '$CRASH_RE'"
finish
