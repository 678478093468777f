"""Values parsed out of a log line, normalised, and the fields derived from them.

A pattern's named groups keep their text, except that addresses are normalised to
``0x7dbe`` form. Groups with agreed names give derived fields an ``explain`` text
may use (each only when its inputs matched):

============  ==============================================  ====================
derived       from groups                                     example
============  ==============================================  ====================
``place``     ``file``/``script`` and ``line`` (prefix)       ``boot.ld:6``
``at``        ``section``, ``offset``; ``object``, ``function``  ``a.o:(.text+0x1)``
``referent``  ``symbol`` or ``target``; ``target_section``,   ``symbol `far_sym'``
              ``defined_in``
``overlap``   ``a_start``, ``a_end``, ``b_start``, ``b_end``  ``56`` (bytes; ranges
              (inclusive ranges, as ld and ld.lld print)      inclusive)
``distance``  ``from``, ``to``                                ``2`` (bytes)
``value_hex`` ``value`` (decimal)                             ``0xffffffff80000000``
``excess``    ``value``, ``min``, ``max``                     bytes outside range
``over``      ``times`` (NASM's negative TIMES count)         ``12``
``width``,    ``type`` (a relocation type, see                ``32-bit absolute
``reloc_fix`` :data:`RELOCATIONS`)                            ...``
============  ==============================================  ====================

Everything here is a pure function of its arguments.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping

#: Groups holding addresses or offsets printed in hex (with or without ``0x``).
HEX_GROUPS = frozenset({"address", "from", "to", "a_start", "a_end", "b_start", "b_end"})

_ABS32_FIX = (
    "A zero-extended 32-bit field cannot hold a higher-half address: compile code that"
    " runs at 0xffffffff80000000 and up with `-mcmodel=kernel` (rustc: `-C"
    " code-model=kernel`), and keep 32-bit boot code, which runs before paging, referring"
    " only to symbols linked below 4 GiB (its own low output section, `AT()` for the"
    " higher half, `movabs` for high addresses once in 64-bit mode)."
)
_ABS32S_FIX = (
    "A sign-extended 32-bit field reaches only the lowest 2 GiB and the top 2 GiB"
    " (0xffffffff80000000 and up): link the kernel at or above 0xffffffff80000000 and"
    " compile it with `-mcmodel=kernel`, or build the referencing code with"
    " `-mcmodel=large` (rustc: `-C code-model=large`)."
)
_PC32_FIX = (
    "A 32-bit displacement reaches ±2 GiB from the instruction: keep caller and target in"
    " one 2 GiB window; low boot code that enters higher-half code must jump through an"
    " absolute address (`movabs $target, %rax; jmp *%rax`), or build with `-mcmodel=large`."
)
_ABS16_FIX = (
    "Real-mode code addresses 64 KiB from a segment base: keep what 16-bit code references"
    " within 64 KiB of it (link the stage low, e.g. at 0x7c00 or 0x8000), or load a"
    " segment register with the target's segment and use the offset within it."
)
_PC16_FIX = (
    "A 16-bit displacement reaches ±32 KiB: keep the target in the same 64 KiB stage, or"
    " jump through a register or a far pointer."
)
_BYTE_FIX = (
    "An 8-bit field holds a short jump or a byte: use a near jump (drop `short`) or keep"
    " the target within 127 bytes."
)
_BRANCH_FIX = (
    "The branch cannot reach its target: keep them closer (one output section or"
    " memory region), or let the linker insert veneers: GNU ld extends AArch64 `bl`/`b`"
    ' only in code sections (`"ax"`).'
)

_ADRP_FIX = (
    "`adrp` reaches ±4 GiB of pages from the instruction: code running at its physical"
    " address (an early AArch64 boot head) cannot `adrp` a higher-half symbol; take"
    " the symbol's physical alias (link it with `AT()` and use `sym - KIMAGE_VADDR +"
    " phys_base`), or load the absolute address from a literal (`ldr x0, =sym`)."
)
_ADR_FIX = (
    "`adr` and literal `ldr` reach ±1 MiB: use `adrp x0, sym` then `add x0, x0,"
    " :lo12:sym` (±4 GiB), or keep the literal pool near the code (`.ltorg`)."
)
_AARCH64_CONDBR_FIX = (
    "A conditional branch (`b.cond`, `cbz`/`cbnz`: ±1 MiB; `tbz`/`tbnz`: ±32 KiB) gets no"
    " veneer: invert the condition around an unconditional `b`, which ld can extend"
    " with a veneer, or keep the target closer."
)
_AARCH64_ABS_FIX = (
    "The data directive is narrower than the address: store it with `.quad` (or"
    " `.xword`), or make sure the value fits the field."
)
_AARCH64_MOVW_FIX = (
    "The `movz`/`movk` sequence does not build enough bits for this value: add `movk`"
    " instructions for the higher 16-bit groups (`:abs_g1:`, `:abs_g2:`, `:abs_g3:`),"
    " or load it from a literal (`ldr x0, =sym`)."
)
_AARCH64_LDST_FIX = (
    "The `:lo12:` offset of a load or store must be a multiple of the access size:"
    " align the symbol (`.balign 8` for an `ldr x`), or compute the address with `add`."
)
_RISCV_HI20_FIX = (
    "`lui` builds a sign-extended 32-bit address: with `-mcmodel=medlow` (the default)"
    " code and data must lie in the lowest or highest 2 GiB; build with"
    " `-mcmodel=medany` (PC-relative `auipc`) for a kernel linked elsewhere, e.g. at"
    " 0x80200000 upwards on a 64-bit SoC."
)
_RISCV_PCREL_FIX = (
    "`auipc` reaches ±2 GiB from the instruction: keep code and what it refers to in one"
    " 2 GiB window, or load the absolute address from memory (a GOT or literal)."
)
_RISCV_JAL_FIX = (
    "`jal`/`j` reach ±1 MiB and conditional branches ±4 KiB: use `call`/`tail`"
    " (`auipc`+`jalr`, ±2 GiB) for far targets, or invert a branch around a `j`."
)
_RISCV_RVC_FIX = (
    "A compressed branch or jump (`c.beqz`, `c.j`) reaches only ±256 bytes / ±2 KiB:"
    " let the assembler use the full-size instruction (`.option norvc` around it), or"
    " keep the target closer."
)

#: Relocation types: what their field holds and how an overflow is fixed.
#: Sources: System V x86-64 psABI §4.4 (relocation types, code models §3.5.1),
#: i386 psABI, AArch64 ELF ABI (AAELF64) §5.7, RISC-V ELF psABI "Relocations".
RELOCATIONS: dict[str, tuple[str, str]] = {
    "R_X86_64_32": ("32-bit absolute field (zero-extended: 0 to 4 GiB)", _ABS32_FIX),
    "R_X86_64_32S": (
        "32-bit absolute field (sign-extended: the lowest or the highest 2 GiB)",
        _ABS32S_FIX,
    ),
    "R_X86_64_PC32": ("32-bit PC-relative field (±2 GiB)", _PC32_FIX),
    "R_X86_64_PLT32": ("32-bit PC-relative call field (±2 GiB)", _PC32_FIX),
    "R_X86_64_GOTPCREL": ("32-bit PC-relative GOT field (±2 GiB)", _PC32_FIX),
    "R_X86_64_GOTPCRELX": ("32-bit PC-relative GOT field (±2 GiB)", _PC32_FIX),
    "R_X86_64_REX_GOTPCRELX": ("32-bit PC-relative GOT field (±2 GiB)", _PC32_FIX),
    "R_X86_64_16": ("16-bit absolute field (0 to 64 KiB)", _ABS16_FIX),
    "R_X86_64_PC16": ("16-bit PC-relative field (±32 KiB)", _PC16_FIX),
    "R_X86_64_8": ("8-bit absolute field", _BYTE_FIX),
    "R_X86_64_PC8": ("8-bit PC-relative field (±127 bytes)", _BYTE_FIX),
    "R_386_16": ("16-bit absolute field (0 to 64 KiB)", _ABS16_FIX),
    "R_386_PC16": ("16-bit PC-relative field (±32 KiB)", _PC16_FIX),
    "R_386_8": ("8-bit absolute field", _BYTE_FIX),
    "R_386_PC8": ("8-bit PC-relative field (±127 bytes)", _BYTE_FIX),
    "R_AARCH64_CALL26": ("26-bit branch field (±128 MiB)", _BRANCH_FIX),
    "R_AARCH64_JUMP26": ("26-bit branch field (±128 MiB)", _BRANCH_FIX),
    "R_AARCH64_ADR_PREL_LO21": ("21-bit PC-relative field (`adr`, ±1 MiB)", _ADR_FIX),
    "R_AARCH64_ADR_PREL_PG_HI21": ("21-bit page field (`adrp`, ±4 GiB)", _ADRP_FIX),
    "R_AARCH64_LD_PREL_LO19": ("19-bit literal-load field (`ldr` literal, ±1 MiB)", _ADR_FIX),
    "R_AARCH64_CONDBR19": ("19-bit conditional-branch field (±1 MiB)", _AARCH64_CONDBR_FIX),
    "R_AARCH64_TSTBR14": ("14-bit test-and-branch field (±32 KiB)", _AARCH64_CONDBR_FIX),
    "R_AARCH64_ABS32": ("32-bit absolute field (0 to 4 GiB)", _AARCH64_ABS_FIX),
    "R_AARCH64_ABS16": ("16-bit absolute field (0 to 64 KiB)", _AARCH64_ABS_FIX),
    "R_AARCH64_PREL32": ("32-bit PC-relative field (±2 GiB)", _RISCV_PCREL_FIX),
    "R_AARCH64_PREL16": ("16-bit PC-relative field (±32 KiB)", _AARCH64_ABS_FIX),
    **{
        f"R_AARCH64_MOVW_{k}ABS_G{g}": (f"16-bit `movz`/`movk` group {g} field", _AARCH64_MOVW_FIX)
        for k in ("U", "S")
        for g in (0, 1, 2)
    },
    **{
        f"R_AARCH64_LDST{n}_ABS_LO12_NC": (
            f"low-12-bit offset of a {n // 8}-byte load/store (a multiple of {n // 8})",
            _AARCH64_LDST_FIX,
        )
        for n in (16, 32, 64, 128)
    },
    "R_RISCV_JAL": ("20-bit jump field (`jal`, ±1 MiB)", _RISCV_JAL_FIX),
    "R_RISCV_BRANCH": ("12-bit branch field (±4 KiB)", _RISCV_JAL_FIX),
    "R_RISCV_RVC_BRANCH": ("compressed branch field (±256 bytes)", _RISCV_RVC_FIX),
    "R_RISCV_RVC_JUMP": ("compressed jump field (±2 KiB)", _RISCV_RVC_FIX),
    "R_RISCV_CALL": ("`auipc`+`jalr` call field (±2 GiB)", _RISCV_PCREL_FIX),
    "R_RISCV_CALL_PLT": ("`auipc`+`jalr` call field (±2 GiB)", _RISCV_PCREL_FIX),
    "R_RISCV_PCREL_HI20": ("20-bit PC-relative high field (`auipc`, ±2 GiB)", _RISCV_PCREL_FIX),
    "R_RISCV_HI20": (
        "20-bit absolute high field (`lui`: the lowest or highest 2 GiB)",
        _RISCV_HI20_FIX,
    ),
}
_GENERIC_RELOC = (
    "relocation field",
    "The value does not fit the field: move the target closer to where it is referenced,"
    " or build the referencing code with a code model that allows larger addresses.",
)

_FORMATTER = string.Formatter()


def to_int(text: str, hex_default: bool = False) -> int | None:
    """``text`` as an integer: ``0x`` hex, or decimal (hex when ``hex_default``, as ld
    prints addresses without ``0x``); None when it is not a number."""
    text = text.strip()
    try:
        if text.lower().startswith(("0x", "-0x")):
            return int(text, 16)
        return int(text, 16 if hex_default else 10)
    except ValueError:
        return None


def derive(values: Mapping[str, str]) -> dict[str, str]:
    """``values`` (group name -> text) with addresses normalised and the derived fields
    of the module documentation added."""
    out = dict(values)
    nums: dict[str, int] = {}
    for name in HEX_GROUPS & out.keys():
        n = to_int(out[name], hex_default=True)
        if n is not None:
            nums[name] = n
            out[name] = f"{n:#x}"
    file = out.get("file") or out.get("script")
    if file:
        out["place"] = f"{file}:{out['line']}" if out.get("line") else file
    if out.get("section") and out.get("offset"):
        at = f"({out['section']}+{out['offset']})"
        if out.get("object"):
            at = f"{out['object']}:{at}"
        if out.get("function"):
            at += f" in function `{out['function']}`"
        out["at"] = at
    out["referent"] = _referent(out)
    if {"a_start", "a_end", "b_start", "b_end"} <= nums.keys():
        lo = max(nums["a_start"], nums["b_start"])
        hi = min(nums["a_end"], nums["b_end"])
        out["overlap"] = str(max(0, hi - lo + 1))
    if {"from", "to"} <= nums.keys():
        out["distance"] = str(abs(nums["from"] - nums["to"]))
    value = to_int(out["value"]) if out.get("value") else None
    if value is not None:
        out["value_hex"] = f"-{-value:#x}" if value < 0 else f"{value:#x}"
        low = to_int(out.get("min", ""))
        high = to_int(out.get("max", ""))
        if low is not None and high is not None:
            out["excess"] = str(value - high if value > high else max(low - value, 0))
    times = to_int(out["times"]) if out.get("times") else None
    if times is not None and times < 0:
        out["over"] = str(-times)
    if out.get("type"):
        out["width"], out["reloc_fix"] = RELOCATIONS.get(out["type"], _GENERIC_RELOC)
    return out


def _referent(values: Mapping[str, str]) -> str:
    if values.get("symbol"):
        what = f"symbol `{values['symbol']}`"
    elif values.get("target"):
        kind = "section" if values["target"].startswith(".") else "symbol"
        what = f"{kind} `{values['target']}`"
    else:
        return "its target"
    if values.get("addend"):
        what += f"+{values['addend']}"
    where = " of ".join(v for v in (values.get("target_section"), values.get("defined_in")) if v)
    return f"{what} (defined in {where})" if where else what


def fields(template: str) -> set[str]:
    """The ``{field}`` names a template uses."""
    return {name for _, name, _, _ in _FORMATTER.parse(template) if name}


class _Values(dict):
    def __missing__(self, key: str) -> str:
        return "?"


def fill(template: str, values: Mapping[str, str]) -> str:
    """``template`` with its fields replaced; a field with no value shows as ``?``
    (tests keep every template's fields within what its regex provides)."""
    return template.format_map(_Values(values))


#: Regexes over ld.lld's ``>>>`` detail lines, adding values to the message before.
DETAILS = (
    re.compile(r"^defined in (?P<defined_in>.+)$"),
    re.compile(r"^referenced by (?P<referenced_by>.+)$"),
    re.compile(
        r"^(?P<range_section>\S+) range is \[(?P<range_start>0x[0-9A-Fa-f]+),"
        r" (?P<range_end>0x[0-9A-Fa-f]+)\]$"
    ),
)


def detail_values(details: list[str], values: Mapping[str, str]) -> dict[str, str]:
    """Values ld.lld's detail lines add to a message's ``values``: ``defined_in``,
    ``referenced_by`` (the first of each), and the ``a_``/``b_`` range of the
    sections named ``a_section``/``b_section`` (``>>> .boot range is [0x7C00,
    0x7DF5]``)."""
    out: dict[str, str] = {}
    for text in details:
        for regex in DETAILS:
            m = regex.match(text.strip())
            if not m:
                continue
            found = m.groupdict()
            if "range_section" in found:
                for side in ("a", "b"):
                    if values.get(f"{side}_section") == found["range_section"]:
                        out.setdefault(f"{side}_start", found["range_start"])
                        out.setdefault(f"{side}_end", found["range_end"])
            else:
                for key, value in found.items():
                    out.setdefault(key, value)
    return out
