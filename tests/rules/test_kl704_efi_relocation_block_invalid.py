from tests.conftest import findings_of, sample


def test_block_size_zero():
    (f,) = findings_of(sample("kl704", "bad-size0.efi"), "KL704")
    assert f.message.startswith(
        "base relocation block 0 (offset 0x0 in the table) has SizeOfBlock 0"
    )
    assert f.location.section == ".reloc" and f.location.address == 0x140004000


def test_block_past_the_directory():
    (f,) = findings_of(sample("kl704", "bad-overrun.efi"), "KL704")
    assert "SizeOfBlock 20, running past the end of the relocation directory (Size 12)" in f.message


def test_linker_table_is_silent():
    assert findings_of(sample("kl704", "good-linked.efi"), "KL704") == []


def test_short_image_is_left_to_kl705():
    """SizeOfImage cut before .reloc: one finding (KL705), not two."""
    assert findings_of(sample("kl705", "bad-short-image.efi"), "KL704") == []
