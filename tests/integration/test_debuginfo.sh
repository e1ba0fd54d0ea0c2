#!/bin/bash
# Symbols by build-id (issue 16): a stripped C loop whose stall runs in a
# static function three calls deep (examples/stall-deep) gets its names from
# a debug file under --debug-dir's .build-id/, or served by a real debuginfod
# on 127.0.0.1; without one its frames are prog+0xADDR, never an absolute
# address. A stripped shared libuv built here from Debian's static archive
# gets its phase probes from its debug file.
. "$(dirname "$0")/lib.sh"
require_root "debuginfo"
for tool in objcopy readelf debuginfod curl; do
	command -v "$tool" > /dev/null || { fail "$tool missing (binutils, debuginfod, curl)"; finish; exit 1; }
done

unset DEBUGINFOD_URLS	# debuginfod only where a test asks for it
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
build_id() { readelf -n "$1" | awk '/Build ID/ { print $3; exit }'; }

# frames JSON: the user frames of every on-CPU stall stack, one stack per line, leaf first
frames() {
	python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
for l in s["loops"]:
    for x in l["stalls_top"]:
        for st in x.get("stacks", []):
            print(" ".join(st["frames"]))' "$1" 2> /dev/null
}
# leaf_is JSON REGEX: the commonest leaf of the stall stacks matches REGEX
leaf_is() {
	local leaf
	leaf=$(frames "$1" | awk '{ print $1 }' | sort | uniq -c | sort -rn | awk 'NR == 1 { print $2 }')
	echo "$leaf" | grep -Eq "^($2)\$" || { echo "# leaf: '$leaf', stacks: $(frames "$1" | head -3)"; return 1; }
}
# in_order JSON NAMES...: some stack holds NAMES consecutively, leaf first
in_order() {
	local f=$1; shift
	frames "$f" | grep -q -- " $* \| $*\$\|^$* " && return 0
	echo "# no stack holds '$*': $(frames "$f" | head -3)"
	return 1
}
# symbols_line ERR TEXT [TEXT2]: record's "symbols:" line names a module so
# (TEXT, then TEXT2 later in the same entry), in any place among the modules
symbols_line() {
	grep '^loopscope: symbols: ' "$1" | tr ';' '\n' | sed 's/^loopscope: symbols: //; s/^ //' |
		grep -F -- "$2" | grep -qF -- "${3:-$2}" && return 0
	echo "# symbols lines: $(grep '^loopscope: symbols: ' "$1")"
	return 1
}
no_absolute() {
	! frames "$1" | tr ' ' '\n' | grep -E '^0x' && return 0
	echo "# absolute addresses shown as frames"
	return 1
}

# --- the fixture, stripped, its debug file split off under a .build-id path
PROG=$TMP/prog
cp "$EX/stall-deep" "$PROG"
( cd "$TMP" && objcopy --only-keep-debug prog prog.debug &&
  objcopy --strip-debug --strip-unneeded --add-gnu-debuglink=prog.debug prog )
ID=$(build_id "$PROG")
mkdir -p "$TMP/debug/.build-id/${ID:0:2}" "$TMP/srv"
DEBUG_FILE=$TMP/debug/.build-id/${ID:0:2}/${ID:2}.debug
mv "$TMP/prog.debug" "$DEBUG_FILE"
cp "$DEBUG_FILE" "$TMP/srv/prog.debug"
check "the fixture has a build-id" test -n "$ID"
check "the fixture is stripped (no .symtab) and carries a debuglink" \
	sh -c "! readelf -S '$PROG' | grep -q '\.symtab' && readelf -S '$PROG' | grep -q gnu_debuglink"
check "the fixture keeps no frame pointer in stall_leaf" \
	sh -c "! objdump -d '$EX/stall-deep' | grep -A3 '<stall_leaf>:' | grep -q 'push *%rbp'"

record() {	# record NAME [OPTIONS...]: 2 s of the fixture into $TMP/NAME.{json,err}
	local name=$1; shift
	"$LS" record -d 2 -o "$TMP/$name.pftrace" --summary "$TMP/$name.json" "$@" -- "$PROG" \
		> "$TMP/$name.out" 2> "$TMP/$name.err"
	check "$name: record exits 0" test $? = 0
	crashed "$TMP/$name.err" && fail "$name: record crashed"
}

# --- a: the debug file by build-id under --debug-dir
record byid --debug-dir "$TMP/nothing-here:$TMP/debug"
check "by build-id: the stall's leaf is named stall_leaf (a static function)" leaf_is "$TMP/byid.json" stall_leaf
check "by build-id: the text summary names stall_leaf" grep -q "samples in stall_leaf" "$TMP/byid.err"
check "by build-id: the record line says where prog's symbols came from" \
	symbols_line "$TMP/byid.err" "prog from $DEBUG_FILE (build-id dir)"
check "by build-id (CFI unwinder): stall_leaf <- stall_mid <- stall_top, in order" \
	in_order "$TMP/byid.json" stall_leaf stall_mid stall_top
