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
`.word -65536` links.)

AArch64 and RISC-V GNU ld test their fields with their own code: the value, computed
modulo 2^64 and read as signed, must lie in a range and, where ld says so, be a
multiple of the access size:

| relocation | value | accepted (as GNU ld 2.40) |
|---|---|---|
| `R_AARCH64_ABS32`, `_ABS16` | S+A | [0, 2^32), [0, 2^16) |
| `R_AARCH64_PREL32`, `_PREL16` | S+A-P | [-2^31, 2^31), [-2^15, 2^15) |
| `R_AARCH64_MOVW_UABS_G0`/`G1`/`G2` | S+A | [0, 2^16), [0, 2^32), [0, 2^48) |
| `R_AARCH64_MOVW_SABS_G0`/`G1`/`G2` | S+A | [-2^16, 2^16), [-2^32, 2^32), [-2^48, 2^48) |
| `R_AARCH64_LD_PREL_LO19` (`ldr x0, sym`) | S+A-P | [-2^20, 2^20), multiple of 4 |
| `R_AARCH64_ADR_PREL_LO21` (`adr`) | S+A-P | [-2^20, 2^20) |
| `R_AARCH64_ADR_PREL_PG_HI21` (`adrp`) | Page(S+A)-Page(P) | [-2^32, 2^32) |
| `R_AARCH64_TSTBR14` (`tbz`) | S+A-P | [-2^15, 2^15) |
| `R_AARCH64_CONDBR19` (`b.cond`, `cbz`) | S+A-P | [-2^20, 2^20) |
| `R_AARCH64_CALL26`, `_JUMP26` (`bl`, `b`) | S+A-P | [-2^27, 2^27), in a section that is not code |
| `R_AARCH64_LDST16`/`32`/`64`/`128_ABS_LO12_NC` | S+A | a multiple of 2, 4, 8, 16 |
| `R_RISCV_BRANCH` | S+A-P | [-2^12, 2^12), even |
| `R_RISCV_JAL` | S+A-P | [-2^20, 2^20), even |
| `R_RISCV_RVC_BRANCH`, `_RVC_JUMP` | S+A-P | [-2^8, 2^8), [-2^11, 2^11), even |
| `R_RISCV_CALL`, `_CALL_PLT` (RV64) | S+A-P | [-2^31-0x800, 2^31-0x800) |
| `R_RISCV_PCREL_HI20` (RV64) | S+A-P | the same, or S+A in it (ld makes `auipc` a `lui`) |
| `R_RISCV_HI20` (RV64) | S+A | [-2^31-0x800, 2^31-0x800) |

(AArch64 `bl`/`b` out of range in a code section, and RISC-V objects with
`R_RISCV_RELAX`/`R_RISCV_ALIGN` (assembled without `-mno-relax`), link differently
from the layout: ld inserts long-branch veneers or deletes bytes, moving what follows;
KL501 then says nothing about the link. `R_AARCH64_ABS64`, `_PREL64`, `R_RISCV_32`,
`_64`, `_32_PCREL` and RV32's U-type fields never overflow. GNU ld stops at the first
bad relocation of each RISC-V input section; KL501 reports them all.) Relocations
against undefined symbols, common symbols, mergeable (`SHF_MERGE`) sections, of other
types (ARM is not covered), or on a layout with anything `kernlint layout` does not
model (`unsupported`, ld errors) are skipped: the rule never guesses.

## Why is this bad?
ld stops with "relocation truncated to fit: R_X86_64_32 against symbol `x'" (ld.lld:
"relocation R_X86_64_32 out of range: ... is not in [0, 4294967295]"), naming the
relocation but not why the value is what it is. The usual cause is a code model that
does not match where the script links the code: a higher-half kernel
(0xffffffff80000000 and up) whose 32-bit boot code or `-mcmodel=small` C code stores
an address in a zero-extended 32-bit field; code more than 2 GiB from what it calls;
real-mode code referencing data past 64 KiB; an arm64 entry linked at its physical
address whose `adr`/`adrp`/`ldr` literal refer to higher-half data; RV64 code linked
at 0x80000000 and up built `-mcmodel=medlow` (`lui`), or a `jal` more than 1 MiB away.

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
`R_X86_64_32S`); on RV64, `-mcmodel=medany` (`auipc`, PC-relative) and `call`/`tail`
instead of `jal`/`j`; on arm64, link the entry at the kernel's virtual address too,
with `AT()` for where it is loaded, as Linux does.

