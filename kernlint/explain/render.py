"""``kernlint explain LOG`` reports: text for a terminal, and JSON in the finding schema
of ``kernlint check`` (``kernlint/report/findings-v1.schema.json``, with the optional
``matched``, ``checked`` and ``culprits`` fields; ``docs/json-output.md``)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from kernlint import __version__
from kernlint.explain.catalogue import rule_info
from kernlint.explain.pinpoint import read_line
from kernlint.finding import SEVERITIES, Finding
from kernlint.report.text import finding_line

if TYPE_CHECKING:
    from kernlint.explain import Explanation

#: Culprits shown per log line in text (JSON lists all).
MAX_CULPRITS = 6
_SEVERITY_COLOUR = {"error": "red", "warning": "yellow", "info": "blue"}
TOOL_NAMES = (
    "GNU ld, ld.lld/rust-lld, GRUB, QEMU, NASM, Limine, SeaBIOS and the rust-osdev bootloader"
)


def render_text(explanation: Explanation, *, color: bool = False) -> str:
    """The report: per known line, ``LOG:N: line``, the rule, the explanation and the
    culprits in the artifacts; then a summary line. ``color`` adds ANSI styles."""

    def style(text: str, **kw: Any) -> str:
        return click.style(text, **kw) if color else text

    out: list[str] = []
    seen: dict[str, int] = {}
    src = explanation.source
    hits, culprits = explanation.scan.hits, explanation.pinpoint.culprits
    for hit, found in zip(hits, culprits, strict=True):
        head = style(f"{src}:{hit.line.number}:", bold=True)
        first = seen.setdefault(hit.line.text, hit.line.number)
        if first != hit.line.number:
            out.append(f"{head} {hit.line.text}")
            out.append(style(f"  (same message as line {first})", dim=True))
            continue
        out.append(f"{head} {hit.line.text}")
        out.extend(style(f"    >>> {d.body}", dim=True) for d in hit.details)
        k = hit.known
        decided = hit.decided
        if decided is not None and len(decided) == 1 and decided[0] == k.rule:
            rule = style(f"rule {k.rule} {k.name}", bold=True)
            sev = style(k.severity, fg=_SEVERITY_COLOUR.get(k.severity))
            status = "" if k.checked else style(" (not yet checked by kernlint)", dim=True)
            out.append(f"  {rule}{status} [{sev}]")
        else:
            out.extend(_candidates_lines(hit, style))
        out.append(f"  {hit.explanation}")
        if found:
            out.append("  in the artifacts:")
            for f in found[:MAX_CULPRITS]:
                out.extend(_culprit(f, style))
            if len(found) > MAX_CULPRITS:
                more = len(found) - MAX_CULPRITS
                out.append(f"    ... and {more} more (--format json lists them all)")
        out.append("")
    out.append(_summary(explanation))
    return "".join(line + "\n" for line in out)


def _rule_names(rules: tuple[str, ...]) -> str:
    names = [f"{r} {rule_info(r)[0]}" for r in rules]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _candidates_lines(hit, style) -> list[str]:
    """The rule line of a message several causes print: the rule the artifacts show,
    or the candidates and what would tell them apart."""
    decided = hit.decided
    if decided is None:
        head = style(f"rule {_rule_names(hit.candidates)}", bold=True)
        return [
            f"  {head}",
            style(
                "  (this message has several causes; pass the image with --artifacts"
                " to tell which)",
                dim=True,
            ),
        ]
    if not decided:
        return [
            "  "
            + style(f"none of {_rule_names(hit.candidates)}", bold=True)
            + " finds its cause in the artifacts: no kernlint rule checks it, or it lies"
            " in a file not given"
        ]
    lines = []
    for r in decided:
        name, severity, _, _ = rule_info(r)
        sev = style(severity, fg=_SEVERITY_COLOUR.get(severity))
        lines.append(f"  {style(f'rule {r} {name}', bold=True)} [{sev}] (shown by the artifacts)")
    return lines


def _culprit(f: Finding, style) -> list[str]:
    lines = ["    " + style(finding_line(f), fg="cyan")]
    loc = f.location
    if loc.line is not None:
        text = read_line(f.path, loc.line)
        if text is not None:
            text = text.expandtabs(1)
            col = max(loc.column or 1, 1)
            end = loc.end_column if loc.end_line == loc.line and loc.end_column else col + 1
            gutter = str(loc.line)
            lines.append(f"      {gutter} | {text}")
            lines.append(f"      {' ' * len(gutter)} | {' ' * (col - 1)}{'^' * max(end - col, 1)}")
    if f.fix:
        lines.append("      " + style("fix:", fg="green") + f" {f.fix}")
    return lines


def _summary(explanation: Explanation) -> str:
    scan = explanation.scan
    src = explanation.source
    lines = f"{scan.lines} line{'s' if scan.lines != 1 else ''}"
    if not scan.hits:
        text = (
            f"Nothing known in {src} ({lines}): kernlint recognises messages of {TOOL_NAMES}"
            " that a rule explains (`kernlint rules`)."
        )
        if scan.unknown_linker:
            text += (
                f" {scan.unknown_linker} linker line(s) are not known; if they are"
                " messages of ASSERTs in your linker script, pass the script with"
                " --artifacts to trace them."
            )
        return text
    rules = sorted({r for h in scan.hits for r in _reported(h)})
    waiting = sorted({h.known.rule for h in scan.hits if not h.known.checked})
    text = f"Explained {len(scan.hits)} of {lines} in {src}: {', '.join(rules) or 'no rule'}"
    if waiting:
        text += f" ({', '.join(waiting)} not yet checked by kernlint)"
    return text + "."


def _reported(hit) -> tuple[str, ...]:
    """The rules a line is reported under: its decided rules, or every candidate
    while undecided (none when the artifacts show none of them)."""
    return hit.candidates if hit.decided is None else hit.decided


def render_json(explanation: Explanation) -> str:
    """The report as the ``check`` JSON document: one finding per known line, at the
    log's path and line, with the ``matched`` text, ``checked`` and ``culprits``. A
    message several causes print is one finding per candidate rule while undecided
    (each message says so), one per rule the artifacts show, none when they show
    none."""
    from kernlint.report.json import SCHEMA_VERSION, finding_dict

    findings = []
    for hit, found in zip(explanation.scan.hits, explanation.pinpoint.culprits, strict=True):
        k = hit.known
        matched = "\n".join([hit.line.text, *(d.text for d in hit.details)])
        message = hit.explanation
        if hit.decided is None:
            message = (
                f"One of {len(hit.candidates)} causes of this message"
                f" ({', '.join(hit.candidates)}); pass the image with --artifacts to tell"
                f" which. {message}"
            )
        for rule in _reported(hit):
            name, severity, _, checked = (
                (k.name, k.severity, "", k.checked) if rule == k.rule else rule_info(rule)
            )
            item: dict[str, Any] = {
                "rule": rule,
                "name": name,
                "severity": severity,
                "message": message,
                "path": explanation.source,
                "location": {"line": hit.line.number},
                "matched": matched,
                "checked": checked,
            }
            if found:
                item["culprits"] = [finding_dict(f) for f in found]
            findings.append(item)
    counts = {s: sum(1 for f in findings if f["severity"] == s) for s in SEVERITIES}
    doc = {
        "version": SCHEMA_VERSION,
        "tool": {"name": "kernlint", "version": __version__},
        "findings": findings,
        "summary": {
            "files": 1 + explanation.pinpoint.files,
            "findings": len(findings),
            "errors": counts["error"],
            "warnings": counts["warning"],
            "info": counts["info"],
            "baselined": 0,
            "skipped": [{"path": p, "reason": r} for p, r in explanation.pinpoint.skipped],
        },
    }
    return json.dumps(doc, indent=2) + "\n"
