"""A relocation whose value, at the place GNU ld will put it, does not fit its field.

## What it does
With the objects a script links (`kernlint check --script S --objects a.o ...`, a
configuration target's `script` and `objects`, or the files the script's own
`INPUT()` names), lays them out as GNU ld 2.40 would (`kernlint layout`) and computes
each relocation of the objects' allocated sections there: P, the predicted address of
the relocated field; S, the predicted address of its symbol (an input section's
address plus `st_value`, an absolute value, or a symbol the script assigns); A, the
addend (`r_addend`, or for `SHT_REL` the bytes in the field). It reports the value
that does not fit the field, with bfd's own overflow test (`_bfd_relocate_contents`):

| relocation | value | accepted (as GNU ld 2.40) |
|---|---|---|
| `R_X86_64_32` | S+A | [0, 2^32) |
| `R_X86_64_32S` | S+A | [-2^31, 2^31) |
| `R_X86_64_PC32`, `R_X86_64_PLT32` | S+A-P | [-2^31, 2^31) |
| `R_X86_64_16`, `R_386_16` | S+A | [-2^16, 2^16) |
| `R_X86_64_PC16`, `R_386_PC16` | S+A-P | [-2^16, 2^16) |
| `R_X86_64_8`, `R_386_8` | S+A | [-2^8, 2^8) |
| `R_X86_64_PC8`, `R_386_PC8` | S+A-P | [-2^7, 2^7) |

(`R_386_32` and `R_386_PC32` wrap modulo 2^32 and never overflow. The 16- and 8-bit
absolute fields are bfd "bitfields": one bit wider than a signed field, so
`.word -65536` links.) Relocations against undefined symbols, common symbols,
mergeable (`SHF_MERGE`) sections, of other types, or on a layout with anything
`kernlint layout` does not model (`unsupported`, ld errors) are skipped: the rule
never guesses.

## Why is this bad?
ld stops with "relocation truncated to fit: R_X86_64_32 against symbol `x'" (ld.lld:
"relocation R_X86_64_32 out of range: ... is not in [0, 4294967295]"), naming the
relocation but not why the value is what it is. The usual cause is a code model that
does not match where the script links the code: a higher-half kernel
(0xffffffff80000000 and up) whose 32-bit boot code or `-mcmodel=small` C code stores
an address in a zero-extended 32-bit field; code more than 2 GiB from what it calls;
real-mode code referencing data past 64 KiB.

## Example
```asm
    .code32                     # boot code, linked at 1 MiB
    movl $kernel_pml4, %eax     # kernel_pml4 is at 0xffffffff80105000: R_X86_64_32
```

## Use instead
```asm
    movl $(kernel_pml4 - 0xffffffff80000000), %eax   # its physical (low) alias
```
and compile 64-bit code linked in the top 2 GiB with `-mcmodel=kernel` (sign-extended
`R_X86_64_32S`).

## References
- GNU ld: bfd/reloc.c `_bfd_relocate_contents`, bfd/elf64-x86-64.c and
  bfd/elf32-i386.c howto tables (`complain_overflow_*`); checked against ld 2.40 in
  tests/rules/test_kl501_relocation_overflow.py.
- x86-64 psABI, "Relocation Types" and "Code Models" (`-mcmodel=kernel`).
- kernlint research, `anchors-binary.md` §4 L1–L6.
"""

from __future__ import annotations

from collections.abc import Iterator

from kernlint.context import SCRIPT, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

ID = "KL501"
NAME = "relocation-overflow"
SEVERITY = "error"
APPLIES_TO = frozenset({SCRIPT})

_RELOC_EXPLAIN = (
    "The relocation {type} at {at} must store {referent} in a {width}, and the value"
    " does not fit, so the link fails. {reloc_fix}"
)

