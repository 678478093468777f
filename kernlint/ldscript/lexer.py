"""A contextual lexer that picks ld's lexer state the way ld's parser does.

Lark's contextual lexer offers, at each parser state, every terminal that state can
shift or reduce on. LALR(1) merges states with the same items, so the state reached
after, say, a complete expression carries the follow terminals of *every* place an
expression occurs: after ``PT_LOAD`` in PHDRS it offers both ``SNAME`` (a section may
follow a fill expression) and ``ENAME`` (a PHDRS qualifier), and ``FILEHDR`` would be
lexed as the wrong one.

ld decides with its lexer state instead. This lexer gets the same effect by looking
ahead in the parse table ("lookahead correction"): where a state offers more than one
kind of name, or a name that could swallow the ``/`` operator, it keeps only the
terminals the parser can really shift after the pending reductions on the current
stack. Every other state uses lark's per-state lexer unchanged.

One state needs more: right after an output section name, ld has not yet decided
between an output section and an assignment, so it reads the next word still in
SCRIPT state, where `BASE+4` or `dead` is one name. There the word is read as a
SCRIPT name and handed to the parser as an expression name (``_script_word``).

It also rejects ld's keywords where a name is expected (``lexing.RESERVED``); lark's
own per-terminal callbacks cannot do that here, since lark 1.3.1 chains them with a
late-bound closure that only fires for the last terminal registered.
"""

from __future__ import annotations

import io
import pickle
import re
from copy import copy
from itertools import combinations
from typing import Any

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedToken
from lark.lexer import BasicLexer, Lexer, LexerState, TerminalDef
from lark.parsers.lalr_analysis import Shift

from .lexing import RESERVED
from .messages import ReservedWord

# The name terminal of each ld lexer state (see grammar.lark). A parser state that
# offers names of two lexer states, or a SCRIPT name next to an operator such a name
# can start with, needs lookahead correction.
_MODE = {
    "SNAME": "script",
    "ENAME": "expression",
    "WNAME": "wild",
    "INAME": "inputlist",
    "LNAME": "inputlist",
    "VTAG": "version",
    "VIDENT": "version-node",
}
_SNAME_OVERLAPS = frozenset({"SLASH", "TILDE"})
# ld/ldlex.l SCRIPT-state name (grammar.lark SNAME).
_SCRIPT_NAME = re.compile(
    r"(?:[_a-zA-Z.\\$~]|/(?=[_a-zA-Z0-9/.\\$~+:\[\],=-]))[_a-zA-Z0-9/.\\$~+:\[\],=-]*"
)


