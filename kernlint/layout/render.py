"""``kernlint layout`` output: JSON (a stable document) and a readable table."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from json.encoder import encode_basestring_ascii
from types import MappingProxyType
from typing import Any

from kernlint.layout.model import Layout

_PT = MappingProxyType(
    {1: "LOAD", 4: "NOTE", 6: "PHDR", 7: "TLS", 0x6474E551: "GNU_STACK", 0x6474E552: "GNU_RELRO"}
)


def _flags_text(sh_flags: int) -> str:
    return "".join(c for bit, c in ((1, "W"), (2, "A"), (4, "X"), (0x400, "T")) if sh_flags & bit)


def _pflags(p_flags: int) -> str:
    return "".join(c if p_flags & bit else " " for bit, c in ((4, "R"), (2, "W"), (1, "E")))


def _records(keys: tuple[str, ...], rows: list[tuple], depth: int) -> list[dict]:
    return [dict(zip(keys, row, strict=True)) for row in rows]


def to_dict(result: Layout, records: Callable[..., Any] = _records) -> dict:
    """The JSON document: ``sections``, ``segments``, ``symbols``, ``discarded``,
    ``orphans``, plus ``asserts``, ``errors`` and ``unsupported``. The long lists
    (each output section's ``inputs``, ``discarded``) are made by ``records(keys,
    rows, depth)``: by default a dict per row; ``depth`` is the nesting level of the
    list's items in the document (the top-level keys are at 1)."""
    return {
        "sections": [
            {
                "name": s.name,
                "vma": s.vma,
                "lma": s.lma,
                "size": s.size,
                "flags": _flags_text(s.flags),
                "type": "NOBITS" if s.sh_type == 8 else "PROGBITS" if s.sh_type == 1 else s.sh_type,
                "orphan": s.orphan,
                "inputs": records(
                    ("file", "section", "offset", "size"),
                    [(p.section.file, p.section.name, p.offset, p.section.size) for p in s.inputs],
                    4,
                ),
            }
            for s in result.sections
        ],
        "segments": [
            {
                "type": _PT.get(g.p_type, g.p_type),
                "name": g.name,
                "flags": _pflags(g.p_flags).replace(" ", ""),
                "vaddr": g.p_vaddr,
                "paddr": g.p_paddr,
                "filesz": g.p_filesz,
                "memsz": g.p_memsz,
                "align": g.p_align,
                "headers": g.headers,
                "sections": list(g.sections),
            }
            for g in result.segments
        ],
        "symbols": dict(sorted(result.symbols.items())),
        "entry": {"symbol": result.entry, "address": result.entry_address},
        "discarded": records(
            ("file", "section", "by"), [(s.file, s.name, why) for s, why in result.discarded], 2
        ),
        "orphans": [
            {
                "file": o.section.file,
                "section": o.section.name,
                "output": o.output,
                "after": o.after,
            }
            for o in result.orphans
        ],
        "asserts": [{"where": a.where, "message": a.message, "ok": a.ok} for a in result.asserts],
        "errors": list(result.errors),
        "unsupported": [
            {"construct": u.construct, "where": u.where, "detail": u.detail}
            for u in result.unsupported
        ],
    }


def to_json(result: Layout) -> str:
    """``json.dumps(to_dict(result), indent=2)``, byte for byte, with the long lists of
    records (a kernel's tens of thousands of input sections) written by
    :func:`_records_json` instead of json's pure-Python indenting encoder (``indent``
    turns the C encoder off: 0.15-0.2 s for ``bench/layout.py``'s 42 000 input
    sections, 0.06 s this way)."""
    lists: dict[str, str] = {}

    def stand_in(keys: tuple[str, ...], rows: list[tuple], depth: int) -> str:
        key = f"\0{len(lists)}"  # NUL: in no ELF section name or file path
        lists[json.dumps(key)] = _records_json(keys, rows, depth)
        return key

    text = json.dumps(to_dict(result, stand_in), indent=2)
    if lists:
        text, count = _STAND_IN.subn(lambda m: lists.get(m.group(), m.group()), text)
        if count != len(lists):  # a string of the document looked like a stand-in
            text = json.dumps(to_dict(result), indent=2)
    return text + "\n"


