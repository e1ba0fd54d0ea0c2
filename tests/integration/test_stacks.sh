#!/bin/bash
# Stacks: who blocked the loop (on and off CPU), stack high-water marks and
# stack-overflow diagnosis, against examples with known answers.
. "$(dirname "$0")/lib.sh"
require_root "stacks"
HERE=$(cd "$(dirname "$0")/../.." && pwd)
NODE=$(command -v node || true)
json_ok() { [ "$(json "$1" "$2")" = True ]; }
# stall_weights DUMP KIND MIN MAX [N]: the trace's "stall stacks (ms)" track weighs each
# STALL slice's stacks (KIND: "on" or "off" CPU) at MIN..MAX of its busy time; N stalls at least
stall_weights() {
	python3 - "$@" <<'PY'
import collections, sys
dump, kind, lo, hi = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
need = int(sys.argv[5]) if len(sys.argv) > 5 else 1
track, w, stalls = None, collections.defaultdict(float), {}
for line in open(dump):
    f = line.split()
    if f[0] == 'track' and line.rstrip().endswith(' stall stacks (ms)'):
        track = f[1]
    elif f[0] == 'weighted' and f[1] == track and f[3] == kind:
        w[int(f[2])] += float(f[-1])
    elif f[0] == 'slice' and f[5] == 'STALL':
        stalls[int(f[2])] = int(f[3]) / 1e6
ok = [ts for ts, ms in stalls.items() if lo * ms <= w.get(ts, 0) <= hi * ms]
print('# stalls (ms) %s, weighed %s' % (sorted(stalls.values()), dict(w)), file=sys.stderr)
sys.exit(0 if track and len(ok) >= need else 1)
PY
}

# ---- on CPU: the C server's BLOCK spins in busy_spin() ----
# (499 Hz, not the default 99: the point is attribution, and a stall then
# holds dozens of samples whatever the runner's load. Not 999: each sample
# copies the stack, and 240 copies of ASan's deeper stacks in a third of a
# second went past the 8 MiB/s copy budget, so a stall's samples came
# without stacks and, rightly, without a cause)
start_server "$TMP/srv.out" || fail "server starts"
"$LS" record -p "$SERVER_PID" -d 3 --sample-hz 499 -o "$TMP/b.pftrace" --folded "$TMP/b.folded" \
	--summary "$TMP/b.json" 2> "$TMP/b.err" &
LSPID=$!
wait_for "$TMP/b.err" "tracing PID" || fail "record attaches"
# three requests one after the other: three identical 80 ms stalls, one cause
for i in 1 2 3; do "$EX/loadgen" -p "$PORT" -n 1 --block-every 1 --block-ms 80 > /dev/null; done
wait "$LSPID"
check "on-CPU: record exits 0" [ $? = 0 ]
check "on-CPU: the stall names busy_spin" grep -qE "on CPU: [0-9]+/[0-9]+ samples in .*busy_spin" "$TMP/b.err"
check "on-CPU: folded stacks name busy_spin" grep -q "busy_spin" "$TMP/b.folded"
check "on-CPU: trace decodes" validate_trace "$TMP/b.pftrace"
# the cause by function: busy_spin holds (nearly) every sample of each stall
CAUSES='[g for l in s["loops"] for g in l.get("stall_causes", [])]'
check "cause: the 3 stalls are one group whose cause is busy_spin" \
	json_ok "$TMP/b.json" "len($CAUSES) == 1 and $CAUSES[0]['count'] == 3 and $CAUSES[0]['frames'][0] == 'busy_spin' and $CAUSES[0]['cause_share'] > 0.5"
check "cause: each stall's cause is busy_spin, over half of its samples" \
	json_ok "$TMP/b.json" "all(x['cause']['frames'][0] == 'busy_spin' and x['cause']['share'] > 0.5 and not x['cause']['offcpu'] for l in s['loops'] for x in l['stalls_top'])"
check "cause: the text summary groups them" grep -qE "^      3 stalls, [0-9.]+ ms-[0-9.]+ ms, [0-9.]+ ms in all: busy_spin <- " "$TMP/b.err"
"$LS" report "$TMP/b.json" > "$TMP/b.report"
check "cause: report's STALL CAUSES names busy_spin for 3 stalls" \
	sh -c "grep -A3 'STALL CAUSES' '$TMP/b.report' | grep -qE '^  1 +3 ' && grep -A3 'STALL CAUSES' '$TMP/b.report' | grep -qE '^      busy_spin \\([0-9]+/[0-9]+ samples'"
