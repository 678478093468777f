"""The committed KL4 samples, booted: each row states what the loader does with a
sample output, as RULES.md (KL4) and research/anchors-binary.md §2/§4 predict, and
checks that kernlint agrees.

A row boots ``samples/PATH`` with a loader (``qemu`` = ``qemu-system-x86_64 -kernel``,
``grub-multiboot``/``grub-multiboot2`` = GRUB 2.06's commands, ``grub-auto`` = the
command matching the file's header), asserts the loader's verbatim message or the
``KERNLINT-BOOT-OK`` marker of the sample's ``boot-ok.inc`` entry code, then runs
``kernlint check --format json PATH`` (with ``--config`` the folder's
``kernlint.toml`` when there is one) and asserts the row's rule (by default the
sample folder's) is reported, as an error or warning, exactly when the loader failed,
and that a file that loads draws no KL4 error. kernlint judges the file, not one
loader: where one loader accepts what another refuses, the accepting row says
``reported=True``.

KL412/KL413 (the rust-osdev ``bootloader`` crate's protocol) have no row: neither
GRUB nor QEMU ``-kernel`` speaks it. Rows whose file is not committed yet are skipped
with the planned name; a row naming a rule kernlint does not have yet is skipped
after the boot half passed.
Messages observed with qemu-system-x86 1:7.2+dfsg-7+deb12u18+b3 and grub-pc-bin
2.06-13+deb12u2 (see :mod:`tests.boot.oracle`).
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
    NO_MARKER,
    OUT_OF_MEMORY,
    PHDRS_TOO_HIGH,
    QEMU_FREAD,
    QEMU_LOAD_ADDR,
    QEMU_NO_PVH,
    QEMU_X86_64,
    RELOCATABLE_RANGE,
    RELOCS,
    UNSUPPORTED_FLAG_B,
    UNSUPPORTED_TAG_8,
    UNSUPPORTED_TAG_B,
    Expected,
    assert_kernlint,
    assert_outcome,
    boot_timeout,
    loader_failed,
    prefetch,
    run_loader,
)
from tests.conftest import SAMPLES

MB1 = ("--boot-protocol", "multiboot1")
MB2 = ("--boot-protocol", "multiboot2")
PVH = ("--boot-protocol", "pvh")


@dataclass(frozen=True)
class Row:
    """Boot ``samples/path`` (a glob pattern: ``kl407-*/bad-entry-outside.elf``, so
    that a renamed folder still matches) with ``loader``; expect
    ``expected``; kernlint (with ``args``) reports ``rule`` (default: the folder's)
    iff ``reported`` (default: iff the loader failed)."""

    path: str
    loader: str
    expected: Expected
    reported: bool | None = None
    rule: str | None = None
    args: tuple[str, ...] = ()
    #: A line the kernel must have printed on COM1 (a sample's own verdict).
    serial: str | None = None

    @property
    def must_report(self) -> bool:
        return loader_failed(self.expected) if self.reported is None else self.reported

    @property
    def rule_id(self) -> str:
        return self.rule or self.path.split("-", 1)[0].upper()


ROWS = [
    # KL401: header beyond the 32 KiB window.
    Row("kl401-*/bad-header-past-32k.elf", "grub-multiboot2", NO_HEADER),
    Row("kl401-*/good-header-first.elf", "grub-multiboot2", BOOTS),
    # KL402: GRUB does not take a bad checksum or architecture for a header at all.
    Row("kl402-*/bad-checksum.elf", "grub-multiboot2", NO_HEADER, args=MB2),
    Row("kl402-*/bad-arch4.elf", "grub-multiboot2", NO_HEADER, args=MB2),
    Row("kl402-*/bad-unknown-tag.elf", "grub-multiboot2", UNSUPPORTED_TAG_B),
    Row("kl402-*/bad-misaligned-tag.elf", "grub-multiboot2", UNSUPPORTED_TAG_8),
    Row("kl402-*/bad-reloc-range.elf", "grub-multiboot2", RELOCATABLE_RANGE),
    Row("kl402-*/bad-address-without-entry.elf", "grub-multiboot2", ADDRESS_WITHOUT_ENTRY),
    Row("kl402-*/good.elf", "grub-multiboot2", BOOTS),
    # KL403: the 8 KiB window, for GRUB and for QEMU -kernel.
    Row("kl403-*/bad-header-past-8k.elf", "grub-multiboot", NO_HEADER),
    Row("kl403-*/bad-header-past-8k.elf", "qemu", QEMU_NO_PVH),
    Row("kl403-*/good.elf", "grub-multiboot", BOOTS),
    Row("kl403-*/good.elf", "qemu", BOOTS),
    # KL404: QEMU does not see a header with a bad checksum; it ignores flag bits
    # 0x8 (GRUB prints the whole flags word). With the a.out kludge (flag 16) both
    # loaders trust the address fields: a wrong header_addr makes GRUB load the wrong
    # bytes (the guest resets) and QEMU read past the file.
    Row("kl404-*/bad-checksum.elf", "grub-multiboot", NO_HEADER, args=MB1),
    Row("kl404-*/bad-checksum.elf", "qemu", QEMU_NO_PVH, args=MB1),
    Row("kl404-*/bad-unsupported-flag.elf", "grub-multiboot", UNSUPPORTED_FLAG_B),
    Row("kl404-*/bad-unsupported-flag.elf", "qemu", BOOTS, reported=True),
    Row("kl404-*/bad-aout-header-addr.elf", "grub-multiboot", NO_MARKER),
    Row("kl404-*/bad-aout-header-addr.elf", "qemu", QEMU_FREAD),
    Row("kl404-*/bad-aout-load-addr.elf", "qemu", QEMU_LOAD_ADDR),
    Row("kl404-*/bad-aout-load-addr.elf", "grub-multiboot", BOOTS, reported=True),
    Row("kl404-*/good.elf", "grub-multiboot", BOOTS),
    Row("kl404-*/good.elf", "qemu", BOOTS),
    Row("kl404-*/good-aout.elf", "grub-multiboot", BOOTS),
    Row("kl404-*/good-aout.elf", "qemu", BOOTS),
    # KL405: any REL/RELA section under multiboot2; e_type alone proves nothing.
    Row("kl405-*/bad-pie-rela-dyn.elf", "grub-multiboot2", RELOCS),
    Row("kl405-*/bad-emit-relocs.elf", "grub-multiboot2", RELOCS),
    Row("kl405-*/good.elf", "grub-multiboot2", BOOTS),
    Row("kl405-*/good-pie-no-relocs.elf", "grub-multiboot2", BOOTS),
    # KL406: GRUB moves a relocatable image and patches nothing: the bad kernel runs,
    # reads its message through the link address, finds other bytes and says so
    # (``KERNLINT-MSG-WRONG``, exit status 37, instead of the success marker). Under
    # QEMU (PVH note) it is loaded at its link address and works.
    Row("kl406-*/bad-absolute.elf", "grub-multiboot2", NO_MARKER, serial="KERNLINT-MSG-WRONG"),
    Row("kl406-*/bad-absolute.elf", "qemu", BOOTS, reported=True),
    Row("kl406-*/good-pic.elf", "grub-multiboot2", BOOTS),
    Row("kl406-*/good-pic.elf", "qemu", BOOTS),
    # KL407: GRUB's segment lookup and 4 GiB limit. These samples also carry a PVH
    # note, so QEMU -kernel enters them through it, not through e_entry.
    Row("kl407-*/bad-higher-half-no-at.elf", "grub-multiboot2", CROSSES_4G),
    Row("kl407-*/bad-entry-outside.elf", "grub-multiboot2", ENTRY_OUTSIDE),
    Row("kl407-*/bad-entry-outside.elf", "qemu", BOOTS, reported=True),
    Row("kl407-*/good-higher-half-at.elf", "grub-multiboot2", BOOTS),
    Row("kl407-*/good-higher-half-at.elf", "qemu", BOOTS),
    # ... and its PVH entry, a higher-half symbol, is no 32-bit physical address.
    Row("kl407-*/bad-higher-half-no-at.elf", "qemu", HANGS, rule="KL411"),
    # KL408: what QEMU -kernel refuses and GRUB loads (a warning: reported either way).
    Row("kl408-*/bad-mb1-elf64.elf", "qemu", QEMU_X86_64),
    Row("kl408-*/bad-mb1-elf64.elf", "grub-multiboot", BOOTS, reported=True),
    Row("kl408-*/bad-mb2-only.elf", "qemu", QEMU_NO_PVH),
    Row("kl408-*/bad-mb2-only.elf", "grub-multiboot2", BOOTS, reported=True),
    Row("kl408-*/good-mb1-elf32.elf", "qemu", BOOTS),
    Row("kl408-*/good-mb1-elf32.elf", "grub-multiboot", BOOTS),
    Row("kl408-*/good-mb1-elf64-aout-kludge.elf", "qemu", BOOTS),
    Row("kl408-*/good-mb1-elf64-aout-kludge.elf", "grub-multiboot", BOOTS),
    Row("kl408-*/good-mb2-pvh.elf", "qemu", BOOTS),
    Row("kl408-*/good-mb2-pvh.elf", "grub-multiboot2", BOOTS),
    # KL409 (a warning): below 1 MiB. Linked at 0, GRUB copies it over the real-mode
    # IVT and the machine resets (no message); QEMU jumps there and hangs. At 64 KiB
    # GRUB runs it, QEMU's Multiboot option ROM does not (the guest resets).
    Row("kl409-*/bad-linked-at-0.elf", "grub-multiboot", NO_MARKER),
    Row("kl409-*/bad-linked-at-0.elf", "qemu", HANGS),
    Row("kl409-*/bad-load-below-1mib.elf", "grub-multiboot", BOOTS, reported=True),
    Row("kl409-*/bad-load-below-1mib.elf", "qemu", NO_MARKER),
    Row("kl409-*/good.elf", "grub-multiboot", BOOTS),
    Row("kl409-*/good.elf", "qemu", BOOTS),
    # KL410: the program header table past the search window.
    Row("kl410-*/bad-phdrs-far.elf", "grub-auto", PHDRS_TOO_HIGH),
    Row("kl410-*/bad-phdrs-far.elf", "qemu", BOOTS, reported=True),
    Row("kl410-*/good.elf", "grub-auto", BOOTS),
    # KL411: QEMU enters through the PVH note and checks nothing about the address;
    # it reads notes from PT_NOTE only, 4-byte aligned.
    Row("kl411-*/good-pvh.elf", "qemu", BOOTS),
    Row("kl411-*/good-pvh-elf64.elf", "qemu", BOOTS),
    Row("kl411-*/good-higher-half.elf", "qemu", BOOTS),
    Row("kl411-*/bad-entry-virtual.elf", "qemu", HANGS),
    Row("kl411-*/bad-note-align-8.elf", "qemu", HANGS),
    Row("kl411-*/bad-note-not-in-pt-note.elf", "qemu", QEMU_NO_PVH, args=PVH),
    # KL414: a higher-half ELF32 kernel without AT(): GRUB finds no RAM at p_paddr
    # (128 MiB on QEMU's pc machine); QEMU -kernel (64 MiB) jumps where nothing was
    # loaded. At 2 GiB it is a warning: machines with more RAM load it.
    Row("kl414-*/bad-higher-half-no-at.elf", "grub-multiboot", OUT_OF_MEMORY),
    Row("kl414-*/bad-higher-half-no-at.elf", "qemu", HANGS),
    Row("kl414-*/bad-higher-half-2g-no-at.elf", "grub-multiboot", OUT_OF_MEMORY),
    Row("kl414-*/bad-higher-half-2g-no-at.elf", "qemu", HANGS),
    Row("kl414-*/good-higher-half-at.elf", "grub-multiboot", BOOTS),
    Row("kl414-*/good-higher-half-at.elf", "qemu", BOOTS),
]


def kernlint_args(path, row: Row) -> tuple[str, ...]:
    """``--config`` the folder's ``kernlint.toml`` when there is one (it ties images to
    their objects, which KL406 needs; tests/test_samples.py uses it too), then the
    row's own arguments."""
    config = path.parent / "kernlint.toml"
    return ("--config", str(config), *row.args) if config.is_file() else row.args


