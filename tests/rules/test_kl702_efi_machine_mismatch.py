import shutil

from kernlint.config import Config
from kernlint.engine import run, select_rules
from tests.conftest import findings_of, sample


def test_configured_arch():
    image = sample("kl702", "bad-aa64.efi")
    assert findings_of(image, "KL702") == []  # nothing says which firmware
    (f,) = run([str(image)], select_rules(["KL702"]), Config(uefi_arch="x64")).findings
    assert "Machine is 0xaa64 (AA64), but uefi-arch = 'x64'" in f.message


def test_removable_media_name(tmp_path):
    aa64 = sample("kl702", "bad-aa64.efi")
    shutil.copy(aa64, tmp_path / "BOOTX64.EFI")
    shutil.copy(aa64, tmp_path / "bootaa64.efi")
    (f,) = findings_of(tmp_path / "BOOTX64.EFI", "KL702")
    assert "its name, BOOTX64.EFI" in f.message and "BOOTAA64.EFI" in f.fix
    assert findings_of(tmp_path / "bootaa64.efi", "KL702") == []


def test_ia32_on_x64():
    image = sample("kl702", "bad-ia32.efi")
    (f,) = run([str(image)], select_rules(["KL702"]), Config(uefi_arch="x64")).findings
    assert "0x014c (IA32)" in f.message


def test_right_machine_is_silent():
    image = sample("kl702", "good-x64.efi")
    assert run([str(image)], select_rules(["KL702"]), Config(uefi_arch="x64")).findings == []
