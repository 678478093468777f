"""The entry point `e_entry` is not in executable, loaded code.

## What it does
For linked images (ET_EXEC, ET_DYN), reports when `e_entry` lies in no `PT_LOAD` with
`PF_X` — looked up both by virtual address (`p_vaddr`) and by physical address
(`p_paddr`: Linux's vmlinux sets a physical `e_entry`, which is fine) — or when the
section holding it lacks `SHF_EXECINSTR` while the symbol there is a data object
(`STT_OBJECT`). Also when `e_entry` is 0 and no segment starts there (ld found no
entry symbol).

The CPU executes by segment (page) permissions, not section flags: an entry in an
allocated section without `SHF_EXECINSTR` (a `"a"` section) that a `PT_LOAD` with
`PF_X` holds runs fine. That case is reported at `info` only, saying that the flag
matters to tools and to links that place sections by their flags (Linux's x86
`setup.elf` enters through a 2-byte jump in its `"a"` setup header).

When the entry's segment lacks `PF_X`, the loader decides (`kernlint.loaders`): an
image booted through Multiboot 1 or 2, Xen PVH or as a BIOS boot sector only (a
configured `--boot-protocol`, or a detected header or note) is entered in 32-bit
protected (or real) mode with paging off, after GRUB (`grub-core/loader/multiboot_elfxx.c`)
or QEMU (`hw/i386/multiboot.c`) copied the segments' bytes: no `p_flags` reach the CPU
and the entry runs (Dreamos64's entry in NASM's `section .multiboot.text`, `noexec`, in
an `R` segment boots under GRUB). That is reported at `info`, saying it assumes no
other loader and that one mapping by segment flags with paging on would fault. It
stays an error for a Limine-protocol kernel (`.limine_requests`, Limine's magics), a
bootloader-api kernel, and where no protocol is known. (Under QEMU's Multiboot 1
loader an entry segment without `PF_X` whose `p_vaddr != p_paddr` also leaves the
entry untranslated: KL407 reports that.)

## Why is this bad?
The loader jumps to `e_entry` (GRUB through the segment that holds it; QEMU and
firmware directly). If no executable segment holds it the jump lands in unmapped
memory, in data, or in whatever other code lies there: a triple fault, a hang or a
silent wrong start. GNU ld prints nothing when the `ENTRY()` symbol sits in a section
that is not loaded, and only a warning ("cannot find entry symbol _start; defaulting
to ...") when the symbol is missing.

## Example
```ld
ENTRY(boot_stack)              /* a data symbol, not code */
SECTIONS {
  .text 0x100000 : { *(.text) }
  .data : { *(.data) }         /* boot_stack lives here */
}
```

## Use instead
```ld
ENTRY(_start)                  /* defined in an "ax" section */
```
and make sure that section is allocated and executable (see KL101, KL102).

## References
- System V gABI, "ELF Header" (`e_entry`), "Program Header" (`PF_X`).
- GRUB 2.06 `grub-core/loader/multiboot_elfxx.c` ("entry point isn't in a segment"; copies
  segments, reads no `p_flags`); QEMU 7.2 `hw/i386/multiboot.c`; Limine
  `common/protos/limine.c`; rust-osdev `bootloader` `common/src/load_kernel.rs`.
- GNU ld manual, "Entry Point".
"""

from collections.abc import Iterator

from kernlint.context import IMAGE, Context
from kernlint.elf.constants import STT_OBJECT
from kernlint.elf.facts import entry_symbols, is_executable_file, quoted
from kernlint.finding import Finding, Location

ID = "KL104"
NAME = "entry-not-executable"
SEVERITY = "error"
APPLIES_TO = frozenset({IMAGE})

_FIX = (
    'point ENTRY() at code in an allocated, executable section (`.section NAME, "ax"`)'
    " that a PT_LOAD with PF_X holds"
)


