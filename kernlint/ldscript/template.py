"""Linker-script templates: files a build turns into the script ld reads.

A template holds C-preprocessor directives (Linux's ``vmlinux.lds.S``, U-Boot, TF-A,
Zephyr's ``linker.ld``), substitution markers (``@VAR@`` of autoconf, meson and CMake
``configure_file``; ``${VAR}`` of CMake and ``envsubst``; ``%VAR%`` of littlekernel's
``sed`` rules), or Jinja tags (``{{ var }}``, ``{% if %}``). Its text is not what ld
reads, so kernlint lints it as a script only when it is handed to ld as it is
(:func:`handed_to_ld`); otherwise it is reported once, at ``info`` (KL217).

What counts as a directive is what the C preprocessor takes for one (C17 6.10, GCC's
cpp manual, "The preprocessing language"): ``#`` first on a line (blanks allowed
around it), outside ``/* */``, then exactly a directive name, then what that directive
takes: ``#if``/``#elif`` a constant expression, ``#ifdef``/``#ifndef``/``#undef`` one
identifier, ``#include`` a ``<header>``, a ``"file"`` or a macro name, ``#else`` and
``#endif`` nothing. A ``#`` followed by prose (``# if you need more space, ...``) is a
line comment to GNU ld (checked on ld 2.40) and no directive.

GNU ld 2.40 reads ``#`` to the end of a line as a comment in every lexer state but
INPUTLIST (inside ``INPUT(...)``, ``GROUP(...)``, ``AS_NEEDED(...)``, where flex's
default rule echoes the ``#`` and the rest of the line is read as file names): checked
on ld 2.40 with ``#include``, ``#define`` and ``#if`` blocks at top level, inside
``MEMORY``, ``SECTIONS``, output section bodies and ``VERSION``.
"""

from __future__ import annotations

import bisect
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from kernlint.classify import TEMPLATE_SUFFIXES

if TYPE_CHECKING:
    from kernlint.config import Config

__all__ = ["TEMPLATE_SUFFIXES", "Template", "find_template", "handed_to_ld", "unlinked_template"]

#: Directory names of build trees: a script under one was written by the build and is
#: handed to ld as it is (``build/``, meson's ``builddir/``, cargo's ``target/.../out/``).
BUILD_DIRS = frozenset({"build", "_build", "builddir", "out", "output"})
_BUILD_DIR_PREFIXES = ("build-", "build_", "cmake-build-")

#: The endings a generated script's template has next to it: ``vmlinux.lds`` from
#: ``vmlinux.lds.S``, ``link.ld`` from ``link.ld.in``, ``fw.elf.ld`` from ``fw.elf.ldS``.
_SIBLING_TEMPLATE = (".S", ".in", ".template", ".tpl", "S")

_DIRECTIVES = (
    "include_next",
    "include",
    "ifdef",
    "ifndef",
    "if",
    "elifdef",
    "elifndef",
    "elif",
    "else",
    "endif",
    "define",
    "undef",
    "error",
    "warning",
    "pragma",
    "line",
)
#: Conditional directives (C17 6.10.1; ``elifdef``/``elifndef`` are C23's).
CONDITIONAL = frozenset({"if", "ifdef", "ifndef", "elif", "elifdef", "elifndef", "else", "endif"})
OPENING = frozenset({"if", "ifdef", "ifndef"})

_DIRECTIVE_LINE = re.compile(
    r"(?P<indent>[ \t]*)(?P<hash>#)(?P<gap>[ \t]*)(?P<word>" + "|".join(_DIRECTIVES) + r")"
    r"(?![A-Za-z0-9_])(?P<rest>[^\n]*)"
)
#: ``# 12 "file"`` (and ``#line 12 "file"``): the line markers cpp writes without -P
#: (GCC cpp manual, "Preprocessor Output").
LINE_MARKER = re.compile(r'^[ \t]*#[ \t]*(?:line[ \t]+)?\d+[ \t]+"[^"\n]*"', re.M)

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_MARKERS = (
    # autoconf AC_CONFIG_FILES, meson and CMake configure_file().
    ("@VAR@", re.compile(r"@(" + _IDENT + r")@")),
    # CMake configure_file(), envsubst, shell here-documents.
    ("${VAR}", re.compile(r"\$\{(" + _IDENT + r")\}")),
    # littlekernel's sed rules (`%KERNEL_BASE%`); not `a % B % c`, ld's modulo.
    ("%VAR%", re.compile(r"(?<![A-Za-z0-9_).\]])%(" + _IDENT + r")%(?![A-Za-z0-9_(])")),
    # Jinja2 and its kin.
    ("{{ }}", re.compile(r"\{\{[ \t]*(" + _IDENT + r")[^\n{}]*\}\}")),
    ("{% %}", re.compile(r"\{%[ \t]*(" + _IDENT + r")[^\n]*?%\}")),
)
#: What ld skips: block comments (an unclosed one runs to the end), quoted strings and
#: `#` line comments (GNU ld 2.40 ``ldlex.l``).
_SKIP = re.compile(r'/\*.*?(?:\*/|\Z)|"[^"\n]*"|#[^\n]*', re.S)


