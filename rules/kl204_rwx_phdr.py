"""A `PHDRS` load segment is writable and executable, or gets code and writable data.

## What it does
Reads the `PHDRS` command and reports:

- a `PT_LOAD` entry whose `FLAGS(...)` grants both write (`PF_W`, 2) and execute
  (`PF_X`, 1): `FLAGS(7)`, `FLAGS(3)`, `FLAGS(0x7)`, or an expression of symbols the
  script assigns (`FLAGS(PF_R | PF_W | PF_X)` with `PF_X = 1;` ...);
- a `PT_LOAD` entry that the output sections fill with both code and writable data
  through `:phdr`. GNU ld's rule is followed: an allocated output section without
  `:phdr` goes to the segments of the section before it ("the linker will place all
  subsequent allocatable sections which do not specify :phdr in the same
  segments"; sections before the first `:phdr` take the first list that follows),
  except `(NOLOAD)` sections, non-allocated ones and `/DISCARD/`; `:NONE` assigns
  none. So `.text : {...} :text` followed by `.data : {...}` puts `.data` in `text`.

A section counts as code or writable data by the input sections it collects
(`*(.text .text.*)`, `*(.init)`... are code; `*(.data*)`, `*(.bss*)`, `*(COMMON)`,
`*(.got)`, `*(.init_array)`... are writable), or by its own name when it collects
none. A section whose patterns name nothing conventional (`*(.boot)`), a bare
file, `*` or `INPUT_SECTION_FLAGS` is left out: the rule does not guess. Flags
that are not constant in the script (a C macro the script was never preprocessed
for, see KL212) are not judged either.

Severity: a segment that ends up writable and executable (`FLAGS` granting both, or
no `FLAGS` over code and writable data) is reported at `info`. Whether it matters
depends on what loads the image and how the kernel maps itself, which a script does
not say: GRUB and QEMU load Multiboot kernels, Xen PVH and firmware stages with paging
off and apply no `p_flags` (`grub-core/loader/multiboot_elfxx.c`, QEMU
`hw/i386/multiboot.c`), while Limine (`common/lib/elf.c`) and the rust-osdev
`bootloader` (`common/src/load_kernel.rs`) map segments with them; and GNU ld warns
about such a segment itself. On public projects all 12 such findings were deliberate
or harmless (U-Boot's EFI-app scripts, rust-hypervisor-firmware, PhipsBoot, RIOT's
RISC-V flash layout, coreboot's Tegra resume stub). `FLAGS` that leave out a
permission a member needs (`.data` in an `R E` segment, code in an `RW` one) break
the image wherever flags are applied, and stay a warning.

## Why is this bad?
A segment both writable and executable lets any write become code: it defeats W^X,
and binutils 2.39 and later warn for every link: `ld: warning: kernel.elf has a LOAD
segment with RWX permissions`. Without `FLAGS`, GNU ld gives a segment the union of
its sections' flags, so code and data in one segment make it RWX (the same warning,
KL105 on the image). With `FLAGS` that leave one permission out, the segment is not
RWX but one of its sections is broken: `.data` in an `R E` segment faults on the
first write, `.text` in an `RW` segment on the first instruction — and ld says
nothing.

## Example
```ld
PHDRS {
    text PT_LOAD;            /* no FLAGS: ld takes them from the sections */
}
SECTIONS {
    . = 0x100000;
    .text : { *(.text .text.*) } :text
    . = ALIGN(4K);
    .data : { *(.data .data.*) }   /* no :phdr: inherits `text` */
}
```

## Use instead
```ld
PHDRS {
    text PT_LOAD FLAGS(5);   /* PF_R | PF_X */
    data PT_LOAD FLAGS(6);   /* PF_R | PF_W */
}
SECTIONS {
    . = 0x100000;
    .text : { *(.text .text.*) } :text
    . = ALIGN(4K);
    .data : { *(.data .data.*) } :data
}
```

## References
- GNU ld manual (binutils 2.40), 3.8 "PHDRS Command" (FLAGS, inheritance of
  `:phdr`), and `ld/ldlang.c` `lang_record_phdrs`.
- binutils NEWS, 2.39: "warning: ... has a LOAD segment with RWX permissions",
  `--no-warn-rwx-segments`.
- ELF gABI, "Program Header": `PF_X` 1, `PF_W` 2, `PF_R` 4.
- Red Hat, "Linker warnings about executable stacks and segments" (2022).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from kernlint.context import SCRIPT, Context
from kernlint.finding import Finding, Location

if TYPE_CHECKING:
    from kernlint.ldscript import ast

ID = "KL204"
NAME = "rwx-phdr"
SEVERITY = "warning"
APPLIES_TO = frozenset({SCRIPT})


def _flag_letters(flags: int) -> str:
    from kernlint.ldscript.evaluate import PF_R, PF_W, PF_X

    return "".join(c if flags & bit else " " for c, bit in (("R", PF_R), ("W", PF_W), ("E", PF_X)))


def _location(loaded, span: ast.Span) -> tuple[Location, str]:
    from kernlint.ldscript.evaluate import anchor

    where, note = anchor(loaded, span)
    return (
        Location(
            line=where.line,
            column=where.column,
            end_line=where.end_line,
            end_column=where.end_column,
        ),
        note,
    )


def _output_sections(loaded, top: list[ast.Node]) -> Iterator[tuple[ast.OutputSection, tuple]]:
    """Output sections in link order, with the ``:phdr`` list each writes (an overlay
    section without one takes its ``OVERLAY``'s)."""
    from kernlint.ldscript import ast

    for statement in top:
        if not isinstance(statement, ast.Sections):
            continue
        for node in loaded.statements(statement.statements):
            if isinstance(node, ast.OutputSection):
                yield node, node.phdrs
            elif isinstance(node, ast.Overlay):
                for section in node.sections:
                    yield section, section.phdrs or node.phdrs


def _assignments(loaded, top: list[ast.Node]):
    """(section, phdr names, the section whose list it inherits or None, whether that
    section comes later), as GNU ld's ``lang_record_phdrs`` assigns them."""
    from kernlint.ldscript import ast
    from kernlint.ldscript.evaluate import is_allocated

    listed = list(_output_sections(loaded, top))
    last: tuple | None = None
    last_from = None
    last_index = -1
    for index, (section, phdrs) in enumerate(listed):
        if isinstance(section, ast.OutputSection) and section.is_discard:
            continue
        if phdrs:
            last, last_from, last_index = phdrs, section, index
            yield section, phdrs, None, False
            continue
        if isinstance(section, ast.OutputSection):
            if section.type is not None and section.type.kind == "NOLOAD":
                continue
            if is_allocated(section) is False:
                continue
        if last is None:
            for offset, (later, later_phdrs) in enumerate(listed[index + 1 :]):
                if later_phdrs:
                    last, last_from, last_index = later_phdrs, later, index + 1 + offset
                    break
            else:
                return  # ld: "no sections assigned to phdrs"
        yield section, last, last_from, last_index > index


def check(ctx: Context) -> Iterator[Finding]:
    """One finding per RWX `FLAGS`, one per PT_LOAD that mixes code and writable data."""
    from kernlint.ldscript import ast
    from kernlint.ldscript.evaluate import (
        PF_W,
        PF_X,
        PT_LOAD,
        Env,
        constant,
        describe_permissions,
        render,
        section_permissions,
    )

    loaded = ctx.script
    if loaded is None:
        return
    top = list(loaded.statements())
    headers = [h for s in top if isinstance(s, ast.Phdrs) for h in s.headers]
    if not headers:
        return
    result = ctx.script_trace
    env = Env(symbols=result.symbols, regions=result.regions, page_size=ctx.config.page_size)
    loads: dict[str, ast.Phdr] = {}
    flags_of: dict[str, int | None] = {}
    for header in headers:
        kind = header.type_value
        if kind is None:
            kind = constant(header.type, env)
        if kind != PT_LOAD or header.name in loads:
            continue
        loads[header.name] = header
        flags = None if header.flags is None else constant(header.flags, env)
        flags_of[header.name] = flags
        if flags is None or flags & (PF_W | PF_X) != PF_W | PF_X:
            continue
        location, note = _location(loaded, header.flags.span)
        yield Finding(
            f"PT_LOAD `{header.name}` has FLAGS({render(header.flags)}) ="
            f" {_flag_letters(flags).replace(' ', '')} ({flags:#x}): everything in it is"
            " writable and executable, so a stray write becomes code (GNU ld ≥ 2.39 warns:"
            f' "has a LOAD segment with RWX permissions"){note}{_RWX_CONTEXT}',
            location,
            fix="one PT_LOAD per permission set: `text PT_LOAD FLAGS(5);` (R E) for code,"
            " `rodata PT_LOAD FLAGS(4);` (R), `data PT_LOAD FLAGS(6);` (RW) for writable data,"
            " each started on a new page",
            severity="info",
        )

    members: dict[str, list[tuple[ast.Node, frozenset[str], tuple]]] = {}
    for section, phdrs, inherited, forward in _assignments(loaded, top):
        perms = section_permissions(section, list(loaded.statements(section.statements)))
        if perms is None:
            continue
        for name in dict.fromkeys(phdrs):
            if name in loads:
                members.setdefault(name, []).append((section, perms, (inherited, forward)))

    for name, entries in members.items():
        flags = flags_of.get(name)
        if flags is not None and flags & (PF_W | PF_X) == PF_W | PF_X:
            continue  # reported above
        code = next((e for e in entries if "x" in e[1]), None)
        data = next((e for e in entries if "w" in e[1]), None)
        if code is None or data is None:
            continue
        # The one that got there by inheritance, else the later one, is out of place.
        inherited_ones = [e for e in (code, data) if e[2][0] is not None]
        if len(inherited_ones) == 1:
            culprit = inherited_ones[0]
        else:
            culprit = max((code, data), key=lambda e: entries.index(e))
        section, perms, inherited = culprit
        other = data if culprit is code else code
        header = loads[name]
        what = describe_permissions(perms)
        if culprit is code and culprit is data:
            joined = f"`{section.name}` holds {what} and goes to PT_LOAD `{name}`"
        else:
            other_what = "code" if other is code else "writable data"
            joined = (
                f"`{section.name}` ({what}) goes to PT_LOAD `{name}` with the {other_what} of"
                f" `{other[0].name}`"
            )
        source, forward = inherited
        if source is not None and forward:
            joined += (
                f" (it names no `:phdr` and comes before the first section that does, so GNU"
                f" ld gives it the list of `{source.name}`)"
            )
        elif source is not None:
            joined += (
                f" (it names no `:phdr`, so GNU ld puts it in the segments of `{source.name}`)"
            )
        if header.flags is None:
            effect = (
                "with no FLAGS GNU ld gives the segment its sections' flags, R W E (GNU ld ≥ 2.39:"
                ' "has a LOAD segment with RWX permissions")'
            )
        elif flags is None:
            effect = "one segment cannot be both W^X-safe and right for code and data"
        elif not flags & PF_W:
            effect = (
                f"FLAGS({render(header.flags)}) makes it {_flag_letters(flags).strip()} without"
                f" write permission: the first write to `{data[0].name}` faults"
            )
        else:
            effect = (
                f"FLAGS({render(header.flags)}) makes it {_flag_letters(flags).strip()} without"
                f" execute permission: the code in `{code[0].name}` cannot run"
            )
        target = section.name_span or section.span
        location, note = _location(loaded, target)
        writable = "w" in perms
        wanted = PF_W if writable else PF_X
        unwanted = PF_X if writable else PF_W
        existing = next(
            (
                n
                for n, f in flags_of.items()
                if n != name and f is not None and f & wanted and not f & unwanted
            ),
            None,
        )
        if existing is not None:
            fix = (
                f"add `:{existing}` after the closing brace of `{section.name}` (PT_LOAD"
                f" `{existing}` has the right FLAGS; the sections after it follow)"
            )
        else:
            fix_name = "data" if writable else "text"
            fix = (
                f"give it its own segment: `{fix_name} PT_LOAD FLAGS({6 if writable else 5});`"
                f" in PHDRS and `:{fix_name}` after the closing brace of `{section.name}` (the"
                " sections after it follow), with `. = ALIGN(CONSTANT(MAXPAGESIZE));` before it"
            )
        # A segment that ends up RWX (no FLAGS, or FLAGS that cannot be evaluated) is
        # what ld itself warns about, and harmless where nothing applies p_flags;
        # FLAGS that leave out the permission a member needs break it (info / warning).
        rwx = header.flags is None or flags is None
        yield Finding(
            f"{joined}: {effect}{note}" + (_RWX_CONTEXT if rwx else ""),
            location,
            fix=fix,
            severity="info" if rwx else None,
        )


#: Why an RWX segment is info: the script does not say which loader maps the image.
_RWX_CONTEXT = (
    "; whether that matters depends on the loader and on how the kernel maps itself"
    " (GRUB, QEMU -kernel, Xen PVH and firmware apply no p_flags; Limine and the"
    " bootloader crate do), which the script does not say"
)
