from tests.conftest import findings_of, sample


def test_boot_entry_in_a_preprocessed_source():
    (f,) = findings_of(sample("kl601", "bad-bootcode.S"), "KL601")
    assert (f.location.line, f.location.column, f.location.end_column) == (9, 11, 20)
    assert "GNU as derives none" in f.message and "instructions from line 14" in f.message
    assert '`.section .bootcode, "ax", @progbits`' in f.fix


def test_data_and_reserved_space():
    (f,) = findings_of(sample("kl601", "bad-multiboot.s"), "KL601")
    assert '"a", @progbits' in f.fix and "data from line 7" in f.message
    (f,) = findings_of(sample("kl601", "bad-stack.s"), "KL601")
    assert '"aw", @nobits' in f.fix


def test_embedded_assembly_points_into_the_file():
    (f,) = findings_of(sample("kl601", "bad-global-asm.rs"), "KL601")
    assert (f.location.line, f.location.column) == (7, 15) and "LLVM" in f.message
    (f,) = findings_of(sample("kl601", "bad-toplevel-asm.c"), "KL601")
    assert (f.location.line, f.location.column) == (7, 23)
    assert '`.pushsection .boot, \\"ax\\", @progbits`' in f.fix
    (f,) = findings_of(sample("kl601", "bad-gas-syntax.asm"), "KL601")
    assert f.location.line == 3


def test_fixed_twins():
    for name in (
        "good-bootcode.S",
        "good-multiboot.s",
        "good-stack.s",
        "good-gas-syntax.asm",
        "good-toplevel-asm.c",
        "good-global-asm.rs",
    ):
        assert findings_of(sample("kl601", name), "KL601") == [], name
