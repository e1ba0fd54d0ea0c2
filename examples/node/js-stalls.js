'use strict';
// Stalls in named functions, for the V8 frame reader.
const crypto = require('crypto');

function spinFor(ms) {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x++;
  return x;
}

function busyTwoDeep(ms) {
  return spinFor(ms);
}

function parseBig(big) {
  let n = 0;
  for (let i = 0; i < 6; i++) n += JSON.parse(big).length;
  return n;
}

function hashSync() {
  return crypto.pbkdf2Sync('pw', 'salt', 120000, 32, 'sha256');
}

const big = JSON.stringify(Array.from({ length: 200000 }, (_, i) => ({ i, s: 'x' + i })));
let round = 0;
function tick() {
  round++;
  if (round % 3 === 1) busyTwoDeep(120);
  else if (round % 3 === 2) parseBig(big);
  else hashSync();
  if (round < 9) setTimeout(tick, 30);
}
setTimeout(tick, 200);
