#!/bin/bash
# Bad input to every command (record, report, check, top, and the
# symbolizer's readers): each failing case gets exactly one line on stderr
# that names the problem, and its documented exit code (cli/exitcodes.h);
# nothing crashes. Cases that must succeed despite garbage (a perf map with
# garbage lines, a mapped file that is not ELF) exit 0 with a valid result.
. "$(dirname "$0")/lib.sh"
require_root "errors"

# every failure here is one line, and its message is on stderr (lib.sh: expect)
EXPECT_STDERR_ONLY=1
EXPECT_ONE_LINE=failure

# nobody with no capabilities at all
UNPRIV=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
# nobody with only CAP_BPF and CAP_PERFMON, the README's minimum: the BPF
# side works, the file system says no
BPF_USER=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,+bpf,+perfmon
	--ambient-caps=-all,+bpf,+perfmon)

MOUNTS=""
# tmpfs DIR OPTIONS: a tmpfs on DIR, unmounted when the test ends
tmpfs() {
	mkdir -p "$1" && mount -t tmpfs -o "$2" tmpfs "$1" && MOUNTS="$1 $MOUNTS"
}
unmount_all() {
	local m
	for m in $MOUNTS; do umount "$m" 2>/dev/null; done
	cleanup
}
trap unmount_all EXIT

chmod 755 "$TMP"

# ---- record: the target ----
true &
dead=$!
wait "$dead"
expect "dead PID" 3 "no such process: $dead" -- "$LS" record -p "$dead" -o "$TMP/x.pftrace"
check "dead PID leaves no trace file" [ ! -e "$TMP/x.pftrace" ]
# a zombie: its parent execs into a long sleep and never reaps it
sh -c 'sleep 0.1 & exec sleep 5' &
zp=$!
PIDS="$PIDS $zp"
zombie=
for i in $(seq 100); do	# until the child has exited (5 s at most)
	zombie=$(ps -o pid= --ppid "$zp" | tr -d ' ')
	[ -n "$zombie" ] && [ "$(ps -o stat= -p "$zombie" | cut -c1)" = Z ] && break
	sleep 0.05
done
expect "zombie PID" 3 "no such process" -- "$LS" record -p "$zombie" -o "$TMP/x.pftrace"
expect "kernel thread" 3 "kernel thread" -- "$LS" record -p 2 -o "$TMP/x.pftrace"
expect "own PID" 3 "loopscope itself" -- sh -c 'exec "$0" record -p $$ -o "$1"' "$LS" "$TMP/x.pftrace"
expect "command not found" 3 "cannot (run|start) /nonexistent/cmd" -- "$LS" record -o "$TMP/x.pftrace" -- /nonexistent/cmd
echo "not a program" > "$TMP/notexec"
chmod 644 "$TMP/notexec"
expect "command not executable" 3 "cannot (run|start) $TMP/notexec: Permission denied" -- \
	"$LS" record -o "$TMP/x.pftrace" -- "$TMP/notexec"
check "failed start leaves no trace file" [ ! -e "$TMP/x.pftrace" ]
# A thread id stands for its process: said on stderr, and the loop traced.
start_server "$TMP/tsrv.out" -t 2 || fail "two-loop server starts"
tsrv=$SERVER_PID
for i in $(seq 100); do	# the loop threads start after the "listening" line
	[ "$(ls "/proc/$tsrv/task" | wc -l)" -ge 3 ] && break
	sleep 0.05
done
ttid=$(ls "/proc/$tsrv/task" | grep -vx "$tsrv" | head -1)
rm -f "$TMP/err"
(wait_for "$TMP/err" "tracing PID" 15 && "$EX/loadgen" -p "$PORT" -c 2 -n 200 > /dev/null) &
expect "-p of a thread (not the leader)" 0 "^loopscope: $ttid is a thread of process $tsrv: tracing the process$" -- \
	"$LS" record -p "$ttid" -d 3 -o "$TMP/tid.pftrace" --summary "$TMP/tid.json"
check "-p of a thread: the process is the target" [ "$(json "$TMP/tid.json" "s['target']['pid']")" = "$tsrv" ]
check "-p of a thread: its loops were traced" \
	[ "$(json "$TMP/tid.json" "sum(l['iterations'] for l in s['loops']) > 50")" = True ]
