// SPDX-License-Identifier: BSD-2-Clause
// The realistic target of `make bench`: a minimal node HTTP server that
// answers "ok" on 127.0.0.1. Prints "listening PORT" once it accepts.
'use strict';
const http = require('http');

const port = Number(process.argv[2] || 0);
const server = http.createServer((req, res) => {
  res.end('ok');
});
server.listen(port, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
