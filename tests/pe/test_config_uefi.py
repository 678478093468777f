"""The UEFI configuration keys: ``uefi-arch`` (top level and per target) and a target's
``uefi-application``."""

from __future__ import annotations

import os

import pytest

from kernlint.config import ConfigError, load_config


def test_uefi_keys(tmp_path):
    cfg = tmp_path / "kernlint.toml"
    cfg.write_text(
        'uefi-arch = "X64"\n'
        '[[target]]\nimage = "arm/BOOT.EFI"\nuefi-arch = "aa64"\nuefi-application = true\n'
    )
    config = load_config(cfg)
    arm = os.path.join(tmp_path, "arm", "BOOT.EFI")
    assert config.uefi_arch_for(arm) == "aa64"
    assert config.uefi_arch_for(str(tmp_path / "other.efi")) == "x64"
    assert config.uefi_application_for(arm) is True
    assert config.uefi_application_for(str(tmp_path / "other.efi")) is None


@pytest.mark.parametrize(
    "text,key",
    [
        ('uefi-arch = "x86_64"\n', "uefi-arch"),
        ('[[target]]\nimage = "a.efi"\nuefi-application = "yes"\n', "uefi-application"),
    ],
)
def test_bad_values_name_the_key(tmp_path, text, key):
    cfg = tmp_path / "kernlint.toml"
    cfg.write_text(text)
    with pytest.raises(ConfigError, match=key):
        load_config(cfg)


def test_cli_uefi_arch():
    from kernlint.cli import check
    from kernlint.pe.model import UEFI_ARCHES
    from tests.conftest import kernlint, sample

    (option,) = [p for p in check.params if p.name == "uefi_arch"]
    assert list(option.type.choices) == list(UEFI_ARCHES)
    image = str(sample("kl702", "good-x64.efi"))
    assert (
        kernlint("check", "--format", "json", "--uefi-arch", "x64", image).report["findings"] == []
    )
    run = kernlint("check", "--format", "json", "--uefi-arch", "AA64", image)
    assert run.code == 1 and run.rules == {"KL702"}
