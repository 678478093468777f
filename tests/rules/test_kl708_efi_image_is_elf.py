import shutil

from tests.conftest import findings_of, sample


def test_shared_object_named_efi():
    (f,) = findings_of(sample("kl708", "bad-gnuefi-so.efi"), "KL708")
    assert "is an ELF file, not a PE/COFF image" in f.message
    assert "objcopy --target efi-app-<arch>" in f.fix


def test_debug_companion_and_converted_image_are_silent(tmp_path):
    debug = tmp_path / "systemd-bootx64.efi.debug"
    shutil.copy(sample("kl708", "bad-gnuefi-so.efi"), debug)
    assert findings_of(debug, "KL708") == []
    assert findings_of(sample("kl708", "good-gnuefi.efi"), "KL708") == []
