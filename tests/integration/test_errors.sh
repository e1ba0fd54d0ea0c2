#!/bin/bash
# Bad input to every command (record, report, check, top, and the
# symbolizer's readers): each failing case gets exactly one line on stderr
# that names the problem, and its documented exit code (cli/exitcodes.h);
# nothing crashes. Cases that must succeed despite garbage (a perf map with
# garbage lines, a mapped file that is not ELF) exit 0 with a valid result.
. "$(dirname "$0")/lib.sh"
require_root "errors"

# expect NAME CODE PATTERN -- ARGS...: runs ARGS, checks the exit code, that
# PATTERN (if any) is in stderr, that a failure is one line of stderr, and
# that nothing crashed (no sanitizer report, no signal).
expect() {
	local name=$1 code=$2 pattern=$3
	shift 4
	timeout "${EXPECT_TIMEOUT:-30}" "$@" > "$TMP/out" 2> "$TMP/err"
	local rc=$?
	if [ "$rc" != "$code" ]; then
		fail "$name: exit $rc, expected $code" "$(head -3 "$TMP/err")"
	elif [ -n "$pattern" ] && ! grep -qE "$pattern" "$TMP/err"; then
		fail "$name: message does not match '$pattern'" "$(head -3 "$TMP/err")"
	elif crashed "$TMP/err"; then
		fail "$name: crashed" "$(head -3 "$TMP/err")"
	elif [ "$code" != 0 ] && [ "${ONE_LINE:-1}" = 1 ] && [ "$(wc -l < "$TMP/err")" != 1 ]; then
		fail "$name: $(wc -l < "$TMP/err") lines on stderr, expected one" "$(head -3 "$TMP/err")"
	else
		ok "$name"
	fi
}

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
expect "summary equals output" 2 "same file" -- "$LS" record -p 1 -o a.json --summary a.json

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

# A symlink planted at the output path (as another user could in /tmp):
# it is replaced, never followed, and its target is left as it was.
echo precious > "$TMP/victim"
chmod 644 "$TMP/victim"
ln -s "$TMP/victim" "$TMP/planted.pftrace"
ln -s "$TMP/victim" "$TMP/planted.json"
expect "symlink at the output path" 0 "" -- \
	"$LS" record -q -o "$TMP/planted.pftrace" --summary "$TMP/planted.json" -- true
check "symlink target untouched" sh -c '[ "$(cat "$1")" = precious ]' sh "$TMP/victim"
check "symlink target mode untouched" sh -c '[ "$(stat -c %a "$1")" = 644 ]' sh "$TMP/victim"
check "trace replaced the symlink" sh -c '[ -f "$1" ] && [ ! -L "$1" ]' sh "$TMP/planted.pftrace"
check "summary replaced the symlink" sh -c '[ -f "$1" ] && [ ! -L "$1" ]' sh "$TMP/planted.json"
check "trace created mode 0600" sh -c '[ "$(stat -c %a "$1")" = 600 ]' sh "$TMP/planted.pftrace"
mkdir -m 1777 "$TMP/sticky"
"${UNPRIV[@]}" ln -s "$TMP/victim" "$TMP/sticky/other.pftrace"
expect "symlink planted by another user in a sticky directory" 0 "" -- \
	"$LS" record -q -o "$TMP/sticky/other.pftrace" -- true
check "another user's symlink: target untouched" sh -c '[ "$(cat "$1")" = precious ]' sh "$TMP/victim"
check "another user's symlink: replaced by our own file" \
	sh -c '[ -f "$1" ] && [ ! -L "$1" ] && [ "$(stat -c %u "$1")" = 0 ]' sh "$TMP/sticky/other.pftrace"
check "dangling symlink: nothing created at its target" sh -c \
	'ln -s "$1/ghost" "$1/dangling.pftrace" && "$2" record -q -o "$1/dangling.pftrace" -- true &&
	 [ ! -e "$1/ghost" ] && [ -f "$1/dangling.pftrace" ]' sh "$TMP" "$LS"

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
