// The readFileSync story: the same file read synchronously on the loop
// thread (a finding) and asynchronously on the pool (reads on workers).
// Usage: node fs-sync-vs-async.js FILE [ROUNDS=5]
'use strict';
const fs = require('fs');
const file = process.argv[2] || process.execPath;
const rounds = Number(process.argv[3] || 5);
let round = 0;

function next() {
  if (round++ === rounds) return setTimeout(() => process.exit(0), 100);
  const sync = fs.readFileSync(file);
  fs.readFile(file, (err, data) => {
    if (err) throw err;
    if (data.length !== sync.length) throw new Error('size mismatch');
    setTimeout(next, 20);
  });
}
setTimeout(next, 300);
