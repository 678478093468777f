"""KL002 through the command line: position, ld's vocabulary, INCLUDE problems, and
binary junk named like a script (KL001, exit 2)."""

from tests.conftest import kernlint


def test_unclosed_section_points_at_end_of_file_with_a_caret(tmp_path):
    script = tmp_path / "link.ld"
    script.write_text(
        "ENTRY(_start)\nSECTIONS {\n  .text : { *(.text .text.*) }\n"
        "  .data : { *(.data .data.*)\n}\n"
    )
    run = kernlint("check", str(script))
    assert run.code == 1
    first, code, caret = run.stdout.splitlines()[:3]
    assert first.startswith(f"{script}:5:2: KL002 script-syntax-error: unexpected end of file")
    assert "is not closed (expected `}`)" in first
    assert code == "  5 | }" and caret == "    |  ^"


def test_assignment_without_spaces(tmp_path):
    script = tmp_path / "link.ld"
    script.write_text("ENTRY(_start)\nSECTIONS {\n  .=0x100000;\n}\n")
    run = kernlint("check", "--format", "json", str(script))
    (f,) = run.report["findings"]
    assert f["rule"] == "KL002" and f["location"]["line"] == 3


def test_missing_include_is_a_finding_not_a_crash(tmp_path):
    script = tmp_path / "link.ld"
    script.write_text("ENTRY(_start)\nINCLUDE nowhere.ld\n")
    run = kernlint("check", "--format", "json", str(script))
    (f,) = run.report["findings"]
    assert f["rule"] == "KL002" and "nowhere.ld" in f["message"]
    assert f["location"]["line"] == 2


def test_binary_junk_named_like_a_script_is_kl001(tmp_path):
    junk = tmp_path / "link.ld"
    junk.write_bytes(bytes(range(256)) * 4)
    run = kernlint("check", str(junk))
    assert run.code == 2
    assert run.stdout.splitlines()[0] == (
        f"{junk}: KL001 unreadable-input: binary data (a NUL byte at offset 0), not a linker script"
    )
    assert "Traceback" not in run.stderr


def test_text_junk_named_like_a_script_is_kl002(tmp_path):
    junk = tmp_path / "link.ld"
    junk.write_text("Lorem ipsum { dolor ] sit amet;;;\n")
    run = kernlint("check", "--format", "json", str(junk))
    assert [f["rule"] for f in run.report["findings"]] == ["KL002"]
