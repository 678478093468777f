"""A section holds code but lacks `SHF_ALLOC`: no loader copies it into memory.

## What it does
Finds sections that hold code — `SHF_EXECINSTR` is set, or an `STT_FUNC` symbol is
defined in them, or the entry point's symbol (`ENTRY()`, `_start`) is — while
`SHF_ALLOC` is clear. Runs on linked images (ET_EXEC, ET_DYN) and on object files
(ET_REL), where the mistake is born. On an object the linker script decides, as for
KL601: merged by every deciding script into an allocated output section (ld gives an
output section the union of its inputs' flags) or discarded, nothing is reported;
alone in its output section or an orphan, an error naming the script; no script
found (none given, configured or tracked in the object's repository), a warning.

Before linking: given a linker script and the objects it links (`kernlint check
--script S --objects a.o ...`, a configuration target's `script` and `objects`, or the
script's own `INPUT()`), the objects are laid out as GNU ld 2.40 would (`kernlint
layout`), and each such input section is reported when the output section it lands
in stays non-allocated — its own output section (`.bootcode : { *(.bootcode) }`), one
shared only with other non-allocated inputs, or an orphan section — with the script
line, and where `e_entry` will land instead. An input merged into an allocated output
section (`.text : { *(.bootcode) *(.text) }`) is not reported: ld 2.40 merges the
flags, the output section is `AX` and the code is loaded (checked with `readelf` in
the rule's tests).

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
linked with
```ld
ENTRY(_start)
SECTIONS {
    . = 0x100000;
    .bootcode : { *(.bootcode) }
    .text : ALIGN(4K) { *(.text .text.*) }
}
```
`readelf -S` shows `.bootcode PROGBITS 0000000000100000 ... Flg ""`, and `nm` shows
`_start` with type `N`; `kernlint check kernel.ld --objects boot.o` says so before the
link.

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
- GNU ld 2.40 on `samples/kl101-code-not-allocated-prelink/` (an unflagged input
  alone in an output section: no flags, no `PT_LOAD`; with allocated code: `AX`).
"""

from collections.abc import Iterator
from dataclasses import replace

from kernlint.context import IMAGE, SCRIPT, Context
from kernlint.elf.facts import function_names, is_executable_file, quoted
from kernlint.finding import Finding, Location

ID = "KL101"
NAME = "code-not-allocated"
SEVERITY = "error"
APPLIES_TO = frozenset({IMAGE, SCRIPT})

