"""Stage 3, map inputs (ld manual "Input Section Basics", "Output Section
Discarding", "Output Section Constraint"; ``ldlang.c`` ``map_input_to_output_sections``,
``lang_add_section``, ``check_input_sections``): each input section goes to the first
input section description, in script order, that matches it (:mod:`.match`), files
in ld's order; ``/DISCARD/`` drops it. An ``ONLY_IF_RO``/``ONLY_IF_RW`` statement
whose inputs fail the constraint is ignored as if absent. Data statements,
assignments and ``ADDR``/``LOADADDR``/``SIZEOF`` create the BFD section of an output
section statement even with no input (``init_os``).

The x86 backend's empty linker-created sections (:func:`linker_created`) are inputs
of the first file, as ld sees them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kernlint.elf.constants import SHT_PROGBITS, SHT_REL, SHT_RELA
from kernlint.layout.match import Matcher, ordered
from kernlint.layout.model import (
    SEC_ALLOC,
    SEC_CODE,
    SEC_HAS_CONTENTS,
    SEC_LOAD,
    SEC_READONLY,
    InputSection,
)
from kernlint.layout.objects import ObjectFile
from kernlint.layout.statements import (
    InputDescription,
    OutputSectionStatement,
    ScriptStatements,
    Statement,
)
from kernlint.ldscript import ast

#: Section indices of the linker-created sections (:func:`linker_created`) are this
#: and below.
CREATED_INDEX = -10


@dataclass
class InputMapping:
    """Stage 3's result. ``statements``: the statement list without the ignored
    constraint statements (orphan placement inserts into it); ``files``: the
    objects in ld's order; ``created``: the linker-created sections (of
    ``files[0]``); ``first_sections``: ``files[0]``'s sections, created ones last;
    ``keep_keys``: keys of every input a ``KEEP`` pattern matches; ``discarded``:
    (input, why) dropped so far; ``placed``: keys of the inputs taken (or dropped),
    orphan placement adds the rest."""

    statements: list[Statement]
    files: list[ObjectFile]
    created: list[InputSection]
    first_sections: list[InputSection]
    keep_keys: set[tuple[int, int]]
    discarded: list[tuple[InputSection, str]] = field(default_factory=list)
    placed: set[tuple[int, int]] = field(default_factory=set)

    def sections_of(self, obj: ObjectFile) -> list[InputSection]:
        """``obj``'s input sections as ld sees them: the first file loaded also holds
        the sections the x86 backend creates."""
        if obj is self.files[0]:
            return self.first_sections
        return obj.sections

    def output_sections(self) -> list[OutputSectionStatement]:
        """The output section statements, in order."""
        return [s for s in self.statements if isinstance(s, OutputSectionStatement)]

    def matches(self, matcher: Matcher):
        """(input section, sort kind) of every input ``matcher`` selects, in file
        and header order, taken or not."""
        for obj in self.files:
            if not matcher.file_selected(obj.path):
                continue
            for section in self.sections_of(obj):
                kind = matcher.match(section)
                if kind is not None:
                    yield section, kind


def linker_created(obj: ObjectFile, ei_class: int) -> list[InputSection]:
    """The empty sections the x86 backend adds to the first input file of a static
    link (``_bfd_elf_create_got_section``, ``_bfd_elf_create_ifunc_sections``), in
    its section list order: ``.rela.got .got .got.plt .iplt .rela.iplt .igot.plt``
    (``.rel.*`` for ``elf_i386``; seen with ld 2.40 ``-Map`` and ``*(*)``). Empty,
    they are stripped from the output, but as orphans they take a place in the
    statement list, which moves later orphans and symbol assignments around them.
    ELF types as bfd gives them when it creates them: ``.got`` is ``PROGBITS``
    (a special name), ``.rela.*`` ``RELA``, the others none."""
    rel = (SHT_RELA, ".rela") if ei_class == 64 else (SHT_REL, ".rel")
    word = 8 if ei_class == 64 else 4
    data = SEC_ALLOC | SEC_LOAD | SEC_HAS_CONTENTS
    table = [
        (rel[1] + ".got", rel[0], data | SEC_READONLY, word),
        (".got", SHT_PROGBITS, data, word),
        (".got.plt", 0, data, word),
        (".iplt", 0, data | SEC_READONLY | SEC_CODE, 1),  # no alignment while empty
        (rel[1] + ".iplt", rel[0], data | SEC_READONLY, word),
        (".igot.plt", 0, data, word),
    ]
    return [
        InputSection(obj.path, CREATED_INDEX - i, name, sh_type, 0, 0, align, flags, obj.index)
        for i, (name, sh_type, flags, align) in enumerate(table)
    ]


def map_inputs(
    script: ScriptStatements,
    loaded,
    objects: list[ObjectFile],
    ei_class: int,
    dropped: set[tuple[int, int]],
) -> InputMapping:
    """Stage 3: map the inputs of ``objects`` (command-line order) but ``dropped``
    (keys ``--gc-sections`` removed) to ``script``'s statements; ``loaded`` is the
    :class:`~kernlint.ldscript.LoadedScript` (its ``KEEP`` patterns and
    ``ADDR``/``LOADADDR``/``SIZEOF`` calls)."""
    files = _file_order(script, objects)
    created = linker_created(files[0], ei_class) if files else []
    mapping = InputMapping(
        statements=list(script.statements),
        files=files,
        created=created,
        first_sections=files[0].sections + created if files else [],
        keep_keys=set(),
        placed=set(dropped),
    )
    mapping.keep_keys = _kept_by_script(loaded, mapping)
    for output in script.output_sections():
        constraint = output.node.constraint if output.node is not None else None
        if constraint in ("ONLY_IF_RO", "ONLY_IF_RW") and not _constraint_met(
            output, mapping, mapping.placed - dropped
        ):
            # ld sets the statement's constraint to -1: it is ignored as if absent.
            mapping.statements.remove(output)
            continue
        _map_children(output, mapping, script.page)
    outputs = mapping.output_sections()
    for node in loaded.walk():
        if isinstance(node, ast.Call) and node.function in ("ADDR", "LOADADDR", "SIZEOF"):
            name = node.args[0] if node.args else None
            target = getattr(name, "value", getattr(name, "name", None))
            for output in outputs:
                if output.name == target and output.name != "/DISCARD/":
                    output.init_bfd(0)
    for output in outputs:
        if output.sectype is not None:
            # exp_init_os of the member's own LOADADDR/SIZEOF PROVIDEs: an
            # empty member still has an output section (flags 0).
            output.init_bfd(0)
    return mapping


def _map_children(output: OutputSectionStatement, mapping: InputMapping, page: int) -> None:
    """The inputs, data statements and assignments of one output section statement."""
    discard = output.name == "/DISCARD/"
    for child in output.children:
        if isinstance(child, InputDescription):
            sections = _take(child.matcher, mapping)
            if discard:
                mapping.discarded.extend((s, "/DISCARD/") for s in sections)
                continue
            child.sections = sections
            for s in sections:
                output.add_input(s, s.key in mapping.keep_keys, page)
        elif discard:
            continue
        elif isinstance(child, ast.Data):
            # "The output section gets CONTENTS, ALLOC and LOAD" (ldlang.c)
            flags = SEC_HAS_CONTENTS | SEC_ALLOC | SEC_LOAD | SEC_READONLY
            if output.type_kind == "NOLOAD":
                flags = SEC_ALLOC
            if output.has_bfd:
                # ldlang.c: SEC_READONLY only for the init_os of a
                # section the data statement creates.
                output.bfd_flags |= flags & ~SEC_READONLY
            else:
                output.init_bfd(flags)
            if output.sh_type == 0:
                output.sh_type = SHT_PROGBITS
        elif isinstance(child, ast.Assignment):
            output.init_bfd(0)
            if child.target == ".":
                if not trivial_dot(child):
                    output.keep = True
            else:
                output.update_dot = True


def _take(matcher: Matcher, mapping: InputMapping) -> list[InputSection]:
    """The inputs ``matcher`` takes that no earlier description took, sorted."""
    placed = mapping.placed
    matches: list[tuple[InputSection, int]] = []
    for obj in mapping.files:
        if not matcher.file_selected(obj.path):
            continue
        for section in mapping.sections_of(obj):
            if section.key in placed:
                continue
            kind = matcher.match(section)
            if kind is None:
                continue
            placed.add(section.key)
            matches.append((section, kind))
    return ordered(matches, matcher.files_sorted)


def _file_order(script: ScriptStatements, objects: list[ObjectFile]) -> list[ObjectFile]:
    """Input files in ld's order: a file the script names without wildcards
    (``b.o(.text)``) gets its input statement when the script is read, before
    the command line's files (checked with ld 2.40, ``-T`` first)."""
    named: list[str] = []
    for output in script.output_sections():
        for child in output.children:
            if isinstance(child, InputDescription):
                pattern = child.matcher.file_pattern
                if pattern and not re.search(r"[*?\[:]", pattern) and pattern not in named:
                    named.append(pattern)
    first = [o for name in named for o in objects if o.path == name]
    return first + [o for o in objects if o not in first]


