#!/bin/bash
# loopscope report on a real recording of the example server, its --json
# round trip, and bad input: each bad file is one line on stderr and exit 2.
. "$(dirname "$0")/lib.sh"
require_root "report"
export LOOPSCOPE=$LS EXAMPLES=$EX
GATE=$(dirname "$0")/../../examples/ci/perf-gate.sh


check "record a fixture (perf-gate.sh -r)" "$GATE" -r -n 1 -o "$TMP/fixture"
R=$TMP/fixture/run-1.json
expect "report exits 0" 0 "" -- "$LS" report "$R"
cp "$TMP/out" "$TMP/report.txt"
check "heading names the file" grep -q "^loopscope report: $R" "$TMP/report.txt"
check "loop table row for epoll-server" grep -qE "^[0-9]+ +epoll-server +[0-9]+ " "$TMP/report.txt"
check "latency table has busy and poll wait" \
	sh -c "grep -qE '^  busy +[0-9]+ ' '$TMP/report.txt' && grep -qE '^  poll wait +[0-9]+' '$TMP/report.txt'"
check "busy histogram drawn" grep -q "busy usecs : count" "$TMP/report.txt"
check "30 ms blocks in the 16384 -> 32767 us row" grep -qE "16384 -> 32767 +: [1-9]" "$TMP/report.txt"
check "syscalls with fd kinds" grep -qE "^  read +[0-9]+ .*socket [0-9]+" "$TMP/report.txt"
check "drops 0" grep -q "^drops    0" "$TMP/report.txt"
check "no line over 80 columns" [ "$(awk 'length > 80' "$TMP/report.txt" | wc -l)" = 0 ]
check "no colour when piped" [ "$(grep -c $'\033' "$TMP/report.txt")" = 0 ]
# wall-clock times: the recording's start within a minute of the clock's (its stalls: test_stacks)
check "start_utc is the wall clock of the recording" python3 -c "
import datetime, json, os, sys
s = json.load(open(sys.argv[1]))
start = datetime.datetime.strptime(s['start_utc'], '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=datetime.timezone.utc)
made = datetime.datetime.fromtimestamp(os.path.getmtime(sys.argv[1]), datetime.timezone.utc)
sys.exit(0 if 0 <= (made - start).total_seconds() < 60 else 1)" "$R"
"$LS" report --top 1 "$R" > "$TMP/top1.txt"
check "--top 1: one syscall row" [ "$(grep -cE '^  (epoll_wait|read|write) ' "$TMP/top1.txt")" = 1 ]
"$LS" report --no-hist "$R" > "$TMP/nohist.txt"
check "--no-hist" [ "$(grep -c 'busy usecs' "$TMP/nohist.txt")" = 0 ]
check "report - reads stdin" sh -c "'$LS' report - < '$R' | grep -q epoll-server"
expect "report -q is silent" 0 "" -- "$LS" report -q "$R"
check "report -q printed nothing" [ ! -s "$TMP/out" ]

# --json: the same schema; reading it back gives the same document again
"$LS" report --json "$R" > "$TMP/r1.json"
check "--json is valid JSON" [ "$(json "$TMP/r1.json" "s['schema_version']")" = 1 ]
check "--json keeps the histograms" [ "$(json "$TMP/r1.json" "s['loops'][0]['busy']['hist']['count'] == s['loops'][0]['iterations']")" = True ]
"$LS" report --json "$TMP/r1.json" > "$TMP/r2.json"
check "--json round trip is stable" cmp -s "$TMP/r1.json" "$TMP/r2.json"
check "--json equals what record wrote" \
	[ "$(python3 -c "import json,sys; a,b=(json.load(open(f)) for f in sys.argv[1:]); print(a==b)" "$R" "$TMP/r1.json")" = True ]

# bad input
expect "missing file" 2 "report: $TMP/none.json: No such file" -- "$LS" report "$TMP/none.json"
: > "$TMP/empty.json"
expect "empty file" 2 "byte 0: empty input" -- "$LS" report "$TMP/empty.json"
head -c 700 "$R" > "$TMP/trunc.json"
expect "truncated JSON" 2 "byte 700: " -- "$LS" report "$TMP/trunc.json"
sed 's/"loops":\[{/"loops":[{,/' "$R" > "$TMP/corrupt.json"
expect "corrupt JSON" 2 "byte [0-9]+: unexpected ','" -- "$LS" report "$TMP/corrupt.json"
sed 's/"schema_version":1/"schema_version":99/' "$R" > "$TMP/v99.json"
expect "wrong schema_version" 2 "schema_version: unsupported number 99" -- "$LS" report "$TMP/v99.json"
echo '{"hello":"world"}' > "$TMP/other.json"
expect "not a summary" 2 "schema_version: missing" -- "$LS" report "$TMP/other.json"
sed 's/"hist":{"count":\([0-9]*\)/"hist":{"count":1\1/' "$R" > "$TMP/badhist.json"
expect "inconsistent histogram" 2 "loops\[0\]\.busy\.hist: bucket counts add up" -- "$LS" report "$TMP/badhist.json"
head -c 65536 /dev/urandom > "$TMP/garbage.json"
expect "binary garbage" 2 "byte [0-9]+: " -- "$LS" report "$TMP/garbage.json"
python3 -c "print('[' * 100000)" > "$TMP/deep.json"
expect "deep nesting" 2 "nested deeper than 64" -- "$LS" report "$TMP/deep.json"
truncate -s 70M "$TMP/huge.json"
expect "huge file" 2 "larger than 64 MiB" -- "$LS" report "$TMP/huge.json"
expect "directory" 2 "Is a directory" -- "$LS" report "$TMP"
expect "no file" 2 "no summary file" -- "$LS" report
expect "two files" 2 "one summary file at a time" -- "$LS" report "$R" "$R"
expect "--json and -q conflict" 2 "conflict" -- "$LS" report --json -q "$R"
expect "bad --top" 2 "invalid --top 'x'" -- "$LS" report --top x "$R"
expect "help report" 0 "" -- "$LS" help report
check "help shows examples" grep -q "EXAMPLES" "$TMP/out"

finish
