// Callbacks landing in libuv's phases: timers (setTimeout), check
// (setImmediate), I/O callbacks (a socket's data), repeated for a while.
// Usage: node phases.js [ROUNDS=50] [GO_FILE]
// With GO_FILE the rounds start once that file exists (a tracer's probes are
// in by then: the test creates it when loopscope says so); else after 300 ms.
'use strict';
const fs = require('fs');
const net = require('net');
const rounds = Number(process.argv[2] || 50);
const goFile = process.argv[3];
let n = 0;

const server = net.createServer((sock) => sock.on('data', (d) => sock.write(d)));
server.listen(0, '127.0.0.1', () => {
  const client = net.connect(server.address().port, '127.0.0.1', () => {
    client.on('data', () => {
      setImmediate(() => {});		// check phase
      if (++n >= rounds) {
        client.end();
        server.close();
        return;
      }
      setTimeout(() => client.write('x'), 2);	// timers phase, then I/O
    });
    const start = () => client.write('x');
    if (!goFile)
      return setTimeout(start, 300);
    const poll = setInterval(() => {
      if (fs.existsSync(goFile)) {
        clearInterval(poll);
        start();
      }
    }, 20);
  });
});
