"""Findings: what a rule reports, where, and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass, field

#: Severities from most to least severe; ``--fail-on`` compares by this rank.
SEVERITIES = ("error", "warning", "info")


def severity_rank(severity: str) -> int:
    """0 for ``error``, 1 for ``warning``, 2 for ``info``."""
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class Location:
    """Where a finding points. Binaries use ``section`` (name), ``segment`` (index in the
    program header table), ``address`` (virtual, bytes), ``offset`` (file, bytes) and
    ``symbol``; text inputs use 1-based ``line``/``column`` (and ``end_line``/
    ``end_column``). Unset fields are None and are left out of reports."""

    section: str | None = None
    segment: int | None = None
    address: int | None = None
    offset: int | None = None
    symbol: str | None = None
    line: int | None = None
    column: int | None = None
    end_line: int | None = None
    end_column: int | None = None

    @classmethod
    def from_span(cls, span) -> Location:
        """The text location of ``span`` (anything with 1-based ``line``, ``column``,
        ``end_line``, ``end_column``, such as a linker-script node's span)."""
        return cls(
            line=span.line, column=span.column, end_line=span.end_line, end_column=span.end_column
        )

    def as_dict(self) -> dict[str, int | str]:
        """The set fields, in declaration order."""
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass(frozen=True)
class Finding:
    """One problem found in one input.

    A rule's ``check`` yields findings with ``message``, ``location`` and ``fix``; the
    engine fills ``rule`` (id, ``KL101``), ``name`` (``code-not-allocated``),
    ``severity`` and ``path`` from the rule module and the target. A rule may set
    ``severity`` itself, lower than its ``SEVERITY``, for a finding that reports no
    defect (KL406's "could not check: no relocation data" is ``info``); the engine
    keeps a severity that is set.
    """

    message: str
    location: Location = field(default_factory=Location)
    fix: str | None = None
    rule: str = ""
    name: str = ""
    severity: str = ""
    path: str = ""

    def sort_key(self) -> tuple:
        """Deterministic order: path, then text position or address, then rule."""
        loc = self.location
        return (
            self.path,
            loc.line or 0,
            loc.column or 0,
            -1 if loc.address is None else loc.address,
            -1 if loc.segment is None else loc.segment,
            loc.section or "",
            self.rule,
            self.message,
        )
