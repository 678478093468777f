"""NASM, read as text: statements, section changes and what lands in each section.

What is read (NASM manual, "Assembler Directives" and "elf extensions to the SECTION
directive"): one statement per line (a ``\\`` at the end of a line continues it),
``;`` comments, strings in ``'...'``, ``"..."`` and ```...``` (backslash escapes);
labels (``name:``, ``.local:``; a label without colon before ``db``/``equ``...);
``section``/``segment NAME attributes...`` and ``[section NAME ...]`` (keywords in
any case, names case-sensitive, attributes ``exec``/``noexec``/``write``/``alloc``/
``progbits``/``nobits``/``align=N`` ...); ``absolute`` and ``struc``/``endstruc`` (no
section); data (``db``/``dw``/``dd``/``dq``/``dt``/``do``/``dy``/``dz``, ``incbin``,
``istruc``/``at``/``iend``), reserved space (``resb``/``resw``/... ), ``times N ...``
(whatever it repeats), and instructions (anything else, except the directives
``bits``, ``global``, ``extern``, ``default``, ``align``, ``cpu`` ... that emit
nothing). A lone word on a line is an instruction when it is an x86 mnemonic that
takes no operands (``cli``, ``hlt``, ``ret``, ...), and a label otherwise.

Preprocessor: ``%macro``/``%imacro`` bodies are read as macros (an invocation counts
as the content of the body, or as nothing known when the body changes sections);
``%rep`` bodies are read once in place; ``%if 0`` ... ``%endif`` and ``%comment``
... ``%endcomment`` are skipped; other ``%`` lines (``%define``, ``%include``, other
conditions, whose branches are all read) put nothing in the section. Not handled:
``%include``d files, ``%define``d names used as section names or instructions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

INSTRUCTION, DATA, ZERO = "instruction", "data", "zero"
CONTENT = (INSTRUCTION, DATA, ZERO)

_LINE_TOKEN = re.compile(
    r"""
    (?P<str>'[^'\n]*'?|"[^"\n]*"?|`(?:[^`\\\n]|\\.)*`?)
  | (?P<comment>;[^\n]*)
  | (?P<cont>\\[ \t]*\n)
  | (?P<nl>\n)
  | (?P<other>[^'"`;\\\n]+|\\)
    """,
    re.X | re.S,
)
_LABEL = re.compile(r"\s*(?:\$?[A-Za-z._?@$][\w.$#@~?]*)\s*:")
_WORDS = re.compile(r"[^\s,]+")
_PREPROC = re.compile(r"\s*%\s*([A-Za-z]+)\b\s*(\S*)")
_SECTION = re.compile(r"\s*\[?\s*(section|segment)\b", re.I)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_DATA = _words("db dw dd dq dt do dy dz incbin istruc at iend")
_RESERVE = _words("resb resw resd resq rest reso resy resz")
_DIRECTIVES = _words(
    """bits use16 use32 use64 default global extern common static required cpu float org
    align alignb sectalign osabi warning gprefix gsuffix lprefix lsuffix group uppercase
    import export safeseh list nolist equ struc endstruc absolute section segment"""
)
#: x86 mnemonics that take no operands: a lone one on a line is an instruction, any
#: other lone word a label (NASM accepts labels without a colon).
ZERO_OPERAND = _words(
    """aaa aad aam aas cbw cdq cdqe clac clc cld clflush cli clts cmc cmpsb cmpsd cmpsq
    cmpsw cpuid cqo cwd cwde daa das emms endbr32 endbr64 f2xm1 fabs fchs fclex fcompp
    fdecstp fincstp finit fld1 fldz fninit fnclex fnop fwait hlt insb insd insw int1
    int3 into invd iret iretd iretq iretw lahf leave leaved leaveq lfence lock lodsb
    lodsd lodsq lodsw mfence monitor movsb movsd movsq movsw mwait nop outsb outsd outsw
    pause popa popad popaw popf popfd popfq popfw pusha pushad pushaw pushf pushfd
    pushfq pushfw rdmsr rdpmc rdtsc rdtscp rep repe repne repnz repz ret retf retn rsm
    sahf scasb scasd scasq scasw serialize sfence stac stc std sti stosb stosd stosq
    stosw swapgs syscall sysenter sysexit sysret ud2 ud2a vzeroall vzeroupper wait
    wbinvd wrmsr xgetbv xlat xlatb xsetbv"""
)


@dataclass(frozen=True)
class NasmSection:
    """A ``section``/``segment`` directive: the ``name``, where it is written
    (``name_start``, ``name_end``: offsets in the file), the ``attributes`` as
    written (lower-cased), the whole ``statement``."""

    name: str
    name_start: int
    name_end: int
    attributes: tuple[str, ...]
    statement: str
    start: int

    @property
    def attribute_words(self) -> set[str]:
        """The attribute names, without values (``align=16`` gives ``align``)."""
        return {a.split("=", 1)[0] for a in self.attributes}


@dataclass
class NasmRecord:
    """A section as the file uses it: ``first``, the directive that created it (None
    for ``.text``, where NASM starts), ``content``: per content kind the file offset
    of its first statement, and ``later`` declarations of the same name."""

    name: str
    first: NasmSection | None
    content: dict[str, int] = field(default_factory=dict)
    later: list[NasmSection] = field(default_factory=list)


@dataclass
class _Macro:
    kinds: set[str] = field(default_factory=set)
    changes_section: bool = False


def lines(text: str) -> Iterator[tuple[int, str]]:
    """(offset, code) of each logical line: comments blanked, ``\\``-newline
    continuations joined (both kept at their length so offsets stay right)."""
    buf: list[str] = []
    start = 0
    for m in _LINE_TOKEN.finditer(text):
        kind = m.lastgroup
        if kind == "nl":
            yield start, "".join(buf)
            buf = []
            start = m.end()
        elif kind == "comment" or kind == "cont":
            buf.append(" " * len(m.group()))
        else:
            buf.append(m.group())
    if buf:
        yield start, "".join(buf)


def _kind(code: str, macros: dict[str, _Macro]) -> str | None:
    """The content kind of one statement (labels already removed), or None."""
    words = _WORDS.findall(code)
    if not words:
        return None
    first = words[0].lower()
    if first.startswith("["):
        return None
    if first in _DATA:
        return DATA
    if first in _RESERVE:
        return ZERO
    if first == "times":
        for w in words[2:]:
            lw = w.lower()
            if lw in _DATA:
                return DATA
            if lw in _RESERVE:
                return ZERO
        return INSTRUCTION
    if first in _DIRECTIVES:
        return None
    macro = macros.get(words[0]) or macros.get(first)
    if macro is not None:
        return "macro:" + (words[0] if words[0] in macros else first)
    if len(words) > 1:
        second = words[1].lower()
        if second in _DATA:
            return DATA
        if second in _RESERVE:
            return ZERO
        if second in ("equ", "times"):
            return _kind(" ".join(words[1:]), macros) if second == "times" else None
        return INSTRUCTION
    return INSTRUCTION if first in ZERO_OPERAND else None


def _parse_section(start: int, code: str, m: re.Match) -> NasmSection | None:
    rest = code[m.end() :]
    if code.lstrip().startswith("["):
        close = rest.rfind("]")
        rest = rest[:close] if close >= 0 else rest
    words = list(re.finditer(r"\S+", rest))
    if not words:
        return None
    name_m = words[0]
    name = name_m.group().strip("'\"`")
    base = m.end()
    return NasmSection(
        name,
        start + base + name_m.start(),
        start + base + name_m.end(),
        tuple(w.group().lower() for w in words[1:]),
        code.strip(),
        start + (len(code) - len(code.lstrip())),
    )


def walk(text: str) -> dict[str, NasmRecord]:
    """Follow the section changes of NASM source ``text`` (NASM starts in ``.text``)
    and record, per section name, the directive that created it and what lands in
    it."""
    records: dict[str, NasmRecord] = {".text": NasmRecord(".text", None)}
    macros: dict[str, _Macro] = {}
    cur: str | None = ".text"
    saved: str | None = None  # the section struc left
    skip = 0  # depth inside %if 0 / %comment
    defining: _Macro | None = None
    define_name = ""
    depth = 0  # %macro nesting
    for start, code in lines(text):
        pre = _PREPROC.match(code)
        if pre:
            word = pre.group(1).lower()
            if skip:
                if word.startswith("if") or word == "comment":
                    skip += 1
                elif word in ("endif", "endcomment") or (word in ("else", "elif") and skip == 1):
                    skip -= 1
                continue
            if (word == "if" and pre.group(2) == "0") or word == "comment":
                skip = 1
            elif word in ("macro", "imacro", "rmacro", "irmacro"):
                depth += 1
                if depth == 1:
                    defining = _Macro()
                    define_name = pre.group(2) if word in ("macro", "rmacro") else ""
                    define_name = define_name or pre.group(2).lower()
            elif word in ("endmacro", "endm") and depth:
                depth -= 1
                if depth == 0 and defining is not None:
                    macros[define_name] = defining
                    defining = None
            continue
        if skip:
            continue
        pos = 0
        while True:
            lm = _LABEL.match(code, pos)
            if not lm:
                break
            pos = lm.end()
        body = code[pos:]
        sm = _SECTION.match(body)
        if depth:
            if defining is not None:
                if sm or re.match(r"\s*\[?\s*absolute\b", body, re.I):
                    defining.changes_section = True
                else:
                    kind = _kind(body, macros)
                    if kind and kind.startswith("macro:"):
                        inner = macros[kind[6:]]
                        defining.kinds |= inner.kinds
                        defining.changes_section |= inner.changes_section
                    elif kind:
                        defining.kinds.add(kind)
            continue
        if sm:
            d = _parse_section(start + pos, body, sm)
            if d is None:
                continue
            cur = d.name
            rec = records.get(d.name)
            if rec is None:
                records[d.name] = NasmRecord(d.name, d)
            else:
                rec.later.append(d)
            continue
        lowered = body.strip().lower()
        if re.match(r"\[?\s*absolute\b", lowered):
            cur = None
            continue
        if re.match(r"struc\b", lowered):
            saved, cur = cur, None
            continue
        if re.match(r"endstruc\b", lowered):
            cur = saved
            continue
        if cur is None:
            continue
        kind = _kind(body, macros)
        if not kind:
            continue
        where = start + pos + (len(body) - len(body.lstrip()))
        if kind.startswith("macro:"):
            macro = macros[kind[6:]]
            if macro.changes_section:
                continue
            for k in sorted(macro.kinds):
                records[cur].content.setdefault(k, where)
        else:
            records[cur].content.setdefault(kind, where)
    return records
