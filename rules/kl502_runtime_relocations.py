"""Dynamic relocations in a kernel whose loader applies none.

## What it does
Checks images loaded with Multiboot 1 or 2, Xen PVH or as a BIOS boot sector for
run-time fix-ups that only a dynamic linker would make:

- entries in allocated `SHT_REL`/`SHT_RELA` sections (`.rela.dyn`, `.rel.dyn`,
  `.rela.plt`), counted by type and by the section they patch (`.got`, `.got.plt`:
  GOT and PLT entries that need fixing up; code: text relocations);
- `DT_TEXTREL` (or `DF_TEXTREL` in `DT_FLAGS`) in the dynamic section.

For `SHT_RELA` it compares each `R_*_RELATIVE` addend with the word the file holds at
`r_offset`: ld.lld leaves 0 there (it writes RELA addends into the section only with
`--apply-dynamic-relocs`), so the kernel reads 0; when the words are already the
link-time values (GNU ld, and every `SHT_REL`), they are right only as long as the
kernel runs at its link address. Relocations naming a symbol (`GLOB_DAT`,
`JUMP_SLOT`, ...) need symbol lookup that no boot loader does.

## Why is this bad?
Multiboot, PVH and BIOS loaders copy the file's bytes to their load addresses and
jump; none reads `.rela.dyn`. GRUB's `multiboot` and QEMU `-kernel` load such an
ET_DYN without a word (observed: a pointer in `.data` reads `0x00000000` under both);
GRUB's `multiboot2` refuses it outright (KL405). A kernel that links
position-independent by accident (gcc's default `-pie` on Debian and Ubuntu, rustc's
`x86_64-unknown-none`) then follows null or stale pointers long after boot.

## Example
```sh
ld.lld -pie -T kernel.ld -o kernel.elf boot.o kmain.o   # .rela.dyn: 1 R_X86_64_RELATIVE
```

## Use instead
```sh
ld.lld -T kernel.ld -o kernel.elf boot.o kmain.o   # static: no .rela.dyn, no .dynamic
```
with the objects built `-fno-pie` (higher-half code `-mcmodel=kernel`; rustc `-C
relocation-model=static`). A kernel that must run anywhere applies its own
relocations first thing (Linux's `relocs` tool, the `bootloader` crate for its
`bootloader_api` kernels, KL413) and keeps the table out of GRUB's sight (KL405).

## References
- System V gABI "Dynamic Section" (`DT_TEXTREL`, `DT_FLAGS`/`DF_TEXTREL`) and
  "Relocation"; x86-64 psABI §4.4 and i386 psABI (`R_*_RELATIVE`, `GLOB_DAT`,
  `JUMP_SLOT`).
- GRUB 2.06 `grub-core/loader/multiboot_elfxx.c` (segments are copied; relocations
  are only refused, under multiboot2); QEMU 7.2 `include/hw/elf_ops.h` (`load_elf`
  copies segments, `elf_reloc` only for S/390).
- Linux `arch/x86/kernel/vmlinux.lds.S` (`ASSERT(SIZEOF(.rela.dyn) == 0, "Unexpected
  run-time relocations (.rela) detected!")`, and the GOT/PLT asserts).
- ld.lld `--apply-dynamic-relocs`; `research/anchors-binary.md` §2.3 item 6, §4 (K1).
"""

from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING

from kernlint.boot.protocol import BIOS, MULTIBOOT1, MULTIBOOT2, PVH
from kernlint.context import IMAGE, Context
from kernlint.elf.constants import EM_386, EM_X86_64, SHT_DYNAMIC, SHT_REL
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

if TYPE_CHECKING:
    from kernlint.elf.model import Image, Section

ID = "KL502"
NAME = "runtime-relocations"
SEVERITY = "warning"
APPLIES_TO = frozenset({IMAGE})