LOG_PATTERNS = (
    # GNU ld 2.40 (observed; printed after an "a.o: in function `f':" line).
    LogPattern(
        "ld",
        r"(?<!\S)(?:(?P<source>[^\s()]+?):(?:(?P<source_line>\d+):)?)?"
        r"\((?P<section>[^\s+()]+)\+(?P<offset>0x[0-9a-fA-F]+)\):"
        r" relocation truncated to fit:"
        r" (?P<type>R_\w+) against (?:(?:undefined )?symbol `(?P<symbol>[^']+)'"
        r"(?: defined in (?P<target_section>\S+) section in (?P<defined_in>\S+))?"
        r"|`(?P<target>[^']+)'(?:\+(?P<addend>\w+))?)",
        _RELOC_EXPLAIN,
        "(.text+0x1): relocation truncated to fit: R_X86_64_32 against symbol"
        " `far_sym' defined in .far section in a.o",
    ),
    # LLD 14 (observed); rust-lld prints the same after "rust-lld: error:".
    LogPattern(
        "lld",
        r"(?<!\S)(?P<object>\S+?):\((?:function (?P<function>[^:]+): )?"
        r"(?P<section>[^\s+()]+)\+(?P<offset>0x[0-9a-fA-F]+)\):"
        r" relocation (?P<type>R_\w+) out of range:"
        r" (?P<value>-?\d+) is not in \[(?P<min>-?\d+), (?P<max>-?\d+)\]"
        r"(?:; references (?P<symbol>\S+))?",
        _RELOC_EXPLAIN + " The value is {value_hex}; the field holds {min} to {max}.",
        "ld.lld: error: a.o:(.text+0x1): relocation R_X86_64_32 out of range:"
        " 18446744071562067968 is not in [0, 4294967295]; references far_sym",
    ),
)

EM_386 = 3
EM_X86_64 = 62
SHN_UNDEF = 0
SHN_ABS = 0xFFF1
SHN_LORESERVE = 0xFF00
SHF_ALLOC = 0x2
SHF_MERGE = 0x10
STT_SECTION = 3
SHT_REL = 9
_MASK64 = (1 << 64) - 1

UNSIGNED, SIGNED, BITFIELD = "unsigned", "signed", "bitfield"

#: e_machine -> r_type -> (name, bits, bfd complain_overflow_*, PC-relative), from
#: the howto tables of bfd/elf64-x86-64.c and bfd/elf32-i386.c (binutils 2.40).
HOWTOS: dict[int, dict[int, tuple[str, int, str, bool]]] = {
    EM_X86_64: {
        2: ("R_X86_64_PC32", 32, SIGNED, True),
        4: ("R_X86_64_PLT32", 32, SIGNED, True),
        10: ("R_X86_64_32", 32, UNSIGNED, False),
        11: ("R_X86_64_32S", 32, SIGNED, False),
        12: ("R_X86_64_16", 16, BITFIELD, False),
        13: ("R_X86_64_PC16", 16, BITFIELD, True),
        14: ("R_X86_64_8", 8, BITFIELD, False),
        15: ("R_X86_64_PC8", 8, SIGNED, True),
    },
    EM_386: {
        1: ("R_386_32", 32, BITFIELD, False),
        2: ("R_386_PC32", 32, BITFIELD, True),
        20: ("R_386_16", 16, BITFIELD, False),
        21: ("R_386_PC16", 16, BITFIELD, True),
        22: ("R_386_8", 8, BITFIELD, False),
        23: ("R_386_PC8", 8, SIGNED, True),
    },
}


def overflows(
    relocation: int, inline: int, bits: int, complain: str, addr_bits: int, src_mask: int
) -> bool:
    """bfd's ``_bfd_relocate_contents`` overflow test (rightshift and bitpos 0):
    ``relocation`` is S+A(-P) as ld computes it (A = 0 for ``SHT_REL``), ``inline``
    the field's bytes (the REL addend; ``src_mask`` 0 for RELA), ``addr_bits`` the
    target's address width (64 for x86-64, 32 for i386)."""
    fieldmask = (1 << bits) - 1
    addrmask = ((1 << addr_bits) - 1) | fieldmask
    a = relocation & addrmask
    b = inline & src_mask & addrmask
    if complain == UNSIGNED:
        signmask = ~fieldmask & _MASK64
        total = (a + b) & addrmask
        return bool((a | b | total) & signmask)
    signmask = ~(fieldmask >> 1) & _MASK64 if complain == SIGNED else ~fieldmask & _MASK64
    ss = a & signmask
    if ss and ss != (addrmask & signmask):
        return True
    sign = ((~src_mask & _MASK64) >> 1) & src_mask
    b = ((b ^ sign) - sign) & _MASK64
    total = (a + b) & _MASK64
    return bool((~(a ^ b)) & (a ^ total) & signmask & addrmask)