## References
- GNU ld: bfd/reloc.c `_bfd_relocate_contents`, bfd/elf64-x86-64.c and
  bfd/elf32-i386.c howto tables (`complain_overflow_*`); bfd/elfnn-aarch64.c howto
  table (bitsize + rightshift), bfd/elfxx-aarch64.c `_bfd_aarch64_elf_put_addend`
  (`aarch64_signed_overflow`, the alignment checks) and `elfNN_aarch64_size_stubs`
  (veneers for code sections only); bfd/elfnn-riscv.c `perform_relocation`
  (`VALID_BTYPE_IMM` ... `VALID_UTYPE_IMM`, U-type on RV64 only),
  `riscv_zero_pcrel_hi_reloc` and `riscv_elf_relocate_section` (`goto out` after the
  first error); each range linked at its limits with ld 2.40 in
  tests/rules/test_kl501_relocation_overflow.py.
- AArch64 ELF ABI (AAELF64) §5.7 "Relocation"; RISC-V ELF psABI "Relocations" and
  "Code Models".
- x86-64 psABI, "Relocation Types" and "Code Models" (`-mcmodel=kernel`).
- kernlint research, `anchors-binary.md` §4 L1–L6.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

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
        # ld.lld prints the function as demangled (`core::fmt::num::imp::<impl
        # core::fmt::Display for usize>::fmt`) or mangled (`_$LT$impl$u20$...$GT$`):
        # anything up to the ": " before the section.
        r"(?<!\S)(?P<object>\S+?):\((?:function (?P<function>.{1,1000}?): )?"
        r"(?P<section>[^\s+()]+)\+(?P<offset>0x[0-9a-fA-F]+)\):"
        r" relocation (?P<type>R_\w+) out of range:"
        r" (?P<value>-?\d+) is not in \[(?P<min>-?\d+), (?P<max>-?\d+)\]"
        r"(?:; references (?:section '(?P<target>[^']+)'|(?P<symbol>\S+)))?",
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

EM_AARCH64 = 183
EM_RISCV = 243
SHF_EXECINSTR = 0x4
SHT_RELA = 4
SHT_NOBITS = 8
R_RISCV_ALIGN = 43
R_RISCV_RELAX = 51
_NO_LIMIT = (-(1 << 63), (1 << 63) - 1)


@dataclass(frozen=True, slots=True)
class Reach:
    """A field AArch64 and RISC-V GNU ld check as a range (bfd's own tests, not
    ``_bfd_relocate_contents``): ``value`` is ``S+A``, ``S+A-P`` or
    ``Page(S+A)-Page(P)``, computed modulo 2^64 and read as signed; ld refuses it
    outside ``[lo, hi]`` or when it is not a multiple of ``align``. ``veneered``: ld
    adds a long-branch veneer instead, in a code (``SHF_EXECINSTR``) section;
    ``lui``: ld rewrites ``auipc`` to ``lui`` when ``S+A`` itself fits ``[lo, hi]``;
    ``only64``: not checked in ELFCLASS32 objects."""

    name: str
    value: str
    lo: int
    hi: int
    kind: str
    align: int = 1
    veneered: bool = False
    lui: bool = False
    only64: bool = False


_ABS, _PCREL, _PAGE = "S+A", "S+A-P", "Page(S+A)-Page(P)"
_MIB = 1 << 20
#: U-type (lui/auipc): the high part of value + 0x800 must be a sign-extended 32-bit
#: number (VALID_UTYPE_IMM (RISCV_CONST_HIGH_PART (value))).
_HI20 = (-(1 << 31) - 0x800, (1 << 31) - 0x801)

