"""``--gc-sections`` (ld manual "Options", "Input Section and Garbage Collection";
``bfd/elflink.c`` ``bfd_elf_gc_sections``): reachability over relocation edges.

The graph (networkx ``DiGraph``) has one node per input section and an edge from a
section to every section one of its relocations refers to (through a section symbol,
a local symbol, or a global symbol resolved to its definition). Roots, kept with
everything they reach:

- the entry symbol's section and every ``-u``/``EXTERN`` symbol's section;
- every section an input section description inside ``KEEP`` matches (all of them,
  even those an earlier pattern takes, as ``lang_gc_sections`` marks them);
- sections ld never collects: non-allocated ones (debug info, ``.comment``),
  ``SHT_NOTE``, ``SHT_INIT_ARRAY``/``FINI_ARRAY``/``PREINIT_ARRAY``, ``SHF_GNU_RETAIN``;
- sections named ``X`` when ``__start_X`` or ``__stop_X`` is referenced.
"""

from __future__ import annotations

from collections.abc import Iterable

from kernlint.layout.match import Matcher
from kernlint.layout.model import SEC_ALLOC, SHF_GNU_RETAIN, InputSection
from kernlint.layout.objects import SHN_COMMON, SHN_LORESERVE, SHN_UNDEF, STT_SECTION
from kernlint.ldscript import ast

#: SHT_NOTE, SHT_INIT_ARRAY, SHT_FINI_ARRAY, SHT_PREINIT_ARRAY: never collected.
_KEPT_TYPES = frozenset({7, 14, 15, 16})


def section_graph(objects, defined):
    """The relocation graph over input section keys ``(file index, section index)``."""
    import networkx as nx

    graph = nx.DiGraph()
    for obj in objects:
        for s in obj.sections:
            graph.add_node(s.key)
        for table in obj.relocations():
            target = table.target
            if target is None:
                continue
            source = (obj.index, target.index)
            if not graph.has_node(source):
                continue
            for r_sym in set(table.r_sym.tolist()):
                if r_sym >= len(obj.symbols):
                    continue
                sym = obj.symbols[r_sym]
                dest = None
                if sym.st_type == STT_SECTION or sym.local:
                    if SHN_UNDEF < sym.shndx < SHN_LORESERVE:
                        dest = (obj.index, sym.shndx)
                else:
                    hit = defined.get(sym.name)
                    if hit is not None:
                        dobj, dsym = hit
                        if SHN_UNDEF < dsym.shndx < SHN_LORESERVE:
                            dest = (dobj.index, dsym.shndx)
                        elif dsym.shndx == SHN_COMMON:
                            dest = (dobj.index, -1)
                if dest is not None and dest != source:
                    graph.add_edge(source, dest)
    return graph


def _symbol_section(name, defined):
    hit = defined.get(name)
    if hit is None:
        return None
    obj, sym = hit
    if SHN_UNDEF < sym.shndx < SHN_LORESERVE:
        return (obj.index, sym.shndx)
    if sym.shndx == SHN_COMMON:
        return (obj.index, -1)
    return None


def collect_garbage(
    loaded,
    objects: list,
    defined: dict,
    entry: str | None,
    symbol_roots: Iterable[str],
    script_refs: set[str],
) -> tuple[list[InputSection], str | None]:
    """The input sections ``--gc-sections`` removes from ``objects`` (command-line
    order), and the fatal error ld gives when there is no root (``--gc-sections
    requires a defined symbol root``). ``loaded``: the
    :class:`~kernlint.ldscript.LoadedScript` (its ``KEEP`` patterns); ``defined``:
    :attr:`~.symbols.ObjectSymbols.defined`; ``entry``: the entry symbol;
    ``symbol_roots``: ``-u`` and ``EXTERN`` symbols; ``script_refs``: the symbols the
    script reads (``__start_X``/``__stop_X`` among them)."""
    import networkx as nx

    graph = section_graph(objects, defined)
    roots: set[tuple[int, int]] = set()
    for name in [entry, *symbol_roots]:
        if name:
            key = _symbol_section(name, defined)
            if key is not None:
                roots.add(key)
    keeps = [
        Matcher(node)
        for node in loaded.walk()
        if isinstance(node, ast.InputSectionDescription) and node.keep
    ]
    referenced = {s.name for obj in objects for s in obj.symbols if s.shndx == SHN_UNDEF}
    referenced |= script_refs
    start_stop = {
        n[len(p) :] for n in referenced for p in ("__start_", "__stop_") if n.startswith(p)
    }
    for obj in objects:
        for s in obj.sections:
            if (
                not s.flags & SEC_ALLOC
                or s.sh_type in _KEPT_TYPES
                or s.sh_flags & SHF_GNU_RETAIN
                or s.name in start_stop
            ):
                roots.add(s.key)
                continue
            for m in keeps:
                if m.file_selected(obj.path) and m.match(s) is not None:
                    roots.add(s.key)
                    break
    problem = None
    if not any(k for k in roots if _is_alloc(objects, k)) and entry is None:
        problem = "--gc-sections requires a defined symbol root specified by -e or -u"
    live = set(roots)
    for root in roots:
        if graph.has_node(root):
            live |= nx.descendants(graph, root)
    dropped = [s for obj in objects for s in obj.sections if s.key not in live]
    return dropped, problem


def _is_alloc(objects, key) -> bool:
    obj = objects[key[0]]
    return any(s.key == key and s.flags & SEC_ALLOC for s in obj.sections)