SHF_ALLOC = 0x2
SHF_EXECINSTR = 0x4
STT_FUNC = 2


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding per non-allocated section that holds code: in an ELF file, or
    among the input sections a linker script lays out (before linking)."""
    if ctx.image is not None:
        yield from _image(ctx)
    elif ctx.has_objects:
        yield from _planned(ctx)


def _planned(ctx: Context) -> Iterator[Finding]:
    """Input sections of the script's objects that hold code, lack SHF_ALLOC and land
    in an output section GNU ld leaves non-allocated (alone, or with other
    non-allocated inputs; an allocated output section makes them allocated: ld 2.40
    merges the flags, and the code is loaded)."""
    result = ctx.layout
    if result is None or result.unsupported or not result.objects:
        return
    from kernlint.ldscript.evaluate import anchor

    spans, sections_span = ctx.script.output_section_spans()
    outputs = {s.name: s for s in result.sections}
    orphans = {o.section.key for o in result.orphans}
    for obj in result.objects:
        for sec in obj.sections:
            if sec.sh_flags & SHF_ALLOC or not sec.size or sec.index < 0:
                continue
            where = result.placement.get(sec.key)
            out = outputs.get(where[0]) if where is not None else None
            if out is None or out.is_alloc:
                continue
            defined = [s for s in obj.symbols if s.shndx == sec.index and s.name]
            at_entry = [s.name for s in defined if not s.local and s.name == result.entry]
            start = [s.name for s in defined if s.name == "_start" and s.name not in at_entry]
            funcs = [
                s.name for s in defined if s.st_type == STT_FUNC and s.name not in at_entry + start
            ][:3]
            reasons = []
            if sec.sh_flags & SHF_EXECINSTR:
                reasons.append("SHF_EXECINSTR is set")
            if at_entry:
                reasons.append(f"it defines the entry symbol {quoted(at_entry)}")
            if start:
                reasons.append("it defines `_start`")
            if funcs:
                reasons.append(f"it defines function symbol(s) {quoted(funcs)}")
            if not reasons:
                continue
            how = (
                "ld's orphan placement puts it in"
                if sec.key in orphans
                else "the script places it in"
            )
            message = (
                f"{sec.label()} holds code ({'; '.join(reasons)}) but lacks SHF_ALLOC: {how}"
                f" output section {out.name}, which GNU ld will leave non-allocated"
                f" (at {out.vma:#x}, in no PT_LOAD): no loader copies it"
            )
            if at_entry and result.entry_address is not None:
                entry = result.entry_address
                landing = [s.name for s in result.sections if s.is_alloc and s.vma <= entry < s.end]
                if landing:
                    message += f"; e_entry {entry:#x} will land in {landing[0]} instead"
                else:
                    message += f"; e_entry {entry:#x} will be in no PT_LOAD"
            span = spans.get(out.name) or sections_span
            location, note = Location(section=out.name), ""
            if span is not None:
                span, note = anchor(ctx.script, span)
                location = replace(Location.from_span(span), section=out.name)
            yield Finding(
                message + note,
                location,
                fix=(
                    f"declare input section {sec.label()} (not output section {out.name})"
                    " allocated and executable in the source that writes it: `.section"
                    f' {sec.name}, "ax", @progbits` (GNU as gives unknown section names no'
                    " flags), or use a name GNU as knows, such as `.text.boot`; in NASM add"
                    " `exec` to `section`"
                ),
            )


def _image(ctx: Context) -> Iterator[Finding]:
    """The sections of an ELF file (ET_EXEC, ET_DYN, ET_REL)."""
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
        verdict = None
        if not executable:  # an object: the linker script decides
            from kernlint.project import SHF_ALLOC as ALLOC
            from kernlint.project import section_verdict

            verdict = section_verdict(ctx, sec.name, sec.sh_flags, ALLOC)
            if verdict is False:
                continue
        if verdict is not None and verdict.severity is not None:
            message = (
                f"{sec.label()} holds code ({'; '.join(reasons)}) but lacks SHF_ALLOC;"
                " whether it is loaded depends on the linker script" + verdict.text
            )
        else:
            message = (
                f"{sec.label()} holds code ({'; '.join(reasons)}) but lacks SHF_ALLOC:"
                " it is in no PT_LOAD and no loader copies it"
            ) + (verdict.text if verdict is not None else "")
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
            fix=_image_fix(ctx, sec.name or ".boot", executable),
            severity=(verdict.severity if verdict is not None else None) or "",
        )


def _image_fix(ctx: Context, name: str, executable: bool) -> str:
    """The fix for section ``name`` of an ELF file. In an object it is the input
    section itself. In a linked image it is an output section, which may collect input
    sections of other names (``.init_asm : { *(.boot) }``): the fix names those, from
    the linker script and objects the run knows of (:mod:`kernlint.inputsections`)."""
    tail = (
        " (GNU as gives unknown section names no flags), or use a name GNU as knows,"
        " such as `.text.boot`; in NASM add `exec` to `section`"
    )
    if not executable:
        return f'declare it allocated and executable: `.section {name}, "ax", @progbits`{tail}'
    from kernlint.inputsections import input_origin, literal, short

    origin = input_origin(ctx, name)
    if origin is None:
        return (
            f"declare the input section(s) that output section {name} collects allocated"
            f' and executable where they are written: `.section {name}, "ax", @progbits`'
            f" if the input has that name too (the linker script's `{name} : {{ ... }}`"
            f" names them; give it with --script){tail}"
        )
    where = f"{short(origin.script)}:{origin.line}"
    if origin.objects:
        declared = ", ".join(f"{sec} in {short(obj)}" for obj, sec in origin.objects)
        first = origin.objects[0][1]
        return (
            f"output section {name} collects input {declared} ({where}): declare it"
            f' allocated and executable where it is written: `.section {first}, "ax",'
            f" @progbits`{tail}"
        )
    first = literal(origin, name)
    inputs = ", ".join(f"`{p}`" for p in origin.patterns)
    return (
        f"output section {name} collects input section(s) {inputs} ({where}): declare them"
        f' allocated and executable where they are written: `.section {first}, "ax",'
        f" @progbits`{tail}"
    )
