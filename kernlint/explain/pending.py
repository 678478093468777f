"""Log messages of rules that ``../shared/RULES.md`` lists but kernlint does not check yet.

A rule's log patterns live in its module (``LOG_PATTERNS``). The rules below had no
module when these messages were collected, so their messages wait here, keyed by their
catalogue id: ``kernlint explain`` recognises the lines and, while the rule has no
module, says ``(not yet checked by kernlint)``. **When a rule lands, its patterns move
to its module.** Until someone moves them, the catalogue
(:mod:`kernlint.explain.catalogue`) drops a pattern of this table as soon as a rule
module's pattern recognises its sample, and attributes the rest to the landed rule.

Each sample was printed by the tool named in its comment (observed here: GNU ld
2.40, Debian LLD 14.0.6, rust-lld of rustc 1.95 (LLVM 20)), unless marked
*hand-typed*, with the source it is typed from.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernlint.logpattern import LogPattern


@dataclass(frozen=True)
class PendingRule:
    """A catalogue rule without a module: ``id``, ``name`` and ``severity`` as RULES.md
    gives them, ``waits_for`` (what it needs), and its ``patterns``."""

    id: str
    name: str
    severity: str
    waits_for: str
    patterns: tuple[LogPattern, ...]


#: ASSERT lines of a script given with ``--artifacts`` are matched by their message
#: (:mod:`kernlint.explain.asserts`); this is the explanation they get (KL209).
ASSERT_EXPLAIN = (
    "This is the message of an `ASSERT` in the linker script: its condition was false"
    " for this link, so ld printed the message and stopped. The condition is a limit the"
    " script's author wrote down (a size budget, an address range, a section that must"
    " be empty): read it, then shrink or move what broke it, or correct the limit."
)

PENDING: tuple[PendingRule, ...] = ()
