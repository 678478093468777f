"""A NASM section with a name NASM does not know, and no `exec`, holds instructions.

## What it does
Finds NASM `section NAME` (or `segment NAME`, `[section NAME]`) directives whose
NAME is not one of NASM's known ELF sections and that give no `exec` attribute,
when instructions follow before the next section change. Only `.text` is
executable by default; the other known names (`.data`, `.rodata`, `.bss`, `.tdata`,
`.tbss`, `.ldata`, `.lrodata`, `.lbss`, `.comment`, `.init_array`, `.fini_array`,
`.preinit_array`, `.note`) are data sections by design and not reported. Data
(`db`, `dq`, `resb`, `times N db 0`, ...) in such a section is fine. A section keeps
the attributes of its first declaration: a later `section NAME exec` does not help
(NASM: "incompatible section attributes ignored on redeclaration").

The linker script decides whether the code stays non-executable: GNU ld gives an
output section the union of its inputs' flags, so `section .text.get_cpu_num`
collected by `.text : { *(.text .text.*) }` with the `.text` of other objects lands
in an `AX` output section. As for KL601, the scripts given in the run, those of
configured targets and the repository's tracked scripts (the nearest decide) are
asked: merged with executable inputs or discarded: no finding; alone in its output
section, or an orphan: reported; no script found: reported, saying the verdict
depends on the script. `.asm` files in MASM (`CODE32 SEGMENT RW`, `.model`,
`PROC`/`ENDP`), armasm (`AREA`), fasm (`format ELF64`) or Zilog ZDS II (`XDEF`,
`XREF`, `.ASSUME ADL=1`) syntax are not NASM and are not read. Nor is a NASM file
written for COFF output (`nasm -f win64`/`win32`, edk2's `X64-MSFT` builds): one that
declares `.pdata` or `.xdata`, the Windows x64 exception tables only COFF has, uses
NASM's COFF section defaults (`.rdata` is a known read-only section there: NASM manual
§8.5.1), not the ELF ones this rule describes.

## Why is this bad?
For an ELF section name it does not know, NASM uses `progbits alloc noexec nowrite
align=1` (`output/outelf.c`, `elf_known_sections`; names match exactly, so
`.text.boot` and `.init` are unknown to NASM even though GNU as knows them). The code
lands in an allocated but non-executable section; the linker puts it in a segment
without `PF_X`, and with NX enforced the first instruction fetch faults. Nothing
warns: NASM does not, and ld places the section silently (KL102 reports it on the
object or image).

## Example
```nasm
section .bootcode
global _start:function
_start:
    cli
    hlt
```
`nasm -f elf64` gives `.bootcode PROGBITS ... A` (no `X`).

## Use instead
```nasm
section .bootcode progbits alloc exec nowrite align=16
```
or put the code in `section .text`.

## References
- NASM manual, §8.9.2 "`elf` extensions to the `SECTION` directive" (the defaults:
  "`section .text progbits alloc exec nowrite align=16`", unknown names
  "`progbits alloc noexec nowrite align=1`").
- NASM `output/outelf.c`, `elf_known_sections` and `elf_section_names`.
- System V gABI, "Sections" (`SHF_EXECINSTR`) and "Program Header" (`PF_X`).
- `ld/ldlang.c` `lang_add_section` (output flags are the union of the inputs');
  checked with GNU ld 2.40 and NASM 2.16 in `tests/test_project.py`.
"""

import re
from collections.abc import Iterator

from kernlint.context import SOURCE, Context
from kernlint.finding import Finding, Location

ID = "KL602"
NAME = "nasm-section-noexec"
SEVERITY = "warning"
APPLIES_TO = frozenset({SOURCE})

#: A section only COFF output has: the x64 exception tables (PE/COFF specification,
#: ".pdata (Exception Information)"; ".xdata" holds the unwind codes it points at).
_COFF_ONLY_SECTION = re.compile(r"^[ \t]*\[?[ \t]*section[ \t]+\.[px]data\b", re.M | re.I)


