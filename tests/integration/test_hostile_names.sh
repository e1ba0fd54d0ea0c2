#!/bin/bash
# Names chosen by a hostile target (issue 13, part 2). An unprivileged
# process (uid 65534) names its loop thread with ESC sequences, a line
# break and ';', and puts a forged "loopscope: FAKE LINE" and a terminal
# title sequence in its argv. Root traces it: no ESC byte may reach stdout
# or stderr of record, report or top; no forged line may appear; the folded
# stacks keep the name as one frame; the JSON holds the real name; the
# trace stays valid.
. "$(dirname "$0")/lib.sh"
require_root "hostile names"
PY=/usr/bin/python3	# the attacker's interpreter: root's pyenv shims are not readable by it
[ -x "$PY" ] || { fail "$PY missing"; finish; exit 1; }

# 15 bytes, the kernel's limit: ESC [ 2 J ; LF l o o p s c o p e
NAME=$'\e[2J;\nloopscope'
# its escaped forms (text_escape.h): terminal and folded
NAME_TEXT='\x1b[2J;\x0aloopscope'
NAME_FOLD='\x1b[2J: loopscope'
# the target's name in status lines: its comm, cut at the line break or not
TARGET_TEXT='\x1b[2J;'
ARGV=$'x\nloopscope: FAKE LINE\e]0;pwned\a'

chmod 755 "$TMP"	# the attacker reads its script from here
# One epoll loop for both targets, its job told by its file name (so the
# command line stays as short as it was): hostile.py names its thread argv[2]
# and spins ~1 ms per iteration; stall.py burns 1.2 s per iteration.
cat > "$TMP/hostile.py" << 'EOF'
import ctypes, os, select, sys, time
hostile = os.path.basename(sys.argv[0]) == "hostile.py"
if hostile:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(15, ctypes.c_char_p(sys.argv[2].encode()), 0, 0, 0):	# PR_SET_NAME
        sys.exit("prctl: %d" % ctypes.get_errno())
ep = select.epoll()
r, w = os.pipe()
ep.register(r, select.EPOLLIN)
print("ready", flush=True)
while True:
    ep.poll(0.002 if hostile else 0.001)
    if hostile:
        x = 0
        for i in range(30000):	# a millisecond or so of CPU: samples to fold
            x += i
    else:
        end = time.monotonic() + 1.2
        while time.monotonic() < end:
            pass
EOF
cp "$TMP/hostile.py" "$TMP/stall.py"
chmod 644 "$TMP/stall.py"
chmod 644 "$TMP/hostile.py"
# from $TMP: a short command line, so report's 60 bytes of it reach the forged part
(cd "$TMP" && exec setpriv --reuid=65534 --regid=65534 --clear-groups "$PY" hostile.py \
	"$ARGV" "$NAME" > "$TMP/py.out" 2>&1) &
PY_PID=$!
PIDS="$PIDS $PY_PID"
wait_for "$TMP/py.out" '^ready' || fail "the hostile target starts"
check "the target runs as uid 65534" [ "$(stat -c %u "/proc/$PY_PID")" = 65534 ]
check "the kernel holds the hostile name" \
	[ "$(head -c 15 "/proc/$PY_PID/comm" | od -An -tx1 | tr -d ' \n')" = "$(printf '%s' "$NAME" | od -An -tx1 | tr -d ' \n')" ]

# no_esc NAME FILE...: not one ESC byte in the files
no_esc() { local n=$1; shift; check "$n: no ESC byte" [ "$(cat "$@" | tr -cd '\033' | wc -c)" = 0 ]; }
# no_forged NAME FILE...: no line of ours that the target wrote
no_forged() {
	local n=$1; shift
	check "$n: no forged 'loopscope: FAKE' line" [ "$(cat "$@" | grep -c '^loopscope: FAKE')" = 0 ]
	check "$n: no line starts with the name's tail" \
		[ "$(cat "$@" | grep -cE '^loopscope(\[|\)|$|  )')" = 0 ]
}

cd "$TMP" || exit 1
timeout 30 "$LS" record -p "$PY_PID" -d 2 --summary s.json --folded f.txt -o t.pftrace \
	> rec.out 2> rec.err
rc=$?
check "record exits 0" [ "$rc" = 0 ]
crashed rec.err && fail "record crashed"
no_esc "record" rec.out rec.err
no_forged "record" rec.out rec.err
check "record: the loop is named, escaped, in the end summary" \
	grep -qF "  loop $NAME_TEXT[$PY_PID]:" rec.err
check "record: the status line names the target escaped" \
	grep -qF "($TARGET_TEXT" rec.err

# ---- folded: the name is the root frame of every line, one frame ----
check "folded: some stacks" [ -s f.txt ]
check "folded: every line is 'name;frames... count' with the name as one frame" \
	[ "$(grep -cvF "$NAME_FOLD;" f.txt)" = 0 ]
check "folded: every line ends with a count" [ "$(grep -cvE ' [0-9]+$' f.txt)" = 0 ]
check "folded: each line's first frame is exactly the escaped name" \
	[ "$(NAME_FOLD=$NAME_FOLD awk -F';' '$1 != ENVIRON["NAME_FOLD"]' f.txt | wc -l)" = 0 ]
check "folded: no ESC or other control byte" [ "$(tr -d '\n' < f.txt | tr -cd '\000-\037\177' | wc -c)" = 0 ]

# ---- JSON: valid, the real bytes decoded ----
check "JSON parses" json s.json 1
check "JSON: the loop's comm is the real name" \
	[ "$(json s.json "s['loops'][0]['comm'].encode().hex()")" = "$(printf '%s' "$NAME" | od -An -tx1 | tr -d ' \n')" ]
