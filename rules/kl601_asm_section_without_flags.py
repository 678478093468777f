"""A `.section` with no flags, for a name the assembler derives none from, holds code or data.

## What it does
Finds `.section NAME` and `.pushsection NAME` directives that give no flags string,
where NAME is not one GNU as knows (`.text`, `.text.*`, `.data`, `.data.*`, `.bss`,
`.bss.*`, `.rodata`, `.rodata.*`, `.init`, `.fini`, `.init_array*`, `.tdata*`,
`.tbss*`, `.noinit*`, the x86-64 large sections `.lbss*`/`.ldata*`/`.lrodata*`, ...)
nor one meant to stay out of memory (`.note*`, `.debug*`, `.comment`, `.discard*`),
and instructions or data follow before the next section change. Reads `.S` and
`.s` files, GNU-as `.asm` files, Rust `global_asm!`/`asm!`/`naked_asm!` templates
and C/C++ `asm`/`__asm__` statements. The finding points at the section name; the
fix names the flags: `"ax", @progbits` for code, `"a"` or `"aw", @progbits` for
data, `"aw", @nobits` for space that is only reserved (`.skip`, `.space`, `.zero`).

Names are case-sensitive, as in GNU as: `.section VECTORS` gets no flags like
`.section vectors`; in a `.S` file an upper-case name is taken for a cpp macro only
when the file `#define`s it or it is spelled like one (`TEXT_SECTION`, `__HEAD`).

Which names count as known depends on the assembler that reads the text: GNU as's
list (binutils' special sections) for `.s`, `.S` and `.asm`; LLVM's much shorter
one (`.text*`, `.init`, `.fini`, `.data*`, `.data1`, `.bss*`, `.rodata*`,
`.rodata1`, `.init_array*`, `.fini_array*`, `.preinit_array*`, `.tdata*`,
`.tbss*`) for Rust, which rustc always assembles with LLVM; and both for C and
C++, which GCC hands to GNU as and clang to LLVM. So `.section .noinit` passes in
a `.s` file and is reported in a `global_asm!`.

Whether the section is lost is the linker script's to say: GNU ld gives an output
section the union of its inputs' flags, so a flagless section merged into an
allocated output section (`.text : { *(.text) *(.boot) }`, where the `.text` every
GNU as object has brings `AX`) is loaded and executable. KL601 asks the scripts that
place the section: those given in the same run, those of configured
`[[tool.kernlint.target]]`s and, in a git repository, the project's own tracked
linker scripts (the nearest to the source decide; pre-commit passes only the changed
source). Merged into allocated output (or discarded) by every deciding script: no
finding. Alone in an output section of its own (`.boot : { KEEP(*(.boot)) }`), with
only non-allocated inputs, or an orphan: an error that names the script and line.
No script found, or only templates kernlint does not preprocess that name the
section: a warning that says the verdict depends on the script.

A section keeps the flags of its first `.section`; a later one that names it
without flags is fine, and one that adds flags after a bare first one comes too
late (GNU as 2.40 rejects it: "changed section attributes"). Labels alone, or a
section left before anything is put in it, are not reported. A section the compiler
declares in the same file (`#[link_section]`, `__attribute__((section))`) comes with
the compiler's flags and is not reported either, nor is a section named by a cpp
macro call (`.section SECTION_NAME(x)` in a `.S` file), nor a source in a folder named
for another vendor's toolchain (`CW/`, `IAR/`, `EWARM/`, `MDK-ARM/`, `ARMCC/`, `GHS/`,
...: ChibiOS keeps its CodeWarrior startup files in `compilers/CW/`), whose assembler is
not GNU as.

## Why is this bad?
GNU as gives a section name it does not recognise no flags at all
(`gas/config/obj-elf.c` `obj_elf_change_section`: the flags of a new section are the
ones given, or-ed with those of BFD's special-section entry for the name, and an
unknown name has none). The section is then not `SHF_ALLOC` and not
`SHF_EXECINSTR`: the linker gives it an address but puts it in no `PT_LOAD`, no
loader copies it, and nothing warns — not as, not ld, not `readelf`. The kernel
jumps into memory that holds something else (KL101 reports it on the object or
image; this rule reports it on the line that causes it, before anything is built).

## Example
```asm
    .section .boot              # no flags: not allocated, not executable
    .globl _start
_start:
    cli
    hlt
```
In Rust the same mistake hides in a string: `global_asm!(".section .boot", "_start:", "cli")`.

## Use instead
```asm
    .section .boot, "ax", @progbits
```
or a name GNU as derives `"ax"` from (`.text.boot`, `.init`). In a C or Rust
(non-raw) string literal, escape the quotes: `".section .boot, \\"ax\\", @progbits"`.

## References
- GAS manual, "`.section name`" (ELF version): flags, and "If no flags are specified,
  the default flags depend upon the section name"; unknown names get none.
- binutils `bfd/elf.c` `special_sections_*`, `_bfd_elf_get_special_section`;
  `bfd/elf64-x86-64.c` `elf_x86_64_special_sections`.
- LLVM `llvm/lib/MC/MCParser/ELFAsmParser.cpp`, `parseSectionArguments` ("Set the
  defaults first").
- phip1611, "GNU ld Discards Section Containing Code" (blog and repository).
- Rust Reference, "Inline assembly" (template strings are joined with newlines).
- ld manual, "Input Section Basics" and "Orphan Sections"; `ld/ldlang.c`
  `lang_add_section` (the output section takes the union of its inputs' flags).
  Checked with GNU ld 2.40 in `tests/test_project.py` (merged: `AX`; alone, with only
  non-allocated inputs, or orphaned: no flags, no `PT_LOAD`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from kernlint.context import SOURCE, Context
from kernlint.finding import Finding, Location

if TYPE_CHECKING:
    from kernlint.source.gas import SectionRecord
    from kernlint.source.model import Fragment, Source

ID = "KL601"
NAME = "asm-section-without-flags"
SEVERITY = "error"
APPLIES_TO = frozenset({SOURCE})

#: Words in a section name that mark data nothing writes (headers read by a loader,
#: constant tables): the fix then says "a" rather than "aw".
_READ_ONLY_HINTS = (
    "rodata",
    "const",
    "header",
    "hdr",
    "multiboot",
    "mb2",
    "mb1",
    "note",
    "limine",
    "bootloader",
    "requests",
    "signature",
    "magic",
    "version",
    "str",
    "ro",
)


def _assemblers(language: str) -> tuple[str, ...]:
    """The assemblers that read ``language``: rustc always assembles with LLVM; C and
    C++ go to GNU as (GCC) or LLVM (clang), so a name must be known to both."""
    from kernlint.source.flags import GNU_AS, LLVM
    from kernlint.source.model import RUST, C

    return {RUST: (LLVM,), C: (GNU_AS, LLVM)}.get(language, (GNU_AS,))


def _assembler_name(assembler: str) -> str:
    from kernlint.source.flags import GNU_AS

    return "GNU as" if assembler == GNU_AS else "LLVM's integrated assembler"


def _where(source: Source, frag: Fragment, offset: int) -> tuple[int, int]:
    return source.position(frag.file_offset(offset))


def _flags_for(rec: SectionRecord) -> tuple[str, str, str]:
    """(flags, type, why) for the content of ``rec``."""
    from kernlint.source.gas import DATA, INSTRUCTION

    if INSTRUCTION in rec.content:
        return "ax", "progbits", "it holds instructions"
    if DATA in rec.content:
        lowered = rec.name.lower()
        words = [w for w in lowered.replace("-", ".").replace("_", ".").split(".") if w]
        if any(h in words or (len(h) > 3 and h in lowered) for h in _READ_ONLY_HINTS):
            return "a", "progbits", 'read-only data by its name; use "aw" if code writes it'
        return "aw", "progbits", 'data; use "a" if nothing writes it'
    return "aw", "nobits", "it only reserves zeroed space"


def _content_phrase(source: Source, frags: tuple[Fragment, ...], rec: SectionRecord) -> str:
    from kernlint.source.gas import DATA, INSTRUCTION, ZERO

    names = {INSTRUCTION: "instructions", DATA: "data", ZERO: "reserved space"}
    parts = []
    for kind in (INSTRUCTION, DATA, ZERO):
        if kind in rec.content:
            index, offset = rec.content[kind]
            line, _ = _where(source, frags[index], offset)
            parts.append(f"{names[kind]} from line {line}")
    return " and ".join(parts)


def check(ctx: Context) -> Iterator[Finding]:
    """One finding per unflagged section, at its first `.section`."""
    from kernlint.source.flags import LLVM, derives_flags
    from kernlint.source.gas import INSTRUCTION, walk
    from kernlint.source.model import GAS, RUST, C, foreign_toolchain

    source = ctx.source
    if source is None or source.language not in (GAS, RUST, C):
        return  # NASM is KL602's; MASM, armasm, fasm and ZDS II are not read
    if foreign_toolchain(source.path):
        return  # another vendor's assembler (ChibiOS's compilers/CW/, EWARM/, ...)
    frags = source.fragments
    if not frags:
        return
    records = walk(frags, preprocessed=source.path.endswith(".S"))
    declared = source.declared_sections
    for rec in records.values():
        d = rec.first
        if d is None or d.flags is not None or d.symbolic or d.malformed or not rec.content:
            continue
        if rec.name in declared:
            continue
        assemblers = _assemblers(source.language)
        blind = [a for a in assemblers if not derives_flags(rec.name, a)]
        if not blind:
            continue
        verdict = _script_verdict(ctx, rec.name, records)
        if verdict is False:
            continue
        frag = frags[rec.fragment]
        line, column = _where(source, frag, d.name_start)
        end_line, end_column = source.position(frag.file_offset(d.name_end - 1) + 1)
        written = frag.text[d.name_start : d.name_end]
        flags, sec_type, why = _flags_for(rec)
        who = _assembler_name(blind[0])
        if source.language == RUST:
            who += " (rustc's)"
        elif len(blind) < len(assemblers):
            who += " (clang's)" if blind[0] == LLVM else " (GCC's)"
        message = (
            f"`.{d.op} {written}` gives no flags and {who} derives none from the name:"
            " the section is not allocated (no SHF_ALLOC, no SHF_EXECINSTR)"
        )
        content = _content_phrase(source, frags, rec)
        if verdict is None or verdict.severity is None:
            message += f", so the {content} end up in no PT_LOAD and no loader copies them"
        else:
            message += f"; whether the {content} are loaded depends on the linker script"
        if INSTRUCTION in rec.content:
            message += " (KL101 on the object)"
        flagged_later = [(i, x) for i, x in rec.later if x.flags]
        if flagged_later:
            index, later = flagged_later[0]
            later_line, _ = _where(source, frags[index], later.name_start)
            message += (
                f"; the flags at line {later_line} come too late: a section keeps the"
                " flags of its first `.section` (GNU as 2.40 rejects the change)"
            )
        if verdict is not None:
            message += verdict.text
        fixed = f'.{d.op} {written}, "{flags}", @{sec_type}'
        fix = f"give it flags: `{fixed}` ({why})"
        if frag.origin != "file":
            escaped = fixed.replace('"', '\\"')
            fix += f"; inside a C or non-raw Rust string literal: `{escaped}`"
        yield Finding(
            message,
            Location(line=line, column=column, end_line=end_line, end_column=end_column),
            fix=fix,
            severity=(verdict.severity if verdict is not None else None) or "",
        )


def _siblings(records: dict[str, SectionRecord]) -> dict[str, int]:
    """The sections the file declares with flags, name to ``sh_flags`` (GAS manual,
    "`.section name`": `a` allocatable, `w` writable, `x` executable), or that GNU as
    derives flags for by name: inputs the object surely brings to the output section
    a script gives them."""
    from kernlint.source.flags import SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, gas_flags

    bits = {"a": SHF_ALLOC, "w": SHF_WRITE, "x": SHF_EXECINSTR}
    out = {}
    for rec in records.values():
        d = rec.first
        if d is None or d.symbolic or d.malformed or not rec.content:
            continue
        if d.flags is not None:
            flags = sum(b for c, b in bits.items() if c in d.flags)
        else:
            flags = gas_flags(rec.name)[1]
        if flags:
            out[rec.name] = flags
    return out


def _script_verdict(ctx: Context, name: str, records: dict[str, SectionRecord]):
    """What the linker scripts say about section ``name`` (see
    :func:`kernlint.project.judge`): False when they merge it into allocated output or
    discard it (silent), None outside a run (no project context: report as is), else
    the :class:`~kernlint.project.Verdict`. The file's other ``records`` count as
    inputs that go where the script puts them."""
    if ctx.project is None:
        return None
    from kernlint.project import SHF_ALLOC, judge, object_names

    found = ctx.project.place(
        ctx.path, name, object_names(ctx.path), 0, SHF_ALLOC, _siblings(records)
    )
    verdict = judge(found, name, SHF_ALLOC)
    return False if verdict is None else verdict