check "flamegraph per stall: each stall's on-CPU stacks weigh 50-100% of its time" \
	stall_weights "$TMP/b.pftrace.dump" on 0.5 1.001 3
check "cause: the STALL slices carry it" sh -c "'$DUMP' '$TMP/b.pftrace' | grep -c 'STALL .*cause=busy_spin' | grep -qx 3"
# wall-clock times: each stall's UTC start in the JSON, after the recording's start and within a minute
check "stalls carry their UTC start" python3 -c "
import datetime, json, sys
s = json.load(open(sys.argv[1]))
t = lambda v: datetime.datetime.strptime(v, '%Y-%m-%dT%H:%M:%S.%fZ')
start, utcs = t(s['start_utc']), [t(x['utc']) for l in s['loops'] for x in l['stalls_top']]
sys.exit(0 if len(utcs) == 3 and all(0 <= (u - start).total_seconds() < 60 for u in utcs) else 1)" "$TMP/b.json"
check "report's stall table gives UTC start times" sh -c "grep -q 'START (UTC)' '$TMP/b.report' &&
	[ \$(grep -cE '^  [0-9]+ .* 20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\$' '$TMP/b.report') = 3 ]"
check "the end summary gives the longest stall's UTC time" grep -qE "longest stall: .* at \+[0-9.]+ s \([0-9:.]+ UTC\)" "$TMP/b.err"
kill "$SERVER_PID"

# ---- off CPU: a synchronous read of a slow pipe blocks the loop ----
"$EX/slow-pipe-server" 0 150 > "$TMP/sp.out" 2>&1 &
SP=$!
PIDS="$PIDS $SP"
wait_for "$TMP/sp.out" '^listening' || fail "slow-pipe-server starts"
PORT=$(sed -n 's/^listening 127.0.0.1:\([0-9]*\).*/\1/p' "$TMP/sp.out")
"$LS" record -p "$SP" -d 2 -o "$TMP/o.pftrace" --summary "$TMP/o.json" 2> "$TMP/o.err" &
LSPID=$!
wait_for "$TMP/o.err" "tracing PID" || fail "record attaches"
"$EX/loadgen" -p "$PORT" --cmd "slow" > /dev/null 2>&1
wait "$LSPID"
# the off-CPU part of a 150 ms delay: not under 140, and under 2x (two wakeups under load)
OFF150='(1[4-9][0-9]|2[0-9][0-9])\.[0-9]'
check "off-CPU: one stall of ~150 ms" grep -qE "stall: $OFF150 ms" "$TMP/o.err"
# frame-pointer unwinding skips the caller of a frameless leaf (libc's read
# wrapper), so the stack reads "read <- main": the blocking syscall is named
check "off-CPU: attributed to blocking in read" \
	grep -qE "off CPU: $OFF150 ms blocked in read( <- |$)" "$TMP/o.err"
check "off-CPU: woken by the pipe's writer thread" grep -q "woken from slow-pipe-serve" "$TMP/o.err"
check "off-CPU: trace decodes" validate_trace "$TMP/o.pftrace"
# (with a waker and a cause a STALL had 9 args, past the writer's 8, and went missing)
check "off-CPU: its STALL slice is in the trace, with the waker and the cause" \
	grep -qE "^slice [0-9]+ [0-9]+ [0-9]+ 0 STALL (1[4-9][0-9]|2[0-9][0-9]) ms .*woken_by=slow-pipe-serve,cause=.*read" "$TMP/o.pftrace.dump"
check "off-CPU: the cause waited on the pipe, in read, and says its fd" \
	json_ok "$TMP/o.json" "any(g['offcpu'] and g['waited_on']['fd_kind'] == 'pipe' and g['waited_on']['syscall'] == 'read' and g['waited_on']['fd'] > 2 and g['waited_on']['path'] is None for l in s['loops'] for g in l['stall_causes'])"
check "off-CPU: the end summary says it" grep -qE "off CPU in [a-z_0-9]*read on pipe fd [0-9]+ \(read\), woken by tid [0-9]+ \(slow-pipe-serve\)" "$TMP/o.err"
kill "$SP"

