"""A section is both writable and executable.

## What it does
Reports sections whose `sh_flags` has both `SHF_WRITE` and `SHF_EXECINSTR` (`WAX` in
`readelf -S`), in linked images and object files.

## Why is this bad?
Such a section forces the segment that holds it to be writable and executable (see
KL105), and usually comes from a flags typo (`"awx"` for `"ax"`) or from code and data
mixed in one section. Self-modifying boot code exists, but it should be a small,
deliberate exception, not the whole text.

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
and what it assumes: a W+X section matters only to a loader that maps by segment flags
with paging on, which would map it writable and executable where its segment is. It
stays a warning for a Limine-protocol kernel (a `.limine_requests` section, or Limine's
request or base-revision magic: `common/protos/limine.c` maps by `p_flags`), a
bootloader-api one (the rust-osdev bootloader, `common/src/load_kernel.rs`), and where
no loader is known (a program for Linux's ELF loader, an object file).

## Example
```asm
    .section .boot, "awx", @progbits
```

## Use instead
```asm
    .section .boot, "ax", @progbits      # code
    .section .boot.data, "aw", @progbits # its variables
```

## References
- GRUB 2.06 `grub-core/loader/multiboot_elfxx.c`; QEMU 7.2 `hw/i386/multiboot.c`,
  `include/hw/elf_ops.h`; Limine `common/protos/limine.c`, `common/lib/elf.c`; rust-osdev
  `bootloader` `common/src/load_kernel.rs` (who applies `p_flags`; `kernlint.loaders`).
- GAS manual, "`.section name`" (ELF version): flags `a`, `w`, `x`.
- System V gABI, "Sections" (`SHF_WRITE`, `SHF_EXECINSTR`).
"""

from collections.abc import Iterator

from kernlint.context import IMAGE, Context
from kernlint.elf.facts import is_executable_file
from kernlint.finding import Finding, Location

ID = "KL109"
NAME = "writable-executable-section"
SEVERITY = "warning"
APPLIES_TO = frozenset({IMAGE})


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding per W+X section."""
    from kernlint.bootsector.elf import raw_loaded

    if raw_loaded(ctx):
        return
    from kernlint.loaders import flag_use, harmless

    image = ctx.image
    linked = is_executable_file(image)
    use = flag_use(ctx) if linked else None
    for sec in image.sections:
        if sec.index and sec.is_write and sec.is_exec:
            message = f"{sec.label()} is both writable and executable (SHF_WRITE|SHF_EXECINSTR)"
            ignored = use is not None and use.ignored
            if ignored:
                message += harmless(use, "map it writable and executable, if its segment is")
            yield Finding(
                message,
                Location(
                    section=sec.name, address=sec.sh_addr if linked else None, offset=sec.sh_offset
                ),
                fix=(
                    f'drop the `w` flag: `.section {sec.name}, "ax", @progbits`, and move its'
                    ' variables to a separate `"aw"` section'
                ),
                severity="info" if ignored else "",
            )
