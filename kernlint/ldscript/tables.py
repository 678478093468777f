"""The LALR parser, loaded from kernlint's own table cache.

Building the LALR(1) tables from ``grammar.lark`` takes ~0.4 s. Lark's ``cache=True``
stores them, but loading its cache rebuilds every rule and table entry in Python
(``lark.utils.Serialize.deserialize``): ~30 ms of each ``kernlint check`` on a script.
Here the analysed parse table, lark's wrapping of each grammar rule's parse action
(``ParseTreeBuilder``) and the terminal definitions are pickled as they are, so a later
process restores them with C-level unpickling and only wires up the parse actions (the
:class:`~kernlint.ldscript.transform.Builder`). Every lexer the table can ask for is
stored too, built, each pickled on its own and restored on first use (see
:mod:`kernlint.ldscript.regexcache`).

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
from copy import copy
from typing import Any

import lark
from lark import Lark, Tree
from lark.common import LexerConf
from lark.grammar import RuleOptions, Symbol
from lark.lexer import LexerThread
from lark.parse_tree_builder import ParseTreeBuilder
from lark.parser_frontends import _get_lexer_callbacks
from lark.parsers import lalr_analysis
from lark.parsers.lalr_parser import _Parser

#: Bump when what is pickled changes.
FORMAT = 5


class TableParser:
    """What :mod:`kernlint.ldscript.parser` needs of a lark ``Lark`` object:
    ``parse(text, start)`` and ``terminals``, over a restored parse table."""

    def __init__(
        self,
        table: Any,
        tree: ParseTreeBuilder,
        terminals: list,
        ignore: list,
        actions: Any,
        lexers: dict[frozenset[str], bytes] | None = None,
    ):
        from .lexer import LdLexer

        self.terminals = terminals
        conf = lexer_conf(terminals, ignore, re)
        callbacks = tree.create_callback(actions)
        callbacks.update(_get_lexer_callbacks(actions, terminals))
        self._lexer = LdLexer(conf, lexers)
        self._parser = _Parser(table, callbacks, False)

    def parse(self, text: str, start: str) -> Any:
        """Parse ``text`` from the grammar's ``start`` symbol; lark's exceptions."""
        return self._parser.parse(LexerThread.from_text(self._lexer, text), start)


def tree_builder(rules: list) -> ParseTreeBuilder:
    """lark's wrapping of each grammar rule's parse action (which children it keeps,
    where ``[optional]`` placeholders go), as :class:`lark.Lark` sets it up for this
    parser: the table cache stores it, built (~2 ms of computing per run)."""
    return ParseTreeBuilder(rules, Tree, False, False, True)


def lexer_conf(terminals: list, ignore: list, re_module: Any) -> LexerConf:
    """The lexer configuration of a restored parser (and of the lexers stored with it)."""
    return LexerConf(terminals, re_module, ignore, skip_validation=True)


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
                table, tree, terminals, ignore, lexers = pickle.load(f)
                return TableParser(table, tree, terminals, ignore, actions, lexers)
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


def _lexers(terminals: list, ignore: list, states: dict) -> dict[frozenset[str], bytes]:
    """Every lexer the parse table can ask for (see :meth:`LdLexer.prepare`), built
    and pickled one by one, with its compiled patterns stored as ``re`` compiled them
    (:mod:`kernlint.ldscript.regexcache`): a later process unpickles the few its
    script needs in microseconds instead of building them (~10 ms for a kernel
    script)."""
    from .lexer import LdLexer
    from .regexcache import Regexes, reducer

    regexes = Regexes()
    lexer = LdLexer(lexer_conf(terminals, ignore, regexes))
    lexer.prepare(states)
    return lexer.dump_lexers(reducer(regexes))


def same(obj: Any) -> Any:
    """The unpickling side of :class:`_SharingPickler`: ``obj`` itself."""
    return obj


class _SharingPickler(pickle.Pickler):
    """Pickles equal grammar symbols and equal rule options as one object (lark's
    rules hold ~1 100 symbol objects for 269 distinct symbols, and 145 option objects
    for 10 distinct ones), so that a later process unpickles about half as many
    objects. Both are read-only once the grammar is built, and compare by value."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pool: dict[tuple, Any] = {}

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, Symbol):
            key: tuple = (type(obj), obj.name, getattr(obj, "filter_out", None))
        elif isinstance(obj, RuleOptions):
            key = (
                RuleOptions,
                obj.keep_all_tokens,
                obj.expand1,
                obj.priority,
                obj.template_source,
                type(obj.empty_indices),
                tuple(obj.empty_indices),
            )
        else:
            return NotImplemented
        shared = self._pool.setdefault(key, obj)
        return NotImplemented if shared is obj else (same, (shared,))


def _save(path: str, parser: Lark) -> None:
    table = copy(parser.parser.parser.parser.parse_table)
    # One tuple per distinct action (about 1 300 for 12 000 table entries), shared by
    # the states: unpickling then builds a tenth of the objects (~2 ms less per run).
    pool: dict[tuple, tuple] = {}
    table.states = {
        state: {symbol: pool.setdefault(act, act) for symbol, act in actions.items()}
        for state, actions in table.states.items()
    }
    data = (
        table,
        tree_builder(parser.rules),
        parser.terminals,
        list(parser.lexer_conf.ignore),
        _lexers(parser.terminals, list(parser.lexer_conf.ignore), table.states),
    )
    tmp = f"{path}.{os.getpid()}"
    try:
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
            pickler = _SharingPickler(f, protocol=pickle.HIGHEST_PROTOCOL)
            pickler.dispatch_table = {lalr_analysis.Action: _reduce_action}
            pickler.dump(data)
        os.replace(tmp, path)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        # An unwritable directory, or a lark whose objects do not pickle: no cache.
        with contextlib.suppress(OSError):
            os.unlink(tmp)
