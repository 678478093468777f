import shutil
import subprocess

import pytest

from kernlint.config import Config
from kernlint.engine import run, select_rules
from tests.conftest import findings_of, needs_toolchain, sample, sample_dirs


def test_elf_signature_section_after_the_code():
    (f,) = findings_of(sample("kl302", "bad-follows.elf"), "KL302")
    assert "the sector is only 55 bytes long" in f.message
    assert "`55 AA` is at offset 0x35 instead (section .signature)" in f.message
    assert f.location.address == 0x7DFE


def test_signature_overwritten_by_partition_table():
    (f,) = findings_of(sample("kl301", "bad-mbr-over.elf"), "KL302")
    assert "bytes 510-511 are 00 00 (from section .partition_table), not 55 AA" in f.message


def test_raw_sector_without_signature_needs_the_layout():
    path = sample("kl302", "forced-nosig.bin")
    result = run([str(path)], select_rules(["KL302"]))
    assert result.findings == [] and result.skipped  # not recognised on its own
    (f,) = run([str(path)], select_rules(["KL302"]), Config(boot_sector_layout="raw")).findings
    assert f.message.startswith("bytes 510-511 are 00 00, not 55 AA")
    assert f.location.offset == 0x1FE


def test_short_forced_file(tmp_path):
    short = tmp_path / "short.bin"
    short.write_bytes(b"\xfa\xf4")
    (f,) = run([str(short)], select_rules(["KL302"]), Config(boot_sector_layout="mbr")).findings
    assert "only 2 bytes long" in f.message


def test_good_twins_are_silent():
    for rule, name in (("kl302", "good-fixed.elf"), ("kl302", "good-sector.bin")):
        assert findings_of(sample(rule, name), "KL302") == [], name


def _kl3_outputs():
    for folder in sample_dirs():
        if folder.name.startswith("kl30"):
            yield from sorted(p for p in folder.iterdir() if p.suffix in (".bin", ".elf"))


@pytest.mark.skipif(
    not (shutil.which("grub-file") and shutil.which("objcopy")),
    reason="grub-file (grub-common) and objcopy are needed",
)
@pytest.mark.parametrize("path", list(_kl3_outputs()), ids=lambda p: p.name)
def test_grub_file_agrees_on_the_signature(path, tmp_path):
    """GRUB's `grub-file --is-x86-bios-bootsector` (512 bytes, 0xAA55 at 510) is the
    ground truth: on the raw file, or on `objcopy -O binary` of the ELF."""
    flat = path
    if path.suffix == ".elf":
        flat = tmp_path / "flat.bin"
        subprocess.run(["objcopy", "-O", "binary", str(path), str(flat)], check=True)
    grub = subprocess.run(["grub-file", "--is-x86-bios-bootsector", str(flat)]).returncode == 0
    config = Config(boot_sector_layout="raw") if path.name.startswith("forced") else Config()
    kl302 = run([str(path)], select_rules(["KL302"]), config).findings
    assert grub == (not kl302), (path.name, grub, kl302)


@needs_toolchain
@pytest.mark.parametrize(("pad", "reaching"), [(200, False), (380, True)])
def test_signature_appended_by_the_build_is_info(tmp_path, pad, reaching):
    """The xv6 way: `ld -N -Ttext 0x7C00`, `objcopy -S -O binary -j .text`, padding to
    510 bytes and `55 AA` appended; the signed sector boots in QEMU. The ELF has no
    signature, and nothing of its code reaches bytes 510-511 (with pad 380 only its
    `.eh_frame` does): KL302 cannot see the later step, so it says so at info."""
    from tests.bootsector import shapes

    elf, signed = shapes.xv6_sector(tmp_path, pad)
    (f,) = findings_of(elf, "KL302")
    assert f.severity == "info", f.message
    assert f.message.startswith("the signature is not in this ELF: its code and data end at")
    assert "If your build appends it" in f.message
    assert (".eh_frame, which an `objcopy -j .text` extraction drops" in f.message) is reaching
    assert f.location.address == 0x7DFE
    result = shapes.boot_sector(signed)
    assert result.returncode == 33 and "OK" in result.stdout, result


@needs_toolchain
def test_code_at_the_signature_offset_stays_an_error(tmp_path):
    """Code of its own at bytes 510-511: no later step can put the signature there."""
    from tests.bootsector import shapes

    elf, signed = shapes.xv6_sector(tmp_path, 600)
    assert signed is None
    (f,) = findings_of(elf, "KL302")
    assert f.severity == "error"
    assert "bytes 510-511 are 90 90 (from section .text), not 55 AA" in f.message
