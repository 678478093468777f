"""An allocated section holds code but is not executable.

## What it does
Finds allocated sections that hold code — an `STT_FUNC` symbol is defined in them, or
they contain `e_entry` — but lack `SHF_EXECINSTR`; and, in linked images, sections
with `SHF_EXECINSTR` that lie only in `PT_LOAD` segments without `PF_X`. Runs on
linked images (ET_EXEC, ET_DYN) and on object files (ET_REL). On an object the linker
script decides, as for KL602: merged into an output section with executable inputs
(`.text : { *(.text .text.*) }` takes NASM's `A`-only `.text.foo` into an `AX`
section) or discarded, nothing is reported; alone or orphaned, reported naming the
script; no script found, a warning.

In a linked image the segment decides, because the CPU executes by segment (page)
permissions, not section flags: a code section without `SHF_EXECINSTR` in a
`PT_LOAD` without `PF_X` is an error; one that a `PF_X` (`R E` or `RWE`) segment
holds runs, and is reported at `info` only (the flag still matters to `objdump -d`
and to links that place sections by their flags), and only for function symbols:
for an entry alone, KL104 says it.

Code in a segment without `PF_X` is an error where a loader may map the image by its
`p_flags` (a Limine-protocol or bootloader-api kernel, or no protocol known), and
`info` where the image is booted only through Multiboot 1 or 2, Xen PVH or as a BIOS
boot sector: those loaders copy bytes and enter with paging off, so the code runs
until the kernel's own page tables say otherwise (`kernlint.loaders`; as for KL104).

## Why is this bad?
The linker places a section by its flags: a non-executable section goes to a
read-only or writable segment, which a loader maps without execute permission. With
paging and NX enabled (UEFI firmware, a kernel's own page tables, any loader honouring
`p_flags`) the first instruction fetch faults. NASM's default for a section name it
does not know is `progbits alloc noexec nowrite`, so `section .bootcode` in NASM makes
exactly this; GNU as makes it with `.section .boot, "a"`.

## Example
```nasm
section .bootcode           ; NASM: alloc, noexec
global _start:function
_start:
    cli
    hlt
```
`readelf -S` shows `.bootcode PROGBITS ... A` (no `X`), and the segment holding it is
`R` only.

## Use instead
```nasm
section .bootcode progbits alloc exec nowrite align=16
```
or in GNU as `.section .bootcode, "ax", @progbits`; in a linker script with `PHDRS`,
put the section in a segment with `FLAGS(5)` (R+X).

## References
- NASM manual, §8.9.2 "`elf` extensions to the SECTION directive" (defaults).
- GAS manual, "`.section name`" (ELF version), flag `x`.
- System V gABI, "Sections" (`SHF_EXECINSTR`) and "Program Header" (`PF_X`).
- GRUB 2.06 `grub-core/loader/multiboot_elfxx.c`, QEMU 7.2 `hw/i386/multiboot.c` (copy
  bytes); Limine `common/protos/limine.c`, `bootloader` `common/src/load_kernel.rs` (map
  by `p_flags`).
"""

from collections.abc import Iterator
from dataclasses import replace

from kernlint.context import IMAGE, Context
from kernlint.elf.facts import function_names, is_executable_file, quoted
from kernlint.finding import Finding, Location

