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


def test_gnu_efi_objcopy_without_reloc(tmp_path):
    """gnu-efi's objcopy step without `-j .reloc` (the issue's `objcopy -j` threads):
    objcopy sets IMAGE_FILE_RELOCS_STRIPPED over ImageBase 0, and OVMF says Invalid
    Parameter (lld-link /fixed, at ImageBase 0x140000000, gets Not Found)."""
    import shutil
    import subprocess

    import pytest

    from tests.support import ovmf

    if not shutil.which("objcopy"):
        pytest.skip("objcopy is not installed")
    out = tmp_path / "noreloc.efi"
    so = sample("kl708", "bad-gnuefi-so.efi")
    keep = [
        a for s in (".text", ".sdata", ".data", ".rodata", ".dynamic", ".dynsym") for a in ("-j", s)
    ]
    subprocess.run(
        ["objcopy", *keep, "--target", "efi-app-x86_64", "--subsystem=10", str(so), str(out)],
        check=True,
    )
    (f,) = findings_of(out, "KL703")
    assert "only at ImageBase 0x0" in f.message
    result = ovmf.ovmf_boot(out)
    assert (result.booted, result.step, result.status) == (False, "load", "Invalid Parameter")
