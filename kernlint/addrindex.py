"""Address → region lookup over sorted ranges, by bisection (the shape of angr/cle's
``cle/backends/regions.py``), for "which section or segment holds this address"."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from typing import Generic, TypeVar

T = TypeVar("T")


class AddressIndex(Generic[T]):
    """Half-open ranges ``[start, end)`` (bytes) mapped to items; ranges may overlap.

    Built once in O(n log n); ``containing(address)`` costs O(log n + k) where k is the
    number of ranges that start at or before ``address`` and whose end reaches past it
    (a running maximum of ends stops the backward scan early). Empty ranges are dropped.
    """

    __slots__ = ("_ends", "_items", "_max_end", "_starts")

    def __init__(self, ranges: Iterable[tuple[int, int, T]]) -> None:
        entries = sorted(((s, e, i) for s, e, i in ranges if e > s), key=lambda r: (r[0], r[1]))
        self._starts = [s for s, _, _ in entries]
        self._ends = [e for _, e, _ in entries]
        self._items = [i for _, _, i in entries]
        running = 0
        self._max_end = []
        for e in self._ends:
            running = max(running, e)
            self._max_end.append(running)

    def __len__(self) -> int:
        return len(self._items)

    def containing(self, address: int) -> list[T]:
        """Items whose range holds ``address``, in ascending order of start."""
        return [self._items[k] for k in reversed(self._indexes_containing(address))]

    def first_containing(self, address: int) -> T | None:
        """The item with the lowest start whose range holds ``address``, or None."""
        hits = self.containing(address)
        return hits[0] if hits else None

    def covers(self, start: int, end: int) -> bool:
        """True when one single range holds all of ``[start, end)`` (``end > start``)."""
        return any(self._ends[k] >= end for k in self._indexes_containing(start))

    def _indexes_containing(self, address: int) -> list[int]:
        """Indexes of the ranges holding ``address``, highest start first."""
        out = []
        j = bisect_right(self._starts, address) - 1
        while j >= 0 and self._max_end[j] > address:
            if self._ends[j] > address:
                out.append(j)
            j -= 1
        return out

    def items(self) -> list[tuple[int, int, T]]:
        """All ranges as ``(start, end, item)``, sorted by start."""
        return list(zip(self._starts, self._ends, self._items, strict=True))