ID = "KL102"
NAME = "code-not-executable"
SEVERITY = "error"
APPLIES_TO = frozenset({IMAGE})


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding per allocated code section that is not executable."""
    image = ctx.image
    executable = is_executable_file(image)
    entry = image.e_entry
    for sec in image.sections:
        if not sec.index or not sec.is_alloc or not sec.sh_size:
            continue
        addr = sec.sh_addr if executable else None
        if not sec.is_exec:
            reasons = []
            funcs = function_names(image, sec)
            if funcs:
                reasons.append(f"it defines function symbol(s) {quoted(funcs)}")
            if executable and sec.sh_addr <= entry < sec.end and not sec.is_tbss:
                reasons.append(f"it contains e_entry {entry:#x}")
            if reasons and executable:
                yield from _linked_not_exec(ctx, image, sec, reasons)
            elif reasons:
                yield from _object_not_exec(ctx, sec, reasons)
        elif executable and not sec.is_tbss:
            holders = [s for s in image.vaddr_index.containing(sec.sh_addr) if s.vend >= sec.end]
            if holders and not any(s.is_exec for s in holders):
                seg = holders[0]
                yield _segment_without_pf_x(
                    ctx,
                    f"{sec.label()} has SHF_EXECINSTR but lies in {image.segment_label(seg)},"
                    " which lacks PF_X",
                    Location(
                        section=sec.name, segment=seg.index, address=addr, offset=sec.sh_offset
                    ),
                    fix=(
                        "give the segment execute permission (`PHDRS { text PT_LOAD FLAGS(5); }`"
                        " and `:text` on the output section), or move the section into the"
                        " text segment"
                    ),
                )


def _linked_not_exec(ctx: Context, image, sec, reasons: list[str]) -> Iterator[Finding]:
    """A linked image's code section without SHF_EXECINSTR: the segment that holds it
    decides (the CPU fetches by page/segment permissions, not section flags)."""
    held = [s for s in image.vaddr_index.containing(sec.sh_addr) if s.vend >= sec.end]
    exec_seg = next((s for s in held if s.is_exec), None)
    loc = Location(section=sec.name, address=sec.sh_addr, offset=sec.sh_offset)
    fix = (
        f'mark it executable: `.section {sec.name}, "ax", @progbits` in GNU as,'
        f" `section {sec.name} progbits alloc exec nowrite` in NASM"
    )
    what = f"{sec.label()} holds code ({'; '.join(reasons)}) but lacks SHF_EXECINSTR"
    if exec_seg is not None:
        if all(r.startswith("it contains e_entry") for r in reasons):
            return  # KL104 says it, once, for the entry
        yield Finding(
            f"{what}; {image.segment_label(exec_seg)} holds it and has PF_X, so the code"
            " runs (the CPU executes by segment/page permissions, not section flags). The"
            " flag matters to tools (`objdump -d` skips the section) and to any link that"
            " places sections by their flags (a script without PHDRS, `-z separate-code`)",
            replace(loc, segment=exec_seg.index),
            fix=fix,
            severity="info",
        )
    elif held:
        yield _segment_without_pf_x(
            ctx,
            f"{what}, and the linker put it in {image.segment_label(held[0])}, which lacks PF_X",
            replace(loc, segment=held[0].index),
            fix=fix,
        )
    else:
        yield Finding(
            f"{what}, and no single PT_LOAD holds it (see KL103)",
            loc,
            fix=fix,
        )


def _segment_without_pf_x(ctx: Context, message: str, loc: Location, fix: str) -> Finding:
    """Code in a segment without PF_X: an error where a loader may map the image by its
    `p_flags` (bootloader-api, Limine, no protocol known); info where its boot protocols
    (Multiboot 1/2, PVH, BIOS) copy bytes and enter with paging off
    (:func:`kernlint.loaders.flag_use`)."""
    from kernlint.loaders import flag_use, harmless

    use = flag_use(ctx, build=False)
    if not use.ignored:
        why = f" ({use.why})" if use.why else ""
        return Finding(
            f"{message}: its code cannot be fetched once a loader maps segments by p_flags{why}",
            loc,
            fix=fix,
        )
    return Finding(
        message + harmless(use, "fault on this code"),
        loc,
        fix=fix,
        severity="info",
    )


def _object_not_exec(ctx: Context, sec, reasons: list[str]) -> Iterator[Finding]:
    """An object's (ET_REL) code section without SHF_EXECINSTR: the linker script
    decides (:func:`kernlint.project.section_verdict`). Merged into an output section
    with executable inputs (`.text : { *(.text .text.*) }`): nothing to report."""
    from kernlint.project import SHF_EXECINSTR, section_verdict

    verdict = section_verdict(ctx, sec.name, sec.sh_flags, SHF_EXECINSTR)
    if verdict is False:
        return
    message = f"{sec.label()} holds code ({'; '.join(reasons)}) but lacks SHF_EXECINSTR"
    if verdict is None or verdict.severity is None:
        message += ": the linker puts it in a segment without PF_X"
    else:
        message += "; whether it is executable depends on the linker script"
    yield Finding(
        message + (verdict.text if verdict else ""),
        Location(section=sec.name, offset=sec.sh_offset),
        fix=(
            f'mark it executable: `.section {sec.name}, "ax", @progbits` in GNU as,'
            f" `section {sec.name} progbits alloc exec nowrite` in NASM"
        ),
        severity=(verdict.severity if verdict else None) or "",
    )
