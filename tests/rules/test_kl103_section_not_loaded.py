from tests.conftest import findings_of, sample


def test_section_assigned_to_none():
    (f,) = findings_of(sample("kl103", "bad-none.elf"), "KL103")
    assert f.location.section == ".boot_table"
    assert "inside no PT_LOAD" in f.message


def test_fixed_twin():
    assert findings_of(sample("kl103", "good-none.elf"), "KL103") == []
