"""Which ELF section flags an assembler gives a section from its name alone.

GNU as (``gas/config/obj-elf.c``, ``obj_elf_change_section``): a section's type and
flags come from its *first* ``.section``; when that has no flags string, GNU as asks
BFD for the name's "special section" entry (``bfd/elf.c``, ``_bfd_elf_get_sec_type_attr``
→ ``_bfd_elf_get_special_section``), looking first at the target back end's table
(``elf_backend_special_sections``: for x86-64, ``elf_x86_64_special_sections`` in
``bfd/elf64-x86-64.c``) and then at the generic one (``special_sections_b`` ...
``special_sections_z`` in ``bfd/elf.c``, indexed by the name's second character).
A name in neither table gets type ``SHT_PROGBITS`` and **no flags**.

An entry ``(prefix, suffix_length)`` matches as in ``_bfd_elf_get_special_section``:
``0``: the name is exactly ``prefix``; ``-2``: ``prefix`` or ``prefix.anything``;
``-1``: ``prefix`` followed by anything (except that on RELA targets ``.rel`` must be
followed by ``.``); ``> 0``: the name starts with the first ``len - suffix_length``
characters of ``prefix`` and ends with the rest (``.stab*str``).

The tables below are binutils 2.40's (the version the samples are built with);
``tests/source/test_flags_match_gnu_as.py`` assembles ``.section NAME`` for every entry
with the installed ``as --64`` (and the cross assemblers when present) and checks
that the flags :func:`gas_flags` predicts are the ones ``readelf`` shows.

LLVM's integrated assembler (rustc, clang) has its own, shorter list:
:data:`LLVM_DEFAULTS`, checked the same way against ``llvm-mc`` and ``rustc``.

NASM (``output/outelf.c``, ``elf_known_sections``, 2.16): a section's attributes come
from its first ``section`` directive; an exact match of the name in the table gives
the defaults, any other name gets ``progbits alloc noexec nowrite align=1``.
"""

from __future__ import annotations

from dataclasses import dataclass

# ELF constants (System V gABI; GNU and x86-64 extensions).
SHF_WRITE = 0x1
SHF_ALLOC = 0x2
SHF_EXECINSTR = 0x4
SHF_TLS = 0x400
SHF_EXCLUDE = 0x80000000
SHF_X86_64_LARGE = 0x10000000

SHT_PROGBITS = 1
SHT_SYMTAB = 2
SHT_STRTAB = 3
SHT_RELA = 4
SHT_HASH = 5
SHT_DYNAMIC = 6
SHT_NOTE = 7
SHT_NOBITS = 8
SHT_REL = 9
SHT_DYNSYM = 11
SHT_INIT_ARRAY = 14
SHT_FINI_ARRAY = 15
SHT_PREINIT_ARRAY = 16
SHT_RELR = 19
SHT_GNU_HASH = 0x6FFFFFF6
SHT_GNU_LIBLIST = 0x6FFFFFF7
SHT_GNU_VERDEF = 0x6FFFFFFD
SHT_GNU_VERNEED = 0x6FFFFFFE
SHT_GNU_VERSYM = 0x6FFFFFFF

_A, _W, _X = SHF_ALLOC, SHF_WRITE, SHF_EXECINSTR


@dataclass(frozen=True)
class Special:
    """One entry of a BFD special-sections table."""

    text: str  # the prefix, followed by the suffix when suffix_length > 0
    suffix_length: int  # 0 exact, -1 any continuation, -2 only ".", > 0 suffix
    sh_type: int
    sh_flags: int

    @property
    def prefix_length(self) -> int:
        return len(self.text) - max(self.suffix_length, 0)


def _s(text: str, suffix: int, sh_type: int, flags: int) -> Special:
    return Special(text, suffix, sh_type, flags)


