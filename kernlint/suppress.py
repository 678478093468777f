"""Inline suppressions in text inputs (DESIGN.md, "Configuration"):

- linker scripts: ``/* kernlint: ignore[KL201] */``
- assembly and Rust: ``# kernlint: ignore[KL601]``, ``// kernlint: ignore[KL601]``,
  ``; kernlint: ignore[KL602]`` (NASM)

A suppression silences the named rules (ids, names or id prefixes, comma-separated;
none named means every rule) for findings on its own line and on the line after it, so
it can stand at the end of the offending line or on a line of its own just above it.
A suppression that silences nothing is itself reported (rule KL003, info).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MARK = re.compile(r"kernlint:\s*ignore(?:\[(?P<rules>[^\]]*)\])?")


@dataclass(frozen=True)
class Suppression:
    """One ``kernlint: ignore[...]`` comment: 1-based ``line`` and ``column`` of the word
    ``kernlint``, and the ``selectors`` it names (empty: all rules)."""

    line: int
    column: int
    selectors: tuple[str, ...]
    text: str

    def covers(self, rule_id: str, rule_name: str, line: int | None) -> bool:
        """True when this suppression silences ``rule_id`` on ``line``."""
        if line not in (self.line, self.line + 1):
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
            found.append(Suppression(lineno, m.start() + 1, selectors, m.group(0)))
    return found
