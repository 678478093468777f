"""The rule engine: discovery, metadata, selection, ordering."""

from __future__ import annotations

import re

import pytest

from kernlint.engine import all_rules, find_rule, select_rules
from kernlint.errors import UsageError
from kernlint.finding import Finding, Location

DOC_HEADINGS = [
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## Use instead",
    "## References",
]


def test_rules_are_discovered_with_their_parts():
    rules = all_rules()
    assert [r.id for r in rules] == sorted(r.id for r in rules)
    assert {"KL001", "KL101", "KL109"} <= {r.id for r in rules}
    for r in rules:
        assert re.fullmatch(r"KL\d{3}", r.id)
        assert r.module.__name__ == f"kernlint.rules.{r.id.lower()}_{r.name.replace('-', '_')}"
        assert r.severity in ("error", "warning", "info")
        assert r.applies_to


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: r.id)
def test_rule_documentation_follows_the_template(rule):
    doc = rule.doc
    positions = [doc.find(h) for h in DOC_HEADINGS]
    assert all(p > 0 for p in positions), [
        h for h, p in zip(DOC_HEADINGS, positions, strict=True) if p < 0
    ]
    assert positions == sorted(positions), "headings out of order"
    assert rule.summary and not rule.summary.startswith("#")
    for heading, nxt in zip(DOC_HEADINGS, [*DOC_HEADINGS[1:], None], strict=True):
        body = doc[doc.find(heading) + len(heading) : doc.find(nxt) if nxt else None]
        assert len(body.strip()) > 20, f"{heading} is empty"


def test_rules_match_the_catalogue_names():
    """Ids and names are those of ../shared/RULES.md (checked when it is beside us)."""
    from pathlib import Path

    catalogue = Path(__file__).resolve().parents[2] / "shared" / "RULES.md"
    if not catalogue.is_file():
        pytest.skip("../shared/RULES.md is not beside the project")
    rows = dict(re.findall(r"^\| (KL\d{3}) \| ([a-z0-9-]+) \|", catalogue.read_text(), re.M))
    sev = dict(re.findall(r"^\| (KL\d{3}) \| [a-z0-9-]+ \| (\w+) \|", catalogue.read_text(), re.M))
    for r in all_rules():
        if r.id in BEYOND_CATALOGUE:
            assert r.id not in rows, f"{r.id} is in the catalogue now: drop it from the list"
            continue
        assert rows.get(r.id) == r.name, r.id
        assert sev.get(r.id) == r.severity, r.id


#: Rules an issue asked for that RULES.md does not list yet (a row is requested), each
#: with the issue that asked for it.
#: KL003 and KL216 were added to RULES.md after the 2026-12-05 stop.
BEYOND_CATALOGUE: set[str] = set()


def ids(rules):
    return [r.id for r in rules]


def test_select_by_id_name_and_prefix():
    assert ids(select_rules(["KL105"])) == ["KL001", "KL105"]
    assert ids(select_rules(["rwx-segment"])) == ["KL001", "KL105"]
    assert set(ids(select_rules(["KL10"]))) >= {"KL101", "KL109"}
    assert ids(select_rules(["kl101,KL102"])) == ["KL001", "KL101", "KL102"]
    assert "KL105" not in ids(select_rules([], ["KL105"]))
    assert ids(select_rules(["KL1"], ["KL10"])) == ["KL001"]


def test_kl001_cannot_be_ignored():
    assert "KL001" in ids(select_rules([], ["KL0"]))


def test_unknown_selector_is_a_usage_error():
    with pytest.raises(UsageError, match="KL999"):
        select_rules(["KL999"])
    with pytest.raises(UsageError, match="no-such-rule"):
        select_rules([], ["no-such-rule"])


def test_find_rule():
    assert find_rule("kl101").name == "code-not-allocated"
    assert find_rule("code-not-allocated").id == "KL101"
    assert find_rule("nothing") is None


def test_sort_key_orders_by_path_then_position_then_rule():
    a = Finding("m", Location(address=0x2000), rule="KL105", path="a")
    b = Finding("m", Location(address=0x1000), rule="KL107", path="a")
    c = Finding("m", Location(line=3, column=1), rule="KL201", path="a")
    d = Finding("m", Location(), rule="KL001", path="0")
    assert sorted([a, b, c, d], key=Finding.sort_key) == [d, b, a, c]
