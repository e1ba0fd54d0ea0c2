'use strict';
// Stalls that allocate hard, in closures made fresh each time: V8's
// scavenges move the young objects (JSFunctions among them) while the
// stacks are sampled. Run it with --perf-basic-prof beside loopscope's V8
// reader, and every frame both name must be the same function.
const rounds = Number(process.argv[2] || 6);

function makeWorker(k) {
  return function worker(n) {
    const out = [];
    for (let i = 0; i < n; i++) out.push({ k, i, s: 'v' + i });
    return out.length;
  };
}

function churn(ms) {
  const end = Date.now() + ms;
  let keep = [], made = 0;
  while (Date.now() < end) {
    const w = makeWorker(made++);
    keep.push(w(3000), { big: new Array(500).fill(made) });
    if (keep.length > 4000) keep = [];
  }
  return made;
}

function stall() {
  return churn(150);
}

let n = 0;
function tick() {
  stall();
  if (++n < rounds) setTimeout(tick, 20);
}
setTimeout(tick, 100);
