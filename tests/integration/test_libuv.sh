#!/bin/bash
# The libuv tier against the real node binary (libuv 1.46 inside) and a C
# program on Debian's libuv 1.44: phases, thread-pool queue latency, flows.
. "$(dirname "$0")/lib.sh"
require_root "libuv"
NODE=$(command -v node || true)
[ -n "$NODE" ] || { fail "node is not installed"; finish; exit 1; }
HERE=$(cd "$(dirname "$0")/../.." && pwd)
ORDER_NEW="I/O callbacks,pending,check,closing,timers,pending,idle,prepare,poll"
ORDER_OLD="I/O callbacks,check,closing,timers,pending,idle,prepare,poll"

# ---- (b) 8 pbkdf2 items on 4 pool threads: 4 wait about one run time ----
UV_THREADPOOL_SIZE=4 "$LS" record -o "$TMP/pq.pftrace" --summary "$TMP/pq.json" -- \
	"$NODE" "$HERE/examples/node/pool-queue.js" 8 50000 > "$TMP/pq.out" 2> "$TMP/pq.err"
check "pool: record exits 0" [ $? = 0 ]
check "pool: libuv found in node" grep -q "libuv 1.46.* 5/5 phase probes, 12/12 thread-pool" "$TMP/pq.err"
check "pool: trace decodes" validate_trace "$TMP/pq.pftrace"
check "pool: 8 runs on workers" [ "$(grep -c ' run queue_work ' "$TMP/pq.pftrace.dump")" = 8 ]
python3 - "$TMP/pq.pftrace.dump" > "$TMP/pq.check" <<'PY'
# Ground truth: with 4 workers, items 1-4 start at once and items 5-8 wait
# until a worker is free: each queued item is picked up when the previous
# item on its worker ends. That holds whatever CPU contention does to the
# run times (a median-based check does not on this 2-core machine).
import re, sys, statistics
runs = []
for l in open(sys.argv[1]):
    if l.startswith('slice ') and ' run queue_work ' in l:
        f = l.split()
        q = float(re.search(r'queue_ms=([0-9.e+-]+)', l).group(1))
        runs.append({'worker': f[1], 'pickup': int(f[2]) / 1e6, 'dur': int(f[3]) / 1e6, 'q': q})
runs.sort(key=lambda r: r['q'])
first, queued = runs[:4], runs[4:]
med = statistics.median(r['dur'] for r in first) if first else 0
# the first 4 waited for no worker: each was picked up before any item ended (on 2
# cores, 4 busy workers may still wait for a CPU: 20 ms of 130 once in CI, so not
# "under 10% of a run", which measured the scheduler as much as the pool)
first_end = min((p['pickup'] + p['dur'] for p in runs), default=0)
ok = len(runs) == 8 and all(r['pickup'] < first_end for r in first)
gaps = []
for r in queued:
    prev = [p for p in runs if p['worker'] == r['worker'] and p['pickup'] < r['pickup']]
    end = max((p['pickup'] + p['dur'] for p in prev), default=None)
    gap = r['pickup'] - end if end is not None else None
    gaps.append(gap)
    # the issue's criterion (one run +/- 25%), or, when contention skews the
    # runs, the hand-off itself: picked up after its worker's previous item
    # ended, never before, and well within a run of it. How soon is the
    # scheduler's: 4 busy workers on 2 cores left a worker that had just
    # finished off the CPU for 3.7-5.0 ms here and for more than 10 ms once in
    # CI (a queued item at 67.9 ms beside a 51.2 ms median run). A pickup
    # by the wrong worker, or a missed one, is off by a whole run or negative.
    ok = ok and gap is not None and gap >= -0.1 and (
        abs(r['q'] - med) <= 0.25 * med or gap <= max(10.0, 0.5 * med))
print('queue_ms', ' '.join('%.1f' % r['q'] for r in runs), 'median_run_ms %.1f' % med,
      'queued within 25%% of a run: %d/4' % sum(abs(r['q'] - med) <= 0.25 * med for r in queued),
      'hand-off gaps_ms', ' '.join('-' if g is None else '%.1f' % g for g in gaps))
sys.exit(0 if ok else 1)
PY
rc=$?
check "pool: 4 items queue ~0, 4 wait exactly until a worker frees ($(cat "$TMP/pq.check"))" [ $rc = 0 ]
ids=$(grep ' run queue_work ' "$TMP/pq.pftrace.dump" | grep -oE 'flow=[0-9]+' | sort -u)
links=$(for id in $ids; do grep -cE "\bt?${id}\b" "$TMP/pq.pftrace.dump"; done | sort | uniq -c)
check "pool: every item's flow links exactly 3 slices ($links)" [ "$(echo $links)" = "8 3" ]
depth=$(awk -v u="$(awk '$1 == "track" && /thread pool queued/ {print $2}' "$TMP/pq.pftrace.dump")" \
	'$1 == "counter" && $2 == u && $4 > m {m = $4} END {print m + 0}' "$TMP/pq.pftrace.dump")
