"""Inline and file-level suppressions in text inputs (DESIGN.md, "Configuration").

A suppression is a comment in the comment syntax of the input:

- linker scripts: ``/* kernlint: ignore[KL201] */``
- assembly and Rust: ``# kernlint: ignore[KL601]``, ``// kernlint: ignore[KL601]``,
  ``; kernlint: ignore[KL602]`` (NASM)

``kernlint: ignore[...]`` silences the named rules (ids, names or id prefixes,
comma-separated; none named means every rule) for findings on its own line and on the
line after it, so it can stand at the end of the offending line or on a line of its
own just above it.

``kernlint: ignore-file[...]`` (``/* kernlint: ignore-file[KL205,KL212] */``, or bare
``# kernlint: ignore-file`` for every rule), anywhere in the file, silences the named
rules for every finding in that file, the way ruff has ``# ruff: noqa: E501``: for a
vendored script or source that is not yours to change. A finding that both a line
suppression and a file suppression cover counts against the line suppression, the
more precise of the two.

A suppression of either kind that silences nothing is itself reported (rule KL003,
info); KL003's own findings are not suppressed by comments (``--ignore KL003`` or
``per-path-ignores`` leave them out).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from kernlint.finding import Finding

_MARK = re.compile(r"kernlint:\s*ignore(?P<file>-file)?(?:\[(?P<rules>[^\]]*)\])?")


@dataclass(frozen=True)
class Suppression:
    """One ``kernlint: ignore[...]`` or ``kernlint: ignore-file[...]`` comment: 1-based
    ``line`` and ``column`` of the word ``kernlint``, the ``selectors`` it names
    (empty: all rules), its ``text``, and whether it covers the whole file
    (``file``)."""

    line: int
    column: int
    selectors: tuple[str, ...]
    text: str
    file: bool = False

    def covers(self, rule_id: str, rule_name: str, line: int | None) -> bool:
        """True when this suppression silences ``rule_id`` on ``line`` (any line, or
        none, for a file suppression)."""
        if not self.file and line not in (self.line, self.line + 1):
            return False
        return not self.selectors or any(
            rule_id.startswith(s.upper()) or rule_name == s.lower() for s in self.selectors
        )


def collect(text: str) -> list[Suppression]:
    """Every suppression comment in ``text``, in order."""
    found = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if "kernlint:" not in line:
            continue
        for m in _MARK.finditer(line):
            rules = m.group("rules")
            selectors = tuple(s.strip() for s in rules.split(",") if s.strip()) if rules else ()
            found.append(
                Suppression(lineno, m.start() + 1, selectors, m.group(0), bool(m.group("file")))
            )
    return found


def apply(
    findings: Iterable[Finding], marks: list[Suppression]
) -> tuple[list[Finding], tuple[Suppression, ...]]:
    """``(findings no suppression covers, suppressions that covered none)``. Each
    finding silenced counts against the first line suppression that covers it, else
    the first file suppression that does."""
    used: set[int] = set()
    kept = []
    order = sorted(enumerate(marks), key=lambda im: im[1].file)  # line ones first
    for f in findings:
        hit = next((i for i, m in order if m.covers(f.rule, f.name, f.location.line)), None)
        if hit is None:
            kept.append(f)
        else:
            used.add(hit)
    return kept, tuple(m for i, m in enumerate(marks) if i not in used)
