"""Program headers: ``PHDRS`` (ld manual "PHDRS Command") or, without it, the mapping
bfd makes (``bfd/elf.c`` ``_bfd_elf_map_sections_to_segments`` and
``assign_file_positions_for_load_sections``, binutils 2.40), for a static,
demand-paged executable:

- allocated output sections sorted by LMA (then VMA, loaded before not loaded, size,
  section order) are grouped into ``PT_LOAD``s; a new one starts when the
  LMA-VMA offset changes, when a section overlaps the previous one, when a whole page
  would be skipped, when a loaded section follows a ``NOBITS`` one, when a writable
  section follows read-only ones, and (``-z separate-code``) when code follows data
  or data code; two sections that share a page never split;
- the ELF header and program headers are in the first ``PT_LOAD`` when the first
  section's LMA leaves room for them in its page (``lma % page >= headers``); with
  ``-z separate-code`` and code first they get a read-only ``PT_LOAD`` of their own,
  a page lower when they would share the code's page;
- ``p_flags``: R, plus W for a writable section, X for code; ``PT_NOTE`` per run of
  adjacent notes of one alignment; ``PT_TLS``; ``PT_GNU_STACK`` (assumed: ``-z
  noexecstack``).

``SIZEOF_HEADERS`` is the ELF header plus one entry per program header; the layout
iterates until that count is stable, as ld does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from kernlint.layout.model import (
    SEC_ALLOC,
    SEC_READONLY,
    SEC_THREAD_LOCAL,
    SHF_ALLOC,
    SHF_EXECINSTR,
    SHF_TLS,
    SHF_WRITE,
    SHT_NOBITS,
    SHT_NOTE,
    OutputSection,
    Segment,
)
from kernlint.layout.statements import Diagnostics, OutputSectionStatement
from kernlint.ldscript import ast
from kernlint.ldscript.evaluate import Env, constant

PT_LOAD, PT_NOTE, PT_PHDR, PT_TLS = 1, 4, 6, 7
PT_GNU_STACK = 0x6474E551
PT_GNU_RELRO = 0x6474E552
PF_X, PF_W, PF_R = 1, 2, 4


@dataclass(frozen=True)
class HeaderInputs:
    """What the program header stage reads of the earlier stages: ``phdrs`` (the
    ``PHDRS`` command, or None for bfd's default mapping), ``statements`` (the output
    section statements in order, orphans included, for ``:phdr`` inheritance),
    ``ei_class`` (32 or 64), ``page`` (``-z max-page-size``, bytes),
    ``separate_code`` (``-z separate-code``), ``load_phdrs`` (the script reads
    ``SIZEOF_HEADERS``: ``link_info.load_phdrs``) and ``diagnostics`` (where
    unmodelled ``PHDRS`` uses are reported)."""

    phdrs: ast.Phdrs | None
    statements: tuple[OutputSectionStatement, ...]
    ei_class: int
    page: int
    separate_code: bool
    load_phdrs: bool
    diagnostics: Diagnostics


def _ehdr(ei_class: int) -> int:
    return 64 if ei_class == 64 else 52


def _phent(ei_class: int) -> int:
    return 56 if ei_class == 64 else 32


def headers_guess(inputs: HeaderInputs, relro: bool) -> int:
    """bfd's first estimate of the headers (``get_program_header_size``): two
    ``PT_LOAD``s (four with ``-z separate-code``), ``PT_GNU_STACK``, a ``PT_TLS``
    when a section is thread-local, or the ``PHDRS`` entries. It matters when two
    header counts are both self-consistent (the layout with N headers maps to N):
    ld settles on the one its estimate reaches first. Four loads with
    separate-code: seen with ld 2.40, where a layout stable with 4 headers links
    with 5. ``relro``: ``link_info.relro`` (a ``PT_GNU_RELRO``). In bytes."""
    if inputs.phdrs is not None:
        count = len(inputs.phdrs.headers)
    else:
        count = 3 + (2 if inputs.separate_code else 0)
        if relro:
            count += 1  # PT_GNU_RELRO (link_info.relro after lang_find_relro_sections)
        if any(o.has_bfd and o.bfd_flags & SEC_THREAD_LOCAL for o in inputs.statements):
            count += 1
    return _ehdr(inputs.ei_class) + count * _phent(inputs.ei_class)


def _is_load(s: OutputSection) -> bool:
    return bool(s.flags & SHF_ALLOC) and s.sh_type != SHT_NOBITS


def _is_tbss(s: OutputSection) -> bool:
    return bool(s.flags & SHF_TLS) and s.sh_type == SHT_NOBITS


def _sort_key(item: tuple[int, OutputSection]):
    i, s = item
    toend = not _is_load(s) and not s.flags & SHF_TLS and s.size != 0
    return (s.lma, s.vma, toend, s.size if _is_load(s) else 0, i)


def _flags(sections: Sequence[OutputSection]) -> int:
    flags = PF_R
    for s in sections:
        if s.flags & SHF_WRITE:
            flags |= PF_W
        if s.flags & SHF_EXECINSTR:
            flags |= PF_X
    return flags


def _writable(s: OutputSection) -> bool:
    """Writable as the mapping sees it: BFD's ``SEC_READONLY``, not ``SHF_WRITE``. A
    ``.bss`` made only of a data statement is read-only to bfd while its ELF flags
    say ``WA`` (special name): it joins a read-only ``PT_LOAD``, whose ``p_flags``
    (from the ELF flags) then include W (ld 2.40)."""
    return not s.bfd_flags & SEC_READONLY


def _new_segment(prev, last_size, hdr, page, separate, executable, writable) -> bool:
    prev_end = prev.lma + last_size
    if prev.lma - prev.vma != hdr.lma - hdr.vma:
        return True
    if hdr.lma < prev_end:
        return True
    if ((prev_end - 1) & -page) == (hdr.lma & -page):
        return False
    if prev.lma < -(-prev_end // page) * page + page <= hdr.lma:
        return True
    if not _is_load(prev) and not prev.flags & SHF_TLS and (_is_load(hdr) or hdr.flags & SHF_TLS):
        return True
    if separate and executable != bool(hdr.flags & SHF_EXECINSTR):
        return True
    return not writable and _writable(hdr)


def _segment(
    sections: list[OutputSection],
    page: int,
    *,
    headers: int = 0,
    flags: int | None = None,
    paddr: int | None = None,
    p_type: int = PT_LOAD,
    name: str | None = None,
) -> tuple[Segment, str | None]:
    """A segment over ``sections`` (address order); ``headers`` > 0 when it maps the
    ELF and program headers too. Returns it and an error, if any."""
    error = None
    if not sections:
        return Segment(
            p_type,
            flags if flags is not None else PF_R,
            0,
            paddr or 0,
            0,
            0,
            page,
            (),
            headers > 0,
            name,
        ), None
    first = sections[0]
    vaddr, lma = first.vma, first.lma
    if headers:
        # The first section's file offset: at least the headers, congruent to its
        # address modulo the page size (assign_file_positions_for_load_sections).
        off = first.vma % page
        while off < headers:
            off += page
        if first.vma < off or (paddr is None and first.lma < off):
            error = "not enough room for program headers, try linking with -N"
        vaddr -= off
        lma -= off
    end = max((s.vma + (0 if _is_tbss(s) else s.size) for s in sections), default=vaddr)
    loaded = [s for s in sections if _is_load(s)]
    file_end = max((s.vma + s.size for s in loaded), default=None)
    filesz = (file_end - vaddr) if file_end is not None else (headers if headers else 0)
    segment = Segment(
        p_type=p_type,
        p_flags=_flags(sections) if flags is None else flags,
        p_vaddr=vaddr,
        p_paddr=lma if paddr is None else paddr,
        p_filesz=max(filesz, 0),
        p_memsz=max(end - vaddr, filesz),
        p_align=page if p_type == PT_LOAD else max((s.align for s in sections), default=1),
        sections=tuple(s.name for s in sections),
        headers=headers > 0,
        name=name,
    )
    return segment, error


def _headers_segment(
    ordered: list[OutputSection], headers: int, page: int, separate: bool, load_phdrs: bool
) -> tuple[bool, Segment | None]:
    """Where the ELF and program headers go: (in the first ``PT_LOAD``, their own
    read-only ``PT_LOAD`` or None). They are loaded when the script reads
    ``SIZEOF_HEADERS`` (ld sets ``link_info.load_phdrs``), or when they fit below
    the first section in its page; with ``-z separate-code`` and code first, in a
    ``PT_LOAD`` of their own, a page lower when they would share the code's page."""
    phdr_in_segment = bool(ordered) and (load_phdrs or ordered[0].lma % page >= headers % page)
    if not phdr_in_segment:
        return False, None
    first = ordered[0]
    phdr_lma = (first.lma - headers) & -page
    separate_phdr = False
    if separate and first.flags & SHF_EXECINSTR:
        separate_phdr = True
        if ((phdr_lma + headers - 1) & -page) == (first.lma & -page):
            if phdr_lma >= page:
                phdr_lma -= page
            else:
                separate_phdr = False
    if first.lma < phdr_lma or first.lma < headers:
        return False, None
    if separate_phdr:
        own = Segment(
            PT_LOAD, PF_R, (first.vma - headers) & -page, phdr_lma, headers, headers, page, (), True
        )
        return False, own
    return True, None


