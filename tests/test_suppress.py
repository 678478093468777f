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


def _found(path) -> list[tuple[str, int]]:
    run = kernlint("check", "--format", "json", "--fail-on", "info", str(path))
    return [(f["rule"], f["location"].get("line")) for f in run.report["findings"]]


GAS = """\
.section .bootcode
_start:
    cli
.section .boot2
    nop
"""

NASM = """\
bits 64
section .bootcode
boot_entry:
    cli
    hlt
"""


def test_collect_reads_ignore_file_marks():
    from kernlint.suppress import collect

    marks = collect(
        "/* kernlint: ignore-file[KL205, KL212] */\n"
        "x /* kernlint: ignore[KL201] */ # kernlint: ignore-file\n"
    )
    assert [(m.line, m.column, m.selectors, m.file) for m in marks] == [
        (1, 4, ("KL205", "KL212"), True),
        (2, 6, ("KL201",), False),
        (2, 35, (), True),
    ]
    assert marks[0].covers("KL205", "permission-boundary-unaligned", 900)
    assert marks[0].covers("KL212", "unpreprocessed-script", None)
    assert not marks[0].covers("KL201", "missing-subsection-wildcard", 1)
    assert not marks[1].covers("KL201", "missing-subsection-wildcard", 5)


def test_ignore_file_silences_its_rules_in_the_whole_file(tmp_path):
    src = tmp_path / "boot.S"
    src.write_text(GAS)
    assert _found(src) == [("KL601", 1), ("KL601", 4)]  # what there is to silence
    for mark in ("# kernlint: ignore-file[KL601]", "// kernlint: ignore-file[KL6]"):
        src.write_text(GAS + mark + "\n")
        assert _found(src) == [], mark
    src.write_text("# vendored: kernlint: ignore-file[asm-section-without-flags]\n" + GAS)
    assert _found(src) == []


def test_bare_ignore_file_silences_every_rule(tmp_path):
    src = tmp_path / "boot.asm"
    src.write_text(NASM)
    assert ("KL602", 2) in _found(src)
    src.write_text("; kernlint: ignore-file\n" + NASM)
    assert _found(src) == []


def test_ignore_file_leaves_other_rules_and_unused_ones_are_kl003(tmp_path):
    src = tmp_path / "boot.S"
    src.write_text("# kernlint: ignore-file[KL602]\n" + GAS)
    run = kernlint("check", "--format", "json", str(src))
    got = [(f["rule"], f["location"]["line"]) for f in run.report["findings"]]
    assert got == [("KL003", 1), ("KL601", 2), ("KL601", 5)]
    assert run.code == 1  # KL601 is not silenced, and fails
    kl003 = run.report["findings"][0]
    assert kl003["message"] == (
        "`kernlint: ignore-file[KL602]` suppresses nothing: no finding of KL602 in this file"
    )
    assert kl003["fix"].endswith("name the rule that fires in this file")


def test_unused_ignore_file_is_info_and_does_not_fail(tmp_path):
    src = tmp_path / "boot.S"
    src.write_text('# kernlint: ignore-file\n.section .text.x, "ax"\n    nop\n')
    run = kernlint("check", "--format", "json", str(src))
    assert [(f["rule"], f["severity"]) for f in run.report["findings"]] == [("KL003", "info")]
    assert "no finding of every rule in this file" in run.report["findings"][0]["message"]
    assert run.code == 0
    assert kernlint("check", "--fail-on", "info", str(src)).code == 1


def test_a_line_suppression_is_used_before_an_ignore_file(tmp_path):
    """Where both cover a finding, the line one (the more precise) silences it; an
    ignore-file that only repeats line suppressions silences nothing (KL003)."""
    src = tmp_path / "boot.S"
    src.write_text(
        "# kernlint: ignore-file[KL601]\n"
        ".section .bootcode # kernlint: ignore[KL601]\n"
        "    cli\n"
        ".section .boot2 # kernlint: ignore[KL601]\n"
        "    nop\n"
    )
    assert _found(src) == [("KL003", 1)]
    src.write_text(
        "# kernlint: ignore-file[KL601]\n"
        ".section .bootcode # kernlint: ignore[KL601]\n"
        "    cli\n"
        ".section .boot2\n"
        "    nop\n"
    )
    assert _found(src) == []


def test_ignore_file_in_a_linker_script(tmp_path):
    script = tmp_path / "link.ld"
    body = "ENTRY(_start)\nINCLUDE gone.ld\n"
    script.write_text(body)
    assert _found(script) == [("KL002", 2)]
    script.write_text("/* vendored: kernlint: ignore-file[KL002] */\n" + body)
    assert _found(script) == []
    script.write_text(body + "/* kernlint: ignore-file[KL002,KL212] */\n")
    assert _found(script) == []
