"""How a PE image is used, from what the run knows: the configuration (``uefi-arch``,
a target's ``uefi-application``) and the file's name (UEFI 2.10, 3.5.1.1 "Removable
Media Boot Behavior": the boot manager starts ``\\EFI\\BOOT\\BOOT<ARCH>.EFI`` as an
application on a machine of that architecture). The KL7 rules ask here before judging
anything that depends on use, and stay silent when nothing says."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING

from kernlint.pe.model import UEFI_ARCHES

if TYPE_CHECKING:
    from kernlint.context import Context

#: ``BOOTX64.EFI``, ``bootaa64.efi``, ... (FAT names are case-insensitive).
_BOOT_NAME = re.compile(r"boot(" + "|".join(UEFI_ARCHES) + r")\.efi", re.I)


def removable_media_arch(path: str) -> str | None:
    """The architecture a ``BOOT<ARCH>.EFI`` file name promises (``x64``), or None."""
    m = _BOOT_NAME.fullmatch(os.path.basename(path))
    return m.group(1).lower() if m else None


def expected_arch(ctx: Context) -> tuple[str, str] | None:
    """(architecture, why) the image must run on: the configuration's ``uefi-arch``,
    else its ``BOOT<ARCH>.EFI`` name; None when neither says."""
    arch = ctx.config.uefi_arch_for(ctx.path)
    if arch is not None:
        return arch, f"uefi-arch = {arch!r}"
    arch = removable_media_arch(ctx.path)
    if arch is not None:
        return arch, f"its name, {os.path.basename(ctx.path)}"
    return None


def used_as_application(ctx: Context) -> tuple[bool, str] | None:
    """(whether the firmware starts the image as an application, why): a target's
    ``uefi-application``, else True for a ``BOOT<ARCH>.EFI`` name; None when unknown
    (a driver is loaded with the Shell's ``load`` or a ``Driver####`` variable)."""
    value = ctx.config.uefi_application_for(ctx.path)
    if value is not None:
        return value, f"uefi-application = {str(value).lower()}"
    if removable_media_arch(ctx.path) is not None:
        name = os.path.basename(ctx.path)
        return True, f"the boot manager starts {name} as an application"
    return None


def meant_for_uefi(ctx: Context) -> bool:
    """Whether the PE image is a UEFI image: an EFI subsystem (10-13), a ``.efi`` name,
    or configuration naming a UEFI architecture or use for it. Other PE files (Windows
    programs and DLLs) are not judged by the KL7 rules."""
    pe = ctx.pe
    if pe is not None and pe.is_efi:
        return True
    if ctx.path.lower().endswith(".efi"):
        return True
    return (
        ctx.config.uefi_arch_for(ctx.path) is not None
        or ctx.config.uefi_application_for(ctx.path) is not None
    )


def va(ctx: Context, rva: int) -> int:
    """The virtual address of ``rva`` at the image's preferred ``ImageBase`` (what
    ``objdump -h`` shows), modulo 2**64."""
    assert ctx.pe is not None
    return (ctx.pe.ImageBase + rva) & (2**64 - 1)