def field_range(bits: int, complain: str) -> tuple[int, int]:
    """The values a field accepts, as an inclusive range (bfd's rules)."""
    if complain == UNSIGNED:
        return 0, (1 << bits) - 1
    if complain == SIGNED:
        return -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return -(1 << bits), (1 << bits) - 1


_KINDS = {
    UNSIGNED: "unsigned {bits}-bit",
    SIGNED: "signed {bits}-bit",
    BITFIELD: "{bits}-bit, signed or unsigned",
}


def _hex(value: int) -> str:
    return f"-{-value:#x}" if value < 0 else f"{value:#x}"


def _fix(name: str, value: int, pcrel: bool, bits: int) -> str:
    if name == "R_X86_64_32":
        value &= _MASK64
        if value >= _MASK64 - (1 << 31) + 1:
            return (
                "this zero-extended 32-bit field cannot hold a higher-half address: compile"
                " 64-bit code linked at 0xffffffff80000000 and up with `-mcmodel=kernel`"
                " (R_X86_64_32S sign-extends, so such addresses fit); in 32-bit boot code,"
                " which runs before paging, use the symbol's physical (low) alias"
                " (`sym - KERNEL_VMA`), or keep the boot code and its data below 4 GiB"
                " (their own low output section, `AT()` for the higher half)"
            )
        return (
            "keep what this 32-bit field refers to below 4 GiB, or build the referencing"
            " code with `-mcmodel=large` (64-bit absolute addresses)"
        )
    if name == "R_X86_64_32S":
        return (
            "a sign-extended 32-bit field reaches the lowest and the highest 2 GiB only:"
            " link the kernel at or above 0xffffffff80000000 (`-mcmodel=kernel`), or build"
            " the referencing code with `-mcmodel=large`"
        )
    if bits == 32 and pcrel:
        return (
            "the target is more than ±2 GiB from the code: build with `-mcmodel=large` or"
            " move the target closer (into the code's 2 GiB window); low boot code entering"
            " higher-half code jumps through an absolute address (`movabs $t, %rax; jmp *%rax`)"
        )
    if bits == 16:
        return (
            "16-bit (real-mode) code reaches 64 KiB from its segment base: keep its data"
            " below 64 KiB of the segment base (link the stage low, e.g. at 0x7c00), or"
            " load a segment register with the target's segment and use the offset in it"
        )
    return (
        "an 8-bit field (a short jump or a byte operand): move the target within range,"
        " or use the 16/32-bit form of the instruction"
    )


def check(ctx: Context) -> Iterator[Finding]:
    if ctx.script is None or not _has_objects(ctx):
        return
    layout = ctx.layout
    if layout is None or layout.unsupported or layout.errors or not layout.objects:
        return
    from kernlint.ldscript import ast
    from kernlint.ldscript.evaluate import anchor

    spans = {}
    sections_span = None
    for node in ctx.script.walk():
        if isinstance(node, ast.OutputSection):
            spans.setdefault(node.name, node.span)
        elif isinstance(node, ast.Sections) and sections_span is None:
            sections_span = node.span
    defined = _global_definitions(layout.objects)
    inputs_of = {obj.index: obj.by_index() for obj in layout.objects}
    for obj in layout.objects:
        howtos = HOWTOS.get(obj.e_machine)
        if howtos is None:
            continue
        for bad in _overflows(obj, howtos, layout, defined, inputs_of):
            span = spans.get(bad["output"]) or sections_span
            location, note = Location(), ""
            if span is not None:
                span, note = anchor(ctx.script, span)
                location = Location.from_span(span)
            lo, hi = bad["range"]
            yield Finding(
                message=f"{obj.path}({bad['section']}+{bad['offset']:#x}): {bad['type']}"
                f" against {bad['target']} computes {bad['formula']} = {bad['shown']}, outside"
                f" the field's [{_hex(lo)}, {_hex(hi)}] ({bad['kind']}): GNU ld will stop"
                f' with "relocation truncated to fit: {bad["type"]}"{note}',
                location=location,
                fix=_fix(bad["type"], bad["value"], bad["pcrel"], bad["bits"]),
            )


def _has_objects(ctx: Context) -> bool:
    """Objects were named, or the script names its own (cheap: no layout import)."""
    if ctx.object_paths:
        return True
    from kernlint.ldscript import ast

    return any(isinstance(s, ast.Input | ast.Group) for s in ctx.script.statements())


