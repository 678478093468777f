"""Reading a source file into a :class:`~kernlint.source.model.Source`.

Decoding: UTF-8 (a leading byte-order mark is dropped, so that columns count as an
editor shows them); a file that is not valid UTF-8 is read as Latin-1, where every
byte is one character, so that lines and columns stay right for the ASCII that
assembly is made of (old sources carry Latin-1 comments). A NUL byte means the file
is not text: that is an :class:`~kernlint.errors.InputError`, as is a file that
cannot be read or is larger than :data:`MAX_SIZE`.
"""

from __future__ import annotations

import os

from kernlint.errors import InputError
from kernlint.source.model import Source, language_of

#: Sources larger than this are refused (one finding, KL001) rather than scanned.
MAX_SIZE = 64 * 1024 * 1024


def read_source(path: str) -> Source:
    """Read ``path`` as a source file. Raises InputError (one line, without the path)
    when it cannot be read, is too large, or is not text."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > MAX_SIZE:
                raise InputError(
                    path, f"source file too large to scan ({size} bytes, limit {MAX_SIZE})"
                )
            data = f.read(MAX_SIZE + 1)
    except OSError as err:
        raise InputError(path, f"cannot read: {err.strerror or err}") from None
    if len(data) > MAX_SIZE:
        raise InputError(path, f"source file too large to scan (limit {MAX_SIZE} bytes)")
    nul = data.find(b"\0")
    if nul >= 0:
        raise InputError(path, f"not a text file (NUL byte at offset {nul:#x})")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    # Line ends: CRLF and lone CR count as one newline, as for the assemblers.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return Source(path, text, language_of(path, text))
