"""Point at the culprit of each known log line in the build outputs (``--artifacts``).

Three sources, all returned as :class:`~kernlint.finding.Finding` so that reports
treat them alike:

1. the rules behind the matched lines (each pattern's rule and its ``related`` ones),
   run once with :func:`kernlint.engine.run` on the artifacts, their findings narrowed
   per line to those on the file, section and script line the log names;
2. the ``ASSERT`` a logged message comes from (KL209, :mod:`kernlint.explain.asserts`);
3. the source line a log line names (``ld:boot.ld:6``, ``bs.asm:5:``) when the file
   is among the artifacts and no finding points there; for NASM's ``TIMES value -N is
   negative`` it also says how far the code outgrew the ``times N-($-$$)`` budget.

For a message several causes print (a pattern with ``alternatives``), the candidates
whose rules find something on an image among the artifacts are the line's verdict
(:attr:`~kernlint.explain.scan.Hit.verdict`); with no image there is no verdict.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from kernlint.config import Config
from kernlint.explain.catalogue import rule_info
from kernlint.explain.scan import ASSERT_RULE, Hit
from kernlint.explain.values import to_int
from kernlint.finding import Finding, Location

#: Values naming the file a line is about, with the artifact kinds that file can be:
#: findings on artifacts of those kinds count only when they are on that file (another
#: image's RWX segment is not the culprit of this image's warning). ``output`` is
#: always the image ld wrote; ``file`` and ``script`` constrain only when a file of
#: that name is among the artifacts (a pattern may name an object ``file``).
TARGET_KEYS = {"output": ("image",), "file": ("script", "source"), "script": ("script",)}
_ALWAYS = ("output",)
#: Values naming any file: findings on such files are preferred.
FILE_KEYS = (*TARGET_KEYS, "object", "source", "defined_in")
#: Values naming sections, used to keep the findings about them.
SECTION_KEYS = ("section", "a_section", "b_section", "target_section", "output_section")

#: NASM's boot-sector padding idiom, ``times 446-($-$$) db 0``.
_TIMES = re.compile(r"\btimes\s+(?P<n>[0-9a-fx]+h?)\s*-\s*\(\s*\$\s*-\s*\$\$\s*\)", re.I)
#: What a boot sector keeps after the code, by the offset ``times`` pads to
#: (``kernlint.bootsector.layout``; research ``anchors-binary.md`` §2.8).
_PADS_TO = {
    446: "the MBR's boot code ends at 0x1be, where the partition table starts",
    440: "the MBR's boot code ends at 0x1b8, where the disk signature starts",
    510: "the 55 AA signature takes bytes 510-511",
}


@dataclass
class Pinpoint:
    """``culprits`` per hit (same order as the hits), the artifacts that could not be
    read (``unreadable``: KL001 findings), the number of files linted and those named
    but not recognised (``skipped``: path, reason)."""

    culprits: list[list[Finding]]
    unreadable: list[Finding] = field(default_factory=list)
    files: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)


def pinpoint(hits: Sequence[Hit], artifacts: Sequence[str], config: Config) -> Pinpoint:
    """The culprits of ``hits`` in ``artifacts`` (files and directories)."""
    from kernlint.classify import expand
    from kernlint.engine import UNREADABLE_RULE, all_rules, run, select_rules

    culprits: list[list[Finding]] = [[] for _ in hits]
    if not artifacts:
        return Pinpoint(culprits)
    kinds_of = {t.path: t.kind for t in expand(list(artifacts))}
    files = list(kinds_of)
    existing = {r.id for r in all_rules()}
    wanted = sorted({rule for h in hits for rule in h.rules} & existing)
    found: list[Finding] = []
    result = Pinpoint(culprits)
    if wanted:
        ran = run(list(artifacts), select_rules(wanted), config)
        found = [f for f in ran.findings if f.rule != UNREADABLE_RULE]
        result.unreadable = [f for f in ran.findings if f.rule == UNREADABLE_RULE]
        result.files, result.skipped = ran.files, ran.skipped
    for i, hit in enumerate(hits):
        mine: list[Finding] = []
        named = _named(hit.values, kinds_of)
        for rule in hit.rules:
            of_rule = [f for f in found if f.rule == rule and _about(f, named, kinds_of)]
            mine.extend(_relevant(of_rule, hit.values))
        if hit.known.pattern.alternatives and "image" in kinds_of.values():
            fired = {f.rule for f in mine}
            hit.verdict = tuple(r for r in hit.candidates if r in fired)
            keep = {*hit.verdict, *hit.known.pattern.related} - (
                set(hit.candidates) - set(hit.verdict)
            )
            mine = [f for f in mine if f.rule in keep]
        mine.extend(_assert_findings(hit))
        mine.extend(_source_findings(hit, files, mine))
        culprits[i] = sorted(set(mine), key=Finding.sort_key)
    return result


def _base(path: str) -> str:
    return os.path.basename(path.rstrip("/\\"))


def _mentions(text: str, name: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(name)}(?![\w.])", text) is not None


def _named(values: dict[str, str], kinds_of: dict[str, str]) -> dict[str, set[str]]:
    """Artifact kind -> the base names of the files of that kind the line is about."""
    present = {(kind, _base(path)) for path, kind in kinds_of.items()}
    named: dict[str, set[str]] = {}
    for key, kinds in TARGET_KEYS.items():
        if not values.get(key):
            continue
        name = _base(values[key])
        for kind in kinds:
            if key in _ALWAYS or (kind, name) in present:
                named.setdefault(kind, set()).add(name)
    return named


def _about(f: Finding, named: dict[str, set[str]], kinds_of: dict[str, str]) -> bool:
    """False when the line names a file of the kind ``f`` is on, and it is another."""
    names = named.get(kinds_of.get(f.path, ""))
    return names is None or _base(f.path) in names


def _relevant(findings: list[Finding], values: dict[str, str]) -> list[Finding]:
    """``findings`` narrowed to those on a file the line names, then to those about a
    section it names, then to those about the section+offset it names (a relocation,
    ``(.boot+0x1)``), then to those at the script line it names; a step that would
    leave none is skipped."""
    names = {_base(values[k]) for k in FILE_KEYS if values.get(k)}
    sections = {values[k] for k in SECTION_KEYS if values.get(k)}
    place = None
    offset = to_int(values.get("offset") or "", hex_default=True)
    if values.get("section") and offset is not None:
        place = f"({values['section']}+{offset:#x})"
    chosen = findings
    for keep in (
        lambda f: _base(f.path) in names,
        lambda f: f.location.section in sections or any(_mentions(f.message, s) for s in sections),
        lambda f: place is not None and place in f.message,
        lambda f: str(f.location.line) == values.get("line") and _base(f.path) in names,
    ):
        narrowed = [f for f in chosen if keep(f)]
        if narrowed:
            chosen = narrowed
    return chosen


def _assert_findings(hit: Hit) -> list[Finding]:
    if not hit.asserts:
        return []
    name, severity, _, _ = rule_info(ASSERT_RULE)
    return [
        Finding(
            f"`{a.text}` is false for this link: ld printed its message"
            f' "{a.message}" (log line {hit.line.number})',
            Location(line=a.line, column=a.column, end_line=a.end_line, end_column=a.end_column),
            fix="read the condition: shrink or move what broke the limit, or correct it",
            rule=ASSERT_RULE,
            name=name,
            severity=severity,
            path=a.path,
        )
        for a in hit.asserts
    ]


def _source_findings(hit: Hit, files: list[str], others: list[Finding]) -> list[Finding]:
    """The line of an artifact that the log line names (``file``:``line`` of its
    prefix), unless a rule's finding is already on that file."""
    named, number = hit.values.get("file"), to_int(hit.values.get("line", ""))
    if not named or not number:
        return []
    out = []
    for path in files:
        if not (path == named or path.endswith(os.sep + named) or _base(path) == _base(named)):
            continue
        if any(f.path == path for f in others):
            continue  # a rule's finding on the file says more
        text = read_line(path, number)
        if text is None:
            continue
        name, severity, _, _ = rule_info(hit.known.rule)
        start = len(text) - len(text.lstrip()) + 1
        base = Finding(
            f"the line the log names: `{text.strip()}`",
            Location(line=number, column=start, end_line=number, end_column=len(text) + 1),
            rule=hit.known.rule,
            name=name,
            severity=severity,
            path=path,
        )
        out.append(_times(base, text, hit.values) or base)
    return out


def _times(base: Finding, text: str, values: dict[str, str]) -> Finding | None:
    """For NASM's negative TIMES: how far the code outgrew ``times N-($-$$)``."""
    m = _TIMES.search(text)
    over = to_int(values.get("over", ""))
    if not m or over is None:
        return None
    raw = m["n"].lower()
    n = int(raw[:-1], 16) if raw.endswith("h") else to_int(raw)
    if n is None:
        return None
    why = _PADS_TO.get(n, f"`times` pads to offset {n}")
    return replace(
        base,
        message=f"`{text.strip()}` pads to {n} bytes, but the code and data before it take"
        f" {n + over}: {over} bytes too many ({why})",
        fix="shrink the boot code (shorter messages, fewer instructions) or move work to a"
        " second stage loaded from disk",
    )


def read_line(path: str, number: int) -> str | None:
    """Line ``number`` (1-based) of the text file ``path``, without its newline; None
    when the file cannot be read or is shorter."""
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for i, text in enumerate(f, 1):
                if i == number:
                    return text.rstrip("\n")
    except OSError:
        return None
    return None
