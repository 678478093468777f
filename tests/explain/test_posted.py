"""``kernlint explain`` on error lines people posted in public issue threads and forum
threads (``data/posted.tsv``: the line, its address, the cause the thread found, the
rule that covers that cause or ``-`` when none does, and for a message several causes
print, a committed sample image that reproduces the thread's cause).

The figure (issue #16): at least 95 % of the lines whose cause a rule covers map to
that rule, and no line whose cause no rule covers maps to a rule. A line *maps to* a
rule when explain names that rule alone; a message with alternatives maps to the rule
the image shows, and without an image to none (it lists the candidates instead).
"""

from __future__ import annotations

import csv
import io
import re

import pytest

from kernlint.explain import explain_log
from kernlint.explain.prefixes import split
from tests.conftest import ROOT

DATA = ROOT / "tests" / "explain" / "data" / "posted.tsv"
ROWS = list(csv.DictReader(DATA.open(encoding="utf-8"), delimiter="\t", quoting=csv.QUOTE_NONE))
#: Tools whose output reaches people through a serial console or a screen, where a
#: log is often pasted flattened onto one line.
CONSOLE_TOOLS = {None, "qemu", "grub", "seabios", "limine", "bootloader"}


def explained(text: str, artifacts: tuple[str, ...] = ()):
    """The hits of ``text`` (one or more log lines), pinpointed in ``artifacts``."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    return explain_log(io.BytesIO(data), "-", [str(ROOT / a) for a in artifacts]).scan.hits


def mapping(hits) -> tuple[set[str], set[tuple[str, ...]]]:
    """(the rules the lines map to, the candidate lists of undecided lines)."""
    rules: set[str] = set()
    undecided: set[tuple[str, ...]] = set()
    for hit in hits:
        if hit.decided is None:
            undecided.add(hit.candidates)
        else:
            rules.update(hit.decided)
    return rules, undecided


def _artifacts(row) -> tuple[str, ...]:
    return (row["artifact"],) if row["artifact"] else ()


def test_the_collection_is_what_the_issue_asks_for():
    assert len(ROWS) >= 80
    for row in ROWS:
        assert row["line"] == row["line"].strip() and len(row["line"]) < 400, row
        assert re.match(r"https?://\S+$", row["source"]), row
        assert row["cause"], row
        assert re.fullmatch(r"KL\d{3}|-|\?", row["expected"]), row
        if row["artifact"]:
            assert (ROOT / row["artifact"]).is_file(), row["artifact"]
    with_cause = [r for r in ROWS if r["expected"] != "?"]
    assert len(with_cause) >= 78
    assert sum(r["expected"] == "-" for r in ROWS) >= 10  # the negative side is tested too


def test_the_figure_on_posted_lines():
    covered = [r for r in ROWS if re.fullmatch(r"KL\d{3}", r["expected"])]
    right, misses = 0, []
    for row in covered:
        rules, _ = mapping(explained(row["line"] + "\n", _artifacts(row)))
        if rules == {row["expected"]}:
            right += 1
        else:
            misses.append((row["expected"], sorted(rules), row["line"][:80]))
    assert right / len(covered) >= 0.95, misses
    wrong = []
    for row in (r for r in ROWS if r["expected"] == "-"):
        rules, _ = mapping(explained(row["line"] + "\n", _artifacts(row)))
        if rules:
            wrong.append((sorted(rules), row["source"], row["line"][:80]))
    assert wrong == []


@pytest.mark.parametrize("row", [r for r in ROWS if r["artifact"]], ids=lambda r: r["source"])
def test_without_the_image_an_ambiguous_line_lists_the_threads_rule(row):
    """Without ``--artifacts`` a message several causes print names no rule alone, and
    its candidates include the rule of the thread's cause."""
    rules, undecided = mapping(explained(row["line"] + "\n"))
    assert rules == set()
    (candidates,) = undecided
    assert row["expected"] in candidates


@pytest.mark.parametrize(
    "row", [r for r in ROWS if r["expected"] == "?"], ids=lambda r: r["source"]
)
def test_a_line_whose_cause_the_thread_left_open_lists_the_candidates(row):
    rules, undecided = mapping(explained(row["line"] + "\n"))
    assert rules == set() and undecided == {("KL411", "KL403", "KL404", "KL408")}


def _variants(line: str) -> dict[str, bytes]:
    """``line`` as people paste it: with ANSI colours, CRLF, a timestamp, inside
    cargo's note block, after a make line, and (console output) flattened behind an
    earlier message."""
    out = {
        "ansi": f"\x1b[1m\x1b[31m{line}\x1b[0m\n".encode(),
        "crlf": f"{line}\r\n".encode(),
        "dmesg": f"[   12.345678] {line}\n".encode(),
        "ci": f"2024-05-01T12:00:00.1234567Z {line}\n".encode(),
        "cargo": (
            "error: linking with `rust-lld` failed: exit status: 1\n  |\n"
            f"  = note: {line}\n          \n\n"
        ).encode(),
        "make": (
            f"make[1]: Entering directory '/src/kernel'\n{line}\n"
            "make: *** [Makefile:30: build/kernel.elf] Error 1\n"
        ).encode(),
    }
    if line.startswith("= note: "):
        del out["cargo"]
    if split(1, line).tool in CONSOLE_TOOLS:
        out["flattened"] = f"Booting from ROM... Booting 'os' {line}\n".encode()
    return out


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r['expected']}:{r['line'][:40]}")
def test_pasted_context_does_not_change_the_mapping(row):
    want = mapping(explained(row["line"] + "\n", _artifacts(row)))
    for name, text in _variants(row["line"]).items():
        assert mapping(explained(text, _artifacts(row))) == want, name
