from tests.conftest import findings_of, sample


def test_fixed_image():
    (f,) = findings_of(sample("kl703", "bad-fixed.efi"), "KL703")
    assert "only at ImageBase 0x140000000" in f.message and "`Not Found`" in f.message


def test_relocatable_image_is_silent():
    assert findings_of(sample("kl703", "good-dynamic.efi"), "KL703") == []


def test_no_relocations_without_the_flag_is_silent():
    """gnu-efi's objcopy output keeps a one-block .reloc; an image with none and no
    RELOCS_STRIPPED (Linux's EFI stub) is relocatable: tests/pe/test_real_images.py."""
    assert findings_of(sample("kl708", "good-gnuefi.efi"), "KL703") == []
