#!/usr/bin/env python3
"""Writes a .npy file exactly as NumPy 1.x/2.x does (format 1.0, C order),
without needing NumPy: `write_npy.py PATH DTYPE DIM... [--fill nan|inf]`
fills the array with a deterministic pattern (--fill nan: every value NaN;
--fill inf: the pattern with one infinity). Used to check that prism-run
reads NumPy's files."""

import struct
import sys

args = sys.argv[1:]
fill = None
if "--fill" in args:
    i = args.index("--fill")
    fill = args[i + 1]
    del args[i:i + 2]
path, dtype, dims = args[0], args[1], [int(d) for d in args[2:]]
code = {"f4": "f", "f2": "e"}[dtype]
count = 1
for d in dims:
    count *= d
shape = "(" + ", ".join(str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"
header = "{'descr': '<%s', 'fortran_order': False, 'shape': %s, }" % (dtype, shape)
header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    values = [((i * 7919) % 1000) / 1000.0 - 0.5 for i in range(count)]
    if fill == "nan":
        values = [float("nan")] * count
    elif fill == "inf":
        values[count // 2] = float("inf")
    f.write(struct.pack("<%d%s" % (count, code), *values))