@dataclass(frozen=True)
class Directive:
    """A C-preprocessor directive line: its 1-based ``line``, the 1-based ``column``
    of its ``#``, the ``end_column`` of its text (exclusive), the directive ``word``
    and the line ``text`` (continuation lines joined)."""

    line: int
    column: int
    end_column: int
    word: str
    text: str


@dataclass(frozen=True)
class Marker:
    """A substitution marker: its ``style`` (``@VAR@``, ``${VAR}``, ``%VAR%``,
    ``{{ }}``, ``{% %}``), the ``name`` it substitutes, the ``text`` as written, and
    its 1-based ``line``, ``column`` and ``end_column`` (exclusive)."""

    style: str
    name: str
    text: str
    line: int
    column: int
    end_column: int


@dataclass(frozen=True)
class Template:
    """Why a file is a linker-script template: the C-preprocessor ``directives`` and
    substitution ``markers`` it holds, and ``suffix``, the ending of its name that says
    so (:data:`TEMPLATE_SUFFIXES`), or None; ``splices``, the lines it continues with a
    backslash as only the C preprocessor does."""

    directives: tuple[Directive, ...]
    markers: tuple[Marker, ...]
    suffix: str | None
    #: Lines ending in a backslash the C preprocessor joins with the next (:func:`splices`).
    splices: tuple[int, ...] = ()
    #: Lines with a `//` comment, which only the C preprocessor removes
    #: (:func:`cpp_comments`).
    cpp_comments: tuple[int, ...] = ()

    @property
    def first(self) -> tuple[int, int, int]:
        """(line, column, end_column) of the first evidence in the text, or the start
        of the file for a template known by its name only."""
        spots = [(d.line, d.column, d.end_column) for d in self.directives[:1]]
        spots += [(m.line, m.column, m.end_column) for m in self.markers[:1]]
        spots += [(line, 1, 1) for line in self.splices[:1]]
        spots += [(line, 1, 1) for line in self.cpp_comments[:1]]
        return min(spots) if spots else (1, 1, 1)

    @property
    def syntaxes(self) -> list[str]:
        """What the template is written in, for messages: ``C preprocessor`` and the
        marker styles, in that order."""
        out = ["C preprocessor"] if self.directives or self.splices or self.cpp_comments else []
        out += list(dict.fromkeys(m.style for m in self.markers))
        return out


def template_suffix(path: str) -> str | None:
    """The ending of ``path`` that names a linker-script template
    (:data:`TEMPLATE_SUFFIXES`), or None."""
    name = os.path.basename(path)
    return next((s for s in TEMPLATE_SUFFIXES if name.endswith(s) and name != s), None)


# ----------------------------------------------------------------------------- comments


def _comment_ranges(text: str) -> list[tuple[int, int]]:
    """Offsets of `/* */` comments, as ld finds them (a `#` line hides a `/*`)."""
    return [(m.start(), m.end()) for m in _SKIP.finditer(text) if m.group(0).startswith("/*")]


def _inside(ranges: list[tuple[int, int]], offset: int) -> bool:
    """True when ``offset`` falls in one of the sorted, disjoint ``ranges``."""
    index = bisect.bisect_right(ranges, (offset, float("inf"))) - 1
    return index >= 0 and ranges[index][0] <= offset < ranges[index][1]


def _strip_comments(rest: str) -> str:
    """``rest`` of a directive line without its trailing `/* */` and `//` comments."""
    rest = re.sub(r"/\*.*?(?:\*/|$)", " ", rest)
    return rest.split("//", 1)[0].strip()


# ----------------------------------------------------------------------------- #if


