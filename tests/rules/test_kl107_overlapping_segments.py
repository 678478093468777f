from tests.conftest import findings_of, sample


def test_same_load_address():
    (f,) = findings_of(sample("kl107", "bad-lma-overlap.elf"), "KL107")
    assert "physical addresses 0x100000-" in f.message


def test_same_virtual_address_reports_segments_and_sections():
    found = findings_of(sample("kl107", "bad-vma-overlap.elf"), "KL107")
    text = " ".join(f.message for f in found)
    assert "virtual addresses" in text and "physical addresses" in text
    assert "section .text" in text and "section .boot" in text


def test_fixed_twin():
    assert findings_of(sample("kl107", "good-no-overlap.elf"), "KL107") == []
