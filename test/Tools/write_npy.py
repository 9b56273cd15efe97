#!/usr/bin/env python3
"""Writes a .npy file exactly as NumPy 1.x/2.x does (format 1.0, C order),
without needing NumPy: `write_npy.py PATH DTYPE DIM...` fills the array with a
deterministic pattern. Used to check that prism-run reads NumPy's files."""

import struct
import sys

path, dtype, dims = sys.argv[1], sys.argv[2], [int(d) for d in sys.argv[3:]]
code = {"f4": "f", "f2": "e"}[dtype]
count = 1
for d in dims:
    count *= d
shape = "(" + ", ".join(str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"
header = "{'descr': '<%s', 'fortran_order': False, 'shape': %s, }" % (dtype, shape)
header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
with open(path, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    f.write(struct.pack("<%d%s" % (count, code),
                        *[((i * 7919) % 1000) / 1000.0 - 0.5 for i in range(count)]))
