"""The output sections as written (ld's BFD sections turned into ELF section headers)
and the address checks ld makes on them (``ldlang.c``
``lang_check_section_addresses``, GNU ld 2.40).
"""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from kernlint.elf.constants import SHT_PROGBITS
from kernlint.layout.model import (
    SEC_ALLOC,
    SEC_CODE,
    SEC_HAS_CONTENTS,
    SEC_LOAD,
    SEC_READONLY,
    SEC_THREAD_LOCAL,
    SHF_ALLOC,
    SHF_EXECINSTR,
    SHF_TLS,
    SHF_WRITE,
    SHT_NOBITS,
    OutputSection,
)
from kernlint.layout.statements import OutputSectionStatement

#: bfd/elf.c special_sections: the ELF type and flags a section of that name gets
#: when ld creates it with no input (name, or name followed by ".").
_SPECIAL = MappingProxyType(
    {
        ".bss": (SHT_NOBITS, SHF_ALLOC | SHF_WRITE),
        ".data": (SHT_PROGBITS, SHF_ALLOC | SHF_WRITE),
        ".data1": (SHT_PROGBITS, SHF_ALLOC | SHF_WRITE),
        ".rodata": (SHT_PROGBITS, SHF_ALLOC),
        ".rodata1": (SHT_PROGBITS, SHF_ALLOC),
        ".text": (SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR),
        ".tbss": (SHT_NOBITS, SHF_ALLOC | SHF_WRITE | SHF_TLS),
        ".tdata": (SHT_PROGBITS, SHF_ALLOC | SHF_WRITE | SHF_TLS),
        ".sbss": (SHT_NOBITS, SHF_ALLOC | SHF_WRITE),
        ".sdata": (SHT_PROGBITS, SHF_ALLOC | SHF_WRITE),
        ".init_array": (14, SHF_ALLOC | SHF_WRITE),
        ".fini_array": (15, SHF_ALLOC | SHF_WRITE),
        ".preinit_array": (16, SHF_ALLOC | SHF_WRITE),
    }
)
_SPECIAL_EXACT = MappingProxyType(
    {
        ".init": (SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR),
        ".fini": (SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR),
    }
)


def _special_section(name: str) -> tuple[int, int] | None:
    if name in _SPECIAL_EXACT:
        return _SPECIAL_EXACT[name]
    base = name if name in _SPECIAL else name.rsplit(".", 1)[0] if name.count(".") > 1 else ""
    while base:
        if base in _SPECIAL:
            return _SPECIAL[base]
        if base.count(".") <= 1:
            return None
        base = base.rsplit(".", 1)[0]
    return None


def mask32(s: OutputSection) -> OutputSection:
    """An ELF32 output keeps the low 32 bits of ld's 64-bit addresses."""
    return replace(s, vma=s.vma & 0xFFFFFFFF, lma=s.lma & 0xFFFFFFFF)


def overlaps(sections: list[OutputSection], digits: int = 16) -> list[str]:
    """``lang_check_section_addresses``: loaded sections must not overlap in LMA, nor
    allocated ones in VMA (off with ``--no-check-sections``). Addresses are printed as
    ld's ``%V`` prints them: ``digits`` hex digits, 8 for ELF32 and 16 for ELF64."""
    errors = []
    live = [
        (i, s)
        for i, s in enumerate(sections)
        if s.size
        and s.bfd_flags & SEC_ALLOC
        and not (s.bfd_flags & SEC_THREAD_LOCAL and not s.bfd_flags & SEC_LOAD)
    ]
    warned: set[str] = set()
    by_vma = [s.vma for _, s in sorted(live, key=lambda item: (item[1].vma, item[0]))]
    # "If any non-zero size allocated section (excluding tbss) starts at exactly
    # the same VMA as another such section, then we have overlays": ld then checks
    # LMAs only (ld 2.40 lang_check_section_addresses).
    overlays = len(set(by_vma)) < len(by_vma)
    for what, key in (("LMA", "lma"), ("VMA", "vma")):
        if what == "VMA" and overlays:
            break
        prev = None
        for _, s in sorted(live, key=lambda item: (getattr(item[1], key), item[0])):
            if what == "LMA" and not s.bfd_flags & SEC_LOAD:
                continue
            start = getattr(s, key)
            end = start + s.size - 1
            if prev is not None and (start <= prev[2] or prev[2] < prev[1]):
                if what == "LMA":
                    warned.add(s.name)
                if what == "LMA" or s.name not in warned:
                    errors.append(
                        f"section {s.name} {what} [{start:0{digits}x},{end:0{digits}x}]"
                        f" overlaps section {prev[0]} {what}"
                        f" [{prev[1]:0{digits}x},{prev[2]:0{digits}x}]"
                    )
            prev = (s.name, start, end)
    return errors


def output_sections(statements: list[OutputSectionStatement]) -> list[OutputSection]:
    """The output sections written, in order: ``statements`` that ld created and
    did not strip, with ELF ``sh_flags``/``sh_type`` from their BFD flags
    (``elf_fake_sections``) and the special names' (``bfd/elf.c``
    ``special_sections``)."""
    out = []
    for output in statements:
        if not output.has_bfd or output.name == "/DISCARD/" or output.removed:
            continue
        f = output.bfd_flags
        sh_flags = 0
        if f & SEC_ALLOC:
            sh_flags |= SHF_ALLOC
        if not f & SEC_READONLY:
            sh_flags |= SHF_WRITE
        if f & SEC_CODE:
            sh_flags |= SHF_EXECINSTR
        if f & SEC_THREAD_LOCAL:
            sh_flags |= SHF_TLS
        sh_type = output.sh_type
        if not f & SEC_HAS_CONTENTS:
            sh_type = SHT_NOBITS
        elif sh_type in (0, SHT_NOBITS):
            sh_type = SHT_PROGBITS
        special = _special_section(output.name)
        if special is not None:
            # bfd gives the ELF flags of a special section name to the output
            # section it creates (bfd/elf.c special_sections), whatever the inputs.
            sh_flags |= special[1]
            if not output.has_input and f == 0:
                sh_type = special[0]
        vma = output.vma
        out.append(
            OutputSection(
                name=output.name,
                vma=vma,
                lma=output.lma,
                size=output.size,
                flags=sh_flags,
                sh_type=sh_type,
                align=output.align,
                inputs=tuple(output.placed),
                orphan=output.orphan,
                bfd_flags=f,
            )
        )
    return out