class LdLexer(Lexer):
    """Lark custom lexer (``__future_interface__ = 2``: gets the parser state)."""

    __future_interface__ = 2

    def __init__(self, conf: Any, prebuilt: dict[frozenset[str], bytes] | None = None) -> None:
        self.conf = conf
        self._by_accepts: dict[frozenset[str], BasicLexer] = {}
        #: Pickled lexers, by accepted terminals, from the table cache
        #: (:func:`kernlint.ldscript.tables.build`): restored on first use.
        self._prebuilt = prebuilt or {}
        self._state_info: dict[int, tuple[BasicLexer | None, frozenset[str]]] = {}
        self._corrected_lexers: dict[tuple[int, frozenset[str]], BasicLexer] = {}
        self._section_name_states: dict[int, bool] = {}
        self._lac_cache: dict[tuple[int, str], dict[int, dict[tuple[int, ...], bool]]] = {}
        root_conf = copy(conf)
        root_conf.skip_validation = True
        self.root_lexer = BasicLexer(root_conf)

    def _lexer(self, accepts: frozenset[str]) -> BasicLexer:
        lexer = self._by_accepts.get(accepts)
        if lexer is None and accepts in self._prebuilt:
            try:
                blob = io.BytesIO(self._prebuilt[accepts])
                lexer = _LexerUnpickler(blob, self.conf.terminals_by_name).load()
                self._by_accepts[accepts] = lexer
            except Exception:  # a damaged entry: build the lexer instead
                lexer = None
        if lexer is None:
            conf = copy(self.conf)
            names = accepts | set(conf.ignore)
            conf.terminals = [t for t in self.conf.terminals if t.name in names]
            conf.skip_validation = True
            lexer = self._by_accepts[accepts] = BasicLexer(conf)
        return lexer

    def _for_state(self, state: int, table: dict) -> tuple[BasicLexer | None, frozenset[str]]:
        """(the lexer for the state, or None when it needs lookahead correction; the
        name terminals to correct)."""
        info = self._state_info.get(state)
        if info is None:
            offered = _offered(table, state)
            names = _corrected_names(offered)
            info = (None, names) if names else (self._lexer(offered), frozenset())
            self._state_info[state] = info
        return info

    def prepare(self, table: dict) -> None:
        """Build every lexer any parse could ask for (each state's, each lookahead
        correction's), compiling their patterns, so that the table cache can store
        them (:func:`kernlint.ldscript.tables.build`; :meth:`dump_lexers`)."""
        for state in table:
            offered = _offered(table, state)
            names = sorted(_corrected_names(offered))
            for size in range(len(names) + 1):
                for drop in combinations(names, size):
                    self._lexer(offered - frozenset(drop)).scanner  # noqa: B018

    def dump_lexers(self, dispatch_table: dict) -> dict[frozenset[str], bytes]:
        """The lexers built so far, pickled, by the terminals they accept (what
        ``prebuilt`` takes). Their terminal definitions pickle as references to this
        lexer's, so each holds only its own few objects; ``dispatch_table`` pickles
        the rest (compiled patterns: :func:`kernlint.ldscript.regexcache.reducer`).
        A lexer that does not pickle is left out, to be built when needed."""
        out = {}
        for accepts, lexer in self._by_accepts.items():
            buffer = io.BytesIO()
            pickler = _LexerPickler(buffer, self.conf.terminals_by_name)
            pickler.dispatch_table = dispatch_table
            try:
                pickler.dump(lexer)
            except Exception:  # a lark whose lexers hold something unpicklable
                continue
            out[accepts] = buffer.getvalue()
        return out

    def _corrected(self, state: int, table: dict, drop: frozenset[str]) -> BasicLexer:
        key = (state, drop)
        lexer = self._corrected_lexers.get(key)
        if lexer is None:
            lexer = self._corrected_lexers[key] = self._lexer(_offered(table, state) - drop)
        return lexer

    def _after_section_name(self, state: int, table: dict) -> bool:
        """Is this the state after a name in SECTIONS, where an output section address
        or an assignment operator may follow?"""
        found = self._section_name_states.get(state)
        if found is None:
            offered = table[state]
            found = "COLON" in offered and "ENAME" in offered and "EQUAL" in offered
            self._section_name_states[state] = found
        return found

    def _can_shift(self, stack: list[int], table: dict, terminal: str) -> bool:
        """Would the parser, from this stack, shift ``terminal`` after the reductions
        it makes on it? A read-only simulation over state numbers, memoised on the
        top of the stack it looked at (the answer depends on nothing deeper)."""
        by_depth = self._lac_cache.setdefault((stack[-1], terminal), {})
        for looked, answers in by_depth.items():
            answer = answers.get(tuple(stack[-looked:]))
            if answer is not None:
                return answer
        answer, looked = _simulate(stack, table, terminal)
        by_depth.setdefault(looked, {})[tuple(stack[-looked:])] = answer
        return answer

    def lex(self, lexer_state: LexerState, parser_state: Any):
        table = parser_state.parse_conf.parse_table.states
        try:
            while True:
                stack = parser_state.state_stack
                state = stack[-1]
                lexer, names = self._for_state(state, table)
                if lexer is None:
                    drop = frozenset(t for t in names if not self._can_shift(stack, table, t))
                    lexer = self._corrected(state, table, drop)
                token = lexer.next_token(lexer_state, parser_state)
                reserved = RESERVED.get(token.type)
                if token.type in ("ENAME", "NUMBER") and self._after_section_name(state, table):
                    token = _script_word(token, lexer_state)
                    reserved = RESERVED["SNAME"]
                if reserved is not None and token.value in reserved:
                    raise ReservedWord(token)
                yield token
        except EOFError:
            pass
        except UnexpectedCharacters as e:
            # As lark's ContextualLexer: a token of another context reads better as
            # "unexpected token" than as "unexpected character".
            state = parser_state.state_stack[-1]
            expected = {k for k in table[state] if k.isupper() or k == "$END"}
            try:
                last_token = lexer_state.last_token
                token = self.root_lexer.next_token(lexer_state, parser_state)
                raise UnexpectedToken(
                    token,
                    expected,
                    state=parser_state,
                    token_history=[last_token],
                    terminals_by_name=self.root_lexer.terminals_by_name,
                ) from None
            except UnexpectedCharacters:
                raise e from None


