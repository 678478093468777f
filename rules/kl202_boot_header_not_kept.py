"""A boot-protocol header section is collected outside `KEEP()`.

## What it does
Finds input section patterns that name a boot-protocol header section and are not
inside `KEEP()`. A pattern names a header when it contains, ignoring case, one of
`multiboot` (`.multiboot`, `.multiboot_header`, `.multiboot2`), `mb2` (`.mb2_hdr`),
`mbhdr`, `boot_header`, `.note.Xen` (Xen PVH), `limine_req` (Limine's
`.limine_reqs` and `.limine_requests*`) or `.bootloader-config` (the rust-osdev
`bootloader_api` crate), where a marker that does not start with a dot must not
follow a letter or digit (`.mb2_hdr` counts, `.numb2` does not). Patterns that are
code sections by name (a `text` component: `.multiboot.text`, `.text.multiboot`)
are left alone: the entry point reaches them. Wildcards that merely *match* a
header without naming it (`*(.note.*)`, `*(.rodata*)`) are not reported, nor are
patterns in `/DISCARD/`, nor a pattern whose sections a `KEEP()` earlier in the
script has already taken (`KEEP(*(.multiboot*))` before `*(.multiboot_header)`): ld
gives an input section to the first pattern that matches it.

The finding points at the pattern; the fix is the `KEEP()` statement, split off
when the pattern shares its statement with others.

Before linking, when the link uses `--gc-sections` (configuration: `gc-sections =
true` at top level or in the script's `[[target]]`) and the objects are known
(`--objects`, the target's `objects`, or the script's `INPUT()`), the objects are laid
out as GNU ld 2.40 would with `--gc-sections` (`kernlint layout --gc-sections`: roots
are the entry symbol, `-u`/`EXTERN` symbols, `KEEP()` patterns, notes; reachability
over relocations), and each input section ld would remove that is a boot header is
reported, with the pattern that would have placed it: a header by name (the markers
above) or by content (a Multiboot2 magic at an 8-aligned offset or a Multiboot magic
at a 4-aligned offset, checksum correct), so `*(.header)` holding a Multiboot2
header is found too. This finding replaces the pattern finding at the same place. A
header that reachable code references is kept by ld, so the layout says nothing about
it (the pattern check above still asks for `KEEP()` when the pattern names a header).

## Why is this bad?
With `--gc-sections` the linker keeps only what is reachable from the entry symbol,
`-u` symbols and `KEEP()` sections. Nothing references a Multiboot header, a Limine
request or the `bootloader_api` config: the loader finds them by scanning the file.
So they are removed, silently — GNU ld names them only under `--print-gc-sections`
(`ld: removing unused section '.multiboot_header' in file 'kernel.o'`, from this
rule's sample) — and GRUB then says "no multiboot header found", Limine answers no
request and the `bootloader` crate panics ("bootloader config section not found").
Linkers do keep `SHT_NOTE` sections (GNU ld 2.40 and ld.lld, checked), so a
`.note.Xen` that the assembler typed `@note` (GNU as and LLVM do so for `.note*`
names by default) survives; one emitted as `@progbits` is removed like the others,
and `KEEP()` makes the script independent of how the note was emitted.

A build without `--gc-sections` works either way, which is why the missing `KEEP()`
goes unnoticed until someone turns garbage collection on. So the pattern finding is a
warning only where the link is known to collect garbage: `gc-sections = true` in the
configuration, a build file beside or above the script that names `--gc-sections`
(Make, CMake, Meson, Cargo, ...: `kernlint.buildfacts`), or a Cargo project (rustc
always links executables with `--gc-sections`). Elsewhere it is `info`, and says
what the verdict depends on.

## Example
```ld
.text : {
    *(.multiboot_header)
    *(.text .text.*)
}
```

## Use instead
```ld
.text : {
    KEEP(*(.multiboot_header))
    *(.text .text.*)
}
```

## References
- GNU ld manual, "Input Section and Garbage Collection" (`KEEP`), and
  "Command-line Options": `--gc-sections`, `--print-gc-sections`.
- GNU ld 2.40 `--gc-sections --print-gc-sections` on
  `samples/kl202-boot-header-not-kept-prelink/` (checked in the rule's tests).
- Multiboot2 specification, §3.1.1 "The layout of Multiboot2 header" (the header
  must lie in the first 32768 bytes of the image); Multiboot 0.6.96 §3.1.1 (8192).
- Limine boot protocol, "Requests"; rust-osdev `bootloader` `api/src/config.rs`.
- Xen `include/public/elfnote.h` (`XEN_ELFNOTE_PHYS32_ENTRY`).
- kernlint research, `anchors-ldscript.md` §2 M4 (boot header without KEEP under
  `--gc-sections`; lowRISC/opentitan#3091, nxp-mcuxpresso/legacy-mcux-sdk#29).
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from kernlint.context import SCRIPT, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

if TYPE_CHECKING:
    from kernlint.ldscript import ast

ID = "KL202"
NAME = "boot-header-not-kept"
SEVERITY = "warning"
APPLIES_TO = frozenset({SCRIPT})

_HEADER_NAME = (
    r"[^')]*(?i:multiboot|(?<![a-z0-9])(?:mb2|mbhdr|boot_header)|\.note\.xen|limine_req"
    r"|\.bootloader-config)[^')]*"
)
LOG_PATTERNS = (
    # GNU ld 2.40, --gc-sections --print-gc-sections (observed); only for header names.
    LogPattern(
        "ld",
        rf"removing unused section '(?P<section>{_HEADER_NAME})' in file '(?P<object>[^']+)'",
        "`--gc-sections` removed {section} of {object} because nothing references it, but"
        " it is the boot-protocol header, which the loader finds by its bytes, not through"
        ' a reference: without it GRUB says "no multiboot header found". Keep it:'
        " `KEEP(*({section}))` in the script.",
        "ld: removing unused section '.multiboot_header' in file 'k.o'",
    ),
    # LLD 14, --gc-sections --print-gc-sections (observed; no "ld.lld:" prefix).
    LogPattern(
        "lld",
        rf"removing unused section (?P<object>\S+?):\((?P<section>{_HEADER_NAME})\)",
        "`--gc-sections` removed {section} of {object} because nothing references it, but"
        " it is the boot-protocol header, which the loader finds by its bytes, not through"
        " a reference. Keep it: `KEEP(*({section}))` in the script.",
        "removing unused section k.o:(.multiboot_header)",
    ),
)

#: Lower-case markers of boot-protocol header section names, with what they hold.
HEADER_MARKERS = {
    "multiboot": "the Multiboot header",
    "mb2": "the Multiboot2 header",
    "mbhdr": "the Multiboot header",
    "boot_header": "a boot-protocol header",
    ".note.xen": "the Xen PVH note",
    "limine_req": "the Limine requests",
    ".bootloader-config": "the bootloader_api config",
}
_NOTE = HEADER_MARKERS[".note.xen"]

_CODE = re.compile(r"(?:^|[._-])text(?:$|[._-])", re.I)


def _protocol(pattern: str, extra: tuple[str, ...]) -> str | None:
    """What header ``pattern`` names (``the Multiboot2 header``), or None."""
    lowered = pattern.lower()
    if _CODE.search(lowered):
        return None
    for marker, protocol in HEADER_MARKERS.items():
        start = lowered.find(marker)
        while start >= 0:
            if marker.startswith(".") or start == 0 or not lowered[start - 1].isalnum():
                return protocol
            start = lowered.find(marker, start + 1)
    for name in extra:
        if name.lower() in lowered:
            return "a boot-protocol header"
    return None


def _slice(ctx: Context, span: ast.Span) -> str | None:
    """The source text of a one-line span of the main script, else None."""
    if ctx.script is None or ctx.script_text is None or span.file != ctx.script.script.path:
        return None
    if span.line != span.end_line:
        return None
    lines = ctx.script_text.splitlines()
    if span.line > len(lines):
        return None
    return lines[span.line - 1][span.column - 1 : span.end_column - 1]


def _keep_fix(ctx: Context, desc, pattern, written: str) -> str:
    """The fix for a header placed by ``pattern`` (None: the whole description) of the
    input section description ``desc``, written ``written``: wrap it in ``KEEP()``,
    or give it a statement of its own when ``desc`` names other sections too."""
    others = [p for p in desc.sections if p is not pattern]
    if pattern is None or not others:
        return f"wrap it: `KEEP({written})`"
    rest = " ".join(_text(ctx, p) for p in others)
    return (
        f"give it a statement of its own: `KEEP({written})`, and keep"
        f" `{_text(ctx, desc.file)}({rest})` for the rest"
    )


def _text(ctx: Context, node: ast.FilePattern | ast.SectionPattern | None) -> str:
    if node is None:
        return "*"
    written = _slice(ctx, node.span)
    return written if written else node.pattern


def _where(ctx: Context, span: ast.Span) -> tuple[Location, str]:
    """The location of ``span`` in the main file (the INCLUDE that brings it in, for a
    node of an included file), and a note naming the included place."""
    from kernlint.ldscript.evaluate import anchor

    at, note = anchor(ctx.script, span)
    return Location.from_span(at), note


def check(ctx: Context) -> Iterator[Finding]:
    """One finding per header pattern outside KEEP(); with objects and
    ``gc-sections`` configured, one per header input section ``--gc-sections`` would
    remove instead (at the pattern that would have placed it)."""
    from kernlint.ldscript import ast

    if ctx.script is None:
        return
    extra = tuple(getattr(ctx.config, "boot_header_sections", ()) or ())
    removed = list(_removed_headers(ctx, extra))
    reported = set()
    for finding, pattern in removed:
        if pattern is not None:
            reported.add(id(pattern))
        yield finding
    kept: set[tuple[str, str]] = set()
    for sec in ctx.script.walk():
        if not isinstance(sec, ast.OutputSection | ast.OverlaySection):
            continue
        if isinstance(sec, ast.OutputSection) and sec.is_discard:
            continue
        for desc in ctx.script.statements(sec.statements):
            if not isinstance(desc, ast.InputSectionDescription):
                continue
            files = "*" if desc.file is None else desc.file.pattern
            if desc.keep:
                kept.update((files, p.pattern) for p in desc.sections)
                continue
            for pat in desc.sections:
                protocol = _protocol(pat.pattern, extra)
                if (
                    protocol is None
                    or id(pat) in reported
                    or any(
                        fnmatch.fnmatchcase(files, f) and fnmatch.fnmatchcase(pat.pattern, p)
                        for f, p in kept
                    )
                ):
                    continue
                written = f"{_text(ctx, desc.file)}({_text(ctx, pat)})"
                if protocol == _NOTE:
                    why = (
                        "ld keeps the note under `--gc-sections` only while the input"
                        " section is SHT_NOTE; emitted as @progbits it is removed and Xen"
                        " finds no PVH entry note"
                    )
                else:
                    why = (
                        f"nothing references {protocol}, so `--gc-sections` removes it"
                        ' (`--print-gc-sections`: "removing unused section") and the'
                        " loader finds none"
                    )
                location, note = _where(ctx, pat.span)
                message = (
                    f"`{written}` in output section `{sec.name}`{note} is not inside KEEP(): {why}"
                )
                severity, context = _gc_context(ctx)
                yield Finding(
                    message + context,
                    location,
                    fix=_keep_fix(ctx, desc, pat, written),
                    severity=severity,
                )


def _gc_context(ctx: Context) -> tuple[str | None, str]:
    """(severity, message tail) of a pattern finding: the rule's own severity when the
    link is known to use `--gc-sections` (configured, or named by the build files
    around the script, or a Cargo project: rustc always passes it), else ``info``
    with what the verdict depends on (:mod:`kernlint.buildfacts`)."""
    facts = ctx.build_facts
    if ctx.config.gc_sections_for(ctx.path) or facts.gc_sections:
        return None, ""
    if facts.known:
        names = ", ".join(os.path.relpath(f) for f in facts.files[:3])
        return "info", (
            f"; the build files here ({names}) do not link with `--gc-sections`, so"
            " nothing is lost today: KEEP() keeps the header once they do"
        )
    return "info", (
        "; no build file beside or above the script says whether the link uses"
        " `--gc-sections` (set `gc-sections = true` in the configuration if it does)"
    )


SHT_NOBITS = 8
#: How far into an input section a Multiboot magic is looked for (bytes): the
#: Multiboot2 search window, which holds Multiboot 1's 8 KiB.
_MAGIC_WINDOW = 32768


def header_in(data: bytes) -> str | None:
    """What boot header ``data`` (an input section's bytes) holds, found by content:
    a Multiboot2 magic at an 8-aligned offset or a Multiboot magic at a 4-aligned
    offset, with a checksum that adds up (the multiboot decoders of
    :mod:`kernlint.boot`); else None."""
    from kernlint.boot import multiboot1, multiboot2

    if any(h.checksum_ok for h in multiboot2.scan(data)):
        return HEADER_MARKERS["mb2"]
    if any(h.checksum_ok for h in multiboot1.scan(data)):
        return HEADER_MARKERS["multiboot"]
    return None


def _removed_headers(ctx: Context, extra: tuple[str, ...]) -> Iterator[tuple[Finding, object]]:
    """With ``gc-sections`` configured for the script and its objects known: each
    input section ``--gc-sections`` would remove on the predicted layout that is a boot
    header by name or by content, as a finding, with the section pattern that would
    have placed it (None for an orphan)."""
    if not ctx.config.gc_sections_for(ctx.path) or not ctx.has_objects:
        return
    result = ctx.layout
    if result is None or result.unsupported or not result.objects:
        return
    dropped = [s for s, why in result.discarded if why == "--gc-sections" and s.size]
    if not dropped:
        return
    from kernlint.layout.match import Matcher, name_match
    from kernlint.ldscript import ast

    objects = {obj.index: obj for obj in result.objects}
    matchers = []
    for out in ctx.script.walk():
        if isinstance(out, ast.OutputSection) and not out.is_discard:
            for desc in ctx.script.statements(out.statements):
                if isinstance(desc, ast.InputSectionDescription):
                    matchers.append((out, desc, Matcher(desc)))
    entry = f"the entry symbol `{result.entry}`" if result.entry else "the entry symbol"
    sections_node = next((n for n in ctx.script.walk() if isinstance(n, ast.Sections)), None)
    for sec in dropped:
        obj = objects.get(sec.file_index)
        if obj is None:
            continue
        found = None
        if sec.sh_type != SHT_NOBITS and sec.index >= 0:
            header = next((h for h in obj.image.sections if h.index == sec.index), None)
            if header is not None:
                size = min(sec.size, _MAGIC_WINDOW)
                found = header_in(obj.image.reader.read_bytes(header.sh_offset, size))
        by_name = _protocol(sec.name, extra)
        if found is None and by_name is None:
            continue
        what = found or by_name
        if by_name is None:
            what += ", found by its magic and checksum"
        place = next(
            (
                (out, desc, pat)
                for out, desc, m in matchers
                if m.file_selected(obj.path) and m.match(sec) is not None
                for pat in (desc.sections or (None,))
                if pat is None or name_match(pat.pattern, sec.name)
            ),
            None,
        )
        pattern, location, note = None, Location(), ""
        where = "no pattern of the script places it (an orphan)"
        if sections_node is not None:
            location, note = _where(ctx, sections_node.span)
        fix = (
            f"keep it, first in the image: `KEEP(*({sec.name}))` at the start of the first"
            " output section"
        )
        if place is not None:
            out, desc, pattern = place
            written = (
                f"{_text(ctx, desc.file)}({_text(ctx, pattern)})"
                if pattern is not None
                else _text(ctx, desc.file)
            )
            location, note = _where(ctx, (pattern or desc).span)
            where = f"placed by `{written}` in output section `{out.name}`"
            fix = _keep_fix(ctx, desc, pattern, written)
        message = (
            f"`--gc-sections` will remove {sec.label()}, {what} ({sec.size} bytes): nothing"
            f" reachable from {entry} references it and no KEEP() covers it; {where}{note}."
            ' GNU ld removes it silently (only --print-gc-sections says "removing unused'
            f" section '{sec.name}' in file '{sec.file}'\") and the loader finds no header"
        )
        yield Finding(message, location, fix=fix), pattern