check "pool: queue depth counter reaches at least 4 (got $depth)" [ "$depth" -ge 4 ]
"$LS" report "$TMP/pq.json" > "$TMP/pq.report" 2>&1
check "pool: report exits 0" [ $? = 0 ]
check "pool: report's pool table: 8 queue_work items done, none incomplete" \
	grep -Eq "^  queue_work +8 +0 " "$TMP/pq.report"
check "pool: report names the deepest queue" grep -Eq "deepest queue [4-8]," "$TMP/pq.report"
check "pool: the 8 items named by their class, from node's vtable symbols" \
	grep -Eq "^  DeriveBitsJob<PBKDF2Traits> +queue_work +8 +0 " "$TMP/pq.report"
check "pool: the JSON has the name (node's own startup reads are fs items of their own)" [ "$(json "$TMP/pq.json" \
	"[(n['name'], n['kind'], n['count']) for n in s['threadpool']['by_name'] if n['kind'] != 'fs']")" = "[('DeriveBitsJob<PBKDF2Traits>', 'queue_work', 8)]" ]

# ---- zlib and scrypt in node 20: one work function, two classes; names in the raw file too ----
cat > "$TMP/zs.js" <<'JS'
const zlib = require('zlib'), crypto = require('crypto');
let n = 0;
const buf = Buffer.alloc(1 << 16, 'a');
function next() { if (++n > 5) return crypto.scrypt('p', 's', 64, () => {}); zlib.gzip(buf, next); }
// after a pause: libuv's probes go in at the first loop wait, and an item
// submitted before them is not seen at all (once 5 of 10 gzip items, or all)
setTimeout(next, 300);
JS
"$LS" record -o "$TMP/zs.pftrace" --summary "$TMP/zs.json" --raw "$TMP/zs.raw" -- "$NODE" "$TMP/zs.js" \
	> /dev/null 2> "$TMP/zs.err"
check "pool kinds: record exits 0" [ $? = 0 ]
named() { json "$1" "sorted((n['name'], n['count'] > 0, n['incomplete']) for n in s['threadpool']['by_name'] if n['kind'] != 'fs')"; }
check "pool kinds: gzip is ZlibStream, scrypt DeriveBitsJob<ScryptTraits>, all done" \
	[ "$(named "$TMP/zs.json")" = "[('DeriveBitsJob<ScryptTraits>', True, 0), ('ZlibStream', True, 0)]" ]
check "pool kinds: 5 gzip calls, one scrypt" [ "$(json "$TMP/zs.json" \
	"[(n['name'], n['count']) for n in s['threadpool']['by_name'] if n['kind'] != 'fs' and ('Scrypt' in n['name'] or n['count'] < 5)]")" = "[('DeriveBitsJob<ScryptTraits>', 1)]" ]
"$LS" replay "$TMP/zs.raw" --summary "$TMP/zsr.json" -o "$TMP/zsr.pftrace" > /dev/null 2>&1
check "pool kinds: replay names them the same" [ "$(named "$TMP/zsr.json")" = "$(named "$TMP/zs.json")" ]
check "pool: report's phases table lists the poll phase" grep -Eq "^  poll +[0-9]+ " "$TMP/pq.report"

# ---- (a) readFileSync on the loop vs readFile on the pool ----
head -c 1048576 /dev/urandom > "$TMP/data.bin"
"$LS" record -o "$TMP/fs.pftrace" --summary "$TMP/fs.json" -- \
	"$NODE" "$HERE/examples/node/fs-sync-vs-async.js" "$TMP/data.bin" 5 > /dev/null 2> "$TMP/fs.err"
check "fs: record exits 0" [ $? = 0 ]
check "fs: trace decodes" validate_trace "$TMP/fs.pftrace"
check "fs: sync reads flagged on the loop thread" \
	[ "$(json "$TMP/fs.json" "main(s)['sync_file_io']['calls'] >= 5")" = True ]
