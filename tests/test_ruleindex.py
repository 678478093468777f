"""The rule index (kernlint/ruleindex.py) gives what a full discovery of the rule modules
gives, and follows the rules folder: a rule added, edited or removed is picked up by
the next run, with nothing listed by hand."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import textwrap

import pytest

from kernlint import ruleindex
from kernlint.engine import all_rules, discover_rules

#: Prints the rules of a fresh process as `kernlint check` gets them, where they came
#: from, and which rule modules that imported.
PROBE = """
import json, sys
from kernlint import ruleindex
from kernlint.engine import all_rules
rules = all_rules()
imported = sorted(m for m in sys.modules if m.startswith("kernlint.rules."))
print(json.dumps({
    "source": ruleindex.last_source,
    "imported": imported,
    "rules": [[r.id, r.name, r.severity, sorted(r.applies_to), r.module_name, r.after_others,
               r.group] for r in rules],
}))
"""


def _metadata(rules) -> list:
    return [
        [r.id, r.name, r.severity, sorted(r.applies_to), r.module_name, r.after_others, r.group]
        for r in rules
    ]


def _probe() -> dict:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out)


def test_the_index_equals_a_full_discovery():
    """Run after run, the metadata comes from the index, imports no rule module, and
    equals what importing every rule module finds (retried when another process edits
    a rule in between, which rightly makes the run discover again)."""
    for _ in range(5):
        _probe()  # writes the index if it is stale
        probe = _probe()
        if probe["source"] == "index":
            break
    assert probe["source"] == "index"
    assert probe["imported"] == []
    assert probe["rules"] == _metadata(discover_rules())
    assert _metadata(all_rules()) == _metadata(discover_rules())


RULE = '''\
"""Rule {id}.

## What it does
x
"""

from kernlint.context import {kind}

ID = "{id}"
NAME = "{name}"
SEVERITY = "{severity}"
APPLIES_TO = frozenset({{{kind}}})
{extra}

def check(ctx):
    return iter(())
'''


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A rules package of our own (``klx_rules``), and a temporary directory of our own
    for its index. Modules are never cached as bytecode here: a same-size edit within
    a second would otherwise read a stale ``.pyc`` (Python's own limitation, which the
    index does not share)."""
    folder = tmp_path / "klx_rules"
    folder.mkdir()
    (folder / "__init__.py").write_text('"""Test rules."""\n')
    temp = tmp_path / "tmp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    yield folder
    for name in [m for m in sys.modules if m == "klx_rules" or m.startswith("klx_rules.")]:
        del sys.modules[name]


def _rule(folder, module, extra="", **fields):
    (folder / f"{module}.py").write_text(RULE.format(extra=extra, **fields))


def _rules(folder) -> tuple[list, str | None]:
    """(the metadata of klx_rules as a fresh run gets it, where it came from)."""
    for name in [m for m in sys.modules if m == "klx_rules" or m.startswith("klx_rules.")]:
        del sys.modules[name]
    importlib.invalidate_caches()
    found = ruleindex.rules("klx_rules", [str(folder)], discover_rules)
    return _metadata(found), ruleindex.last_source


def test_the_index_follows_rules_added_edited_and_removed(package):
    _rule(package, "kl901_first", id="KL901", name="first", severity="error", kind="SCRIPT")
    first, source = _rules(package)
    assert source == "discovery"
    assert first == [
        ["KL901", "first", "error", ["script"], "klx_rules.kl901_first", False, "default"]
    ]
    assert _rules(package) == (first, "index")
    index = ruleindex.index_path([str(package)])
    assert index is not None and os.stat(index).st_mode & 0o777 == 0o600

    # A rule added later is found, without being listed anywhere.
    _rule(package, "kl902_second", id="KL902", name="second", severity="info", kind="SOURCE")
    added, source = _rules(package)
    assert source == "discovery"
    assert [r[0] for r in added] == ["KL901", "KL902"]
    assert _rules(package) == (added, "index")

    # An edit that keeps the file's size (SCRIPT -> SOURCE) is seen too.
    _rule(package, "kl901_first", id="KL901", name="first", severity="error", kind="SOURCE")
    edited, source = _rules(package)
    assert source == "discovery"
    assert edited[0][3] == ["source"]
    assert edited == _metadata(discover_rules("klx_rules"))

    (package / "kl902_second.py").unlink()
    removed, _ = _rules(package)
    assert [r[0] for r in removed] == ["KL901"]


def test_a_damaged_or_foreign_index_is_not_used(package):
    _rule(package, "kl901_first", id="KL901", name="first", severity="error", kind="SCRIPT")
    expected, _ = _rules(package)
    index = ruleindex.index_path([str(package)])
    with open(index, "r+") as f:
        f.truncate(20)
    assert _rules(package) == (expected, "discovery")  # damaged: discovered again ...
    assert _rules(package) == (expected, "index")  # ... and rewritten
    os.chmod(index, 0o666)
    assert _rules(package) == (expected, "discovery"), "a file others can write is not read"
    assert os.stat(index).st_mode & 0o777 == 0o600  # rewritten as ours
    with open(index) as f:
        data = json.load(f)
    data["rules"][0][4] = "elsewhere.kl901_first"  # a module outside the package
    with open(index, "w") as f:
        json.dump(data, f)
    assert _rules(package) == (expected, "discovery")


def test_a_broken_rule_module_is_reported_on_every_run(package):
    (package / "kl903_broken.py").write_text(
        textwrap.dedent('''\
            """No ID."""
            NAME = "broken"
            ''')
    )
    for _ in range(2):
        with pytest.raises(RuntimeError, match="lacks"):
            _rules(package)


def test_the_index_records_each_rules_group(package):
    """A rule's GROUP comes from the index as from a discovery (an opt-in rule must
    stay opt-in on runs that import no rule module); the index of an older FORMAT,
    whose rows have no group, is not used."""
    _rule(package, "kl901_first", id="KL901", name="first", severity="error", kind="SCRIPT")
    _rule(
        package,
        "kl902_picky",
        extra='GROUP = "pedantic"\n',
        id="KL902",
        name="picky",
        severity="warning",
        kind="SCRIPT",
    )
    found, source = _rules(package)
    assert source == "discovery"
    assert [(r[0], r[6]) for r in found] == [("KL901", "default"), ("KL902", "pedantic")]
    assert _rules(package) == (found, "index")
    index = ruleindex.index_path([str(package)])
    with open(index) as f:
        data = json.load(f)
    assert data["signature"][0] == ruleindex.FORMAT >= 2
    data["rules"] = [row[:6] for row in data["rules"]]  # FORMAT 1 rows, no group
    with open(index, "w") as f:
        json.dump(data, f)
    assert _rules(package) == (found, "discovery")