def _kept_by_script(loaded, mapping: InputMapping) -> set[tuple[int, int]]:
    """Every input section a ``KEEP`` pattern matches, wherever it goes
    (``lang_gc_sections_1`` sets ``SEC_KEEP`` on them with or without
    ``--gc-sections``); the flag reaches the output section, which ld then
    keeps even when empty."""
    kept: set[tuple[int, int]] = set()
    for node in loaded.walk():
        if isinstance(node, ast.InputSectionDescription) and node.keep:
            kept.update(s.key for s, _ in mapping.matches(Matcher(node)))
    return kept


def _constraint_met(output: OutputSectionStatement, mapping: InputMapping, placed: set) -> bool:
    """``ONLY_IF_RO``/``ONLY_IF_RW`` (ld manual "Output Section Constraint";
    ``check_input_sections``): the inputs its patterns match that no earlier
    statement took are all read-only, or one is writable."""
    readonly = True
    for child in output.children:
        if not isinstance(child, InputDescription):
            continue
        for section, _ in mapping.matches(child.matcher):
            if section.key not in placed and not section.flags & SEC_READONLY:
                readonly = False
    return readonly == (output.node.constraint == "ONLY_IF_RO")


def propagate_lma_regions(outputs: list[OutputSectionStatement]) -> None:
    """``lang_propagate_lma_regions``: a section without ``AT``, ``AT>`` or
    address, in the same region as the previous output section, inherits that
    section's ``AT>`` region (ld manual "Output Section LMA")."""
    prev = None
    for output in outputs:
        if output.name == "/DISCARD/":
            continue
        if (
            prev is not None
            and output.lma_region is None
            and (output.node is None or output.node.at is None)
            and output.address is None
            and output.region == prev.region
        ):
            output.lma_region = prev.lma_region
        prev = output


