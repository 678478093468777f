"""Which boot protocols an image is meant for.

``--boot-protocol`` / ``boot-protocol`` name one (``multiboot1``, ``multiboot2``,
``pvh``, ``bootloader-api``, ``bios``) or ``none``; ``auto`` (the default) detects them
from the image: a Multiboot 1 or 2 header in the loader's search window (an aligned
magic with a zero checksum, or one whose checksum fails where the build says a header
is meant: see :meth:`kernlint.boot.headers.BootHeaders.meant_as_header`; a bare magic
elsewhere is a constant, such as a loader's ``cmp $0x1BADB002``), or one with a zero
checksum further into the file's loaded bytes; a Xen note of type 18
or 19; a ``.bootloader-config`` section or ``__BOOTLOADER_CONFIG`` symbol (the
rust-osdev ``bootloader`` crate, v0.11+); a boot sector (an ELF linked at 0x7c00 ending
in ``55 AA``, see :mod:`kernlint.bootsector.elf`). An image may carry several (Xen has
Multiboot 1 and 2 headers and a PVH note).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kernlint.boot.headers import BootHeaders

MULTIBOOT1 = "multiboot1"
MULTIBOOT2 = "multiboot2"
PVH = "pvh"
BOOTLOADER_API = "bootloader-api"
BIOS = "bios"
#: The section and symbol the ``bootloader_api::entry_point!`` macro emits (the same
#: as :mod:`kernlint.boot.bootloader_api`'s ``SECTION`` and ``SYMBOL``; spelled out
#: here so that the rules can import the protocol names without the decoder).
BOOTLOADER_CONFIG_SECTION = ".bootloader-config"
BOOTLOADER_CONFIG_SYMBOL = "__BOOTLOADER_CONFIG"


def detect(headers: BootHeaders, is_boot_sector: bool = False) -> frozenset[str]:
    """The protocols ``headers.image`` shows signs of (see the module docstring)."""
    found: set[str] = set()
    if headers.claimed_multiboot1():
        found.add(MULTIBOOT1)
    if headers.claimed_multiboot2():
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
    if (MULTIBOOT1 not in found or MULTIBOOT2 not in found) and (
        not found or _names_a_header(image)
    ):
        # A valid header pushed past its window still says which protocol was meant,
        # also beside a PVH note or the other protocol's header. The scan reads every
        # loaded byte, so an image that already shows another protocol (Linux's PVH
        # note) is scanned only when a section or symbol is named like a header.
        mb1, mb2 = headers.beyond_window
        if mb1:
            found.add(MULTIBOOT1)
        if mb2:
            found.add(MULTIBOOT2)
    return frozenset(found)


#: Section and symbol names of Multiboot headers (`.multiboot`, `.mb2_header`,
#: `multiboot_header`, `mboot`, `mb_header`, `.mb1`, `.boot.header`...).
HEADER_NAME = re.compile(
    rb"multiboot|mboot|mb[12]?_?h(?:dr|eader)|mb[12]_?h|\bmb[12]\b|boot.?header", re.I
)


def names_a_header(name: str) -> bool:
    """Is ``name`` (a section's or symbol's) named like a Multiboot header's?"""
    return HEADER_NAME.search(name.encode()) is not None


def _names_a_header(image) -> bool:
    """Does a section or symbol name look like a Multiboot header's?"""
    if any(names_a_header(s.name) for s in image.sections):
        return True
    return image.symbols.search_names(HEADER_NAME)


def named(requested: str | None, protocol: str) -> bool:
    """Was ``protocol`` named (``--boot-protocol``, ``boot-protocol``, a target's
    ``boot-protocol``) rather than detected? ``requested`` is
    :meth:`kernlint.config.Config.protocol_for`'s answer."""
    return requested == protocol


def resolve(requested: str | None, detected) -> frozenset[str]:
    """The protocols to check: ``requested`` alone when one is named, none for
    ``none``, else ``detected()`` (a callable, so detection runs only when needed)."""
    if requested in (None, "auto"):
        return detected()
    if requested == "none":
        return frozenset()
    return frozenset({requested})
