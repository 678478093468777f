from tests.conftest import findings_of, sample


def test_seed_case_a_names_the_code_that_runs_instead():
    (f,) = findings_of(sample("kl101", "bad-bootcode.elf"), "KL101")
    assert f.location.section == ".bootcode" and f.location.address == 0x100000
    assert "`_start`" in f.message and "lacks SHF_ALLOC" in f.message
    assert "lands in section .text (at `kmain`)" in f.message
    assert '"ax"' in f.fix


def test_seed_case_b_higher_half_with_phdrs():
    (f,) = findings_of(sample("kl101", "bad-phip.elf"), "KL101")
    assert f.location.section == ".init_asm" and "`entry_asm`" in f.message


def test_object_file_is_checked_before_linking():
    (f,) = findings_of(sample("kl101", "bad-bootcode.o"), "KL101")
    assert f.location.address is None  # ET_REL: section addresses mean nothing yet
    assert "`_start`" in f.message


def test_fixed_twins():
    for name in (
        "good-bootcode-ax.elf",
        "good-textboot.elf",
        "good-init.elf",
        "good-bootcode.o",
        "good-phip.elf",
    ):
        assert findings_of(sample("kl101", name), "KL101") == [], name
