"""Lark's parse errors, reworded in ld's vocabulary.

Lark reports the offending token and the set of terminals the LALR parser could have
shifted. That set alone reads badly ("expected one of: SNAME, RBRACE, __ANON_3"), so
this module also looks at the parser's value stack, which holds exactly the
constructs still open at the error: every ``{`` or ``(`` token on it is unclosed, and
the tokens before it say what it opened (SECTIONS, an output section, ``KEEP(`` ...).
"""

from __future__ import annotations

from lark import Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from . import ast
from .errors import ScriptSyntaxError
from .lexing import LineIndex
from .transform import Part

# How a terminal reads in a message. Keywords and punctuation are shown as written.
_NAMES = {
    "SNAME": "a name",
    "ENAME": "a symbol",
    "WNAME": "an input section pattern",
    "INAME": "a file name",
    "LNAME": "a file name",
    "NUMBER": "a number",
    "QSTRING": "a quoted string",
    "VTAG": "a version tag",
    "VIDENT": "a symbol pattern",
}
_EXPR_START = {
    "NUMBER",
    "ENAME",
    "QSTRING",
    "LPAR",
    "MINUS",
    "PLUS",
    "BANG",
    "TILDE",
    "ABSOLUTE",
    "NEXT",
    "DATA_SEGMENT_END",
    "BLOCK",
    "LOG2CEIL",
    "ALIGN",
    "MAX",
    "MIN",
    "DATA_SEGMENT_ALIGN",
    "DATA_SEGMENT_RELRO_END",
    "SIZEOF",
    "ADDR",
    "LOADADDR",
    "ALIGNOF",
    "ORIGIN",
    "LENGTH",
    "DEFINED",
    "CONSTANT",
    "SEGMENT_START",
    "ASSERT",
    "SIZEOF_HEADERS",
}
_OPERATORS = {
    "OROR",
    "ANDAND",
    "BAR",
    "AMP",
    "EQEQ",
    "NOTEQ",
    "LT",
    "GT",
    "LE",
    "GE",
    "LSHIFT",
    "RSHIFT",
    "PLUS",
    "MINUS",
    "STAR",
    "SLASH",
    "PERCENT",
    "QMARK",
}
_BLOCK_KEYWORDS = {"SECTIONS", "MEMORY", "PHDRS", "VERSION"}
_STATE_WORDS = {
    "SNAME": "in this part of a script",
    "ENAME": "inside expressions",
    "WNAME": "inside an output section description",
    "INAME": "inside INPUT and GROUP lists",
}


class ReservedWord(Exception):
    """Raised by the lexer callback when a name token is one of ld's keywords."""

    def __init__(self, token: Token) -> None:
        super().__init__(token.value)
        self.token = token


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