_STAND_IN = re.compile(r'"\\u0000\d+"')


def _records_json(keys: tuple[str, ...], rows: list[tuple], depth: int) -> str:
    """A list of records (dicts with ``keys``, values ``rows``) exactly as
    ``json.dumps(..., indent=2)`` writes it with its items at level ``depth``."""
    if not rows:
        return "[]"
    inner = "\n" + "  " * depth
    heads = [f"\n{'  ' * (depth + 1)}{encode_basestring_ascii(k)}: " for k in keys]
    value = _json_value
    close = inner + "}"
    items = [
        "{" + ",".join([h + value(v) for h, v in zip(heads, row, strict=True)]) + close
        for row in rows
    ]
    return "[" + inner + ("," + inner).join(items) + "\n" + "  " * (depth - 1) + "]"


def _json_value(value: Any) -> str:
    """``json.dumps(value)`` for a scalar; str and int without the call (the same
    encoders the json module uses for them)."""
    kind = type(value)
    if kind is str:
        return encode_basestring_ascii(value)
    if kind is int:
        return int.__repr__(value)
    return json.dumps(value)


def to_text(result: Layout) -> str:
    width = 16 if result.ei_class == 64 else 8
    lines = [f"{'Section':<20} {'VMA':>{width + 2}} {'LMA':>{width + 2}} {'Size':>10}  Flg  Inputs"]
    for s in result.sections:
        inputs = ", ".join(p.section.label() for p in s.inputs[:4])
        if len(s.inputs) > 4:
            inputs += f", ... ({len(s.inputs)} in all)"
        mark = " (orphan)" if s.orphan else ""
        lines.append(
            f"{s.name + mark:<20} {s.vma:#0{width + 2}x} {s.lma:#0{width + 2}x} {s.size:#10x}"
            f"  {_flags_text(s.flags):<3}  {inputs}"
        )
    lines.append("")
    lines.append(
        f"{'Segment':<10} {'VirtAddr':>{width + 2}} {'PhysAddr':>{width + 2}}"
        f" {'FileSiz':>10} {'MemSiz':>10} Flg  Sections"
    )
    for g in result.segments:
        name = _PT.get(g.p_type, hex(g.p_type))
        if g.name:
            name = f"{g.name}"
        lines.append(
            f"{name:<10} {g.p_vaddr:#0{width + 2}x} {g.p_paddr:#0{width + 2}x} {g.p_filesz:#10x}"
            f" {g.p_memsz:#10x} {_pflags(g.p_flags)}  "
            + ("[headers] " if g.headers else "")
            + " ".join(g.sections)
        )
    if result.symbols:
        lines.append("")
        lines.append("Symbols defined by the script:")
        for name, value in sorted(result.symbols.items(), key=lambda kv: (kv[1], kv[0])):
            lines.append(f"  {value:#0{width + 2}x} {name}")
    if result.entry:
        where = "undefined" if result.entry_address is None else f"{result.entry_address:#x}"
        lines.append(f"\nEntry: {result.entry} ({where})")
    for o in result.orphans:
        after = f" after {o.after}" if o.after else ""
        how = "joins" if o.joined else "becomes"
        lines.append(f"orphan: {o.section.label()} {how} output section {o.output}{after}")
    for s, why in result.discarded:
        lines.append(f"discarded ({why}): {s.label()}")
    for a in result.asserts:
        if a.ok is False:
            lines.append(f"ASSERT fails: {a.where}: {a.message}")
    for e in result.errors:
        lines.append(f"ld error: {e}")
    for u in result.unsupported:
        lines.append(f"not modelled: {u.construct} at {u.where}: {u.detail}")
    return "\n".join(lines) + "\n"
