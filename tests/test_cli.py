"""The command line: exit status, formats, determinism, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from tests.conftest import ROOT, kernlint

SEED = ROOT / "samples" / "kl101-code-not-allocated" / "bad-bootcode.elf"
CLEAN = ROOT / "samples" / "kl101-code-not-allocated" / "good-bootcode-ax.elf"
RWX = ROOT / "samples" / "kl105-rwx-segment" / "bad-phdrs-rwx.elf"
SCHEMA = json.loads((ROOT / "kernlint" / "report" / "findings-v1.schema.json").read_text())


def test_exit_status_follows_fail_on():
    """Warnings fail by default (ruff's convention); `--fail-on error` lets them pass."""
    assert kernlint("check", str(CLEAN)).code == 0
    assert kernlint("check", str(SEED)).code == 1
    warning = kernlint("check", "--format", "json", str(RWX), "--select", "KL105")
    assert {f["severity"] for f in warning.report["findings"]} == {"warning"}
    assert warning.code == 1
    assert kernlint("check", str(RWX), "--select", "KL105", "--fail-on", "warning").code == 1
    assert kernlint("check", str(RWX), "--select", "KL105", "--fail-on", "error").code == 0
    assert kernlint("check", str(SEED), "--fail-on", "error").code == 1


def test_text_line_names_path_section_rule_and_fix():
    run = kernlint("check", str(SEED), "--select", "KL101")
    first, hint = run.stdout.splitlines()[:2]
    assert first.startswith(f"{SEED}: section .bootcode (0x100000): KL101 code-not-allocated: ")
    assert hint.startswith("    fix: ") and '"ax"' in hint
    assert run.stdout.splitlines()[-1] == "Found 1 error in 1 file."


def test_json_report_validates_and_is_deterministic():
    args = ("check", "--format", "json", str(ROOT / "samples"))
    a, b = kernlint(*args), kernlint(*args)
    assert a.stdout == b.stdout
    jsonschema.validate(a.report, SCHEMA)
    assert a.report["summary"]["findings"] == len(a.report["findings"])
    finding = next(f for f in a.report["findings"] if f["rule"] == "KL101")
    assert finding["location"]["section"] in (".bootcode", ".init_asm")


def test_text_report_is_deterministic():
    args = ("check", str(ROOT / "samples"))
    assert kernlint(*args).stdout == kernlint(*args).stdout


def test_statistics_and_quiet():
    run = kernlint("check", "--statistics", str(ROOT / "samples"))
    assert "KL101  code-not-allocated [error]" in run.stdout
    quiet = kernlint("check", "-q", str(SEED))
    assert "fix:" not in quiet.stdout and "Found" not in quiet.stdout


def test_output_file(tmp_path):
    out = tmp_path / "report.json"
    run = kernlint("check", "--format", "json", "--output", str(out), str(SEED))
    assert run.code == 1 and run.stdout == ""
    jsonschema.validate(json.loads(out.read_text()), SCHEMA)


def test_output_never_overwrites_an_input(tmp_path):
    victim = tmp_path / "k.elf"
    victim.write_bytes(SEED.read_bytes())
    run = kernlint("check", "--output", str(victim), str(victim))
    assert run.code == 2 and "never writes to its inputs" in run.stderr
    assert victim.read_bytes() == SEED.read_bytes()


@pytest.mark.parametrize(
    "args, words",
    [
        ((), "no paths given"),
        (("--select", "KL999"), "unknown rule, prefix or group"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args, words):
    extra = () if not args else (str(SEED),)
    run = kernlint("check", *args, *extra)
    assert run.code == 2
    assert words in run.stderr and len(run.stderr.strip().splitlines()) == 1


def test_missing_path_is_kl001(tmp_path):
    run = kernlint("check", str(tmp_path / "nope.elf"))
    assert run.code == 2
    assert run.stdout.splitlines()[0] == (
        f"{tmp_path / 'nope.elf'}: KL001 unreadable-input: cannot read: No such file or directory"
    )
    assert "Traceback" not in run.stderr


def test_non_elf_named_like_elf_is_kl001(tmp_path):
    junk = tmp_path / "kernel.elf"
    junk.write_bytes(b"MZ\x90\x00" + bytes(200))
    run = kernlint("check", "--format", "json", str(junk))
    assert run.code == 2
    assert [f["rule"] for f in run.report["findings"]] == ["KL001"]
    assert "not an ELF file" in run.report["findings"][0]["message"]


def test_unrecognised_explicit_file_is_skipped_with_a_note(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    run = kernlint("check", str(text))
    assert run.code == 0
    assert "not recognised" in run.stderr


def test_truncated_elf_is_one_line_exit_2(tmp_path):
    cut = tmp_path / "cut.elf"
    cut.write_bytes(SEED.read_bytes()[:3000])
    run = kernlint("check", str(cut))
    assert run.code == 2
    lines = run.stdout.splitlines()
    assert lines[0].startswith(f"{cut}: KL001 unreadable-input: truncated ELF")
    assert len([ln for ln in lines if "KL" in ln]) == 1


def test_rules_and_explain():
    run = kernlint("rules", "--format", "json")
    rules = json.loads(run.stdout)["rules"]
    assert {"id", "name", "severity", "summary", "applies_to"} <= set(rules[0])
    text = kernlint("explain", "code-not-allocated").stdout
    assert text.startswith("KL101 code-not-allocated (error)")
    assert "## Use instead" in text
    assert kernlint("explain", "KL999").code == 2


def test_python_dash_m_and_version():
    assert kernlint("--version").stdout.startswith("kernlint, version ")


def test_graph_dot_and_json():
    dot = kernlint("graph", str(SEED)).stdout
    assert dot.startswith("digraph kernlint {") and '"entry" -> "section:' in dot
    doc = json.loads(kernlint("graph", "--format", "json", str(SEED)).stdout)
    kinds = {n["kind"] for n in doc["nodes"]}
    assert kinds == {"segment", "section", "symbol", "entry"}
    assert any(e["relation"] == "contains" for e in doc["edges"])


def test_graph_counts_relocation_references(tmp_path):
    obj = ROOT / "samples" / "kl101-code-not-allocated" / "bad-bootcode.o"
    doc = json.loads(kernlint("graph", "--format", "json", str(obj)).stdout)
    refs = [e for e in doc["edges"] if e["relation"] == "references"]
    names = {n["id"]: n.get("name") for n in doc["nodes"]}
    assert refs, "the seed object's boot code references .text (jmp/call to kmain)"
    assert all(e["count"] >= 1 for e in refs)
    assert any(names[e["source"]] == ".bootcode" for e in refs)


def test_graph_bad_input(tmp_path):
    junk = tmp_path / "x.elf"
    junk.write_bytes(b"\x7fELF\x02\x01\x01")
    run = kernlint("graph", str(junk))
    assert run.code == 2 and "truncated" in run.stderr and "Traceback" not in run.stderr


def test_clean_file_says_no_findings():
    run = kernlint("check", str(CLEAN))
    assert run.stdout == "No findings in 1 file.\n"


def test_path_printed_as_given(tmp_path, monkeypatch):
    rel = Path("samples") / "kl101-code-not-allocated" / "bad-bootcode.elf"
    run = kernlint("check", "--format", "json", str(rel), cwd=ROOT)
    assert run.report["findings"][0]["path"] == str(rel)


def _invoke(*args: str):
    """``kernlint ARGS`` in this process (so that a fixture's rules take part)."""
    from click.testing import CliRunner

    from kernlint.cli import cli

    return CliRunner().invoke(cli, list(args))


#: A script no default rule reports.
CLEAN_SCRIPT = "ENTRY(_start)\nSECTIONS { .text : { *(.text .text.*) } }\n"


def test_opt_in_group_on_the_command_line(pedantic_rule, tmp_path):
    script = tmp_path / "link.ld"
    script.write_text(CLEAN_SCRIPT)
    default = _invoke("check", "--format", "json", str(script))
    assert json.loads(default.stdout)["findings"] == [] and default.exit_code == 0
    assert (
        "KL299" not in _invoke("check", "--format", "json", "--select", "KL2", str(script)).stdout
    )
    for select in ("KL299", "pedantic-probe", "pedantic", "KL2,pedantic"):
        run = _invoke("check", "--format", "json", "--select", select, str(script))
        found = [f["rule"] for f in json.loads(run.stdout)["findings"]]
        assert "KL299" in found and run.exit_code == 1, select  # a warning: fails
        if select in ("KL299", "pedantic-probe"):
            assert found == ["KL299"]
    unknown = _invoke("check", "--select", "pedantik", str(script))
    assert unknown.exit_code == 2
    assert "unknown rule, prefix or group: 'pedantik'" in unknown.stderr
    assert "never by an id prefix alone" in _invoke("check", "--help").stdout


def test_opt_in_group_in_the_configuration(pedantic_rule, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "link.ld").write_text(CLEAN_SCRIPT)
    (tmp_path / "kernlint.toml").write_text('select = ["KL", "pedantic"]\n')
    run = _invoke("check", "--format", "json", "link.ld")
    assert "KL299" in [f["rule"] for f in json.loads(run.stdout)["findings"]]
    (tmp_path / "kernlint.toml").write_text('select = ["KL", "pedantik"]\n')
    bad = _invoke("check", "link.ld")
    assert bad.exit_code == 2 and "`select` has unknown rule, prefix or group" in bad.stderr


def test_rules_and_explain_show_the_group(pedantic_rule):
    rows = _invoke("rules").stdout.splitlines()
    probe = next(r for r in rows if r.startswith("KL299"))
    assert probe.split()[:4] == ["KL299", "pedantic-probe", "warning", "pedantic"]
    assert next(r for r in rows if r.startswith("KL101")).split()[3] == "default"
    listed = json.loads(_invoke("rules", "--format", "json").stdout)["rules"]
    groups = {r["id"]: r["group"] for r in listed}
    assert groups["KL299"] == "pedantic" and groups["KL101"] == "default"
    text = _invoke("explain", "KL299").stdout
    assert text.startswith("KL299 pedantic-probe (warning, pedantic)\n\nOpt-in: ")
    assert "`--select pedantic`" in text and "`KL2` alone does not select it" in text
    assert json.loads(_invoke("explain", "KL299", "--format", "json").stdout)["group"] == (
        "pedantic"
    )
    assert _invoke("explain", "KL101").stdout.startswith("KL101 code-not-allocated (error)\n\n")
