"""An input section that no pattern of the linker script places: an orphan.

## What it does
With the objects a script links (`kernlint check --script S --objects a.o ...`, a
configuration target's `script` and `objects`, or the files the script's own
`INPUT()` names), lays them out as GNU ld 2.40 would (`kernlint layout`) and reports
each non-empty input section that no input section description matches — what
`ld --orphan-handling=warn` lists, less the sections ld creates itself (`.got`,
`.iplt`, ...) and empty ones — with where ld will put it: into an output section
of the same name when there is one, else into a new output section of its own name,
placed after the output section with the same flags (code after `.text`, read-only
data after `.rodata`, writable data after `.data`, zero-filled after `.bss`), with that
section's memory region and program headers.

## Why is this bad?
An orphan is placed by a heuristic, not by the script: it may land in the wrong
`PT_LOAD` or memory region, after the `_end`/`__bss_end` symbols startup code relies
on, past a boot-sector or ROM budget, or between sections the script meant to be
adjacent. With `-ffunction-sections` or Rust codegen every function is its own
`.text.<name>` section, so a script that names only `*(.text)` makes all of them
orphans. GNU ld says nothing unless asked (`--orphan-handling=warn|error`).

## Example
```ld
SECTIONS {
    .text : { *(.text) }
}
```
with an object holding `.text.startup` and `.rodata.str1.1`.

## Use instead
```ld
SECTIONS {
    .text   : { *(.text .text.*) }
    .rodata : { *(.rodata .rodata.*) }
}
```
or `/DISCARD/ : { *(.comment) }` for a section that must not be in the image.

## References
- GNU ld manual, "Orphan Sections", option `--orphan-handling`.
- kernlint research, `anchors-ldscript.md` §2 M2 (orphans), M3 (`*(.text)` without
  `*(.text.*)`), zephyrproject-rtos/zephyr#5534, SerenityOS/serenity#13896.
"""

from __future__ import annotations

from collections.abc import Iterator

from kernlint.context import SCRIPT, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

ID = "KL210"
NAME = "orphan-section"
SEVERITY = "warning"
APPLIES_TO = frozenset({SCRIPT})

LOG_PATTERNS = (
    LogPattern(
        tool="ld",
        regex=r"orphan section `(?P<section>[^']+)' from `(?P<file>[^']+)' being placed in"
        r" section `(?P<output>[^']+)'",
        explain="No pattern of the linker script names section {section} of {file}, so ld"
        " placed it by its orphan heuristic, in output section {output}. Name it in the"
        " output section it belongs to (a wildcard such as `*(.text .text.*)`), or"
        " /DISCARD/ it.",
        sample="ld: warning: orphan section `.text.startup' from `kernel.o' being placed in"
        " section `.text.startup'",
    ),
    LogPattern(
        tool="ld",
        regex=r"unplaced orphan section `(?P<section>[^']+)' from `(?P<file>[^']+)'",
        explain="ld was told to refuse orphans (--orphan-handling=error) and section"
        " {section} of {file} matches no pattern of the script. Name it in an output"
        " section, or /DISCARD/ it.",
        sample="ld: error: unplaced orphan section `.text.startup' from `kernel.o'",
    ),
    # LLD 14, --orphan-handling=warn (observed; =error prints the same as error).
    LogPattern(
        "lld",
        r"(?<!\S)(?P<object>\S+):\((?P<section>[^\s()]+)\) is being placed in"
        r" '(?P<output_section>[^']+)'",
        "No pattern of the linker script matches {section} from {object}, so ld.lld"
        " placed it by its own rules, in {output_section}; ld.lld also reports its"
        " own sections (`<internal>`: .symtab, .comment), which are harmless. Name"
        " the section in the script or drop it in `/DISCARD/`.",
        "ld.lld: warning: k.o:(.multiboot_header) is being placed in '.multiboot_header'",
        related=("KL201",),
    ),
    # NASM 2.16.01 (observed: `section .bss:`, a label's colon typed after the section
    # name). Only names ending in ":" count: a typo the script cannot name, so the
    # section is an orphan; `resb` in a section named on purpose is not this rule's.
    LogPattern(
        "nasm",
        r"uninitialized space declared in non-BSS section `(?P<section>[^'\s]+:)': zeroing",
        "The colon after the section name is part of the name: NASM made a new section"
        " {section}, not `.bss`, and fills its `resb` space with zeros in the file. No"
        " pattern of the linker script names {section}, so ld places it as an orphan,"
        " wherever its heuristic puts it; drop the colon (`section .bss`).",
        "t.asm:2: warning: uninitialized space declared in non-BSS section `.bss:':"
        " zeroing [-w+zeroing]",
    ),
)


def check(ctx: Context) -> Iterator[Finding]:
    if not ctx.has_objects:
        return
    layout = ctx.layout
    if layout is None:
        return
    from kernlint.ldscript.evaluate import anchor

    spans, sections_span = ctx.script.output_section_spans()
    for orphan in layout.orphans:
        s = orphan.section
        if not s.size or s.name == "COMMON":
            # GNU as emits empty .text/.data/.bss in every object; ld's orphan
            # report leaves common symbols out (they go to .bss, see KL215).
            continue
        if orphan.joined:
            where = f"ld adds it at the end of output section {orphan.output}"
        elif orphan.after:
            where = f"ld makes it output section {orphan.output}, placed after {orphan.after}"
        else:
            where = f"ld makes it output section {orphan.output}"
        span = spans.get(orphan.after or orphan.output) or sections_span
        location, note = Location(), ""
        if span is not None:
            span, note = anchor(ctx.script, span)
            location = Location.from_span(span)
        yield Finding(
            message=f"input section {s.name} of {s.file} ({s.size:#x} bytes) matches no"
            f" pattern of the script: {where}{note}",
            location=location,
            fix=f"name it where it belongs, e.g. `*({s.name})` or a wildcard like"
            f" `*({s.name.rsplit('.', 1)[0] or s.name}.*)` in the right output section,"
            " or `/DISCARD/ : { *(" + s.name + ") }`",
        )
