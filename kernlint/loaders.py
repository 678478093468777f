"""Which loader maps an image, and whether it applies the program headers' `p_flags`.

The permission rules (KL102, KL104 on an entry segment without `PF_X`; KL105, KL106,
KL109) describe what happens once something maps the image page by page with the
permissions its `PT_LOAD` entries ask for. Whether anything does depends on the loader,
which the image's boot protocol decides:

- **Copies bytes, paging off** (`p_flags` read by nothing): Multiboot 1 and 2 (the
  specifications require paging disabled at entry; GRUB 2.06
  `grub-core/loader/multiboot_elfxx.c` `grub_multiboot_load_elfXX` reads each `PT_LOAD`
  to `p_paddr` and never looks at `p_flags`; QEMU 7.2 `hw/i386/multiboot.c`
  `load_multiboot` loads the ELF through `load_elf` and `rom_copy`s it into one flat
  buffer; Limine's own Multiboot loaders use `elf32_load_elsewhere`/
  `elf64_load_elsewhere`, copies too), Xen PVH (32-bit protected mode, paging off: the
  Xen `hvm_start_info` boot ABI), and BIOS boot sectors. QEMU's generic `-kernel` ELF
  loader (`include/hw/elf_ops.h` `load_elf`: `rom_add_elf_program` at `p_paddr`;
  `p_flags` only picks the segment that translates `e_entry`) copies bytes as well, so
  a build that runs `qemu-system-* -kernel IMAGE` (see :mod:`kernlint.buildfacts`) and
  shows no other protocol counts here too.
- **Maps by flags, paging on**: the rust-osdev `bootloader` (bootloader-api,
  `common/src/load_kernel.rs` `handle_load_segment`: `NO_EXECUTE` unless `PF_X`,
  `WRITABLE` only with `PF_W`) and Limine's own protocol (`common/protos/limine.c`
  maps each range `VMM_FLAG_NOEXEC` without `PF_X`, `VMM_FLAG_WRITE` with `PF_W`;
  `common/lib/elf.c` panics on two segments with different permissions in one page).
  Limine has no `--boot-protocol` name: its requests are detected here
  (:func:`limine_evidence`).
- **Copied by a debug probe**: a CMSIS-Pack flash algorithm (`.FLM`, sections
  `PrgCode`, `PrgData`, `DevDscr`), which pyOCD, OpenOCD or Keil copy into a
  microcontroller's RAM (no MMU) and call.
- **Unknown**: no protocol configured or detected, no QEMU `-kernel` in the build. A
  user program under Linux's ELF loader, a UEFI-loaded ELF, a kernel's own module
  loader may honour the flags: the rules keep their severity.

:func:`flag_use` gives the verdict with the reason, for messages.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kernlint.boot.protocol import BIOS, BOOTLOADER_API, MULTIBOOT1, MULTIBOOT2, PVH

if TYPE_CHECKING:
    from kernlint.context import Context
    from kernlint.elf.model import Image

#: :attr:`FlagUse.verdict` values.
COPIES_BYTES = "copies-bytes"
MAPS_BY_FLAGS = "maps-by-flags"
UNKNOWN = "unknown"

#: The protocols whose loaders copy segments with paging off.
FLAG_BLIND_PROTOCOLS = frozenset({MULTIBOOT1, MULTIBOOT2, PVH, BIOS})
_PROTOCOL_NAMES = {
    MULTIBOOT1: "Multiboot 1",
    MULTIBOOT2: "Multiboot 2",
    PVH: "Xen PVH",
    BIOS: "BIOS boot sector",
}

#: The loaders of each protocol that copy bytes, for messages.
_LOADERS = {
    MULTIBOOT1: ("GRUB", "QEMU -kernel", "Limine"),
    MULTIBOOT2: ("GRUB", "Limine"),
    PVH: ("QEMU -kernel", "Xen", "cloud-hypervisor"),
    BIOS: (),
}

#: Limine's request and base-revision magics (`limine.h`: `LIMINE_COMMON_MAGIC`,
#: `LIMINE_BASE_REVISION(N)`), as the little-endian u64 pairs a kernel holds.
LIMINE_COMMON_MAGIC = struct.pack("<QQ", 0xC7B1DD30DF4C8B88, 0x0A82E883A194F07B)
LIMINE_BASE_REVISION_MAGIC = struct.pack("<QQ", 0xF9562B2D5C95A6C8, 0x6A7B384944536BDC)
#: Section names of Limine requests (`.limine_requests`, its start and end markers,
#: the older `.limine_reqs`).
LIMINE_SECTION_PREFIXES = (".limine_requests", ".limine_reqs")
#: Bytes of loaded file data searched for the magics, at most.
MAX_SCAN_BYTES = 64 * 1024 * 1024
EM_X86_64, EM_AARCH64, EM_RISCV, EM_LOONGARCH = 62, 183, 243, 258


@dataclass(frozen=True)
class FlagUse:
    """Whether a loader of the image applies `p_flags`: ``verdict`` is
    :data:`COPIES_BYTES`, :data:`MAPS_BY_FLAGS` or :data:`UNKNOWN`; ``why`` is a clause
    for messages ("it is loaded through Multiboot 2 (GRUB ...)")."""

    verdict: str
    why: str

    @property
    def ignored(self) -> bool:
        """True when no loader of the image applies `p_flags`."""
        return self.verdict == COPIES_BYTES


#: The last image :func:`limine_evidence` searched, and its answer: the rules of one
#: target ask in turn, so one entry saves the repeated scans.
_last_search: list = [None, None]


def limine_evidence(image: Image) -> str | None:
    """:func:`_limine_evidence`, remembered for the last image asked about."""
    if _last_search[0] is not image:
        _last_search[:] = [image, _limine_evidence(image)]
    return _last_search[1]


def _limine_evidence(image: Image) -> str | None:
    """Why ``image`` looks like a Limine-protocol kernel (a `.limine_requests*` or
    `.limine_reqs` section, or Limine's request or base-revision magic in a loaded
    `PT_LOAD` of a 64-bit x86-64, AArch64, RISC-V or LoongArch image), or None. The
    magic search reads at most :data:`MAX_SCAN_BYTES` of the file, through the
    reader's mapping (no copy)."""
    for sec in image.sections:
        if sec.name.startswith(LIMINE_SECTION_PREFIXES):
            return f"section {sec.name} (Limine requests)"
    if image.header.ei_class != 64 or image.header.e_machine not in (
        EM_X86_64,
        EM_AARCH64,
        EM_RISCV,
        EM_LOONGARCH,
    ):
        return None
    try:
        data = image.reader.mapping()
    except Exception:  # an unreadable file is no evidence of anything
        return None
    budget = MAX_SCAN_BYTES
    for seg in image.load_segments:
        if budget <= 0:
            break
        start = seg.p_offset
        end = min(start + seg.p_filesz, start + budget, len(data))
        budget -= max(0, end - start)
        for magic, what in (
            (LIMINE_BASE_REVISION_MAGIC, "Limine's base-revision magic"),
            (LIMINE_COMMON_MAGIC, "a Limine request"),
        ):
            at = data.find(magic, start, end)
            if at >= 0 and at % 8 == 0:
                return f"{what} at file offset {at:#x}"
    return None


