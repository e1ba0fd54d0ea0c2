// Callbacks landing in libuv's phases: timers (setTimeout), check
// (setImmediate), I/O callbacks (a socket's data), repeated for a while.
// Usage: node phases.js [ROUNDS=50]
'use strict';
const net = require('net');
const rounds = Number(process.argv[2] || 50);
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
    setTimeout(() => client.write('x'), 300);
  });
});
