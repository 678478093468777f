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
#: KL217 linker-script-template: issue #13, item 1 (a template's info note).
#: KL414 multiboot-load-address-beyond-ram: issue #12, item 6 (a higher-half kernel
#: without AT(), loaded where a PC has no RAM).
#: KL701-KL712, the UEFI PE/COFF family: issue #15 (rows requested in its report).
BEYOND_CATALOGUE: set[str] = {"KL217", "KL414"} | {f"KL7{n:02d}" for n in range(1, 13)}


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
    with pytest.raises(UsageError, match="unknown rule, prefix or group: 'pedantik'"):
        select_rules(["KL", "pedantik"])


def test_known_groups_are_selectors_even_when_empty():
    """`pedantic` is a group whether or not a rule is in it yet, so a configuration
    that names it stays valid; `default` is the rules that run unless told otherwise."""
    assert "KL001" in ids(select_rules(["pedantic"]))
    assert ids(select_rules(["default"])) == ids(select_rules())
    assert all(r.group == "default" for r in select_rules())


def test_opt_in_rules_run_only_when_selected_by_id_name_or_group(pedantic_rule):
    from kernlint import engine

    assert pedantic_rule.group == "pedantic" and pedantic_rule.opt_in
    everything = ids(engine.all_rules())  # with the probe
    pedantic = [r.id for r in engine.all_rules() if r.group == "pedantic"]
    assert "KL299" in pedantic and "KL201" not in pedantic
    assert not set(ids(select_rules())) & set(pedantic)  # the default set
    assert not set(ids(select_rules(["KL2"]))) & set(pedantic)  # an id prefix alone: no
    assert not set(ids(select_rules(["KL29", "KL"]))) & set(pedantic)
    assert "KL201" in ids(select_rules(["KL2"]))
    assert ids(select_rules(["KL299"])) == ["KL001", "KL299"]
    assert ids(select_rules(["pedantic-probe"])) == ["KL001", "KL299"]
    assert ids(select_rules(["pedantic"])) == ["KL001", *pedantic]
    assert ids(select_rules(["Pedantic"])) == ["KL001", *pedantic]
    both = ids(select_rules(["KL2,pedantic"]))
    assert set(pedantic) <= set(both) and "KL201" in both and "KL101" not in both
    assert ids(select_rules(["KL", "pedantic"])) == everything
    assert ids(select_rules(["default", "pedantic"])) == everything


def test_ignore_leaves_out_opt_in_rules_by_prefix_name_or_group(pedantic_rule):
    assert ids(select_rules(["KL299"], ["KL2"])) == ["KL001"]  # a prefix ignores it
    assert ids(select_rules(["KL299"], ["pedantic"])) == ["KL001"]
    chosen = ids(select_rules(["KL", "pedantic"], ["pedantic-probe"]))
    assert "KL299" not in chosen and "KL201" in chosen


def test_per_path_ignores_name_groups(pedantic_rule, tmp_path):
    from kernlint.config import Config
    from kernlint.engine import run

    (tmp_path / "vendor").mkdir()
    for name in ("vendor/link.ld", "link.ld"):
        (tmp_path / name).write_text("SECTIONS { .text : { *(.text) } }\n")
    config = Config(root=str(tmp_path), per_path_ignores=(("vendor/**", ("pedantic",)),))
    paths = [str(tmp_path / "vendor" / "link.ld"), str(tmp_path / "link.ld")]
    found = run(paths, select_rules(["KL299"]), config).findings
    assert [(f.rule, f.path) for f in found] == [("KL299", str(tmp_path / "link.ld"))]


def test_a_rule_group_must_be_a_known_one(tmp_path, monkeypatch):
    import importlib

    from kernlint.engine import _load
    from tests.conftest import PEDANTIC_RULE

    (tmp_path / "klx_nursery.py").write_text(
        PEDANTIC_RULE.replace('GROUP = "pedantic"', 'GROUP = "nursery"')
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(RuntimeError, match="bad GROUP 'nursery'"):
        _load(importlib.import_module("klx_nursery"))


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
