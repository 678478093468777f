"""GNU ld 2.40's lexical rules that the grammar alone cannot express.

* ``number_value``: the value ld gives an integer literal.
* ``RESERVED``: the words ld's lexer always turns into keywords, per lexer state.
* ``clean_text``: ld ignores (with a warning) characters that no lexer state knows,
  such as ``@`` or a non-ASCII byte outside comments and quotes; this does the same
  before lark sees the text, and rejects binary data (NUL bytes) outright.
* ``decode``: bytes to text without ever failing.
"""

from __future__ import annotations

import bisect
import re

from .ast import Span
from .errors import ScriptDiagnostic, ScriptSyntaxError

_U64 = (1 << 64) - 1
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def _strtoul(text: str, base: int) -> int:
    """C ``strtoul`` on a string without sign or blanks: base 0 detects ``0x`` and a
    leading-``0`` octal, parsing stops at the first invalid digit, an overflow
    saturates at 2**64-1 (binutils' ``bfd_scan_vma`` calls ``strtoul`` on 64-bit hosts)."""
    if base in (0, 16) and text[:2].lower() == "0x" and text[2:3].lower() in _DIGITS[:16]:
        text, base = text[2:], 16
    elif base == 0:
        base = 8 if text.startswith("0") else 10
    valid = _DIGITS[:base]
    end = 0
    while end < len(text) and text[end].lower() in valid:
        end += 1
    return min(int(text[:end], base), _U64) if end else 0


_SUFFIX_BASE = {"h": 16, "x": 16, "o": 8, "b": 2, "d": 10}
_PLAIN = re.compile(r"(?:0[xX][0-9A-Fa-f]+|[0-9]+|\$[0-9A-Fa-f]+)[KkMm]?")


def number_value(text: str) -> int:
    """The 64-bit value GNU ld 2.40 gives the integer literal ``text``.

    ``text`` is one NUMBER token: ``0x1F``, ``$1F``, ``017`` (octal), ``4K``, ``1M``,
    ``0x10K`` (multipliers wrap at 64 bits), or hex digits with a radix suffix
    (``1Fh``, ``777o``, ``101b``, ``99d``, ``10x``), which is how ``dead`` and ``bad``
    become numbers in ld."""
    if _PLAIN.fullmatch(text):
        scale = 1
        if text[-1] in "Kk":
            scale, text = 1024, text[:-1]
        elif text[-1] in "Mm":
            scale, text = 1024 * 1024, text[:-1]
        value = _strtoul(text[1:], 16) if text[0] == "$" else _strtoul(text, 0)
        return (value * scale) & _U64
    return _strtoul(text, _SUFFIX_BASE[text[-1].lower()])


# Words ld 2.40's lexer (ld/ldlex.l) returns as keyword tokens in each state. Checked
# against ld 2.40 itself (tests/ldscript/test_ld_oracle.py). A word from these sets
# where the grammar wants a name is a syntax error in ld; kernlint reports it as one.
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_EXPRESSION_AND_SCRIPT = _words(
    """ORIGIN BLOCK BIND LENGTH ALIGN DATA_SEGMENT_ALIGN DATA_SEGMENT_RELRO_END
    DATA_SEGMENT_END ADDR LOADADDR ALIGNOF ABSOLUTE MAX MIN LOG2CEIL ASSERT NEXT
    SIZEOF_HEADERS SEGMENT_START SIZEOF DEFINED NOCROSSREFS NOCROSSREFS_TO OVERLAY
    ONLY_IF_RO ONLY_IF_RW SPECIAL INCLUDE AT ALIGN_WITH_INPUT SUBALIGN HIDDEN PROVIDE
    PROVIDE_HIDDEN CONSTANT"""
)
RESERVED: dict[str, frozenset[str]] = {
    "SNAME": _EXPRESSION_AND_SCRIPT
    | _words(
        """MEMORY REGION_ALIAS LD_FEATURE VERSION ENTRY EXTERN MAP TARGET SEARCH_DIR
        OUTPUT INPUT GROUP FORCE_COMMON_ALLOCATION FORCE_GROUP_ALLOCATION
        INHIBIT_COMMON_ALLOCATION SECTIONS INSERT AFTER BEFORE STARTUP OUTPUT_FORMAT
        OUTPUT_ARCH HLL SYSLIB FLOAT NOFLOAT o org l len PHDRS"""
    ),
    "ENAME": _EXPRESSION_AND_SCRIPT | _words("NOLOAD READONLY DSECT COPY INFO TYPE"),
    "WNAME": _words(
        """ASSERT CREATE_OBJECT_SYMBOLS CONSTRUCTORS FILL QUAD SQUAD LONG SHORT BYTE
        SORT_BY_NAME SORT_BY_ALIGNMENT SORT SORT_BY_INIT_PRIORITY SORT_NONE
        INPUT_SECTION_FLAGS INCLUDE AT HIDDEN PROVIDE PROVIDE_HIDDEN KEEP EXCLUDE_FILE"""
    ),
    "INAME": frozenset({"AS_NEEDED"}),
}


