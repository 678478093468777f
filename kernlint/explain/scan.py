"""Find the known lines of a log: which pattern each matches and the values in it.

``scan`` walks :class:`~kernlint.explain.prefixes.LogLine` records in order. A line
with a tool prefix is tried against that tool's patterns; a line without one (GNU
ld's relocation lines, ld.lld's ``removing unused section``) against all. GNU ld's
``a.o: in function `f':`` line lends ``object`` and ``function`` to the lines after
it; ld.lld's ``>>>`` lines are attached to the message before them and add values
(``defined_in``, section ranges). A message whose text equals the message of an
``ASSERT`` in the scripts given is traced to that ``ASSERT``; when no pattern knows
the line, it is explained as KL209 (assert-violated).

A pattern with ``alternatives`` stands for several rules (one message, several
causes): its hit keeps them all as :attr:`Hit.candidates` until
:mod:`~kernlint.explain.pinpoint` sets :attr:`Hit.verdict` from the artifacts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from kernlint.explain.asserts import ScriptAssert
from kernlint.explain.catalogue import Known, rule_info
from kernlint.explain.pending import ASSERT_EXPLAIN
from kernlint.explain.prefixes import LogLine
from kernlint.explain.values import derive, detail_values, fill
from kernlint.logpattern import LogPattern

#: The rule a traced ASSERT line stands for when no pattern knows it.
ASSERT_RULE = "KL209"


@dataclass
class Hit:
    """A known line: the ``line``, the ``known`` pattern it matched, the ``values``
    (groups, prefix and context values, derived fields), ld.lld's ``details`` lines
    after it, and the script ``asserts`` whose message it is. ``verdict`` is set by
    pinpoint for a pattern with alternatives when an image was among the artifacts:
    the candidates whose rules found something there (empty: none of them)."""

    line: LogLine
    known: Known
    values: dict[str, str]
    details: list[LogLine] = field(default_factory=list)
    asserts: tuple[ScriptAssert, ...] = ()
    verdict: tuple[str, ...] | None = None

    @property
    def candidates(self) -> tuple[str, ...]:
        """The rules whose cause prints this message: the pattern's rule, then its
        ``alternatives``."""
        return (self.known.rule, *self.known.pattern.alternatives)

    @property
    def decided(self) -> tuple[str, ...] | None:
        """The rules this line is explained by: the pattern's rule when it has no
        alternatives; else the verdict (None while undecided: no image given)."""
        if not self.known.pattern.alternatives:
            return (self.known.rule,)
        return self.verdict

    @property
    def explanation(self) -> str:
        """The pattern's ``explain`` text filled with the values."""
        return fill(self.known.pattern.explain, self.values)

    @property
    def rules(self) -> tuple[str, ...]:
        """The candidate rules, then the related ones (each once)."""
        return tuple(dict.fromkeys((*self.candidates, *self.known.pattern.related)))


@dataclass
class Scan:
    """The result of a scan: ``hits`` in line order, ``lines`` read, and how many
    linker lines (GNU ld, ld.lld) were not recognised (``unknown_linker``)."""

    hits: list[Hit]
    lines: int
    unknown_linker: int


def scan(
    lines: Iterable[LogLine],
    known: Sequence[Known],
    asserts: Mapping[str, Sequence[ScriptAssert]] | None = None,
) -> Scan:
    """The known lines of ``lines`` (see the module documentation)."""
    asserts = asserts or {}
    by_tool: dict[str, list[Known]] = {}
    for k in known:
        by_tool.setdefault(k.pattern.tool, []).append(k)
    hits: list[Hit] = []
    context: dict[str, str] = {}
    open_hit: Hit | None = None
    count = unknown = 0
    for line in lines:
        count = line.number
        if line.kind == "blank":
            context = {}
            continue
        if line.kind == "detail":
            if open_hit is not None:
                open_hit.details.append(line)
            continue
        if line.kind == "context":
            context = dict(line.prefix)
            open_hit = None
            continue
        if line.tool not in (None, "ld"):
            context = {}
        hit = _match(line, by_tool.get(line.tool, []) if line.tool else known, context)
        traced = _traced(line, asserts)
        if hit is None and traced:
            hit = _assert_hit(line, traced)
        elif hit is not None:
            hit.asserts = traced
        if hit is None:
            unknown += line.tool in ("ld", "lld")
            open_hit = None
            continue
        hits.append(hit)
        open_hit = hit
    for hit in hits:
        extra = detail_values([d.body for d in hit.details], hit.values)
        hit.values = derive({**extra, **hit.values})
    return Scan(hits, count, unknown)


def _match(line: LogLine, candidates: Sequence[Known], context: Mapping[str, str]) -> Hit | None:
    for k in candidates:
        m = k.search(line.body, line.text)
        if m:
            groups = {name: value for name, value in m.groupdict().items() if value is not None}
            values = {**_prefix(line), **context, **groups}
            return Hit(line, k, values)
    return None


def _prefix(line: LogLine) -> dict[str, str]:
    return {k: v for k, v in line.prefix.items() if k in ("program", "file", "line", "severity")}


def _traced(line: LogLine, asserts: Mapping[str, Sequence[ScriptAssert]]) -> tuple:
    if not asserts or line.tool not in ("ld", "lld", None):
        return ()
    for text in (line.body, line.rest, re.sub(r"^(?:error|warning): ", "", line.rest)):
        if text in asserts:
            return tuple(asserts[text])
    return ()


def _assert_hit(line: LogLine, traced: tuple[ScriptAssert, ...]) -> Hit:
    name, severity, waits_for, checked = rule_info(ASSERT_RULE)
    pattern = LogPattern(line.tool or "ld", re.escape(traced[0].message), ASSERT_EXPLAIN, line.text)
    known = Known(
        ASSERT_RULE, name, severity, checked, waits_for, pattern, re.compile(pattern.regex)
    )
    values = {**_prefix(line), "message": traced[0].message}
    return Hit(line, known, values, asserts=traced)
