"""Which boot protocols an image is meant for.

``--boot-protocol`` / ``boot-protocol`` name one (``multiboot1``, ``multiboot2``,
``pvh``, ``bootloader-api``, ``bios``) or ``none``; ``auto`` (the default) detects them
from the image: a Multiboot 1 or 2 magic at an aligned offset in the loader's search
window, or one with a zero checksum further into a ``PT_LOAD``; a Xen note of type 18
or 19; a ``.bootloader-config`` section or ``__BOOTLOADER_CONFIG`` symbol (the
rust-osdev ``bootloader`` crate, v0.11+); a boot sector (an ELF linked at 0x7c00 ending
in ``55 AA``, see :mod:`kernlint.bootsector.elf`). An image may carry several (Xen has
Multiboot 1 and 2 headers and a PVH note).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kernlint.boot.headers import BootHeaders

MULTIBOOT1 = "multiboot1"
MULTIBOOT2 = "multiboot2"
PVH = "pvh"
BOOTLOADER_API = "bootloader-api"
BIOS = "bios"
#: The section and symbol the ``bootloader_api::entry_point!`` macro emits.
BOOTLOADER_CONFIG_SECTION = ".bootloader-config"
BOOTLOADER_CONFIG_SYMBOL = "__BOOTLOADER_CONFIG"


def detect(headers: BootHeaders, is_boot_sector: bool = False) -> frozenset[str]:
    """The protocols ``headers.image`` shows signs of (see the module docstring)."""
    found: set[str] = set()
    if any(h.in_window for h in headers.multiboot1):
        found.add(MULTIBOOT1)
    if any(h.in_window for h in headers.multiboot2):
        found.add(MULTIBOOT2)
    if headers.pvh is not None:
        found.add(PVH)
    image = headers.image
    if image.section_by_name(BOOTLOADER_CONFIG_SECTION) is not None or image.symbols.named(
        BOOTLOADER_CONFIG_SYMBOL
    ):
        found.add(BOOTLOADER_API)
    if is_boot_sector:
        found.add(BIOS)
    if not found:
        mb1, mb2 = headers.beyond_window
        if mb1:
            found.add(MULTIBOOT1)
        if mb2:
            found.add(MULTIBOOT2)
    return frozenset(found)


def resolve(requested: str | None, detected) -> frozenset[str]:
    """The protocols to check: ``requested`` alone when one is named, none for
    ``none``, else ``detected()`` (a callable, so detection runs only when needed)."""
    if requested in (None, "auto"):
        return detected()
    if requested == "none":
        return frozenset()
    return frozenset({requested})
