from tests.conftest import findings_of, sample


def test_lld_unaligned_image_base():
    (f,) = findings_of(sample("kl108", "bad-image-base.elf"), "KL108")
    assert "0x10 vs 0x0" in f.message


def test_empty_segment_names_the_likely_cause():
    (f,) = findings_of(sample("kl108", "bad-empty-phdr.elf"), "KL108")
    assert "is empty" in f.message


def test_fixed_twin():
    assert findings_of(sample("kl108", "good-aligned.elf"), "KL108") == []