kill "$tsrv"

# ---- record: options ----
expect "no target" 2 "nothing to trace" -- "$LS" record
expect "PID and command conflict" 2 "conflict" -- "$LS" record -p 1 -- true
expect "unknown option" 2 "^loopscope record: unknown option or missing argument at '--frobnicate'" -- "$LS" record --frobnicate
expect "option without its argument" 2 "^loopscope record: unknown option or missing argument at '-d'" -- "$LS" record -p 1 -d
expect "unknown command" 2 "unknown command 'frob'" -- "$LS" frob
# the one failure that prints more than a line: the usage, as asked
ONE_LINE=0 expect "no command" 2 "USAGE" -- "$LS"
expect "PID not a number" 2 "invalid PID 'abc'" -- "$LS" record -p abc
expect "PID 0" 2 "invalid PID '0'" -- "$LS" record -p 0
expect "PID out of range" 2 "invalid PID '99999999'" -- "$LS" record -p 99999999
expect "negative duration" 2 "invalid duration '-1'" -- "$LS" record -p 1 -d -1
expect "zero duration" 2 "invalid duration '0'" -- "$LS" record -p 1 -d 0
expect "NaN duration" 2 "invalid duration 'nan'" -- "$LS" record -p 1 -d nan
expect "infinite duration" 2 "invalid duration 'inf'" -- "$LS" record -p 1 -d inf
expect "absurd duration" 2 "invalid duration" -- "$LS" record -p 1 -d 1e99
expect "zero stall threshold" 2 "invalid stall threshold '0'" -- "$LS" record -p 1 --stall-ms 0
expect "absurd sample rate" 2 "invalid sample rate '99999'" -- "$LS" record -p 1 --sample-hz 99999
expect "negative sample rate" 2 "invalid sample rate '-1'" -- "$LS" record -p 1 --sample-hz -1
expect "--js-callbacks with --no-libuv" 2 "needs the libuv probes" -- \
	"$LS" record -p 1 --js-callbacks --no-libuv
expect "stray argument" 2 "unexpected argument" -- "$LS" record -p 1 extra
expect "-- without a command" 2 "needs a command" -- "$LS" record --

# ---- outputs that name one file: a usage error before anything is written ----
# same NAME CODE PATTERN -- ARGS...: expect, then nothing may exist at $TMP/same*
mkdir "$TMP/same"
same() {
	expect "$@"
	check "$1: nothing written" [ -z "$(ls -A "$TMP/same")" ]
}
S=$TMP/same
same "summary equals output" 2 "^loopscope record: -o and --summary name the same file \($S/a.json\)$" -- \
	"$LS" record -p 1 -o "$S/a.json" --summary "$S/a.json"
same "-o and --folded" 2 "^loopscope record: -o and --folded name the same file \($S/x\)$" -- \
	"$LS" record -p 1 -o "$S/x" --folded "$S/x"
same "--summary and --folded" 2 "^loopscope record: --summary and --folded name the same file \($S/x\)$" -- \
	"$LS" record -p 1 --summary "$S/x" --folded "$S/x"
same "-o ./X and --summary X" 2 "^loopscope record: -o and --summary name the same file \(./x and x\)$" -- \
	sh -c 'cd "$1" && exec "$2" record -p 1 -o ./x --summary x' sh "$S" "$LS"
same "-o and --raw" 2 "^loopscope record: -o and --raw name the same file" -- \
	"$LS" record -p 1 -o "$S/x" --raw "$S//x"
same "--summary and --raw" 2 "^loopscope record: --summary and --raw name the same file" -- \
	"$LS" record -p 1 --summary "$S/x" --raw "$S/./x"
same "--folded and --raw" 2 "^loopscope record: --folded and --raw name the same file" -- \
	"$LS" record -p 1 -o "$S/t" --folded "$S/x" --raw "$S/../same/x"
ln -s "$S" "$TMP/samelink"
same "the same file through a linked directory" 2 "^loopscope record: -o and --summary name the same file" -- \
	"$LS" record -p 1 -o "$TMP/samelink/x" --summary "$S/x"
