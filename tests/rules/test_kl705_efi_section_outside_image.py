from tests.conftest import findings_of, sample


def test_size_of_image_short_of_the_last_section():
    (f,) = findings_of(sample("kl705", "bad-short-image.efi"), "KL705")
    assert "section .reloc (RVA 0x4000-0x400c) ends past SizeOfImage (0x4000)" in f.message
    assert f.location.section == ".reloc"


def test_linked_image_is_silent():
    assert findings_of(sample("kl705", "good-linked.efi"), "KL705") == []
