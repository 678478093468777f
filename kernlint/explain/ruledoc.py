"""``kernlint explain RULE``: a rule's documentation, for a terminal or as JSON.

The documentation is the rule module's docstring, in Markdown with the headings
*What it does*, *Why is this bad?*, *Example*, *Use instead*, *References* (ruff's
template, STYLE.md). Plain output is the Markdown itself; with colour, headings are
bold, fenced code is cyan and its fences are dropped, inline `code` is cyan. The
References section ends with the log messages the rule explains (its ``LOG_PATTERNS``
samples) and those it is one possible cause of (other rules' patterns that name it
among their ``alternatives``), so the template's headings stay the five above.
"""

from __future__ import annotations

import json
import re
from typing import Any

import click

_INLINE_CODE = re.compile(r"`([^`\n]+)`")


def render_rule(rule, *, color: bool = False) -> str:
    """``KL101 code-not-allocated (error)``, a blank line, the documentation, and the
    messages it explains; ANSI styles when ``color``. An opt-in rule's title names its
    group (``KL205 ... (warning, pedantic)``), and a line under it says how to run it."""
    title = f"{rule.id} {rule.name} ({rule.severity})"
    body = rule.doc.strip()
    if rule.opt_in:
        title = f"{rule.id} {rule.name} ({rule.severity}, {rule.group})"
        body = (
            f"Opt-in: in the `{rule.group}` group, which runs only when selected by id"
            f" (`--select {rule.id}`), by name or by group (`--select {rule.group}`);"
            f" an id prefix such as `{rule.id[:3]}` alone does not select it.\n\n{body}"
        )
    body += _messages(rule, body)
    if not color:
        return f"{title}\n\n{body}\n"
    out = [click.style(title, bold=True), ""]
    fenced = False
    for line in body.splitlines():
        if line.startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            out.append(click.style(f"    {line}", fg="cyan"))
        elif line.startswith("## "):
            out.append(click.style(line[3:], bold=True, underline=True))
        else:
            out.append(_INLINE_CODE.sub(lambda m: click.style(m[1], fg="cyan"), line))
    return "\n".join(out) + "\n"


def messages(rule) -> tuple[list[str], list[str]]:
    """(the samples of the rule's own log patterns, the samples of other rules'
    patterns that name it among their ``alternatives``)."""
    from kernlint.engine import all_rules

    own = [p.sample for p in getattr(rule.module, "LOG_PATTERNS", ())]
    shared = [
        p.sample
        for other in all_rules()
        if other.id != rule.id
        for p in getattr(other.module, "LOG_PATTERNS", ())
        if rule.id in p.alternatives
    ]
    return own, shared


def _split(rule) -> tuple[list[str], list[str]]:
    """(messages that name this rule alone, messages it is one possible cause of)."""
    patterns = getattr(rule.module, "LOG_PATTERNS", ())
    _, shared = messages(rule)
    alone = [p.sample for p in patterns if not p.alternatives]
    return alone, [p.sample for p in patterns if p.alternatives] + shared


def _messages(rule, body: str) -> str:
    """The References lines that list the log messages (Markdown), with a References
    heading when the documentation has none."""
    own, shared = _split(rule)
    if not own and not shared:
        return ""
    lines = [] if "\n## References" in body else ["", "## References"]
    if own:
        lines.append("- Log messages `kernlint explain` names this rule for:")
        lines.extend(f"  - `{s}`" for s in own)
    if shared:
        lines.append(
            "- Log messages this rule is one possible cause of (`kernlint explain` tells"
            " which from `--artifacts`):"
        )
        lines.extend(f"  - `{s}`" for s in shared)
    return "\n" + "\n".join(lines)


def rule_json(rule) -> str:
    """The rule as in ``kernlint rules --format json``, with its ``doc`` and the
    ``log_messages`` (samples) it explains, and ``shared_log_messages``: those it is one
    possible cause of."""
    own, shared = messages(rule)
    doc: dict[str, Any] = {
        "id": rule.id,
        "name": rule.name,
        "severity": rule.severity,
        "summary": rule.summary,
        "applies_to": sorted(rule.applies_to),
        "group": rule.group,
        "doc": rule.doc.strip(),
        "log_messages": own,
        "shared_log_messages": shared,
    }
    return json.dumps(doc, indent=2) + "\n"
