"""Ground truth for the KL7 rules: every sample output booted in OVMF 2022.11 as
``\\EFI\\BOOT\\BOOTX64.EFI`` (tests/support/ovmf.py), and kernlint run on the same
file under the same name. Each case asserts both what the firmware did (booted,
refused with the quoted status, or faulted) and what kernlint says (the rule, or
nothing). Boots are cached by content, so only changed images are booted again; the
first run boots the 24 images two at a time (~90 s on 2 CPUs)."""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, kernlint
from tests.support import ovmf


@dataclass(frozen=True)
class Case:
    folder: str
    name: str
    #: "boots", "load:<status>" / "start:<status>" (the boot manager's refusal), or
    #: "fault:<exception type prefix>".
    ovmf: str
    #: The rule kernlint reports (None: no finding at all), and whether it is opt-in.
    rule: str | None
    pedantic: bool = False

    @property
    def path(self) -> Path:
        return ROOT / "samples" / self.folder / self.name


CASES = [
    Case("kl701-efi-subsystem-wrong", "bad-console.efi", "load:Not Found", "KL701"),
    Case("kl701-efi-subsystem-wrong", "bad-driver.efi", "load:Not Found", "KL701"),
    Case("kl701-efi-subsystem-wrong", "good-application.efi", "boots", None),
    Case("kl702-efi-machine-mismatch", "bad-aa64.efi", "load:Unsupported", "KL702"),
    Case("kl702-efi-machine-mismatch", "bad-ia32.efi", "start:Unsupported", "KL702"),
    Case("kl702-efi-machine-mismatch", "good-x64.efi", "boots", None),
    Case("kl703-efi-relocations-stripped", "bad-fixed.efi", "load:Not Found", "KL703"),
    Case("kl703-efi-relocations-stripped", "good-dynamic.efi", "boots", None),
    Case("kl704-efi-relocation-block-invalid", "bad-size0.efi", "load:Load Error", "KL704"),
    Case("kl704-efi-relocation-block-invalid", "bad-overrun.efi", "load:Load Error", "KL704"),
    Case("kl704-efi-relocation-block-invalid", "good-linked.efi", "boots", None),
    Case("kl705-efi-section-outside-image", "bad-short-image.efi", "load:Load Error", "KL705"),
    Case("kl705-efi-section-outside-image", "good-linked.efi", "boots", None),
    Case("kl706-efi-headers-inconsistent", "bad-truncated.efi", "load:Unsupported", "KL706"),
    Case("kl706-efi-headers-inconsistent", "good-whole.efi", "boots", None),
    Case("kl707-efi-entry-not-executable", "bad-entry-data.efi", "fault:0E", "KL707"),
    Case("kl707-efi-entry-not-executable", "good-entry-code.efi", "boots", None),
    Case("kl708-efi-image-is-elf", "bad-gnuefi-so.efi", "load:Not Found", "KL708"),
    Case("kl708-efi-image-is-elf", "good-gnuefi.efi", "boots", None),
    # Policy rules: OVMF 2022.11 boots these, kernlint warns (KL709) or, opt-in, notes.
    Case("kl709-efi-writable-executable-section", "bad-wx.efi", "boots", "KL709"),
    Case("kl709-efi-writable-executable-section", "good-split.efi", "boots", None),
    Case("kl710-efi-nx-compat-missing", "bad-no-nxcompat.efi", "boots", "KL710", True),
    Case("kl710-efi-nx-compat-missing", "good-nxcompat.efi", "boots", None, True),
    Case("kl711-efi-section-alignment", "bad-align512.efi", "boots", "KL711", True),
    Case("kl711-efi-section-alignment", "good-align4k.efi", "boots", None, True),
]


@pytest.fixture(scope="module")
def boots() -> dict[Path, ovmf.OvmfResult]:
    """Every case's image booted (or taken from the cache), two QEMUs at a time."""
    ovmf.require()
    paths = sorted({c.path for c in CASES})
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(paths, pool.map(ovmf.ovmf_boot, paths), strict=True))