check "JSON: the command line holds the forged text as data" \
	[ "$(json s.json "'FAKE LINE' in s['target']['command'] and '\x1b]0;' in s['target']['command']")" = True ]
check "JSON: no raw control byte in the file" [ "$(tr -cd '\000-\037\177' < s.json | tr -d '\n' | wc -c)" = 0 ]

# ---- the trace: valid, with the name's real (valid UTF-8) bytes ----
check "trace validates" validate_trace t.pftrace
check "trace: the thread is named by its real bytes" grep -qF "$NAME" t.pftrace.dump

# ---- report ----
timeout 10 "$LS" report s.json > rep.out 2> rep.err
check "report exits 0" [ $? = 0 ]
no_esc "report" rep.out rep.err
no_forged "report" rep.out rep.err
# row_has FILE: a row "PID  NAME_TEXT ..." (the columns pad the tid)
row_has() { grep -F " $NAME_TEXT " "$1" | grep -q "^$PY_PID "; }
check "report: the loop row names it escaped" row_has rep.out
check "report: the command line is escaped" grep -qF 'x\x0aloopscope: FAKE LINE\x1b]0;pwned\x07' rep.out

# a summary file with a hostile key: the reader's error message quotes it
printf '{"a":1,"\033[2J\nloopscope: FAKE":1,"\033[2J\nloopscope: FAKE":2}' > dup.json
timeout 10 "$LS" report dup.json > dup.out 2> dup.err
check "report: a bad file is exit 2" [ $? = 2 ]
no_esc "report error" dup.out dup.err
no_forged "report error" dup.out dup.err
check "report error: one line" [ "$(wc -l < dup.err)" = 1 ]

# ---- top, piped and in a terminal ----
timeout 20 "$LS" top -p "$PY_PID" -n 2 > top.out 2> top.err
check "piped top exits 0" [ $? = 0 ]
no_esc "piped top" top.out top.err
no_forged "piped top" top.out top.err
check "piped top names the target escaped" grep -qF "($TARGET_TEXT" top.err
check "piped top: busy% at most 100" \
	[ "$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^busy%=/) { sub("busy%=", "", $i); if ($i + 0 > 100) print } }' top.out | wc -l)" = 0 ]

if command -v tmux > /dev/null; then
	S=lshost$$
	t() { tmux -L "$S" "$@"; }
	t new-session -d -s "$S" -x 120 -y 30 "env PS1='$ ' bash --norc --noprofile"
	t pipe-pane -t "$S" -o "cat > $TMP/pane.raw"
	t send-keys -t "$S" "NO_COLOR=1 $LS top -p $PY_PID -n 4; echo exit=\$?" Enter
	for i in $(seq 1 100); do	# the screen while top draws it (alternate buffer)
		t capture-pane -p -t "$S" > pane 2> /dev/null
		row_has pane && break
		sleep 0.1
	done
	for i in $(seq 1 100); do
		t capture-pane -p -t "$S" > done 2> /dev/null
		grep -q '^exit=' done && break
		sleep 0.1
	done
	t kill-server 2> /dev/null
	check "tty top exits 0" grep -q '^exit=0' done
	check "tty top draws the loop row, name escaped" row_has pane
	check "tty top: the header names the target escaped" grep -qF "($TARGET_TEXT" pane
	check "tty top: busy% at most 100" \
		[ "$(grep -F " $NAME_TEXT " pane | awk '$5 + 0 > 100' | wc -l)" = 0 ]
	no_forged "tty top" pane
	# the raw bytes top wrote: only its own sequences (CSI H, 2J, ?1049, ?25), never the name's
	check "tty top: the name's ESC [2J; never reaches the terminal" \
		[ "$(grep -c $'\e\\[2J;' "$TMP/pane.raw")" = 0 ]
	check "tty top: no title sequence (ESC ]) reaches the terminal" \
		[ "$(grep -c $'\e\\]' "$TMP/pane.raw")" = 0 ]
else
	fail "tmux missing (apt-get install tmux)"
fi

kill "$PY_PID" 2> /dev/null

# ---- top's busy% when an iteration is longer than the interval ----
# Each iteration burns 1.2 s of CPU, with -i 0.5: top counted a whole
# iteration's busy time in the interval where it ended (240%). Now each
# window covers the loop's own timeline, so busy% is near 100, and "-" in
# a window in which no iteration ended.
(cd "$TMP" && exec setpriv --reuid=65534 --regid=65534 --clear-groups "$PY" stall.py \
	> "$TMP/stall.out" 2>&1) &
STALL_PID=$!
PIDS="$PIDS $STALL_PID"
wait_for "$TMP/stall.out" '^ready' || fail "the stalling target starts"
timeout 30 "$LS" top -p "$STALL_PID" -i 0.5 -n 10 > "$TMP/stall.lines" 2> "$TMP/stall.err"
check "top on a 1.2 s iteration exits 0" [ $? = 0 ]
check "ten lines" [ "$(wc -l < "$TMP/stall.lines")" = 10 ]
sed -n 's/.* busy%=\([^ ]*\) .*/\1/p' "$TMP/stall.lines" > "$TMP/stall.pct"
check "busy% never above 100" [ "$(awk '$1 != "-" && $1 + 0 > 100' "$TMP/stall.pct" | wc -l)" = 0 ]
check "busy% near 100 where an iteration ended" \
	[ "$(awk '$1 != "-" && $1 + 0 >= 90' "$TMP/stall.pct" | wc -l)" -ge 2 ]
check "'-' in windows where none ended" [ "$(grep -c '^-$' "$TMP/stall.pct")" -ge 2 ]
kill "$STALL_PID" 2> /dev/null
finish
