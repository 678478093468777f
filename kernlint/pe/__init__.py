"""PE/COFF images (UEFI applications and drivers): the model (:mod:`kernlint.pe.model`,
no LIEF) and the reader (:mod:`kernlint.pe.reader`, which imports LIEF only when a PE
file is read). The KL7 rules read them. This package module imports nothing heavy:
the classifier asks :func:`pe_signature_offset` of every file it does not know."""

from __future__ import annotations

from typing import BinaryIO

#: Offset of ``e_lfanew`` in the MS-DOS header (PE/COFF specification, 2 "MS-DOS Stub"
#: and 3 "Signature (Image Only)": "at location 0x3c, the stub has the file offset to
#: the PE signature").
E_LFANEW_OFFSET = 0x3C
PE_SIGNATURE = b"PE\0\0"


def pe_signature_offset(f: BinaryIO) -> int | None:
    """The file offset of the ``PE\\0\\0`` signature when the open binary file ``f``
    starts with ``MZ`` and holds the signature at ``e_lfanew`` (PE/COFF spec 3), else
    None. Reads at most 64 + 4 bytes; the file position is left anywhere."""
    f.seek(0)
    head = f.read(E_LFANEW_OFFSET + 4)
    if len(head) < E_LFANEW_OFFSET + 4 or head[:2] != b"MZ":
        return None
    lfanew = int.from_bytes(head[E_LFANEW_OFFSET:], "little")
    f.seek(lfanew)
    return lfanew if f.read(4) == PE_SIGNATURE else None
