"""Baselines: adopt kernlint on an existing project by recording today's findings and
failing only on new ones (``--write-baseline FILE``, then ``--baseline FILE``).

A finding is keyed by rule, path and a *stable* location: the section name, symbol or
segment index for binaries, and for text the message with numbers blanked — never a
raw address or a line number, which move with every edit. Each key has a count, so
that a third copy of a mistake recorded twice is still new.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import PurePath

from kernlint.errors import UsageError
from kernlint.finding import Finding

BASELINE_VERSION = 1
_NUMBERS = re.compile(r"0x[0-9a-fA-F]+|\d+")


def finding_key(f: Finding) -> tuple[str, str, str]:
    """(rule, path in POSIX form, stable location)."""
    loc = f.location
    if loc.section is not None:
        where = f"section:{loc.section}"
    elif loc.symbol is not None:
        where = f"symbol:{loc.symbol}"
    elif loc.segment is not None:
        where = f"segment:{loc.segment}"
    else:
        where = "message:" + _NUMBERS.sub("#", f.message)
    return (f.rule, PurePath(f.path).as_posix(), where)


def write_baseline(findings: list[Finding], path: str) -> None:
    """Record ``findings`` in ``path`` (JSON, sorted, one entry per key with a count)."""
    counts = Counter(finding_key(f) for f in findings)
    doc = {
        "version": BASELINE_VERSION,
        "findings": [
            {"rule": r, "path": p, "where": w, "count": n}
            for (r, p, w), n in sorted(counts.items())
        ],
    }
    with open(path, "w", encoding="utf-8") as out:
        out.write(json.dumps(doc, indent=2) + "\n")


def read_baseline(path: str) -> Counter:
    """The key counts recorded in ``path``. Raises UsageError when it is unreadable or
    not a kernlint baseline."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        if doc.get("version") != BASELINE_VERSION:
            raise ValueError(f"version {doc.get('version')!r}, expected {BASELINE_VERSION}")
        return Counter(
            {(e["rule"], e["path"], e["where"]): int(e["count"]) for e in doc["findings"]}
        )
    except OSError as exc:
        raise UsageError(f"{path}: cannot read baseline: {exc.strerror or exc}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UsageError(f"{path}: not a kernlint baseline: {exc}") from None


def new_findings(findings: list[Finding], baseline: Counter) -> list[Finding]:
    """``findings`` less those the baseline accounts for (first come, first matched)."""
    left = Counter(baseline)
    out = []
    for f in findings:
        key = finding_key(f)
        if left[key] > 0:
            left[key] -= 1
        else:
            out.append(f)
    return out
