"""Symbols between the objects and the script: the objects' global definitions and
undefined references (ld's hash table after loading, ``ldlang.c``
``lang_process``), the ``PROVIDE``s that get defined (ld manual "PROVIDE": only when
referenced and not defined by an object), and where an object symbol lands once the
sections are placed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kernlint.layout.objects import SHN_ABS, SHN_COMMON, SHN_LORESERVE, SHN_UNDEF, ObjectFile
from kernlint.ldscript import ast
from kernlint.ldscript.evaluate import ABS, MASK, Value


@dataclass(frozen=True)
class ObjectSymbols:
    """``defined``: global symbol name -> (object, symbol) of its definition (the
    first non-common one wins over commons, else the first); ``undefined``: names
    the objects reference and none defines."""

    defined: dict[str, tuple[ObjectFile, object]]
    undefined: frozenset[str]


def object_symbol_table(objects: list[ObjectFile]) -> ObjectSymbols:
    """The global definitions and undefined references of ``objects``."""
    defined: dict[str, tuple[ObjectFile, object]] = {}
    undefined: set[str] = set()
    for obj in objects:
        for sym in obj.symbols:
            if sym.local or not sym.name:
                continue
            if sym.shndx == SHN_UNDEF:
                undefined.add(sym.name)
            elif sym.name not in defined or sym.shndx != SHN_COMMON:
                defined.setdefault(sym.name, (obj, sym))
    return ObjectSymbols(defined, frozenset(undefined - set(defined)))


def provided_symbols(
    nodes: Iterable[ast.Node], script_refs: set[str], symbols: ObjectSymbols
) -> set[str]:
    """The ``PROVIDE``/``PROVIDE_HIDDEN`` targets among ``nodes`` that ld defines:
    referenced by the script or the objects, and not defined by an object."""
    wanted = set(script_refs) | symbols.undefined
    return {
        node.target
        for node in nodes
        if isinstance(node, ast.Assignment)
        and node.kind in ("PROVIDE", "PROVIDE_HIDDEN")
        and node.target in wanted
        and node.target not in symbols.defined
    }


def symbol_address(
    defined: dict[str, tuple[ObjectFile, object]],
    placement: dict[tuple[int, int], tuple[str, int]],
    starts: dict[str, int],
    name: str,
) -> int | None:
    """The address an object's global symbol ``name`` gets, or None; ``placement``
    and ``starts`` as in :class:`~.sizing.PassResult`."""
    hit = defined.get(name)
    if hit is None:
        return None
    obj, sym = hit
    if sym.shndx == SHN_ABS:
        return sym.value
    where = placement.get((obj.index, -1 if sym.shndx == SHN_COMMON else sym.shndx))
    if where is None or where[0] not in starts:
        return None
    return starts[where[0]] + where[1] + (0 if sym.shndx == SHN_COMMON else sym.value)


def script_read_values(
    defined: dict[str, tuple[ObjectFile, object]],
    script_refs: set[str],
    placement: dict[tuple[int, int], tuple[str, int]],
) -> dict[str, Value]:
    """Values (relative to their output section) of the object symbols the script
    reads (``script_refs``), for the evaluator."""
    out: dict[str, Value] = {}
    for name in script_refs:
        hit = defined.get(name)
        if hit is None:
            continue
        obj, sym = hit
        if sym.shndx == SHN_ABS:
            out[name] = Value(sym.value & MASK, ABS)
            continue
        if sym.shndx == SHN_COMMON or sym.shndx >= SHN_LORESERVE:
            continue
        where = placement.get((obj.index, sym.shndx))
        if where is None:
            continue
        out[name] = Value((where[1] + sym.value) & MASK, where[0])
    return out