def trivial_dot(node: ast.Assignment) -> bool:
    """``. = 0``, ``. = . + 0``, ``. = ALIGN(. != 0 ? x : 1)``: assignments to ``.``
    that do not keep an empty section (``ldexp.c`` ``is_align_conditional``: the
    default scripts' ``.bss``/``.ldata`` padding; ld 2.40 strips an empty ``.ldata``
    holding one)."""
    e = node.expr
    zero = isinstance(e, ast.Number) and e.value == 0
    if node.op in ("=", "+=", "-=") and zero:
        return True
    if node.op != "=":
        return False
    if isinstance(e, ast.Binary):
        return (
            e.op == "+"
            and isinstance(e.left, ast.Dot)
            and isinstance(e.right, ast.Number)
            and e.right.value == 0
        )
    cond = e.args[0] if isinstance(e, ast.Call) and len(e.args) == 1 else None
    return (
        isinstance(cond, ast.Ternary)
        and e.function == "ALIGN"
        and isinstance(cond.condition, ast.Binary)
        and cond.condition.op == "!="
        and isinstance(cond.condition.left, ast.Dot)
        and isinstance(cond.condition.right, ast.Number)
        and cond.condition.right.value == 0
        and isinstance(cond.if_false, ast.Number)
        and cond.if_false.value == 1
    )
