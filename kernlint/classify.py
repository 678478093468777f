"""Decide what each input path is, by content first and by name second (DESIGN.md,
"Classify"), and expand directories."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass

from kernlint.elf.constants import is_elf

#: Bytes of a BIOS boot sector (kernlint.bootsector.layout.SECTOR_SIZE; repeated here
#: so that classifying a script or a source does not import the boot-sector readers).
SECTOR_SIZE = 512

#: File-name endings that promise an ELF file; such a file without the ELF magic is
#: malformed input (KL001), not an unrecognised one.
ELF_SUFFIXES = (".elf", ".o", ".ko", ".so", ".mod", ".axf", ".efi.debug")

#: File-name endings of linker-script templates, longest first: the C-preprocessor
#: templates of Linux, Xen, TF-A (``.ld.S``, ``.lds.S``), OpenSBI (``.ldS``), the
#: ``.in`` files of autoconf/meson/cargo build scripts (limine, cortex-m-rt, embassy,
#: NuttX, RIOT), and the ``.template``/``.tpl`` files of asterinas, NuttX, TF-A and the
#: pico-sdk (``.template.ld``).
TEMPLATE_SUFFIXES = (
    ".ld.S.tpl",
    ".lds.S.tpl",
    ".ld.template",
    ".lds.template",
    ".template.ld",
    ".ld.tpl",
    ".lds.tpl",
    ".ld.in",
    ".lds.in",
    ".x.in",
    ".ld.S",
    ".lds.S",
    ".ldS",
)

#: File-name endings of GNU ld linker scripts and their templates (DESIGN.md,
#: "Classify"): ``.ldscript`` is coreboot's libpayload's, the template endings
#: (``.ld.S``, ``.ldS``, ``.ld.in``, ``.x.in``, ``.ld.template``, ...) are
#: :data:`TEMPLATE_SUFFIXES`. Checked before the source
#: endings, since ``.lds.S`` ends in ``.S``. Whether a file is a template is decided
#: from its text when it is read (KL217).
SCRIPT_SUFFIXES = (".ld", ".lds", ".x", ".ldscript", *TEMPLATE_SUFFIXES)

#: File-name endings of sources whose assembly kernlint reads (KL6): GNU as (``.S``
#: is preprocessed assembly, read textually), NASM, Rust (``global_asm!``/``asm!``/
#: ``naked_asm!``) and C/C++ (top-level ``__asm__``).
SOURCE_SUFFIXES = (".S", ".s", ".asm", ".nasm", ".rs", ".c", ".cc", ".cpp", ".cxx")

_SKIP_DIRS = {".git", ".hg", ".svn", "__pycache__", ".venv", "node_modules"}


@dataclass(frozen=True)
class Target:
    """A path to lint and its kind: ``image`` (ELF magic), ``not-elf`` (named like an ELF
    file but is not one), ``script`` (a script or a template of one) or ``source`` (by
    name: :data:`SCRIPT_SUFFIXES`,
    :data:`SOURCE_SUFFIXES`), ``boot-sector`` (by content: 512 bytes ending in
    ``55 AA``), ``pe-image`` (by content: ``MZ`` and ``PE\\0\\0`` at ``e_lfanew``, whatever
    the name), or ``unknown``.
    ``explicit`` is True when the user named the file rather than a directory holding it."""

    path: str
    kind: str
    explicit: bool


def classify(path: str, explicit: bool = True) -> Target:
    """Classify one file by its first bytes and its name. An unreadable file is
    classified ``image`` so that the reader reports why it cannot be read."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
            if os.fstat(f.fileno()).st_size == SECTOR_SIZE:
                head += f.read(SECTOR_SIZE - 4)
            if head[:2] == b"MZ":  # a PE/COFF image (UEFI), whatever its name
                from kernlint.pe import pe_signature_offset

                if pe_signature_offset(f) is not None:
                    return Target(path, "pe-image", explicit)
    except OSError:
        return Target(path, "image", explicit)
    if is_elf(head):
        return Target(path, "image", explicit)
    if path.endswith(ELF_SUFFIXES):
        return Target(path, "not-elf", explicit)
    if path.endswith(SCRIPT_SUFFIXES):
        return Target(path, "script", explicit)
    if path.endswith(SOURCE_SUFFIXES):
        return Target(path, "source", explicit)
    if len(head) == SECTOR_SIZE:
        from kernlint.bootsector import is_boot_sector

        if is_boot_sector(head, len(head)):
            return Target(path, "boot-sector", explicit)
    return Target(path, "unknown", explicit)


def expand(paths: list[str]) -> Iterator[Target]:
    """Targets for ``paths``: files as given; directories walked in sorted order,
    skipping VCS and cache folders and dangling symbolic links (a link to a file the
    build has not made yet, such as x86-bare-metal-examples' `*.img.sym`: not an input).
    A path that does not exist, or a dangling link named outright, is yielded as an
    image target so that the reader reports it (KL001)."""
    for path in paths:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
                for name in sorted(files):
                    found = os.path.join(root, name)
                    if os.path.islink(found) and not os.path.exists(found):
                        continue
                    yield classify(found, explicit=False)
        else:
            yield classify(path, explicit=True)
