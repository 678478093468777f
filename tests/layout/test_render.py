"""`kernlint layout --format json` writes its long lists from a template: the text must
be what ``json.dumps(to_dict(result), indent=2)`` gives, byte for byte."""

from __future__ import annotations

import json

import pytest

from kernlint.layout.model import InputSection, Layout, Orphan, OutputSection, Placed, Segment
from kernlint.layout.render import to_dict, to_json


def _input(file: str, name: str, index: int, size: int) -> InputSection:
    return InputSection(file, index, name, 1, 6, size, 16, 0x113)


def _layout(names: list[tuple[str, str]], symbols: dict[str, int], discarded: int) -> Layout:
    inputs = [_input(f, n, i + 1, 3 * i) for i, (f, n) in enumerate(names)]
    text = OutputSection(
        ".text",
        0x1000,
        0x1000,
        99,
        6,
        1,
        16,
        tuple(Placed(s, 16 * i) for i, s in enumerate(inputs)),
    )
    empty = OutputSection(".empty", 0x2000, 0x2000, 0, 3, 8, 1)
    return Layout(
        sections=(text, empty),
        segments=(Segment(1, 5, 0x1000, 0x1000, 99, 99, 0x1000, (".text",), True),),
        symbols=symbols,
        discarded=tuple(
            (s, "/DISCARD/" if i % 2 else "--gc-sections") for i, s in enumerate(inputs)
        )[:discarded],
        orphans=(Orphan(inputs[0], ".text", None),) if inputs else (),
        entry="_start",
        entry_address=0x1000,
    )


ODD = [
    ("a.o", ".text"),
    ("dir/b.o", ".text.f_1"),
    ('q"uote.o', ".text.back\\slash"),
    ("ünï.o", ".text.é€"),
    ("tab\t.o", ".text\u0001"),
    ("x.o", ".data"),
]


@pytest.mark.parametrize(
    ("names", "symbols", "discarded"),
    [
        (ODD, {"_end": 0x2000, "é": 1}, 3),
        (ODD[:1], {}, 0),
        ([], {}, 0),
        # a symbol that looks like a stand-in in the document: the plain encoder is used
        (ODD, {"\x000": 1, "\x001": 2}, 6),
    ],
)
def test_json_is_json_dumps_indent_2(names, symbols, discarded):
    result = _layout(names, symbols, discarded)
    assert to_json(result) == json.dumps(to_dict(result), indent=2) + "\n"
