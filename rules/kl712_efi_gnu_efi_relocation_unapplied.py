"""A gnu-efi shared object has dynamic relocations that gnu-efi's self-relocation
skips: the words keep their link-time value (0 for an undefined symbol).

## What it does
Reads x86-64 ELF shared objects built the gnu-efi way (`ET_DYN` with a `.reloc`
section and a `.dynamic` section: gnu-efi's `crt0-efi-x86_64.o` and
`elf_x86_64_efi.lds` make both; ordinary shared libraries have no `.reloc`) and
reports, at error, each allocated relocation section holding records of a type other
than `R_X86_64_NONE` and `R_X86_64_RELATIVE`, naming the type, the symbol and the
address.

## Why is this bad?
A gnu-efi application is converted with `objcopy --target efi-app-x86_64`, which
carries the ELF relocations along but does not turn them into PE base relocations;
at start-up gnu-efi's `_relocate` (`gnuefi/reloc_x86_64.c`) walks `DT_RELA` and
applies `R_X86_64_RELATIVE` only: every other type is skipped without a word. Such
records come from symbols the link left undefined (`ld -shared` accepts them):
`R_X86_64_64`, `R_X86_64_GLOB_DAT`, `R_X86_64_JUMP_SLOT`. The pointer stays 0 and the
program misbehaves at run time. In OVMF 2022.11 the reproduction (a message pointer
to an undefined array) starts, prints nothing and returns; with the array defined
(`R_X86_64_RELATIVE`) it prints its line.

## Example
```c
extern const CHAR16 banner[];          /* defined nowhere: ld -shared links anyway */
const CHAR16 *message = banner;        /* R_X86_64_64 against banner */
```

## Use instead
```c
const CHAR16 banner[] = L"hello\r\n";  /* R_X86_64_RELATIVE, which _relocate applies */
```
and link with `ld -shared -Bsymbolic --no-undefined`, so that a missing symbol is a
link error.

## References
- gnu-efi `gnuefi/reloc_x86_64.c` (`_relocate`), `gnuefi/crt0-efi-x86_64.S`,
  `gnuefi/elf_x86_64_efi.lds`.
- System V ABI AMD64 supplement, 4.4 "Relocation" (the relocation types).
- `tests/pe/test_gnu_efi.py`: the sample linked with Debian's gnu-efi 3.0.15 crt0 and
  booted in OVMF 2022.11.
"""

from __future__ import annotations

from collections.abc import Iterator

from kernlint.context import IMAGE, Context
from kernlint.finding import Finding, Location

ID = "KL712"
NAME = "efi-gnu-efi-relocation-unapplied"
SEVERITY = "error"
APPLIES_TO = frozenset({IMAGE})

EM_X86_64 = 62
ET_DYN = 3
SHF_ALLOC = 0x2
SHT_DYNSYM = 11
#: The types gnu-efi's ``_relocate`` (``gnuefi/reloc_x86_64.c``) handles.
APPLIED = {0: "R_X86_64_NONE", 8: "R_X86_64_RELATIVE"}
TYPE_NAMES = {
    1: "R_X86_64_64",
    6: "R_X86_64_GLOB_DAT",
    7: "R_X86_64_JUMP_SLOT",
    5: "R_X86_64_COPY",
    37: "R_X86_64_IRELATIVE",
}


def check(ctx: Context) -> Iterator[Finding]:
    """Yield a finding per relocation section with records ``_relocate`` skips."""
    image = ctx.image
    if image is None or image.header.e_machine != EM_X86_64 or image.e_type != ET_DYN:
        return
    if image.section_by_name(".reloc") is None or image.section_by_name(".dynamic") is None:
        return
    from kernlint.elf.relocations import relocation_tables

    for table in relocation_tables(image):
        if not table.section.sh_flags & SHF_ALLOC:
            continue
        skipped = [r for r in table.records() if r[2] not in APPLIED]
        if not skipped:
            continue
        offset, sym, _, _ = skipped[0]
        name = _symbol_name(image, table.section.sh_link, sym)
        kinds = sorted({TYPE_NAMES.get(r[2], str(r[2])) for r in skipped})
        against = f" against `{name}`" if name else ""
        yield Finding(
            f"{len(skipped)} dynamic relocation(s) in {table.section.name} of type"
            f" {', '.join(kinds)} (the first{against}, at {offset:#x}), which gnu-efi's"
            " `_relocate` skips: after `objcopy --target efi-app-x86_64` the image runs"
            " with those words at their link-time value (0 for an undefined symbol)",
            Location(section=_holder(image, offset), address=offset, symbol=name or None),
            fix="define the symbol (link with `--no-undefined` to find them), so that the"
            " reference becomes R_X86_64_RELATIVE",
        )


def _holder(image, address: int) -> str | None:
    """The allocated section that holds the relocated word."""
    held = image.sections_at(address)
    return held[0].name if held else None


def _symbol_name(image, link: int, index: int) -> str:
    """The name of symbol ``index`` of the symbol section ``link`` (``.dynsym``)."""
    if not index or link >= len(image.sections):
        return ""
    symtab = image.sections[link]
    if symtab.sh_type != SHT_DYNSYM or symtab.sh_link >= len(image.sections):
        return ""
    table = image.reader.symbol_table(symtab)
    return table.symbol(index).name if index < len(table) else ""