@pytest.fixture(scope="module", autouse=True)
def _kernlint_in_one_go():
    """Lint every committed sample of the table up front, one process per argument
    set (the answers are the same as file by file, and ~20 s cheaper)."""
    prefetch((path, kernlint_args(path, row)) for row in ROWS for path in SAMPLES.glob(row.path))


def params():
    """One pytest param per (existing file, row); a skipped one per missing file."""
    for row in ROWS:
        found = sorted(SAMPLES.glob(row.path))
        ident = f"{row.path}@{row.loader}"
        if not found:
            reason = f"samples/{row.path} is not committed yet (planned)"
            yield pytest.param(row, row.path, id=ident, marks=pytest.mark.skip(reason=reason))
        for path in found:
            rel = str(path.relative_to(SAMPLES))
            yield pytest.param(row, rel, id=f"{rel}@{row.loader}")


@pytest.mark.parametrize(("row", "rel"), list(params()))
def test_sample_boot(row: Row, rel: str):
    path = SAMPLES / rel
    result = run_loader(path, row.loader, boot_timeout(row.expected))
    assert_outcome(result, row.expected, row.loader)
    if row.serial is not None:
        assert row.serial in result.serial.splitlines(), result.describe()
    assert_kernlint(path, row.rule_id, row.must_report, kernlint_args(path, row))
