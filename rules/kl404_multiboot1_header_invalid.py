"""The Multiboot 1 header is there but a loader refuses it or loads the wrong bytes.

## What it does
Checks the Multiboot 1 header of images loaded with Multiboot 1 (requested, or
detected from the `0x1BADB002` magic) as GRUB 2.06 and QEMU 7.2 `-kernel` read it:

- a magic in the first 8192 bytes whose checksum is wrong (`magic + flags + checksum`
  must be 0 mod 2**32), when no valid header follows it: the finding gives the
  checksum that would be right. Without `--boot-protocol multiboot1`, such a magic
  counts only where the build says a header is meant: in a section or at a data
  symbol named like one (`.multiboot`, `.mb1`, `multiboot_header`, `mboot`,
  `mb_header`), or as the first bytes of the first loaded section; elsewhere it is a
  constant (a loader such as syslinux's `mboot.c32` holds `0x1BADB002` to check
  kernels for it) and nothing is reported;
- required flag bits GRUB does not know (`flags & 0x0000fff8`): GRUB refuses the
  image with "unsupported flag: 0x…" (it prints the whole flags word); with flags
  bit 2 a `mode_type` other than 0 or 1 ("unsupported graphical mode type");
- a.out-kludge address fields (flags bit 16) that cannot describe a load of this
  file, checked as QEMU does ("invalid load_addr address", "invalid header_addr
  address", "invalid load_end_addr address", "kernel does not fit in address space",
  "invalid bss_end_addr address", a load running past the end of the file: "fread()
  failed"; GRUB fails with "attempt to seek outside of the file." or "address is out
  of range." for some, and hangs for others), an `entry_addr` outside the loaded
  bytes, and a `header_addr` that
  disagrees with where the ELF program headers put the header: with the kludge the
  loaders ignore the program headers and copy the file from offset
  `header offset - (header_addr - load_addr)`.

A flat (non-ELF) file named with `--boot-protocol multiboot1` gets the same checks
of its header and a.out kludge (against the file's size), and one more: a header
without flags bit 16, with which both loaders read the file as ELF (GRUB: "invalid
arch-dependent ELF magic."; QEMU: "Error while loading elf kernel").

A missing header (none in the window at all, or one pushed further in) is KL403's.

## Why is this bad?
GRUB answers "no multiboot header found." for a bad checksum, which hides the cause;
unknown required flags stop it before loading. Wrong a.out-kludge fields are worse:
GRUB checks none of them, copies whatever bytes they select and jumps to
`entry_addr`, so the kernel runs shifted code and crashes with no message, while
QEMU `-kernel` refuses the same image with a one-line error.

## Example
```asm
.set FLAGS, 0x00010003                  # a.out kludge
mb1_header:
    .long 0x1BADB002, FLAGS, -(0x1BADB002 + FLAGS)
    .long 0x00100000                    # header_addr: a constant, but the header
    .long _kernel_start, _edata, _end, _start   # is not first in the image
```

## Use instead
```asm
mb1_header:
    .long 0x1BADB002, FLAGS, -(0x1BADB002 + FLAGS)   # checksum from the assembler
    .long mb1_header                    # header_addr: the header's own address
    .long _kernel_start, _edata, _end, _start
```
Let the assembler compute the checksum; keep the required flags to bits 0-2 (page
alignment, memory map, video mode); for an ELF kernel drop the kludge (flags bit 16)
unless you need it (an ELF64 kernel for QEMU `-kernel`), and then derive every address
from symbols of the linker script.

## References
- Multiboot Specification 0.6.96, §3.1.2 "The magic fields of Multiboot header" and
  §3.1.3 "The address fields of Multiboot header" ("load_addr must be less than or
  equal to header_addr").
- GRUB 2.06 `grub-core/loader/i386/multiboot_mbi.c` (`UNSUPPORTED_FLAGS 0x0000fff8`,
  "unsupported flag: 0x%x", the a.out-kludge load in `load_kernel`).
- QEMU 7.2 `hw/i386/multiboot.c` (`load_multiboot`).
- `research/anchors-binary.md` §2.1, §2.4 and §4 (G2, Q4).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from kernlint.boot.protocol import MULTIBOOT1, named
from kernlint.context import FLAT_KERNEL, IMAGE, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

if TYPE_CHECKING:
    from kernlint.boot.headers import BootHeaders
    from kernlint.boot.multiboot1 import Multiboot1Header


ID = "KL404"
NAME = "multiboot1-header-invalid"
SEVERITY = "error"
APPLIES_TO = frozenset({IMAGE, FLAT_KERNEL})

_QEMU_EXPLAIN = (
    "QEMU -kernel found a Multiboot 1 header with the a.out kludge (flags bit 16) whose"
    " address fields cannot describe a load of the file, and exits before the guest"
    " runs. Derive header_addr, load_addr, load_end_addr, bss_end_addr and entry_addr"
    " from linker-script symbols (header_addr = the header's own label), or drop the"
    " kludge for an ELF32 kernel."
)

LOG_PATTERNS = (
    LogPattern(
        "grub",
        r"unsupported flag: 0x(?P<flags>[0-9a-fA-F]+)",
        "GRUB's `multiboot` command refuses the header because its flags word {flags} sets"
        " required bits (0-15) it does not implement: only bits 0 (page-align modules),"
        " 1 (memory map) and 2 (video mode) exist. Clear the others (bits 16-31 are the"
        " optional ones) and recompute the checksum as -(magic + flags).",
        "error: unsupported flag: 0xb.",
    ),
    LogPattern(
        "grub",
        r"unsupported graphical mode type (?P<mode_type>\d+)",
        "GRUB's `multiboot` command refuses a header with flags bit 2 (video mode) whose"
        " mode_type {mode_type} is neither 0 (linear graphics) nor 1 (EGA text). Set"
        " mode_type at header offset 32 to 0 or 1, or clear flags bit 2.",
        "error: unsupported graphical mode type 2.",
    ),
    # GRUB Legacy 0.97 (`stage2/boot.c` `load_image`: ERR_EXEC_FORMAT when it finds no
    # Multiboot header it accepts in the first 8 KiB and the file is no Linux or BSD
    # kernel it knows); hand-typed from the posted lines of littleosbook/littleosbook#11
    # and #76. A missing header (KL403) gives the same message.
    LogPattern(
        "grub",
        r"(?<!\w)Error 13: (?i:invalid or unsupported executable format)",
        "GRUB Legacy found no Multiboot header it accepts in the first 8192 bytes of the"
        " file: none there (pushed out by the sections before it, or dropped; KL403), or"
        " one whose checksum does not add up (`magic + flags + checksum` must be 0;"
        " KL404). Pass the image with `--artifacts` to tell which; GRUB Legacy also"
        " refuses ELF64 kernels without the a.out kludge, which no rule checks.",
        "Error 13: Invalid or unsupported executable format",
        alternatives=("KL403",),
    ),
    *(
        LogPattern(
            "qemu",
            rf"(?:^|: ){message}$",
            _QEMU_EXPLAIN,
            f"qemu-system-x86_64: {message.replace(chr(92), '')}",
        )
        for message in (
            "invalid load_addr address",
            "invalid header_addr address",
            "invalid load_end_addr address",
            "invalid bss_end_addr address",
            "kernel does not fit in address space",
            "invalid kernel_file_size",
            r"fread\(\) failed",
            # Older QEMU releases name the fields with their `mh_` prefix (research §4 Q4).
            "invalid mh_load_addr address",
            "invalid mh_load_end_addr address",
            "invalid mh_bss_end_addr address",
        )
    ),
)

_FLAG_BITS = "bits 0 (page-align modules), 1 (memory map) and 2 (video mode)"


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding per problem of the header GRUB takes, or of the bad-checksum
    magics when GRUB takes none."""
    from kernlint.boot import multiboot1

    flat = ctx.flat_kernel
    if flat is not None:  # a flat (non-ELF) file named as a Multiboot 1 kernel
        headers, taken = None, flat.grub_multiboot1
        candidates = flat.multiboot1
    else:
        headers = ctx.boot_headers
        if headers is None or MULTIBOOT1 not in ctx.boot_protocols:
            return
        taken = headers.grub_multiboot1
        requested = named(ctx.config.protocol_for(ctx.path), MULTIBOOT1)
        candidates = headers.claimed_multiboot1(requested) if taken is None else ()
    if taken is None:
        for h in candidates:
            if not h.checksum_ok:
                yield _finding(
                    headers,
                    h,
                    f"the Multiboot 1 header at file offset {h.offset:#x} has checksum"
                    f" {h.checksum:#010x}, should be {h.expected_checksum:#010x} for flags"
                    f" {h.flags:#010x} (magic + flags + checksum must be 0 mod 2**32; the sum"
                    f" is {(multiboot1.MAGIC + h.flags + h.checksum) & 0xFFFFFFFF:#x});"
                    ' GRUB: "no multiboot header found."; QEMU -kernel does not see a'
                    " Multiboot image",
                    "let the assembler compute it: `.long -(0x1BADB002 + FLAGS)` right after"
                    " `.long FLAGS`, with FLAGS a symbol used in both places",
                )
        return
    if taken.unsupported_flags:
        yield _finding(
            headers,
            taken,
            f"the Multiboot 1 header at file offset {taken.offset:#x} has flags"
            f" {taken.flags:#010x}: required bits {taken.unsupported_flags:#x} (in"
            f" 0x0000fff8) are ones GRUB 2.06 does not implement (it knows {_FLAG_BITS};"
            f' bits 16-31 are optional); GRUB: "unsupported flag: {taken.flags:#x}."'
            " (QEMU -kernel ignores them)",
            f"clear bits {taken.unsupported_flags:#x}: flags"
            f" {taken.flags & ~multiboot1.GRUB_UNSUPPORTED & 0xFFFFFFFF:#010x}, with the"
            " checksum recomputed as -(0x1BADB002 + flags)",
        )
    elif taken.grub_refusal:
        yield _finding(
            headers,
            taken,
            f"the Multiboot 1 header at file offset {taken.offset:#x} sets flags bit 2"
            f" (video mode) with mode_type {taken.video[0]}, neither 0 (linear graphics)"
            f' nor 1 (EGA text); GRUB: "{taken.grub_refusal}."',
            "set mode_type (header offset 32) to 0 or 1, or clear flags bit 2",
        )
    if taken.aout is not None:
        yield from _aout(ctx, headers, taken)
    elif flat is not None and not taken.flags & multiboot1.FLAG_AOUT_KLUDGE:
        yield _finding(
            headers,
            taken,
            f"the Multiboot 1 header at file offset {taken.offset:#x} has flags"
            f" {taken.flags:#010x}, without bit 16 (the a.out kludge), and this file is not"
            " ELF: without the address fields both loaders read it as an ELF file; GRUB:"
            ' "invalid arch-dependent ELF magic."; QEMU -kernel: "Error while loading elf'
            ' kernel"',
            "set flags bit 16 and follow the checksum with the address fields (NASM, `org"
            " 0x100000`): `dd header, $$, load_end, bss_end, entry` (header_addr,"
            " load_addr, load_end_addr, bss_end_addr, entry_addr); recompute the checksum"
            " as -(0x1BADB002 + flags)",
        )
    elif taken.truncated and taken.flags & multiboot1.FLAG_AOUT_KLUDGE:
        yield _finding(
            headers,
            taken,
            f"flags bit 16 (a.out kludge) is set in the Multiboot 1 header at file offset"
            f" {taken.offset:#x}, but the file ends before its 20 bytes of address fields",
            "clear flags bit 16 or add the five address fields after the checksum",
        )


