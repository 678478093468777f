"""Two `PT_LOAD` segments with different permissions share a page.

## What it does
Reports each pair of `PT_LOAD` segments with different `p_flags` whose virtual ranges
`[p_vaddr, p_vaddr + p_memsz)` touch the same page. The page size is the configured
`page-size` (default 4096 bytes).

## Why is this bad?
Memory is mapped with one set of permissions per page. A page holding the end of the
code segment and the start of the data segment must be mapped either writable
(code becomes writable) or not writable (the first write to data faults), or
executable or not. Limine refuses such kernels; Linux's ELF loader maps the page with
the later segment's permissions over the earlier one's.

Not reported for images whose permission flags nothing reads: a BIOS boot sector (an
ELF linked at 0x7C00 and turned into the sector with `objcopy -O binary`; the firmware
copies raw bytes) and an i386 executable linked wholly below 1 MiB with no
boot-protocol header (real-mode or flat code such as a stage 2 or Linux's `setup.elf`,
loaded raw by a boot sector). `ld -N` (`--omagic`), the usual way to link those,
makes `.text` writable and its one segment RWE, harmlessly.

Reported at `info` where the loader that maps the image applies no `p_flags`
(`kernlint.loaders`): an image booted through Multiboot 1 or 2 or Xen PVH only (a
configured `--boot-protocol`/`boot-protocol`, or a detected header or note) — GRUB
(`grub-core/loader/multiboot_elfxx.c`), QEMU `-kernel` (`hw/i386/multiboot.c`,
`include/hw/elf_ops.h` `load_elf`) and Limine's Multiboot loaders copy each `PT_LOAD`'s
bytes to `p_paddr` and enter with paging off, and the kernel then builds its own page
tables — or an image with no protocol that the project's build files or run scripts
start with `qemu-system-* -kernel IMAGE` (QEMU's ELF loader copies bytes on every
architecture), or a CMSIS-Pack flash algorithm (`.FLM`: sections `PrgCode`, `PrgData`,
`DevDscr`) that a debug probe copies into a microcontroller's RAM. The message says so
and what it assumes: a shared page matters only to a loader that maps by segment flags
with paging on, which would have to give the page both permission sets, and Limine
refuses the image. It stays a warning for a Limine-protocol kernel (a `.limine_requests`
section, or Limine's request or base-revision magic: `common/protos/limine.c` maps by
`p_flags`), a bootloader-api one (the rust-osdev bootloader,
`common/src/load_kernel.rs`), and where no loader is known (a program for Linux's ELF
loader, an object file).

## Example
```ld
PHDRS { text PT_LOAD FLAGS(5); data PT_LOAD FLAGS(6); }
SECTIONS {
  .text 0x100000 : { *(.text) } :text
  .data : { *(.data) } :data      /* starts in the page where .text ends */
}
```

## Use instead
```ld
  .text 0x100000 : { *(.text) } :text
  . = ALIGN(4K);
  .data : { *(.data) } :data
```

## References
- GRUB 2.06 `grub-core/loader/multiboot_elfxx.c`; QEMU 7.2 `hw/i386/multiboot.c`,
  `include/hw/elf_ops.h`; Limine `common/protos/limine.c`, `common/lib/elf.c`; rust-osdev
  `bootloader` `common/src/load_kernel.rs` (who applies `p_flags`; `kernlint.loaders`).
- Limine `PROTOCOL.md` / `common/lib/elf.c` (overlapping permissions per page).
- System V gABI, "Program Header" (`p_align`, page-sized mapping).
"""

from collections.abc import Iterator

from kernlint.context import IMAGE, Context
from kernlint.elf.constants import p_flags_text
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

ID = "KL106"
NAME = "mixed-permission-page"
SEVERITY = "warning"
APPLIES_TO = frozenset({IMAGE})

LOG_PATTERNS = (
    # Limine `common/lib/elf.c` (panic), printed after "PANIC: " (`common/lib/panic.s2.c`);
    # hand-typed from that source.
    LogPattern(
        "limine",
        r"elf: Attempted to load ELF file with PHDRs with different permissions sharing"
        r" the same memory page\.",
        "Limine refused the kernel: two PT_LOAD segments with different permissions touch"
        " the same 4 KiB page, and a page has one set of permissions. Start each segment"
        " on a page boundary in the script (`. = ALIGN(CONSTANT(MAXPAGESIZE));` before its"
        " first section); KL106 on the image names the segments and the page.",
        "PANIC: elf: Attempted to load ELF file with PHDRs with different permissions"
        " sharing the same memory page.",
        related=("KL205",),
    ),
    # rust-osdev bootloader 0.9 (`src/main.rs`, `page_table::map_kernel`): it maps each
    # segment's pages and panics when a page is mapped already, i.e. when two segments
    # share one page (fixed for same-frame mappings in 0.9.26). Hand-typed from the
    # posted line of rust-osdev/bootloader#236 (an `x86_64-unknown-none` kernel).
    LogPattern(
        "bootloader",
        r"kernel mapping failed: (?:Mapping\()?PageAlreadyMapped"
        r"(?:\(PhysFrame\[4KiB\]\((?P<frame>0x[0-9a-fA-F]+)\)\))?",
        "The rust-osdev bootloader 0.9 maps the kernel segment by segment and found a"
        " page that an earlier segment had mapped: two `PT_LOAD` segments share a page,"
        " as rust-lld lays them out for the built-in `x86_64-unknown-none` target. Start"
        " each segment on a page boundary (`. = ALIGN(4K);` between code and data in a"
        " linker script, or a custom target with `-z separate-loadable-segments`), or"
        " move to bootloader 0.11; KL106 on the image names the segments.",
        "panicked at 'kernel mapping failed: Mapping(PageAlreadyMapped(PhysFrame[4KiB]"
        "(0x401000)))', src\\main.rs:285:6",
        related=("KL205",),
    ),
)


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding per pair of differently-permissioned segments sharing a page."""
    from kernlint.bootsector.elf import raw_loaded

    if raw_loaded(ctx):
        return
    from kernlint.loaders import flag_use, harmless

    use = flag_use(ctx)
    image = ctx.image
    page = ctx.config.page_size
    segs = sorted((s for s in image.load_segments if s.p_memsz), key=lambda s: (s.p_vaddr, s.index))
    for i, a in enumerate(segs):
        a_last = (a.vend - 1) // page
        for b in segs[i + 1 :]:
            b_first = b.p_vaddr // page
            if b_first > a_last:
                break
            if a.p_flags == b.p_flags:
                continue
            shared = max(b_first, a.p_vaddr // page) * page
            message = (
                f"segment {a.index} ({p_flags_text(a.p_flags)}, ends {a.vend:#x}) and segment"
                f" {b.index} ({p_flags_text(b.p_flags)}, starts {b.p_vaddr:#x}) share the"
                f" {page}-byte page at {shared:#x}: it must be mapped with both permission sets"
            )
            if use.ignored:
                message += harmless(
                    use, "have to give that page both permission sets (Limine refuses the image)"
                )
            yield Finding(
                message,
                Location(segment=b.index, address=b.p_vaddr, offset=b.p_offset),
                severity="info" if use.ignored else "",
                fix=(
                    f"align the boundary between them to the page size: `. = ALIGN({page:#x});`"
                    " before the first output section of the second segment"
                ),
            )
