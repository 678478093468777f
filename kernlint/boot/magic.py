"""Finding a boot header's magic the way loaders do: at aligned file offsets."""

from __future__ import annotations

from collections.abc import Iterator


def aligned_hits(
    data: bytes, magic: bytes, align: int, base: int = 0, limit: int | None = None, start: int = 0
) -> Iterator[int]:
    """Indexes into ``data`` where ``magic`` starts at a file offset that is a multiple
    of ``align`` bytes. ``data[0]`` is at file offset ``base``; only magics starting at
    file offsets in ``[start, limit)`` are found (``limit`` None: to the end). ``data``
    may be bytes or a memory map: the search copies nothing."""
    end = len(data) if limit is None else max(0, min(len(data), limit - base))
    i = data.find(magic, max(0, start - base), end)
    while i >= 0:
        if (base + i) % align == 0:
            yield i
        i = data.find(magic, i + 1, end)
