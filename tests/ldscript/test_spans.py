"""Source spans: 1-based lines and columns, end column exclusive."""

from __future__ import annotations

from kernlint.ldscript import ast, parse_script

TEXT = """\
ENTRY(_start)
SECTIONS
{
  .text 0x100000 : AT(0x1000)
  {
\t*(.text .text.*)
    KEEP(*(.multiboot))
  } > ram :text
  v = 1 + 010;
}
"""


def where(node) -> tuple[int, int, int, int]:
    s = node.span
    return (s.line, s.column, s.end_line, s.end_column)


def test_spans_of_nodes():
    script = parse_script(TEXT, "kernel.ld")
    entry, sections = script.statements
    assert where(entry) == (1, 1, 1, 14)
    assert entry.span.file == "kernel.ld"
    assert str(entry.span) == "kernel.ld:1:1"
    assert where(sections) == (2, 1, 10, 2)
    text, assignment = sections.statements
    assert where(text) == (4, 3, 8, 16)
    assert (text.name_span.line, text.name_span.column, text.name_span.end_column) == (4, 3, 8)
    assert where(text.address) == (4, 9, 4, 17)
    assert where(text.at) == (4, 23, 4, 29)
    star, keep = text.statements
    assert where(star) == (6, 2, 6, 18)  # a tab is one column
    assert where(star.sections[1]) == (6, 10, 6, 17)
    assert where(keep) == (7, 5, 7, 24)
    assert where(assignment) == (9, 3, 9, 15)
    plus = assignment.expr
    assert where(plus) == (9, 7, 9, 14)
    assert where(plus.right) == (9, 11, 9, 14)


def test_script_span_covers_the_file():
    script = parse_script(TEXT, "kernel.ld")
    assert where(script) == (1, 1, 11, 1)


def test_call_and_name_spans():
    (assign,) = parse_script("x = SIZEOF(.data) + ALIGN(4);").statements
    sizeof = assign.expr.left
    assert isinstance(sizeof, ast.Call)
    assert where(sizeof) == (1, 5, 1, 18)
    assert where(sizeof.args[0]) == (1, 12, 1, 17)
    assert where(assign.expr.right) == (1, 21, 1, 29)


def test_memory_and_phdr_name_spans():
    memory, phdrs = parse_script(
        "MEMORY {\n  ram (rwx) : ORIGIN = 0, LENGTH = 1M\n}\nPHDRS { text PT_LOAD; }"
    ).statements
    (ram,) = memory.regions
    assert where(ram) == (2, 3, 2, 38)
    assert (ram.name_span.line, ram.name_span.column) == (2, 3)
    (text,) = phdrs.headers
    assert where(text) == (4, 9, 4, 22)


def test_walk_visits_every_node_in_source_order():
    script = parse_script("SECTIONS { .t : { *(.a) } v = 1 + 2; }")
    kinds = [type(n).__name__ for n in ast.walk(script)]
    assert kinds == [
        "Script",
        "Sections",
        "OutputSection",
        "InputSectionDescription",
        "FilePattern",
        "SectionPattern",
        "Assignment",
        "Binary",
        "Number",
        "Number",
    ]


def test_nodes_are_frozen_and_hashable():
    (entry,) = parse_script("ENTRY(a)").statements
    assert hash(entry) == hash(parse_script("ENTRY(a)").statements[0])
    try:
        entry.symbol = "b"
    except AttributeError:
        pass
    else:  # pragma: no cover
        raise AssertionError("nodes must be frozen")
