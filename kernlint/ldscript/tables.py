"""The LALR parser, loaded from kernlint's own table cache.

Building the LALR(1) tables from ``grammar.lark`` takes ~0.4 s. Lark's ``cache=True``
stores them, but loading its cache rebuilds every rule and table entry in Python
(``lark.utils.Serialize.deserialize``): ~30 ms of each ``kernlint check`` on a script.
Here the analysed parse table, the grammar rules and the terminal definitions are
pickled as they are, so a later process restores them with C-level unpickling and
only wires up the parse actions (the :class:`~kernlint.ldscript.transform.Builder`)
and the lexer (:class:`~kernlint.ldscript.lexer.LdLexer`).

The cache file lives in the temporary directory, like lark's, named after a hash of
the grammar text and the versions of lark, Python and this module's format, so a
changed grammar or an upgraded lark never reads a stale table. Anything unexpected
while reading it (a truncated file, another lark's classes) makes :func:`build` fall
back to lark's own construction and rewrite the file. The pieces of lark used here
(``IntParseTable``, ``_Parser``, ``ParseTreeBuilder``, ``LexerConf``,
``LexerThread``) are lark 1.x's LALR internals; ``tests/ldscript/test_tables.py``
checks that both paths parse alike.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import re
import sys
import tempfile
from typing import Any

import lark
from lark import Lark, Tree
from lark.common import LexerConf
from lark.lexer import LexerThread
from lark.parse_tree_builder import ParseTreeBuilder
from lark.parser_frontends import _get_lexer_callbacks
from lark.parsers import lalr_analysis
from lark.parsers.lalr_parser import _Parser

#: Bump when what is pickled changes.
FORMAT = 1


class TableParser:
    """What :mod:`kernlint.ldscript.parser` needs of a lark ``Lark`` object:
    ``parse(text, start)`` and ``terminals``, over a restored parse table."""

    def __init__(self, table: Any, rules: list, terminals: list, ignore: list, actions: Any):
        from .lexer import LdLexer

        self.terminals = terminals
        conf = LexerConf(terminals, re, ignore, skip_validation=True)
        callbacks = ParseTreeBuilder(rules, Tree, False, False, True).create_callback(actions)
        callbacks.update(_get_lexer_callbacks(actions, terminals))
        self._lexer = LdLexer(conf)
        self._parser = _Parser(table, callbacks, False)

    def parse(self, text: str, start: str) -> Any:
        """Parse ``text`` from the grammar's ``start`` symbol; lark's exceptions."""
        return self._parser.parse(LexerThread.from_text(self._lexer, text), start)


def cache_path(grammar: str) -> str:
    """The table file for ``grammar`` (its text)."""
    key = hashlib.sha256(
        f"{FORMAT}\0{lark.__version__}\0{sys.version}\0{grammar}".encode()
    ).hexdigest()[:24]
    return os.path.join(tempfile.gettempdir(), f"kernlint-ldscript-{_uid()}-{key}.tables")


def _uid() -> int:
    return os.getuid() if hasattr(os, "getuid") else 0


def _trusted(st: os.stat_result) -> bool:
    """Unpickling runs code named in the file: read only a file this user owns and
    nobody else can write (the temporary directory is shared)."""
    return st.st_uid == _uid() and not st.st_mode & 0o022


def build(grammar: str, actions: Any, starts: list[str], lexer: type) -> Lark | TableParser:
    """The parser for ``grammar`` with parse actions ``actions`` (a lark Transformer
    applied inline), start symbols ``starts`` and the custom ``lexer`` class: restored
    from the table cache when it holds this grammar, else built by lark (and the cache
    written, best effort: an unwritable temporary directory only costs time)."""
    path = cache_path(grammar)
    try:
        with open(path, "rb") as f:
            if _trusted(os.fstat(f.fileno())):
                table, rules, terminals, ignore = pickle.load(f)
                return TableParser(table, rules, terminals, ignore, actions)
    except Exception:  # a missing, stale or foreign cache: rebuild it
        pass
    parser = Lark(
        grammar,
        parser="lalr",
        lexer=lexer,
        # Spans come from the tokens each parse action sees (keep_all_tokens):
        # propagate_positions only fills in lark Trees, which are never built here.
        propagate_positions=False,
        maybe_placeholders=True,
        keep_all_tokens=True,
        transformer=actions,
        start=starts,
    )
    _save(path, parser)
    return parser


def action(name: str) -> Any:
    """lark's ``Shift`` or ``Reduce`` singleton: the parser compares actions with
    ``is``, so a pickled table must refer to these objects, never to copies."""
    return getattr(lalr_analysis, name)


def _reduce_action(act: Any) -> tuple:
    return action, (act.name,)


def _save(path: str, parser: Lark) -> None:
    data = (
        parser.parser.parser.parser.parse_table,
        parser.rules,
        parser.terminals,
        list(parser.lexer_conf.ignore),
    )
    tmp = f"{path}.{os.getpid()}"
    try:
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
            pickler = pickle.Pickler(f, protocol=pickle.HIGHEST_PROTOCOL)
            pickler.dispatch_table = {lalr_analysis.Action: _reduce_action}
            pickler.dump(data)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
