"""A kernel for the rust-osdev `bootloader` has dynamic relocations it cannot apply.

## What it does
For an image meant for the rust-osdev `bootloader` crate, v0.11 or later (protocol
`bootloader-api`), follows what the bootloader's ELF loader does with each
`PT_DYNAMIC` segment and `PT_TLS` program header, and reports what would stop it:

- more than one `PT_TLS` ("multiple TLS segments not supported");
- a `DT_RELA`, `DT_RELASZ` or `DT_RELAENT` entry given twice, `DT_RELA` missing while
  the other two are there, `DT_RELASZ` or `DT_RELAENT` missing ("RelaSize entry is
  missing"), `DT_RELAENT` other than 24 ("unsupported entry size: N");
- a relocation table outside every `PT_LOAD` (it is read through the kernel's mapping:
  "address is not mapped to the kernel's memory space");
- relocations that name a symbol (symbol index ≠ 0: "relocations using the symbol table
  are not supported"), of any type but `R_X86_64_RELATIVE` ("relocation type 1 not
  supported"), or patching an address in no `PT_LOAD` ("offset is not in load
  segment"); counted per kind, the first one located (entry, `r_offset`, type, symbol);
- `DT_REL`, `DT_RELR` or `DT_JMPREL` tables, which the loader never reads: their
  relocations are silently not applied.

It runs on ET_EXEC and ET_DYN images alike (the loader applies `DT_RELA` for both) and
says nothing about an image without `PT_DYNAMIC`.

## Why is this bad?
The bootloader maps a PIE kernel at an address of its choosing and then patches it
itself: `R_X86_64_RELATIVE` (base + addend) is the only relocation it implements, and
it has no symbol table to resolve against. Every other case is a panic on the boot
screen after the config was read, before the kernel's first instruction; an ignored
table leaves pointers at their link-time values, which fails later and silently. A
symbolic `R_X86_64_64` appears when a PIE references a symbol the link could not bind
locally: an undefined weak symbol (an optional hook), or one left undefined with
`-z undefs`/`--unresolved-symbols`.

## Example
```asm
    .weak   ext_handler
    .section .data.rel.ro, "aw"
handlers:
    .quad   ext_handler        # ld.lld -pie: R_X86_64_64 against ext_handler
```

## Use instead
Define the symbol (a default handler), or take its address only when it is defined at
link time (`--defsym ext_handler=default_handler`); give symbols hidden visibility
(`-fvisibility=hidden`, `.hidden`) so that references resolve to `R_X86_64_RELATIVE`;
link without `-z pack-relative-relocs` (no `DT_RELR`) and with `-z now` and no PLT
(`-fno-plt`), or as a static non-PIE executable.

## References
- rust-osdev/bootloader `common/src/load_kernel.rs` @ b970f7d: `load_segments` l.118
  (TLS); `handle_dynamic_segment` l.531-603 (l.554/561/568 duplicates, l.580, l.585,
  l.586, l.589-593 entry size); `read_relocation` l.606-622 and `copy_from` l.314;
  `apply_relocation` l.624-659 (l.630-633 symbol index, l.637 type 8, l.655 other
  types); `check_is_in_load` l.701-713.
- rust-osdev/bootloader `common/src/lib.rs` @ 2e9fe88, `set_up_mappings` l.207
  (`.expect("no entry point")`: how each `Err` above is printed).
- System V psABI x86-64, "Relocation Types"; gABI "Dynamic Section".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from kernlint.context import IMAGE, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

if TYPE_CHECKING:
    pass

ID = "KL413"
NAME = "bootloader-api-relocation"
SEVERITY = "error"
APPLIES_TO = frozenset({IMAGE})


LOG_PATTERNS = (
    # Hand-typed from common/src/load_kernel.rs l.630-633 (an assert_eq! message).
    LogPattern(
        "bootloader",
        r"relocations using the symbol table are not supported",
        "A dynamic relocation of the PIE kernel names a symbol (an undefined weak symbol,"
        " or one left undefined at link time), and the rust-osdev bootloader applies only"
        " symbol-less R_X86_64_RELATIVE relocations. Define the symbol or make it hidden so"
        " the linker resolves it; `readelf -r` on the kernel shows the relocation.",
        "ERROR:    panicked at 'assertion failed: `(left == right)`\\n  left: `1`,\\n right:"
        " `0`: relocations using the symbol table are not supported',"
        " common/src/load_kernel.rs:630:9",
    ),
    # Hand-typed from common/src/load_kernel.rs l.655 (unimplemented! prefixes
    # "not implemented: "; the type is printed in hex).
    LogPattern(
        "bootloader",
        r"relocation type (?P<type>[0-9a-f]+) not supported",
        "The PIE kernel has a dynamic relocation of type {type} (hex), and the rust-osdev"
        " bootloader implements only R_X86_64_RELATIVE (8). Find it with `readelf -r` and"
        " remove its cause: a GOT or PLT entry for a preemptible symbol, a TLS or copy"
        " relocation.",
        "ERROR:    panicked at 'not implemented: relocation type 1 not supported',"
        " common/src/load_kernel.rs:655:23",
    ),
    # Hand-typed from common/src/load_kernel.rs (the Err strings) and common/src/lib.rs
    # l.207 (`.expect("no entry point")` prints them in Debug form).
    LogPattern(
        "bootloader",
        r"no entry point: \"(?P<error>multiple TLS segments not supported|offset is not in"
        r" load segment|RelaSize entry is missing|RelaEnt entry is missing|Rela entry is"
        r" missing but RelaSize or RelaEnt have been provided|Dynamic section contains more"
        r" than one \w+ entry)\"",
        "The rust-osdev bootloader's ELF loader refused the kernel's program headers or"
        " dynamic section ({error}). It takes one PT_TLS, and a DT_RELA table with"
        " DT_RELASZ and DT_RELAENT = 24 whose relocations patch addresses inside PT_LOAD"
        " segments: fix the linker script or link options that produced the others.",
        "ERROR:    panicked at 'no entry point: \"multiple TLS segments not supported\"',"
        " common/src/lib.rs:207:6",
    ),
    # Hand-typed from common/src/load_kernel.rs l.589-593.
    LogPattern(
        "bootloader",
        r"unsupported entry size: (?P<size>\d+)",
        "The kernel's DT_RELAENT says its relocation records are {size} bytes, and the"
        " rust-osdev bootloader reads only 24-byte Elf64_Rela records. Link the kernel as"
        " an x86-64 ELF64 with RELA relocations (the default of ld.lld and GNU ld).",
        "ERROR:    panicked at 'assertion failed: `(left == right)`\\n  left: `16`,\\n right:"
        " `24`: unsupported entry size: 16', common/src/load_kernel.rs:589:9",
    ),
)

_FIXES = {
    "tls": "keep one PT_TLS: put `.tdata` and `.tbss` together, one `PT_TLS` in PHDRS",
    "dynamic32": "build the kernel for x86-64 (ELF64); the bootloader loads no ELF32 kernel",
    "duplicate": "link with one `.rela.dyn` table (do not add DT_RELA entries by hand)",
    "rela-missing": "drop the stray DT_RELASZ/DT_RELAENT entries or keep `.rela.dyn`",
    "relasz-missing": "let the linker write the dynamic section (it emits DT_RELASZ)",
    "relaent-missing": "let the linker write the dynamic section (it emits DT_RELAENT = 24)",
    "relaent": "link an x86-64 ELF64 kernel with RELA relocations (DT_RELAENT = 24)",
    "table-unmapped": (
        "keep `.rela.dyn` in a loaded segment (do not /DISCARD/ it or leave it out of PHDRS)"
    ),
    "symbol": (
        "define the symbol, or give it hidden visibility (`.hidden`, `-fvisibility=hidden`)"
        " so the linker emits R_X86_64_RELATIVE; an undefined weak reference needs a"
        " default definition"
    ),
    "type": (
        "link so that only R_X86_64_RELATIVE remains: `-z now`, `-fno-plt`, hidden"
        " visibility, no TLS or copy relocations; or link a static non-PIE kernel"
    ),
    "outside-load": (
        "keep every section holding pointers inside a PT_LOAD (check PHDRS and `:NONE`)"
    ),
    "ignored-table": (
        "link so that all dynamic relocations go to `.rela.dyn` (DT_RELA): no"
        " `-z pack-relative-relocs`, `-z now` with no PLT, RELA (not REL) relocations"
    ),
}


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding per problem kind the bootloader's loader would stop at."""
    from kernlint.boot.protocol import BOOTLOADER_API

    if BOOTLOADER_API not in ctx.boot_protocols:
        return
    from kernlint.boot import bootloader_api as api

    for problem in api.loader_problems(ctx.image):
        if problem.kind == "ignored-table":
            outcome = "the bootloader never applies them"
        else:
            outcome = f"the bootloader panics: `{problem.panic}`"
        held = ctx.image.sections_at(problem.address) if problem.address is not None else []
        yield Finding(
            f"{problem.detail}; {outcome}",
            Location(
                section=held[0].name if held else problem.section,
                segment=problem.segment,
                address=problem.address,
            ),
            fix=_FIXES[problem.kind],
        )
