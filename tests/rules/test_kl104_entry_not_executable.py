from tests.conftest import findings_of, sample


def test_entry_in_rodata():
    (f,) = findings_of(sample("kl104", "bad-entry-rodata.elf"), "KL104")
    assert f.location.symbol == "boot_header" and "lacks PF_X" in f.message


def test_entry_zero():
    (f,) = findings_of(sample("kl104", "bad-entry-zero.elf"), "KL104")
    assert f.message.startswith("e_entry is 0")


def test_physical_entry_without_at_is_in_no_segment():
    (f,) = findings_of(sample("kl104", "bad-phys-entry.elf"), "KL104")
    assert "in no PT_LOAD segment" in f.message


def test_physical_entry_found_through_p_paddr_is_fine():
    """Linux's vmlinux style: e_entry is a physical address inside a segment's p_paddr range."""
    assert findings_of(sample("kl104", "good-phys-entry.elf"), "KL104") == []
    assert findings_of(sample("kl104", "good-entry.elf"), "KL104") == []
