// SPDX-License-Identifier: BSD-2-Clause
//
// recurse.js: runaway JS recursion, caught, repeated: a fixture for
// loopscope's node stack-overflow diagnosis (issue 5). Each attempt ends in
// "RangeError: Maximum call stack size exceeded", which V8 raises from
// v8::internal::Isolate::StackOverflow(); the script catches it and goes on,
// so the process survives and the tracer must count every occurrence.
//
// USAGE: node [--perf-basic-prof --interpreted-frames-native-stack] \
//             examples/node/recurse.js [TIMES] [WAIT_MS] [GAP_MS]
//   TIMES    overflows to cause (default 5)
//   WAIT_MS  wait before the first one, so a tracer can attach (default 0)
//   GAP_MS   pause between overflows (default 100)
// Prints "pid PID" first and "caught N max_depth D" at the end.
'use strict';

const times = Number(process.argv[2] || 5);
const waitMs = Number(process.argv[3] || 0);
const gapMs = Number(process.argv[4] || 100);

let depth = 0;
let maxDepth = 0;

// Two named functions, so the diagnosis can show "recurseA -> recurseB -> recurseA".
function recurseA(n) {
  depth = n;
  return recurseB(n + 1) + 1;
}

function recurseB(n) {
  depth = n;
  return recurseA(n + 1) + 1;
}

function overflowOnce() {
  try {
    recurseA(0);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    maxDepth = Math.max(maxDepth, depth);
    return true;
  }
  return false;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  let caught = 0;

  console.log(`pid ${process.pid}`);
  await sleep(waitMs);
  for (let i = 0; i < times; i++) {
    if (overflowOnce()) caught++;
    await sleep(gapMs);
  }
  console.log(`caught ${caught} max_depth ${maxDepth}`);
}

main();
