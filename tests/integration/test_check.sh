#!/bin/bash
# loopscope check as a CI gate on real recordings: the examples/ci script
# against its committed baseline (pass), with 30% longer blocks (regression;
# the 10% detection rate is a measurement, examples/ci/measure.sh, not a test
# that a loaded runner could flip),
# a second run of the same build (noise must pass), JUnit XML checked by
# xmllint, and bad input: one line on stderr and exit 2.
. "$(dirname "$0")/lib.sh"
require_root "check"
export LOOPSCOPE=$LS EXAMPLES=$EX
CI=$(cd "$(dirname "$0")/../../examples/ci" && pwd)

EXPECT_TIMEOUT=180

# record_into SET N [perf-gate args]: one recording, kept as $TMP/SET/run-N.json
record_into() {
	local set=$1 n=$2
	shift 2
	mkdir -p "$TMP/$set" &&
		"$CI/perf-gate.sh" -r -n 1 -o "$TMP/rec" "$@" &&
		mv "$TMP/rec/run-1.json" "$TMP/$set/run-$n.json"
}
# The three sets are recorded interleaved (base, same, slow, base, ...): a
# noisy spell of this shared runner then slows one run of each set, which
# the median of three absorbs, not a whole set, which no statistics can
# tell from a regression.
for n in 1 2 3; do
	check "record run $n of the baseline" record_into base "$n"
	check "record run $n of the same build" record_into same "$n"
	check "record run $n with 30% longer blocks" record_into slow "$n" -s 30
done
B=$TMP/base/run-1.json
BASE=(--baseline "$TMP/base/run-1.json" --baseline "$TMP/base/run-2.json" --baseline "$TMP/base/run-3.json")

