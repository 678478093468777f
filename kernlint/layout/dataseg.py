"""``DATA_SEGMENT_ALIGN``, ``DATA_SEGMENT_RELRO_END``, ``DATA_SEGMENT_END`` (ld manual
"Builtin Functions"): the state ld keeps for them across a sizing round
(``ldexp.c`` ``expld.dataseg``, ``fold_segment_*``; ``ldlang.c``
``lang_size_sections``, ``lang_size_relro_segment_1``, ``lang_size_segment``, GNU ld
2.40). The evaluator (:mod:`kernlint.ldscript.evaluate`) calls the hook's methods when
it meets the builtins; :mod:`.sizing` drives the phases between passes.
"""

from __future__ import annotations

from kernlint.ldscript.evaluate import MASK, DataSegmentHook


def align_up(value: int, align: int) -> int:
    """``value`` rounded up to a multiple of ``align`` (bytes; 0 and 1: unchanged),
    in ld's 64-bit address arithmetic (``align_n``)."""
    if align <= 1:
        return value
    return ((value + align - 1) // align * align) & MASK


class DataSegment(DataSegmentHook):
    """ld's ``expld.dataseg`` (``ldexp.c`` ``fold_segment_align``,
    ``fold_segment_relro_end``, ``fold_segment_end``, GNU ld 2.40): the phase moves
    ``none`` -> ``align_seen`` -> ``relro_seen`` -> ``end_seen`` in a sizing pass;
    ``lang_size_sections`` then settles on ``done``, ``adjust`` (save a page, no
    relro) or ``relro_adjust`` (move the relro sections up so that they end on a
    page) and sizes again. ``relro`` is ``link_info.relro``."""

    def __init__(self, relro: bool) -> None:
        self.relro = relro
        self.phase = "none"
        self.base = 0
        self.commonpagesize = self.maxpagesize = self.relropagesize = 1
        self.relro_end_value = 0
        self.relro_offset = 0
        self.end_value = 0
        self.flag: str | None = None  # "start"/"end": the statement evaluated one

    def state(self) -> tuple:
        return (self.phase, self.base, self.relro_end_value, self.relro_offset, self.end_value)

    def restore(self, state: tuple) -> None:
        self.phase, self.base, self.relro_end_value, self.relro_offset, self.end_value = state

    def align(self, maxpage: int, commonpage: int, dot: int) -> int | None:
        self.flag = "start"
        result = align_up(dot, maxpage)
        if self.phase == "relro_adjust":
            return self.base
        if self.phase == "adjust":
            if commonpage < maxpage:
                result += (dot + commonpage - 1) & (maxpage - commonpage)
            return result
        if not self.relro:
            result += dot & (maxpage - 1)
        if self.phase == "none":
            self.phase = "align_seen"
            self.base = result
            self.commonpagesize = commonpage
            self.maxpagesize = self.relropagesize = maxpage
            self.relro_end_value = 0
        elif self.phase != "done":
            return None
        return result

    def relro_end(self, offset: int, exp: int) -> int | None:
        # DATA_SEGMENT_RELRO_END(offset, exp)
        self.flag = "end"
        self.relro_offset = offset
        if self.phase not in ("align_seen", "adjust", "relro_adjust", "done"):
            return None
        if self.phase in ("align_seen", "relro_adjust"):
            self.relro_end_value = (exp + offset) & MASK
        page = self.relropagesize
        if self.phase == "relro_adjust" and self.relro_end_value & (page - 1):
            self.relro_end_value = align_up(self.relro_end_value, page)
            result = (self.relro_end_value - offset) & MASK
        else:
            result = exp
        if self.phase == "align_seen":
            self.phase = "relro_seen"
        return result

    def end(self, exp: int) -> int | None:
        if self.phase in ("align_seen", "relro_seen"):
            self.phase = "end_seen"
            self.end_value = exp
        elif self.phase not in ("done", "adjust", "relro_adjust"):
            return None
        return exp

    def size_segment(self) -> bool:
        """``lang_size_segment``: can a page be saved by moving the data segment
        (its first and last partial pages fit in one)?"""
        page = self.commonpagesize
        first = -self.base & (page - 1)
        last = self.end_value & (page - 1)
        if (
            first
            and last
            and (self.base & ~(page - 1)) != (self.end_value & ~(page - 1))
            and first + last <= page
        ):
            self.phase = "adjust"
            return True
        self.phase = "done"
        return False

    def size_relro_segment(self, sections: list[tuple[int, int, int, bool]]) -> int:
        """``lang_size_relro_segment_1``: ``sections`` are the allocated output
        sections (vma, size, alignment, tbss) in section order; moves ``base`` up so
        that the relro sections end on a relro page; returns that end."""
        page = self.relropagesize
        relro_end = align_up(self.relro_end_value, page)
        desired_end = (relro_end - self.relro_offset) & MASK
        limit = (self.relro_end_value - self.relro_offset) & MASK
        for vma, size, align, tbss in reversed(sections):
            if self.base <= vma < limit:
                end = vma + (0 if tbss else size)
                start = (vma + desired_end - end) & MASK
                start &= ~(align - 1) & MASK
                desired_end = start
        self.phase = "relro_adjust"
        self.base = desired_end
        return relro_end