def _load_groups(
    ordered: list[OutputSection], page: int, separate: bool
) -> list[list[OutputSection]]:
    """The allocated sections (LMA order) cut into ``PT_LOAD``s (:func:`_new_segment`);
    a lone ``.tbss`` at the end makes none."""
    groups: list[list[OutputSection]] = []
    current: list[OutputSection] = []
    writable = executable = False
    last_size = 0
    for s in ordered:
        if current and _new_segment(
            current[-1], last_size, s, page, separate, executable, writable
        ):
            groups.append(current)
            current = []
            writable = executable = False
        current.append(s)
        writable |= _writable(s)
        executable |= bool(s.flags & SHF_EXECINSTR)
        last_size = 0 if _is_tbss(s) else s.size
    if current and not (len(current) == 1 and _is_tbss(current[0])):
        groups.append(current)
    return groups


def _note_segments(sections: Sequence[OutputSection], page: int) -> list[Segment]:
    """A ``PT_NOTE`` per run of adjacent loaded notes of one alignment."""
    out: list[Segment] = []
    i = 0
    secs = list(sections)
    while i < len(secs):
        s = secs[i]
        if _is_load(s) and s.sh_type == SHT_NOTE:
            run = [s]
            while i + 1 < len(secs):
                b = secs[i + 1]
                a = run[-1]
                end = -(-(a.lma + a.size) // max(b.align, 1)) * max(b.align, 1)
                if b.align == s.align and _is_load(b) and b.sh_type == SHT_NOTE and end == b.lma:
                    run.append(b)
                    i += 1
                else:
                    break
            out.append(_segment(run, page, p_type=PT_NOTE, flags=PF_R)[0])
        i += 1
    return out


def default_segments(
    sections: Sequence[OutputSection],
    headers: int,
    page: int,
    separate: bool,
    load_phdrs: bool = False,
    relro: tuple[int, int] | None = None,
) -> tuple[list[Segment], list[str]]:
    """bfd's mapping without ``PHDRS``: the ``PT_LOAD``s, then ``PT_NOTE``,
    ``PT_TLS``, ``PT_GNU_STACK`` and ``PT_GNU_RELRO``; and the errors."""
    alloc = sorted(
        ((i, s) for i, s in enumerate(sections) if s.bfd_flags & SEC_ALLOC), key=_sort_key
    )
    ordered = [s for _, s in alloc]
    loads: list[Segment] = []
    errors: list[str] = []
    phdr_in_segment, own = _headers_segment(ordered, headers, page, separate, load_phdrs)
    if own is not None:
        loads.append(own)
    groups = _load_groups(ordered, page, separate)
    for n, group in enumerate(groups):
        seg, error = _segment(group, page, headers=headers if n == 0 and phdr_in_segment else 0)
        loads.append(seg)
        if error:
            errors.append(error)
    others = _note_segments(sections, page)
    tls = [s for s in sections if s.flags & SHF_TLS and s.flags & SHF_ALLOC]
    if tls:
        others.append(_segment(tls, page, p_type=PT_TLS, flags=PF_R)[0])
    others.append(Segment(PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16))
    if relro is not None:
        segment = _relro_segment(groups, loads, relro)
        if segment is not None:
            others.append(segment)
    return loads + others, errors


def _relro_segment(
    groups: list[list[OutputSection]], loads: list[Segment], relro: tuple[int, int]
) -> Segment | None:
    """``PT_GNU_RELRO`` (``_bfd_elf_map_sections_to_segments``: only when a
    ``PT_LOAD`` starting in ``[relro_start, relro_end)`` loads contents;
    ``assign_file_positions_for_non_load_sections``: from the first non-empty section
    in that range of the ``PT_LOAD`` overlapping it to ``relro_end``, ``p_filesz``
    trimmed to the ``PT_LOAD``'s contents)."""
    start, end = relro
    if not any(g and start <= g[0].vma < end and any(_is_load(s) for s in g) for g in groups):
        return None
    body = [seg for seg in loads if seg.sections]
    for group, seg in zip(groups, body[-len(groups) :] if groups else [], strict=False):
        last = group[-1]
        if last.vma + (0 if _is_tbss(last) else last.size) > start and group[0].vma < end:
            first = next((s for s in group if start <= s.vma < end and s.size), None)
            if first is None:
                return None
            memsz = end - first.vma
            filesz = min(memsz, seg.p_vaddr + seg.p_filesz - first.vma)
            return Segment(PT_GNU_RELRO, PF_R, first.vma, first.lma, filesz, memsz, 1)
    return None


def _assign_phdrs(
    statements: list[OutputSectionStatement], kept: dict[str, OutputSection]
) -> dict[str, tuple[str, ...]] | None:
    """Output section name -> the ``PHDRS`` names it goes to (``lang_record_phdrs``:
    a section without ``:phdr`` goes where the previous one went, allocated sections
    only; before any section names one, where the first that does went); None when
    no section names one ("no sections assigned to phdrs")."""
    assigned: dict[str, tuple[str, ...]] = {}
    last: tuple[str, ...] | None = None
    for index, output in enumerate(statements):
        if output.phdrs:
            last = output.phdrs
            names = output.phdrs
        else:
            if (
                not output.has_bfd
                or not output.bfd_flags & SEC_ALLOC
                or output.type_kind == "NOLOAD"
            ):
                continue
            if last is None:
                last = next((o.phdrs for o in statements[index:] if o.phdrs), None)
                if last is None:
                    return None
            names = last
        if output.name in kept:
            assigned[output.name] = names
    return assigned


def phdrs_segments(
    inputs: HeaderInputs, sections: Sequence[OutputSection], headers: int, page: int
) -> tuple[list[Segment], list[str]]:
    """Segments from ``PHDRS`` (ld manual "PHDRS Command"; ``lang_record_phdrs``),
    each over the sections :func:`_assign_phdrs` gives it."""
    node = inputs.phdrs
    assert node is not None
    kept = {s.name: s for s in sections}
    statements = [o for o in inputs.statements if o.name != "/DISCARD/"]
    errors: list[str] = []
    assigned = _assign_phdrs(statements, kept)
    if assigned is None:
        errors.append("no sections assigned to phdrs")
        return [], errors
    _overlay_members_sharing_a_phdr(inputs.diagnostics, statements, assigned)
    declared = {h.name for h in node.headers}
    for name, phdrs in assigned.items():
        for p in phdrs:
            if p != "NONE" and p not in declared:
                errors.append(f"section `{name}' assigned to non-existent phdr `{p}'")
    out: list[Segment] = []
    env = Env(page_size=page)
    for header in node.headers:
        members = [s for s in sections if header.name in assigned.get(s.name, ())]
        p_type = header.type_value
        if p_type is None:
            p_type = constant(header.type, env) or 0
        if p_type == PT_LOAD:
            members = [s for s in members if s.bfd_flags & SEC_ALLOC]
        members.sort(key=lambda s: (s.lma, s.vma))
        flags = constant(header.flags, env) if header.flags is not None else None
        at = constant(header.at, env) if header.at is not None else None
        size = 0
        if header.filehdr:
            size += _ehdr(inputs.ei_class)
        if header.phdrs:
            size = headers if header.filehdr else headers - _ehdr(inputs.ei_class)
        seg, error = _segment(
            members, page, headers=size, flags=flags, paddr=at, p_type=p_type, name=header.name
        )
        if error:
            errors.append(error)
        out.append(seg)
    return out, errors


def _overlay_members_sharing_a_phdr(
    diagnostics: Diagnostics, statements: list[OutputSectionStatement], assigned
) -> None:
    """Two members of one ``OVERLAY`` (same VMA, consecutive LMAs) in one ``PHDRS``
    segment: bfd sizes that segment over both LMAs (ld 2.40: ``p_filesz`` 0x7f for
    members of 0x30 and 0x4f bytes), which is not modelled; reported, not guessed."""
    seen: set[tuple[int, str]] = set()
    for output in statements:
        if output.overlay is None or output.name not in assigned:
            continue
        for phdr in assigned[output.name]:
            if phdr == "NONE":
                continue
            key = (id(output.overlay), phdr)
            if key in seen:
                diagnostics.unsupported_at(
                    "OVERLAY",
                    output.node,
                    f"{output.name}: two members of one overlay in program header `{phdr}'",
                )
            seen.add(key)


def program_headers(
    inputs: HeaderInputs,
    sections: Sequence[OutputSection],
    headers: int,
    relro: tuple[int, int] | None,
) -> tuple[list[Segment], list[str]]:
    """Stage 6: the program headers for ``sections`` (their 64-bit addresses;
    ``headers``: ``SIZEOF_HEADERS`` in bytes; ``relro``: the ``PT_GNU_RELRO`` range
    when ``-z relro`` stayed on), and the errors ld reports about them."""
    page = inputs.page
    if inputs.ei_class == 32:
        sections = [replace(s, vma=s.vma & 0xFFFFFFFF, lma=s.lma & 0xFFFFFFFF) for s in sections]
    if inputs.phdrs is not None:
        return phdrs_segments(inputs, sections, headers, page)
    if relro is not None and inputs.ei_class == 32:
        relro = (relro[0] & 0xFFFFFFFF, relro[1] & 0xFFFFFFFF)
    return default_segments(sections, headers, page, inputs.separate_code, inputs.load_phdrs, relro)


__all__ = ["PT_LOAD", "HeaderInputs", "default_segments", "headers_guess", "program_headers"]