# ---- verdicts ----
expect "a run against itself passes" 0 "check: pass: 4 metrics" -- "$LS" check --baseline "$B" "$B"
check "table header" grep -qE "^METRIC +BASELINE +CURRENT +CHANGE +95% CI +SPREAD +LIMIT +VERDICT" "$TMP/out"
check "no change on itself" grep -qE "^busy.p99 .* \+0\.0% .* ok$" "$TMP/out"
expect "same build, other runs: noise passes" 0 "check: pass" -- "$LS" check "${BASE[@]}" "$TMP"/same/*.json
expect "30% longer blocks: regression, exit 1" 1 "check: FAIL: [12] regressions?" -- \
	"$LS" check "${BASE[@]}" "$TMP"/slow/*.json --junit "$TMP/fail.xml"
check "p99 is the regression, about +30%" grep -qE "^busy.p99 .* \+(2[4-9]|3[0-6])\.[0-9]% .*REGRESSION$" "$TMP/out"
check "JUnit XML is well-formed" xmllint --noout "$TMP/fail.xml"
check "JUnit counts the failures (p99, and the mean)" \
	[ "$(xmllint --xpath 'string(/testsuites/testsuite/@failures)' "$TMP/fail.xml")" -ge 1 ]
check "JUnit failure names busy.p99" \
	[ "$(xmllint --xpath "count(//testcase[failure][@name='busy.p99'])" "$TMP/fail.xml")" = 1 ]
expect "faster is not a regression" 0 "improved" -- "$LS" check --baseline "$TMP/slow/run-1.json" "$B"
expect "a loose limit passes" 0 "check: pass" -- "$LS" check "${BASE[@]}" "$TMP"/slow/*.json \
	--max busy.p99=+60%
expect "absolute limit" 1 "REGRESSION" -- "$LS" check "${BASE[@]}" "$TMP"/slow/*.json --max busy.p99=31ms
expect "count limit" 0 "stalls .* ok" -- "$LS" check "${BASE[@]}" "$TMP"/slow/*.json --max stalls=0 \
	--max drops=0
expect "too few samples never fail" 0 "few-samples" -- "$LS" check --baseline "$B" "$TMP"/slow/*.json \
	--max busy.p9999=+1%
expect "-q prints only regressions" 1 "" -- "$LS" check -q --baseline "$B" "$TMP"/slow/*.json
check "-q: no ok rows" [ "$(grep -c ' ok$' "$TMP/out")" = 0 ]
expect "median of several runs" 0 "check: pass" -- "$LS" check "${BASE[@]}" "$TMP"/base/*.json
check "several runs: each side's run-to-run spread is shown" grep -qE "^busy.p99 .* [0-9]+\.[0-9]/[0-9]+\.[0-9]% +\+5% " "$TMP/out"
printf '# perf limits\nbusy.p50 = +1000%%   # microseconds: swings with the runner, keep loose\n\nsyscall.read.p99 = 5ms\n' > "$TMP/limits.conf"
expect "--config" 0 "syscall.read.p99" -- "$LS" check "${BASE[@]}" "$TMP"/same/*.json --config "$TMP/limits.conf"
check "--config replaces the defaults" [ "$(grep -c '^busy.p99' "$TMP/out")" = 0 ]
expect "--max overrides --config" 1 "REGRESSION" -- "$LS" check "${BASE[@]}" "$TMP"/slow/*.json \
	--config "$TMP/limits.conf" --max busy.p50=0ms

# ---- the CI script itself, against its committed baseline ----
# The committed baseline was recorded on another day: on a shared 2-vCPU
# runner a day's drift reached +5.2% on p99 and +44% on the mean (the mean
# moves with how requests batch into iterations). Against it, this checks the
# recipe end to end with limits a cross-day baseline can meet; detection at
# the default +5% is checked above against a baseline of the same run.
expect "perf-gate.sh passes against the committed baseline" 0 "check: pass" -- \
	"$CI/perf-gate.sh" -j "$TMP/gate.xml" -m busy.p99=+15% -m busy.mean=+60%
check "perf-gate.sh JUnit well-formed" xmllint --noout "$TMP/gate.xml"
expect "perf-gate.sh fails on a 30% slowdown" 1 "REGRESSION" -- "$CI/perf-gate.sh" -s 30

# ---- stalls, cause by cause: a short run, three 80 ms stalls (busy_spin) ----
# stall_run SET N MS [EXTRA]: the server under record, 3 BLOCK MS requests (and
# EXTRA, a command line, once), kept as $TMP/SET/run-N.json
stall_run() {
	local set=$1 n=$2 ms=$3 extra=${4:-} out=$TMP/st-srv.out port= i
	mkdir -p "$TMP/$set"
	rm -f "$out"
	"$LS" record -q -o "$TMP/st.pftrace" --summary "$TMP/$set/run-$n.json" -- "$EX/epoll-server" \
		> "$out" 2> "$TMP/st.err" &
	local rec=$!
	for i in $(seq 600); do grep -q '^listening' "$out" 2> /dev/null && break; sleep 0.05; done
	port=$(sed -n 's/^listening 127.0.0.1:\([0-9]*\).*/\1/p' "$out")
	[ -n "$port" ] || { kill "$rec"; return 1; }
	for i in 1 2 3; do "$EX/loadgen" -p "$port" --cmd "BLOCK $ms" > /dev/null || return 1; done
	[ -z "$extra" ] || "$EX/loadgen" -p "$port" --cmd "$extra" > /dev/null || return 1
	"$EX/loadgen" -p "$port" --cmd QUIT > /dev/null
	wait "$rec"
}
for n in 1 2 3; do
	check "stalls: baseline run $n" stall_run sb "$n" 80
	check "stalls: same build run $n" stall_run ss "$n" 80
	check "stalls: 10% longer run $n" stall_run s10 "$n" 88
done
check "stalls: one run 60% longer" stall_run s60 1 128
check "stalls: one run with a new off-CPU stall" stall_run snew 1 80 "SLEEP 100"
SB=(--baseline "$TMP/sb/run-1.json" --baseline "$TMP/sb/run-2.json" --baseline "$TMP/sb/run-3.json")
expect "stalls: 60% longer fails at one run a side, exactly" 1 "check: FAIL" -- \
	"$LS" check --baseline "$TMP/sb/run-1.json" "$TMP/s60/run-1.json" --junit "$TMP/causes.xml"
check "stalls: the cause's row: 80 ms -> 128 ms, +60%, by the exact rule" \
	grep -qE "^ +8[0-9]\.[0-9] ms +12[0-9]\.[0-9] ms +\+(5[5-9]|6[0-4])\.[0-9]% +1/1 +- +exact: one run on a side +REGRESSION$" "$TMP/out"
check "stalls: the row names busy_spin" grep -qE "^  busy_spin <- " "$TMP/out"
check "stalls: stall_time, compared by default, 240 ms -> 384 ms, exactly" \
	grep -qE "^stall_time +2[34][0-9]\.[0-9] ms +3[6-9][0-9]\.[0-9] ms +\+(5[5-9]|6[0-4])\.[0-9]% exact: 1 run .* REGRESSION$" "$TMP/out"
