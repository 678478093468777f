import os
import shutil

from kernlint.config import Config
from kernlint.engine import run, select_rules
from tests.conftest import findings_of, sample


def test_console_subsystem_is_refused():
    (f,) = findings_of(sample("kl701", "bad-console.efi"), "KL701")
    assert f.message.startswith("Subsystem is 3 (Windows console)")
    assert "`Not Found`" in f.message


def test_driver_is_reported_only_where_it_is_started_as_an_application(tmp_path):
    driver = sample("kl701", "bad-driver.efi")
    assert findings_of(driver, "KL701") == []  # a driver, used as one (Shell `load`)
    boot = tmp_path / "EFI" / "BOOT"
    boot.mkdir(parents=True)
    shutil.copy(driver, boot / "BOOTX64.EFI")
    (f,) = findings_of(boot / "BOOTX64.EFI", "KL701")
    assert "the boot manager starts BOOTX64.EFI as an application" in f.message
    config = Config(target_uefi_applications=((os.path.abspath(driver), True),))
    (f,) = run([str(driver)], select_rules(["KL701"]), config).findings
    assert "uefi-application = true" in f.message


def test_other_pe_files_are_not_judged(tmp_path):
    """A Windows program (not named .efi, no EFI subsystem) is no UEFI image."""
    exe = tmp_path / "tool.exe"
    shutil.copy(sample("kl701", "bad-console.efi"), exe)
    assert run([str(exe)], select_rules(["KL7", "pedantic"])).findings == []


def test_application_is_silent():
    assert findings_of(sample("kl701", "good-application.efi"), "KL701") == []
