// SPDX-License-Identifier: BSD-2-Clause
//
// cluster-stall.js: a node `cluster` whose loops are all in child
// processes, a fixture for following process trees (issue 15). The primary
// forks WORKERS workers (default 2) that share one HTTP port on 127.0.0.1
// (the primary accepts and hands each connection to a worker, round-robin).
// A request to /stall makes the worker that serves it run stallFor() on its
// loop thread, busy for STALL_MS (default 90 ms) of wall time; any other
// path answers at once. Every reply names the worker's pid, so a client
// knows which process stalled:
//   stall pid 1235 n 3 ms 90      (the 3rd /stall this worker served)
//   ok pid 1236
//
// USAGE: node examples/node/cluster-stall.js [PORT] [STALL_MS] [WORKERS]
//   PORT 0 (the default) picks a free port.
// Prints one line once every worker listens:
//   listening 127.0.0.1:PORT primary 1234 workers 1235 1236
// SIGTERM or SIGINT to the primary stops the workers, then the primary
// (exit 0); a worker that dies otherwise is not replaced.
'use strict';

const cluster = require('cluster');
const http = require('http');

const port = Number(process.argv[2] || 0);
const stallMs = Number(process.argv[3] || 90);
const nworkers = Number(process.argv[4] || 2);

// Synchronous and CPU-bound, all in this one function: the whole stall is
// one loop iteration of the worker, with no syscall in it (the clock is
// read through the vDSO, once per 256 rounds).
function stallFor(ms) {
  const end = process.hrtime.bigint() + BigInt(ms) * 1000000n;
  let h = 0x811c9dc5;
  let rounds = 0;

  while ((rounds & 255) || process.hrtime.bigint() < end) {
    h = Math.imul(h ^ rounds, 0x01000193) >>> 0;
    rounds++;
  }
  return h;
}

if (cluster.isPrimary) {
  // Round-robin is node's default on Linux; say it, so a changed default
  // cannot turn this into the kernel's (unbalanced) accept race.
  cluster.schedulingPolicy = cluster.SCHED_RR;
  const listening = new Map();
  let stopping = false;

  for (let i = 0; i < nworkers; i++)
    cluster.fork();
  cluster.on('listening', (worker, address) => {
    listening.set(worker.process.pid, address.port);
    if (listening.size === nworkers) {
      const ports = new Set(listening.values());
      console.log(`listening 127.0.0.1:${[...ports][0]} primary ${process.pid} ` +
                  `workers ${[...listening.keys()].join(' ')}`);
    }
  });
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping)
      console.error(`worker ${worker.process.pid} died (${signal || code})`);
    if (Object.keys(cluster.workers).length === 0)
      process.exit(0);
  });
  for (const sig of ['SIGTERM', 'SIGINT']) {
    process.on(sig, () => {
      stopping = true;
      if (Object.keys(cluster.workers).length === 0)
        process.exit(0);
      for (const w of Object.values(cluster.workers))
        w.process.kill('SIGTERM');
    });
  }
} else {
  let stalls = 0;
  const server = http.createServer((req, res) => {
    res.setHeader('Connection', 'close');
    if (req.url.startsWith('/stall')) {
      stallFor(stallMs);
      stalls++;
      res.end(`stall pid ${process.pid} n ${stalls} ms ${stallMs}\n`);
      return;
    }
    res.end(`ok pid ${process.pid}\n`);
  });
  server.listen(port, '127.0.0.1');
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
  // Ctrl-C in a terminal reaches the whole group: the primary stops us.
  process.on('SIGINT', () => {});
}
