from tests.conftest import findings_of, sample


def test_nasm_section_defaults_to_noexec():
    for name in ("bad-nasm.elf", "bad-nasm.o"):
        (f,) = findings_of(sample("kl102", name), "KL102")
        assert f.location.section == ".bootcode"
        assert "lacks SHF_EXECINSTR" in f.message and "exec" in f.fix


def test_code_section_in_a_segment_without_pf_x():
    (f,) = findings_of(sample("kl102", "bad-inittext.elf"), "KL102")
    assert f.location.section == ".init.text" and f.location.segment is not None
    assert "lacks PF_X" in f.message


def test_fixed_twins():
    for name in ("good-nasm.elf", "good-nasm.o", "good-inittext.elf"):
        assert findings_of(sample("kl102", name), "KL102") == [], name
