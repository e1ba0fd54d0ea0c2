// SPDX-License-Identifier: BSD-2-Clause
//
// busy-server.js: an HTTP server whose event loop a named JS function
// blocks: a fixture for loopscope's stall stacks (issue 5). Requests to
// /login call hashPasswordsSync(), which computes on the loop thread for
// BLOCK_MS (default 100 ms): every other request waits behind it. Any other
// path answers at once. With --perf-basic-prof the stall's top JS frame must
// be hashPasswordsSync.
//
// USAGE: node --perf-basic-prof --interpreted-frames-native-stack \
//             examples/node/busy-server.js [PORT] [BLOCK_MS]
//   PORT 0 (the default) picks a free port. Listens on 127.0.0.1 only.
// Prints "listening 127.0.0.1:PORT pid PID" when ready.
//   curl http://127.0.0.1:PORT/login   # blocks the loop ~100 ms
//   curl http://127.0.0.1:PORT/pbkdf2  # crypto.pbkdf2 on the thread pool
//   curl http://127.0.0.1:PORT/        # fast
'use strict';

const http = require('http');
const crypto = require('crypto');

const port = Number(process.argv[2] || 0);
const blockMs = Number(process.argv[3] || 100);
let blocked = 0;

// Deliberately synchronous and CPU-bound, all in this one function, so the
// samples of a stall land in it rather than in helpers or native code: the
// clock is read once per 256 rounds (read every round, most samples were in
// process.hrtime's native path, which unwinds to this function's call site
// and so shared one stack, while those in the hashing spread over its code).
function hashPasswordsSync(password, ms) {
  const end = process.hrtime.bigint() + BigInt(ms) * 1000000n;
  let h = 0x811c9dc5;
  let rounds = 0;

  while ((rounds & 255) || process.hrtime.bigint() < end) {
    for (let i = 0; i < password.length; i++) {
      h ^= password.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    rounds++;
  }
  return { hash: h.toString(16), rounds };
}

const server = http.createServer((req, res) => {
  if (req.url.startsWith('/login')) {
    const r = hashPasswordsSync('correct horse battery staple', blockMs);
    blocked++;
    res.end(`hash ${r.hash} rounds ${r.rounds} blocked ${blocked}\n`);
    return;
  }
  if (req.url.startsWith('/pbkdf2')) {	// off the loop: a thread-pool item
    crypto.pbkdf2('correct horse', 'salt', 100000, 32, 'sha256', (err, key) => {
      res.end(err ? `error ${err.message}\n` : `key ${key.toString('hex').slice(0, 16)}\n`);
    });
    return;
  }
  res.end('ok\n');
});

server.listen(port, '127.0.0.1', () => {
  console.log(`listening 127.0.0.1:${server.address().port} pid ${process.pid}`);
});

// Exit cleanly when the tracer (or a test) stops us.
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => server.close(() => process.exit(0)));
}