check "fs: async reads run as fs work on workers" [ "$(grep -c ' run fs ' "$TMP/fs.pftrace.dump")" -ge 5 ]
# ground truth: the script reads the file 5 times with readFileSync and 5 with readFile,
# each an open, an fstat, reads and a close in libuv (uv_fs_type read from each uv_fs_t)
check "fs: pool items by operation: 5+ fs.open, fs.read, fs.close done on workers" [ "$(json "$TMP/fs.json" \
	"all(any(n['name'] == op and n['kind'] == 'fs' and n['count'] >= 5 for n in s['threadpool']['by_name']) for op in ('fs.open', 'fs.read', 'fs.close'))")" = True ]
check "fs: the sync reads on the loop by operation too: 5+ fs.read run synchronously" [ "$(json "$TMP/fs.json" \
	"any(n['name'] == 'fs.read' and n['sync_on_loop'] >= 5 for n in s['threadpool']['by_name'])")" = True ]
loop_track=$(awk -v p="$(json "$TMP/fs.json" "main(s)['tid']")" '$1 == "track" && $3 == "thread" && $5 == p {print $2}' "$TMP/fs.pftrace.dump")
check "fs: file reads on workers are not findings" \
	[ "$(awk -v lt="$loop_track" '$1 == "slice" && $2 != lt && $6 == "read" && /fd_kind=file/' "$TMP/fs.pftrace.dump" | wc -l)" -ge 5 ]

# ---- (c) timers, check and I/O callbacks in libuv 1.46's order ----
# the rounds start once the phase probes are in (a slow symbol read must not miss them all)
"$LS" record -o "$TMP/ph.pftrace" --summary "$TMP/ph.json" -- \
	"$NODE" "$HERE/examples/node/phases.js" 50 "$TMP/ph.go" > /dev/null 2> "$TMP/ph.err" &
rec=$!
wait_for "$TMP/ph.err" "phase probes" 30 || fail "phases: the probes were announced"
touch "$TMP/ph.go"
wait "$rec"
check "phases: record exits 0" [ $? = 0 ]
check "phases: trace decodes" validate_trace "$TMP/ph.pftrace"
tid=$(json "$TMP/ph.json" "main(s)['tid']")
python3 "$HERE/tests/integration/phase_order.py" "$TMP/ph.pftrace.dump" "$tid" "$ORDER_NEW" > "$TMP/ph.check"
rc=$?
check "phases: in libuv 1.46 order in every iteration ($(tail -1 "$TMP/ph.check"))" [ $rc = 0 ]
for p in timers check "I/O callbacks" poll idle prepare; do
	check "phases: '$p' present" grep -q " 2 $p " "$TMP/ph.pftrace.dump"
done
check "phases: pending and closing marked inferred" grep -q " 2 closing inferred=1" "$TMP/ph.pftrace.dump"

# ---- JS callbacks (opt-in): one slice per entry into JS, on their own track ----
"$LS" record --js-callbacks -o "$TMP/js.pftrace" --summary "$TMP/js.json" -- \
	"$NODE" "$HERE/examples/node/phases.js" 20 "$TMP/js.go" > /dev/null 2> "$TMP/js.err" &
rec=$!
wait_for "$TMP/js.err" "JS callbacks" 30 || fail "js callbacks: the probes were announced"
touch "$TMP/js.go"
wait "$rec"
check "js callbacks: record exits 0" [ $? = 0 ]
check "js callbacks: announced" grep -q "JS callbacks" "$TMP/js.err"
check "js callbacks: trace decodes" validate_trace "$TMP/js.pftrace"
check "js callbacks: a track of their own" grep -q "^track .* JS callbacks$" "$TMP/js.pftrace.dump"
n=$(grep -c " JS callback $" "$TMP/js.pftrace.dump")
check "js callbacks: at least one per round trip (got $n for 20)" [ "$n" -ge 20 ]
check "js callbacks: in the summary's phases" \
	[ "$(json "$TMP/js.json" "main(s)['phases']['JS callback']['count'] >= 20")" = True ]

# ---- (d) a C program on Debian's static libuv 1.44 ----
"$LS" record -o "$TMP/uv.pftrace" --summary "$TMP/uv.json" -- "$EX/uv-work-static" 8 50 > "$TMP/uv.out" 2> "$TMP/uv.err"
check "static libuv: record exits 0" [ $? = 0 ]
check "static libuv: found by its static symbols" grep -q "libuv 1.44.* 5/5 phase probes" "$TMP/uv.err"
check "static libuv: trace decodes" validate_trace "$TMP/uv.pftrace"
check "static libuv: 8 work items run" [ "$(grep -c ' run queue_work ' "$TMP/uv.pftrace.dump")" = 8 ]
check "static libuv: named by their work function, work()" [ "$(json "$TMP/uv.json" \
	"[(n['name'], n['count']) for n in s['threadpool']['by_name']]")" = "[('work', 8)]" ]