#: e_machine -> r_type -> Reach. AArch64: bfd/elfnn-aarch64.c howto table
#: (bitsize + rightshift, complain_overflow_signed/unsigned) and bfd/elfxx-aarch64.c
#: _bfd_aarch64_elf_put_addend (the alignment of LD_PREL_LO19 and LDSTn_ABS_LO12_NC);
#: RISC-V: bfd/elfnn-riscv.c perform_relocation (VALID_*TYPE_IMM) and
#: riscv_zero_pcrel_hi_reloc. Every entry is linked at its limits with GNU ld 2.40 in
#: tests/rules/test_kl501_relocation_overflow.py.
REACHES: dict[int, dict[int, Reach]] = {
    EM_AARCH64: {
        258: Reach("R_AARCH64_ABS32", _ABS, 0, (1 << 32) - 1, "unsigned 32-bit"),
        259: Reach("R_AARCH64_ABS16", _ABS, 0, (1 << 16) - 1, "unsigned 16-bit"),
        261: Reach("R_AARCH64_PREL32", _PCREL, -(1 << 31), (1 << 31) - 1, "signed 32-bit"),
        262: Reach("R_AARCH64_PREL16", _PCREL, -(1 << 15), (1 << 15) - 1, "signed 16-bit"),
        263: Reach("R_AARCH64_MOVW_UABS_G0", _ABS, 0, (1 << 16) - 1, "unsigned 16-bit: movz"),
        265: Reach("R_AARCH64_MOVW_UABS_G1", _ABS, 0, (1 << 32) - 1, "unsigned 32-bit: movz"),
        267: Reach("R_AARCH64_MOVW_UABS_G2", _ABS, 0, (1 << 48) - 1, "unsigned 48-bit: movz"),
        270: Reach("R_AARCH64_MOVW_SABS_G0", _ABS, -(1 << 16), (1 << 16) - 1, "signed 17-bit"),
        271: Reach("R_AARCH64_MOVW_SABS_G1", _ABS, -(1 << 32), (1 << 32) - 1, "signed 33-bit"),
        272: Reach("R_AARCH64_MOVW_SABS_G2", _ABS, -(1 << 48), (1 << 48) - 1, "signed 49-bit"),
        273: Reach(
            "R_AARCH64_LD_PREL_LO19", _PCREL, -_MIB, _MIB - 4, "±1 MiB: ldr literal", align=4
        ),
        274: Reach("R_AARCH64_ADR_PREL_LO21", _PCREL, -_MIB, _MIB - 1, "±1 MiB: adr"),
        275: Reach(
            "R_AARCH64_ADR_PREL_PG_HI21",
            _PAGE,
            -(1 << 32),
            (1 << 32) - 0x1000,
            "±4 GiB of pages: adrp",
        ),
        279: Reach("R_AARCH64_TSTBR14", _PCREL, -(1 << 15), (1 << 15) - 1, "±32 KiB: tbz/tbnz"),
        280: Reach("R_AARCH64_CONDBR19", _PCREL, -_MIB, _MIB - 1, "±1 MiB: b.cond/cbz/cbnz"),
        282: Reach(
            "R_AARCH64_JUMP26", _PCREL, -(1 << 27), (1 << 27) - 1, "±128 MiB: b", veneered=True
        ),
        283: Reach(
            "R_AARCH64_CALL26", _PCREL, -(1 << 27), (1 << 27) - 1, "±128 MiB: bl", veneered=True
        ),
        284: Reach("R_AARCH64_LDST16_ABS_LO12_NC", _ABS, *_NO_LIMIT, "ldrh/strh offset", align=2),
        285: Reach(
            "R_AARCH64_LDST32_ABS_LO12_NC", _ABS, *_NO_LIMIT, "32-bit ldr/str offset", align=4
        ),
        286: Reach(
            "R_AARCH64_LDST64_ABS_LO12_NC", _ABS, *_NO_LIMIT, "64-bit ldr/str offset", align=8
        ),
        299: Reach(
            "R_AARCH64_LDST128_ABS_LO12_NC", _ABS, *_NO_LIMIT, "128-bit ldr/str offset", align=16
        ),
    },
    EM_RISCV: {
        16: Reach("R_RISCV_BRANCH", _PCREL, -0x1000, 0xFFE, "±4 KiB: beq/bne/blt...", align=2),
        17: Reach("R_RISCV_JAL", _PCREL, -_MIB, _MIB - 2, "±1 MiB: jal/j", align=2),
        18: Reach("R_RISCV_CALL", _PCREL, *_HI20, "±2 GiB: auipc+jalr", only64=True),
        19: Reach("R_RISCV_CALL_PLT", _PCREL, *_HI20, "±2 GiB: auipc+jalr", only64=True),
        23: Reach("R_RISCV_PCREL_HI20", _PCREL, *_HI20, "±2 GiB: auipc", lui=True, only64=True),
        26: Reach("R_RISCV_HI20", _ABS, *_HI20, "sign-extended 32-bit: lui", only64=True),
        44: Reach("R_RISCV_RVC_BRANCH", _PCREL, -0x100, 0xFE, "±256 B: c.beqz/c.bnez", align=2),
        45: Reach("R_RISCV_RVC_JUMP", _PCREL, -0x800, 0x7FE, "±2 KiB: c.j/c.jal", align=2),
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
    if not ctx.has_objects:
        return
    layout = ctx.layout
    if layout is None or layout.unsupported or layout.errors or not layout.objects:
        return
    from kernlint.ldscript.evaluate import anchor

    spans, sections_span = ctx.script.output_section_spans()
    defined = _global_definitions(layout.objects)
    inputs_of = {obj.index: obj.by_index() for obj in layout.objects}
    if any(_relaxes(obj, inputs_of) for obj in layout.objects):
        return  # ld relaxes RISC-V code (deletes bytes): the layout is not ld's
    found = []
    for obj in layout.objects:
        howtos = HOWTOS.get(obj.e_machine)
        if howtos is not None:
            found += [(obj, bad) for bad in _overflows(obj, howtos, layout, defined, inputs_of)]
        reaches = REACHES.get(obj.e_machine)
        if reaches is not None:
            found += [(obj, bad) for bad in _out_of_reach(obj, reaches, layout, defined, inputs_of)]
    if any(bad.get("veneer") for _, bad in found):
        return  # ld inserts a long-branch veneer, which moves what follows it
    for obj, bad in found:
        span = spans.get(bad["output"]) or sections_span
        location, note = Location(), ""
        if span is not None:
            span, note = anchor(ctx.script, span)
            location = Location.from_span(span)
        lo, hi = bad["range"]
        if bad.get("misaligned"):
            why = f"not a multiple of {bad['misaligned']}, which the field ({bad['kind']}) needs"
        else:
            why = f"outside the field's [{_hex(lo)}, {_hex(hi)}] ({bad['kind']})"
        yield Finding(
            message=f"{obj.path}({bad['section']}+{bad['offset']:#x}): {bad['type']}"
            f" against {bad['target']} computes {bad['formula']} = {bad['shown']},"
            f" {why}{bad.get('also', '')}: GNU ld will stop"
            f' with "relocation truncated to fit: {bad["type"]}"{note}',
            location=location,
            fix=_REACH_FIXES.get(bad["type"])
            or _fix(bad["type"], bad["value"], bad["pcrel"], bad["bits"]),
        )


def _relaxes(obj, inputs_of) -> bool:
    """A RISC-V object GNU ld relaxes by default: R_RISCV_RELAX or R_RISCV_ALIGN in
    an allocated section (code not assembled with ``-mno-relax``/``.option norelax``)."""
    if obj.e_machine != EM_RISCV:
        return False
    inputs = inputs_of[obj.index]
    for table in obj.relocations():
        section = inputs.get(table.target.index) if table.target is not None else None
        if section is None or not section.sh_flags & SHF_ALLOC:
            continue
        types = set(table.r_type.tolist())
        if R_RISCV_RELAX in types or R_RISCV_ALIGN in types:
            return True
    return False


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
        for r_offset, r_sym, r_type, r_addend in table.records():
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


def _signed64(value: int) -> int:
    value &= _MASK64
    return value - (1 << 64) if value >> 63 else value


def _out_of_reach(obj, reaches, layout, defined, inputs_of) -> Iterator[dict]:
    """The AArch64 and RISC-V relocations of ``obj`` GNU ld refuses (RELA only), and
    the AArch64 branches it would veneer (``veneer``: the caller stays silent)."""
    inputs = inputs_of[obj.index]
    for table in obj.relocations():
        if table.target is None or table.section.sh_type != SHT_RELA:
            continue
        section = inputs.get(table.target.index)
        if section is None or not section.sh_flags & SHF_ALLOC or section.sh_flags & SHF_MERGE:
            continue
        base = layout.address_of(section)
        where = layout.placement.get(section.key)
        if base is None or where is None:
            continue
        code = bool(section.sh_flags & SHF_EXECINSTR)
        for r_offset, r_sym, r_type, r_addend in table.records():
            reach = reaches.get(r_type)
            if reach is None or (reach.only64 and obj.ei_class == 32):
                continue
            if obj.e_machine == EM_AARCH64 and obj.ei_class == 32:
                continue  # ILP32 (elf32-aarch64) has its own R_AARCH64_P32_* howtos
            resolved = _symbol(obj, r_sym, layout, defined, inputs_of)
            if resolved is None:
                continue
            s_value, target = resolved
            p_value = base + r_offset
            absolute = _signed64(s_value + r_addend)
            if reach.value == _ABS:
                value = absolute
            elif reach.value == _PAGE:
                value = _signed64(((s_value + r_addend) & ~0xFFF) - (p_value & ~0xFFF))
            else:
                value = _signed64(s_value + r_addend - p_value)
            inside = reach.lo <= value <= reach.hi
            if inside and value % reach.align == 0:
                continue
            if reach.lui and reach.lo <= absolute <= reach.hi:
                continue  # ld rewrites auipc to lui (riscv_zero_pcrel_hi_reloc)
            if reach.veneered and code and not inside:
                yield {"veneer": True}
                continue
            formula = f"S {s_value:#x} + A {_hex(r_addend)}"
            if reach.value == _PCREL:
                formula += f" - P {p_value:#x}"
            elif reach.value == _PAGE:
                formula = f"Page({formula}) - Page(P {p_value:#x})"
            also = ""
            if reach.lui:
                also = f"; S+A = {_hex(absolute)} is outside it too, so ld cannot use lui"
            yield {
                "output": where[0],
                "section": section.name,
                "offset": r_offset,
                "type": reach.name,
                "target": target,
                "formula": formula,
                "shown": _hex(value),
                "value": value,
                "range": (reach.lo, reach.hi),
                "kind": reach.kind + (", PC-relative" if reach.value != _ABS else ""),
                "misaligned": reach.align if inside else 0,
                "also": also,
                "bits": 0,
                "pcrel": reach.value != _ABS,
            }


_BRANCH_FIX = (
    "a conditional branch reaches {reach}: keep the target in the same output section"
    " (or nearby), or invert the condition around an unconditional `b`/`j`, which"
    " reaches further"
)
_REACH_FIXES = {
    "R_AARCH64_CONDBR19": _BRANCH_FIX.format(reach="±1 MiB"),
    "R_AARCH64_TSTBR14": _BRANCH_FIX.format(reach="±32 KiB"),
    "R_AARCH64_ADR_PREL_LO21": (
        "`adr` reaches ±1 MiB: use `adrp` + `add :lo12:` (±4 GiB), or load the address"
        " from a literal (`ldr x0, =sym`); code linked at a physical address cannot reach"
        " higher-half data at all: link the boot code at the kernel's virtual address too"
        " (`AT()` gives its load address) and keep it position-independent, as arm64"
        " Linux does"
    ),
    "R_AARCH64_LD_PREL_LO19": (
        "a literal load (`ldr x0, sym`) reaches ±1 MiB of 4-byte-aligned data: align"
        " the data (`.balign 8`), keep it within 1 MiB (the boot code's own section), or"
        " use `adrp` + `ldr :lo12:`"
    ),
    "R_AARCH64_ADR_PREL_PG_HI21": (
        "`adrp` reaches ±4 GiB of pages: code linked at a physical address cannot reach"
        " higher-half symbols; link it at the kernel's virtual address too (`AT()` for the"
        " load address), or take the address from a literal (`ldr x0, =sym`) or"
        " `movz`/`movk` (`:abs_g3:` ... `:abs_g0_nc:`)"
    ),
    "R_AARCH64_CALL26": (
        "GNU ld adds long-branch veneers only in code sections: mark the section"
        ' executable (`.section .boot, "ax"`), or branch through a register'
        " (`ldr x16, =target; br x16`)"
    ),
    "R_AARCH64_ABS32": (
        "a 32-bit absolute field holds [0, 4 GiB): use `.quad`/`ldr x0, =sym` (64-bit),"
        " or store an offset (`sym - base`)"
    ),
    "R_RISCV_HI20": (
        "`lui` + `addi` (the medlow code model, `-mcmodel=medlow`) reach only addresses"
        " within ±2 GiB of 0, sign-extended: RV64 code linked at 0x80000000 and up needs"
        " `-mcmodel=medany` (`auipc`, PC-relative; `lla` in assembly)"
    ),
    "R_RISCV_JAL": (
        "`jal`/`j` reach ±1 MiB: use `call`/`tail` (auipc + jalr, ±2 GiB), or keep the"
        " target within 1 MiB"
    ),
    "R_RISCV_BRANCH": _BRANCH_FIX.format(reach="±4 KiB"),
    "R_RISCV_RVC_BRANCH": _BRANCH_FIX.format(reach="±256 bytes"),
    "R_RISCV_RVC_JUMP": "`c.j`/`c.jal` reach ±2 KiB: use `j`/`jal` (±1 MiB) or `tail`/`call`",
}
_REACH_FIXES["R_AARCH64_JUMP26"] = _REACH_FIXES["R_AARCH64_CALL26"]
_REACH_FIXES["R_AARCH64_ABS16"] = (
    "a 16-bit absolute field holds [0, 64 KiB): use a wider field (`.word`, `.quad`),"
    " or store an offset from a nearby base (`sym - base`)"
)
for _name in ("R_AARCH64_PREL32", "R_AARCH64_PREL16"):
    _REACH_FIXES[_name] = (
        "a PC-relative data field (`.word sym - .`) reaches ±2 GiB (`.hword`: ±32 KiB):"
        " use a 64-bit field (`.quad sym - .`, R_AARCH64_PREL64), or keep the target"
        " closer to the table"
    )
for _name in ("G0", "G1", "G2"):
    _REACH_FIXES[f"R_AARCH64_MOVW_UABS_{_name}"] = _REACH_FIXES[f"R_AARCH64_MOVW_SABS_{_name}"] = (
        "the `movz` sequence builds too few bits of the address: start it one group"
        " higher (`movz x0, #:abs_g3:sym` then `movk` with `:abs_g2_nc:` ... `:abs_g0_nc:`)"
    )
for _name in ("R_RISCV_PCREL_HI20", "R_RISCV_CALL", "R_RISCV_CALL_PLT"):
    _REACH_FIXES[_name] = (
        "`auipc` reaches ±2 GiB of the code: a boot stub linked at a physical address"
        " cannot call or address higher-half code this way; load the target's address"
        " from memory (`ld t0, .Laddr; jr t0`, with `.Laddr: .dword target`), or link the"
        " stub at the kernel's virtual addresses too (`AT()` for the load address)"
    )
for _name in ("R_AARCH64_LDST16_ABS_LO12_NC", "R_AARCH64_LDST32_ABS_LO12_NC"):
    _REACH_FIXES[_name] = (
        "the access's low 12-bit offset is scaled by its size, so the symbol must be"
        " aligned to it: align the data (`.balign`, `. = ALIGN(8)` before a"
        " script-defined symbol)"
    )
for _name in ("R_AARCH64_LDST64_ABS_LO12_NC", "R_AARCH64_LDST128_ABS_LO12_NC"):
    _REACH_FIXES[_name] = _REACH_FIXES["R_AARCH64_LDST16_ABS_LO12_NC"]
