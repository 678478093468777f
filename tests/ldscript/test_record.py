"""The syntax tree's record classes behave as the frozen, slotted, keyword-only
dataclasses they replace (kernlint/ldscript/record.py)."""

from __future__ import annotations

import copy
import pickle
from dataclasses import FrozenInstanceError, dataclass

import pytest

from kernlint.ldscript import ast, parse_script
from kernlint.ldscript.record import finish, record

SPAN = ast.Span("k.ld", 1, 1, 1, 4)


@record
class _Base:
    span: ast.Span


@record
class _Leaf(_Base):
    name: str
    quoted: bool = False
    items: tuple[int, ...] = ()


finish()


@dataclass(frozen=True, slots=True, kw_only=True)
class _DataBase:
    span: ast.Span


@dataclass(frozen=True, slots=True, kw_only=True)
class _DataLeaf(_DataBase):
    name: str
    quoted: bool = False
    items: tuple[int, ...] = ()


def test_fields_defaults_and_keyword_only():
    leaf = _Leaf(span=SPAN, name="x")
    assert (leaf.span, leaf.name, leaf.quoted, leaf.items) == (SPAN, "x", False, ())
    assert _Leaf.__record_fields__ == ("span", "name", "quoted", "items")
    with pytest.raises(TypeError):
        _Leaf(SPAN, "x")  # keyword-only, as kw_only=True
    with pytest.raises(TypeError):
        _Leaf(span=SPAN)  # name has no default


def test_frozen_and_slotted():
    leaf = _Leaf(span=SPAN, name="x")
    with pytest.raises(FrozenInstanceError):
        leaf.name = "y"
    with pytest.raises(FrozenInstanceError):
        del leaf.name
    assert not hasattr(leaf, "__dict__")


def test_equality_hash_and_repr_match_the_dataclass():
    a, b = _Leaf(span=SPAN, name="x", items=(1,)), _Leaf(span=SPAN, name="x", items=(1,))
    assert a == b and hash(a) == hash(b) and a is not b
    assert a != _Leaf(span=SPAN, name="y", items=(1,))
    assert a != _DataLeaf(span=SPAN, name="x", items=(1,))  # another class is never equal
    assert {a: 1}[b] == 1
    twin = _DataLeaf(span=SPAN, name="x", items=(1,))
    assert repr(a).replace("_Leaf", "_DataLeaf") == repr(twin)
    assert hash(a) == hash(twin)


def test_copy_and_pickle_round_trip():
    leaf = _Leaf(span=SPAN, name="x", items=(1, 2))
    assert copy.copy(leaf) == leaf
    assert copy.deepcopy(leaf) == leaf
    assert pickle.loads(pickle.dumps(leaf)) == leaf


def test_parsed_trees_compare_by_value():
    text = "SECTIONS { .text 0x100000 : AT(0x1000) { KEEP(*(.mb2)) *(.text .text.*) } }"
    first, second = parse_script(text, "a.ld"), parse_script(text, "a.ld")
    assert first == second and hash(first) == hash(second)
    assert first != parse_script(text, "b.ld")  # spans name the file
    assert all(isinstance(n, ast.Node) for n in ast.walk(first))
