"""The SARIF 2.1.0 report (OASIS Static Analysis Results Interchange Format), for code
scanning. Validated in tests against the official schema
(``../shared/schemas/sarif-schema-2.1.0.json``).

Text inputs get a ``region`` with ``startLine``/``startColumn``. Binary inputs get a
``region`` with ``byteOffset`` (the file offset), an ``address`` (SARIF §3.32: the
virtual address, with ``kind`` ``section``/``segment`` and the section name) and
``logicalLocations`` naming the section, segment or symbol.
"""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Any
from urllib.parse import quote

from kernlint import __version__
from kernlint.engine import RunResult, all_rules
from kernlint.finding import Finding

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}


def artifact_uri(path: str) -> str:
    """A relative path as a relative URI reference (``samples/a%20b.elf``); an absolute
    one as a ``file://`` URI."""
    posix = PurePath(path).as_posix()
    if posix.startswith("/"):
        return "file://" + quote(posix)
    return quote(posix)


def _rule_descriptor(rule) -> dict[str, Any]:
    doc = rule.doc.strip()
    body = doc.split("## What it does", 1)[-1].split("##", 1)[0].strip()
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": " ".join(body.split()) or rule.summary},
        "help": {"text": doc, "markdown": doc},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
    }


def _location(f: Finding) -> dict[str, Any]:
    loc = f.location
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(f.path)}}
    if loc.line is not None:
        region: dict[str, Any] = {"startLine": loc.line, "startColumn": loc.column or 1}
        if loc.end_line is not None:
            region["endLine"] = loc.end_line
            if loc.end_column is not None:
                region["endColumn"] = loc.end_column
        physical["region"] = region
    elif loc.offset is not None:
        physical["region"] = {"byteOffset": loc.offset}
    if loc.address is not None:
        address: dict[str, Any] = {"absoluteAddress": loc.address}
        if loc.section is not None:
            address.update(kind="section", name=loc.section)
        elif loc.segment is not None:
            address.update(kind="segment", name=f"segment {loc.segment}")
        physical["address"] = address
    out: dict[str, Any] = {"physicalLocation": physical}
    logical = []
    if loc.section is not None:
        logical.append({"name": loc.section, "kind": "section"})
    if loc.segment is not None:
        logical.append({"name": f"segment {loc.segment}", "kind": "segment"})
    if loc.symbol is not None:
        logical.append({"name": loc.symbol, "kind": "function"})
    if logical:
        out["logicalLocations"] = logical
    return out


def render_sarif(result: RunResult, **_: Any) -> str:
    """The report as one SARIF log with one run, indented, ending in a newline."""
    rules = all_rules()
    index = {r.id: i for i, r in enumerate(rules)}
    results = []
    for f in result.findings:
        item: dict[str, Any] = {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": LEVELS[f.severity],
            "message": {"text": f.message + (f"\nFix: {f.fix}" if f.fix else "")},
            "locations": [_location(f)],
        }
        results.append(item)
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "kernlint",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_rule_descriptor(r) for r in rules],
                    }
                },
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"