def _offered(table: dict, state: int) -> frozenset[str]:
    """The terminals parser state ``state`` can shift or reduce on."""
    return frozenset(k for k in table[state] if k.isupper() or k == "$END")


def _corrected_names(offered: frozenset[str]) -> frozenset[str]:
    """The name terminals a state offering ``offered`` must correct by lookahead (see
    the module docstring), or nothing when its lexer can be used as it is."""
    names = offered & _MODE.keys()
    modes = {_MODE[n] for n in names}
    if len(modes) >= 2 or ("SNAME" in names and offered & _SNAME_OVERLAPS):
        return frozenset(names)
    return frozenset()


def _simulate(stack: list[int], table: dict, terminal: str) -> tuple[bool, int]:
    """(whether ``terminal`` gets shifted, how many states from the top of ``stack``
    the simulation read)."""
    depth = len(stack)
    lowest = depth - 1
    pushed: list[int] = []
    state = stack[-1]
    while True:
        action = table[state].get(terminal)
        if action is None:
            return False, len(stack) - lowest
        kind, rule = action
        if kind is Shift:
            return True, len(stack) - lowest
        size = len(rule.expansion)
        from_pushed = min(size, len(pushed))
        if from_pushed:
            del pushed[-from_pushed:]
        depth -= size - from_pushed
        if depth <= 0 and not pushed:
            return False, len(stack)
        if pushed:
            top = pushed[-1]
        else:
            top = stack[depth - 1]
            lowest = min(lowest, depth - 1)
        state = table[top][rule.origin.name][1]
        pushed.append(state)


def _script_word(token: Token, lexer_state: LexerState) -> Token:
    """``token`` re-read as ld's SCRIPT state reads it: longer when a SCRIPT name runs
    on (``BASE+4``), and a name rather than a number when it is a word (``dead``)."""
    text = lexer_state.text.text
    match = _SCRIPT_NAME.match(text, token.start_pos)
    if match is None:
        return token
    end = match.end()
    if end < token.end_pos or (end == token.end_pos and token.type == "ENAME"):
        return token
    if token.type == "NUMBER" and end == token.end_pos and not token.value[0].isalpha():
        return token  # `$10` is a number in SCRIPT state too
    lexer_state.line_ctr.feed(text[token.end_pos : end])
    counter = lexer_state.line_ctr
    return Token(
        "ENAME",
        match.group(0),
        start_pos=token.start_pos,
        line=token.line,
        column=token.column,
        end_line=counter.line,
        end_column=counter.column,
        end_pos=end,
    )


class _LexerPickler(pickle.Pickler):
    """Pickles a lexer with its terminal definitions as references (their names) to
    the ones of the parser it belongs to."""

    def __init__(self, file: Any, terminals_by_name: dict) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._by_name = terminals_by_name

    def persistent_id(self, obj: Any) -> Any:
        if obj is self._by_name:
            return "*"
        if isinstance(obj, TerminalDef) and self._by_name.get(obj.name) is obj:
            return obj.name
        return None


class _LexerUnpickler(pickle.Unpickler):
    """Restores what :class:`_LexerPickler` wrote, against ``terminals_by_name``."""

    def __init__(self, file: Any, terminals_by_name: dict) -> None:
        super().__init__(file)
        self._by_name = terminals_by_name

    def persistent_load(self, pid: Any) -> Any:
        return self._by_name if pid == "*" else self._by_name[pid]
