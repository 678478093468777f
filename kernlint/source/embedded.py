"""Assembly embedded in Rust and C/C++ source: the template strings of
``global_asm!``/``asm!``/``naked_asm!`` and of ``__asm__``/``asm`` statements, decoded
as the compiler decodes them, each character mapped back to its offset in the file.

Rust (the Reference, "Inline assembly"): the macro may be named by a path
(``core::arch::global_asm!``, ``std::arch::asm!``) and called with ``()``, ``[]`` or
``{}``. Its leading arguments are the template: string literals (normal, with
escapes and ``\\``-newline continuations; raw ``r"..."``/``r#"..."#``) or
``concat!(...)`` of literals; several template arguments are joined with newlines.
The first argument that is neither (an operand, ``options(...)``, a named
argument) ends the template. A template argument that is a macro variable
(``$t``), ``stringify!``, ``include_str!`` or a ``concat!`` of anything else makes
the fragment *opaque*: its text is not all known. Comments (``//``, nested
``/* */``), strings and character literals elsewhere in the file are skipped, so
``asm!`` inside them is not taken for a call. ``{}`` placeholders and ``{{``/``}}``
are left as written.

C/C++ (GCC, "Basic Asm" / "Extended Asm"): ``asm``, ``__asm``, ``__asm__``, with
``volatile``/``__volatile__``/``inline``/``goto`` qualifiers; the template is the run
of adjacent string literals after the parenthesis (concatenated, escapes decoded,
``\\``-newline splices removed, C++ raw strings ``R"d(...)d"`` too). In extended
asm (an operand ``:`` follows), ``%%`` stands for ``%``. An identifier between the
literals (a macro) makes the fragment opaque. An asm label (``int f(void)
asm("g");``) is not assembly and is skipped. Each fragment says whether it is at
file scope (``c-toplevel``) or inside braces (``c-inline``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from kernlint.source.model import Fragment

#: concat!() nesting deeper than this makes a template opaque rather than recursing.
MAX_NESTING = 32

# ---------------------------------------------------------------------------- Rust

_RUST_SCAN = re.compile(
    r"""
    (?P<lc>//[^\n]*)
  | (?P<bc>/\*)
  | (?P<raw>(?<![\w])[bc]?r(?P<hashes>\#*)")
  | (?P<str>")
  | (?P<chr>'(?:[^'\\\n]|\\(?:[nrt\\0'"]|x[0-9a-fA-F]{2}|u\{[0-9a-fA-F_]{1,8}\}))')
  | (?P<mac>(?<![\w])(?P<which>global_asm|naked_asm|asm)\s*!\s*(?P<open>[(\[{]))
    """,
    re.X,
)
_RUST_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<lc>//[^\n]*)
  | (?P<bc>/\*)
  | (?P<raw>[bc]?r(?P<hashes>\#*)")
  | (?P<str>[bc]?")
  | (?P<chr>'(?:[^'\\\n]|\\(?:[nrt\\0'"]|x[0-9a-fA-F]{2}|u\{[0-9a-fA-F_]{1,8}\}))')
  | (?P<ident>[A-Za-z_]\w*)
  | (?P<punct>.)
    """,
    re.X | re.S,
)
_BLOCK = re.compile(r"/\*|\*/")
_CLOSE = {"(": ")", "[": "]", "{": "}"}
_HEX2 = re.compile(r"[0-9a-fA-F]{2}")
_UNICODE = re.compile(r"\{([0-9a-fA-F_]{1,8})\}")
_RUST_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "\\": "\\", "0": "\0", "'": "'", '"': '"'}


def _skip_rust_block_comment(text: str, pos: int) -> int:
    """Index after the (nested) block comment opening at ``pos``; len(text) if open."""
    depth = 0
    for m in _BLOCK.finditer(text, pos):
        depth += 1 if m.group() == "/*" else -1
        if depth == 0:
            return m.end()
    return len(text)


def _rust_string(text: str, pos: int) -> tuple[str, list[int], int]:
    """Decode the normal (escaped) string literal whose opening quote is at ``pos``:
    (value, file offset of each character, index after the closing quote)."""
    out: list[str] = []
    offs: list[int] = []
    i = pos + 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            return "".join(out), offs, i + 1
        if c == "\\" and i + 1 < n:
            e = text[i + 1]
            if e == "\n":
                i += 2
                while i < n and text[i] in " \t\n\r":
                    i += 1
                continue
            if e in _RUST_ESCAPES:
                out.append(_RUST_ESCAPES[e])
                offs.append(i)
                i += 2
                continue
            if e == "x":
                m = _HEX2.match(text, i + 2)
                if m:
                    out.append(chr(int(m.group(), 16)))
                    offs.append(i)
                    i = m.end()
                    continue
            if e == "u":
                m = _UNICODE.match(text, i + 2)
                if m:
                    value = int(m.group(1).replace("_", "") or "0", 16)
                    out.append(chr(value) if value <= 0x10FFFF else "\ufffd")
                    offs.append(i)
                    i = m.end()
                    continue
            out.append(e)
            offs.append(i)
            i += 2
            continue
        out.append(c)
        offs.append(i)
        i += 1
    return "".join(out), offs, n


def _rust_raw_string(text: str, pos: int, hashes: int) -> tuple[str, list[int], int]:
    """Decode the raw string whose opening quote is at ``pos``."""
    close = '"' + "#" * hashes
    end = text.find(close, pos + 1)
    if end < 0:
        end = len(text)
    return text[pos + 1 : end], list(range(pos + 1, end)), min(end + len(close), len(text))


def _rust_tokens(text: str, pos: int) -> Iterator[tuple[str, int, int, object]]:
    """Tokens from ``pos``: (kind, start, end, value); value is (str, offsets) for
    string literals. Whitespace and comments are left out."""
    n = len(text)
    while pos < n:
        m = _RUST_TOKEN.match(text, pos)
        if m is None:  # cannot happen: punct matches any character
            return
        kind = m.lastgroup
        if kind == "ws" or kind == "lc":
            pos = m.end()
            continue
        if kind == "bc":
            pos = _skip_rust_block_comment(text, m.start())
            continue
        if kind == "raw":
            quote = m.end() - 1
            value, offs, end = _rust_raw_string(text, quote, len(m.group("hashes")))
            yield "string", m.start(), end, (value, offs)
            pos = end
            continue
        if kind == "str":
            value, offs, end = _rust_string(text, m.end() - 1)
            yield "string", m.start(), end, (value, offs)
            pos = end
            continue
        yield kind, m.start(), m.end(), m.group()
        pos = m.end()


def _rust_arguments(text: str, open_pos: int) -> tuple[list[list[tuple]], int]:
    """The top-level comma-separated arguments of the macro call whose opening
    delimiter is at ``open_pos``, as token lists, and the index after the call."""
    closing = [_CLOSE[text[open_pos]]]
    args: list[list[tuple]] = [[]]
    for tok in _rust_tokens(text, open_pos + 1):
        kind, _start, end, value = tok
        if kind == "punct":
            if value in _CLOSE:
                closing.append(_CLOSE[value])
            elif value in ")]}":
                if value == closing[-1]:
                    closing.pop()
                    if not closing:
                        return [a for a in args if a], end
            elif value == "," and len(closing) == 1:
                args.append([])
                continue
        args[-1].append(tok)
    return [a for a in args if a], len(text)


def _literal(tokens: list[tuple], depth: int = 0) -> tuple[str, list[int]] | None:
    """The string value of a template argument: one string literal, or
    ``[path::]concat!(...)`` of such; None when it is anything else."""
    if len(tokens) == 1 and tokens[0][0] == "string":
        value, offs = tokens[0][3]
        return value, list(offs)
    # Strip a path prefix: (::)? ident (:: ident)* before "concat".
    i = 0
    while i < len(tokens) and (
        tokens[i][3] == ":" or (tokens[i][0] == "ident" and tokens[i][3] in ("core", "std"))
    ):
        i += 1
    rest = tokens[i:]
    if (
        depth >= MAX_NESTING
        or len(rest) < 4
        or rest[0][3] != "concat"
        or rest[1][3] != "!"
        or rest[2][3] not in _CLOSE
        or rest[-1][3] != _CLOSE[rest[2][3]]
    ):
        return None
    parts: list[list[tuple]] = [[]]
    level = 0
    for tok in rest[3:-1]:
        if tok[0] == "punct" and tok[3] in _CLOSE:
            level += 1
        elif tok[0] == "punct" and tok[3] in ")]}":
            level -= 1
        elif tok[0] == "punct" and tok[3] == "," and level == 0:
            parts.append([])
            continue
        parts[-1].append(tok)
    value, offs = "", []
    for part in parts:
        if not part:
            continue
        inner = _literal(part, depth + 1)
        if inner is None:
            return None
        value += inner[0]
        offs += inner[1]
    return value, offs


def _is_macro_call(tokens: list[tuple]) -> bool:
    """True for ``$x`` and ``[path::]name!(...)``."""
    i = 0
    while i < len(tokens) and (tokens[i][0] == "ident" or tokens[i][3] == ":"):
        i += 1
    return tokens[0][3] == "$" or (0 < i < len(tokens) and tokens[i][3] == "!")


def rust_fragments(text: str) -> Iterator[Fragment]:
    """One :class:`Fragment` per ``global_asm!``/``asm!``/``naked_asm!`` call in Rust
    source ``text``, in file order."""
    pos = 0
    n = len(text)
    while pos < n:
        m = _RUST_SCAN.search(text, pos)
        if m is None:
            return
        kind = m.lastgroup
        if m.group("mac") is not None:
            kind = "mac"
        elif m.group("raw") is not None:
            kind = "raw"
        if kind == "lc" or kind == "chr":
            pos = m.end()
        elif kind == "bc":
            pos = _skip_rust_block_comment(text, m.start())
        elif kind == "raw":
            pos = _rust_raw_string(text, m.end() - 1, len(m.group("hashes")))[2]
        elif kind == "str":
            pos = _rust_string(text, m.start())[2]
        else:
            args, end = _rust_arguments(text, m.start("open"))
            pieces: list[tuple[str, list[int]]] = []
            opaque = False
            for arg in args:
                lit = _literal(arg)
                if lit is None:
                    # Operands, options() and named arguments end the template; a
                    # `$t` of a macro_rules! or a macro call (stringify!,
                    # include_str!, concat! of non-literals) hides it.
                    opaque = not pieces or _is_macro_call(arg)
                    break
                pieces.append(lit)
            chars: list[str] = []
            offsets: list[int] = []
            for k, (value, offs) in enumerate(pieces):
                if k:
                    chars.append("\n")
                    offsets.append(offsets[-1] + 1 if offsets else m.start())
                chars.append(value)
                offsets.extend(offs)
            yield Fragment(
                "".join(chars),
                m.group("which"),
                m.start(),
                tuple(offsets),
                opaque or not pieces,
                (m.start(), end),
            )
            pos = max(end, m.end())


# ---------------------------------------------------------------------------- C

_C_SCAN = re.compile(
    r"""
    (?P<lc>//[^\n]*)
  | (?P<bc>/\*)
  | (?P<raw>(?<![\w])(?:u8|u|U|L)?R"(?P<delim>[^()\\\s"]{0,16})\()
  | (?P<str>")
  | (?P<chr>'(?:[^'\\\n]|\\.)*')
  | (?P<brace>[{}])
  | (?P<asm>(?<![\w$])(?:__asm__|__asm|asm)(?![\w$]))
    """,
    re.X | re.S,
)
_C_TEMPLATE_TOKEN = re.compile(
    r"""
    (?P<ws>(?:\s|\\\n)+)
  | (?P<lc>//[^\n]*)
  | (?P<bc>/\*.*?(?:\*/|\Z))
  | (?P<raw>(?:u8|u|U|L)?R"(?P<delim>[^()\\\s"]{0,16})\()
  | (?P<str>(?:u8|u|U|L)?")
  | (?P<ident>[A-Za-z_$][\w$]*)
  | (?P<punct>.)
    """,
    re.X | re.S,
)
_C_QUALIFIERS = frozenset(
    ["volatile", "__volatile__", "__volatile", "inline", "__inline", "__inline__", "goto"]
)
_C_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "v": "\v",
    "e": "\x1b",
    "\\": "\\",
    "'": "'",
    '"': '"',
    "?": "?",
}
_C_OCTAL = re.compile(r"[0-7]{1,3}")
_C_HEX = re.compile(r"[0-9a-fA-F]+")
_C_U4 = re.compile(r"[0-9a-fA-F]{4}")
_C_U8 = re.compile(r"[0-9a-fA-F]{8}")


def _c_string(text: str, pos: int) -> tuple[str, list[int], int]:
    """Decode the C string literal whose opening quote is at ``pos``."""
    out: list[str] = []
    offs: list[int] = []
    i = pos + 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            return "".join(out), offs, i + 1
        if c == "\n":  # unterminated: the compiler rejects it; stop at the line end
            return "".join(out), offs, i
        if c == "\\" and i + 1 < n:
            e = text[i + 1]
            if e == "\n":
                i += 2
                continue
            if e in _C_ESCAPES:
                out.append(_C_ESCAPES[e])
                offs.append(i)
                i += 2
                continue
            if e in "01234567":
                m = _C_OCTAL.match(text, i + 1)
                out.append(chr(int(m.group(), 8)))
                offs.append(i)
                i = m.end()
                continue
            if e == "x":
                m = _C_HEX.match(text, i + 2)
                if m:
                    out.append(chr(int(m.group()[-8:], 16) & 0x10FFFF))
                    offs.append(i)
                    i = m.end()
                    continue
            if e in "uU":
                m = (_C_U4 if e == "u" else _C_U8).match(text, i + 2)
                if m:
                    out.append(chr(min(int(m.group(), 16), 0x10FFFF)))
                    offs.append(i)
                    i = m.end()
                    continue
            out.append(e)
            offs.append(i)
            i += 2
            continue
        out.append(c)
        offs.append(i)
        i += 1
    return "".join(out), offs, n


def _c_raw_string(text: str, open_paren: int, delim: str) -> tuple[str, list[int], int]:
    close = ")" + delim + '"'
    end = text.find(close, open_paren + 1)
    if end < 0:
        end = len(text)
    return (
        text[open_paren + 1 : end],
        list(range(open_paren + 1, end)),
        min(end + len(close), len(text)),
    )


def _is_asm_label(text: str, keyword: int, template: str) -> bool:
    """An asm label (``int f(void) asm("g");``) names a symbol; it is no assembly."""
    i = keyword - 1
    while i >= 0 and text[i] in " \t\n\\":
        i -= 1
    if i < 0:
        return False
    prev = text[i]
    if prev in ")]":
        return True
    return (prev.isalnum() or prev in "_$") and re.fullmatch(r"[\w.$@]*", template) is not None


def _c_template(text: str, pos: int) -> tuple[str, list[int], bool, bool, int] | None:
    """Parse an asm statement after its keyword: (template, offsets, extended, opaque,
    index after the template), or None when no ``(`` follows (not an asm statement)."""
    n = len(text)
    while pos < n:
        m = _C_TEMPLATE_TOKEN.match(text, pos)
        kind = m.lastgroup
        if kind in ("ws", "lc", "bc") or (kind == "ident" and m.group() in _C_QUALIFIERS):
            pos = m.end()
        elif kind == "punct" and m.group() == "(":
            pos = m.end()
            break
        else:
            return None
    else:
        return None
    chars: list[str] = []
    offsets: list[int] = []
    opaque = False
    extended = False
    while pos < n:
        m = _C_TEMPLATE_TOKEN.match(text, pos)
        kind = m.lastgroup
        if kind in ("ws", "lc", "bc"):
            pos = m.end()
            continue
        if kind == "raw":
            value, offs, pos = _c_raw_string(text, m.end() - 1, m.group("delim"))
        elif kind == "str":
            value, offs, pos = _c_string(text, m.end() - 1)
        else:
            if kind == "punct" and m.group() == ":":
                extended = True
            elif not (kind == "punct" and m.group() == ")"):
                opaque = True
            break
        chars.append(value)
        offsets.extend(offs)
    template = "".join(chars)
    if extended and "%%" in template:
        keep = [True] * len(template)
        i = 0
        while i < len(template) - 1:
            if template[i] == "%" and template[i + 1] == "%":
                keep[i + 1] = False
                i += 2
            else:
                i += 1
        template = "".join(c for c, k in zip(template, keep, strict=True) if k)
        offsets = [o for o, k in zip(offsets, keep, strict=True) if k]
    return template, offsets, extended, opaque or not chars, pos


def c_fragments(text: str) -> Iterator[Fragment]:
    """One :class:`Fragment` per ``asm``/``__asm__`` statement in C or C++ source
    ``text``, in file order (asm labels left out)."""
    pos = 0
    depth = 0
    n = len(text)
    while pos < n:
        m = _C_SCAN.search(text, pos)
        if m is None:
            return
        kind = m.lastgroup
        if kind == "delim":
            kind = "raw"
        if kind == "lc" or kind == "chr":
            pos = m.end()
        elif kind == "bc":
            end = text.find("*/", m.end())
            pos = n if end < 0 else end + 2
        elif kind == "raw":
            pos = _c_raw_string(text, m.end() - 1, m.group("delim"))[2]
        elif kind == "str":
            pos = _c_string(text, m.start())[2]
        elif kind == "brace":
            depth = depth + 1 if m.group() == "{" else max(depth - 1, 0)
            pos = m.end()
        else:
            parsed = _c_template(text, m.end())
            if parsed is None:
                pos = m.end()
                continue
            template, offsets, _, opaque, end = parsed
            pos = max(end, m.end())
            if _is_asm_label(text, m.start(), template):
                continue
            yield Fragment(
                template,
                "c-toplevel" if depth == 0 else "c-inline",
                m.start(),
                tuple(offsets),
                opaque,
                (m.start(), end),
            )
