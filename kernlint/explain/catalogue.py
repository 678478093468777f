"""Every log pattern kernlint knows, compiled once, with the rule behind it.

Patterns come from the ``LOG_PATTERNS`` of every discovered rule module (in rule-id
order, so that a module added by anyone is picked up without being listed), then
from :data:`kernlint.explain.pending.PENDING` for rules not implemented yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from kernlint.explain.pending import PENDING
from kernlint.explain.prefixes import split
from kernlint.logpattern import LogPattern


@dataclass(frozen=True)
class Known:
    """A pattern and its rule: ``rule`` id, ``name``, ``severity``; ``checked`` is
    False when kernlint has no module for the rule yet (``waits_for`` says what it
    needs); ``regex`` is the compiled ``pattern.regex``."""

    rule: str
    name: str
    severity: str
    checked: bool
    waits_for: str
    pattern: LogPattern
    regex: re.Pattern[str] = field(compare=False)

    def search(self, body: str, text: str) -> re.Match[str] | None:
        """The pattern searched in a line's ``body``, else in its whole ``text``."""
        return self.regex.search(body) or self.regex.search(text)


@cache
def catalogue() -> tuple[Known, ...]:
    """Module patterns first (by rule id, in declaration order), then pending ones."""
    from kernlint.engine import all_rules

    rules = all_rules()
    known = [
        Known(r.id, r.name, r.severity, True, "", p, re.compile(p.regex))
        for r in rules
        for p in getattr(r.module, "LOG_PATTERNS", ())
    ]
    by_id = {r.id: r for r in rules}
    for pending in PENDING:
        landed = by_id.get(pending.id)
        for p in pending.patterns:
            line = split(1, p.sample)
            if any(k.search(line.body, line.text) for k in known if k.pattern.tool == p.tool):
                continue  # a rule module recognises it now
            regex = re.compile(p.regex)
            if landed is not None:
                item = Known(landed.id, landed.name, landed.severity, True, "", p, regex)
            else:
                item = Known(
                    pending.id, pending.name, pending.severity, False, pending.waits_for, p, regex
                )
            known.append(item)
    return tuple(known)


def rule_info(rule_id: str) -> tuple[str, str, str, bool]:
    """``(name, severity, waits_for, checked)`` of a rule by id, whether it has a module
    or is pending; KeyError for an id of neither."""
    from kernlint.engine import all_rules

    for r in all_rules():
        if r.id == rule_id:
            return r.name, r.severity, "", True
    for p in PENDING:
        if p.id == rule_id:
            return p.name, p.severity, p.waits_for, False
    raise KeyError(rule_id)
