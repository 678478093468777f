"""Assembly sources: GNU as (``.S``, ``.s``), NASM (``.asm``, ``.nasm``), and the
inline assembly of Rust (``.rs``) and C/C++ (``.c``, ``.cc``, ``.cpp``, ``.cxx``).

- :mod:`kernlint.source.model` — :class:`Source` and :class:`Fragment`, positions.
- :mod:`kernlint.source.reader` — :func:`read_source`: bytes to text, errors.
- :mod:`kernlint.source.embedded` — asm templates out of Rust and C, with positions.
- :mod:`kernlint.source.gas` — GNU as statements and section changes.
- :mod:`kernlint.source.nasm` — NASM statements and section changes.
- :mod:`kernlint.source.flags` — the flags each assembler derives from a section name.

Nothing here imports LIEF, networkx or numpy.
"""

from kernlint.source.model import Fragment, Source
from kernlint.source.reader import read_source

__all__ = ["Fragment", "Source", "read_source"]