same "--folded and the default trace name" 2 \
	"^loopscope record: the trace \(default -o\) and --folded name the same file \(loopscope.pftrace\)$" -- \
	sh -c 'cd "$1" && exec "$2" record -p 1 --folded loopscope.pftrace' sh "$S" "$LS"
cp /bin/true "$TMP/prog"
expect "-o replacing the command traced" 2 "^loopscope record: -o and the command name the same file" -- \
	"$LS" record -o "$TMP/prog" -- "$TMP/prog"
check "-o replacing the command traced: the command is intact" cmp -s /bin/true "$TMP/prog"
expect "devices may be named twice" 0 "" -- "$LS" record -q -o /dev/null --summary /dev/null -- true

# ---- record: privileges and kernel ----
expect "no BTF" 5 "BTF unavailable" -- env LOOPSCOPE_BTF=/dev/null "$LS" record -o "$TMP/x.pftrace" -- true
expect "missing BTF file" 5 "BTF unavailable.*No such file" -- env LOOPSCOPE_BTF=/nonexistent "$LS" record -- true
expect "not root" 4 "needs CAP_BPF and CAP_PERFMON" -- "${UNPRIV[@]}" "$LS" record -o "$TMP/x.pftrace" -- true
expect "CAP_BPF alone" 4 "needs CAP_PERFMON" -- \
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,+bpf --ambient-caps=-all,+bpf \
	"$LS" record -o "$TMP/x.pftrace" -- true

# ---- record: the output ----
expect "output directory missing" 6 "cannot create $TMP/nodir/x.pftrace: No such file" -- \
	"$LS" record -o "$TMP/nodir/x.pftrace" -- true
expect "output is a directory" 6 "Is a directory" -- "$LS" record -o "$TMP" -- true
expect "empty output name" 2 "empty output file name" -- "$LS" record -q -o "" -- true
expect "hex duration" 2 "invalid duration '0x10'" -- "$LS" record -d 0x10 -- true
mkdir -m 500 "$TMP/ro-dir"
chown 65534 "$TMP/ro-dir"
expect "output directory not writable (nobody, CAP_BPF+CAP_PERFMON)" 6 \
	"cannot create $TMP/ro-dir/x.pftrace: Permission denied" -- \
	"${BPF_USER[@]}" "$LS" record -q -o "$TMP/ro-dir/x.pftrace" -- true
tmpfs "$TMP/rofs" ro
expect "read-only file system" 6 "cannot create $TMP/rofs/x.pftrace: Read-only file system" -- \
	"$LS" record -q -o "$TMP/rofs/x.pftrace" -- true
expect "summary directory missing" 6 "cannot write $TMP/nodir/s.json: No such file" -- \
	"$LS" record -q -o "$TMP/s.pftrace" --summary "$TMP/nodir/s.json" -- true
check "the trace is written when only the summary fails" validate_trace "$TMP/s.pftrace"
expect "summary mode: summary directory missing" 6 "cannot write $TMP/nodir/s.json: No such file" -- \
	sh -c 'cd "$1" && exec "$2" record -q --summary "$1/nodir/s.json" -- true' sh "$TMP" "$LS"
check "summary mode: no trace file written" [ ! -e "$TMP/loopscope.pftrace" ]
expect "folded file directory missing" 6 "cannot write $TMP/nodir/f.txt: No such file" -- \
	"$LS" record -q -o "$TMP/f.pftrace" --folded "$TMP/nodir/f.txt" -- true

# Disk full. The writer's first flushes are small (4 KiB, doubling), so
# even a 64 KiB disk keeps a trace cut at its last whole packet.
busy=(dd if=/dev/zero of=/dev/null bs=1 count=20000000)
tmpfs "$TMP/full64k" size=64k
expect "disk full (64 KiB)" 6 "writing $TMP/full64k/x.pftrace: No space left on device" -- \
	"$LS" record -q --no-compress -o "$TMP/full64k/x.pftrace" -- "${busy[@]}"
cp "$TMP/full64k/x.pftrace" "$TMP/cut64k.pftrace"
check "disk full (64 KiB): what is left decodes" validate_trace "$TMP/cut64k.pftrace"
check "disk full (64 KiB): it holds calls traced before" \
	grep -q "^slice .* read fd=" "$TMP/cut64k.pftrace.dump"
