"""A `PT_LOAD` segment is readable, writable and executable.

## What it does
Reports each `PT_LOAD` program header whose `p_flags` has `PF_R`, `PF_W` and `PF_X`
(`RWE` in `readelf -l`).

## Why is this bad?
A loader that honours `p_flags` maps the whole segment writable and executable: a
stray write can modify code, and data can be executed, which defeats W^X. It usually
means code and writable data were put in one segment because the linker script lacks
`PHDRS` or page alignment between them. binutils 2.39 and later warn about it ("has a
LOAD segment with RWX permissions"); many kernel builds silence that with
`--no-warn-rwx-segments`. Some boot stages (GRUB's `kernel.img`, Xen's and Linux's
init code) accept it knowingly.

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
and what it assumes: an RWX segment matters only to a loader that maps by segment flags
with paging on, which would map its code writable and its data executable. It stays a
warning for a Limine-protocol kernel (a `.limine_requests` section, or Limine's request
or base-revision magic: `common/protos/limine.c` maps by `p_flags`), a bootloader-api
one (the rust-osdev bootloader, `common/src/load_kernel.rs`), and where no loader is
known (a program for Linux's ELF loader, an object file).

## Example
```ld
SECTIONS {
  . = 0x100000;
  .text : { *(.text) }
  .data : { *(.data) }     /* same segment as .text: RWE */
}
```

## Use instead
```ld
PHDRS { text PT_LOAD FLAGS(5); data PT_LOAD FLAGS(6); }
SECTIONS {
  . = 0x100000;
  .text : { *(.text) } :text
  . = ALIGN(4K);
  .data : { *(.data) } :data
}
```

## References
- GRUB 2.06 `grub-core/loader/multiboot_elfxx.c`; QEMU 7.2 `hw/i386/multiboot.c`,
  `include/hw/elf_ops.h`; Limine `common/protos/limine.c`, `common/lib/elf.c`; rust-osdev
  `bootloader` `common/src/load_kernel.rs` (who applies `p_flags`; `kernlint.loaders`).
- GNU ld manual, `--warn-rwx-segments` (binutils 2.39 NEWS).
- System V gABI, "Program Header" (`p_flags`).
"""

from collections.abc import Iterator

from kernlint.context import IMAGE, Context
from kernlint.elf.facts import sections_in
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

ID = "KL105"
NAME = "rwx-segment"
SEVERITY = "warning"
APPLIES_TO = frozenset({IMAGE})

LOG_PATTERNS = (
    # GNU ld 2.40 (observed; binutils >= 2.39, ld.lld prints nothing).
    LogPattern(
        "ld",
        r"(?<!\S)(?P<output>\S+) has a LOAD segment with RWX permissions",
        "GNU ld put code and writable data in one PT_LOAD of {output}, so the whole"
        " segment is mapped readable, writable and executable. Give them separate"
        " segments (`PHDRS {{ text PT_LOAD FLAGS(5); data PT_LOAD FLAGS(6); }}`) with"
        " `. = ALIGN(4K);` between them; `--no-warn-rwx-segments` only hides the warning.",
        "ld: warning: rwx_bfd.elf has a LOAD segment with RWX permissions",
        related=("KL204", "KL205"),
    ),
)


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding per RWX PT_LOAD."""
    from kernlint.bootsector.elf import raw_loaded

    if raw_loaded(ctx):
        return
    from kernlint.loaders import flag_use, harmless

    use = flag_use(ctx)
    image = ctx.image
    for seg in image.load_segments:
        if seg.is_rwx:
            names = sections_in(image, seg)
            held = f" (holds {', '.join(names[:4])}{', ...' if len(names) > 4 else ''})"
            message = f"{image.segment_label(seg)} is readable, writable and executable" + (
                held if names else ""
            )
            if use.ignored:
                message += harmless(use, "map its code writable and its data executable")
            yield Finding(
                message,
                Location(segment=seg.index, address=seg.p_vaddr, offset=seg.p_offset),
                fix=(
                    "split code and writable data into separate PT_LOADs (PHDRS with FLAGS(5)"
                    " and FLAGS(6)) with `. = ALIGN(4K);` between them"
                ),
                severity="info" if use.ignored else "",
            )
