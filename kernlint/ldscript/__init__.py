"""GNU ld linker scripts: grammar, syntax tree with source spans, INCLUDE resolution and
syntax errors (rule KL002).

``parse_script(text, path)`` parses one script; ``load_script(path, search_dirs)`` reads
a file and resolves its ``INCLUDE``s. Both raise ``ScriptSyntaxError`` when the script
does not parse. This package imports neither LIEF nor networkx, so the script-only path
stays fast.
"""

from .ast import Script, Span
from .errors import ScriptDiagnostic, ScriptSyntaxError
from .include import IncludeDiagnostic, LoadedScript, load_script
from .parser import parse_fragment, parse_script

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
