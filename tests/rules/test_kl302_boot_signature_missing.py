import shutil
import subprocess

import pytest

from kernlint.config import Config
from kernlint.engine import run, select_rules
from tests.conftest import findings_of, sample, sample_dirs


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