@cache
def _pp_token() -> re.Pattern[str]:
    """One preprocessing token of an ``#if`` expression (compiled on first use)."""
    return re.compile(
        r"[ \t]*(?:(?P<num>\.?[0-9][A-Za-z0-9_.]*)|(?P<char>L?'(?:\\.|[^'\\])+')"
        r"|(?P<id>" + _IDENT + r")|(?P<op><<|>>|<=|>=|==|!=|&&|\|\||[-+*/%<>&^|!~?:(),]))"
    )


_UNARY = frozenset("+-!~")
_BINARY = frozenset({"*", "/", "%", "+", "-", "<<", ">>", "<", ">", "<=", ">=", "==", "!="})
_BINARY |= {"&", "^", "|", "&&", "||"}


def _tokens(expr: str) -> list[tuple[str, str]] | None:
    """(kind, text) tokens of a preprocessor expression, or None when it holds
    something no expression holds (a `.` in prose, a quote)."""
    expr = re.sub(r"__has_include(?:_next)?\s*\(\s*(?:<[^>\n]*>|\"[^\"\n]*\")\s*\)", "1", expr)
    out, pos = [], 0
    expr = expr.rstrip()
    while pos < len(expr):
        m = _pp_token().match(expr, pos)
        if m is None or m.end() == pos:
            return None
        kind = next(k for k in ("num", "char", "id", "op") if m.group(k) is not None)
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def is_constant_expression(expr: str) -> bool:
    """True when ``expr`` parses as the controlling expression of ``#if`` (C17
    6.10.1: integer constants, identifiers, ``defined X``, ``defined(X)``, function-like
    macro calls such as ``IS_ENABLED(CONFIG_X)``, the unary, binary and ``?:``
    operators, parentheses). Prose does not: ``you need more space`` puts two
    identifiers side by side."""
    tokens = _tokens(expr)
    if not tokens:
        return False
    pos = 0

    def peek() -> str | None:
        return tokens[pos][1] if pos < len(tokens) else None

    def primary() -> bool:
        nonlocal pos
        if pos >= len(tokens):
            return False
        kind, text = tokens[pos]
        pos += 1
        if text in _UNARY and kind == "op":
            return primary()
        if text == "(":
            return conditional() and _take(")")
        if kind in ("num", "char"):
            return True
        if kind != "id":
            return False
        if text == "defined":
            if peek() == "(":
                pos += 1
                ok = pos < len(tokens) and tokens[pos][0] == "id"
                pos += 1
                return ok and _take(")")
            ok = pos < len(tokens) and tokens[pos][0] == "id"
            pos += 1
            return ok
        if peek() == "(":  # a function-like macro
            pos += 1
            if peek() == ")":
                pos += 1
                return True
            while True:
                if not conditional():
                    return False
                if peek() == ",":
                    pos += 1
                    continue
                return _take(")")
        return True

    def _take(text: str) -> bool:
        nonlocal pos
        if peek() == text:
            pos += 1
            return True
        return False

    def binary() -> bool:
        nonlocal pos
        if not primary():
            return False
        while peek() in _BINARY and tokens[pos][0] == "op":
            pos += 1
            if not primary():
                return False
        return True

    def conditional() -> bool:
        nonlocal pos
        if not binary():
            return False
        if peek() == "?":
            pos += 1
            return conditional() and _take(":") and conditional()
        return True

    return conditional() and pos == len(tokens)


def _prose(gap: str, rest: str) -> bool:
    """True when the text after ``# word`` reads as an English sentence: a blank
    between `#` and the word, then at least two words of lower-case letters only
    (``# define the boot stack here``), where a directive's operands hold names,
    numbers or operators (``#  define SRAM_START 0x20400000``)."""
    if not gap:
        return False
    words = rest.replace(",", " ").replace(".", " ").split()
    return len(words) >= 2 and all(w.isalpha() and w.islower() for w in words)


def _operands_fit(word: str, gap: str, rest: str) -> bool:
    """Does ``rest`` (comments removed) hold what the directive ``word`` takes?"""
    if word in ("if", "elif"):
        return is_constant_expression(rest)
    if word in ("ifdef", "ifndef", "elifdef", "elifndef", "undef"):
        return re.fullmatch(_IDENT, rest) is not None
    if word in ("else", "endif"):
        # Extra tokens are only a warning to GCC (`#endif CONFIG_X`); prose is not.
        return not rest or re.fullmatch(_IDENT, rest) is not None
    if word in ("include", "include_next"):
        return re.fullmatch(r"<[^>\n]+>|\"[^\"\n]+\"|" + _IDENT + r"(?:\(.*\))?", rest) is not None
    if word == "define":
        return re.match(_IDENT + r"(?:\(|\s|$)", rest) is not None and not _prose(gap, rest)
    if word == "line":
        return re.match(r"\d", rest) is not None
    return not _prose(gap, rest)  # error, warning, pragma


