"""GNU ld linker scripts: grammar, syntax tree with source spans, INCLUDE resolution and
syntax errors (rule KL002).

``parse_script(text, path)`` parses one script; ``load_script(path, search_dirs)`` reads
a file and resolves its ``INCLUDE``s. Both raise ``ScriptSyntaxError`` when the script
does not parse. This package imports neither LIEF nor networkx, so the script-only path
stays fast; and its names are imported on first use (PEP 562), so that importing
``kernlint.ldscript.ast`` (as the KL2 rules do) does not load lark and the parser.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .ast import Script, Span
    from .errors import ScriptDiagnostic, ScriptSyntaxError
    from .include import IncludeDiagnostic, LoadedScript, load_script
    from .parser import parse_fragment, parse_script

_HOME = {
    "Script": "ast",
    "Span": "ast",
    "ScriptDiagnostic": "errors",
    "ScriptSyntaxError": "errors",
    "IncludeDiagnostic": "include",
    "LoadedScript": "include",
    "load_script": "include",
    "parse_fragment": "parser",
    "parse_script": "parser",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


__all__ = [
    "IncludeDiagnostic",
    "LoadedScript",
    "Script",
    "ScriptDiagnostic",
    "ScriptSyntaxError",
    "Span",
    "load_script",
    "parse_fragment",
    "parse_script",
]