check "by build-id: no absolute address among the frames" no_absolute "$TMP/byid.json"

record nodebug
check "no debug file: the leaf is prog+0xADDR" leaf_is "$TMP/nodebug.json" 'prog\+0x[0-9a-f]+'
check "no debug file: no absolute address among the frames" no_absolute "$TMP/nodebug.json"
check "no debug file: the text summary names prog+0xADDR, not an address" \
	grep -Eq "samples in prog\\+0x[0-9a-f]+ <- " "$TMP/nodebug.err"
check "no debug file: the record line says prog has .dynsym only" symbols_line "$TMP/nodebug.err" "prog: .dynsym only"

# another ELF file at prog's build-id path: refused (another build-id), never read for names
mkdir -p "$TMP/wrong/.build-id/${ID:0:2}"
cp /bin/true "$TMP/wrong/.build-id/${ID:0:2}/${ID:2}.debug"
record wrongid --debug-dir "$TMP/wrong"
check "a file with another build-id is refused: the leaf stays prog+0xADDR" \
	leaf_is "$TMP/wrongid.json" 'prog\+0x[0-9a-f]+'
check "...and the refusal is said" grep -q "debug files refused: 1 with another build-id" "$TMP/wrongid.err"
# a link planted at the path, to the right file: refused as well (no link is followed)
mkdir -p "$TMP/linked/.build-id/${ID:0:2}"
ln -s "$DEBUG_FILE" "$TMP/linked/.build-id/${ID:0:2}/${ID:2}.debug"
record linked --debug-dir "$TMP/linked"
check "a symbolic link at the build-id path is not followed" leaf_is "$TMP/linked.json" 'prog\+0x[0-9a-f]+'
check "...and the refusal is said" grep -q "debug files refused: .* 1 not a plain regular" "$TMP/linked.err"
# the debuglink beside the module, CRC checked
cp "$DEBUG_FILE" "$TMP/prog.debug"
record link --debug-dir "$TMP/nothing-here"
check "by debuglink beside the module: stall_leaf" leaf_is "$TMP/link.json" stall_leaf
check "by debuglink: the record line says so" symbols_line "$TMP/link.err" "prog from $TMP/prog.debug (debuglink)"
# the right debug file with a byte more: the same build-id, another CRC
cp "$DEBUG_FILE" "$TMP/prog.debug"
printf x >> "$TMP/prog.debug"
record badcrc --debug-dir "$TMP/nothing-here"
check "a debuglink file with another CRC is refused" leaf_is "$TMP/badcrc.json" 'prog\+0x[0-9a-f]+'
check "...and the refusal is said" grep -q "debug files refused: 0 with another build-id, 1 with another CRC" "$TMP/badcrc.err"
rm -f "$TMP/prog.debug"

# --- b: the debug file from a real debuginfod, not on disk
DPORT=$(free_port)
debuginfod -F "$TMP/srv" -p "$DPORT" -d "$TMP/debuginfod.sqlite" -t0 -g0 > "$TMP/debuginfod.log" 2>&1 &
PIDS="$PIDS $!"
for i in $(seq 1 150); do
	curl -sf -o /dev/null "http://127.0.0.1:$DPORT/buildid/$ID/debuginfo" && break
	sleep 0.1
done
check "debuginfod serves the fixture's debug file" curl -sf -o /dev/null "http://127.0.0.1:$DPORT/buildid/$ID/debuginfo"
export DEBUGINFOD_CACHE_PATH=$TMP/dcache
DEBUGINFOD_URLS=http://127.0.0.1:$DPORT record dfd --debug-dir "$TMP/nothing-here"
check "by debuginfod: stall_leaf" leaf_is "$TMP/dfd.json" stall_leaf
check "by debuginfod: the record line says so" symbols_line "$TMP/dfd.err" "prog from " "(debuginfod)"
DEBUGINFOD_URLS=http://127.0.0.1:$DPORT record nodfd --debug-dir "$TMP/nothing-here" --no-debuginfod
check "--no-debuginfod: prog+0xADDR" leaf_is "$TMP/nodfd.json" 'prog\+0x[0-9a-f]+'
# a server that accepts and never answers: the lookup gives up after --debuginfod-timeout
HPORT=$(free_port)
python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16); held = []
while True: held.append(s.accept()[0])' "$HPORT" &
PIDS="$PIDS $!"
sleep 0.3
export DEBUGINFOD_CACHE_PATH=$TMP/dcache-hang
start=$(date +%s.%N)
DEBUGINFOD_URLS=http://127.0.0.1:$HPORT record hang --debug-dir "$TMP/nothing-here" --debuginfod-timeout 1
took=$(python3 -c "import sys; print(round($(date +%s.%N) - $start, 2))")
echo "# a hanging debuginfod: record -d 2 --debuginfod-timeout 1 took $took s"
# the bound tells a timeout honoured (a second or so per module looked up,
# slower under ASan) from libdebuginfod's own default of 90 s a request
check "a hanging debuginfod costs about the timeout, not libdebuginfod's 90 s (record -d 2: $took s < 20 s)" \
	python3 -c "import sys; sys.exit(0 if $took < 20 else 1)"