#: ``bfd/elf.c`` ``special_sections_b`` ... ``special_sections_z`` (binutils 2.40),
#: keyed by the name's second character, in table order (order matters: the first
#: match wins, so ``.note.GNU-stack`` comes before ``.note``).
GAS_GENERIC: dict[str, tuple[Special, ...]] = {
    "b": (_s(".bss", -2, SHT_NOBITS, _A | _W),),
    "c": (_s(".comment", 0, SHT_PROGBITS, 0), _s(".ctf", 0, SHT_PROGBITS, 0)),
    "d": (
        _s(".data", -2, SHT_PROGBITS, _A | _W),
        _s(".data1", 0, SHT_PROGBITS, _A | _W),
        _s(".debug", 0, SHT_PROGBITS, 0),
        _s(".debug_line", 0, SHT_PROGBITS, 0),
        _s(".debug_info", 0, SHT_PROGBITS, 0),
        _s(".debug_abbrev", 0, SHT_PROGBITS, 0),
        _s(".debug_aranges", 0, SHT_PROGBITS, 0),
        _s(".dynamic", 0, SHT_DYNAMIC, _A),
        _s(".dynstr", 0, SHT_STRTAB, _A),
        _s(".dynsym", 0, SHT_DYNSYM, _A),
    ),
    "f": (
        _s(".fini", 0, SHT_PROGBITS, _A | _X),
        _s(".fini_array", -2, SHT_FINI_ARRAY, _A | _W),
    ),
    "g": (
        _s(".gnu.linkonce.b", -2, SHT_NOBITS, _A | _W),
        _s(".gnu.linkonce.n", -2, SHT_NOBITS, _A | _W),
        _s(".gnu.linkonce.p", -2, SHT_PROGBITS, _A | _W),
        _s(".gnu.lto_", -1, SHT_PROGBITS, SHF_EXCLUDE),
        _s(".got", 0, SHT_PROGBITS, _A | _W),
        _s(".gnu.version", 0, SHT_GNU_VERSYM, 0),
        _s(".gnu.version_d", 0, SHT_GNU_VERDEF, 0),
        _s(".gnu.version_r", 0, SHT_GNU_VERNEED, 0),
        _s(".gnu.liblist", 0, SHT_GNU_LIBLIST, _A),
        _s(".gnu.conflict", 0, SHT_RELA, _A),
        _s(".gnu.hash", 0, SHT_GNU_HASH, _A),
    ),
    "h": (_s(".hash", 0, SHT_HASH, _A),),
    "i": (
        _s(".init", 0, SHT_PROGBITS, _A | _X),
        _s(".init_array", -2, SHT_INIT_ARRAY, _A | _W),
        _s(".interp", 0, SHT_PROGBITS, 0),
    ),
    "l": (_s(".line", 0, SHT_PROGBITS, 0),),
    "n": (
        _s(".noinit", -2, SHT_NOBITS, _A | _W),
        _s(".note.GNU-stack", 0, SHT_PROGBITS, 0),
        _s(".note", -1, SHT_NOTE, 0),
    ),
    "p": (
        _s(".persistent.bss", 0, SHT_NOBITS, _A | _W),
        _s(".persistent", -2, SHT_PROGBITS, _A | _W),
        _s(".preinit_array", -2, SHT_PREINIT_ARRAY, _A | _W),
        _s(".plt", 0, SHT_PROGBITS, _A | _X),
    ),
    "r": (
        _s(".rodata", -2, SHT_PROGBITS, _A),
        _s(".rodata1", 0, SHT_PROGBITS, _A),
        _s(".relr.dyn", 0, SHT_RELR, _A),
        _s(".rela", -1, SHT_RELA, 0),
        _s(".rel", -1, SHT_REL, 0),
    ),
    "s": (
        _s(".shstrtab", 0, SHT_STRTAB, 0),
        _s(".strtab", 0, SHT_STRTAB, 0),
        _s(".symtab", 0, SHT_SYMTAB, 0),
        _s(".stabstr", 3, SHT_STRTAB, 0),  # ".stab" ... "str"
    ),
    "t": (
        _s(".text", -2, SHT_PROGBITS, _A | _X),
        _s(".tbss", -2, SHT_NOBITS, _A | _W | SHF_TLS),
        _s(".tdata", -2, SHT_PROGBITS, _A | _W | SHF_TLS),
    ),
    "z": (
        _s(".zdebug_line", 0, SHT_PROGBITS, 0),
        _s(".zdebug_info", 0, SHT_PROGBITS, 0),
        _s(".zdebug_abbrev", 0, SHT_PROGBITS, 0),
        _s(".zdebug_aranges", 0, SHT_PROGBITS, 0),
    ),
}

