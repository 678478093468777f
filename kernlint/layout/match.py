"""Input section matching as GNU ld 2.40 does it (ld manual "Input Section Basics",
"Input Section Wildcard Patterns"; ``ldlang.c`` ``walk_wild``, ``wild_sort_fast``,
``compare_section``).

- Patterns are shell wildcards matched with ``fnmatch(pattern, name, 0)``: ``*``,
  ``?``, ``[chars]``, ``[!chars]``; ``*`` also matches ``/``.
- A file pattern is matched against the file name as given on the command line; a
  pattern with ``:`` is ``archive:member`` (``:member`` matches a file outside any
  archive; kernlint reads no archives, so ``archive:...`` patterns match nothing).
- ``EXCLUDE_FILE(list)`` in front of a section pattern (or of the file pattern: then
  for every section pattern) excludes files matching any of its patterns.
- Sorting (``SORT_BY_NAME``, ``SORT_BY_ALIGNMENT``, nested forms,
  ``SORT_BY_INIT_PRIORITY``, a sorted file pattern) inserts each matched section into
  a binary tree as ld does, compared with the *new* section's sort kind, ties to the
  right; sections of unsorted patterns go to the rightmost place. ``SORT_NONE`` sorts
  nothing (it only shields from ``--sort-section``).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from types import MappingProxyType

from kernlint.layout.model import InputSection
from kernlint.ldscript import ast

_WILD = re.compile(r"[*?\[]")


# The one module-level cache of the package: a memo of a pure function (a pattern
# and its compiled matcher), so nothing a caller can observe depends on it.
@lru_cache(maxsize=4096)
def _matcher(pattern: str) -> Callable[[str], bool]:
    if not _WILD.search(pattern):
        return pattern.__eq__
    if pattern == "*":
        return lambda name: True
    regex = re.compile(fnmatch.translate(pattern), re.DOTALL)
    return lambda name: regex.match(name) is not None


def name_match(pattern: str, name: str) -> bool:
    """``fnmatch(pattern, name, 0) == 0``."""
    return _matcher(pattern)(name)


def file_match(pattern: str, path: str) -> bool:
    """Does the file pattern ``pattern`` select the object ``path`` (as given)?"""
    if ":" in pattern:
        archive, _, member = pattern.partition(":")
        if archive:
            return False  # archive members: kernlint reads no archives
        return name_match(member or "*", path)
    return name_match(pattern, path)


# ld's ``sort_type``.
NONE, BY_NAME, BY_ALIGNMENT, BY_NAME_ALIGNMENT, BY_ALIGNMENT_NAME, BY_INIT_PRIORITY = range(6)


def sort_kind(sort: Sequence[str]) -> int:
    """The ``sort_type`` of a pattern's sorting keywords (outermost first)."""
    keys = [k for k in sort if k != "SORT_NONE"]
    if not keys:
        return NONE
    if keys[0] == "SORT_BY_INIT_PRIORITY":
        return BY_INIT_PRIORITY
    if len(keys) == 1 or keys[0] == keys[1]:
        return BY_NAME if keys[0] == "SORT_BY_NAME" else BY_ALIGNMENT
    return BY_NAME_ALIGNMENT if keys[0] == "SORT_BY_NAME" else BY_ALIGNMENT_NAME


def _init_priority(name: str) -> int:
    """ld's ``get_init_priority``: ``.init_array.N``/``.fini_array.N`` give N,
    ``.ctors.N``/``.dtors.N`` give 65535 - N, anything else 65535."""
    for prefix in (".init_array.", ".fini_array."):
        if name.startswith(prefix) and name[len(prefix) :].isdigit():
            return int(name[len(prefix) :])
    for prefix in (".ctors.", ".dtors."):
        if name.startswith(prefix) and name[len(prefix) :].isdigit():
            return 65535 - int(name[len(prefix) :])
    return 65535


def _cmp(a, b) -> int:
    return (a > b) - (a < b)


