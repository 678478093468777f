"""Write a copy of a PE32+ image with one header field changed, as a broken tool or a
hand edit would leave it (the samples' own helper; PE/COFF spec 3.4, 6.6):

  pepatch.py reloc-size0 IN OUT      first base relocation block's SizeOfBlock = 0
  pepatch.py reloc-overrun IN OUT    SizeOfBlock runs 8 bytes past the directory
  pepatch.py short-image IN OUT      SizeOfImage = the last section's VirtualAddress
"""

import struct
import sys
from pathlib import Path


def main(op: str, src: str, dst: str) -> None:
    data = bytearray(Path(src).read_bytes())
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    nsections, opt_size = struct.unpack_from("<H12xH", data, pe + 6)
    opt = pe + 24
    assert struct.unpack_from("<H", data, opt)[0] == 0x20B, "PE32+ only"
    sections = [
        struct.unpack_from("<8sIIII", data, opt + opt_size + 40 * i) for i in range(nsections)
    ]
    if op == "short-image":
        struct.pack_into("<I", data, opt + 56, max(s[2] for s in sections))
    else:
        rva, size = struct.unpack_from("<II", data, opt + 112 + 8 * 5)
        (_, _, va, _, raw_ptr) = next(s for s in sections if s[2] <= rva < s[2] + s[1])
        block = raw_ptr + rva - va
        value = 0 if op == "reloc-size0" else size + 8
        struct.pack_into("<I", data, block + 4, value)
    Path(dst).write_bytes(data)


if __name__ == "__main__":
    main(*sys.argv[1:])
