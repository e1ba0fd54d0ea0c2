// Thread-pool queue latency ground truth: N concurrent crypto.pbkdf2 calls
// on a pool of UV_THREADPOOL_SIZE threads (run with UV_THREADPOOL_SIZE=4).
// Items beyond the pool size wait in libuv's queue for about one run time.
// Usage: node pool-queue.js [ITEMS=8] [ITERATIONS=200000]
'use strict';
const crypto = require('crypto');
const items = Number(process.argv[2] || 8);
const iterations = Number(process.argv[3] || 200000);

// Start after a pause, so a tracer attached at exec sees every submit.
setTimeout(() => {
  const t0 = process.hrtime.bigint();
  let left = items;
  for (let i = 0; i < items; i++) {
    crypto.pbkdf2('secret', 'salt' + i, iterations, 64, 'sha512', (err) => {
      if (err) throw err;
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      console.log(`item ${i} done at ${ms.toFixed(1)} ms`);
      if (--left === 0) setTimeout(() => process.exit(0), 100);
    });
  }
}, 300);
