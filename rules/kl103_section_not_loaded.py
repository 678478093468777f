"""An allocated section lies outside every `PT_LOAD` segment.

## What it does
Finds `SHF_ALLOC` sections of non-zero size (`.tbss` excepted) in linked images whose
address range `[sh_addr, sh_addr + sh_size)` is not inside one `PT_LOAD` segment's
virtual range `[p_vaddr, p_vaddr + p_memsz)`.

## Why is this bad?
Loaders read program headers, not section headers. A section that no `PT_LOAD` covers
is never copied or zeroed: its code is missing and its data holds whatever was in
memory. With `PHDRS`, GNU ld does this silently when a section is assigned `:NONE`, or
when a section lands between segments after a `PHDRS` list was edited.

## Example
```ld
PHDRS { text PT_LOAD FLAGS(5); }
SECTIONS {
  .text 0x100000 : { *(.text) } :text
  .data : { *(.data) } :NONE       /* allocated, but in no segment */
}
```

## Use instead
```ld
PHDRS { text PT_LOAD FLAGS(5); data PT_LOAD FLAGS(6); }
SECTIONS {
  .text 0x100000 : { *(.text) } :text
  . = ALIGN(4K);
  .data : { *(.data) } :data
}
```

## References
- GNU ld manual, "PHDRS Command" (`:NONE`, segment assignment carries over).
- System V gABI, "Program Header" (`PT_LOAD`) and "Sections" (`SHF_ALLOC`).
"""

from collections.abc import Iterator

from kernlint.context import IMAGE, Context
from kernlint.elf.facts import is_executable_file
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

ID = "KL103"
NAME = "section-not-loaded"
SEVERITY = "error"
APPLIES_TO = frozenset({IMAGE})

LOG_PATTERNS = (
    # GNU ld 2.40 (observed: PHDRS giving a section only a PT_NOTE).
    LogPattern(
        "ld",
        r"allocated section `(?P<section>[^']+)' not in segment",
        "{section} is allocated (SHF_ALLOC) but the script's PHDRS put it in no PT_LOAD,"
        " only in other segments (such as PT_NOTE), so no loader copies it into memory."
        " Assign it to a PT_LOAD phdr in the script (`{section} : {{ ... }} :data`).",
        "ld: nis.elf: warning: allocated section `.data' not in segment",
    ),
)


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding per allocated section no single PT_LOAD holds."""
    image = ctx.image
    if not is_executable_file(image):
        return
    loads = image.vaddr_index
    for sec in image.sections:
        if not sec.index or not sec.is_alloc or not sec.sh_size or sec.is_tbss:
            continue
        if loads.covers(sec.sh_addr, sec.end):
            continue
        partial = loads.containing(sec.sh_addr) or loads.containing(sec.end - 1)
        where = (
            f"only partly inside {image.segment_label(partial[0])}"
            if partial
            else "inside no PT_LOAD segment"
        )
        yield Finding(
            f"{sec.label()} ({sec.sh_addr:#x}-{sec.end:#x}, {sec.sh_size} bytes) is allocated"
            f" but lies {where}: no loader copies it",
            Location(section=sec.name, address=sec.sh_addr, offset=sec.sh_offset),
            fix=(
                "assign the output section to a PT_LOAD program header (`:phdr` with PHDRS),"
                " or drop `:NONE`; check `readelf -lW` section-to-segment mapping"
            ),
        )