tid=$(json "$TMP/uv.json" "s['loops'][0]['tid']")
python3 "$HERE/tests/integration/phase_order.py" "$TMP/uv.pftrace.dump" "$tid" "$ORDER_OLD" > "$TMP/uv.check"
rc=$?
check "static libuv: phases in libuv 1.44 order ($(tail -1 "$TMP/uv.check"))" [ $rc = 0 ]

# ---- (e) the stripped shared libuv: a clear note, and the recording goes on ----
"$LS" record -o "$TMP/sh.pftrace" --summary "$TMP/sh.json" -- "$EX/uv-work-shared" 8 20 > /dev/null 2> "$TMP/sh.err"
check "stripped libuv: record exits 0" [ $? = 0 ]
check "stripped libuv: says phases are unavailable" grep -q "phases unavailable" "$TMP/sh.err"
check "stripped libuv: the epoll tier still finds the loop" \
	[ "$(json "$TMP/sh.json" "s['loops'][0]['iterations'] > 0")" = True ]
check "stripped libuv: trace decodes" validate_trace "$TMP/sh.pftrace"

# ---- (f) its thread pool, through the callbacks uv_queue_work was given ----
# 8 items of 300 ms on 4 workers: the callbacks are probed at the first
# submit, long before the first item ends, so every item is seen done
"$LS" record -o "$TMP/sc.pftrace" --summary "$TMP/sc.json" -- "$EX/uv-work-shared" 8 300 > /dev/null 2> "$TMP/sc.err"
check "stripped libuv pool: record exits 0" [ $? = 0 ]
check "stripped libuv pool: 8 items done, none incomplete, named work()" [ "$(json "$TMP/sc.json" \
	"[(n['name'], n['count'], n['incomplete']) for n in s['threadpool']['by_name']]")" = "[('work', 8, 0)]" ]
# a 300 ms sleep: never much under; over by a loaded pool's wakeups, under 1.5x
check "stripped libuv pool: run time about 300 ms (p99 within 290-450)" [ "$(json "$TMP/sc.json" \
	"290 <= s['threadpool']['kinds']['queue_work']['run']['p99_ms'] < 450")" = True ]
check "stripped libuv pool: 4 workers seen" [ "$(json "$TMP/sc.json" "s['threadpool']['pool_size_seen']")" = 4 ]
check "stripped libuv pool: said to be seen from the first submit" \
	[ "$(json "$TMP/sc.json" "s['threadpool']['probed_late']")" = 1 ]
"$LS" report "$TMP/sc.json" > "$TMP/sc.report"
check "stripped libuv pool: report says so" grep -q "seen from its first submit on" "$TMP/sc.report"
check "stripped libuv pool: trace decodes" validate_trace "$TMP/sc.pftrace"
check "stripped libuv pool: run slices on workers" [ "$(grep -c ' run queue_work ' "$TMP/sc.pftrace.dump")" -ge 4 ]

# ---- (g) Debian's node 18 on libuv.so.1 and libnode.so.108: pbkdf2 named and seen run ----
N18DIR=${LOOPSCOPE_NODE18:-/opt/loopscope-node18}
if [ -x "$N18DIR/usr/bin/node" ]; then
	UV_THREADPOOL_SIZE=4 LD_LIBRARY_PATH="$N18DIR/usr/lib/x86_64-linux-gnu" "$LS" record \
		-o "$TMP/n18.pftrace" --summary "$TMP/n18.json" -- "$N18DIR/usr/bin/node" \
		"$HERE/examples/node/pool-queue.js" 8 200000 > /dev/null 2> "$TMP/n18.err"
	check "node 18 pool: record exits 0" [ $? = 0 ]
	# the first items may run before the callbacks are probed: most, not all
	check "node 18 pool: pbkdf2 named from libnode's exported vtable, 6+ of 8 done ($(json "$TMP/n18.json" "s['threadpool']['by_name']"|head -c 200))" \
		[ "$(json "$TMP/n18.json" "[(n['name'], n['count'] + n['incomplete'] == 8, n['count'] >= 6) for n in s['threadpool']['by_name'] if n['kind'] != 'fs']")" = "[('DeriveBitsJob<PBKDF2Traits>', True, True)]" ]
	check "node 18 pool: workers seen" [ "$(json "$TMP/n18.json" "s['threadpool']['pool_size_seen'] >= 2")" = True ]
else
	fail "Debian's node 18 is not in $N18DIR (tests/install-node18.sh)"
fi

finish
