"""The JSON report, schema version 1 (documented in ``docs/json-output.md``, machine-
checkable as ``kernlint/report/findings-v1.schema.json``)."""

from __future__ import annotations

import json
from typing import Any

from kernlint import __version__
from kernlint.engine import RunResult
from kernlint.finding import Finding

SCHEMA_VERSION = 1


def finding_dict(f: Finding) -> dict[str, Any]:
    """One finding as the schema's object; ``fix`` only when the rule gives one."""
    out: dict[str, Any] = {
        "rule": f.rule,
        "name": f.name,
        "severity": f.severity,
        "message": f.message,
        "path": f.path,
        "location": f.location.as_dict(),
    }
    if f.fix:
        out["fix"] = f.fix
    return out


def render_json(result: RunResult, **_: Any) -> str:
    """The report as indented JSON text ending in a newline."""
    counts = result.counts()
    doc = {
        "version": SCHEMA_VERSION,
        "tool": {"name": "kernlint", "version": __version__},
        "findings": [finding_dict(f) for f in result.findings],
        "summary": {
            "files": result.files,
            "findings": len(result.findings),
            "errors": counts["error"],
            "warnings": counts["warning"],
            "info": counts["info"],
            "baselined": result.baselined,
            "skipped": [{"path": p, "reason": r} for p, r in result.skipped],
        },
    }
    return json.dumps(doc, indent=2) + "\n"
