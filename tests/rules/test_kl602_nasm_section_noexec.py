from tests.conftest import findings_of, sample


def test_unknown_section_name_is_noexec():
    (f,) = findings_of(sample("kl602", "bad-bootcode.asm"), "KL602")
    assert (f.location.line, f.location.column, f.location.end_column) == (6, 9, 18)
    assert "instructions from line 9" in f.message
    assert f.fix.endswith("`section .bootcode progbits alloc exec nowrite align=16`")


def test_text_boot_and_late_exec():
    (f,) = findings_of(sample("kl602", "bad-textboot.nasm"), "KL602")
    assert "`.text.boot` is not `.text`" in f.message
    (f,) = findings_of(sample("kl602", "bad-redeclared.asm"), "KL602")
    assert f.location.line == 7 and "`exec` at line 11 is ignored" in f.message


def test_fixed_twins():
    for name in ("good-bootcode.asm", "good-textboot.nasm", "good-redeclared.asm"):
        assert findings_of(sample("kl602", name), "KL602") == [], name
