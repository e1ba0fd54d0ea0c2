#!/usr/bin/env python3
# Writes the seed corpus of fuzz_correlator (tests/fuzz/corpus/correlator/)
# in the input format described at the top of fuzz_correlator.c: structs of
# bpf/loopscope.h, with times given as deltas (the harness folds them).
import os
import struct
import sys

SYSCALL, THREAD, THREAD_EXIT, UV_PHASE, UV_WORK, SAMPLE, OFFCPU, OVERFLOW, STACK = range(1, 10)
EPOLL_WAIT, READ, WRITE = 1, 4, 5
FD_FILE, FD_SOCKET, FD_EPOLL = 1, 2, 6


def syscall(tid, delta, dur, sys, fd, kind, ret=0, arg=0x100, flags=0):
	return bytes([SYSCALL]) + struct.pack('<IIIIQQqqiIII', 0, flags, 0, tid, delta, dur, ret, arg, fd, sys, kind, 0)


def thread(tid, delta, comm, exit=False):
	return bytes([THREAD_EXIT if exit else THREAD]) + struct.pack('<IIIIQ16s', 0, 0, tid, 0, delta, comm)


def phase(tid, delta, ph, dur, marker=False):
	return bytes([UV_PHASE]) + struct.pack('<IIIIQQ', 0, ph, 0, tid, delta, 0x200000 if marker else dur)


def work(tid, delta, event, w, kind=1, dur=0):
	return bytes([UV_WORK]) + struct.pack('<IIIIQQQII', 0, event, 0, tid, delta, dur or 0x200000, w, kind, 0)


def sample(tid, delta, ustack, kstack=0x10):
	return bytes([SAMPLE]) + struct.pack('<IIIIQiiQQ', 0, 0, tid, 1, delta, ustack, kstack, 4096, 8 << 20)


def offcpu(tid, delta, dur, waker, ustack, kstack):
	return bytes([OFFCPU]) + struct.pack('<IIIIQQii16s', 0, 0, tid, waker, delta, dur, ustack, kstack, b'waker')


def overflow(tid, delta, kind, ustack):
	return bytes([OVERFLOW]) + struct.pack('<IIIIQQQQQIi', 0, kind, 0, tid, delta, 0x7ffd0000, 0x7ffd0010,
					       0x7ffd0000, 0x7ffe0000, 5000, ustack)


def stack(sid, kernel, ips):
	return bytes([STACK, sid, kernel, len(ips)]) + b''.join(struct.pack('<H', i) for i in ips)


def loop(tid, n, busy, file_io=False):
	out = b''
	for i in range(n):
		out += syscall(tid, 1000, 50000, EPOLL_WAIT, 3, FD_EPOLL, ret=1)
		out += syscall(tid, busy, 2000, READ, 5, FD_FILE if file_io and i % 2 else FD_SOCKET, ret=64, arg=64)
	return out


def write(name, data):
	with open(os.path.join(sys.argv[1], name), 'wb') as f:
		f.write(data)


write('epoll-loop', b'\x01' + thread(0, 0, b'srv') + loop(0, 6, 0xfff00, file_io=True) + thread(0, 10, b'', exit=True))
write('stacks', b'\x02' + stack(1, 0, [1, 2, 3]) + stack(2, 1, [7, 8]) + thread(0, 0, b'srv') +
      syscall(0, 10, 100, EPOLL_WAIT, 3, FD_EPOLL, ret=1) + sample(0, 0x8000, 1, 2) + sample(0, 0x8000, 1) +
      offcpu(0, 100, 0x100000 | 0x200000, 101, 1, 2) + syscall(0, 0xff000, 100, EPOLL_WAIT, 3, FD_EPOLL) +
      syscall(0, 10, 100, EPOLL_WAIT, 3, FD_EPOLL) + overflow(1, 10, 1, 1) + overflow(0, 10, 2, 0x10))
uv = b'\x23' + thread(0, 0, b'node') + thread(1, 0, b'libuv-worker')
for i in range(3):
	uv += syscall(0, 100, 30000, EPOLL_WAIT, 3, FD_EPOLL, ret=1)
	uv += phase(0, 10, 0, 500) + work(0, 10, 1, i) + phase(0, 600, 2, 50) + phase(0, 100, 3, 0, marker=True)
	uv += work(1, 10, 2, i) + work(1, 10, 3, i, dur=20000) + work(0, 10, 5, i) + work(0, 10, 4, i, dur=300)
	uv += phase(0, 10, 4, 40)
uv += syscall(0, 100, 30000, EPOLL_WAIT, 3, FD_EPOLL, ret=1)
write('uv-pool', uv)
write('bad-lengths', b'\x01' + bytes([0x41]) + struct.pack('<IIIIQQqqiIII', 0, 0, 0, 0, 1, 1, 0, 0, 3, 1, 6, 0) +
      bytes([0x62]) + struct.pack('<IIIIQ16s', 0, 0, 0, 0, 1, b'x') + bytes([0x0a]) + struct.pack('<I', 77) + bytes(16))

# The same streams through the Perfetto exporter (bit 7 of the options byte).
for name in ('epoll-loop', 'uv-pool'):  # stacks-export: see regressions/correlator
	with open(os.path.join(sys.argv[1], name), 'rb') as f:
		data = f.read()
	write(name + '-export', bytes([data[0] | 0x80]) + data[1:])
