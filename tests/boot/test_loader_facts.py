"""What GRUB 2.06 and QEMU 7.2 do with each KL4 defect, on kernels built here, and
whether kernlint agrees.

Each row builds a minimal kernel of :mod:`tests.boot.kernels` that has exactly one
defect (or none), boots it, asserts the loader's verbatim message (or the success
marker), and then checks kernlint: it must report the row's rule exactly when the
loader refuses the file (``reported`` overrides this where one loader accepts what
another refuses, or where the kernel runs but misbehaves). These kernels are not the
rule authors' samples (``test_samples_boot.py`` boots those), so the two tables check
the rules on independent inputs.

Observed (qemu-system-x86 1:7.2+dfsg-7+deb12u18+b3, grub-pc-bin 2.06-13+deb12u2),
beyond research/anchors-binary.md: QEMU ``-kernel`` ignores Multiboot 1 requirement
bit 3 (it boots what GRUB refuses with ``unsupported flag: 0x8``) and does not check
the program header offset; when ``e_entry`` lies in no segment, or the entry segment
is not executable while ``p_vaddr != p_paddr``, QEMU jumps to the untranslated
address and the guest hangs without a message; a PVH note outside any ``PT_NOTE``
(unallocated ``.note.Xen``) is not seen.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.boot.oracle import (
    ADDRESS_WITHOUT_ENTRY,
    BOOTS,
    CROSSES_4G,
    ENTRY_OUTSIDE,
    HANGS,
    NO_HEADER,
    NOT_RIGHT_TYPE,
    PHDRS_TOO_HIGH,
    QEMU_NO_PVH,
    QEMU_X86_64,
    RELOCATABLE_RANGE,
    RELOCS,
    UNSUPPORTED_FLAG_8,
    UNSUPPORTED_FLAG_B,
    UNSUPPORTED_TAG_B,
    Expected,
    assert_kernlint,
    assert_outcome,
    boot_timeout,
    loader_failed,
    prefetch,
    run_loader,
)

MB1 = ("--boot-protocol", "multiboot1")
MB2 = ("--boot-protocol", "multiboot2")
PVH = ("--boot-protocol", "pvh")


@dataclass(frozen=True)
class Fact:
    """Boot kernel ``name`` with ``loader``; expect ``expected``; kernlint (run with
    ``args``) reports ``rule`` iff ``reported`` (default: iff the loader failed)."""

    name: str
    loader: str
    expected: Expected
    rule: str
    reported: bool | None = None
    args: tuple[str, ...] = ()

    @property
    def must_report(self) -> bool:
        return loader_failed(self.expected) if self.reported is None else self.reported


FACTS = [
    # KL401: the Multiboot 2 search window is the first 32 KiB.
    Fact("mb2-past-32k", "grub-multiboot2", NO_HEADER, "KL401"),
    Fact("mb2-within-32k", "grub-multiboot2", BOOTS, "KL401"),
    # KL402: a header GRUB finds but rejects, or does not recognise as one. A wrong
    # checksum or architecture is not a header for GRUB (nor for auto-detection).
    Fact("mb2-bad-checksum", "grub-multiboot2", NO_HEADER, "KL402", args=MB2),
    Fact("mb2-arch4", "grub-multiboot2", NO_HEADER, "KL402", args=MB2),
    Fact("mb2-unknown-tag", "grub-multiboot2", UNSUPPORTED_TAG_B, "KL402"),
    Fact("mb2-unknown-optional-tag", "grub-multiboot2", BOOTS, "KL402"),
    Fact("mb2-address-no-entry", "grub-multiboot2", ADDRESS_WITHOUT_ENTRY, "KL402"),
    Fact("mb2-relocatable-range", "grub-multiboot2", RELOCATABLE_RANGE, "KL402"),
    # KL403: the Multiboot 1 window is the first 8 KiB, for GRUB and QEMU alike.
    Fact("mb1-past-8k", "grub-multiboot", NO_HEADER, "KL403"),
    Fact("mb1-past-8k", "qemu", QEMU_NO_PVH, "KL403"),
    # KL404: QEMU ignores requirement bit 3; GRUB refuses it, naming the whole word.
    Fact("mb1-bad-checksum", "grub-multiboot", NO_HEADER, "KL404", args=MB1),
    Fact("mb1-bad-checksum", "qemu", QEMU_NO_PVH, "KL404", args=MB1),
    Fact("mb1-flag8", "grub-multiboot", UNSUPPORTED_FLAG_8, "KL404"),
    Fact("mb1-flag8", "qemu", BOOTS, "KL404", reported=True),
    Fact("mb1-flags-b", "grub-multiboot", UNSUPPORTED_FLAG_B, "KL404"),
    # KL405: any SHT_REL/SHT_RELA section, or ET_REL, under multiboot2.
    Fact("mb2-emit-relocs", "grub-multiboot2", RELOCS, "KL405"),
    Fact("mb2-pie-rela", "grub-multiboot2", RELOCS, "KL405"),
    # An object gets no auto-detected protocol (kernlint lints .o files for other
    # rules): booting one is a mistake KL405 names when multiboot2 is requested.
    Fact("mb2-elf32.o", "grub-multiboot2", NOT_RIGHT_TYPE, "KL405", args=MB2),
    Fact("mb2-elf64", "grub-multiboot2", BOOTS, "KL405"),
    # KL407: GRUB's entry translation and 4 GiB limit; QEMU's PF_X condition.
    Fact("mb2-higher-half-no-at", "grub-multiboot2", CROSSES_4G, "KL407"),
    Fact("mb2-higher-half-at", "grub-multiboot2", BOOTS, "KL407"),
    Fact("mb2-entry-outside", "grub-multiboot2", ENTRY_OUTSIDE, "KL407"),
    Fact("mb1-entry-outside", "grub-multiboot", ENTRY_OUTSIDE, "KL407"),
    Fact("mb1-entry-outside", "qemu", HANGS, "KL407"),
    Fact("mb1-higher-half-not-x", "qemu", HANGS, "KL407"),
    Fact("mb1-higher-half-not-x", "grub-multiboot", BOOTS, "KL407", reported=True),
    # KL408: QEMU -kernel loads Multiboot 1 ELF32 (or any ELF with the a.out kludge).
    Fact("mb1-elf64", "qemu", QEMU_X86_64, "KL408"),
    Fact("mb1-elf64", "grub-multiboot", BOOTS, "KL408", reported=True),
    Fact("mb2-elf64", "qemu", QEMU_NO_PVH, "KL408"),
    Fact("mb2-elf32", "qemu", QEMU_NO_PVH, "KL408"),
    Fact("mb1-elf64-aout-kludge", "qemu", BOOTS, "KL408"),
    Fact("mb1-elf32", "qemu", BOOTS, "KL408"),
    # KL410: the program header table must end inside the search window.
    Fact("mb2-phdrs-far", "grub-multiboot2", PHDRS_TOO_HIGH, "KL410"),
    Fact("mb1-phdrs-far", "grub-multiboot", PHDRS_TOO_HIGH, "KL410"),
    Fact("mb1-phdrs-far", "qemu", BOOTS, "KL410", reported=True),
    # KL411: QEMU enters through the note's address, unchecked; it reads notes from
    # PT_NOTE only.
    Fact("pvh-elf32", "qemu", BOOTS, "KL411"),
    Fact("pvh-entry-outside", "qemu", HANGS, "KL411"),
    Fact("pvh-note-not-allocated", "qemu", QEMU_NO_PVH, "KL411", args=PVH),
]


@pytest.fixture(scope="module", autouse=True)
def _kernlint_in_one_go(kernel):
    """Build every kernel of the table and lint them all up front, one kernlint
    process per argument set."""
    prefetch((kernel(f.name), f.args) for f in FACTS)


@pytest.mark.parametrize("fact", FACTS, ids=lambda f: f"{f.rule}-{f.name}-{f.loader}")
def test_loader_fact(kernel, fact: Fact):
    image = kernel(fact.name)
    result = run_loader(image, fact.loader, boot_timeout(fact.expected))
    assert_outcome(result, fact.expected, fact.loader)
    assert_kernlint(image, fact.rule, fact.must_report, fact.args)


def absolute_byte(serial: str) -> str:
    """The line the ``ABSOLUTE_READ`` kernel printed before ``KERNLINT-BOOT-OK``."""
    lines = serial.splitlines()
    return lines[lines.index("KERNLINT-BOOT-OK") - 1]


def test_relocatable_tag_moves_bytes_but_patches_nothing(kernel):
    """KL406: with the relocatable tag (min 2 MiB) GRUB loads the image above its link
    address (1 MiB) and patches no absolute reference: ``movb msg, %al`` reads the
    link address, not ``"X"``. The same code without the tag prints ``X``."""
    moved = run_loader(kernel("mb2-relocatable-absolute"), "grub-multiboot2")
    control = run_loader(kernel("mb2-absolute"), "grub-multiboot2")
    assert_outcome(moved, BOOTS, "grub-multiboot2")
    assert_outcome(control, BOOTS, "grub-multiboot2")
    assert absolute_byte(control.serial) == "X", control.describe()
    assert absolute_byte(moved.serial) != "X", moved.describe()
    objects = ("--objects", str(kernel("mb2-relocatable-absolute.o")))
    assert_kernlint(kernel("mb2-relocatable-absolute"), "KL406", True, objects)
    objects = ("--objects", str(kernel("mb2-absolute.o")))
    assert_kernlint(kernel("mb2-absolute"), "KL406", False, objects)