def _aout(ctx: Context, headers: BootHeaders | None, h: Multiboot1Header) -> Iterator[Finding]:
    from kernlint.boot import multiboot1

    image = ctx.image
    size = ctx.flat_kernel.size if ctx.flat_kernel is not None else image.size
    k = h.aout
    fix = (
        "derive the fields from symbols: header_addr = the header's own label, load_addr ="
        " the first loaded address, load_end_addr = the end of the file bytes (_edata),"
        " bss_end_addr = the end of .bss (_end), entry_addr = the entry symbol"
    )
    for problem in multiboot1.aout_problems(k, h.offset, size):
        yield _finding(
            headers, h, f"a.out kludge of the Multiboot 1 header at {h.offset:#x}: {problem}", fix
        )
    if image is None:
        return  # a flat file: no program headers to agree with
    seg = next(
        (
            s
            for s in image.load_segments
            if s.p_filesz and s.p_offset <= h.offset < s.p_offset + s.p_filesz
        ),
        None,
    )
    if seg is None:
        return
    where = seg.p_paddr + (h.offset - seg.p_offset)
    if k.header_addr != where:
        text_offset = h.offset - (k.header_addr - k.load_addr)
        shift = k.header_addr - where
        yield _finding(
            headers,
            h,
            f"a.out kludge of the Multiboot 1 header at {h.offset:#x}: header_addr is"
            f" {k.header_addr:#x}, but the program headers load the header at {where:#x}"
            f" ({image.segment_label(seg)}); with the kludge GRUB and QEMU ignore the"
            f" program headers and copy the file from offset {text_offset:#x} to"
            f" load_addr {k.load_addr:#x}, so every byte lands {abs(shift):#x} bytes"
            f" {'below' if shift < 0 else 'above'} where the code was linked to run and"
            f" entry_addr {k.entry_addr:#x} jumps into the wrong bytes",
            f"set header_addr to the header's own address ({where:#x}, e.g. `.long mb1_header`)",
        )


def _finding(headers: BootHeaders | None, h: Multiboot1Header, message: str, fix: str) -> Finding:
    """The finding at the header ``h``: with its section, address and symbol in an ELF
    image, at its file offset alone in a flat file (``headers`` None)."""
    from kernlint.boot.headers import placement

    if headers is None:
        return Finding(message, Location(offset=h.offset), fix=fix)
    where = placement(headers, h.offset)
    return Finding(
        message,
        Location(
            section=where.section, address=where.address, offset=h.offset, symbol=where.symbol
        ),
        fix=fix,
    )
