"""The text report: one line per finding, ``path: where: ID name: message``, then an
indented ``fix:`` hint (ruff/rustc style)."""

from __future__ import annotations

from collections import Counter

from kernlint.engine import RunResult
from kernlint.finding import Finding, Location


def where(loc: Location) -> str:
    """The location part of a finding line: ``12:5`` for text, ``section .boot
    (0x100000)``, ``segment 2 (0x100000)`` or ``0x100000`` for binaries; '' when none."""
    if loc.line is not None:
        return f"{loc.line}:{loc.column or 1}"
    addr = f" ({loc.address:#x})" if loc.address is not None else ""
    if loc.section is not None:
        return f"section {loc.section or '[unnamed]'}{addr}"
    if loc.segment is not None:
        return f"segment {loc.segment}{addr}"
    if loc.address is not None:
        return f"{loc.address:#x}"
    return ""


def finding_line(f: Finding) -> str:
    """``path: where: ID name: message`` (``where`` left out when empty)."""
    w = where(f.location)
    sep = ":" if f.location.line is not None else ": "
    head = f"{f.path}{sep}{w}: " if w else f"{f.path}: "
    return f"{head}{f.rule} {f.name}: {f.message}"


def render_text(result: RunResult, *, quiet: bool = False, statistics: bool = False) -> str:
    """The whole report. ``quiet`` leaves out fix hints and the summary line;
    ``statistics`` replaces the findings by a count per rule."""
    lines: list[str] = []
    if statistics:
        counts = Counter((f.rule, f.name, f.severity) for f in result.findings)
        for (rule, name, severity), n in sorted(counts.items()):
            lines.append(f"{n:6d}  {rule}  {name} [{severity}]")
    else:
        sources = _Sources()
        for f in result.findings:
            lines.append(finding_line(f))
            if f.location.line is not None and not quiet:
                lines.extend(sources.excerpt(f))
            if f.fix and not quiet:
                lines.append(f"    fix: {f.fix}")
    if not quiet:
        c = result.counts()
        if result.findings:
            parts = [
                f"{c[s]} {s}{'s' if c[s] != 1 and s != 'info' else ''}"
                for s in ("error", "warning", "info")
                if c[s]
            ]
            lines.append(f"Found {', '.join(parts)} in {_files(result.files)}{_base(result)}.")
        else:
            lines.append(f"No findings in {_files(result.files)}{_base(result)}.")
    return "".join(line + "\n" for line in lines)


class _Sources:
    """Lines of the text files findings point into, read once each, for excerpts."""

    def __init__(self) -> None:
        self._lines: dict[str, list[str]] = {}

    def excerpt(self, f: Finding) -> list[str]:
        """``  12 | text`` and a caret line under the finding's columns (rustc style);
        nothing when the file cannot be read or the line does not exist."""
        if f.path not in self._lines:
            try:
                with open(f.path, encoding="utf-8", errors="replace") as src:
                    self._lines[f.path] = src.read().splitlines()
            except OSError:
                self._lines[f.path] = []
        lines = self._lines[f.path]
        loc = f.location
        if not loc.line or loc.line > len(lines):
            return []
        text = lines[loc.line - 1].expandtabs(1)
        col = max(loc.column or 1, 1)
        end = loc.end_column if loc.end_line == loc.line and loc.end_column else col + 1
        gutter = str(loc.line)
        return [
            f"  {gutter} | {text}",
            f"  {' ' * len(gutter)} | {' ' * (col - 1)}{'^' * max(end - col, 1)}",
        ]


def _base(result: RunResult) -> str:
    return f" ({result.baselined} in the baseline)" if result.baselined else ""


def _files(n: int) -> str:
    return f"{n} file{'s' if n != 1 else ''}"
