"""The script has no `ENTRY()` command, so the entry point depends on defaults.

## What it does
Reports a linker script that links a program but has no `ENTRY(symbol)` anywhere —
neither in the script nor in the files it `INCLUDE`s (at top level or inside
`SECTIONS`). The finding points at `SECTIONS`, or at the `INCLUDE` that brings it in.

How loud depends on what kernlint can see:

- with the objects the script links (`--objects`, a configuration target's
  `objects`, or the script's own `INPUT()`): a **warning** when no object defines
  `_start` (GNU ld then enters at the start of `.text`, ld.lld at 0), or when the link
  uses `--gc-sections` (`gc-sections` in the configuration: GNU ld then removes all
  the code); silent when an object defines `_start` and nothing is collected;
- without them: an **info** note — the link's `-e SYMBOL` (which overrides `ENTRY()`
  anyway) and whether some object defines `_start` are out of sight.

It stays silent for scripts that cannot or need not choose an entry:

- fragments: no `SECTIONS` (a `memory.x` holding only `MEMORY`, a `libc.so`-style
  `GROUP` script), or no output section that takes code (`.text`, `.init`, a whole
  file): a `memory.x` with one data section, a `/DISCARD/` fragment passed before the
  real script, a data-only table image — the program's code, and its entry, are in
  another script;
- `INSERT` scripts, which augment ld's default script and its `ENTRY(_start)`;
- `ld -r` scripts and others the command line places: no assignment to `.` directly
  in `SECTIONS` and no section address other than 0, no `MEMORY`, `AT` or region
  (Linux's `module.lds`, partial-linking scripts) — a relocatable output has no
  entry point;
- shared objects: a `VERSION` command, a `PT_DYNAMIC` header or `.dynamic`, `.dynsym`,
  `.dynstr`, `.hash`, `.gnu.hash` output sections (the vDSO, `-shared` links);
- raw images: `OUTPUT_FORMAT(binary)` (or `ihex`, `srec`): no ELF header, no `e_entry`;
- memory maps of firmware (a `MEMORY` region of flash or ROM, every region at most
  16 MiB, or `> REGION` placements whose regions another file declares): the
  hardware starts at its reset vector, not at `e_entry`;
- scripts whose `INCLUDE`s could not all be read (the `ENTRY` may be there).

For a build that passes `-e SYMBOL` (or `--entry`), ignore the rule for that path,
or better, move the entry point into the script.

## Why is this bad?
The entry point becomes `e_entry`, where every ELF loader (GRUB, QEMU `-kernel`,
Limine, the `bootloader` crate, Xen) jumps. Without `ENTRY()` or `-e`, GNU ld tries
the symbol `_start`, then the first byte of the output section `.text`, then 0 —
**silently**: GNU ld 2.40 prints "cannot find entry symbol" only when `ENTRY()` or
`-e` names a missing symbol. So a kernel whose entry symbol is not `_start` boots
whatever function the linker put first in `.text`; one without a `.text` output
section gets `e_entry = 0`. Without `_start`, ld.lld sets the entry to 0 and
only warns:

    ld.lld: warning: cannot find entry symbol _start; not setting start address

With `--gc-sections` it is worse: the entry symbol is the root of garbage
collection, and GNU ld 2.40 roots only an entry named by `ENTRY()` or `-e` — not
the default `_start`. Without them it removes all the code without a word, even
when `_start` is defined (checked; `--print-gc-sections` shows
`removing unused section '.text'`), and leaves `e_entry` 0. ld.lld roots `_start`.

## Example
```ld
SECTIONS {
    . = 1M;
    .text : { *(.text .text.*) }
}
```

## Use instead
```ld
ENTRY(boot_entry)

SECTIONS {
    . = 1M;
    .text : { *(.text .text.*) }
}
```

## References
- GNU ld manual, "Setting the Entry Point" (the order: `-e`, `ENTRY()`, the
  target's default symbol `_start`, the start of `.text`, 0) and "Input Section
  and Garbage Collection".
- GNU ld `ldlang.c` `lang_end`: "No entry has been specified. Look for the default
  entry, but don't warn if we don't find it."
- ld.lld `ELF/Writer.cpp` `getEntryAddr`.
- kernlint research, `anchors-ldscript.md` §2 M15 (`warning: cannot find entry
  symbol %s; defaulting to %V`) and §3 (the seed case's `ENTRY(entry_asm)`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from kernlint.context import SCRIPT, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

if TYPE_CHECKING:
    from kernlint.ldscript import ast

if TYPE_CHECKING:
    from kernlint.ldscript import LoadedScript

ID = "KL203"
NAME = "missing-entry"
SEVERITY = "warning"
APPLIES_TO = frozenset({SCRIPT})

LOG_PATTERNS = (
    # GNU ld 2.40 (observed: no ENTRY(), no -e, no object defines _start). The symbol
    # is `_start` only when nothing named an entry: another name came from ENTRY() or
    # -e, so the entry *is* specified and the cause is a symbol no object defines
    # globally (a typo, a missing `.global`, an object left out), which KL203 does not
    # check; those lines are left unexplained rather than blamed on a missing ENTRY().
    LogPattern(
        "ld",
        r"cannot find entry symbol (?P<symbol>_start); defaulting to (?P<address>[0-9a-fA-F]+)",
        "Nothing names the entry point (no `ENTRY()` in the script, no `-e`) and no input"
        " defines `_start`, so GNU ld set the entry point to {address}, the start of"
        " `.text`: the loader jumps into whatever code is first. Name the real entry"
        " with `ENTRY(symbol)` in the script and define it as a global symbol.",
        "ld: warning: cannot find entry symbol _start; defaulting to 0000000000401000",
    ),
    # LLD 14 (observed).
    LogPattern(
        "lld",
        r"cannot find entry symbol (?P<symbol>_start); not setting start address",
        "Nothing names the entry point (no `ENTRY()`, no `-e`) and no input defines"
        " `_start`, so ld.lld left the entry point at 0, where no loader should jump."
        " Name the real entry with `ENTRY(symbol)` in the script and define it as a"
        " global symbol.",
        "ld.lld: warning: cannot find entry symbol _start; not setting start address",
    ),
    # Older ld.lld (LLD 8 to 11) when the output has a `.text`; hand-typed from the
    # posted lines of ClangBuiltLinux/linux#216 and #1022 (fixed there by ENTRY()).
    LogPattern(
        "lld",
        r"cannot find entry symbol (?P<symbol>_start); defaulting to (?P<address>0x[0-9a-fA-F]+)",
        "Nothing names the entry point (no `ENTRY()`, no `-e`) and no input defines"
        " `_start`, so ld.lld set the entry point to {address}, the start of `.text`:"
        " the loader jumps into whatever code is first. Name the real entry with"
        " `ENTRY(symbol)` in the script and define it as a global symbol.",
        "ld.lld: warning: cannot find entry symbol _start; defaulting to 0x1000",
    ),
)


#: Input section patterns that take code: the script links a program.
_CODE_NAMES = (".text", ".text.x", ".init", ".head.text", ".init.text", ".start", ".vectors")
#: Output sections and program headers only a shared object (``-shared``) has.
_DYNAMIC_NAMES = frozenset({".dynamic", ".dynsym", ".dynstr", ".hash", ".gnu.hash"})
#: ELF's PT_DYNAMIC.
PT_DYNAMIC = 2


def no_entry_needed(loaded: LoadedScript) -> str | None:
    """Why a script without ``ENTRY()`` needs none, or None when it links a program
    whose ``e_entry`` a loader reads. In order:

    - a raw image, ``OUTPUT_FORMAT(binary)`` (or ``ihex``, ``srec``): the output has no
      ELF header, so no ``e_entry`` (ld manual "Format Commands");
    - a shared object: a ``VERSION`` command, or ``.dynamic``-style output sections or
      a ``PT_DYNAMIC`` header (the vDSO, ``-shared`` links; the manual's "VERSION
      Command" applies to shared libraries only);
    - a memory map (:func:`~kernlint.ldscript.evaluate.memory_map_only`): firmware
      that runs from flash or SRAM is entered through its vector table or reset
      address, not ``e_entry``;
    - no output section takes code (a ``memory.x`` with a data section, a data-only
      table image, a ``/DISCARD/`` fragment handed to ld before the real script): the
      program's code, and its entry, are in another script;
    - nothing is placed: no assignment to ``.`` other than 0, no section address other
      than 0, no region (``ld -r`` scripts such as Linux's ``module.lds`` and
      partial-linking scripts; the command line places anything else, ``-Ttext``)."""
    from kernlint.ldscript import ast
    from kernlint.ldscript.evaluate import constant, memory_map_only

    for node in loaded.statements():
        raw = ("binary", "ihex", "srec", "verilog")
        if isinstance(node, ast.OutputFormat) and node.default.strip('"').lower() in raw:
            return f"OUTPUT_FORMAT({node.default}) writes no ELF header, so no e_entry"
        if isinstance(node, ast.Version):
            return "a VERSION command: a shared object (the vDSO, an -shared link)"
        if isinstance(node, ast.Phdrs) and any(
            constant(h.type) == PT_DYNAMIC or getattr(h.type, "name", None) == "PT_DYNAMIC"
            for h in node.headers
        ):
            return "a PT_DYNAMIC program header: a shared object"
    sections = [n for n in loaded.walk() if isinstance(n, ast.OutputSection)]
    if any(s.name in _DYNAMIC_NAMES for s in sections):
        return "a `.dynamic`-style output section: a shared object"
    why = memory_map_only(loaded)
    if why is not None:
        return why
    if not any(_takes_code(loaded, s) for s in sections if not s.is_discard):
        return "no output section takes code: a fragment of another script, or a data image"
    if not _places_anything(loaded, sections):
        return (
            "it places nothing (no address but 0): an `ld -r` script or one the command line places"
        )
    return None


def _takes_code(loaded: LoadedScript, section: ast.OutputSection) -> bool:
    import fnmatch

    from kernlint.ldscript import ast

    for stmt in loaded.statements(section.statements):
        if not isinstance(stmt, ast.InputSectionDescription):
            continue
        if not stmt.sections:
            return True  # a whole file (`boot.o`): code as likely as not
        for pattern in stmt.sections:
            if any(fnmatch.fnmatchcase(name, pattern.pattern) for name in _CODE_NAMES):
                return True
    return False


def _places_anything(loaded: LoadedScript, sections: list) -> bool:
    from kernlint.ldscript import ast
    from kernlint.ldscript.evaluate import constant

    if any(isinstance(n, ast.Memory) for n in loaded.statements()):
        return True
    for section in sections:
        if section.region is not None or section.lma_region is not None:
            return True
        if section.address is not None and constant(section.address) != 0:
            return True
        if section.at is not None:
            return True
    for top in loaded.statements():
        if not isinstance(top, ast.Sections):
            continue
        for node in loaded.statements(top.statements):
            # Directly in SECTIONS `.` is an address (inside a section an offset).
            dot = isinstance(node, ast.Assignment) and node.target == "."
            if dot and (node.op != "=" or constant(node.expr) != 0):
                return True
    return False


def _start_defined(layout, loaded: LoadedScript) -> bool:
    """True when an object defines a global ``_start`` or the script assigns it."""
    from kernlint.ldscript import ast

    if any(isinstance(n, ast.Assignment) and n.target == "_start" for n in loaded.walk()):
        return True
    return any(
        sym.name == "_start" and not sym.local and sym.shndx != 0
        for obj in layout.objects
        for sym in obj.symbols
    )


def check(ctx: Context) -> Iterator[Finding]:
    """One finding at `SECTIONS` when no ENTRY() command exists and the script links a
    program: a warning when the objects show that GNU ld will pick a wrong entry, an
    info note when they are not known."""
    from kernlint.ldscript import ast

    loaded = ctx.script
    if loaded is None:
        return
    if any(d.kind != "cycle" for d in loaded.diagnostics):
        return  # an INCLUDE we could not read may hold the ENTRY
    for node in loaded.walk():
        if isinstance(node, ast.Entry | ast.Insert):
            return
    anchor = _sections_anchor(loaded)
    if anchor is None or no_entry_needed(loaded) is not None:
        return
    span, width = anchor
    location = Location(
        line=span.line, column=span.column, end_line=span.line, end_column=span.column + width
    )
    fix = "name the entry point before SECTIONS: `ENTRY(_start)` (your entry symbol)"
    layout = ctx.layout if ctx.has_objects else None
    if layout is None:
        yield Finding(
            "no ENTRY() command: the entry point is the link's `-e SYMBOL`, else `_start`,"
            " else the start of `.text` (GNU ld, silently; ld.lld uses 0), and with"
            " `--gc-sections` GNU ld removes all the code even when `_start` exists;"
            " kernlint needs the objects (`--objects`, a target's `objects`) to tell"
            " whether this link gets the right one",
            location,
            fix=fix,
            severity="info",
        )
        return
    gc = ctx.config.gc_sections_for(ctx.path)
    if gc:
        reason = (
            "the link uses `--gc-sections`, and GNU ld roots garbage collection only at an"
            " entry named by ENTRY() or `-e`: it removes all the code, even `_start`, and"
            " leaves e_entry 0 (ld.lld roots `_start`)"
        )
    elif not _start_defined(layout, loaded):
        text = layout.section(".text")
        start = f" ({text.vma:#x})" if text is not None else " (0: there is no `.text`)"
        reason = (
            "no object defines `_start`, so unless the link passes `-e SYMBOL` GNU ld"
            f" silently enters at the start of `.text`{start}, whatever code is first;"
            ' ld.lld warns "cannot find entry symbol _start; not setting start address"'
            " and uses 0"
        )
    else:
        return  # GNU ld and ld.lld both take `_start`
    yield Finding(f"no ENTRY() command: {reason}", location, fix=fix)


def _sections_anchor(loaded: LoadedScript) -> tuple[ast.Span, int] | None:
    """Where to point in the main file: its `SECTIONS`, or the `INCLUDE` that brings a
    file holding one; None for a script without SECTIONS (a fragment)."""
    from kernlint.ldscript import ast

    for stmt in loaded.script.statements:
        if isinstance(stmt, ast.Sections):
            return stmt.span, len("SECTIONS")
        target = loaded.included.get(stmt) if isinstance(stmt, ast.Include) else None
        if target is None:
            continue
        if any(isinstance(n, ast.Sections) for n in replace(loaded, script=target).walk()):
            span = stmt.span
            width = span.end_column - span.column if span.end_line == span.line else 7
            return span, width
    return None
