"""The section/segment/symbol graph of an image (networkx ``MultiDiGraph``).

Nodes (``kind`` attribute):
- ``segment:N`` — program header N (``p_type``, ``p_flags``, ``p_vaddr``, ``p_paddr``,
  ``p_memsz``);
- ``section:N`` — section header N (``name``, ``sh_flags``, ``sh_addr``, ``sh_size``);
- ``symbol:N`` — a named ``STT_FUNC``/``STT_OBJECT`` symbol of the static table, and the
  symbols at ``e_entry`` (``name``, ``st_value``, ``st_type``);
- ``entry`` — the entry point (``address``), for ET_EXEC and ET_DYN.

Edges (``relation`` attribute):
- ``contains``: segment → section, when the section's range (addresses for allocated
  sections, file offsets for the rest) lies inside the segment's;
- ``defines``: section → symbol;
- ``references``: section → section, one edge per pair with ``count`` relocations; from
  static relocations (``sh_info`` names the patched section, the symbol's ``st_shndx``
  the referenced one) and dynamic ones (patched and referenced sections found by
  address, ``r_addend`` for ``R_*_RELATIVE``);
- ``entry``: entry → the section and symbols at ``e_entry``.

networkx is imported only here; a linker-script-only run never builds a graph.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from kernlint.elf.constants import (
    PT_LOAD,
    SHN_LORESERVE,
    SHN_UNDEF,
    STT_FUNC,
    STT_OBJECT,
    p_type_name,
)
from kernlint.elf.facts import is_executable_file

if TYPE_CHECKING:
    import networkx as nx

    from kernlint.elf.model import Image


def build_graph(image: Image) -> nx.MultiDiGraph:
    """Build the graph described in the module docstring. Raises InputError when the
    symbol or relocation tables are malformed."""
    import networkx as nx

    g = nx.MultiDiGraph(path=image.path, e_type=image.header.e_type_name)
    for seg in image.segments:
        g.add_node(
            f"segment:{seg.index}",
            kind="segment",
            p_type=p_type_name(seg.p_type),
            p_flags=seg.p_flags,
            p_vaddr=seg.p_vaddr,
            p_paddr=seg.p_paddr,
            p_memsz=seg.p_memsz,
        )
    for sec in image.sections[1:]:
        g.add_node(
            f"section:{sec.index}",
            kind="section",
            name=sec.name,
            sh_flags=sec.sh_flags,
            sh_addr=sec.sh_addr,
            sh_size=sec.sh_size,
        )
    _add_containment(g, image)
    symbols = image.symbols
    for i, (st_name, _value, _size, info, _other, shndx) in enumerate(symbols.records):
        if st_name and info & 0xF in (STT_FUNC, STT_OBJECT) and SHN_UNDEF < shndx < SHN_LORESERVE:
            _add_symbol(g, image, i, shndx)
    if is_executable_file(image):
        g.add_node("entry", kind="entry", address=image.e_entry)
        for sec in image.sections_at(image.e_entry):
            g.add_edge("entry", f"section:{sec.index}", relation="entry")
        for sym in symbols.defined_at(image.e_entry):
            _add_symbol(g, image, sym.index, sym.st_shndx)
            g.add_edge("entry", f"symbol:{sym.index}", relation="entry")
    _add_references(g, image)
    return g


def _add_symbol(g: nx.MultiDiGraph, image: Image, index: int, shndx: int) -> None:
    node = f"symbol:{index}"
    if node in g:
        return
    sym = image.symbols.symbol(index)
    g.add_node(node, kind="symbol", name=sym.name, st_value=sym.st_value, st_type=sym.st_type)
    if f"section:{shndx}" in g:
        g.add_edge(f"section:{shndx}", node, relation="defines")


def _add_containment(g: nx.MultiDiGraph, image: Image) -> None:
    for seg in image.segments:
        for sec in image.sections[1:]:
            if not sec.sh_size:
                continue
            if sec.is_alloc and not (sec.is_tbss and seg.p_type == PT_LOAD):
                inside = seg.p_vaddr <= sec.sh_addr and sec.end <= seg.vend
            else:
                inside = (
                    not sec.is_alloc
                    and seg.p_filesz
                    and seg.p_offset <= sec.sh_offset
                    and sec.sh_offset + sec.sh_size <= seg.p_offset + seg.p_filesz
                )
            if inside:
                g.add_edge(f"segment:{seg.index}", f"section:{sec.index}", relation="contains")


def _add_references(g: nx.MultiDiGraph, image: Image) -> None:
    import numpy as np

    from kernlint.elf.relocations import relocation_tables

    tables = relocation_tables(image)
    if not tables:
        return
    shndx = np.fromiter(
        (r[5] for r in image.symbols.records), dtype=np.int64, count=len(image.symbols.records)
    )
    alloc = sorted(
        (s.sh_addr, s.end, s.index)
        for s in image.sections
        if s.is_alloc and s.sh_size and not s.is_tbss
    )
    starts = np.array([a[0] for a in alloc], dtype=np.uint64)
    ends = np.array([a[1] for a in alloc], dtype=np.uint64)
    idx = np.array([a[2] for a in alloc], dtype=np.int64)

    def section_at(addresses: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(starts, addresses, side="right") - 1
        ok = (pos >= 0) & (addresses < ends[np.clip(pos, 0, None)] if len(ends) else False)
        return np.where(ok, idx[np.clip(pos, 0, None)] if len(idx) else -1, -1)

    for table in tables:
        if not len(table):
            continue
        linked_to_symtab = (
            image.symbols.section is not None
            and table.section.sh_link == image.symbols.section.index
        )
        if table.target is not None:
            sources = np.full(len(table), table.target.index, dtype=np.int64)
        else:
            sources = section_at(table.r_offset)
        if linked_to_symtab:
            sym = table.r_sym.astype(np.int64)
            valid = sym < len(shndx)
            targets = np.where(valid, shndx[np.where(valid, sym, 0)], -1)
            targets = np.where((targets > 0) & (targets < SHN_LORESERVE), targets, -1)
        else:
            targets = np.full(len(table), -1, dtype=np.int64)
        relative = table.r_sym == 0
        if relative.any():
            targets = np.where(relative, section_at(table.r_addend.astype(np.uint64)), targets)
        pairs = np.stack([sources, targets], axis=1)
        pairs = pairs[(pairs[:, 0] > 0) & (pairs[:, 1] > 0)]
        if not len(pairs):
            continue
        uniq, counts = np.unique(pairs, axis=0, return_counts=True)
        for (src, dst), n in zip(uniq.tolist(), counts.tolist(), strict=True):
            _bump(g, f"section:{src}", f"section:{dst}", n)


def _bump(g: nx.MultiDiGraph, src: str, dst: str, n: int) -> None:
    edges = g.get_edge_data(src, dst) or {}
    for data in edges.values():
        if data.get("relation") == "references":
            data["count"] += n
            return
    g.add_edge(src, dst, relation="references", count=n)


def to_json(g: nx.MultiDiGraph) -> str:
    """The graph as ``{"nodes": [{"id", ...attrs}], "edges": [{"source", "target",
    "relation", "count"?}]}``, sorted, indented."""
    nodes = [{"id": n, **g.nodes[n]} for n in sorted(g.nodes, key=_node_key)]
    edges = sorted(
        ({"source": u, "target": v, **d} for u, v, d in g.edges(data=True)),
        key=lambda e: (_node_key(e["source"]), _node_key(e["target"]), e["relation"]),
    )
    return (
        json.dumps({"path": g.graph.get("path"), "nodes": nodes, "edges": edges}, indent=2) + "\n"
    )


def to_dot(g: nx.MultiDiGraph) -> str:
    """The graph in Graphviz DOT, written directly (no pydot/pygraphviz needed)."""
    lines = ["digraph kernlint {", "  rankdir=LR;", "  node [fontname=monospace];"]
    shapes = {"segment": "box3d", "section": "box", "symbol": "ellipse", "entry": "doubleoctagon"}
    for n in sorted(g.nodes, key=_node_key):
        a = g.nodes[n]
        label = _dot_label(n, a)
        lines.append(f'  "{n}" [shape={shapes[a["kind"]]}, label="{_esc(label)}"];')
    for u, v, d in sorted(g.edges(data=True), key=lambda e: (_node_key(e[0]), _node_key(e[1]))):
        extra = f" ({d['count']})" if "count" in d else ""
        lines.append(f'  "{u}" -> "{v}" [label="{d["relation"]}{extra}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_label(node: str, a: dict) -> str:
    kind = a["kind"]
    if kind == "segment":
        return f"{node}\\n{a['p_type']} {a['p_vaddr']:#x}"
    if kind == "section":
        return f"{a['name'] or node}\\n{a['sh_addr']:#x} +{a['sh_size']:#x}"
    if kind == "symbol":
        return f"{a['name']}\\n{a['st_value']:#x}"
    return f"entry\\n{a['address']:#x}"


def _esc(text: str) -> str:
    return text.replace('"', '\\"')


def _node_key(n: str) -> tuple[str, int]:
    kind, _, num = n.partition(":")
    return (kind, int(num) if num.isdigit() else -1)