#: GNU ld's and ld.lld's refusals of absolute relocations in a -pie link, and the Linux
#: vmlinux.lds.S ASSERTs, are still in ``kernlint.explain.pending`` (KL502's entry), which
#: the catalogue attributes to this rule; they move here when that table drops them.
LOG_PATTERNS = (
    # GNU ld 2.40, i386 -pie with an absolute reference in .text (observed; the next
    # line is the DT_TEXTREL warning below).
    LogPattern(
        "ld",
        r"warning: relocation in read-only section `(?P<section>[^']+)'",
        "GNU ld is linking a position-independent image and {section} holds an absolute"
        " address, so a dynamic relocation has to patch that read-only section at run"
        " time (a text relocation). Multiboot, BIOS and PVH loaders apply no"
        " relocations: link the kernel without `-pie` (`-no-pie` with gcc) and build it"
        " with `-fno-pie`.",
        "ld: t.o: warning: relocation in read-only section `.text'",
    ),
    # GNU ld 2.40, i386 -pie with an absolute reference in .text (observed).
    LogPattern(
        "ld",
        r"warning: creating DT_TEXTREL in a (?P<what>PIE|shared object)",
        "GNU ld linked a position-independent image whose code holds absolute"
        " addresses, so the dynamic relocations patch `.text` itself (`DT_TEXTREL`)."
        " Multiboot, BIOS and PVH loaders apply no relocations: link the kernel without"
        " `-pie` (`-no-pie` with gcc) and build it with `-fno-pie`.",
        "ld: warning: creating DT_TEXTREL in a PIE",
    ),
    # GNU ld 2.40 with -pie (observed; gcc links PIE by default on Debian).
    LogPattern(
        "ld",
        # ... or "a shared object" (`-shared`, e.g. arm64 Linux with RELOCATABLE:
        # ClangBuiltLinux/linux#599), and "against symbol `x' which may bind externally".
        r"(?<!\S)(?P<object>\S+): relocation (?P<type>R_\w+) against"
        r" (?:symbol )?`(?P<target>[^']+)'(?: which may bind externally)?"
        r" can not be used when making a (?P<kind>PIE|shared) object",
        "The kernel is linked as a position-independent executable or shared object"
        " (`-pie`, `-shared`, or gcc's default `--enable-default-pie` when gcc drives"
        " the link) and {object} stores {referent} in a {width}, which such an image"
        " could only keep as a run-time relocation. Multiboot, BIOS and PVH loaders apply no"
        " relocations: link with `-no-pie` (gcc) or without `-pie` (ld); build"
        " with `-fPIE` only if your loader relocates the kernel (Limine,"
        " bootloader_api).",
        "ld: pie.o: relocation R_X86_64_32 against `.data' can not be used when"
        " making a PIE object; recompile with -fPIE",
    ),
    # LLD 14 with -pie (observed; followed by >>> defined in / referenced by).
    LogPattern(
        "lld",
        r"relocation (?P<type>R_\w+) cannot be used against (?:local )?symbol"
        r"(?: (?P<symbol>\S+))?; recompile with -fPIC",
        "The image is linked as a PIE or shared object and an object stores"
        " {referent} in a {width}, which needs a run-time relocation the output"
        " cannot express. A kernel loaded at a fixed address must not be PIE: link"
        " with `-no-pie`/without `-pie`; build with `-fPIE` only if your loader"
        " relocates the kernel.",
        "ld.lld: error: relocation R_X86_64_32 cannot be used against local"
        " symbol; recompile with -fPIC",
    ),
    # Linux arch/x86/kernel/vmlinux.lds.S ASSERTs; hand-typed: GNU ld prints an
    # ASSERT's message after "ld: " (observed with a test ASSERT, ld 2.40).
    LogPattern(
        "ld",
        r"^Unexpected (?P<what>GOT/PLT entries|GOT entries|run-time procedure"
        r" linkages|run-time relocations \(\.rela?\)) detected!$",
        "The Linux linker script asserts that vmlinux has no {what}: an object"
        " needs run-time fix-ups that the kernel never applies (code built"
        " position-independent, without `-fno-pic`/`-mcmodel=kernel`, or an"
        " absolute reference in code that must be position-independent). Find"
        " the object with `readelf -r`; KL502 on the image names the sections.",
        "ld: Unexpected GOT/PLT entries detected!",
    ),
    # The same ASSERT under ld.lld; hand-typed from an LKML build log.
    LogPattern(
        "lld",
        r"^Unexpected (?P<what>GOT/PLT entries|GOT entries|run-time procedure"
        r" linkages|run-time relocations \(\.rela?\)) detected!$",
        "The Linux linker script asserts that vmlinux has no {what}: an object"
        " needs run-time fix-ups that the kernel never applies (code built"
        " position-independent, without `-fno-pic`/`-mcmodel=kernel`). Find the"
        " object with `readelf -r`; KL502 on the image names the sections.",
        "ld.lld: error: Unexpected run-time relocations (.rela) detected!",
    ),
)

DT_NULL = 0
DT_TEXTREL = 22
DT_FLAGS = 30
DF_TEXTREL = 0x4

