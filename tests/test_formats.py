"""SARIF 2.1.0 (validated against the official OASIS schema) and GitHub annotations."""

from __future__ import annotations

import json

import jsonschema
import pytest

from kernlint.finding import Finding, Location
from kernlint.report.github import annotation
from tests.conftest import ROOT, elf_files, kernlint

SARIF_SCHEMA = ROOT.parent / "shared" / "schemas" / "sarif-schema-2.1.0.json"
ELF_SAMPLES = [str(p) for p in elf_files()]


@pytest.fixture(scope="module")
def sarif() -> dict:
    run = kernlint("check", "--format", "sarif", *ELF_SAMPLES)
    assert run.code == 1
    return run.report


def test_sarif_validates_against_the_official_schema(sarif):
    if not SARIF_SCHEMA.is_file():
        pytest.skip("../shared/schemas/sarif-schema-2.1.0.json is not beside the project")
    jsonschema.validate(sarif, json.loads(SARIF_SCHEMA.read_text()))


def test_sarif_driver_lists_every_rule_with_its_docs(sarif):
    from kernlint.engine import all_rules

    driver = sarif["runs"][0]["tool"]["driver"]
    assert driver["name"] == "kernlint"
    assert [r["id"] for r in driver["rules"]] == [r.id for r in all_rules()]
    kl101 = next(r for r in driver["rules"] if r["id"] == "KL101")
    assert kl101["name"] == "code-not-allocated"
    assert "## Use instead" in kl101["help"]["markdown"]
    assert kl101["defaultConfiguration"]["level"] == "error"


def test_sarif_binary_locations_carry_address_and_section(sarif):
    results = sarif["runs"][0]["results"]
    seed = next(
        r
        for r in results
        if r["ruleId"] == "KL101"
        and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(
            "bad-bootcode.elf"
        )
    )
    phys = seed["locations"][0]["physicalLocation"]
    assert phys["address"] == {"absoluteAddress": 0x100000, "kind": "section", "name": ".bootcode"}
    assert phys["region"]["byteOffset"] > 0
    assert seed["locations"][0]["logicalLocations"][0] == {"name": ".bootcode", "kind": "section"}
    # info findings (KL406 without relocation data to check) are SARIF notes
    assert {r["level"] for r in results} == {"error", "warning", "note"}


def test_sarif_text_location_and_uri_escaping():
    from kernlint.engine import RunResult
    from kernlint.report.sarif import render_sarif

    f = Finding(
        "m",
        Location(line=3, column=5, end_line=3, end_column=9),
        rule="KL101",
        name="code-not-allocated",
        severity="error",
        path="src/my boot.S",
    )
    doc = json.loads(render_sarif(RunResult([f], 1, [])))
    phys = doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"]["uri"] == "src/my%20boot.S"
    assert phys["region"] == {"startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 9}


def test_github_annotation_for_text_and_binary():
    text = Finding(
        "bad, really: 100%\nyes",
        Location(line=4, column=2),
        rule="KL601",
        name="asm-section-without-flags",
        severity="error",
        path="boot.S",
        fix="add flags",
    )
    assert annotation(text) == (
        "::error file=boot.S,line=4,col=2,title=KL601 asm-section-without-flags"
        "::bad, really: 100%25%0Ayes%0AFix: add flags"
    )
    binary = Finding(
        "m",
        Location(section=".boot"),
        rule="KL105",
        name="rwx-segment",
        severity="warning",
        path="a,b.elf",
    )
    assert annotation(binary) == "::warning file=a%2Cb.elf,title=KL105 rwx-segment::m"


def test_github_format_from_the_cli():
    run = kernlint("check", "--format", "github", ELF_SAMPLES[0])
    lines = run.stdout.splitlines()
    assert lines and all(line.startswith(("::error ", "::warning ", "::notice ")) for line in lines)