#: The output sections of a CMSIS-Pack flash algorithm (`.FLM`): code, data, and the
#: `FlashDevice` description (Open-CMSIS-Pack documentation, "Flash Programming
#: Algorithms"; Keil's and pyOCD's flash loaders copy them to target RAM).
FLASH_ALGORITHM_SECTIONS = ("PrgCode", "DevDscr")


def _is_flash_algorithm(image: Image) -> bool:
    names = {s.name for s in image.sections}
    return all(n in names for n in FLASH_ALGORITHM_SECTIONS)


def flag_use(ctx: Context, *, build: bool = True) -> FlagUse:
    """Whether the loaders of ``ctx.image`` apply its `p_flags` (module docstring).
    With ``build``, a build file or run script that runs QEMU's `-kernel` on the image
    (by file name, :meth:`kernlint.buildfacts.BuildFacts.qemu_kernel_for`) decides an
    image that shows no protocol."""
    protocols = ctx.boot_protocols
    if BOOTLOADER_API in protocols:
        return FlagUse(
            MAPS_BY_FLAGS,
            "it is a bootloader-api kernel, and the rust-osdev bootloader maps each PT_LOAD"
            " with its p_flags (NO_EXECUTE without PF_X, WRITABLE only with PF_W;"
            " common/src/load_kernel.rs)",
        )
    image = ctx.image
    limine = limine_evidence(image) if image is not None else None
    if limine is not None:
        return FlagUse(
            MAPS_BY_FLAGS,
            f"it is a Limine-protocol kernel ({limine}), and Limine maps each PT_LOAD with"
            " its p_flags with paging on (no execute without PF_X, writable only with PF_W;"
            " common/protos/limine.c)",
        )
    if image is not None and not protocols and _is_flash_algorithm(image):
        return FlagUse(
            COPIES_BYTES,
            "it is a CMSIS-Pack flash algorithm (sections PrgCode, PrgData, DevDscr): the"
            " debug probe copies PrgCode and PrgData into the target's RAM and calls its"
            " functions there, with no MMU and no p_flags",
        )
    if protocols and protocols <= FLAG_BLIND_PROTOCOLS:
        names = " and ".join(_PROTOCOL_NAMES[p] for p in sorted(protocols))
        if protocols == {BIOS}:
            how = "the firmware copies the sector's raw bytes and runs them in real mode"
        else:
            loaders = ", ".join(dict.fromkeys(x for p in sorted(protocols) for x in _LOADERS[p]))
            how = (
                f"its loaders ({loaders}) copy each PT_LOAD's bytes to p_paddr and enter"
                " with paging off, so no p_flags reach the CPU before the kernel's own page"
                " tables"
            )
        return FlagUse(COPIES_BYTES, f"it is booted through {names}: {how}")
    if build and not protocols and image is not None:
        runner = ctx.build_facts.qemu_kernel_for(ctx.path)
        if runner is not None:
            runner = os.path.relpath(runner, os.path.dirname(os.path.abspath(ctx.path)))
            return FlagUse(
                COPIES_BYTES,
                f"{runner} runs it with QEMU -kernel, whose ELF loader copies each"
                " PT_LOAD's bytes to p_paddr and applies no p_flags (include/hw/elf_ops.h"
                " load_elf), so no p_flags reach the CPU before the kernel's own page tables",
            )
    return FlagUse(UNKNOWN, "")


#: What an info finding assumes, and when its flag would matter.
ASSUMED = (
    "assumed: no other loader maps it; Limine's own protocol, the rust-osdev bootloader,"
    " Linux's ELF loader, any loader that maps segments by p_flags with paging on, and a"
    " kernel that maps itself from its program headers would"
)


def harmless(use: FlagUse, consequence: str) -> str:
    """The sentence an info finding ends with: why the flags do not matter as the
    image is booted (``use.why``), what is assumed, and ``consequence`` (what a loader
    that maps by flags, or the kernel mapping itself, would then do)."""
    return f". Harmless as the image is loaded: {use.why} ({ASSUMED} {consequence})"