check "a hanging debuginfod: prog+0xADDR" leaf_is "$TMP/hang.json" 'prog\+0x[0-9a-f]+'
check "a hanging debuginfod: the timeout is said" grep -q "debuginfod gave no answer within the timeout" "$TMP/hang.err"
unset DEBUGINFOD_CACHE_PATH

# --- c: a stripped shared libuv from Debian's static archive (libuv1-dev)
UVA=/usr/lib/x86_64-linux-gnu/libuv_a.a
[ -r "$UVA" ] || UVA=/usr/lib/x86_64-linux-gnu/libuv.a
mkdir -p "$TMP/uvbuild" "$TMP/lib"
# The archive is not PIC: its three references to libc data (environ,
# stderr, in6addr_any) become hidden copies set at load, so it links shared.
cat > "$TMP/uvbuild/libc_data.c" << 'EOF'
#include <netinet/in.h>
#include <stdio.h>
extern char **environ;
__attribute__((visibility("hidden"))) char **ls_uv_environ;
__attribute__((visibility("hidden"))) FILE *ls_uv_stderr;
__attribute__((visibility("hidden"))) struct in6_addr ls_uv_in6addr_any;
__attribute__((constructor)) static void copy_libc_data(void)
{
	ls_uv_environ = environ;
	ls_uv_stderr = stderr;
	ls_uv_in6addr_any = in6addr_any;
}
EOF
( cd "$TMP/uvbuild" && cp "$UVA" uv.a &&
  objcopy --redefine-sym environ=ls_uv_environ --redefine-sym stderr=ls_uv_stderr \
	--redefine-sym in6addr_any=ls_uv_in6addr_any uv.a &&
  gcc -fPIC -c libc_data.c &&
  gcc -shared -o libuv.so.1 libc_data.o -Wl,--whole-archive uv.a -Wl,--no-whole-archive \
	-Wl,-soname,libuv.so.1 -lpthread -ldl 2> ld.err &&
  objcopy --only-keep-debug libuv.so.1 libuv.so.1.debug &&
  objcopy --strip-debug --strip-unneeded --add-gnu-debuglink=libuv.so.1.debug libuv.so.1 &&
  cp libuv.so.1 "$TMP/lib/" )
check "a stripped libuv.so.1 is built from $UVA" \
	sh -c "test -s '$TMP/lib/libuv.so.1' && ! readelf -S '$TMP/lib/libuv.so.1' | grep -q '\.symtab'"
UVID=$(build_id "$TMP/lib/libuv.so.1")
mkdir -p "$TMP/uvdebug/.build-id/${UVID:0:2}"
cp "$TMP/uvbuild/libuv.so.1.debug" "$TMP/uvdebug/.build-id/${UVID:0:2}/${UVID:2}.debug"

uv_record() {	# uv_record NAME [OPTIONS...]: the libuv example on the stripped library
	local name=$1; shift
	LD_LIBRARY_PATH=$TMP/lib "$LS" record -o "$TMP/$name.pftrace" --summary "$TMP/$name.json" "$@" \
		-- "$EX/uv-work-shared" 8 20 > /dev/null 2> "$TMP/$name.err"
	check "$name: record exits 0" test $? = 0
	crashed "$TMP/$name.err" && fail "$name: record crashed"
}
phase_probes() { sed -n 's/.*libuv .* in .*: \([0-9]\)\/5 phase probes.*/\1/p' "$1" | head -1; }
has_phases() { test "$(json "$1" 'sum(p["count"] for l in s["loops"] for p in l.get("phases", {}).values())')" -gt 0; }

uv_record uvnone
check "libuv without a debug file: 0/5 phase probes" test "$(phase_probes "$TMP/uvnone.err")" = 0
check "libuv without a debug file: the record line says the symbols are missing" \
	grep -q "symbols: stripped and no debug file found" "$TMP/uvnone.err"

mkdir -p "$TMP/lib/.debug"
cp "$TMP/uvbuild/libuv.so.1.debug" "$TMP/lib/.debug/"
uv_record uvlink
check "libuv, debuglink in .debug/: phase probes found (N/5, N > 0)" \
	test "$(phase_probes "$TMP/uvlink.err")" -gt 0
check "libuv, debuglink: the record line says where the symbols came from" \
	grep -q "symbols: from $TMP/lib/.debug/libuv.so.1.debug (debuglink)" "$TMP/uvlink.err"
check "libuv, debuglink: the trace has phases" has_phases "$TMP/uvlink.json"
rm -rf "$TMP/lib/.debug"

# needs tracer__attach_libuv to pass record's debuginfo context on (cli/tracer.c)
uv_record uvbyid --debug-dir "$TMP/uvdebug"
check "libuv, build-id under --debug-dir: phase probes found (N/5, N > 0)" \
	test "$(phase_probes "$TMP/uvbyid.err")" -gt 0
check "libuv, build-id under --debug-dir: the trace has phases" has_phases "$TMP/uvbyid.json"
finish