def check(ctx: Context) -> Iterator[Finding]:
    """Yield at most one finding about ``e_entry``."""
    image = ctx.image
    if not is_executable_file(image):
        return
    entry = image.e_entry
    names = entry_symbols(image)
    what = f"e_entry {entry:#x}" + (f" ({quoted(names)})" if names else "")
    loc = Location(address=entry, symbol=names[0] if names else None)
    by_vaddr = image.vaddr_index.containing(entry)
    by_paddr = image.paddr_index.containing(entry)
    if entry == 0 and not any(s.p_vaddr == 0 or s.p_paddr == 0 for s in image.load_segments):
        yield Finding(
            "e_entry is 0 and no segment starts there: the link set no entry point", loc, fix=_FIX
        )
        return
    if not any(s.is_exec for s in by_vaddr + by_paddr):
        if by_vaddr or by_paddr:
            seg = (by_vaddr or by_paddr)[0]
            message = f"{what} lies in {image.segment_label(seg)}, which lacks PF_X"
            loc = Location(address=entry, segment=seg.index, symbol=loc.symbol)
            if not _at_data_object(image, entry):
                yield from _entry_segment_without_pf_x(ctx, message, loc)
                return
        else:
            message = (
                f"{what} lies in no PT_LOAD segment (by p_vaddr or p_paddr): the"
                " loader jumps into memory it never loaded"
            )
        yield Finding(message, loc, fix=_FIX)
        return
    holder = image.sections_at(entry)
    if holder and not any(s.is_exec for s in holder):
        sec = holder[0]
        seg = next(s for s in by_vaddr + by_paddr if s.is_exec)
        objects = _at_data_object(image, entry)
        where = Location(address=entry, section=sec.name, symbol=loc.symbol)
        if objects:
            yield Finding(
                f"{what} lies in {sec.label()}, which lacks SHF_EXECINSTR, at data object"
                f" {quoted(sorted(set(objects)))} (STT_OBJECT): the loader jumps into data;"
                f" {image.segment_label(seg)} has PF_X, so the CPU will try to execute it",
                where,
                fix=_FIX,
            )
            return
        yield Finding(
            f"{what} lies in {sec.label()}, which lacks SHF_EXECINSTR; but"
            f" {image.segment_label(seg)} holds it and has PF_X, and the CPU executes by"
            " segment (page) permissions, not section flags, so the entry runs. The flag"
            " matters to tools (`objdump -d` skips the section) and to a later link that"
            " places sections by their flags",
            where,
            fix=(
                f'if {sec.name} is code, mark it so: `.section {sec.name}, "ax", @progbits`'
                " (GNU as); if the entry is a jump inside a data header (Linux's setup"
                " header), nothing needs to change"
            ),
            severity="info",
        )


def _at_data_object(image, entry: int) -> list[str]:
    """The data objects (`STT_OBJECT`) defined at ``entry``, sorted."""
    return sorted({y.name for y in image.symbols.defined_at(entry) if y.st_type == STT_OBJECT})


def _entry_segment_without_pf_x(ctx: Context, message: str, loc: Location) -> Iterator[Finding]:
    """The entry's segment lacks PF_X: an error where a loader may map the image by its
    `p_flags` (bootloader-api, Limine, no protocol known); info where its boot protocols
    (Multiboot 1/2, PVH, BIOS) enter with paging off, so the flag reaches no CPU
    (:func:`kernlint.loaders.flag_use`)."""
    from kernlint.loaders import flag_use, harmless

    use = flag_use(ctx, build=False)
    if not use.ignored:
        why = f" ({use.why})" if use.why else ""
        yield Finding(
            f"{message}: a loader that maps segments by p_flags{why} faults on the first"
            " instruction fetch",
            loc,
            fix=_FIX,
        )
        return
    yield Finding(
        message + harmless(use, "fault on the entry"),
        loc,
        fix=(
            'put the entry code in an executable section (`.section NAME, "ax"` in GNU as,'
            " `section NAME progbits alloc exec nowrite` in NASM) so that its segment gets"
            " PF_X, before the kernel is loaded by such a loader"
        ),
        severity="info",
    )
