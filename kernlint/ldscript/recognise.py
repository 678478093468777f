"""What a file named like a linker script is when it does not parse as one.

GNU ld reads a file given with ``-T`` (or named by ``INCLUDE`` at top level) as a
whole script. Projects keep other files under script names too, and KL002 must not
call them broken scripts:

* **Fragments** (:func:`fragment`): a file another script INCLUDEs inside
  ``SECTIONS``, an output section or ``MEMORY``. ld reads an included file as if its
  text stood where the ``INCLUDE`` is (``ldlex.l``: the INCLUDE pushes the file on
  the lexer's stack in the current state; ``ldgram.y`` has ``INCLUDE`` in
  ``sec_or_group_p1``, ``statement`` and ``memory_spec_list``), so micropython's
  ``common_text.ld`` (only output section statements) is a correct fragment and a
  syntax error only at top level. The context is the one the including script gives
  it, when a script of the run or of the repository INCLUDEs the file; otherwise the
  one of ``sections`` (output section statements) or ``memory`` (region lines) in
  which the whole text parses.
* **Version scripts** (:func:`version_script`): ``ld --version-script`` files
  (``{ global: ...; local: *; };``, ``LIBFDT_1.2 { ... };``), whose text is what
  stands inside a script's ``VERSION { }`` command (ld manual, "VERSION Command").
* **Other toolchains' linker files** (:func:`other_toolchain`): Green Hills, TI,
  IAR, Arm scatter and CodeWarrior files named ``.ld``, by the directives that only
  they have.
* **What only ld.lld accepts** (:func:`lld_accepts`): GNU ld 2.40 rejects, and ld.lld
  (LLD 14, rust-lld) accepts, an ``ASSERT(...)`` without ``;`` inside an output
  section, a comma right after a name (``REGION_ALIAS(FLASH, FLASH1)``: GNU ld reads
  ``FLASH,`` as one name), and a last assignment without ``;`` in a file whose
  ``INCLUDE`` is followed by ``;`` (ld.lld splices the included tokens into the
  includer's stream). Each class was checked with both linkers
  (``tests/ldscript/test_recognise.py``).

Nothing here is imported unless a script fails to parse.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from .errors import ScriptSyntaxError

#: Words for an include context (``ast.Include.context``).
CONTEXT_WORDS = {
    "sections": "output section statements, which ld accepts only inside SECTIONS { }",
    "section": "input section descriptions, which ld accepts only inside an output section",
    "memory": "memory region lines, which ld accepts only inside MEMORY { }",
}
CONTEXT_PLACES = {
    "sections": "inside SECTIONS",
    "section": "inside an output section",
    "memory": "inside MEMORY",
}
#: Scripts read, at most, when looking for the one that INCLUDEs a file.
MAX_INCLUDERS = 400
#: Bytes read of each.
MAX_BYTES = 1 << 20


@dataclass(frozen=True)
class Fragment:
    """A file that parses as the ``context`` part of a script: ``includer`` is the
    script that INCLUDEs it (None: decided from its text alone), ``error`` the syntax
    error it has in that context (None: it parses)."""

    context: str
    includer: str | None = None
    error: ScriptSyntaxError | None = None

    def describe(self) -> str:
        """Why the file is a fragment, in words."""
        if self.includer is not None:
            return (
                f"a fragment that {_short(self.includer)} INCLUDEs {CONTEXT_PLACES[self.context]}"
            )
        return f"a fragment: {CONTEXT_WORDS[self.context]}"


def _short(path: str) -> str:
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


@lru_cache(maxsize=4096)
def _text(path: str) -> str:
    try:
        with open(path, "rb") as f:
            return f.read(MAX_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""


@lru_cache(maxsize=1024)
def _includes(path: str) -> tuple[tuple[str, str, int], ...]:
    """``(name, context, end offset)`` of each INCLUDE in the script ``path``, or ()
    when it does not parse."""
    from . import ast
    from .parser import parse_fragment

    text = _text(path)
    try:
        script = parse_fragment(text, path, "script")
    except ScriptSyntaxError:
        return ()
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    out = []
    for node in ast.walk(script):
        if isinstance(node, ast.Include):
            end = starts[node.span.end_line - 1] + node.span.end_column - 1
            out.append((node.path, node.context, end))
    return tuple(out)


def _including(path: str, scripts: Iterable[str]) -> Iterator[tuple[str, str, bool]]:
    """``(script, context, semicolon)`` for each of ``scripts`` that INCLUDEs ``path``
    (matched by file name: ld finds it through the build's search folders): the
    context the INCLUDE stands in, and whether a ``;`` follows it. Reads at most
    :data:`MAX_INCLUDERS` scripts that mention the name."""
    here = os.path.realpath(path)
    name = os.path.basename(path)
    read = 0
    for script in scripts:
        if read >= MAX_INCLUDERS:
            break
        if os.path.realpath(script) == here:
            continue
        text = _text(script)
        if name not in text or "INCLUDE" not in text:
            continue
        read += 1
        for included, context, end in _includes(script):
            if os.path.basename(included) == name:
                yield script, context, text[end : end + 64].lstrip().startswith(";")
                break


def includers_of(path: str, scripts: Iterable[str]) -> list[str]:
    """Every one of ``scripts`` that INCLUDEs ``path`` (see :func:`_including`)."""
    return [script for script, _, _ in _including(path, scripts)]


def includer_of(path: str, scripts: Iterable[str]) -> tuple[str, str, bool] | None:
    """The first of ``scripts`` that INCLUDEs ``path``, as ``(script, context,
    semicolon)`` (see :func:`_including`), or None if none does."""
    return next(_including(path, scripts), None)


def fragment(
    path: str, text: str, includer: tuple[str, str, bool] | None = None
) -> Fragment | None:
    """The :class:`Fragment` the file at ``path`` (text ``text``, which does not parse
    as a whole script) is, or None. With ``includer`` (see :func:`includer_of`), the
    file is parsed in the context its INCLUDE gives it, and a syntax error there is
    kept on the result; without, it is a fragment only if it parses as output section
    statements or as memory region lines."""
    from .parser import parse_fragment

    if includer is not None:
        script, context, _ = includer
        if context == "script":
            return None
        try:
            parse_fragment(text, path, context)
        except ScriptSyntaxError as err:
            return Fragment(context, script, err)
        return Fragment(context, script)
    for context in ("sections", "memory"):
        try:
            parsed = parse_fragment(text, path, context)
        except ScriptSyntaxError:
            continue
        if parsed.statements:
            return Fragment(context)
    return None


def version_script(path: str, text: str) -> bool:
    """True when ``text`` is a version script (``ld --version-script``): it parses as
    the body of a ``VERSION { }`` command and is not empty."""
    from .parser import parse_fragment

    if "{" not in text:
        return False
    try:
        parse_fragment("VERSION {\n" + text + "\n}\n", path, "script")
    except ScriptSyntaxError:
        return False
    return True


#: (toolchain, directive pattern): directives GNU ld does not have.
_FOREIGN = (
    (
        "a Green Hills (GHS) linker directives file",
        re.compile(r"^[ \t]*(?:OPTION[ \t]*\([ \t]*\"-|DEFAULTS[ \t]*\{|CONSTANTS[ \t]*\{)", re.M),
    ),
    (
        "a TI linker command file",
        re.compile(
            r"^[ \t]*(?:--?(?:stack|heap|stack_size|heap_size|retain|entry_point)\b[ =]"
            r"|-[lic][ \t]|--(?:library|rom_model|ram_model)\b)"
            r"|\bPAGE[ \t]*\d+[ \t]*:|\b(?:run|load)[ \t]*=[ \t]*\w+[ \t]*(?:,|$|PAGE)"
            r"|\bpalign\(",
            re.M,
        ),
    ),
    (
        "an IAR ILINK configuration file",
        re.compile(
            r"^[ \t]*(?:define[ \t]+(?:exported[ \t]+)?(?:symbol|memory|region|block)\b"
            r"|place[ \t]+(?:at|in)\b|initialize[ \t]+by[ \t]+copy\b"
            r"|do[ \t]+not[ \t]+initialize\b)",
            re.M,
        ),
    ),
    (
        "an Arm (armlink) scatter file",
        re.compile(r"^[ \t]*LR_\w+[ \t]+0x[0-9A-Fa-f]+|\.ANY[ \t]*\(|\+RO\b|\+RW\b|\+ZI\b", re.M),
    ),
    (
        "a CodeWarrior linker command file",
        re.compile(r"^[ \t]*(?:KEEP_SECTION|FORCE_ACTIVE|REF_INCLUDE)[ \t]*\{", re.M),
    ),
)


def other_toolchain(text: str, error: ScriptSyntaxError) -> tuple[str, int] | None:
    """``(what, line)`` when ``text`` holds a directive of another vendor's linker at or
    before the line GNU ld stops at (``error``), or None."""
    for what, pattern in _FOREIGN:
        m = pattern.search(text)
        if m is None:
            continue
        line = text.count("\n", 0, m.start()) + 1
        if line <= error.line:
            return what, line
    return None


#: Repairs of what ld.lld accepts and GNU ld 2.40 does not, by kernlint's message.
_LLD_LENIENT = (
    (re.compile(r"^expected `;` after ASSERT\(\.\.\.\)"), ";"),
    (re.compile(r"^GNU ld reads `([^`]*),` as one name"), None),
)
_EOF_ASSIGNMENT = re.compile(r"^expected `;` after assignment to `[^`]*`, found end of file")
MAX_REPAIRS = 32


def _offset(text: str, line: int, column: int) -> int:
    pos = 0
    for _ in range(line - 1):
        nl = text.find("\n", pos)
        if nl < 0:
            return len(text)
        pos = nl + 1
    return pos + column - 1


def lld_accepts(
    text: str, path: str, error: ScriptSyntaxError, context: str = "script", semicolon: bool = False
) -> bool:
    """True when ``text`` (which GNU ld rejects with ``error``, parsed in ``context``)
    uses only what ld.lld accepts besides: repaired where ld.lld is lenient (see the
    module documentation; ``semicolon``: the file's INCLUDE is followed by ``;``), it
    parses."""
    from .parser import parse_fragment

    for _ in range(MAX_REPAIRS):
        at = _offset(text, error.line, error.column)
        for pattern, insert in _LLD_LENIENT:
            m = pattern.match(error.message)
            if m is None:
                continue
            if insert is None:
                at += len(m.group(1))
                if text[at : at + 1] != ",":
                    return False
                insert = " "
            text = text[:at] + insert + text[at:]
            break
        else:
            if semicolon and _EOF_ASSIGNMENT.match(error.message):
                text = text + "\n;"
            else:
                return False
        try:
            parse_fragment(text, path, context)
        except ScriptSyntaxError as err:
            if (err.line, err.column, err.message) == (error.line, error.column, error.message):
                return False
            error = err
            continue
        return True
    return False