class LineIndex:
    """Offsets to 1-based (line, column) in one text."""

    def __init__(self, text: str) -> None:
        self.starts = [0]
        self.starts.extend(m.end() for m in re.finditer("\n", text))

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


# Characters some ld lexer state accepts outside comments and quotes (ld/ldlex.l).
_VALID = r"A-Za-z0-9_/.\\$~\-+:\[\],=?*^!&|<>%(){};\"# \t\r\n"
_INVALID = re.compile(f"[^{_VALID}]")
_SKIP_OR_INVALID = re.compile(rf'/\*.*?\*/|"[^"]*"|#[^\n]*|([^{_VALID}])', re.S)


def _describe_char(char: str) -> str:
    """A character as ld prints it in ``ignoring invalid character `%s'``."""
    if char.isascii() and char.isprintable():
        return char
    undecodable = 0xDC80 <= ord(char) <= 0xDCFF  # a byte kept by surrogateescape
    data = bytes([ord(char) - 0xDC00]) if undecodable else char.encode("utf-8")
    return "".join(f"\\{b:03o}" for b in data)


def clean_text(text: str, path: str) -> tuple[str, tuple[ScriptDiagnostic, ...]]:
    """Replace each character no ld lexer state accepts (outside comments and quoted
    strings) with a space, and return one warning per character, worded like ld's.

    Raises ``ScriptSyntaxError`` for a NUL byte: ld would only warn, but a NUL means
    the file is binary data, not a script."""
    nul = text.find("\0")
    if nul >= 0:
        line, column = LineIndex(text).position(nul)
        raise ScriptSyntaxError(
            "binary data (a NUL byte) in a linker script: this is not a text file",
            path=path,
            line=line,
            column=column,
            source_line=_line_at(text, nul),
        )
    if _INVALID.search(text) is None:
        return text, ()
    index = LineIndex(text)
    warnings: list[ScriptDiagnostic] = []

    def replace(match: re.Match[str]) -> str:
        char = match.group(1)
        if char is None:
            return match.group(0)
        line, column = index.position(match.start())
        warnings.append(
            ScriptDiagnostic(
                span=Span(path, line, column, line, column + 1),
                message=f"ignoring invalid character `{_describe_char(char)}' in script",
                severity="warning",
            )
        )
        return " "

    return _SKIP_OR_INVALID.sub(replace, text), tuple(warnings)


def _line_at(text: str, offset: int) -> str:
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return text[start : end if end >= 0 else len(text)]


def decode(data: bytes) -> str:
    """Script bytes as text: UTF-8, with each byte that is not UTF-8 kept as one lone
    surrogate (``surrogateescape``), so nothing fails to decode. Such bytes inside
    comments are harmless, as they are to ld."""
    return data.decode("utf-8", errors="surrogateescape")
