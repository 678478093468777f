"""The source model: a text file holding assembly, and the pieces of assembly text in it.

A :class:`Source` is one file as read: its ``path``, its decoded ``text`` and its
``language`` (``gas``, ``nasm``, ``rust`` or ``c``). Its :attr:`Source.fragments` are
the assembly texts a rule scans: the whole file for ``gas`` and ``nasm``, and for
``rust``/``c`` one :class:`Fragment` per ``asm!``/``global_asm!``/``naked_asm!``/
``__asm__`` template, with every character mapped back to its offset in the file so
that findings point at the real line and column.

Positions are 1-based lines and 1-based columns counted in characters (a tab is one
column); an end column points one past the last character (exclusive), as in SARIF.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property

#: Languages by file-name ending. ``.asm`` is decided by content: see :func:`language_of`.
GAS, NASM, RUST, C = "gas", "nasm", "rust", "c"
#: ``.asm`` dialects that are neither NASM nor GNU as: Microsoft MASM (and Borland TASM,
#: which reads MASM syntax), Arm's armasm, flat assembler, and Zilog's ZDS II assembler
#: (Z80/eZ80). kernlint reads none of them, so no KL6 rule looks at such a file.
MASM, ARMASM, FASM, ZILOG = "masm", "armasm", "fasm", "zilog"
#: Every dialect of :data:`MASM`'s kind (see :func:`language_of`).
OTHER_ASM = (MASM, ARMASM, FASM, ZILOG)
SUFFIX_LANGUAGES = {
    ".S": GAS,
    ".s": GAS,
    ".asm": NASM,
    ".nasm": NASM,
    ".rs": RUST,
    ".c": C,
    ".cc": C,
    ".cpp": C,
    ".cxx": C,
}

# Statements only NASM accepts (directives are case-insensitive in NASM), and GNU as
# directives, each at the start of a line.
_NASM_MARKERS = re.compile(
    r"^[ \t]*(?:\[?(?:section|segment|bits|global|extern|default|org|cpu|absolute)\b"
    r"|%(?:define|include|macro|imacro|assign|if|ifdef)\b|[A-Za-z_.$?@][\w.$?@#~]*:?[ \t]+"
    r"(?:db|dw|dd|dq|resb|resw|resd|resq|equ|times)\b)",
    re.M | re.I,
)
_GAS_MARKERS = re.compile(
    r"^[ \t]*(?:[\w.$]+:[ \t]*)?\.(?:section|pushsection|popsection|previous|globl|global"
    r"|text|data|bss|code16|code32|code64|intel_syntax|att_syntax|byte|short|long|quad"
    r"|ascii|asciz|string|type|size|p2align|balign)\b",
    re.M,
)


# Statements of the other ``.asm`` dialects that NASM rejects (MASM manual, "Directives
# Reference": ``.MODEL``, ``.CODE``, ``NAME SEGMENT``/``ENDS``, ``NAME PROC``/``ENDP``,
# ``ASSUME``, ``PUBLIC``; armasm user guide: ``AREA``; fasm manual: ``format``). Case
# does not matter to MASM, so neither here.
_MASM_MARKERS = re.compile(
    r"^[ \t]*(?:\.(?:model|code|const|stack|data\?|fardata|[3-6]86p?|x64|xmm|mmx)\b"
    r"|[A-Za-z_@$?][\w@$?]*[ \t]+(?:segment|ends|proc|endp)\b"
    r"|(?:assume[ \t]+\w+[ \t]*:|public[ \t]+\w|extrn[ \t]+\w|option[ \t]+\w+[ \t]*:))",
    re.M | re.I,
)
_ARMASM_MARKERS = re.compile(r"^[ \t]*AREA[ \t]+(?:\|[^|\n]*\||[\w.]+)[ \t]*,", re.M | re.I)
_FASM_MARKERS = re.compile(r"^[ \t]*format[ \t]+(?:ELF|ELF64|PE|PE64|MZ|COFF|MS|binary)\b", re.M)
# Zilog ZDS II (Z80/eZ80 Assembler, Linker and Librarian user manual): symbols are
# exported with XDEF and imported with XREF, the CPU mode set with `.ASSUME ADL=`;
# NASM knows none of these (it has `global`/`extern`).
_ZILOG_MARKERS = re.compile(r"^[ \t]*(?:xdef|xref|\.assume[ \t]+adl)\b", re.M | re.I)
# Statements only NASM (and YASM) accept, which no MASM, armasm or fasm file holds.
_NASM_ONLY = re.compile(
    r"^[ \t]*(?:%(?:define|include|macro|imacro|assign|if|ifdef|ifndef)\b"
    r"|\[?[ \t]*(?:section|bits|default|absolute|global)\b)",
    re.M | re.I,
)


#: Folder names that say a source is for another vendor's toolchain, not GNU as or
#: LLVM (ChibiOS's `compilers/CW/` CodeWarrior sources, `EWARM/` and `IAR/` for IAR,
#: `MDK-ARM/` and `ARMCC/` for Keil/Arm Compiler 5, `GHS/` for Green Hills): vendor
#: trees keep one folder per compiler, and those assemblers' section syntax and
#: defaults are not GNU as's.
FOREIGN_TOOLCHAIN_DIRS = frozenset(
    {
        "CW",
        "CodeWarrior",
        "IAR",
        "iar",
        "EWARM",
        "ewarm",
        "ICCARM",
        "MDK-ARM",
        "Keil",
        "keil",
        "ARMCC",
        "armcc",
        "RVDS",
        "GHS",
        "ghs",
        "TASKING",
    }
)


def foreign_toolchain(path: str) -> str | None:
    """The folder of ``path`` that names another vendor's toolchain
    (:data:`FOREIGN_TOOLCHAIN_DIRS`), or None."""
    parts = path.replace("\\", "/").split("/")[:-1]
    return next((p for p in parts if p in FOREIGN_TOOLCHAIN_DIRS), None)


def language_of(path: str, text: str) -> str:
    """The language of ``path``, by its name; a ``.asm`` file that uses GNU as
    directives (``.section``, ``.globl``, ``.long``, ...) and no NASM statement
    (``section``, ``global``, ``bits``, ``%define``, ``x db 1``, ...) is read as GNU as,
    and one written for MASM (``.model``, ``.code``, ``CODE32 SEGMENT``, ``x PROC``),
    armasm (``AREA |.text|, CODE``), fasm (``format ELF64``) or Zilog's ZDS II
    (``XDEF``, ``XREF``, ``.ASSUME ADL=1``), with no statement only NASM accepts, is
    :data:`MASM`, :data:`ARMASM`, :data:`FASM` or :data:`ZILOG`, which kernlint does
    not read."""
    for suffix, language in SUFFIX_LANGUAGES.items():
        if path.endswith(suffix):
            if suffix != ".asm":
                return language
            if _FASM_MARKERS.search(text):
                return FASM  # fasm's `section '.text' executable` reads like NASM's
            if not _NASM_ONLY.search(text):
                for other, markers in (
                    (ARMASM, _ARMASM_MARKERS),
                    (MASM, _MASM_MARKERS),
                    (ZILOG, _ZILOG_MARKERS),
                ):
                    if markers.search(text):
                        return other
            if _GAS_MARKERS.search(text) and not _NASM_MARKERS.search(text):
                return GAS
            return language
    return GAS


@dataclass(frozen=True)
class Fragment:
    """A piece of assembly text in a :class:`Source`.

    ``text`` is the assembly as the assembler would see it (escapes decoded, string
    literals joined). ``offsets`` holds, for each character of ``text``, its offset in
    the source file; it is None when ``text`` is a verbatim slice of the file starting
    at ``start``. ``origin`` names where it comes from (``file``, ``global_asm``,
    ``asm``, ``naked_asm``, ``c-toplevel``, ``c-inline``). ``opaque`` is True when the
    template is not made only of string literals (a macro argument, ``stringify!``,
    ``include_str!``, a C macro between literals): its text is then incomplete and
    rules leave it alone. ``span`` is the file range of the whole invocation.
    """

    text: str
    origin: str = "file"
    start: int = 0
    offsets: tuple[int, ...] | None = field(default=None, repr=False)
    opaque: bool = False
    span: tuple[int, int] = (0, 0)

    def file_offset(self, index: int) -> int:
        """The file offset of ``text[index]`` (the end of the text maps one past its
        last character)."""
        if self.offsets is None:
            return self.start + index
        if not self.offsets:
            return self.span[0]
        if index >= len(self.offsets):
            return self.offsets[-1] + 1
        return self.offsets[max(index, 0)]


@dataclass(frozen=True)
class Source:
    """A source file holding assembly: ``path`` as given, decoded ``text``, and
    ``language``: ``gas`` (``.S``, ``.s``, GNU-as ``.asm``), ``nasm`` (``.asm``,
    ``.nasm``), ``rust`` (``.rs``) or ``c`` (``.c``, ``.cc``, ``.cpp``, ``.cxx``); or
    ``masm``, ``armasm``, ``fasm`` for a ``.asm`` in a dialect kernlint does not read
    (no fragments: no rule scans it)."""

    path: str
    text: str
    language: str

    @cached_property
    def _line_starts(self) -> list[int]:
        return [0] + [m.end() for m in re.finditer("\n", self.text)]

    def position(self, offset: int) -> tuple[int, int]:
        """(line, column), both 1-based, of the character at ``offset`` in ``text``."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1

    @cached_property
    def fragments(self) -> tuple[Fragment, ...]:
        """The assembly texts of the file: the whole text for ``gas`` and ``nasm``,
        the inline-assembly templates for ``rust`` and ``c``."""
        if self.language == RUST:
            from kernlint.source.embedded import rust_fragments

            return tuple(rust_fragments(self.text))
        if self.language == C:
            from kernlint.source.embedded import c_fragments

            return tuple(c_fragments(self.text))
        if self.language in OTHER_ASM:
            return ()
        return (Fragment(self.text, "file", 0, None, False, (0, len(self.text))),)

    @cached_property
    def declared_sections(self) -> frozenset[str]:
        """Section names the compiler declares with its own flags in this file: Rust
        ``#[link_section = "..."]`` and C ``__attribute__((section("...")))``. GNU as
        keeps the flags of a section's first declaration, and the compiler's comes
        with flags, so a bare ``.section NAME`` of such a name is not the cause of an
        unallocated section."""
        if self.language == RUST:
            pattern = r"link_section\s*=\s*\"([^\"\\\n]*)\""
        elif self.language == C:
            pattern = r"(?<![\w$])(?:__)?section(?:__)?\s*\(\s*\"([^\"\\\n]*)\""
        else:
            return frozenset()
        return frozenset(m.group(1) for m in re.finditer(pattern, self.text))