def _assert_firmware(result: ovmf.OvmfResult, expected: str, what: str) -> None:
    if expected == "boots":
        assert result.booted, (what, result.serial[-2000:])
        return
    assert not result.booted, what
    kind, _, value = expected.partition(":")
    if kind == "fault":
        assert result.started and result.exception, (what, result.serial[-2000:])
        assert result.exception.startswith(value), (what, result.exception)
    else:
        assert (result.step, result.status) == (kind, value), (what, result.serial[-2000:])
        assert result.failure_line is not None


def _kernlint_on_esp(case: Case, tmp_path: Path):
    """kernlint on the image as the firmware sees it: ``EFI/BOOT/BOOTX64.EFI``."""
    esp = tmp_path / "EFI" / "BOOT"
    esp.mkdir(parents=True)
    target = esp / "BOOTX64.EFI"
    shutil.copy(case.path, target)
    select = ["--select", case.rule or case.folder[:5].upper()] if case.pedantic else []
    return kernlint("check", "--format", "json", *select, str(target), cwd=tmp_path)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.folder[:5]}-{c.name}")
def test_firmware_and_kernlint_agree(case: Case, boots, tmp_path):
    _assert_firmware(boots[case.path], case.ovmf, case.name)
    run = _kernlint_on_esp(case, tmp_path)
    if case.rule is None:
        assert run.report["findings"] == [], run.report["findings"]
        return
    assert run.rules == {case.rule}, run.report["findings"]
    severities = {f["severity"] for f in run.report["findings"]}
    # What OVMF refuses is an error; what it boots is at most a warning (policy).
    assert severities == ({"warning"} if case.ovmf == "boots" else {"error"}), severities


def test_section_below_image_base_objcopy(tmp_path):
    """The unified-kernel-image mistake, with the real objcopy: a section added below
    the stub's ImageBase. objcopy warns, OVMF says Load Error, kernlint reports
    KL705 naming the section. (Not committed as a sample: objcopy writes a new time
    stamp each run, so this image is booted afresh each time.)"""
    if not shutil.which("objcopy"):
        pytest.skip("objcopy is not installed")
    payload = tmp_path / "payload.bin"
    payload.write_bytes(b"KERNLINT")
    out = tmp_path / "uki.efi"
    proc = subprocess.run(
        [
            "objcopy",
            "--add-section",
            f".linux={payload}",
            "--set-section-flags",
            ".linux=contents,alloc,load,readonly,data",
            "--change-section-vma",
            ".linux=0x100000",
            str(ROOT / "samples/kl705-efi-section-outside-image/good-linked.efi"),
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert ".linux: section below image base" in proc.stderr
    _assert_firmware(ovmf.ovmf_boot(out), "load:Load Error", out.name)
    run = kernlint("check", "--format", "json", str(out), cwd=tmp_path)
    (finding,) = run.report["findings"]
    assert finding["rule"] == "KL705" and finding["location"]["section"] == ".linux"
    assert "placed below ImageBase" in finding["message"]


@pytest.mark.parametrize(
    "name,expected,rule",
    [("bad-aa64.efi", "boots", None), ("good-x64.efi", "load:Unsupported", "KL702")],
)
def test_aavmf_runs_only_aarch64_images(name, expected, rule, tmp_path):
    """The other side of KL702, in Debian's AAVMF 2022.11 (qemu-system-aarch64, virt):
    the AArch64 build boots as BOOTAA64.EFI, the x64 one is refused (this release
    build prints no `Image type X64 can't be loaded on AARCH64 UEFI system.`)."""
    image = ROOT / "samples" / "kl702-efi-machine-mismatch" / name
    _assert_firmware(ovmf.ovmf_boot(image, firmware=ovmf.AA64), expected, name)
    target = tmp_path / "EFI" / "BOOT" / "BOOTAA64.EFI"
    target.parent.mkdir(parents=True)
    shutil.copy(image, target)
    run = kernlint("check", "--format", "json", str(target), cwd=tmp_path)
    assert run.rules == ({rule} if rule else set()), run.report["findings"]