#: Back-end tables, consulted before the generic one. x86-64
#: (``bfd/elf64-x86-64.c`` ``elf_x86_64_special_sections``): the large-model
#: sections. i386, AArch64, Arm and RISC-V add none that matter here (RISC-V's
#: ``.sdata``/``.sbss`` get no flags from GNU as 2.40); PowerPC64
#: (``bfd/elf64-ppc.c`` ``ppc64_elf_special_sections``) adds the small-data and TOC
#: sections.
GAS_BACKEND: dict[str, tuple[Special, ...]] = {
    "x86-64": (
        _s(".gnu.linkonce.lb", -2, SHT_NOBITS, _A | _W | SHF_X86_64_LARGE),
        _s(".gnu.linkonce.lr", -2, SHT_PROGBITS, _A | SHF_X86_64_LARGE),
        _s(".gnu.linkonce.lt", -2, SHT_PROGBITS, _A | _X | SHF_X86_64_LARGE),
        _s(".lbss", -2, SHT_NOBITS, _A | _W | SHF_X86_64_LARGE),
        _s(".ldata", -2, SHT_PROGBITS, _A | _W | SHF_X86_64_LARGE),
        _s(".lrodata", -2, SHT_PROGBITS, _A | SHF_X86_64_LARGE),
    ),
    "i386": (),
    "aarch64": (),
    "riscv64": (),
    "ppc64": (
        _s(".plt", 0, SHT_NOBITS, 0),
        _s(".sbss", -2, SHT_NOBITS, _A | _W),
        _s(".sdata", -2, SHT_PROGBITS, _A | _W),
        _s(".toc", 0, SHT_PROGBITS, _A | _W),
        _s(".toc1", 0, SHT_PROGBITS, _A | _W),
        _s(".tocbss", 0, SHT_NOBITS, _A | _W),
    ),
}

#: The target kernlint assumes for assembly it cannot place (sources do not say).
DEFAULT_TARGET = "x86-64"
_RELA_TARGETS = {"x86-64", "aarch64", "riscv64", "ppc64"}

#: Names that are meant to stay out of memory: debug info, notes, comments, build
#: attributes, sections a linker script discards. GNU as gives most of them no
#: flags, and that is right, so a bare ``.section`` of one is not a mistake.
NON_ALLOC_PREFIXES = (
    ".debug",
    ".zdebug",
    ".comment",
    ".note",
    ".stab",
    ".line",
    ".discard",
    ".gnu.warning",
    ".gnu_debuglink",
    ".gnu_debugaltlink",
    ".gnu.build.attributes",
    ".gnu.attributes",
    ".gnu.lto_",
    ".gnu.debuglto_",
    ".GCC.command.line",
    ".ARM.attributes",
    ".riscv.attributes",
    ".llvm_addrsig",
    ".llvm.",
    ".BTF",
)


def _special_match(name: str, table: tuple[Special, ...], rela: bool) -> Special | None:
    # _bfd_elf_get_special_section, bfd/elf.c.
    for spec in table:
        plen = spec.prefix_length
        if len(name) < plen or name[:plen] != spec.text[:plen]:
            continue
        if spec.suffix_length <= 0:
            if len(name) > plen:
                if spec.suffix_length == 0:
                    continue
                if name[plen] != "." and (
                    spec.suffix_length == -2 or (rela and spec.sh_type == SHT_REL)
                ):
                    continue
        else:
            if len(name) < plen + spec.suffix_length:
                continue
            if not name.endswith(spec.text[plen:]):
                continue
        return spec
    return None


def gas_special(name: str, target: str = DEFAULT_TARGET) -> Special | None:
    """The special-section entry GNU as uses for a new section ``name`` given without
    flags, or None when GNU as derives nothing from the name."""
    spec = _special_match(name, GAS_BACKEND.get(target, ()), target in _RELA_TARGETS)
    if spec is not None:
        return spec
    if len(name) < 2 or name[0] != "." or not "b" <= name[1] <= "z":
        return None
    return _special_match(name, GAS_GENERIC.get(name[1], ()), target in _RELA_TARGETS)


def gas_flags(name: str, target: str = DEFAULT_TARGET) -> tuple[int, int]:
    """(sh_type, sh_flags) that GNU as gives a new section ``name`` declared with no
    flags string and no type."""
    spec = gas_special(name, target)
    return (spec.sh_type, spec.sh_flags) if spec else (SHT_PROGBITS, 0)