# ---- off CPU on a regular file: a write to a frozen ext4 blocks until it thaws ----
# (a loop device: the real blocking path of a file system, not a fake)
MNT=$TMP/mnt
mkdir -p "$MNT"
truncate -s 32M "$TMP/fs.img"
if mkfs.ext4 -q -F "$TMP/fs.img" && mount -o loop "$TMP/fs.img" "$MNT"; then
	trap 'fsfreeze -u "$MNT" 2> /dev/null; umount "$MNT" 2> /dev/null; cleanup' EXIT
	echo start > "$MNT/app.log"
	start_server "$TMP/fz.out" -f "$MNT/app.log" || fail "server on the ext4 file starts"
	"$LS" record -p "$SERVER_PID" -d 3 -o "$TMP/fz.pftrace" --summary "$TMP/fz.json" 2> "$TMP/fz.err" &
	LSPID=$!
	wait_for "$TMP/fz.err" "tracing PID" || fail "record attaches"
	fsfreeze -f "$MNT"
	"$EX/loadgen" -p "$PORT" --cmd APPEND > "$TMP/fz.reply" 2>&1 &
	sleep 0.4
	fsfreeze -u "$MNT"
	wait "$LSPID"
	check "frozen fs: the append was written" grep -q "^WROTE 4096" "$TMP/fz.reply"
	check "frozen fs: the cause is off CPU in write on the file, by path, woken by fsfreeze" \
		grep -qE "stall, [34][0-9]{2}\.[0-9] ms, .* in all: [a-z_0-9]*write <- write <- .*off CPU in [a-z_0-9]*write on file $MNT/app.log \(write, fd [0-9]+\), woken by tid [0-9]+ \(fsfreeze\)" "$TMP/fz.err"
	check "frozen fs: the JSON's cause has the path" \
		json_ok "$TMP/fz.json" "any(x['cause']['waited_on']['path'] == '$MNT/app.log' and x['cause']['waited_on']['fd_kind'] == 'file' for l in s['loops'] for x in l['stalls_top'] if x['cause']['offcpu'])"
	validate_trace "$TMP/fz.pftrace" || fail "frozen fs: the trace decodes"
	check "frozen fs: the stall's flamegraph weighs its blocked write at 95-100% of it" \
		stall_weights "$TMP/fz.pftrace.dump" off 0.95 1.001
	check "frozen fs: the finding names the file" grep -qE "write $MNT/app.log: 1 calls, [34][0-9]{2}\.[0-9] ms" "$TMP/fz.err"
	"$LS" report "$TMP/fz.json" > "$TMP/fz.report"
	check "frozen fs: report's cause says the file it waited on" \
		grep -qE "off CPU in [a-z_0-9]*write on file $MNT/app.log \(write, fd [0-9]+\)\)$" "$TMP/fz.report"
	kill "$SERVER_PID"
	wait "$SERVER_PID" 2> /dev/null
	umount "$MNT"
else
	fail "frozen fs: mkfs.ext4 and a loop mount (e2fsprogs, loop devices)"
fi

# ---- high-water mark: 500 f/g pairs held on CPU at the deepest point ----
"$LS" record -o "$TMP/h.pftrace" -- "$EX/recurse" -s 1024 -n 500 -p 400 -w 200 > "$TMP/h.out" 2> "$TMP/h.err"
check "hwm: record exits 0" [ $? = 0 ]
pair=$(sed -n 's/.* pair_bytes \([0-9]*\).*/\1/p' "$TMP/h.out")
tid=$(sed -n 's/.* tid \([0-9]*\) .*/\1/p' "$TMP/h.out")
kib=$(sed -n "s/.*stack high-water: thread $tid (recurse): \([0-9]*\) KiB.*/\1/p" "$TMP/h.err")
check "hwm: $kib KiB within 10% of 500 pairs x $pair bytes" \
	within "${kib:-0}" "$(python3 -c "print(500 * ${pair:-0} / 1024)")" "$(python3 -c "print(50 * ${pair:-0} / 1024)")"

