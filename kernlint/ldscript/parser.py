"""Text to syntax tree: ``parse_script`` for a whole file, ``parse_fragment`` for the
text an ``INCLUDE`` brings into SECTIONS, an output section or MEMORY."""

from __future__ import annotations

import functools
import gc
import threading
from pathlib import Path

from lark import Lark
from lark.exceptions import UnexpectedInput
from lark.lexer import PatternStr

from . import ast
from .errors import ScriptSyntaxError
from .lexer import LdLexer
from .lexing import LineIndex, clean_text
from .messages import ReservedWord, to_syntax_error
from .tables import TableParser, build
from .transform import Builder, TreeError

# Include context (``ast.Include.context``) -> start symbol of the grammar.
START = {
    "script": "script",
    "sections": "sections_body",
    "section": "section_body",
    "memory": "memory_body",
}


# The parse actions carry the current file's path; one parse at a time.
_LOCK = threading.Lock()


@functools.cache
def _parser() -> tuple[Lark | TableParser, Builder]:
    """The LALR parser and its parse actions, built on first use: from kernlint's table
    cache when it holds this grammar (see :mod:`kernlint.ldscript.tables`), which
    turns about 0.4 s of table building into a few milliseconds of loading."""
    grammar = Path(__file__).with_name("grammar.lark").read_text(encoding="utf-8")
    builder = Builder()
    return build(grammar, builder, list(START.values()), LdLexer), builder


@functools.cache
def _literal_terminals() -> dict[str, str]:
    return {
        t.name: t.pattern.value for t in _parser()[0].terminals if isinstance(t.pattern, PatternStr)
    }


def parse_fragment(text: str, path: str = "<string>", context: str = "script") -> ast.Script:
    """Parse ``text`` as what may stand in ``context`` (``"script"``, ``"sections"``,
    ``"section"`` or ``"memory"``; see ``ast.Include``).

    Raises ``ScriptSyntaxError`` at the first offending token. Never raises anything
    else for any input text."""
    cleaned, warnings = clean_text(text, path)
    end = LineIndex(cleaned).position(len(cleaned))
    parser, builder = _parser()
    collecting = gc.isenabled()
    try:
        with _LOCK:
            builder.reset(path, end)
            # The parse allocates many small objects and no cycles: the cyclic
            # collector would only rescan them again and again (a third of the time
            # on a 100 000-line script).
            gc.disable()
            try:
                script = parser.parse(cleaned, start=START[context])
            finally:
                if collecting:
                    gc.enable()
    except (UnexpectedInput, ReservedWord) as exc:
        raise to_syntax_error(exc, cleaned, path, _literal_terminals()) from None
    except TreeError as err:
        lines = cleaned.splitlines()
        source = lines[err.line - 1] if 0 < err.line <= len(lines) else ""
        raise ScriptSyntaxError(
            err.message,
            path=path,
            line=err.line,
            column=err.column,
            width=err.width,
            source_line=source,
        ) from None
    if warnings:
        script = ast.Script(
            path=script.path,
            statements=script.statements,
            context=script.context,
            diagnostics=warnings,
            span=script.span,
        )
    return script


def parse_script(text: str, path: str = "<string>") -> ast.Script:
    """Parse the text of a whole linker script. ``path`` is used in spans and errors
    only; ``INCLUDE`` statements stay unresolved (``load_script`` resolves them)."""
    return parse_fragment(text, path, "script")
