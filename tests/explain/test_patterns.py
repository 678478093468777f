"""Every log pattern — of every discovered rule module, and of the not-yet table —
recognises its own sample through the whole pipeline, and its explanation fills."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

import pytest

from kernlint.engine import all_rules
from kernlint.explain.catalogue import catalogue
from kernlint.explain.pending import PENDING
from kernlint.explain.prefixes import split
from kernlint.explain.scan import scan
from kernlint.explain.values import derive, fields
from kernlint.logpattern import TOOLS, LogPattern
from tests.conftest import ROOT

MODULE_PATTERNS = [
    (rule.id, p) for rule in all_rules() for p in getattr(rule.module, "LOG_PATTERNS", ())
]
PENDING_PATTERNS = [(pending.id, p) for pending in PENDING for p in pending.patterns]
ALL = MODULE_PATTERNS + PENDING_PATTERNS


def _id(item) -> str:
    rule, p = item
    return f"{rule}:{p.sample[:40]}"


def test_rule_modules_declare_patterns():
    """The modules of this issue's table carry patterns; anyone's new module is picked
    up by discovery (the parametrisation below covers it)."""
    with_patterns = {rule for rule, _ in MODULE_PATTERNS}
    expected = {"KL001", "KL002", "KL103", "KL105", "KL106", "KL107", "KL202", "KL203"}
    assert expected | {"KL206", "KL207", "KL212", "KL301", "KL302"} <= with_patterns
    for rule in all_rules():
        patterns = getattr(rule.module, "LOG_PATTERNS", ())
        assert isinstance(patterns, tuple), rule.id
        assert all(isinstance(p, LogPattern) for p in patterns), rule.id


@pytest.mark.parametrize("item", ALL, ids=_id)
def test_pattern_recognises_its_sample(item):
    rule, p = item
    assert p.tool in TOOLS
    assert "\n" not in p.sample and p.sample == p.sample.strip()
    line = split(1, p.sample)
    assert re.search(p.regex, line.body) or re.search(p.regex, line.text)
    (hit,) = scan([line], catalogue()).hits
    assert hit.known.rule == rule, f"{p.sample!r} is taken by {hit.known.rule}"
    if any(k.pattern == p for k in catalogue()):
        assert hit.known.pattern == p
    else:  # a not-yet pattern whose rule module now recognises the line itself
        assert (rule, p) in PENDING_PATTERNS


@pytest.mark.parametrize("item", ALL, ids=_id)
def test_explanation_uses_only_values_the_line_gives(item):
    _, p = item
    line = split(1, p.sample)
    m = re.search(p.regex, line.body) or re.search(p.regex, line.text)
    values = derive({**line.prefix, **{k: v for k, v in m.groupdict().items() if v}})
    assert fields(p.explain) <= values.keys()
    (hit,) = scan([line], catalogue()).hits
    text = hit.explanation
    assert "?" not in re.sub(r"Why is this bad\?", "", text)
    prose = re.sub(r"`[^`]*`", "CODE", text)
    sentences = [s for s in re.split(r"(?<=[.!])\s+", prose) if s]
    assert 2 <= len(sentences) <= 4, text


@pytest.mark.parametrize("item", ALL, ids=_id)
def test_related_rules_are_rules(item):
    _, p = item
    ids = {r.id for r in all_rules()}
    assert set(p.related) <= ids


def test_pending_rules_match_the_catalogue():
    """The not-yet table holds only RULES.md rules; a pending id that gets a module
    has its patterns attributed to it (and should move them there)."""
    catalogue_file = ROOT.parent / "shared" / "RULES.md"
    modules = {r.id: r for r in all_rules()}
    if catalogue_file.is_file():
        rows = re.findall(
            r"^\| (KL\d{3}) \| ([a-z0-9-]+) \| (\w+) \|", catalogue_file.read_text(), re.M
        )
        known = {rid: (name, sev) for rid, name, sev in rows}
        for pending in PENDING:
            assert known[pending.id] == (pending.name, pending.severity)
    for k in catalogue():
        if k.rule in modules:
            assert k.checked and k.name == modules[k.rule].name
        else:
            assert not k.checked and k.waits_for


def test_logpattern_stays_import_free():
    """Rule modules import it at top level: it must import nothing of weight."""
    tree = ast.parse((ROOT / "kernlint" / "logpattern.py").read_text())
    imported = {
        alias.name if isinstance(node, ast.Import) else node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= {"__future__", "dataclasses"}


def test_rule_discovery_does_not_load_the_explain_engine():
    """The script fast path is benchmarked: discovering rules compiles no pattern."""
    code = (
        "import sys, re; from kernlint.engine import all_rules; n = len(all_rules());"
        " print('kernlint.explain' in sys.modules, n)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split()[0] == "False"


def test_every_rule_module_is_in_the_catalogue():
    """Discovery is the only list: every module's patterns come first, in rule-id order."""
    first = [(k.rule, k.pattern) for k in catalogue()][: len(MODULE_PATTERNS)]
    assert first == MODULE_PATTERNS


def test_samples_are_distinct():
    for group in (MODULE_PATTERNS, PENDING_PATTERNS):
        samples = [p.sample for _, p in group]
        assert len(samples) == len(set(samples))


#: Lines that make a careless regex backtrack: long runs without spaces, repeated
#: prefixes, replacement characters from binary junk (each at the 4096-byte cut).
ADVERSARIAL = [
    "\ufffd" * 4096,
    "a" * 4096,
    "(" * 4096,
    "a.o:(" * 819,
    "ld: " + "x:" * 2046,
    "a " * 2048,
    "(.text+0x1): " * 315,
]


@pytest.mark.parametrize("item", ALL, ids=_id)
def test_pattern_cost_stays_linear_on_junk(item):
    """A log can hold megabytes of binary junk; no pattern may backtrack on it."""
    import time

    _, p = item
    regex = re.compile(p.regex)
    start = time.process_time()
    for text in ADVERSARIAL:
        line = split(1, text)
        regex.search(line.body) or regex.search(line.text)
    assert time.process_time() - start < 0.5, p.regex