def check(ctx: Context) -> Iterator[Finding]:
    """One finding per non-executable NASM section that holds instructions."""
    from kernlint.source.flags import NASM_KNOWN
    from kernlint.source.model import NASM
    from kernlint.source.nasm import INSTRUCTION, walk

    source = ctx.source
    if source is None or source.language != NASM or _COFF_ONLY_SECTION.search(source.text):
        return
    records = walk(source.text)
    for rec in records.values():
        d = rec.first
        if d is None or d.name in NASM_KNOWN or INSTRUCTION not in rec.content:
            continue
        words = d.attribute_words
        if "exec" in words:
            continue
        verdict = _script_verdict(ctx, d.name, records)
        if verdict is False:
            continue
        line, column = source.position(d.name_start)
        end_line, end_column = source.position(d.name_end)
        insn_line, _ = source.position(rec.content[INSTRUCTION])
        why = "gives `noexec`" if "noexec" in words else "gives no `exec` attribute"
        exact = next((k for k in NASM_KNOWN if d.name.startswith(k + ".")), None)
        known = f" (it matches names exactly: `{d.name}` is not `{exact}`)" if exact else ""
        message = (
            f"`section {d.name}` {why}, and NASM gives a section name it does not know"
            f" `progbits alloc noexec nowrite`{known}: the instructions from line"
            f" {insn_line} land in a section without SHF_EXECINSTR"
        )
        if verdict is None or verdict.severity is None:
            message += ", in a segment without PF_X (KL102 on the object)"
        else:
            message += (
                "; whether they are executable depends on the linker script (KL102 on the object)"
            )
        late = [x for x in rec.later if "exec" in x.attribute_words]
        if late:
            late_line, _ = source.position(late[0].name_start)
            message += (
                f"; the `exec` at line {late_line} is ignored: a section keeps the"
                " attributes of its first declaration"
            )
        if verdict is not None:
            message += verdict.text
        align = next((a.split("=", 1)[1] for a in d.attributes if a.startswith("align=")), "16")
        yield Finding(
            message,
            Location(line=line, column=column, end_line=end_line, end_column=end_column),
            fix=f"declare it executable: `section {d.name} progbits alloc exec nowrite"
            f" align={align}`",
            severity=(verdict.severity if verdict is not None else None) or "",
        )


def _siblings(records) -> dict[str, int]:
    """The sections the file declares, name to ``sh_flags`` as NASM gives them
    (NASM manual §8.9.2: `exec`, `write`, `noalloc`; else the known name's defaults, or
    `alloc noexec nowrite`): inputs the object surely brings to the output section a
    script gives them (Theseus's `section .init.text32 ... exec` beside the flagless
    `.init.text.high`, both taken by `*(.init .init.*)`)."""
    from kernlint.source.flags import SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, nasm_flags

    out = {}
    for rec in records.values():
        d = rec.first
        if d is None:
            continue
        words = d.attribute_words
        flags = nasm_flags(d.name).sh_flags
        for word, bit in (("exec", SHF_EXECINSTR), ("write", SHF_WRITE), ("alloc", SHF_ALLOC)):
            if word in words:
                flags |= bit
            elif "no" + word in words:
                flags &= ~bit
        if flags:
            out[d.name] = flags
    return out


def _script_verdict(ctx: Context, name: str, records):
    """What the linker scripts say about section ``name`` (see
    :func:`kernlint.project.judge`): False when they merge it into an output section
    with executable inputs, or discard it (silent), None outside a run, else the
    :class:`~kernlint.project.Verdict`. The file's other ``records`` count as inputs
    that go where the script puts them."""
    if ctx.project is None:
        return None
    from kernlint.project import SHF_ALLOC, SHF_EXECINSTR, judge, object_names

    found = ctx.project.place(
        ctx.path, name, object_names(ctx.path), SHF_ALLOC, SHF_EXECINSTR, _siblings(records)
    )
    verdict = judge(found, name, SHF_EXECINSTR)
    return False if verdict is None else verdict
