"""What goes wrong while reading a linker script: the syntax error (rule KL002) and the
warnings ld would print and carry on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .ast import Span


def excerpt(source_line: str, line: int, column: int, width: int = 1) -> str:
    """The source line with a caret under ``column`` (1-based), rustc style::

        4 |     .data : { *(.data) }
          |           ^

    Tabs before the column are kept in the caret line, so the caret lines up however
    tabs are shown."""
    gutter = str(line)
    pad = "".join("\t" if c == "\t" else " " for c in source_line[: max(column - 1, 0)])
    width = max(1, min(width, len(source_line) - column + 1))
    return f"{gutter} | {source_line}\n{' ' * len(gutter)} | {pad}{'^' * width}"


class ScriptSyntaxError(Exception):
    """A linker script does not parse (rule KL002, ``script-syntax-error``).

    ``path``, ``line`` and ``column`` (1-based) locate the first offending token;
    ``message`` names what was expected in ld's vocabulary. ``opened_at`` is the
    ``(line, column)`` of the construct left open, when that is the cause.
    ``str()`` gives ``path:line:column: message``."""

    def __init__(
        self,
        message: str,
        *,
        path: str,
        line: int,
        column: int,
        width: int = 1,
        source_line: str = "",
        expected: tuple[str, ...] = (),
        opened_at: tuple[int, int] | None = None,
    ) -> None:
        super().__init__(f"{path}:{line}:{column}: {message}")
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.width = width
        self.source_line = source_line
        self.expected = expected
        self.opened_at = opened_at

    def format_excerpt(self) -> str:
        """The offending source line with a caret under the offending token."""
        return excerpt(self.source_line, self.line, self.column, self.width)


@dataclass(frozen=True, slots=True)
class ScriptDiagnostic:
    """Something ld reports while reading a script without stopping, or a problem with
    an ``INCLUDE``: ``severity`` is ``"warning"`` or ``"error"``."""

    span: Span
    message: str
    severity: str = "warning"