check "disk full (64 KiB): more than half the disk kept" \
	sh -c '[ "$(stat -c %s "$1")" -gt 32768 ]' sh "$TMP/cut64k.pftrace"
tmpfs "$TMP/full1m" size=1m
expect "disk full (1 MiB)" 6 "writing $TMP/full1m/x.pftrace: No space left on device" -- \
	"$LS" record -q --no-compress -o "$TMP/full1m/x.pftrace" -- "${busy[@]}"
cp "$TMP/full1m/x.pftrace" "$TMP/cut.pftrace"
check "disk full: the trace written so far decodes" validate_trace "$TMP/cut.pftrace"
check "disk full: it holds the calls traced before" grep -q "^slice .* read fd=" "$TMP/cut.pftrace.dump"
rm -f "$TMP"/full1m/*
expect "disk full, compressed" 6 "No space left on device" -- \
	"$LS" record -q -o "$TMP/full1m/y.pftrace" -- "${busy[@]}"
cp "$TMP/full1m/y.pftrace" "$TMP/cutz.pftrace"
check "disk full, compressed: the trace written so far decodes" validate_trace "$TMP/cutz.pftrace"
# --raw and --folded on a full disk name the disk, not "Input/output error"
tmpfs "$TMP/fullraw" size=64k
expect "disk full: --raw" 6 "^loopscope: writing $TMP/fullraw/x.raw: No space left on device$" -- \
	"$LS" record -q -o "$TMP/raw-ok.pftrace" --raw "$TMP/fullraw/x.raw" -- \
	dd if=/dev/zero of=/dev/null bs=1 count=200000 status=none
check "disk full: --raw: the trace beside it is whole" validate_trace "$TMP/raw-ok.pftrace"
tmpfs "$TMP/fullfold" size=64k
dd if=/dev/zero of="$TMP/fullfold/fill" bs=4k 2> /dev/null
expect "disk full: --folded" 6 "^loopscope: cannot write $TMP/fullfold/f.txt: No space left on device$" -- \
	"$LS" record -q --sample-hz 999 -o "$TMP/fold-ok.pftrace" --folded "$TMP/fullfold/f.txt" -- \
	dd if=/dev/zero of=/dev/null bs=1 count=1000000 status=none
check "disk full: --folded: the trace beside it is whole" validate_trace "$TMP/fold-ok.pftrace"
rm -f "$TMP/fullfold/fill"

# ---- replay: its outputs ----
"$LS" record -q --no-compress -o "$TMP/r.pftrace" --raw "$TMP/r.raw" -- \
	dd if=/dev/zero of=/dev/null bs=1 count=200000 > /dev/null 2>&1
cp "$TMP/r.raw" "$TMP/r.raw.orig"
check "a raw capture to replay" [ -s "$TMP/r.raw" ]
expect "replay: -o replacing its input" 2 "^loopscope replay: -o and RAW name the same file \($TMP/r.raw\)$" -- \
	"$LS" replay "$TMP/r.raw" -o "$TMP/r.raw"
expect "replay: --summary replacing its input" 2 "^loopscope replay: --summary and RAW name the same file" -- \
	"$LS" replay "$TMP/r.raw" --summary "$TMP/./r.raw"
expect "replay: --folded replacing its input" 2 "^loopscope replay: --folded and RAW name the same file" -- \
	"$LS" replay "$TMP/r.raw" --folded "$TMP/r.raw"
check "replay: the raw capture is intact" cmp -s "$TMP/r.raw" "$TMP/r.raw.orig"
expect "replay: -o and --summary the same file" 2 "^loopscope replay: -o and --summary name the same file" -- \
	"$LS" replay "$TMP/r.raw" -o "$TMP/same/x" --summary "$TMP/same/x"
check "replay: -o and --summary the same file: nothing written" [ -z "$(ls -A "$TMP/same")" ]
rm -f "$TMP"/fullraw/*
expect "replay: disk full" 6 "^loopscope replay: writing $TMP/fullraw/r.pftrace: No space left on device$" -- \
	"$LS" replay -q "$TMP/r.raw" -o "$TMP/fullraw/r.pftrace"
expect "replay: a valid capture" 0 "" -- "$LS" replay -q "$TMP/r.raw" -o "$TMP/r2.pftrace" --summary "$TMP/r2.json"
check "replay: its trace decodes" validate_trace "$TMP/r2.pftrace"
dd if=/dev/zero of="$TMP/fullfold/fill" bs=4k 2> /dev/null
expect "replay: --folded disk full" 6 "^loopscope replay: cannot write $TMP/fullfold/r.folded: No space left on device$" -- \
	"$LS" replay -q "$TMP/r.raw" --folded "$TMP/fullfold/r.folded"
rm -f "$TMP"/fullfold/*
mkdir "$TMP/foldonly"
expect "replay: --folded alone" 0 "" -- "$LS" replay -q "$TMP/r.raw" --folded "$TMP/foldonly/r.folded"
check "replay: --folded alone: dd's stacks, and no other file" \
	bash -c 'grep -q "^dd;" "$1/r.folded" && [ "$(ls -A "$1")" = r.folded ]' sh "$TMP/foldonly"

# Symbolic links at an output path (README, Privileges): root's own are
# followed; another user's, planted in a sticky /tmp, are refused (exit 6)
# and their target is left as it was.
echo precious > "$TMP/victim"
chmod 644 "$TMP/victim"
ln -s "$TMP/mine.pftrace" "$TMP/mylink.pftrace"
expect "root's own symlink at the output path is followed" 0 "" -- \
	"$LS" record -q -o "$TMP/mylink.pftrace" -- true
check "root's own symlink: the trace is at its target" validate_trace "$TMP/mine.pftrace"
check "root's own symlink: still a link" [ -L "$TMP/mylink.pftrace" ]
check "trace created mode 0600" sh -c '[ "$(stat -c %a "$1")" = 600 ]' sh "$TMP/mine.pftrace"
mkdir -m 1777 "$TMP/sticky"
"${UNPRIV[@]}" ln -s "$TMP/victim" "$TMP/sticky/other.pftrace"
"${UNPRIV[@]}" ln -s "$TMP/ghost" "$TMP/sticky/dangling.pftrace"
expect "symlink planted by another user in a sticky directory" 6 \
	"^loopscope record: cannot write $TMP/sticky/other.pftrace: a symbolic link on the way belongs to another user" -- \
	"$LS" record -q -o "$TMP/sticky/other.pftrace" -- true
check "another user's symlink: target untouched" sh -c '[ "$(cat "$1")" = precious ]' sh "$TMP/victim"
check "another user's symlink: target mode untouched" sh -c '[ "$(stat -c %a "$1")" = 644 ]' sh "$TMP/victim"
check "another user's symlink: left as it was" [ -L "$TMP/sticky/other.pftrace" ]
expect "another user's dangling symlink" 6 "belongs to another user" -- \
	"$LS" record -q -o "$TMP/sticky/dangling.pftrace" -- true
check "another user's dangling symlink: nothing created at its target" [ ! -e "$TMP/ghost" ]

# An existing device or FIFO at the output path is written to, or refused,
# but never replaced: `-o /dev/null` as root must not replace /dev/null.
mknod "$TMP/nulldev" c 1 3
"$LS" record -q -o "$TMP/nulldev" -- true > /dev/null 2>&1
check "a character device at the output path is not replaced" [ -c "$TMP/nulldev" ]
mkfifo "$TMP/fifo"
timeout 10 cat "$TMP/fifo" > "$TMP/fifo.out" &
reader=$!
timeout 15 "$LS" record -q -o "$TMP/fifo" -- true > /dev/null 2>&1
check "a FIFO at the output path is not replaced" [ -p "$TMP/fifo" ]
kill "$reader" 2> /dev/null
wait "$reader" 2> /dev/null

# ---- report ----
"$LS" record -q -o "$TMP/ok.pftrace" --summary "$TMP/ok.json" -- sleep 0.2 > /dev/null 2>&1
J=$TMP/ok.json
check "a summary to compare against" [ -s "$J" ]
: > "$TMP/empty.json"
head -c 200 "$J" > "$TMP/truncated.json"
sed 's/"schema_version":1/"schema_version":2/' "$J" > "$TMP/v2.json"
sed 's/"loops"/"loopz"/' "$J" > "$TMP/noloops.json"
sed 's/"duration_s":[0-9.]*/"duration_s":"long"/' "$J" > "$TMP/wrongtype.json"
printf '{"schema_version":1,"schema_version":1}' > "$TMP/dupkey.json"
python3 -c "print('[' * 100000 + ']' * 100000)" > "$TMP/deep.json"
truncate -s 100M "$TMP/huge.json"
head -c 4096 /dev/urandom > "$TMP/garbage.json"
expect "report: no file" 2 "no summary file" -- "$LS" report
expect "report: missing file" 2 "nonexistent.json: No such file" -- "$LS" report "$TMP/nonexistent.json"
expect "report: empty file" 2 "empty.json: .*empty input" -- "$LS" report "$TMP/empty.json"
expect "report: empty stdin" 2 "empty input" -- sh -c '"$0" report - < /dev/null' "$LS"
expect "report: truncated JSON" 2 "truncated.json: byte [0-9]+" -- "$LS" report "$TMP/truncated.json"
expect "report: wrong schema version" 2 "schema_version: unsupported number 2" -- "$LS" report "$TMP/v2.json"
expect "report: member missing" 2 "missing \"loops\"" -- "$LS" report "$TMP/noloops.json"
expect "report: member of the wrong type" 2 "duration_s" -- "$LS" report "$TMP/wrongtype.json"
expect "report: duplicate key" 2 "duplicate key" -- "$LS" report "$TMP/dupkey.json"
expect "report: nested 100000 deep" 2 "nested deeper" -- "$LS" report "$TMP/deep.json"
expect "report: huge file" 2 "larger than" -- "$LS" report "$TMP/huge.json"
expect "report: binary garbage" 2 "garbage.json: byte" -- "$LS" report "$TMP/garbage.json"
expect "report: an ELF binary" 2 "byte 0: unexpected byte 0x7f" -- "$LS" report "$LS"
expect "report: a directory" 2 "Is a directory" -- "$LS" report "$TMP"
expect "report: two files" 2 "one summary file at a time" -- "$LS" report "$J" "$J"
expect "report: bad --top" 2 "invalid --top '-1'" -- "$LS" report --top -1 "$J"
expect "report: unknown option" 2 "^loopscope report: unknown option or missing argument at '--frob'" -- "$LS" report --frob "$J"
expect "report: a valid summary" 0 "" -- "$LS" report "$J"