check "stalls: the stall count is unchanged" grep -qE "^stalls +3 +3 +\+0\.0% .* ok$" "$TMP/out"
check "stalls: one run a side says the verdict is weaker" grep -q "one run on a side: run-to-run noise is not measured" "$TMP/out"
check "stalls: JUnit has the cause as a failed testcase" \
	[ "$(xmllint --xpath "count(//testcase[failure][starts-with(@name,'stall cause: busy_spin')])" "$TMP/causes.xml")" = 1 ]
expect "stalls: same build, 3 runs a side, passes" 0 "check: pass: .* 1 stall cause" -- \
	"$LS" check "${SB[@]}" "$TMP"/ss/*.json
expect "stalls: 10% longer fails at 3 runs a side" 1 "check: FAIL" -- "$LS" check "${SB[@]}" "$TMP"/s10/*.json
check "stalls: every run past the other side's decided it" \
	grep -qE "\+(([5-9])|(1[0-4]))\.[0-9]% +3/3 +[0-9.]+/[0-9.]+% +every run past the other side's +REGRESSION$" "$TMP/out"
check "stalls: and stall_time, by the same rule" grep -qE "^stall_time .* every run .* REGRESSION$" "$TMP/out"
# two 80 ms runs and a 88 ms one against the reverse: the medians differ by 10%,
# the runs overlap: noise for stall_time and the cause alike, not a regression
expect "stalls: overlapping runs are noise, not a regression" 0 "check: pass" -- "$LS" check \
	--baseline "$TMP/sb/run-1.json" --baseline "$TMP/sb/run-2.json" --baseline "$TMP/s10/run-1.json" \
	"$TMP/s10/run-2.json" "$TMP/s10/run-3.json" "$TMP/sb/run-3.json"
check "stalls: stall_time reads noise" grep -qE "^stall_time .* \+(([5-9])|(1[0-4]))\.[0-9]% every run .* noise$" "$TMP/out"
expect "stalls: a loose stall_cause limit passes the 10%" 0 "check: pass" -- \
	"$LS" check "${SB[@]}" "$TMP"/s10/*.json --max stall_cause=+20%
check "stalls: the default stall limits follow stall_cause's" grep -qE "^stall_time .* \+20% +ok$" "$TMP/out"
expect "stalls: --no-stall-causes compares no cause, stall_time still fails" 1 \
	"check: FAIL: 1 regression in 4 metrics and 0 stall causes" -- \
	"$LS" check --baseline "$TMP/sb/run-1.json" "$TMP/s60/run-1.json" --no-stall-causes
expect "stalls: a new stall fails" 1 "check: FAIL" -- "$LS" check --baseline "$TMP/sb/run-1.json" "$TMP/snew/run-1.json"
check "stalls: the new one is off CPU in nanosleep, and new" \
	grep -B1 -E "^  .*nanosleep" "$TMP/out" | grep -qE " new +0/1 +new: in no baseline run +REGRESSION$"
# the busy limits loosened: this case is about the causes, and its two runs
# were recorded minutes apart (CI once saw busy.mean fail it, the cause improved)
expect "stalls: one gone is an improvement" 0 "improved" -- \
	"$LS" check --baseline "$TMP/snew/run-1.json" "$TMP/sb/run-1.json" --max busy.mean=+50% --max busy.p99=+50%
expect "stalls: stall_cause takes a relative limit" 2 "stall_cause: the limit is relative" -- \
	"$LS" check --baseline "$B" "$B" --max stall_cause=3

# ---- same workload or refuse ----
"$LS" record -q --label api-v1 -o "$TMP/l1.pftrace" --summary "$TMP/l1.json" -- node -e 'setTimeout(() => {}, 300)'
check "record --label goes into the summary" [ "$(json "$TMP/l1.json" "s['label']")" = api-v1 ]
expect "another program's runs are refused" 2 "^loopscope check: not the same workload: the baseline's loops run in epoll-server, the current run's in node \(--force compares them anyway\)$" -- \
	"$LS" check --baseline "$B" "$TMP/l1.json"
expect "--force compares them anyway" 0 "" -- "$LS" check --force --baseline "$B" "$TMP/l1.json" --max busy.p99=+1000%
python3 -c "
import json, sys
s = json.load(open(sys.argv[1])); s['label'] = 'api-v2\x1b[31m'; json.dump(s, open(sys.argv[2], 'w'))" "$TMP/l1.json" "$TMP/l2.json"
expect "runs of different labels are refused, the label escaped" 2 "^loopscope check: not the same workload: one run is labelled api-v1, another api-v2\\\\x1b\[31m \(--force" -- \
	"$LS" check --baseline "$TMP/l1.json" "$TMP/l2.json"
expect "--label takes a plain name" 2 "record: --label: 1 to 64 characters" -- "$LS" record --label 'a b' -- true

# ---- the CI examples: their steps, run here ----
# ci_steps FILE: the shell steps of a GitHub workflow or a GitLab job, one per
# line, but the machine's provisioning (apt-get) and the build (make): this
# suite has built already, with its own OUTPUT (and SAN) settings
ci_steps() {
	python3 - "$1" <<'PY'
import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
steps = []
for job in (doc.get('jobs') or {}).values():
    steps += [s['run'] for s in job.get('steps', []) if 'run' in s]
for k, job in doc.items():
    if isinstance(job, dict) and 'script' in job:
        steps += job['script']
for s in steps:
    s = s.strip()
    if 'apt-get' in s or s.startswith('make'):
        continue
    print(s[len('sudo -E '):] if s.startswith('sudo -E ') else s)
PY
}
for ci in github-actions gitlab-ci; do
	ci_steps "$CI/$ci.yml" > "$TMP/$ci.steps"
	check "$ci.yml: one gate step to run" [ "$(grep -c perf-gate.sh "$TMP/$ci.steps")" = 1 ]
	(cd "$CI/../.." && bash -e "$TMP/$ci.steps") > "$TMP/$ci.out" 2>&1
	check "$ci.yml: its steps pass against the committed baseline" [ $? = 0 ]
	check "$ci.yml: the gate said pass" grep -q "^check: pass" "$TMP/$ci.out"
	mv "$CI/../../perf.xml" "$TMP/$ci.xml" 2> /dev/null
	check "$ci.yml: perf.xml, the JUnit it publishes, is well-formed" xmllint --noout "$TMP/$ci.xml"
done

# ---- bad input: one line, exit 2 ----
expect "unknown metric" 2 "unknown metric" -- "$LS" check --baseline "$B" "$B" --max busy.p101=+5%
expect "unknown syscall" 2 "unknown metric" -- "$LS" check --baseline "$B" "$B" --max syscall.open.p99=1ms
expect "duration without unit" 2 "needs a unit" -- "$LS" check --baseline "$B" "$B" --max busy.p99=5
expect "bad limit" 2 "bad limit" -- "$LS" check --baseline "$B" "$B" --max busy.p99=fast
expect "no baseline" 2 "no baseline" -- "$LS" check "$B"
expect "no current" 2 "no current" -- "$LS" check --baseline "$B"
expect "-q and -v conflict" 2 "conflict" -- "$LS" check -q -v --baseline "$B" "$B"
expect "missing baseline file" 2 "check: $TMP/none.json: No such file" -- "$LS" check --baseline "$TMP/none.json" "$B"
sed 's/"schema_version":1/"schema_version":2/' "$B" > "$TMP/v2.json"
expect "wrong schema_version" 2 "unsupported number 2" -- "$LS" check --baseline "$B" "$TMP/v2.json"
head -c 500 "$B" > "$TMP/trunc.json"
expect "truncated current" 2 "byte 500" -- "$LS" check --baseline "$B" "$TMP/trunc.json"
: > "$TMP/empty.json"
expect "empty baseline" 2 "empty input" -- "$LS" check --baseline "$TMP/empty.json" "$B"
head -c 4096 /dev/urandom > "$TMP/garbage.json"
expect "garbage" 2 "byte [0-9]+" -- "$LS" check --baseline "$B" "$TMP/garbage.json"
expect "missing config" 2 "nope.conf: No such file" -- "$LS" check --baseline "$B" "$B" --config "$TMP/nope.conf"
printf 'busy.p99 +5%%\n' > "$TMP/bad.conf"
expect "bad config line" 2 "bad.conf:1: expected METRIC" -- "$LS" check --baseline "$B" "$B" --config "$TMP/bad.conf"
expect "junit not writable" 6 "cannot write $TMP/nodir/x.xml" -- "$LS" check --baseline "$B" "$B" --junit "$TMP/nodir/x.xml"
expect "help check" 0 "" -- "$LS" help check
check "help lists the metrics" grep -q "syscall.NAME.STAT" "$TMP/out"

finish