#: Dynamic relocation types by machine: {r_type: name}. RELATIVE is 8 on both.
RELOC_NAMES = {
    EM_386: {1: "R_386_32", 2: "R_386_PC32", 6: "R_386_GLOB_DAT", 7: "R_386_JMP_SLOT",
             8: "R_386_RELATIVE", 14: "R_386_TLS_TPOFF", 35: "R_386_TLS_DTPMOD32",
             42: "R_386_IRELATIVE"},
    EM_X86_64: {1: "R_X86_64_64", 2: "R_X86_64_PC32", 6: "R_X86_64_GLOB_DAT",
                7: "R_X86_64_JUMP_SLOT", 8: "R_X86_64_RELATIVE", 10: "R_X86_64_32",
                11: "R_X86_64_32S", 16: "R_X86_64_DTPMOD64", 18: "R_X86_64_TPOFF64",
                37: "R_X86_64_IRELATIVE"},
}  # fmt: skip
R_RELATIVE = 8

_FIX = (
    "link the kernel static: no -pie (`-no-pie` when gcc drives the link; rustc `-C"
    " relocation-model=static`) and objects built with -fno-pie (`-mcmodel=kernel` for"
    " higher-half code), so that the linker writes every address; or apply the"
    " relocations in the kernel's entry code before any pointer is used"
)


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding per allocated relocation section with entries (and one for
    DT_TEXTREL without any)."""
    if ctx.boot_headers is None:
        return
    protocols = ctx.boot_protocols & {MULTIBOOT1, MULTIBOOT2, PVH, BIOS}
    if not protocols:
        return
    image = ctx.image
    sections = [s for s in image.sections if s.is_relocation and s.is_alloc and s.sh_size]
    textrel = _textrel(image)
    loaders = _loaders(protocols)
    if not sections and textrel:
        yield Finding(
            f"the dynamic section sets {textrel}: relocations are meant to patch code at"
            f" run time, and {loaders}",
            Location(section=".dynamic"),
            fix=_FIX,
        )
    for sec in sections:
        yield from _section(image, sec, textrel, loaders, MULTIBOOT2 in protocols)


def _section(
    image: Image, sec: Section, textrel: str, loaders: str, multiboot2: bool
) -> Iterator[Finding]:
    import numpy as np

    from kernlint.elf.relocations import read_relocations

    table = read_relocations(image, sec)
    count = len(table)
    if not count:
        return
    names = RELOC_NAMES.get(image.header.e_machine, {})
    kinds, per_kind = np.unique(table.r_type, return_counts=True)
    by_type = ", ".join(
        f"{int(n)} {names.get(int(t), f'type {int(t)}')}"
        for t, n in sorted(zip(kinds, per_kind, strict=True), key=lambda p: -p[1])
    )
    targets, code = _targets(image, table.r_offset)
    patched = ", ".join(f"{name} ({n})" for name, n in targets.most_common(4))
    if len(targets) > 4:
        patched += f" and {len(targets) - 4} more sections"
    parts = [
        f"{sec.name} holds {count} dynamic relocation{'s' if count > 1 else ''} ({by_type})"
        f" patching {patched}: {loaders}"
    ]
    got = sum(n for name, n in targets.items() if name.startswith((".got", ".plt")))
    if got:
        parts.append(f"{got} of them fill GOT/PLT entries, which stay as the file has them")
    if code or textrel:
        where = ", ".join(code) if code else "code"
        parts.append(f"text relocations ({textrel or 'relocations in ' + where}) patch {where}")
    symbolic = int(np.count_nonzero(table.r_sym))
    if symbolic:
        parts.append(
            f"{symbolic} name a symbol, which only a dynamic linker looks up (the word"
            " stays unresolved)"
        )
    parts.append(_in_place(image, sec, table, names))
    if multiboot2:
        parts.append("GRUB's multiboot2 refuses the file outright (KL405)")
    yield Finding(
        "; ".join(p for p in parts if p),
        Location(section=sec.name, address=sec.sh_addr, offset=sec.sh_offset),
        fix=_FIX,
    )


def _targets(image: Image, offsets) -> tuple[Counter[str], list[str]]:
    """Relocations per patched section name (by ``r_offset``, "no section" outside
    every allocated one), and the executable sections among them, in that order."""
    import numpy as np

    secs = sorted(
        (s for s in image.sections if s.is_alloc and s.sh_size and not s.is_tbss),
        key=lambda s: s.sh_addr,
    )
    starts = np.array([s.sh_addr for s in secs], dtype=np.uint64)
    ends = np.array([s.end for s in secs], dtype=np.uint64)
    at = np.searchsorted(starts, offsets, side="right").astype(np.int64) - 1
    inside = (at >= 0) & (offsets < ends[np.clip(at, 0, None)]) if len(secs) else at >= 0
    counts: Counter[str] = Counter()
    held, per = np.unique(at[inside], return_counts=True)
    for i, n in zip(held, per, strict=True):
        counts[secs[int(i)].name] += int(n)
    outside = int(np.count_nonzero(~inside))
    if outside:
        counts["no section"] += outside
    code = [secs[int(i)].name for i in held if secs[int(i)].is_exec]
    return counts, code


def _in_place(image: Image, sec: Section, table, names: dict[int, str]) -> str:
    """What the file holds where the RELATIVE relocations write."""
    import numpy as np

    rel = np.flatnonzero(table.r_type == R_RELATIVE)
    if not len(rel):
        return ""
    stale = (
        "the file already holds the link-time values{how}, right only while the kernel runs"
        " at its link address; a loader that moves it (Multiboot 2 relocatable tag, PVH"
        " relocation note) leaves them stale"
    )
    if sec.sh_type == SHT_REL:
        return stale.format(how=" (REL keeps the addend in place)")
    width = 8 if image.header.ei_class == 64 else 4
    words, known = _words(image, table.r_offset[rel], width)
    want = table.r_addend[rel].astype(np.uint64) & np.uint64((1 << (8 * width)) - 1)
    wrong = np.flatnonzero(known & (words != want))
    if not len(wrong):
        return stale.format(how="")
    first = int(wrong[0])
    off, word, addend = int(table.r_offset[rel][first]), int(words[first]), int(want[first])
    held = image.sections_at(off)
    symbol = next(
        (y.name for y in image.symbols.defined_at(off) if y.name and not y.name.startswith(".")),
        None,
    )
    place = ", ".join(x for x in (held[0].name if held else None, symbol) if x)
    return (
        f"the file holds {word:#x} at {off:#x}{f' ({place})' if place else ''} where"
        f" {names.get(R_RELATIVE, 'the RELATIVE relocation')} puts {addend:#x} ({len(wrong)}"
        f" of {len(rel)} such words), and the kernel reads {word:#x} (ld.lld writes RELA"
        " addends into the section only with --apply-dynamic-relocs)"
    )


def _words(image: Image, vaddrs, width: int):
    """The little-endian words of ``width`` bytes at ``vaddrs`` as loaded (file bytes of
    the ``PT_LOAD`` holding them, 0 in its zeroed part), and which ones a ``PT_LOAD``
    holds at all; each segment's file bytes are read once."""
    import numpy as np

    words = np.zeros(len(vaddrs), dtype=np.uint64)
    known = np.zeros(len(vaddrs), dtype=bool)
    end = vaddrs + np.uint64(width)
    for seg in image.load_segments:
        start = np.uint64(seg.p_vaddr)
        hit = ~known & (vaddrs >= start) & (end <= np.uint64(seg.vend))
        if not hit.any():
            continue
        known |= hit
        in_file = hit & (end <= np.uint64(seg.p_vaddr + seg.p_filesz))
        if not in_file.any():
            continue
        data = np.frombuffer(image.reader.read_bytes(seg.p_offset, seg.p_filesz), np.uint8)
        rel = (vaddrs[in_file] - start).astype(np.int64)
        value = np.zeros(len(rel), dtype=np.uint64)
        for k in range(width):
            value |= data[rel + k].astype(np.uint64) << np.uint64(8 * k)
        words[in_file] = value
    return words, known