#: LLVM's integrated assembler (``llvm/lib/MC/MCParser/ELFAsmParser.cpp``,
#: ``ParseSectionArguments``, "Set the defaults first"; the same in LLVM 14 and 22):
#: what rustc's ``global_asm!``/``asm!`` and clang use. ``(prefix, exact)``: an exact
#: name, or ``hasPrefix``: the prefix alone or followed by ``.``. Far fewer names than
#: GNU as: no ``.noinit``, ``.persistent``, ``.lbss``/``.ldata``/``.lrodata``, ``.got``,
#: ``.plt``, ``.dynamic``...
LLVM_DEFAULTS: tuple[tuple[str, bool, int, int], ...] = (
    (".rodata", False, SHT_PROGBITS, _A),
    (".rodata1", True, SHT_PROGBITS, _A),
    (".fini", True, SHT_PROGBITS, _A | _X),
    (".init", True, SHT_PROGBITS, _A | _X),
    (".text", False, SHT_PROGBITS, _A | _X),
    (".data", False, SHT_PROGBITS, _A | _W),
    (".data1", True, SHT_PROGBITS, _A | _W),
    (".bss", False, SHT_NOBITS, _A | _W),
    (".init_array", False, SHT_INIT_ARRAY, _A | _W),
    (".fini_array", False, SHT_FINI_ARRAY, _A | _W),
    (".preinit_array", False, SHT_PREINIT_ARRAY, _A | _W),
    (".tdata", False, SHT_PROGBITS, _A | _W | SHF_TLS),
    (".tbss", False, SHT_NOBITS, _A | _W | SHF_TLS),
)


def llvm_flags(name: str) -> tuple[int, int]:
    """(sh_type, sh_flags) that LLVM's assembler gives a new section ``name`` declared
    with no flags string and no type."""
    for prefix, exact, sh_type, flags in LLVM_DEFAULTS:
        if name == prefix or (not exact and name.startswith(prefix + ".")):
            return sh_type, flags
    return (SHT_NOTE if name.startswith(".note") else SHT_PROGBITS), 0


GNU_AS = "GNU as"
LLVM = "LLVM"


def derives_flags(name: str, assembler: str = GNU_AS) -> bool:
    """True when ``assembler`` (:data:`GNU_AS`, on any target kernlint knows, or
    :data:`LLVM`) derives flags for ``name`` from the name, so that a bare
    ``.section NAME`` is deliberate; also True for names meant to stay out of memory
    (debug info, notes, comments, discarded sections)."""
    if name.startswith(NON_ALLOC_PREFIXES):
        return True
    if assembler == LLVM:
        return llvm_flags(name)[1] != 0
    return any(gas_special(name, target) is not None for target in GAS_BACKEND)


@dataclass(frozen=True)
class NasmKnown:
    """One entry of NASM's ``elf_known_sections``."""

    name: str
    sh_type: int
    sh_flags: int
    align: int  # negative: that many pointer sizes


#: NASM 2.16 ``output/outelf.c`` ``elf_known_sections``: exact names only.
NASM_KNOWN: dict[str, NasmKnown] = {
    k.name: k
    for k in (
        NasmKnown(".text", SHT_PROGBITS, _A | _X, 16),
        NasmKnown(".rodata", SHT_PROGBITS, _A, 4),
        NasmKnown(".lrodata", SHT_PROGBITS, _A, 4),
        NasmKnown(".data", SHT_PROGBITS, _A | _W, 4),
        NasmKnown(".ldata", SHT_PROGBITS, _A | _W, 4),
        NasmKnown(".bss", SHT_NOBITS, _A | _W, 4),
        NasmKnown(".lbss", SHT_NOBITS, _A | _W, 4),
        NasmKnown(".tdata", SHT_PROGBITS, _A | _W | SHF_TLS, 4),
        NasmKnown(".tbss", SHT_NOBITS, _A | _W | SHF_TLS, 4),
        NasmKnown(".comment", SHT_PROGBITS, 0, 1),
        NasmKnown(".preinit_array", SHT_PREINIT_ARRAY, _A, -1),
        NasmKnown(".init_array", SHT_INIT_ARRAY, _A, -1),
        NasmKnown(".fini_array", SHT_FINI_ARRAY, _A, -1),
        NasmKnown(".note", SHT_NOTE, 0, 4),
    )
}
#: What NASM gives any other name.
NASM_DEFAULT = NasmKnown("", SHT_PROGBITS, _A, 1)


def nasm_flags(name: str) -> NasmKnown:
    """NASM's defaults for a new ELF section ``name`` declared without attributes."""
    return NASM_KNOWN.get(name, NASM_DEFAULT)