def _lines(text: str) -> Iterator[tuple[int, int, str]]:
    """(line number, offset, text) of each line."""
    offset = 0
    for number, line in enumerate(text.split("\n"), start=1):
        yield number, offset, line
        offset += len(line) + 1


def directives(text: str) -> list[Directive]:
    """The C-preprocessor directives of ``text``, in order: lines that are a directive
    by :func:`_operands_fit`, outside `/* */` comments, without cpp's line markers. An
    ``#if`` whose expression is a single word and that no ``#endif`` closes is prose
    (``# if needed``), not a directive."""
    if "#" not in text:
        return []
    comments = _comment_ranges(text)
    lines = text.split("\n")
    found: list[tuple[Directive, bool]] = []  # (directive, weak)
    for number, offset, line in _lines(text):
        m = _DIRECTIVE_LINE.match(line)
        if m is None or _inside(comments, offset + m.start("hash")):
            continue
        rest = m.group("rest")
        follow = number
        while rest.endswith("\\") and follow < len(lines):  # a continued directive
            rest = rest[:-1] + " " + lines[follow]
            follow += 1
        word = m.group("word")
        operands = _strip_comments(rest)
        if rest[:1] not in ("", " ", "\t", "(", "<", '"', "/") or not _operands_fit(
            word, m.group("gap"), operands
        ):
            continue
        weak = word in ("if", "elif") and re.fullmatch(_IDENT, operands) is not None
        shown = m.group("hash") + m.group("gap") + word + rest
        found.append(
            (Directive(number, m.start("hash") + 1, len(line.rstrip()) + 1, word, shown), weak)
        )
    # A weak `#if` (one bare word) stays only when an `#endif` closes it.
    keep: list[Directive] = []
    stack: list[tuple[int, bool]] = []  # (index in keep, weak)
    for d, weak in found:
        if d.word in OPENING:
            stack.append((len(keep), weak))
            keep.append(d)
        elif d.word == "endif":
            if stack:
                stack.pop()
            keep.append(d)
        elif d.word == "elif" and weak and not stack:
            continue
        else:
            keep.append(d)
    for index, weak in reversed(stack):  # never closed
        if weak:
            del keep[index]
    return keep


# ----------------------------------------------------------------------------- markers


def _in_hash_comment(line: str, column: int) -> bool:
    """True when ``column`` of ``line`` follows a `#` that ld reads as a comment
    (a `#` outside quotes)."""
    quoted = False
    for char in line[:column]:
        if char == '"':
            quoted = not quoted
        elif char == "#" and not quoted:
            return True
    return False


def markers(text: str, skip_lines: frozenset[int] = frozenset()) -> list[Marker]:
    """The substitution markers of ``text`` outside `/* */` comments and `#` line
    comments, in order; lines in ``skip_lines`` (directive lines) are not searched."""
    if not any(c in text for c in "@$%{"):
        return []
    comments = _comment_ranges(text)
    out: list[Marker] = []
    for number, offset, line in _lines(text):
        if number in skip_lines or not any(c in line for c in "@$%{"):
            continue
        for style, pattern in _MARKERS:
            for m in pattern.finditer(line):
                if _inside(comments, offset + m.start()) or _in_hash_comment(line, m.start()):
                    continue
                out.append(
                    Marker(style, m.group(1), m.group(0), number, m.start() + 1, m.end() + 1)
                )
    out.sort(key=lambda mk: (mk.line, mk.column))
    return out


def splices(text: str, directive_lines: frozenset[int] = frozenset()) -> list[int]:
    """Lines of ``text`` that end in a backslash outside comments, which the C
    preprocessor joins with the next (C17 5.1.1.2, phase 2: U-Boot's `MEMORY { ... ,\\`
    lines): GNU ld 2.40 stops on them with "syntax error" (checked). Directive lines
    and their continuations are left out."""
    if "\\\n" not in text and "\\\r\n" not in text:
        return []
    comments = _comment_ranges(text)
    out: list[int] = []
    continued = False
    for number, offset, line in _lines(text):
        body = line.rstrip("\r")
        ends = body.endswith("\\")
        if number in directive_lines or continued:
            continued = ends
            continue
        continued = False
        end = len(body) - 1
        if ends and not _inside(comments, offset + end) and not _in_hash_comment(body, end):
            out.append(number)
    return out