# ---- overflow on a thread with a 256 KiB stack ----
"$LS" record -o "$TMP/r.pftrace" -- "$EX/recurse" -s 256 -w 300 > "$TMP/r.out" 2> "$TMP/r.err"
check "overflow: record exits 0 though the target died" [ $? = 0 ]
pair=$(sed -n 's/.* pair_bytes \([0-9]*\).*/\1/p' "$TMP/r.out")
line=$(grep "stack overflow in thread" "$TMP/r.err")
check "overflow: diagnosed ($line)" [ -n "$line" ]
check "overflow: names the recursion f -> g" grep -qE "recursion: (f -> g -> f|g -> f -> g)" "$TMP/r.err"
used=$(echo "$line" | sed -n 's/.*used \([0-9]*\) KiB of \([0-9]*\) KiB.*/\1/p')
check "overflow: used $used KiB of 256 within 10%" within "${used:-0}" 256 26
frames=$(echo "$line" | sed -n 's/.* \([0-9]*\) frames deep.*/\1/p')
check "overflow: $frames frames within 10% of the limit" \
	within "${frames:-0}" "$(python3 -c "print(2 * 262144 / ${pair:-1})")" "$(python3 -c "print(0.2 * 262144 / ${pair:-1})")"
check "overflow: trace decodes" validate_trace "$TMP/r.pftrace"

# ---- overflow on the main thread (8 MiB) ----
"$LS" record -o "$TMP/m.pftrace" -- "$EX/recurse" -m -w 300 > /dev/null 2> "$TMP/m.err"
check "main-thread overflow: diagnosed" grep -qE "stack overflow in thread [0-9]+ \(recurse\): used [0-9]+ KiB .*recursion: " "$TMP/m.err"

# ---- node: RangeError caught three times; JS frames named with the perf map ----
if [ -n "$NODE" ]; then
	(cd "$TMP" && "$LS" record -o "$TMP/n.pftrace" -- "$NODE" --perf-basic-prof --interpreted-frames-native-stack \
		"$HERE/examples/node/recurse.js" 3 300 > "$TMP/n.out" 2> "$TMP/n.err")
	check "node overflow: record exits 0" [ $? = 0 ]
	check "node overflow: the script caught 3" grep -q "caught 3" "$TMP/n.out"
	check "node overflow: counted 3 RangeErrors" grep -q "thrown 3 times" "$TMP/n.err"
	check "node overflow: names the JS recursion" grep -qE "recursion: JS:.*recurse[AB]" "$TMP/n.err"
	check "node overflow: trace decodes" validate_trace "$TMP/n.pftrace"
	# a busy JS function blocking the loop ~100 ms per /login request
	(cd "$TMP" && "$LS" record -o "$TMP/bs.pftrace" -d 5 --sample-hz 999 --folded "$TMP/bs.folded" \
		--summary "$TMP/bs.json" -- "$NODE" --perf-basic-prof \
		"$HERE/examples/node/busy-server.js" 0 100 > "$TMP/bs.out" 2> "$TMP/bs.err") &
	LSPID=$!
	wait_for "$TMP/bs.out" '^listening' 10 || fail "busy-server starts"
	PORT=$(sed -n 's/^listening 127.0.0.1:\([0-9]*\).*/\1/p' "$TMP/bs.out")
	sleep 0.5
	http_get "$PORT" /login 2
	wait "$LSPID"
	check "node stall: two stalls of ~100 ms" grep -qE "[0-9]+ iterations, .* [2-9] stalls" "$TMP/bs.err"
	# The text line shows the stall's commonest exact stack (identical ips):
	# with full stacks, which one that is varies run to run (a choice by
	# function is issue 18's), so the folded stacks may name it instead.
	check "node stall: the stack names the JS function hashPasswordsSync" \
		sh -c "grep -qE 'on CPU: [0-9]+/[0-9]+ samples in .*JS:.?hashPasswordsSync' '$TMP/bs.err' ||
		       grep -qE 'JS:.?hashPasswordsSync [^;]*(;[^;]*){0,2} [0-9]+$' '$TMP/bs.folded'"
	# by function the samples agree: the JS function is the deepest frame over half
	check "node stall: the stalls' cause is hashPasswordsSync, one group" \
		json_ok "$TMP/bs.json" "[g for l in s['loops'] for g in l.get('stall_causes', [])][0]['frames'][0].startswith('JS:') and 'hashPasswordsSync' in [g for l in s['loops'] for g in l['stall_causes']][0]['frames'][0] and [g for l in s['loops'] for g in l['stall_causes']][0]['count'] >= 2"
	"$LS" report "$TMP/bs.json" > "$TMP/bs.report"
	check "node stall: report's STALL CAUSES names hashPasswordsSync" \
		sh -c "grep -A3 'STALL CAUSES' '$TMP/bs.report' | grep -qE '^      JS:.?hashPasswordsSync .*samples, [0-9]+%'"
else
	fail "node is not installed"
fi

finish
