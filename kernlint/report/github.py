"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` line per
finding, which the runner shows as an annotation on the file (and line, for text)."""

from __future__ import annotations

from typing import Any

from kernlint.engine import RunResult
from kernlint.finding import Finding

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(f: Finding) -> str:
    """``::error file=P,line=L,col=C,title=KL101 code-not-allocated::message``."""
    props = [f"file={_escape_property(f.path)}"]
    if f.location.line is not None:
        props.append(f"line={f.location.line}")
        props.append(f"col={f.location.column or 1}")
        if f.location.end_line is not None:
            props.append(f"endLine={f.location.end_line}")
    props.append(f"title={_escape_property(f'{f.rule} {f.name}')}")
    message = f.message + (f"\nFix: {f.fix}" if f.fix else "")
    return f"::{COMMANDS[f.severity]} {','.join(props)}::{_escape_data(message)}"


def render_github(result: RunResult, **_: Any) -> str:
    """One annotation line per finding."""
    return "".join(annotation(f) + "\n" for f in result.findings)