def cpp_comments(text: str) -> list[int]:
    """Lines of ``text`` holding a `//` comment outside `/* */` comments, `#` comments
    and strings, at the start of the line or after a blank or `;`: the C preprocessor
    removes it (C17 6.4.9), GNU ld 2.40 stops on it with "syntax error" (U-Boot's m68k
    `u-boot.lds` and NuttX's `dramboot.ld` open with `//` lines; their builds run cpp
    on them). A script that holds one is a template; handed to ld as it is (a target's
    `script`, `--script`), KL212 reports it."""
    if "//" not in text:
        return []
    comments = _comment_ranges(text)
    out: list[int] = []
    for number, offset, line in _lines(text):
        at = line.find("//")
        while at >= 0:
            before = line[:at]
            if (
                (not before.strip() or before[-1] in " \t;")
                and before.count('"') % 2 == 0
                and not _inside(comments, offset + at)
                and not _in_hash_comment(line, at)
            ):
                out.append(number)
                break
            at = line.find("//", at + 2)
    return out


def find_template(path: str, text: str) -> Template | None:
    """The template evidence of ``text`` (directives and markers), with the template
    ending of ``path``'s name; None when the text holds neither (whatever its name:
    a ``.x.in`` file a build copies verbatim, as cortex-m-rt's, is a plain script)."""
    found = directives(text)
    lines = frozenset(d.line for d in found)
    marks = markers(text, lines)
    joined = splices(text, lines)
    slashes = [n for n in cpp_comments(text) if n not in lines]
    if not found and not marks and not joined and not slashes:
        return None
    return Template(
        tuple(found), tuple(marks), template_suffix(path), tuple(joined), tuple(slashes)
    )


# ----------------------------------------------------------------------------- linked


def build_dir(path: str) -> str | None:
    """The build-tree directory in ``path`` (:data:`BUILD_DIRS`, ``build-*``,
    ``cmake-build-*``), or None."""
    parts = os.path.abspath(path).replace(os.sep, "/").split("/")[:-1]
    return next(
        (p for p in reversed(parts) if p in BUILD_DIRS or p.startswith(_BUILD_DIR_PREFIXES)),
        None,
    )


def generated_evidence(path: str, text: str) -> str | None:
    """Why ``path`` looks generated by the build, so that ld reads it as it is: cpp's
    line markers in ``text`` (``# 12 "kernel.lds.S"``), a template of the same name
    beside it (``vmlinux.lds`` next to ``vmlinux.lds.S``), or a build-tree directory
    in its path. None when nothing says so."""
    marker = LINE_MARKER.search(text)
    if marker is not None:
        line = text.count("\n", 0, marker.start()) + 1
        return f"it holds cpp line markers (`{marker.group(0).strip()}` at line {line})"
    if template_suffix(path) is None:
        for ending in _SIBLING_TEMPLATE:
            if ending == "S" and not path.endswith(".ld"):
                continue
            if os.path.isfile(path + ending):
                return f"its template `{os.path.basename(path + ending)}` is beside it"
    folder = build_dir(path)
    if folder is not None:
        return f"it is in the build directory `{folder}/`"
    return None


def handed_to_ld(path: str, text: str, config: Config) -> str | None:
    """Why the script ``path`` is read by ld as it is, or None: it is the ``script`` of
    a ``[[tool.kernlint.target]]``, it was named with ``--script``, or it was generated
    (:func:`generated_evidence`)."""
    here = os.path.realpath(path)
    for target in config.targets:
        if os.path.realpath(os.path.join(config.root, target)) == here:
            return "it is the script of a configured target"
    if any(os.path.realpath(s) == here for s in config.scripts):
        return "it was named with --script"
    return generated_evidence(path, text)


def unlinked_template(path: str, text: str, config: Config, parses: bool = True) -> Template | None:
    """The :class:`Template` ``path`` is, when it is one and nothing says ld reads it
    as it is (:func:`handed_to_ld`); else None. A file whose text holds no template
    syntax is a template only by its name, and only when it does not parse
    (``parses=False``): then its build must change it before ld can read it."""
    found = find_template(path, text)
    if found is None:
        suffix = template_suffix(path)
        if parses or suffix is None:
            return None
        found = Template((), (), suffix)
    if handed_to_ld(path, text, config) is not None:
        return None
    return found
