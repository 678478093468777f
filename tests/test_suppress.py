"""Inline suppressions: on the line or the line before; unused ones are KL003."""

from tests.conftest import kernlint

SOURCE = """\
.section .bootcode # kernlint: ignore[KL601]
_start:
    cli
# kernlint: ignore[asm-section-without-flags]
.section .boot2
    nop
.section .boot3
    nop
.section .text.x # kernlint: ignore[KL601]
    nop
"""


def test_suppressions_silence_their_line_and_the_next_and_report_unused(tmp_path):
    src = tmp_path / "boot.S"
    src.write_text(SOURCE)
    run = kernlint("check", "--format", "json", str(src))
    got = [(f["rule"], f["location"]["line"]) for f in run.report["findings"]]
    assert got == [("KL601", 7), ("KL003", 9)]
    assert run.code == 1


def test_kl003_can_be_ignored_and_info_does_not_fail(tmp_path):
    src = tmp_path / "boot.S"
    src.write_text('.section .text.x, "ax" # kernlint: ignore[KL601]\n    nop\n')
    assert kernlint("check", str(src)).code == 0
    assert kernlint("check", "--fail-on", "info", str(src)).code == 1
    assert kernlint("check", "--fail-on", "info", "--ignore", "KL003", str(src)).code == 0


def test_bare_ignore_silences_every_rule(tmp_path):
    src = tmp_path / "boot.S"
    src.write_text(".section .boot // kernlint: ignore\n    nop\n")
    assert kernlint("check", "--format", "json", str(src)).report["findings"] == []


def test_script_suppressions(tmp_path):
    script = tmp_path / "link.ld"
    script.write_text(
        "ENTRY(_start)\nINCLUDE gone.ld /* kernlint: ignore[KL002] */\n"
        "/* kernlint: ignore[KL002] */\n"
    )
    run = kernlint("check", "--format", "json", str(script))
    assert [(f["rule"], f["location"]["line"]) for f in run.report["findings"]] == [("KL003", 3)]
