#!/usr/bin/env python3
# pftrace-packets TRACE [OUT]: a Perfetto trace's packets as one plain Trace
# stream (each packet framed as field 1, compressed_packets wrappers inflated
# in place). Two traces that differ only in how they were compressed (zlib or
# libdeflate, the level) give byte-identical streams when their wrappers hold
# the same packets. bench/bench.sh feeds the stream to bench/zbench.
# Without OUT, prints its sha256, byte count and packet count.
import hashlib
import sys
import zlib


def varint(b, i):
    v = s = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return v, i


def fields(b):
    """(field number, wire type, value or (start, end)) of one message."""
    i = 0
    while i < len(b):
        key, i = varint(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
            yield f, wt, v
        elif wt == 2:
            n, i = varint(b, i)
            yield f, wt, (i, i + n)
            i += n
        elif wt == 1:
            yield f, wt, None
            i += 8
        elif wt == 5:
            yield f, wt, None
            i += 4
        else:
            raise ValueError("wire type %d at %d" % (wt, i))


def frame(p):
    out = bytearray(b"\x0a")
    n = len(p)
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out) + p


def packets(b):
    for f, wt, v in fields(b):
        if f != 1 or wt != 2:
            raise ValueError("not a Trace: field %d" % f)
        p = b[v[0]:v[1]]
        inner = [x for x in fields(p) if x[0] == 50 and x[1] == 2]
        if inner:
            s, e = inner[0][2]
            yield from packets(zlib.decompress(p[s:e]))
        else:
            yield frame(p)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: pftrace-packets TRACE [OUT]")
    with open(sys.argv[1], "rb") as f:
        data = f.read()
    h, n, size = hashlib.sha256(), 0, 0
    out = open(sys.argv[2], "wb") if len(sys.argv) == 3 else None
    for p in packets(data):
        n += 1
        size += len(p)
        (out.write if out else h.update)(p)
    if out:
        out.close()
    else:
        print("%s %d bytes %d packets" % (h.hexdigest(), size, n))


if __name__ == "__main__":
    main()