def compare_section(kind: int, a: InputSection, b: InputSection) -> int:
    """ld's ``compare_section``: negative when ``a`` sorts before ``b``."""
    if kind == BY_INIT_PRIORITY:
        ret = _init_priority(a.name) - _init_priority(b.name)
        return ret if ret else _cmp(a.name, b.name)
    if kind == BY_ALIGNMENT_NAME:
        ret = b.align - a.align
        return ret if ret else _cmp(a.name, b.name)
    if kind == BY_NAME:
        return _cmp(a.name, b.name)
    if kind == BY_NAME_ALIGNMENT:
        ret = _cmp(a.name, b.name)
        return ret if ret else b.align - a.align
    return b.align - a.align  # BY_ALIGNMENT


def ordered(matches: list[tuple[InputSection, int]], files_sorted: bool) -> list[InputSection]:
    """Sections of one input section description in ld's output order. ``matches``
    are (section, sort kind of the pattern that matched it) in match order (files in
    command-line order, sections in header order)."""
    if not files_sorted and all(kind == NONE for _, kind in matches):
        return [s for s, _ in matches]
    # A binary tree as in ld's wild_sort_fast; nodes are [section, left, right].
    root: list | None = None
    for section, kind in matches:
        node = [section, None, None]
        if root is None:
            root = node
            continue
        current = root
        while True:
            go_left = False
            if files_sorted:
                c = _cmp(section.file, current[0].file)
                if c:
                    go_left = c < 0
                elif kind != NONE:
                    go_left = compare_section(kind, section, current[0]) < 0
            elif kind != NONE:
                go_left = compare_section(kind, section, current[0]) < 0
            slot = 1 if go_left else 2
            if current[slot] is None:
                current[slot] = node
                break
            current = current[slot]
    out: list[InputSection] = []
    stack: list = []
    node = root
    while stack or node is not None:
        while node is not None:
            stack.append(node)
            node = node[1]
        node = stack.pop()
        out.append(node[0])
        node = node[2]
    return out


class Matcher:
    """One input section description compiled for matching."""

    def __init__(self, desc: ast.InputSectionDescription) -> None:
        self.desc = desc
        f = desc.file
        self.file_pattern = f.pattern if f is not None else None
        self.file_exclude = tuple(f.exclude) if f is not None else ()
        self.files_sorted = bool(f is not None and [k for k in f.sort if k != "SORT_NONE"])
        self.specs = [
            (p.pattern, tuple(p.exclude) + self.file_exclude, sort_kind(p.sort))
            for p in desc.sections
        ]
        self.flags = desc.flags

    def file_selected(self, path: str) -> bool:
        return self.file_pattern is None or file_match(self.file_pattern, path)

    def match(self, section: InputSection) -> int | None:
        """The sort kind of the first pattern that selects ``section`` (its file is
        already selected), or None."""
        if not self.specs:  # a bare file name: every section of the file
            return NONE
        for pattern, exclude, kind in self.specs:
            if not name_match(pattern, section.name):
                continue
            if exclude and any(file_match(x, section.file) for x in exclude):
                continue
            if self.flags and not flags_match(self.flags, section):
                continue
            return kind
        return None


_FLAG_BITS = MappingProxyType(
    {
        "SHF_WRITE": 0x1,
        "SHF_ALLOC": 0x2,
        "SHF_EXECINSTR": 0x4,
        "SHF_MERGE": 0x10,
        "SHF_STRINGS": 0x20,
        "SHF_INFO_LINK": 0x40,
        "SHF_LINK_ORDER": 0x80,
        "SHF_OS_NONCONFORMING": 0x100,
        "SHF_GROUP": 0x200,
        "SHF_TLS": 0x400,
        "SHF_EXCLUDE": 0x80000000,
    }
)


def flags_match(flags: Sequence[str], section: InputSection) -> bool:
    """``INPUT_SECTION_FLAGS(a & !b)``: every named flag set, every ``!`` flag clear."""
    for flag in flags:
        negate = flag.startswith("!")
        bit = _FLAG_BITS.get(flag.lstrip("!"))
        if bit is None:
            return False
        if bool(section.sh_flags & bit) == negate:
            return False
    return True