# ---- check ----
printf 'busy.p99 = +5%%\nthis is garbage\n' > "$TMP/bad.conf"
expect "check: no baseline" 2 "no baseline" -- "$LS" check "$J"
expect "check: missing baseline file" 2 "nonexistent.json: No such file" -- \
	"$LS" check --baseline "$TMP/nonexistent.json" "$J"
expect "check: garbage current" 2 "garbage.json: byte" -- "$LS" check --baseline "$J" "$TMP/garbage.json"
expect "check: wrong-version baseline" 2 "schema_version" -- "$LS" check --baseline "$TMP/v2.json" "$J"
expect "check: truncated current" 2 "truncated.json" -- "$LS" check --baseline "$J" "$TMP/truncated.json"
expect "check: huge baseline" 2 "larger than" -- "$LS" check --baseline "$TMP/huge.json" "$J"
expect "check: --max without =" 2 "expected METRIC=LIMIT" -- "$LS" check --baseline "$J" --max bogus "$J"
expect "check: bad limit" 2 "bad limit" -- "$LS" check --baseline "$J" --max busy.p99=abc "$J"
expect "check: unknown metric" 2 "unknown metric" -- "$LS" check --baseline "$J" --max nosuch.p99=5% "$J"
expect "check: missing config" 2 "nonexistent.conf: No such file" -- \
	"$LS" check --baseline "$J" --config "$TMP/nonexistent.conf" "$J"