class _Reporter:
    def __init__(self, text: str, path: str, terminals: dict[str, str]) -> None:
        self.text = text
        self.path = path
        self.terminals = terminals  # terminal name -> literal text, for string terminals
        self.index = LineIndex(text)

    # ------------------------------------------------------------------ wording

    def terminal(self, name: str) -> str:
        if name in _NAMES:
            return _NAMES[name]
        if name == "$END":
            return "end of file"
        return f"`{self.terminals.get(name, name)}`"

    def found(self, token: Token) -> str:
        if token.type == "$END":
            return "end of file"
        if token.type in ("SNAME", "ENAME", "WNAME", "INAME", "LNAME", "VTAG", "VIDENT"):
            return f"`{token.value}`"
        if token.type == "NUMBER":
            return f"number `{token.value}`"
        if token.type == "QSTRING":
            return f"string {token.value}"
        return f"`{token.value}`"

    def expected(self, names: set[str]) -> list[str]:
        names = set(names)
        words: list[str] = []
        if "ENAME" in names and "NUMBER" in names:
            names -= _EXPR_START
            words.append("an expression")
        if len(names & _OPERATORS) >= 3:
            names -= _OPERATORS
            words.append("an operator")
        assign = {n for n in names if self.terminals.get(n, "").endswith("=")}
        assign -= {"EQEQ", "NOTEQ", "LE", "GE"}
        if len(assign) >= 3:
            names -= assign
            words.append("an assignment operator")
        if len(names) > 8:  # a statement position: too many keywords to list usefully
            keywords = {n for n in names if self.terminals.get(n, "").isupper()}
            names -= keywords
            words.append("a command")
        words.extend(sorted(self.terminal(n) for n in names))
        return words

    # ------------------------------------------------------------------ open constructs

    def opened(self, stack: list) -> tuple[str, int, int, str] | None:
        """The innermost unclosed ``{`` or ``(`` on the value stack: what it opened,
        the line and column where that construct starts, and the bracket."""
        closed = {"LBRACE": 0, "LPAR": 0}
        for i in range(len(stack) - 1, -1, -1):
            item = stack[i]
            if not isinstance(item, Token):
                continue
            if item.type in ("RBRACE", "RPAR"):
                closed["LBRACE" if item.type == "RBRACE" else "LPAR"] += 1
            elif item.type in ("LBRACE", "LPAR"):
                if closed[item.type]:
                    closed[item.type] -= 1
                    continue
                if item.type == "LBRACE":
                    what, line, column = self._brace_owner(stack, i)
                else:
                    what, line, column = self._paren_owner(stack, i)
                return what, line, column, item.value
        return None

    @staticmethod
    def _brace_owner(stack: list, i: int) -> tuple[str, int, int]:
        before = stack[i - 1] if i > 0 else None
        if isinstance(before, Token) and before.type == "VTAG":
            return f"version node `{before.value}`", before.line, before.column
        if (
            isinstance(before, Token)
            and before.type == "QSTRING"
            and i > 1
            and isinstance(stack[i - 2], Token)
            and stack[i - 2].type == "VEXTERN"
        ):
            return f"extern {before.value} block", stack[i - 2].line, stack[i - 2].column
        colon = False
        for j in range(i - 1, -1, -1):
            item = stack[j]
            if not isinstance(item, Token):
                continue
            if item.type in _BLOCK_KEYWORDS or item.type == "OVERLAY":
                return item.value, item.line, item.column
            if item.type == "COLON":
                colon = True
            elif item.type in ("SNAME", "QSTRING"):
                kind = "output section" if colon else "overlay section"
                name = item.value[1:-1] if item.type == "QSTRING" else item.value
                return f"{kind} `{name}`", item.line, item.column
            elif item.type in ("LBRACE", "RBRACE", "SEMICOLON", "COMMA"):
                break
        brace = stack[i]
        return "`{`", brace.line, brace.column

    @staticmethod
    def _paren_owner(stack: list, i: int) -> tuple[str, int, int]:
        paren = stack[i]
        before = stack[i - 1] if i > 0 else None
        if isinstance(before, Token) and before.type not in ("LPAR", "LBRACE", "RPAR", "RBRACE"):
            return f"`{before.value}(`", before.line, before.column
        if isinstance(before, ast.FilePattern):
            span = before.span
            return f"`{before.pattern}(`", span.line, span.column
        return "`(`", paren.line, paren.column

    @staticmethod
    def in_statement(stack: list) -> str | None:
        """What the statement being parsed is, when it needs a separator: an
        assignment (``assignment to `x```) or an ``ASSERT(...)``."""
        for j in range(len(stack) - 1, -1, -1):
            item = stack[j]
            if isinstance(item, Token) and item.type in ("LBRACE", "SEMICOLON"):
                return None
            if isinstance(item, Token) and item.type == "ASSERT":
                return "ASSERT(...)"
            if isinstance(item, Part) and item.tag == "op" and j > 0:
                target = stack[j - 1]
                name = target.value if isinstance(target, Token) else "?"
                return f"assignment to `{name}`"
        return None

    # ------------------------------------------------------------------ errors

    def error(
        self, message: str, line: int, column: int, width: int = 1, **kw
    ) -> ScriptSyntaxError:
        lines = self.text.splitlines() or [""]
        source = lines[line - 1] if 0 < line <= len(lines) else ""
        return ScriptSyntaxError(
            message,
            path=self.path,
            line=line,
            column=column,
            width=width,
            source_line=source,
            **kw,
        )

    def end_position(self) -> tuple[int, int]:
        stripped = len(self.text.rstrip())
        return self.index.position(stripped)

    def lexical_hint(self, token: Token, previous) -> tuple[str, tuple | None] | None:
        """A message for errors that come from how ld splits text into words, with
        the (line, column, width) to point at when it is not ``token``."""
        if self.text.startswith("/*", token.start_pos):
            return "unterminated comment: this `/*` is never closed by `*/`", None
        if token.value.startswith("^"):
            return (
                "`^` is not an operator in GNU ld expressions (ld ignores it with a "
                "warning, then fails): there is no XOR in linker scripts"
            ), None
        if not isinstance(previous, Token):
            return None
        at = (previous.line, previous.column, len(previous.value))
        if previous.type in ("SNAME", "WNAME") and "=" in previous.value[1:]:
            return f"GNU ld reads `{previous.value}` as one name here: put spaces around `=`", at
        if previous.type == "NUMBER" and previous.value in ("0b", "0B"):
            return (
                "GNU ld has no `0b` prefix: it reads `0b` as binary 0 (the `b` suffix); "
                f"write `{token.value}b` for a binary number"
            ), at
        if previous.value.endswith("/") and self.text.startswith("*", token.start_pos):
            return (
                f"GNU ld reads `{previous.value}` as one name: a `/*` comment right after a "
                "name is taken into it; put a space before `/*`"
            ), at
        if (
            previous.type in ("SNAME", "INAME")
            and previous.value.endswith(",")
            and len(previous.value) > 1
        ):
            return (
                f"GNU ld reads `{previous.value}` as one name (a comma right after a name "
                "belongs to it): put a space before the `,` or quote the name"
            ), at
        if previous.value.startswith("//"):
            return "`//` does not start a comment in GNU ld scripts; use /* */ or #", (
                previous.line,
                previous.column,
                2,
            )
        return None

    def unexpected_token(self, e: UnexpectedToken) -> ScriptSyntaxError:
        token = e.token
        stack = e.state.value_stack if e.state is not None else []
        expected = {n for n in e.expected if not n.startswith("__IGNORE")}
        words = self.expected(expected)
        found = self.found(token)
        opened = self.opened(stack)
        at_eof = token.type == "$END"
        if at_eof:
            line, column = self.end_position()
            width = 1
        else:
            line, column, width = token.line, token.column, max(len(token.value), 1)
        extra = {"expected": tuple(words)}
        if opened is not None:
            extra["opened_at"] = (opened[1], opened[2])

        statement = self.in_statement(stack)
        previous = stack[-1] if stack else None
        hint = None if at_eof else self.lexical_hint(token, previous)
        if hint is not None:
            message, (line, column, width) = hint[0], hint[1] or (line, column, width)
        elif token.value in ("l", "len") and "LENGTH" in expected:
            message = (
                f"`{token.value}` abbreviates LENGTH only after a comma: GNU ld reads it "
                "as a name here (write `, l =` or `LENGTH =`)"
            )
        elif (
            "COLON" in expected
            and isinstance(previous, Token)
            and previous.type in ("SNAME", "QSTRING")
            and opened is not None
            and opened[0] == "SECTIONS"
        ):
            message = (
                f"expected `:` after output section name `{previous.value}` (or an "
                f"assignment operator), found {found}"
            )
        elif at_eof and opened is not None:
            what, line0, column0, bracket = opened
            closer = "}" if bracket == "{" else ")"
            message = (
                f"unexpected end of file: {what} opened at {line0}:{column0} "
                f"is not closed (expected `{closer}`)"
            )
        elif "SEMICOLON" in expected and statement is not None:
            message = f"expected `;` after {statement}, found {found}"
        elif token.type == "RBRACE" and opened is None:
            message = "unexpected `}`: there is no open `{` here to close"
        elif (
            token.type == "SEMICOLON"
            and opened is not None
            and opened[0] == "SECTIONS"
            and "SEMICOLON" not in expected
        ):
            message = (
                "unexpected `;` directly inside SECTIONS: GNU ld accepts no empty "
                "statement there (ASSERT(...) and ENTRY(...) take no `;` at this level, "
                "and an output section ends at its `}`)"
            )
        elif opened is not None and ("RBRACE" in expected or "RPAR" in expected):
            what, line0, column0, bracket = opened
            closer = "}" if bracket == "{" else ")"
            if ("RBRACE" if closer == "}" else "RPAR") in expected:
                message = (
                    f"expected `{closer}` to close {what} opened at "
                    f"{line0}:{column0}, found {found}"
                )
            else:
                message = f"unexpected {found}; expected {_join(words)}"
        elif at_eof:
            message = f"unexpected end of file; expected {_join(words)}"
        else:
            message = f"unexpected {found}; expected {_join(words)}"
        return self.error(message, line, column, width, **extra)

    def unexpected_characters(self, e: UnexpectedCharacters) -> ScriptSyntaxError:
        pos = e.pos_in_stream
        line, column = e.line, e.column
        char = self.text[pos] if pos < len(self.text) else ""
        allowed = {n for n in (e.allowed or ()) if not n.startswith("__IGNORE")}
        if self.text.startswith("/*", pos):
            message = "unterminated comment: this `/*` is never closed by `*/`"
        elif char == '"':
            message = 'unterminated string: this `"` has no closing `"`'
        elif char == "^" and ("ENAME" in allowed or _OPERATORS & allowed):
            message = (
                "`^` is not an operator in GNU ld expressions (ld ignores it with a "
                "warning, then fails)"
            )
        else:
            words = self.expected(allowed)
            message = f"unexpected character `{char}`"
            if words:
                message += f"; expected {_join(words)}"
        return self.error(message, line, column)

    def reserved(self, e: ReservedWord) -> ScriptSyntaxError:
        token = e.token
        where = _STATE_WORDS.get(token.type, "here")
        return self.error(
            f"`{token.value}` is a GNU ld keyword {where} and cannot be used as a name "
            f'(quote it, "{token.value}", to use it as one)',
            token.line,
            token.column,
            len(token.value),
        )


def to_syntax_error(
    exc: UnexpectedInput | ReservedWord, text: str, path: str, terminals: dict[str, str]
) -> ScriptSyntaxError:
    """Reword a lark parse error (or a reserved word) as a ``ScriptSyntaxError``."""
    reporter = _Reporter(text, path, terminals)
    if isinstance(exc, ReservedWord):
        return reporter.reserved(exc)
    if isinstance(exc, UnexpectedToken):
        return reporter.unexpected_token(exc)
    if isinstance(exc, UnexpectedCharacters):
        return reporter.unexpected_characters(exc)
    line, column = reporter.end_position()
    return reporter.error("unexpected end of file", line, column)
