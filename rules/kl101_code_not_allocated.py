"""A section holds code but lacks `SHF_ALLOC`: no loader copies it into memory.

## What it does
Finds sections that hold code — `SHF_EXECINSTR` is set, or an `STT_FUNC` symbol is
defined in them, or the entry point's symbol (`ENTRY()`, `_start`) is — while
`SHF_ALLOC` is clear. Runs on linked images (ET_EXEC, ET_DYN) and on object files
(ET_REL), where the mistake is born.

## Why is this bad?
GNU as gives a section whose name it does not recognise *no* flags: `.section
.bootcode` with no flags string makes a section that is not allocated, not writable and
not executable (GAS manual, ELF `.section`). GNU ld keeps it, even gives it an address
in the section header, but puts it in no `PT_LOAD`: a loader never copies it, and no
tool complains — not ld (even with `--orphan-handling=warn`), not `readelf --lint`, not
`eu-elflint`. `e_entry` then points at whatever lies at that address, or into no
segment at all, and the kernel jumps into other code or unmapped memory.

## Example
```asm
    .section .bootcode        # no flags: not allocated
    .global _start
_start:
    cli
    hlt
```
`readelf -S` shows `.bootcode PROGBITS 0000000000100000 ... Flg ""`, and `nm` shows
`_start` with type `N`.

## Use instead
```asm
    .section .bootcode, "ax", @progbits
```
or a name GAS derives flags from (`.text.boot`, `.init`). In NASM: `section .bootcode
progbits alloc exec nowrite`. In Rust `global_asm!`, the same `.section` flags.

## References
- GAS manual, "`.section name`" (ELF version): unknown names get no flags.
- phip1611, "GNU ld Discards Section Containing Code" (blog and repository).
- llvm/llvm-project#115589 (ld.lld places such sections at 0x0).
- System V gABI, "Sections": `SHF_ALLOC`.
"""

from collections.abc import Iterator

from kernlint.context import IMAGE, Context
from kernlint.elf.facts import function_names, is_executable_file, quoted
from kernlint.finding import Finding, Location

ID = "KL101"
NAME = "code-not-allocated"
SEVERITY = "error"
APPLIES_TO = frozenset({IMAGE})


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding per non-allocated section that holds code."""
    image = ctx.image
    candidates = [s for s in image.sections if s.index and not s.is_alloc and s.sh_size]
    if not candidates:
        return
    symbols = image.symbols
    executable = is_executable_file(image)
    entry = image.e_entry
    entry_syms = symbols.defined_at(entry) if executable else []
    start_syms = symbols.named("_start")
    for sec in candidates:
        at_entry = sorted({s.name for s in entry_syms if s.st_shndx == sec.index})
        start = [s.name for s in start_syms if s.st_shndx == sec.index][:1]
        funcs = [n for n in function_names(image, sec) if n not in at_entry + start]
        reasons = []
        if sec.is_exec:
            reasons.append("SHF_EXECINSTR is set")
        if at_entry:
            reasons.append(f"the entry point e_entry {entry:#x} is its symbol {quoted(at_entry)}")
        if start and not at_entry:
            reasons.append("it defines `_start`")
        if funcs:
            reasons.append(f"it defines function symbol(s) {quoted(funcs)}")
        if not reasons:
            continue
        message = (
            f"{sec.label()} holds code ({'; '.join(reasons)}) but lacks SHF_ALLOC:"
            " it is in no PT_LOAD and no loader copies it"
        )
        if executable and sec.sh_addr <= entry < sec.end:
            landing = image.sections_at(entry)
            if landing:
                there = [s.name for s in entry_syms if s.st_shndx != sec.index]
                at = f" (at {quoted(there[:2])})" if there else ""
                message += f"; e_entry {entry:#x} lands in {landing[0].label()}{at} instead"
        yield Finding(
            message,
            Location(
                section=sec.name, address=sec.sh_addr if executable else None, offset=sec.sh_offset
            ),
            fix=(
                f'declare it allocated and executable: `.section {sec.name or ".boot"}, "ax",'
                " @progbits` (GNU as gives unknown section names no flags), or use a name"
                " GNU as knows, such as `.text.boot`; in NASM add `exec` to `section`"
            ),
        )