def _global_definitions(objects) -> dict:
    """name -> (object, symbol) of the first global definition (not common)."""
    out: dict = {}
    for obj in objects:
        for sym in obj.symbols:
            if sym.local or not sym.name or sym.shndx == SHN_UNDEF:
                continue
            out.setdefault(sym.name, (obj, sym))
    return out


def _symbol(obj, r_sym: int, layout, defined, inputs_of) -> tuple[int, str] | None:
    """(S, how the finding names it) for symbol ``r_sym`` of ``obj``; None when it
    cannot be known (undefined, common, in a mergeable section, not laid out)."""
    if not 0 < r_sym < len(obj.symbols):
        return None
    sym = obj.symbols[r_sym]
    if not sym.local and sym.name in layout.symbols:
        return layout.symbols[sym.name], f"symbol `{sym.name}' (assigned by the script)"
    owner = obj
    if sym.shndx == SHN_UNDEF:
        hit = defined.get(sym.name)
        if hit is None:
            return None
        owner, sym = hit
    if sym.shndx == SHN_ABS:
        return sym.value, f"absolute symbol `{sym.name}'"
    if sym.shndx >= SHN_LORESERVE:
        return None
    section = inputs_of[owner.index].get(sym.shndx)
    if section is None or section.sh_flags & SHF_MERGE:
        return None
    address = layout.address_of(section)
    if address is None:
        return None
    if sym.st_type == STT_SECTION or not sym.name:
        return address + sym.value, f"section `{section.name}' of {owner.path}"
    return (
        address + sym.value,
        f"symbol `{sym.name}' (at {address + sym.value:#x}, in {section.name} of {owner.path})",
    )


def _overflows(obj, howtos, layout, defined, inputs_of) -> Iterator[dict]:
    addr_bits = 32 if obj.ei_class == 32 else 64
    inputs = inputs_of[obj.index]
    for table in obj.relocations():
        if table.target is None:
            continue
        section = inputs.get(table.target.index)
        if section is None or not section.sh_flags & SHF_ALLOC or section.sh_flags & SHF_MERGE:
            continue
        base = layout.address_of(section)
        where = layout.placement.get(section.key)
        if base is None or where is None:
            continue
        rel = table.section.sh_type == SHT_REL
        for r_offset, r_type, r_sym, r_addend in zip(
            table.r_offset.tolist(),
            table.r_type.tolist(),
            table.r_sym.tolist(),
            table.r_addend.tolist(),
            strict=True,
        ):
            howto = howtos.get(r_type)
            if howto is None:
                continue
            name, bits, complain, pcrel = howto
            resolved = _symbol(obj, r_sym, layout, defined, inputs_of)
            if resolved is None:
                continue
            s_value, target = resolved
            p_value = base + r_offset
            inline, src_mask, addend = 0, 0, r_addend
            if rel:
                if table.target.sh_type == 8 or r_offset + bits // 8 > table.target.sh_size:
                    continue
                raw = obj.image.reader.read_bytes(table.target.sh_offset + r_offset, bits // 8)
                inline = int.from_bytes(
                    raw, "big" if obj.image.header.ei_data == "big" else "little"
                )
                src_mask = (1 << bits) - 1
                addend = inline - (1 << bits) if inline >> (bits - 1) else inline
            relocation = s_value + (0 if rel else r_addend) - (p_value if pcrel else 0)
            if not overflows(relocation, inline, bits, complain, addr_bits, src_mask):
                continue
            value = s_value + addend - (p_value if pcrel else 0)
            if addr_bits == 32:
                value = (value + (1 << 31)) % (1 << 32) - (1 << 31)
            shown = _hex(value & _MASK64 if complain == UNSIGNED else value)
            formula = f"S {s_value:#x} + A {_hex(addend)}"
            if pcrel:
                formula += f" - P {p_value:#x}"
            yield {
                "output": where[0],
                "section": section.name,
                "offset": r_offset,
                "type": name,
                "target": target,
                "formula": formula,
                "shown": shown,
                "value": value,
                "range": field_range(bits, complain),
                "kind": _KINDS[complain].format(bits=bits) + (", PC-relative" if pcrel else ""),
                "bits": bits,
                "pcrel": pcrel,
            }