def _textrel(image: Image) -> str:
    """``DT_TEXTREL``, ``DF_TEXTREL`` (both joined by "and"), or ""."""
    dyn = next((s for s in image.sections if s.sh_type == SHT_DYNAMIC and s.sh_size), None)
    if dyn is None:
        return ""
    elf64 = image.header.ei_class == 64
    fmt, size = ("<qQ", 16) if elf64 else ("<iI", 8)
    data = image.reader.read_bytes(dyn.sh_offset, min(dyn.sh_size, 1 << 20) // size * size)
    found = []
    for tag, val in struct.iter_unpack(fmt, data):
        if tag == DT_NULL:
            break
        if tag == DT_TEXTREL:
            found.append("DT_TEXTREL")
        elif tag == DT_FLAGS and val & DF_TEXTREL:
            found.append("DF_TEXTREL")
    return " and ".join(dict.fromkeys(found))


def _loaders(protocols: frozenset[str]) -> str:
    """Who applies no relocation, with the verb: ``the BIOS applies none``."""
    names = []
    if MULTIBOOT1 in protocols:
        names.append("Multiboot 1 loaders (GRUB's multiboot, QEMU -kernel)")
    if MULTIBOOT2 in protocols:
        names.append("Multiboot 2 loaders")
    if PVH in protocols:
        names.append("PVH loaders (QEMU -kernel, Xen)")
    if BIOS in protocols:
        names.append("the BIOS")
    if len(names) == 1:
        return names[0] + (" applies none" if names[0] == "the BIOS" else " apply none")
    return ", ".join(names[:-1]) + " and " + names[-1] + " apply none"