expect "check: garbage config line" 2 "bad.conf:2: expected METRIC = LIMIT" -- \
	"$LS" check --baseline "$J" --config "$TMP/bad.conf" "$J"
expect "check: absurd confidence" 2 "invalid --confidence '2'" -- "$LS" check --baseline "$J" --confidence 2 "$J"
expect "check: JUnit directory missing" 6 "cannot write $TMP/nodir/j.xml" -- \
	"$LS" check --baseline "$J" --junit "$TMP/nodir/j.xml" "$J"
expect "check: a run against itself" 0 "" -- "$LS" check --baseline "$J" "$J"
dd if=/dev/zero of="$TMP/fullfold/fill" bs=4k 2> /dev/null
expect "check: --junit on a full disk" 6 "^loopscope check: cannot write $TMP/fullfold/j.xml: No space left on device$" -- \
	"$LS" check -q --baseline "$J" --junit "$TMP/fullfold/j.xml" "$J"
rm -f "$TMP"/fullfold/*

# --junit may not replace an input
cp "$J" "$TMP/base.json"
expect "check: --junit replacing the baseline" 2 \
	"^loopscope check: --junit and --baseline name the same file \($TMP/base.json\)$" -- \
	"$LS" check --baseline "$TMP/base.json" --junit "$TMP/base.json" "$J"
check "check: the baseline is intact" cmp -s "$J" "$TMP/base.json"
expect "check: --junit replacing a current summary" 2 \
	"^loopscope check: --junit and a current summary name the same file" -- \
	"$LS" check --baseline "$J" --junit "$TMP/./base.json" "$TMP/base.json"
printf 'busy.p99 = +5%%\n' > "$TMP/ok.conf"
expect "check: --junit replacing the config" 2 "^loopscope check: --junit and --config name the same file" -- \
	"$LS" check --baseline "$J" --config "$TMP/ok.conf" --junit "$TMP/ok.conf" "$J"
check "check: base.json and ok.conf intact" sh -c 'cmp -s "$1" "$2" && grep -q "^busy.p99 = +5%$" "$3"' \
	sh "$J" "$TMP/base.json" "$TMP/ok.conf"

# Config lines of any length; only a regular text file of at most 1 MiB.
# A comment's tail once became a limit: 255 bytes in, "busy.p99 = +900%".
python3 -c "print('# ' + 'x' * 300 + ' busy.p99 = +900%')" > "$TMP/longcomment.conf"
expect "check: a long comment line stays a comment" 0 "" -- \
	"$LS" check --baseline "$J" --config "$TMP/longcomment.conf" "$J"
check "check: a long comment line sets no limit" sh -c '! grep -q "900%" "$1"' sh "$TMP/out"
python3 -c "print('busy.p99 =' + ' ' * 10000 + '+7%   # ' + 'y' * 10000)" > "$TMP/longline.conf"
expect "check: a 20 KB limit line" 0 "" -- "$LS" check --baseline "$J" --config "$TMP/longline.conf" "$J"
check "check: a 20 KB limit line is read whole" grep -qE "^busy.p99 .* \+7% " "$TMP/out"
python3 -c "print('busy.p99 = +5%' + ' ' * 300 + 'garbage')" > "$TMP/longbad.conf"
expect "check: garbage after 300 blanks" 2 "longbad.conf:1: " -- \
	"$LS" check --baseline "$J" --config "$TMP/longbad.conf" "$J"
EXPECT_TIMEOUT=5 expect "check: --config /dev/zero" 2 "^loopscope check: /dev/zero: not a regular file$" -- \
	"$LS" check --baseline "$J" --config /dev/zero "$J"
mkfifo "$TMP/conf.fifo"
EXPECT_TIMEOUT=5 expect "check: --config a FIFO" 2 "conf.fifo: not a regular file$" -- \
	"$LS" check --baseline "$J" --config "$TMP/conf.fifo" "$J"
expect "check: --config a directory" 2 "^loopscope check: $TMP: Is a directory$" -- \
	"$LS" check --baseline "$J" --config "$TMP" "$J"
truncate -s 2M "$TMP/huge.conf"
expect "check: --config over 1 MiB" 2 "huge.conf: larger than 1 MiB$" -- \
	"$LS" check --baseline "$J" --config "$TMP/huge.conf" "$J"
printf 'busy.p99 = +5%%\n\0\n' > "$TMP/nul.conf"
expect "check: --config with a NUL byte" 2 "nul.conf: not a text file" -- \
	"$LS" check --baseline "$J" --config "$TMP/nul.conf" "$J"
ln -s "$TMP/longline.conf" "$TMP/linked.conf"
expect "check: --config through the user's symlink" 0 "" -- \
	"$LS" check --baseline "$J" --config "$TMP/linked.conf" "$J"

# ---- top ----
expect "top: no PID" 2 "nothing to watch" -- "$LS" top
expect "top: dead PID" 3 "no such process" -- "$LS" top -p "$dead" -n 1
expect "top: kernel thread" 3 "kernel thread" -- "$LS" top -p 2 -n 1
expect "top: own PID" 3 "loopscope itself" -- sh -c 'exec "$0" top -p $$ -n 1' "$LS"
expect "top: zero interval" 2 "invalid interval '0'" -- "$LS" top -p 1 -i 0
expect "top: NaN interval" 2 "invalid interval 'nan'" -- "$LS" top -p 1 -i nan
expect "top: negative count" 2 "invalid count '-1'" -- "$LS" top -p 1 -n -1
expect "top: unknown option" 2 "^loopscope top: unknown option or missing argument at '--frob'" -- "$LS" top -p 1 --frob
expect "top: not root" 4 "needs CAP_BPF and CAP_PERFMON" -- "${UNPRIV[@]}" "$LS" top -p 1 -n 1
expect "top: no BTF" 5 "BTF" -- env LOOPSCOPE_BTF=/dev/null "$LS" top -p 1 -n 1

# ---- the symbolizer's inputs ----
# A perf map full of garbage: bad lines are skipped, the recording succeeds.
sh -c 'while :; do :; done' &
spin=$!
PIDS="$PIDS $spin"
{
	echo "not a perf map line"
	printf '\0\0\0binary\377\376\n'
	echo "ffffffffffffffff 10 wraps_around"
	echo "zzzz 10 bad_start"
	echo "1000 0 zero_size"
	echo "1000 10"
	head -c 200000 /dev/zero | tr '\0' 'x'
	echo
	printf '7f0000001000 40 LazyCompile:~ok /x.js:1\n'
	printf '7f0000002000 40 no_newline_at_end'
} > "/tmp/perf-$spin.map"
expect "perf map with garbage lines" 0 "" -- \
	"$LS" record -q -p "$spin" -d 1 --sample-hz 999 -o "$TMP/pm.pftrace" --folded "$TMP/pm.folded"
check "perf map with garbage lines: the trace decodes" validate_trace "$TMP/pm.pftrace"
rm -f "/tmp/perf-$spin.map"
kill "$spin"

# A file mapped executable that is not an ELF file (or is a truncated one):
# the symbolizer names nothing in it and says which file it was.
SYMB=$(readlink -f "$OUTPUT/tests/symbolize-addr")
head -c 65536 /dev/urandom > "$TMP/notelf.bin"
head -c 300 "$SYMB" > "$TMP/truncated.elf"
head -c 65536 /dev/zero >> "$TMP/truncated.elf"
for f in notelf.bin truncated.elf; do
	python3 -c '
import mmap, sys, time
f = open(sys.argv[1], "rb")
m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ | mmap.PROT_EXEC)
print(open("/proc/self/maps").read(), flush=True)
time.sleep(30)' "$TMP/$f" > "$TMP/$f.maps" &
	mp=$!
	PIDS="$PIDS $mp"
	wait_for "$TMP/$f.maps" "$f" 5
	addr=0x$(grep "$f" "$TMP/$f.maps" | head -1 | cut -d- -f1)
	expect "symbolizer: mapped $f" 0 "" -- "$SYMB" "$mp" "$((addr + 64))"
	check "symbolizer: mapped $f is unnamed" grep -q "? $TMP/$f" "$TMP/out"
	kill "$mp"
done

# ---- help ----
expect "help exits 0" 0 "" -- "$LS" help record
check "help shows examples" grep -q "EXAMPLES" "$TMP/out"
expect "version" 0 "" -- "$LS" --version
check "version printed" grep -q "^loopscope [0-9]" "$TMP/out"

finish
