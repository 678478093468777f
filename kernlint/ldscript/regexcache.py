"""Compiled regular expressions that unpickle without being compiled again.

lark's lexers match with one alternation of every terminal a parser state accepts
(``(?P<SNAME>...)|(?P<NUMBER>...)|...``), and the custom lexer
(:mod:`kernlint.ldscript.lexer`) builds one per set of accepted terminals the first
time the parser reaches such a state. Building them -- compiling those patterns in
``re._parser`` and ``re._compiler``, and lark's matching of every keyword against
every name pattern -- took ~10 ms of every ``kernlint check`` on a kernel script
(23 lexers for a 40-line script), more than parsing it.

So the table cache (:mod:`kernlint.ldscript.tables`) stores every lexer the grammar
can ask for, pickled, and a ``re.Pattern`` in them pickles (see :func:`reducer`) as
what ``re`` compiled it to: the ``_sre`` code array, flags and group names. Unpickling
calls :func:`restore`, which hands them to ``_sre.compile`` -- the call ``re`` itself
ends with -- instead of parsing and compiling the pattern again.

A pattern is stored that way only when the restored pattern compares equal to
``re.compile``'s (``Pattern`` equality compares the pattern, flags and compiled code);
the cache file is keyed by the Python version, so the code always comes from this
interpreter's ``re``; ``_sre`` validates the code it is given; and anything unexpected
while restoring makes :func:`restore` compile the pattern with ``re`` as usual. The
result is the same ``re.Pattern`` either way, so lexing cannot change.
"""

from __future__ import annotations

import re
import struct
from typing import Any

try:
    import _sre
except ImportError:  # another Python implementation: patterns pickle as usual
    _sre = None

#: One compiled pattern: (flags as compiled, code array as bytes, group count, group
#: index, index group): the arguments of ``_sre.compile`` after the pattern.
Entry = tuple[int, bytes, int, dict[str, int], tuple[str | None, ...]]
#: ``struct`` format of one of ``_sre``'s code words (``memoryview.cast`` reads the
#: stored bytes with it: no ``array`` module to load, a shared library).
_WORD = next((t for t in "IL" if _sre is not None and struct.calcsize(t) == _sre.CODESIZE), None)


def _compiled(pattern: str, entry: Entry) -> re.Pattern[str]:
    flags, code, groups, groupindex, indexgroup = entry
    words = memoryview(code).cast(_WORD).tolist()  # type: ignore[arg-type]
    return _sre.compile(pattern, flags, words, groups, groupindex, indexgroup)


def restore(pattern: str, flags: int, entry: Entry) -> re.Pattern[str]:
    """``re.compile(pattern, flags)``, from what it was compiled to (``entry``)."""
    try:
        return _compiled(pattern, entry)
    except Exception:  # a damaged entry: compile it as usual
        return re.compile(pattern, flags)


def _entry(pattern: str, flags: int) -> Entry | None:
    """What ``re.compile(pattern, flags)`` hands ``_sre.compile``, or None when this
    Python's ``re`` is not built the way this module expects."""
    if _WORD is None or not isinstance(pattern, str):
        return None
    try:
        from re import _compiler, _parser

        parsed = _parser.parse(pattern, flags)
        code = _compiler._code(parsed, flags)
        groupindex = dict(parsed.state.groupdict)
        indexgroup: list[str | None] = [None] * parsed.state.groups
        for name, index in groupindex.items():
            indexgroup[index] = name
        entry = (
            flags | parsed.state.flags,
            struct.pack(f"={len(code)}{_WORD}", *code),
            parsed.state.groups - 1,
            groupindex,
            tuple(indexgroup),
        )
        if _compiled(pattern, entry) == re.compile(pattern, flags):
            return entry
    except Exception:  # an interpreter whose re works otherwise: just don't store it
        pass
    return None


class Regexes:
    """A stand-in for the ``re`` module in a lark ``LexerConf`` (lark calls only
    ``compile``, ``match`` and ``error``) that records, for each pattern compiled
    through it, what it was compiled to (:attr:`entries`, by pattern)."""

    error = re.error

    def __init__(self) -> None:
        self.entries: dict[str, tuple[int, Entry]] = {}

    def compile(self, pattern: str, flags: int = 0) -> re.Pattern[str]:
        compiled = re.compile(pattern, flags)
        if pattern not in self.entries:
            entry = _entry(pattern, flags)
            if entry is not None:
                self.entries[pattern] = (flags, entry)
        return compiled

    def match(self, pattern: str, string: str, flags: int = 0) -> re.Match[str] | None:
        return self.compile(pattern, flags).match(string)

    def __getattr__(self, name: str) -> Any:
        return getattr(re, name)  # whatever else a lark version may use


def _import_re() -> Any:
    return re


def reducer(regexes: Regexes) -> dict[type, Any]:
    """A pickler ``dispatch_table`` that pickles the patterns ``regexes`` compiled as
    calls of :func:`restore`, and ``regexes`` itself as the ``re`` module."""

    def pattern(compiled: re.Pattern[str]) -> tuple:
        stored = regexes.entries.get(compiled.pattern)
        if stored is None or re.compile(compiled.pattern, stored[0]) != compiled:
            return compiled.__reduce__()
        return restore, (compiled.pattern, *stored)

    return {re.Pattern: pattern, Regexes: lambda _: (_import_re, ())}
