"""GNU as, read as text: statements, labels, directives, and which section each
statement's bytes land in.

What is read, as GNU as on x86 reads it (``gas/app.c``, ``gas/read.c``,
``gas/config/obj-elf.c``), without running the C preprocessor:

- Statements end at a newline or ``;``. Comments: ``#`` to the end of the line
  (x86's comment character, anywhere on a line; in a ``.S`` file this also skips
  ``#include``/``#define`` lines, and an ``#if 0`` ... ``#endif`` block is skipped
  whole), ``//`` to the end of the line (AArch64's, and C++'s in ``.S``), ``/* */``.
  Strings ``"..."`` with backslash escapes, and character constants ``'c``.
- Labels (``name:``, ``1:``, several on one line) before a statement.
- Section changes: ``.section``/``.sect`` and ``.pushsection`` (name bare or quoted,
  then an optional subsection for ``.pushsection``, a flags string, and a type
  ``@progbits``/``%nobits``/``"note"``), ``.popsection``, ``.previous``,
  ``.subsection``, ``.text``/``.data``/``.bss`` with an optional subsection number,
  ``.struct``/``.offset`` (the absolute section).
- What a statement puts in its section: an instruction (anything that is not a
  label, a directive or an assignment; ``.inst``/``.insn`` too), data (``.byte``,
  ``.long``, ``.quad``, ``.ascii``, ``.incbin``, ...), or zero fill (``.skip``,
  ``.space``, ``.zero``, ``.fill`` with no or a zero value, ``.org``). Everything
  else (``.globl``, ``.type``, ``.align``, ``.code64``, ``.cfi_*``, ``x = 1``) puts
  nothing there.
- ``.macro`` bodies are not section changes or content where they are written;
  a later invocation of the macro counts as the content its body holds (or as
  nothing known, when the body changes sections). ``.rept``/``.irp``/``.irpc``
  bodies are read once, in place. A statement that looks like a C-preprocessor
  macro call (``ENTRY(x)``, ``SYM_FUNC_START(x)``, ``__HEAD``) is taken to put
  nothing known in the section, since its expansion is not visible.

Not handled: ``.include``d files, ``.if``/``.ifdef`` conditions (both branches are
read), macro arguments substituted into section names (such a name, containing
``\\``, is marked ``symbolic``), cpp macros used as section names in ``.S`` files
(``.section SECTION_NAME``: also ``symbolic``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from kernlint.source.model import Fragment


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Statement kinds.
EMPTY = "empty"  # nothing, or labels only
NEUTRAL = "neutral"  # a directive or assignment that emits nothing into the section
UNKNOWN = "unknown"  # a macro call whose expansion is not visible
INSTRUCTION = "instruction"
DATA = "data"
ZERO = "zero"  # zero fill: .skip, .space, .zero, .fill with value 0, .org
SECTION = "section"  # a section change
MACRO = "macro"  # .macro (start of a definition)
ENDM = "endm"  # .endm / .endmacro
MACRO_CALL = "macro-call"  # an invocation of a .macro defined earlier
CONTENT = (INSTRUCTION, DATA, ZERO)

_TOKEN = re.compile(
    r"""
    (?P<nl>\n)
  | (?P<sep>;)
  | (?P<str>"(?:[^"\\\n]|\\.)*"?)
  | (?P<bc>/\*(?:.*?\*/|.*\Z))
  | (?P<lc>(?:\#|//)[^\n]*)
  | (?P<chr>'(?:\\.|[^\\\n]))
  | (?P<other>[^\n;"/#']+|/|')
    """,
    re.S | re.X,
)
_CPP_CONDITIONAL = re.compile(r"#\s*(if|ifdef|ifndef|elif|else|endif)\b\s*(\S*)")
_LABEL = re.compile(r"\s*(?:[A-Za-z_.$][\w.$@]*|\d+|\"(?:[^\"\\]|\\.)*\")[ \t]*:(?![:=])")
_ASSIGNMENT = re.compile(r"\s*[A-Za-z_.$][\w.$@]*\s*==?(?!=)")
_DIRECTIVE = re.compile(r"\s*\.([A-Za-z_][\w.]*)")
_WORD = re.compile(r"\s*([^\s,(]+)(\s*\()?")
_CPP_MACRO = re.compile(r"[A-Z_][A-Z0-9_]*")
_CPP_NAME = re.compile(r"[A-Z_][A-Z0-9_]*[_0-9][A-Z0-9_]*|__[A-Z0-9_]+")
_CPP_DEFINE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)", re.M)
#: A function-like macro invocation as a section name (pico-sdk's
#: `.section SECTION_NAME(dsqrt_shim)`, which cpp turns into `.text.dsqrt_shim`).
_CPP_CALL = re.compile(r"[A-Za-z_]\w*\(.*\)")

_DATA_DIRECTIVES = _words(
    """byte 2byte 4byte 8byte short hword half word int long quad octa value dword xword
    ascii asciz string string8 string16 string32 string64 float single double
    bfloat16 hfloat base64 dc dc.a dc.b dc.d dc.l dc.s dc.w dc.x dcb dcb.b dcb.d dcb.l
    dcb.s dcb.w dcb.x incbin uleb128 sleb128 ds.p ds.x reloc_data"""
)
_INSN_DIRECTIVES = _words("inst inst.n inst.w insn byte_insn")
_FILL_DIRECTIVES = _words("skip space zero fill org ds ds.b ds.w ds.l ds.d ds.s")
_SECTION_DIRECTIVES = _words(
    """section sect section.s sect.s pushsection popsection previous subsection text data
    bss struct offset"""
)
_MACRO_START = frozenset({"macro"})
_MACRO_END = frozenset({"endm", "endmacro"})
_ZERO_VALUE = re.compile(r"\s*(?:0+|0x0+)\s*$", re.I)


@dataclass(frozen=True)
class Statement:
    """One statement of a fragment: ``text`` with comments blanked out (so that
    ``text[i]`` is at ``fragment.text[start + i]``), and its ``kind``."""

    start: int
    text: str
    kind: str
    directive: str = ""  # lower-case directive name without the dot, or the macro name


@dataclass(frozen=True)
class SectionDirective:
    """A section change: ``op`` (``section``, ``pushsection``, ``popsection``,
    ``previous``, ``subsection``, ``text``, ``data``, ``bss``, ``struct``), the
    section ``name`` (None for the ops that name none), where the name is written
    in the fragment (``name_start``, ``name_end``; the name as written, quotes
    included), the ``flags`` string (None when absent; ``""`` when given empty), the
    ``type`` (``progbits``, ``nobits``, ... without ``@``/``%``; None when absent),
    ``symbolic`` when the name holds a macro parameter or looks like a cpp macro, and
    ``malformed`` when GNU as would reject the directive."""

    op: str
    name: str | None
    name_start: int = 0
    name_end: int = 0
    flags: str | None = None
    type: str | None = None
    symbolic: bool = False
    malformed: bool = False
    statement: str = ""
    start: int = 0


def statements(fragment: Fragment) -> Iterator[tuple[int, str]]:
    """(start, text) of each statement of ``fragment``, comments blanked out with
    spaces (so offsets stay right), ``#if 0`` blocks left out."""
    text = fragment.text
    buf: list[str] = []
    start = 0
    line_has_code = False
    skip = 0  # depth inside #if 0
    for m in _TOKEN.finditer(text):
        kind = m.lastgroup
        tok = m.group()
        if kind == "nl" or kind == "sep":
            if buf and not skip:
                yield start, "".join(buf)
            buf = []
            start = m.end()
            if kind == "nl":
                line_has_code = False
            continue
        if kind == "lc" and tok[0] == "#" and not line_has_code:
            cond = _CPP_CONDITIONAL.match(tok)
            if cond:
                word, arg = cond.groups()
                if skip:
                    if word.startswith("if"):
                        skip += 1
                    elif word == "endif" or (word in ("else", "elif") and skip == 1):
                        skip -= 1
                elif word == "if" and arg == "0":
                    skip = 1
        if skip:
            continue
        if kind in ("bc", "lc"):
            buf.append(" " * len(tok) if "\n" not in tok else re.sub(r"[^\n]", " ", tok))
            continue
        if not tok.isspace():
            line_has_code = True
        buf.append(tok)
    if buf and not skip:
        yield start, "".join(buf)


def strip_labels(text: str) -> tuple[int, list[str]]:
    """(index after the labels, label names) of a statement."""
    pos = 0
    labels = []
    while True:
        m = _LABEL.match(text, pos)
        if not m:
            return pos, labels
        labels.append(m.group().strip()[:-1].strip())
        pos = m.end()


def classify(start: int, text: str, macros: dict[str, MacroBody] | None = None) -> Statement:
    """The kind of one statement (see the module documentation)."""
    pos, _ = strip_labels(text)
    rest = text[pos:]
    if not rest.strip():
        return Statement(start, text, EMPTY)
    m = _DIRECTIVE.match(rest)
    if m:
        name = m.group(1).lower()
        args = rest[m.end() :]
        if name in _SECTION_DIRECTIVES:
            return Statement(start, text, SECTION, name)
        if name in _DATA_DIRECTIVES:
            return Statement(start, text, DATA, name)
        if name in _INSN_DIRECTIVES:
            return Statement(start, text, INSTRUCTION, name)
        if name in _FILL_DIRECTIVES:
            return Statement(start, text, _fill_kind(name, args), name)
        if name in _MACRO_START:
            return Statement(start, text, MACRO, name)
        if name in _MACRO_END:
            return Statement(start, text, ENDM, name)
        return Statement(start, text, NEUTRAL, name)
    if _ASSIGNMENT.match(rest):
        return Statement(start, text, NEUTRAL)
    w = _WORD.match(rest)
    word = w.group(1) if w else ""
    if macros and word.lower() in macros:
        body = macros[word.lower()]
        return (
            Statement(start, text, MACRO_CALL, word.lower())
            if body
            else Statement(start, text, UNKNOWN, word)
        )
    if _CPP_MACRO.fullmatch(word) and (w.group(2) or _CPP_NAME.fullmatch(word)):
        return Statement(start, text, UNKNOWN, word)
    return Statement(start, text, INSTRUCTION)


def _fill_kind(name: str, args: str) -> str:
    """``ZERO`` for a fill with no value or a zero one, else ``DATA``."""
    parts = _split_args(args)
    if name == "fill":
        value = parts[2] if len(parts) > 2 else ""
    elif name == "org" or name in ("skip", "space", "ds", "ds.b", "ds.w", "ds.l", "ds.d", "ds.s"):
        value = parts[1] if len(parts) > 1 else ""
    else:  # zero
        value = ""
    return ZERO if not value.strip() or _ZERO_VALUE.match(value) else DATA


def _split_args(args: str) -> list[str]:
    out, depth, cur, quote = [], 0, [], False
    i = 0
    while i < len(args):
        c = args[i]
        if quote:
            cur.append(c)
            if c == "\\" and i + 1 < len(args):
                cur.append(args[i + 1])
                i += 1
            elif c == '"':
                quote = False
        elif c == '"':
            quote = True
            cur.append(c)
        elif c in "([":
            depth += 1
            cur.append(c)
        elif c in ")]":
            depth -= 1
            cur.append(c)
        elif c == "," and depth <= 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(c)
        i += 1
    out.append("".join(cur))
    return out


_C_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "a": "\a"}


def _c_string(text: str, pos: int) -> tuple[str, int, bool]:
    """Decode the GNU as string starting at ``text[pos] == '"'``: (value, index after
    the closing quote, terminated)."""
    out = []
    i = pos + 1
    while i < len(text):
        c = text[i]
        if c == '"':
            return "".join(out), i + 1, True
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            if n in _C_ESCAPES:
                out.append(_C_ESCAPES[n])
                i += 2
            elif n in "01234567":
                m = re.match(r"[0-7]{1,3}", text[i + 1 :])
                out.append(chr(int(m.group(), 8) & 0xFF))
                i += 1 + len(m.group())
            elif n in "xX":
                m = re.match(r"[0-9a-fA-F]+", text[i + 2 :])
                if m:
                    out.append(chr(int(m.group()[-2:], 16)))
                    i += 2 + len(m.group())
                else:
                    out.append(n)
                    i += 2
            else:
                out.append(n)
                i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out), i, False


_NAME_STOP = re.compile(r"[\s,;]")
_SUBSECTION = re.compile(r"\s*(?:-?\d+|0x[0-9a-fA-F]+)\s*")
_TYPE = re.compile(r"\s*[@%]([A-Za-z_][\w]*)")


def parse_section(
    stmt: Statement, preprocessed: bool = False, defines: frozenset[str] = frozenset()
) -> SectionDirective:
    """Parse a :data:`SECTION` statement (offsets in the result are fragment offsets).

    In a preprocessed file (``preprocessed``: ``.S``), an upper-case name is taken for
    a cpp macro (``symbolic``) when ``defines`` holds it (the file ``#define``s it) or
    when it is spelled like one (an underscore or a digit after the first letter:
    ``TEXT_SECTION``, ``__HEAD``); a plain upper-case word (``VECTORS``) is a section
    name, since GNU as matches names case-sensitively (``.TEXT`` gets no flags). A
    function-like macro call (``SECTION_NAME(x)``) is ``symbolic`` too."""
    text = stmt.text
    pos, _ = strip_labels(text)
    m = _DIRECTIVE.match(text, pos)
    assert m is not None
    op = stmt.directive
    if op in ("sect", "section.s", "sect.s"):
        op = "section"
    if op == "offset":
        op = "struct"
    end = m.end()
    base = {"statement": text.strip(), "start": stmt.start + pos}
    if op in ("text", "data", "bss"):
        return SectionDirective(op, "." + op, stmt.start + m.start(1) - 1, stmt.start + end, **base)
    if op in ("popsection", "previous", "subsection", "struct"):
        return SectionDirective(op, None, **base)
    # .section / .pushsection NAME ...
    i = end
    while i < len(text) and text[i] in " \t":
        i += 1
    if i >= len(text) or text[i] in ",;":
        return SectionDirective(op, None, malformed=True, **base)
    name_start = i
    if text[i] == '"':
        name, i, ok = _c_string(text, i)
        if not ok:
            return SectionDirective(op, None, malformed=True, **base)
    else:
        stop = _NAME_STOP.search(text, i)
        i = stop.start() if stop else len(text)
        name = text[name_start:i]
    name_end = i
    symbolic = "\\" in name or (
        preprocessed
        and (
            (
                _CPP_MACRO.fullmatch(name) is not None
                and (name in defines or _CPP_NAME.fullmatch(name) is not None)
            )
            or _CPP_CALL.fullmatch(name) is not None
        )
    )
    flags = sec_type = None
    malformed = False
    rest = text[i:]
    j = 0
    rest_s = rest.lstrip()
    j = len(rest) - len(rest_s)
    if rest_s.startswith(","):
        j += 1
        if op == "pushsection":
            sm = _SUBSECTION.match(rest, j)
            if sm and sm.end() > j:
                j = sm.end()
                if j < len(rest) and rest[j] == ",":
                    j += 1
                else:
                    j = len(rest)
        while j < len(rest) and rest[j] in " \t":
            j += 1
        if j < len(rest) and rest[j] == '"':
            flags, j, ok = _c_string(rest, j)
            malformed = not ok
            k = j
            while k < len(rest) and rest[k] in " \t":
                k += 1
            if k < len(rest) and rest[k] == ",":
                tm = _TYPE.match(rest, k + 1)
                if tm:
                    sec_type = tm.group(1).lower()
                else:
                    k2 = k + 1
                    while k2 < len(rest) and rest[k2] in " \t":
                        k2 += 1
                    if k2 < len(rest) and rest[k2] == '"':
                        value, _, _ = _c_string(rest, k2)
                        sec_type = value.lower()
        elif j < len(rest) and rest[j] == "#":
            flags = rest[j:].strip()  # Solaris-style #alloc,#write (where # is no comment)
        elif rest[j:].strip():
            malformed = True
        elif op == "section":
            malformed = True  # ".section name," with nothing after the comma
    elif rest_s:
        malformed = True
    return SectionDirective(
        op,
        name,
        stmt.start + name_start,
        stmt.start + name_end,
        flags,
        sec_type,
        symbolic,
        malformed,
        **base,
    )


@dataclass
class MacroBody:
    """What a ``.macro`` body puts in the current section when invoked: the content
    kinds of its statements; empty (falsy) when it changes sections, since the
    content then lands elsewhere."""

    kinds: set[str] = field(default_factory=set)
    changes_section: bool = False

    def __bool__(self) -> bool:
        return not self.changes_section


@dataclass
class SectionRecord:
    """A section as a whole fragment list uses it: ``first``, the directive that
    created it (None for ``.text``/``.data``/``.bss``, which exist from the start),
    with the index of its fragment; ``content``: for each content kind, the
    (fragment index, fragment offset) of its first statement; ``later``: later
    directives naming it (the flags GNU as then ignores or rejects)."""

    name: str
    first: SectionDirective | None
    fragment: int = 0
    content: dict[str, tuple[int, int]] = field(default_factory=dict)
    later: list[tuple[int, SectionDirective]] = field(default_factory=list)

    def add(self, kind: str, where: tuple[int, int]) -> None:
        self.content.setdefault(kind, where)


_ABS = "*ABS*"
_INITIAL = (".text", ".data", ".bss")


def walk(fragments: Iterable[Fragment], preprocessed: bool = False) -> dict[str, SectionRecord]:
    """Follow the section changes of ``fragments`` (one assembly unit, in order) and
    record, per section name, the directive that created it and what lands in it.

    Each fragment starts in ``.text`` with an empty section stack, except that
    consecutive ``global_asm`` fragments continue one another (rustc joins them).
    Macros defined in one fragment are known in the following ones."""
    fragments = tuple(fragments)
    records: dict[str, SectionRecord] = {n: SectionRecord(n, None) for n in _INITIAL}
    defines = (
        frozenset(m.group(1) for f in fragments for m in _CPP_DEFINE.finditer(f.text))
        if preprocessed
        else frozenset()
    )
    macros: dict[str, MacroBody] = {}
    last_origin = ""
    cur: str | None = ".text"
    prev: str | None = None
    stack: list[tuple[str | None, str | None]] = []
    for index, frag in enumerate(fragments):
        if not (frag.origin == "global_asm" and last_origin == "global_asm"):
            cur, prev, stack = ".text", None, []
        last_origin = frag.origin
        if frag.opaque:
            continue
        defining: MacroBody | None = None
        define_name = ""
        depth = 0
        for start, text in statements(frag):
            stmt = classify(start, text, macros)
            if depth:
                if stmt.kind == MACRO:
                    depth += 1
                elif stmt.kind == ENDM:
                    depth -= 1
                    if depth == 0 and defining is not None:
                        macros[define_name] = defining
                        defining = None
                elif defining is not None:
                    if stmt.kind == SECTION:
                        defining.changes_section = True
                    elif stmt.kind in CONTENT:
                        defining.kinds.add(stmt.kind)
                    elif stmt.kind == MACRO_CALL:
                        defining.kinds |= macros[stmt.directive].kinds
                    elif stmt.kind == UNKNOWN:
                        pass
                continue
            if stmt.kind == MACRO:
                depth = 1
                defining = MacroBody()
                pos, _ = strip_labels(text)
                m = re.match(r"\s*\.macro\s+([^\s,]+)", text[pos:], re.I)
                define_name = m.group(1).lower() if m else ""
                continue
            if stmt.kind == SECTION:
                d = parse_section(stmt, preprocessed, defines)
                if d.malformed:
                    continue
                if d.op in ("section", "pushsection", "text", "data", "bss"):
                    if d.op == "pushsection":
                        stack.append((cur, prev))
                    prev = cur
                    if d.symbolic or d.name is None:
                        cur = None
                        continue
                    cur = d.name
                    rec = records.get(d.name)
                    if rec is None:
                        records[d.name] = SectionRecord(d.name, d, index)
                    elif d.op in ("section", "pushsection"):
                        rec.later.append((index, d))
                elif d.op == "popsection":
                    if stack:
                        cur, prev = stack.pop()
                elif d.op == "previous":
                    if prev is not None:
                        cur, prev = prev, cur
                elif d.op == "subsection":
                    prev = cur
                elif d.op == "struct":
                    prev, cur = cur, _ABS
                continue
            if cur is None or cur == _ABS:
                continue
            if stmt.kind in CONTENT:
                records[cur].add(stmt.kind, (index, stmt.start))
            elif stmt.kind == MACRO_CALL:
                for kind in sorted(macros[stmt.directive].kinds):
                    records[cur].add(kind, (index, stmt.start))
    return records
