#!/usr/bin/env python3
"""Checks libuv phases in a pftrace-dump listing: inside every iteration of
the loop thread, the phase slices (children of "busy") must follow libuv's
order. Usage: phase_order.py DUMP LOOP_TID ORDER (comma-separated names).
Prints one line per problem, then "iterations N with_phases M"; exit 1 on
any problem."""
import sys

dump, tid, order = sys.argv[1], sys.argv[2], sys.argv[3].split(',')
tracks = {l.split()[1] for l in open(dump) if l.startswith('track ') and l.split()[2] == 'thread'
          and l.split()[4] == tid}
slices = []
for line in open(dump):
    f = line.split(' ', 6)
    if f[0] != 'slice' or f[1] not in tracks:
        continue
    rest = f[5] + ' ' + (f[6] if len(f) > 6 else '')
    name = rest.split(' ')[0] if not rest.startswith(('I/O callbacks', 'STALL')) else \
        ('I/O callbacks' if rest.startswith('I/O') else 'STALL')
    slices.append((int(f[2]), int(f[3]), int(f[4]), name))
iters = sorted((s for s in slices if s[2] == 0 and s[3] in ('iteration', 'STALL')))
phases = sorted(s for s in slices if s[2] == 2 and s[3] in order)
bad, with_phases, i = 0, 0, 0
for ts, dur, _, _ in iters:
    names = []
    while i < len(phases) and phases[i][0] < ts + dur:
        if phases[i][0] >= ts:
            names.append(phases[i][3])
        i += 1
    if names:
        with_phases += 1
    pos = 0
    for n in names:
        try:
            pos = order.index(n, pos) + 1
        except ValueError:
            print('out of order at ts %d: %s' % (ts, ','.join(names)))
            bad += 1
            break
print('iterations %d with_phases %d' % (len(iters), with_phases))
sys.exit(1 if bad or not with_phases else 0)
