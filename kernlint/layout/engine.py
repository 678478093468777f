"""From a linker script and ET_REL objects to the layout GNU ld 2.40 produces.

The steps are ld's own (``ldlang.c`` ``lang_process``), each citing the ld manual
node that documents it:

1. **Statements.** The script's ``SECTIONS`` (INCLUDEs resolved) become one list of
   output section statements, assignments and ``ASSERT``s, in script order. An
   ``OVERLAY`` ("Overlay Description") becomes its members' output section
   statements, each followed by its ``__load_start_``/``__load_stop_`` ``PROVIDE``s
   (:meth:`_Layouter.overlay`); of overlays, the ``NOCROSSREFS`` check, two members
   in one ``PHDRS`` segment and a member named like another output section are
   reported as unsupported.
2. **Garbage collection** (``--gc-sections``, manual "Options"; :mod:`.gc`) before
   mapping, as in ld: roots are the entry symbol, ``-u`` symbols and every section a
   ``KEEP`` pattern matches ("Input Section and Garbage Collection").
3. **Mapping** ("Input Section Basics"): each input section goes to the first input
   section description, in script order, that matches it (:mod:`.match`);
   ``/DISCARD/`` drops it ("Output Section Discarding"). An ``ONLY_IF_RO`` or
   ``ONLY_IF_RW`` section whose inputs (those no earlier statement took) are not
   all read-only, or have none writable, is ignored as if absent ("Output Section
   Constraint").
4. **Orphans** ("Orphan Sections"; ``ldelf_place_orphan``, ``lang_insert_orphan``):
   an unmatched section joins an output section of its own name, else gets a new
   output section after the one named ``.text``/``.rodata``/``.data``/``.bss`` for
   its kind, else after the last output section with the same flags; it inherits
   that section's regions and program headers. The empty sections the x86 backend
   creates (``.got``, ``.iplt``, ``.rela.dyn``, ...) are orphans of the first file
   too: stripped, they still take places in the statement list.
5. **Empty sections** ("Output Section Discarding"): an output section without
   contents, data statements or assignments to ``.`` is not created.
6. **Sizing** (``lang_size_sections_1``): the location counter at top level is an
   address and inside an output section an offset ("The Location Counter"); a
   section without an address starts at its region's next free address (the
   location counter when there is no ``MEMORY``, "Output Section Address"), aligned
   to its largest input alignment and ``ALIGN``; one with an address starts there,
   aligned only by ``ALIGN`` ("Forced Output Alignment"); input sections are aligned
   to ``sh_addralign`` or ``SUBALIGN``; the LMA is ``AT()``, else the ``AT>`` region's
   next address, else it keeps the previous section's LMA-VMA offset ("Output
   Section LMA"). Expressions are evaluated by :mod:`kernlint.ldscript.evaluate`
   with the section-relative semantics of "The Section of an Expression". Sizing is
   repeated until addresses are stable (forward references, ``SIZEOF_HEADERS``); the
   symbols get their values from the last pass with ``lang_do_assignments``' ``.``,
   which skips the addresses of sections ld never created or stripped.
   ``DATA_SEGMENT_ALIGN``/``_RELRO_END``/``_END`` ("Builtin Functions") follow
   ``expld.dataseg`` (:class:`DataSegment`): each sizing round is ld's
   ``lang_size_sections``, which sizes again after ``DATA_SEGMENT_END`` to move
   the relro sections up to end on a page (``-z relro``, kept only when an input
   section lies in the relro region: ``lang_find_relro_sections``) or to save a
   page (``lang_size_segment``).
7. **Program headers** (:mod:`.segments`): ``PHDRS`` ("PHDRS Command"), else bfd's
   default mapping.

What is not modelled is reported as :class:`~.model.Unsupported`, never guessed:
``INSERT``, the ``SPECIAL`` constraint, ``DATA_SEGMENT_*`` inside an output
section, ``NOLOAD``-style
types other than ``NOLOAD``/``INFO``, archives, ``.eh_frame`` editing,
``.note.gnu.property`` merging, relaxation.
"""

from __future__ import annotations

import re
from collections import ChainMap
from collections.abc import Iterable
from dataclasses import dataclass, field

from kernlint.layout.match import Matcher, ordered
from kernlint.layout.model import (
    SEC_ALLOC,
    SEC_CODE,
    SEC_DATA,
    SEC_DEBUGGING,
    SEC_HAS_CONTENTS,
    SEC_LOAD,
    SEC_READONLY,
    SEC_SMALL_DATA,
    SEC_THREAD_LOCAL,
    SHF_ALLOC,
    SHF_EXECINSTR,
    SHF_TLS,
    SHF_WRITE,
    SHT_NOBITS,
    AssertResult,
    BackwardMove,
    InputSection,
    Layout,
    Options,
    Orphan,
    OutputSection,
    Placed,
    RegionError,
    Unsupported,
)
from kernlint.layout.objects import SHN_ABS, SHN_COMMON, SHN_LORESERVE, SHN_UNDEF, ObjectFile
from kernlint.ldscript import ast
from kernlint.ldscript.evaluate import (
    ABS,
    MASK,
    NUMBER,
    DataSegmentHook,
    Env,
    Region,
    Value,
    address_of,
    evaluate,
    memory_regions,
    render,
    sane_expr,
)

DEFAULT_REGION = "*default*"
MAX_PASSES = 10  # ldelf_map_segments gives up ("looping in map_segments") after 10
SHT_PROGBITS = 1
SHT_RELA = 4
SHT_NOTE = 7
SHT_REL = 9
#: Section indices of the linker-created sections (:func:`linker_created`).
CREATED_INDEX = -10


def _where(node: ast.Node | None) -> str:
    return str(node.span) if node is not None else "<orphan>"


# ----------------------------------------------------------------------------- statements


@dataclass(eq=False)
class Wild:
    """An input section description and the sections it took."""

    node: ast.InputSectionDescription
    matcher: Matcher
    sections: list[InputSection] = field(default_factory=list)


@dataclass(eq=False)
class OS:
    """An output section statement (ld's ``lang_output_section_statement_type``)."""

    name: str
    node: ast.OutputSection | None
    children: list = field(default_factory=list)
    orphan: bool = False
    region: str | None = None
    lma_region: str | None = None
    phdrs: tuple[str, ...] = ()
    # mapping results
    has_bfd: bool = False  # ld created a BFD section for it
    bfd_flags: int = 0
    sh_type: int = 0
    has_input: bool = False
    keep: bool = False  # SEC_KEEP: an assignment to `.` inside
    update_dot: bool = False  # a symbol assignment inside
    ignored: bool = False
    removed: bool = False  # empty: not written to the output
    zero_address: bool = False  # a non-allocated orphan: ld gives it address 0
    # OVERLAY members (lang_enter_overlay_section): ld's sectype
    # ``first_overlay_section`` ("first") or ``overlay_section`` ("overlay"); the
    # last member sets `.` to the first's address + the largest size (its
    # ``update_dot_tree``); ``overlay`` lists the members of the OVERLAY.
    sectype: str | None = None
    overlay: list[OS] | None = None
    # sizing results
    vma: int = 0
    lma: int = 0
    size: int = 0
    align: int = 1
    map_align: int = 1  # the alignment lang_add_section gave it (SUBALIGN not yet)
    placed: list[Placed] = field(default_factory=list)

    @property
    def address(self):
        return None if self.node is None else self.node.address

    @property
    def type_kind(self) -> str | None:
        if self.node is None or self.node.type is None:
            return None
        return self.node.type.kind


@dataclass(eq=False)
class Stmt:
    """A top-level assignment or ASSERT (``kind`` ``assign``/``assert``)."""

    kind: str
    node: ast.Node


class _Unsupported(Exception):
    pass


class DataSegment(DataSegmentHook):
    """ld's ``expld.dataseg`` (``ldexp.c`` ``fold_segment_align``,
    ``fold_segment_relro_end``, ``fold_segment_end``, GNU ld 2.40): the phase moves
    ``none`` -> ``align_seen`` -> ``relro_seen`` -> ``end_seen`` in a sizing pass;
    ``lang_size_sections`` then settles on ``done``, ``adjust`` (save a page, no
    relro) or ``relro_adjust`` (move the relro sections up so that they end on a
    page) and sizes again. ``relro`` is ``link_info.relro``."""

    def __init__(self, relro: bool) -> None:
        self.relro = relro
        self.phase = "none"
        self.base = 0
        self.commonpagesize = self.maxpagesize = self.relropagesize = 1
        self.relro_end_value = 0
        self.relro_offset = 0
        self.end_value = 0
        self.flag: str | None = None  # "start"/"end": the statement evaluated one

    def state(self) -> tuple:
        return (self.phase, self.base, self.relro_end_value, self.relro_offset, self.end_value)

    def restore(self, state: tuple) -> None:
        self.phase, self.base, self.relro_end_value, self.relro_offset, self.end_value = state

    def align(self, maxpage: int, commonpage: int, dot: int) -> int | None:
        self.flag = "start"
        result = _align(dot, maxpage)
        if self.phase == "relro_adjust":
            return self.base
        if self.phase == "adjust":
            if commonpage < maxpage:
                result += (dot + commonpage - 1) & (maxpage - commonpage)
            return result
        if not self.relro:
            result += dot & (maxpage - 1)
        if self.phase == "none":
            self.phase = "align_seen"
            self.base = result
            self.commonpagesize = commonpage
            self.maxpagesize = self.relropagesize = maxpage
            self.relro_end_value = 0
        elif self.phase != "done":
            return None
        return result

    def relro_end(self, offset: int, exp: int) -> int | None:
        # DATA_SEGMENT_RELRO_END(offset, exp)
        self.flag = "end"
        self.relro_offset = offset
        if self.phase not in ("align_seen", "adjust", "relro_adjust", "done"):
            return None
        if self.phase in ("align_seen", "relro_adjust"):
            self.relro_end_value = (exp + offset) & MASK
        page = self.relropagesize
        if self.phase == "relro_adjust" and self.relro_end_value & (page - 1):
            self.relro_end_value = _align(self.relro_end_value, page)
            result = (self.relro_end_value - offset) & MASK
        else:
            result = exp
        if self.phase == "align_seen":
            self.phase = "relro_seen"
        return result

    def end(self, exp: int) -> int | None:
        if self.phase in ("align_seen", "relro_seen"):
            self.phase = "end_seen"
            self.end_value = exp
        elif self.phase not in ("done", "adjust", "relro_adjust"):
            return None
        return exp

    def size_segment(self) -> bool:
        """``lang_size_segment``: can a page be saved by moving the data segment
        (its first and last partial pages fit in one)?"""
        page = self.commonpagesize
        first = -self.base & (page - 1)
        last = self.end_value & (page - 1)
        if (
            first
            and last
            and (self.base & ~(page - 1)) != (self.end_value & ~(page - 1))
            and first + last <= page
        ):
            self.phase = "adjust"
            return True
        self.phase = "done"
        return False

    def size_relro_segment(self, sections: list[tuple[int, int, int, bool]]) -> int:
        """``lang_size_relro_segment_1``: ``sections`` are the allocated output
        sections (vma, size, alignment, tbss) in section order; moves ``base`` up so
        that the relro sections end on a relro page; returns that end."""
        page = self.relropagesize
        relro_end = _align(self.relro_end_value, page)
        desired_end = (relro_end - self.relro_offset) & MASK
        limit = (self.relro_end_value - self.relro_offset) & MASK
        for vma, size, align, tbss in reversed(sections):
            if self.base <= vma < limit:
                end = vma + (0 if tbss else size)
                start = (vma + desired_end - end) & MASK
                start &= ~(align - 1) & MASK
                desired_end = start
        self.phase = "relro_adjust"
        self.base = desired_end
        return relro_end


# ----------------------------------------------------------------------------- layout


class _Layouter:
    def __init__(self, loaded, objects: list[ObjectFile], options: Options) -> None:
        self.loaded = loaded
        self.objects = objects
        self.options = options
        self.unsupported: list[Unsupported] = []
        self.errors: list[str] = []
        self.top = list(loaded.statements())
        self.ei_class = objects[0].ei_class if objects else 64
        if options.machine == "elf_i386":
            self.ei_class = 32
        elif options.machine == "elf_x86_64":
            self.ei_class = 64
        # ld prints addresses (%V) with 8 hex digits for ELF32 outputs, 16 for ELF64.
        self.digits = 8 if self.ei_class == 32 else 16
        self.page = options.max_page_size
        self.sane_expr = sane_expr(self.top)
        self.regions: dict[str, Region] = memory_regions(
            self.top, Env(page_size=self.page, sane_expr=self.sane_expr)
        )
        self.region_attrs: dict[str, tuple[int, int]] = {}
        self.aliases: dict[str, str] = {}
        self.phdrs_node: ast.Phdrs | None = None
        self.entry: str | None = options.entry
        self.stmts: list = []
        self.discarded: list[tuple[InputSection, str]] = []
        self.orphans: list[Orphan] = []
        self.extern: list[str] = []
        self.script_refs: set[str] = set()
        self.provided: set[str] = set()
        self.load_phdrs = False
        self.segment_errors: list[str] = []
        self.created: list[InputSection] = []
        self.keep_keys: set[tuple[int, int]] = set()
        # DATA_SEGMENT_*: ld's expld.dataseg, the statements that evaluated
        # DATA_SEGMENT_ALIGN and _RELRO_END (relro_start_stat, relro_end_stat),
        # link_info.relro after lang_find_relro_sections, and the PT_GNU_RELRO range.
        self.dataseg: DataSegment | None = None
        self.relro_stmts: dict[str, ast.Node] = {}
        self.script_stmts: list = []
        self.relro = False
        self.relro_range: tuple[int, int] | None = None
        # SIZEOF of an output section not sized yet (ld: its bfd size, 0 before the
        # first pass) or never created (ld: no bfd section, 0).
        self.unsized: dict[str, int] = {}
        #: the ``__load_start_*``/``__load_stop_*`` PROVIDEs of OVERLAY members
        self.overlay_provides: list[ast.Assignment] = []
        #: global object symbol definitions: name -> (object, symbol)
        self.defined: dict[str, tuple[ObjectFile, object]] = {}

    def object_symbols(self, placement, starts) -> dict[str, Value]:
        """Values (relative to their output section) of the object symbols the script
        reads."""
        out: dict[str, Value] = {}
        for name in self.script_refs:
            hit = self.defined.get(name)
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

    # -- helpers

    def unsupported_at(self, construct: str, node: ast.Node | None, detail: str) -> None:
        self.unsupported.append(Unsupported(construct, _where(node), detail))

    def region_name(self, name: str | None) -> str | None:
        if name is None:
            return None
        return self.aliases.get(name, name)

    # -- 1. statements

    def collect(self) -> None:
        for statement in self.top:
            if isinstance(statement, ast.Sections):
                for inner in self.loaded.statements(statement.statements):
                    self.sections_statement(inner)
            elif isinstance(statement, ast.Assignment):
                self.stmts.append(Stmt("assign", statement))
            elif isinstance(statement, ast.Assert):
                self.stmts.append(Stmt("assert", statement))
            elif isinstance(statement, ast.Entry):
                if self.options.entry is None:
                    self.entry = statement.symbol
            elif isinstance(statement, ast.Phdrs):
                self.phdrs_node = statement
            elif isinstance(statement, ast.Memory):
                for region in statement.regions:
                    if isinstance(region, ast.MemoryRegion):
                        self.region_attrs.setdefault(region.name, _attributes(region.attributes))
                        r = self.regions.get(region.name)
                        if r is None or r.origin is None or r.length is None:
                            self.unsupported_at(
                                "MEMORY", region, f"region {region.name}: non-constant"
                            )
            elif isinstance(statement, ast.RegionAlias):
                self.aliases[statement.alias] = statement.region
            elif isinstance(statement, ast.Extern):
                self.extern.extend(statement.symbols)
            elif isinstance(statement, ast.Insert):
                self.unsupported_at("INSERT", statement, "INSERT scripts are not modelled")
            elif isinstance(statement, ast.Input | ast.Group) and not self.objects:
                self.unsupported_at(
                    type(statement).__name__.upper(),
                    statement,
                    "the files it names were not found next to the script",
                )
        for name in list(self.aliases):
            self.aliases[name] = self.aliases.get(self.aliases[name], self.aliases[name])
        for node in self.loaded.walk():
            if isinstance(node, ast.Symbol):
                self.script_refs.add(node.name)
            elif isinstance(node, ast.Call) and node.function.startswith("DATA_SEGMENT_"):
                if self.dataseg is None:
                    self.dataseg = DataSegment(self.options.relro)
            elif isinstance(node, ast.Call) and node.function == "SIZEOF_HEADERS":
                self.load_phdrs = True  # ldexp.c: link_info.load_phdrs = 1
            elif isinstance(node, ast.OutputSection | ast.Overlay):
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Call) and sub.function.startswith("DATA_SEGMENT_"):
                        # ld: invalid inside an output section (a fatal error).
                        self.unsupported_at(
                            sub.function, sub, "DATA_SEGMENT_* inside an output section"
                        )

    def sections_statement(self, node: ast.Node) -> None:
        if isinstance(node, ast.OutputSection):
            os = OS(
                node.name,
                node,
                region=self.region_name(node.region),
                lma_region=self.region_name(node.lma_region),
                phdrs=node.phdrs,
            )
            for child in self.loaded.statements(node.statements):
                if isinstance(child, ast.InputSectionDescription):
                    os.children.append(Wild(child, Matcher(child)))
                elif isinstance(child, ast.Assignment | ast.Data | ast.Assert):
                    os.children.append(child)
                elif isinstance(child, ast.Constructors | ast.CreateObjectSymbols | ast.Fill):
                    pass
            kind = os.type_kind
            if node.constraint not in (None, "ONLY_IF_RO", "ONLY_IF_RW"):
                self.unsupported_at(node.constraint, node, f"{node.name}: constraint not modelled")
            if kind not in (None, "NOLOAD", "INFO", "COPY", "DSECT", "READONLY"):
                self.unsupported_at(f"({kind})", node, f"{node.name}: section type not modelled")
            if node.at is not None and node.lma_region is not None:
                self.errors.append(
                    f"{node.span.file}:{node.span.line}: section has both a load address"
                    " and a load region"
                )
            self.stmts.append(os)
        elif isinstance(node, ast.Overlay):
            self.overlay(node)
        elif isinstance(node, ast.Assignment):
            self.stmts.append(Stmt("assign", node))
        elif isinstance(node, ast.Assert):
            self.stmts.append(Stmt("assert", node))
        elif isinstance(node, ast.Entry) and self.options.entry is None:
            self.entry = node.symbol

    def overlay(self, node: ast.Overlay) -> None:
        """``OVERLAY`` (ld manual "Overlay Description"; ``lang_enter_overlay``,
        ``lang_enter_overlay_section``, ``lang_leave_overlay_section``,
        ``lang_leave_overlay``, GNU ld 2.40): each member is an ordinary output
        section statement. The first gets the overlay's start address (none: the
        region's next address, aligned as any section) and its ``AT()``, the others
        ``ADDR(first)`` as address, so only an ``ALIGN()`` would move them; all get
        the overlay's ``SUBALIGN``, ``>region``, ``AT>region``, and its ``:phdr``s
        when they have none of their own. Each member is followed by
        ``PROVIDE(__load_start_NAME = LOADADDR(s))`` and ``PROVIDE(__load_stop_NAME =
        LOADADDR(s) + SIZEOF(s))`` (NAME: the letters, digits and ``_`` of the
        section's name) at ``SECTIONS`` level; those expressions give every member an
        output section even when nothing is put in it. The LMAs and `.` after the
        overlay are worked out while sizing (:meth:`_State.size_os`)."""
        if not node.sections:
            return
        if node.nocrossrefs:
            self.unsupported_at(
                "NOCROSSREFS", node, "the overlay's cross-reference check is not modelled"
            )
        names = [
            n.name
            for n in self.loaded.walk()
            if isinstance(n, ast.OutputSection | ast.OverlaySection)
        ]
        first = node.sections[0]
        members: list[OS] = []
        # lang_get_regions with have_vma false: `AT>rom` alone makes rom the
        # run-time region too, even with a start address.
        region = node.region if node.region is not None else node.lma_region
        at = node.at
        if node.at is not None and node.lma_region is not None:
            # reported where the parser is then: after the overlay's region specs
            self.errors.append(
                f"{node.span.file}:{node.span.end_line}: section has both a load address"
                " and a load region"
            )
            at = None
        for section in node.sections:
            if names.count(section.name) > 1:
                self.unsupported_at(
                    "OVERLAY",
                    section,
                    f"{section.name}: an overlay section named like another output"
                    " section (ADDR/LOADADDR of the name read the first) is not modelled",
                )
            if section is first:
                address, load = node.start, at
            else:
                name = ast.Name(value=first.name, span=section.span)
                address, load = ast.Call(function="ADDR", args=(name,), span=section.span), None
            synthetic = ast.OutputSection(
                name=section.name,
                address=address,
                at=load,
                subalign=node.subalign,
                statements=section.statements,
                region=region,
                lma_region=node.lma_region,
                phdrs=section.phdrs or node.phdrs,
                fill=section.fill if section.fill is not None else node.fill,
                name_span=section.name_span,
                span=section.span,
            )
            self.sections_statement(synthetic)
            os = self.stmts[-1]
            os.sectype = "first" if section is first else "overlay"
            members.append(os)
            clean = "".join(c for c in section.name if c.isascii() and (c.isalnum() or c == "_"))
            load = ast.Call(
                function="LOADADDR",
                args=(ast.Name(value=section.name, span=section.span),),
                span=section.span,
            )
            size = ast.Call(
                function="SIZEOF",
                args=(ast.Name(value=section.name, span=section.span),),
                span=section.span,
            )
            for target, expr in (
                (f"__load_start_{clean}", load),
                (f"__load_stop_{clean}", ast.Binary(op="+", left=load, right=size, span=node.span)),
            ):
                provide = ast.Assignment(
                    target=target, op="=", expr=expr, kind="PROVIDE", span=section.span
                )
                self.overlay_provides.append(provide)
                self.stmts.append(Stmt("assign", provide))
        members[-1].update_dot = True
        for os in members:
            os.overlay = members

    def output_sections(self) -> Iterable[OS]:
        return (s for s in self.stmts if isinstance(s, OS))

    # -- 2-4. mapping

    def all_sections(self) -> list[InputSection]:
        return [s for obj in self.objects for s in obj.sections]

    def file_order(self) -> list[ObjectFile]:
        """Input files in ld's order: a file the script names without wildcards
        (``b.o(.text)``) gets its input statement when the script is read, before
        the command line's files (checked with ld 2.40, ``-T`` first)."""
        named: list[str] = []
        for os in self.output_sections():
            for child in os.children:
                if isinstance(child, Wild):
                    pattern = child.matcher.file_pattern
                    if pattern and not re.search(r"[*?\[:]", pattern) and pattern not in named:
                        named.append(pattern)
        first = [o for name in named for o in self.objects if o.path == name]
        return first + [o for o in self.objects if o not in first]

    def sections_of(self, obj: ObjectFile) -> list[InputSection]:
        """``obj``'s input sections as ld sees them: the first file loaded also holds
        the sections the x86 backend creates (:func:`linker_created`)."""
        if obj is self.ordered_files[0]:
            return self.first_sections
        return obj.sections

    def kept_by_script(self, files: list[ObjectFile]) -> set[tuple[int, int]]:
        """Every input section a ``KEEP`` pattern matches, wherever it goes
        (``lang_gc_sections_1`` sets ``SEC_KEEP`` on them with or without
        ``--gc-sections``); the flag reaches the output section, which ld then
        keeps even when empty."""
        keeps = [
            Matcher(node)
            for node in self.loaded.walk()
            if isinstance(node, ast.InputSectionDescription) and node.keep
        ]
        kept: set[tuple[int, int]] = set()
        for m in keeps:
            for obj in files:
                if m.file_selected(obj.path):
                    kept.update(s.key for s in self.sections_of(obj) if m.match(s) is not None)
        return kept

    def map_inputs(self, dropped: set[tuple[int, int]]) -> None:
        placed: set[tuple[int, int]] = set(dropped)
        self.script_stmts = list(self.stmts)  # constraint-failed ones included
        files = self.file_order()
        self.ordered_files = files
        self.created = linker_created(files[0], self.ei_class) if files else []
        self.first_sections = files[0].sections + self.created if files else []
        self.keep_keys = self.kept_by_script(files)
        for os in list(self.output_sections()):
            discard = os.name == "/DISCARD/"
            constraint = os.node.constraint if os.node is not None else None
            if constraint in ("ONLY_IF_RO", "ONLY_IF_RW") and not self.constraint_met(
                os, files, placed - dropped
            ):
                # ld sets the statement's constraint to -1: it is ignored as if absent.
                self.stmts.remove(os)
                continue
            for child in os.children:
                if isinstance(child, Wild):
                    matches: list[tuple[InputSection, int]] = []
                    m = child.matcher
                    for obj in files:
                        if not m.file_selected(obj.path):
                            continue
                        for section in self.sections_of(obj):
                            if section.key in placed:
                                continue
                            kind = m.match(section)
                            if kind is None:
                                continue
                            placed.add(section.key)
                            matches.append((section, kind))
                    sections = ordered(matches, m.files_sorted)
                    if discard:
                        self.discarded.extend((s, "/DISCARD/") for s in sections)
                        continue
                    child.sections = sections
                    for s in sections:
                        self.add_section(os, s)
                elif isinstance(child, ast.Data) and not discard:
                    # "The output section gets CONTENTS, ALLOC and LOAD" (ldlang.c)
                    flags = SEC_HAS_CONTENTS | SEC_ALLOC | SEC_LOAD | SEC_READONLY
                    if os.type_kind == "NOLOAD":
                        flags = SEC_ALLOC
                    if os.has_bfd:
                        # ldlang.c: SEC_READONLY only for the init_os of a
                        # section the data statement creates.
                        os.bfd_flags |= flags & ~SEC_READONLY
                    else:
                        self.init_os(os, flags)
                    if os.sh_type == 0:
                        os.sh_type = SHT_PROGBITS
                elif isinstance(child, ast.Assignment) and not discard:
                    self.init_os(os, 0)
                    if child.target == ".":
                        if not _trivial_dot(child):
                            os.keep = True
                    else:
                        os.update_dot = True
        for node in self.loaded.walk():
            if isinstance(node, ast.Call) and node.function in ("ADDR", "LOADADDR", "SIZEOF"):
                name = node.args[0] if node.args else None
                target = getattr(name, "value", getattr(name, "name", None))
                for os in self.output_sections():
                    if os.name == target and os.name != "/DISCARD/":
                        self.init_os(os, 0)
        for os in self.output_sections():
            if os.sectype is not None:
                # exp_init_os of the member's own LOADADDR/SIZEOF PROVIDEs: an
                # empty member still has an output section (flags 0).
                self.init_os(os, 0)
        self.place_orphans(placed)
        self.propagate_lma_regions()
        self.unsized = {os.name: 0 for os in self.output_sections()}

    def constraint_met(self, os: OS, files: list[ObjectFile], placed: set) -> bool:
        """``ONLY_IF_RO``/``ONLY_IF_RW`` (ld manual "Output Section Constraint";
        ``check_input_sections``): the inputs its patterns match that no earlier
        statement took are all read-only, or one is writable."""
        readonly = True
        for child in os.children:
            if not isinstance(child, Wild):
                continue
            m = child.matcher
            for obj in files:
                if not m.file_selected(obj.path):
                    continue
                for section in self.sections_of(obj):
                    if section.key in placed or m.match(section) is None:
                        continue
                    if not section.flags & SEC_READONLY:
                        readonly = False
        return readonly == (os.node.constraint == "ONLY_IF_RO")

    def propagate_lma_regions(self) -> None:
        """``lang_propagate_lma_regions``: a section without ``AT``, ``AT>`` or
        address, in the same region as the previous output section, inherits that
        section's ``AT>`` region (ld manual "Output Section LMA")."""
        prev = None
        for os in self.output_sections():
            if os.name == "/DISCARD/":
                continue
            if (
                prev is not None
                and os.lma_region is None
                and (os.node is None or os.node.at is None)
                and os.address is None
                and os.region == prev.region
            ):
                os.lma_region = prev.lma_region
            prev = os

    def init_os(self, os: OS, flags: int) -> None:
        if not os.has_bfd:
            os.has_bfd = True
            os.bfd_flags = flags

    def add_section(self, os: OS, section: InputSection) -> None:
        """ld's ``lang_add_section``: flags merge (READONLY only while every input is
        read-only), the first input sets the ELF type."""
        flags = section.flags
        if os.type_kind == "NOLOAD":
            flags &= ~(SEC_LOAD | SEC_HAS_CONTENTS)
        elif os.type_kind in ("INFO", "COPY", "DSECT"):
            flags &= ~SEC_ALLOC
        if not os.has_bfd:
            os.has_bfd = True
            os.bfd_flags = flags
        os.bfd_flags &= flags | ~SEC_READONLY
        if os.has_input:
            flags &= ~SEC_READONLY
        os.bfd_flags |= flags
        if section.key in self.keep_keys:
            os.keep = True  # SEC_KEEP of the input
        if not os.has_input:
            os.has_input = True
            os.sh_type = SHT_NOBITS if os.type_kind == "NOLOAD" else section.sh_type
        align = section.align
        if os.node is not None and os.node.subalign is not None:
            # SUBALIGN replaces the input's alignment when it is placed, but
            # lang_add_section has already raised the output's alignment to the
            # input's own (ld 2.40: an input aligned 256 under SUBALIGN(1) still
            # aligns the output section to 256); sizing raises it to SUBALIGN.
            sub = evaluate(os.node.subalign, Env(page_size=self.page))
            if sub is not None:
                align = max(align, sub.value)
        os.align = max(os.align, align)
        os.map_align = max(os.map_align, section.align)

    def place_orphans(self, placed: set[tuple[int, int]]) -> None:
        hold: dict[str, dict] = {}
        for obj in self.ordered_files:
            for section in self.sections_of(obj):
                if section.key in placed:
                    continue
                placed.add(section.key)
                if section.name == "COMMON":
                    target = next((o for o in self.output_sections() if o.name == ".bss"), None)
                    if target is None:
                        self.unsupported_at(
                            "COMMON",
                            None,
                            f"{section.file}: common symbols with no *(COMMON) and no .bss",
                        )
                        continue
                    self.append_orphan(target, section)
                    self.orphans.append(Orphan(section, ".bss", None, joined=True))
                    continue
                self.place_orphan(section, hold)

    def append_orphan(self, os: OS, section: InputSection) -> None:
        node = ast.InputSectionDescription(file=None, sections=(), span=_orphan_span())
        holder = Wild(node, Matcher(node))
        holder.sections.append(section)
        os.children.append(holder)
        self.add_section(os, section)

    def place_orphan(self, s: InputSection, hold: dict[str, dict]) -> None:
        """``ldelf_place_orphan`` and ``lang_insert_orphan`` (ld 2.40)."""
        name = s.name
        if s.flags & SEC_ALLOC and s.sh_type in (SHT_RELA, SHT_REL):
            # -z combreloc (the default): allocated relocation sections go to one
            # .rela.dyn (.rel.dyn) output section.
            name = ".rela.dyn" if s.sh_type == SHT_RELA else ".rel.dyn"
        created = s.index <= CREATED_INDEX
        match_by_name = None
        for os in self.output_sections():
            if os.name != name or _special(os):
                continue
            if os.has_bfd and (
                os.bfd_flags == 0
                or (((s.flags ^ os.bfd_flags) & (SEC_LOAD | SEC_ALLOC)) == 0 and _same_type(os, s))
            ):
                self.append_orphan(os, s)
                if not created:
                    self.orphans.append(Orphan(s, os.name, None, joined=True))
                return
            if not os.has_bfd:
                match_by_name = os
                break
        if match_by_name is not None:
            self.append_orphan(match_by_name, s)
            if not created:
                self.orphans.append(Orphan(s, match_by_name.name, None, joined=True))
            return
        flags = s.flags
        kind = _orphan_kind(s)
        place = hold.setdefault(kind, {"os": None, "stmt": None, "init": False})
        named = _HOLD_NAMES.get(kind)
        if not place["init"]:
            place["init"] = True
            if named is not None:
                place["os"] = next((o for o in self.output_sections() if o.name == named), None)
        if kind == "rel" and place["os"] is None:
            place["os"] = self.output_rel_find()
        after = place["os"]
        if after is None and kind is not None:
            after, exact = self.find_by_flags(s, flags)
            if exact is not None:
                place["os"] = exact
        new = OS(name, None, orphan=True)
        if after is not None and s.flags & (SEC_LOAD | SEC_ALLOC):
            new.region = after.region
            new.lma_region = after.lma_region
            new.phdrs = after.phdrs
        self.append_orphan(new, s)
        new.zero_address = not s.flags & (SEC_LOAD | SEC_ALLOC)
        if kind is None or after is None:
            where = self.insert_after(None)
        elif place["stmt"] is None:
            where = self.insert_after(after)
        else:
            where = self.stmts.index(place["stmt"]) + 1
        self.stmts.insert(where, new)
        place["stmt"] = new
        if not created:
            self.orphans.append(Orphan(s, name, after.name if after is not None else None))

    def output_rel_find(self) -> OS | None:
        """ldelf.c ``output_rel_find`` for a dynamic relocation orphan (``isdyn``):
        none when the script has a ``.rel*`` output section before it, else the last
        read-only allocated output section, else the last allocated one, else the
        last one."""
        last = last_alloc = last_ro_alloc = None
        for look in self.output_sections():
            if look.name.startswith(".rel") and not _special(look):
                break
            last = look
            if look.has_bfd and look.bfd_flags & SEC_ALLOC:
                last_alloc = look
                if look.bfd_flags & SEC_READONLY:
                    last_ro_alloc = look
        return last_ro_alloc or last_alloc or last

    def insert_after(self, after: OS | None) -> int:
        """ld's ``insert_os_after``: skip what belongs to ``after`` (symbol
        assignments); assignments to ``.`` just before the next output section belong
        to that section (except the first one, when ``after`` is the head)."""
        if after is None:
            start = 0
            ignore_first = True
        else:
            start = self.stmts.index(after) + 1
            ignore_first = False
        assign = None
        i = start
        while i < len(self.stmts):
            item = self.stmts[i]
            if isinstance(item, Stmt):
                if assign is None and item.kind == "assign" and item.node.target == ".":
                    if not ignore_first:
                        assign = i
                    ignore_first = False
                i += 1
                continue
            if isinstance(item, OS) and assign is not None:
                s_alloc = item.has_bfd and (item.bfd_flags & SEC_ALLOC)
                if not item.has_bfd or not item.has_input or s_alloc:
                    return assign
            return i
        return i

    def find_by_flags(self, s: InputSection, sec_flags: int) -> tuple[OS | None, OS | None]:
        """``lang_output_section_find_by_flags`` with ELF type matching; returns
        (section to place after, exact match)."""
        for match_type in (True, False):
            found = self._find_by_flags(s, sec_flags, match_type)
            if found[0] is not None:
                return found
        return None, None

    def _find_by_flags(self, s, sec_flags, match_type):
        # /DISCARD/ is an output section statement to ld too (flags 0): a
        # non-allocated orphan may go after it.
        looks = list(self.output_sections())

        def flags_of(look: OS) -> int | None:
            if look.has_bfd:
                if match_type and not _same_type(look, s):
                    return None
                return look.bfd_flags
            return _HOLD_FLAGS.get(look.name, 0)

        found = None
        for look in looks:
            f = flags_of(look)
            if f is None:
                continue
            if not (f ^ sec_flags) & (
                SEC_HAS_CONTENTS
                | SEC_ALLOC
                | SEC_LOAD
                | SEC_READONLY
                | SEC_CODE
                | SEC_SMALL_DATA
                | SEC_THREAD_LOCAL
            ):
                found = look
        if found is not None:
            return found, found
        if sec_flags & SEC_CODE and sec_flags & SEC_ALLOC:
            mask = SEC_HAS_CONTENTS | SEC_ALLOC | SEC_LOAD | SEC_CODE | SEC_THREAD_LOCAL
            for look in looks:
                f = flags_of(look)
                if f is not None and not (f ^ sec_flags) & mask:
                    found = look
        elif sec_flags & SEC_READONLY and sec_flags & SEC_ALLOC:
            for look in looks:
                f = flags_of(look)
                if f is None:
                    continue
                d = f ^ sec_flags
                if not d & (SEC_HAS_CONTENTS | SEC_ALLOC | SEC_LOAD | SEC_READONLY):
                    found = look
        elif sec_flags & SEC_THREAD_LOCAL and sec_flags & SEC_ALLOC:
            seen = False
            for look in looks:
                f = look.bfd_flags if look.has_bfd else _HOLD_FLAGS.get(look.name, 0)
                d = f ^ (sec_flags | SEC_LOAD | SEC_HAS_CONTENTS)
                if not d & (SEC_THREAD_LOCAL | SEC_ALLOC):
                    if not f & SEC_LOAD and sec_flags & SEC_LOAD:
                        break
                    found = look
                    seen = True
                elif seen:
                    break
                elif not d & (SEC_HAS_CONTENTS | SEC_ALLOC | SEC_LOAD):
                    found = look
        elif sec_flags & SEC_HAS_CONTENTS and sec_flags & SEC_ALLOC:
            mask = SEC_HAS_CONTENTS | SEC_ALLOC | SEC_LOAD | SEC_THREAD_LOCAL
            for look in looks:
                f = flags_of(look)
                if f is not None and not (f ^ sec_flags) & mask:
                    found = look
        elif sec_flags & SEC_ALLOC:
            for look in looks:
                f = flags_of(look)
                if f is not None and not (f ^ sec_flags) & SEC_ALLOC:
                    found = look
        else:
            for look in looks:
                f = look.bfd_flags if look.has_bfd else _HOLD_FLAGS.get(look.name, 0)
                if not (f ^ sec_flags) & SEC_DEBUGGING:
                    found = look
            return found, None
        return found, None

    # -- 5. empty sections

    def strip_empty(self, sizes: dict[str, int]) -> None:
        for os in self.output_sections():
            if not os.has_bfd or os.name == "/DISCARD/":
                continue
            os.removed = sizes.get(id(os), 0) == 0 and not os.keep
            os.ignored = os.removed and not os.update_dot

    # -- 6. sizing

    def size_sections(self, prev: PassResult, headers_size: int) -> PassResult:
        """``lang_size_sections``: one sizing pass; after a ``DATA_SEGMENT_END``,
        ``lang_size_relro_segment`` (relro: move the relro sections up to end on a
        page, and back to the first base if that grew the padding) or
        ``lang_size_segment`` (save a page) decide whether to size again."""
        ds = self.dataseg
        if ds is None:
            return self.size_pass(prev, headers_size, final=False)
        ds.phase = "none"
        self.relro_range = None
        result = self.size_pass(prev, headers_size, final=False)
        if ds.phase != "end_seen":
            ds.phase = "done"
        else:
            reset = False
            if self.relro and ds.relro_end_value:
                initial = ds.base
                relro_end = ds.size_relro_segment(self.relro_sections())
                result = self.size_pass(result, headers_size, final=False)
                if ds.relro_end_value > relro_end:
                    ds.base = initial
                    reset = True
            elif ds.size_segment():
                reset = True
            if reset:
                result = self.size_pass(result, headers_size, final=False)
            if self.relro and ds.relro_end_value:
                # link_info.relro_start/relro_end: set only after DATA_SEGMENT_END
                self.relro_range = (ds.base, ds.relro_end_value)
        return result

    def relro_sections(self) -> list[tuple[int, int, int, bool]]:
        """The allocated output sections (vma, size, alignment, tbss) in section
        order, for ``lang_size_relro_segment_1``."""
        out = []
        for os in self.output_sections():
            if not os.has_bfd or os.removed or os.name == "/DISCARD/":
                continue
            if not os.bfd_flags & SEC_ALLOC:
                continue
            tbss = bool(os.bfd_flags & SEC_THREAD_LOCAL and not os.bfd_flags & SEC_LOAD)
            out.append((os.vma, os.size, max(os.align, 1), tbss))
        return out

    def find_relro_sections(self, placement: dict[tuple[int, int], tuple[str, int]]) -> None:
        """``lang_find_relro_sections``: ``-z relro`` stays on only when a script
        input section description between the statement that evaluated
        ``DATA_SEGMENT_ALIGN`` and the one that evaluated ``DATA_SEGMENT_RELRO_END``
        (or the end) matches a non-empty allocated input section that went to an
        output section (wherever: ld walks the pattern's matches again)."""
        self.relro = False
        start = self.relro_stmts.get("start")
        if not self.options.relro or start is None:
            return
        end = self.relro_stmts.get("end")
        inside = False
        # The walk goes through the script's statements, an ONLY_IF_RO/RW section
        # whose constraint failed included (ld 2.40: `.gcc_except_table :
        # ONLY_IF_RW` of the default script keeps -z relro on with read-only
        # inputs); orphans have no input section descriptions.
        for item in self.script_stmts:
            node = item.node if isinstance(item, Stmt) else None
            if node is not None and node is start:
                inside = True
                continue
            if node is not None and node is end:
                break
            if not inside or not isinstance(item, OS) or item.node is None:
                continue
            for child in item.children:
                if not isinstance(child, Wild) or child.node.span.file == "<orphan>":
                    continue
                m = child.matcher
                for obj in self.ordered_files:
                    if not m.file_selected(obj.path):
                        continue
                    for s in self.sections_of(obj):
                        if (
                            s.size
                            and s.flags & SEC_ALLOC
                            and (s.flags & (SEC_THREAD_LOCAL | SEC_LOAD)) != SEC_THREAD_LOCAL
                            and s.key in placement
                            and m.match(s) is not None
                        ):
                            self.relro = True
                            return

    def size_pass(
        self, prev: PassResult, headers_size: int, final: bool, mark: bool = False
    ) -> PassResult:
        st = _State(self, prev, headers_size, final)
        st.mark = mark
        for item in self.stmts:
            if isinstance(item, Stmt):
                if item.kind == "assign":
                    st.top_assign(item.node)
                else:
                    st.current[DEFAULT_REGION] = st.dot
                    st.do_assert(item.node, None)
            else:
                st.size_os(item)
        return st.result()


_HOLD_NAMES = {
    "text": ".text",
    "rodata": ".rodata",
    "tdata": ".tdata",
    "data": ".data",
    "bss": ".bss",
    "interp": ".interp",
    "nonalloc": ".comment",
}
_HOLD_FLAGS = {
    ".text": SEC_HAS_CONTENTS | SEC_ALLOC | SEC_LOAD | SEC_READONLY | SEC_CODE,
    ".rodata": SEC_HAS_CONTENTS | SEC_ALLOC | SEC_LOAD | SEC_READONLY | 0x20,
    ".tdata": SEC_HAS_CONTENTS | SEC_ALLOC | SEC_LOAD | 0x20 | SEC_THREAD_LOCAL,
    ".data": SEC_HAS_CONTENTS | SEC_ALLOC | SEC_LOAD | 0x20,
    ".bss": SEC_ALLOC,
    ".interp": SEC_HAS_CONTENTS | SEC_ALLOC | SEC_LOAD | SEC_READONLY | 0x20,
    ".comment": SEC_HAS_CONTENTS,
}


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


def _orphan_kind(s: InputSection) -> str | None:
    """Which ``hold`` entry of ``ldelf_place_orphan`` an orphan uses."""
    flags = s.flags
    if not flags & (SEC_ALLOC | SEC_DEBUGGING):
        return "nonalloc"
    if not flags & SEC_ALLOC:
        return None
    if flags & SEC_LOAD and s.sh_type == SHT_NOTE:
        return "interp"
    if not flags & (SEC_LOAD | SEC_HAS_CONTENTS | SEC_THREAD_LOCAL):
        return "bss"
    if flags & SEC_THREAD_LOCAL:
        return "tdata"
    if not flags & SEC_READONLY:
        return "data"
    if flags & SEC_LOAD and s.sh_type in (SHT_RELA, SHT_REL):
        return "rel"
    if not flags & SEC_CODE:
        return "rodata"
    return "text"


def _special(os: OS) -> bool:
    """A constraint other than a met ``ONLY_IF_RO``/``ONLY_IF_RW`` (those whose
    constraint failed are gone from the statements): orphans do not join it by name
    (``lang_output_section_find`` takes constraints >= 0; ld 2.40 puts an orphan
    ``.foo`` into a kept ``.foo : ONLY_IF_RO``)."""
    return os.node is not None and os.node.constraint not in (None, "ONLY_IF_RO", "ONLY_IF_RW")


def _same_type(os: OS, s: InputSection) -> bool:
    """``_bfd_elf_match_sections_by_type``."""
    return os.sh_type == s.sh_type


def _trivial_dot(node: ast.Assignment) -> bool:
    """``. = 0``, ``. = . + 0``, ``. = ALIGN(. != 0 ? x : 1)``: assignments to ``.``
    that do not keep an empty section (``ldexp.c`` ``is_align_conditional``: the
    default scripts' ``.bss``/``.ldata`` padding; ld 2.40 strips an empty ``.ldata``
    holding one)."""
    e = node.expr
    if node.op == "=" and isinstance(e, ast.Number) and e.value == 0:
        return True
    cond = e.args[0] if isinstance(e, ast.Call) and len(e.args) == 1 else None
    if (
        node.op == "="
        and isinstance(cond, ast.Ternary)
        and e.function == "ALIGN"
        and isinstance(cond.condition, ast.Binary)
        and cond.condition.op == "!="
        and isinstance(cond.condition.left, ast.Dot)
        and isinstance(cond.condition.right, ast.Number)
        and cond.condition.right.value == 0
        and isinstance(cond.if_false, ast.Number)
        and cond.if_false.value == 1
    ):
        return True
    if node.op in ("+=", "-=") and isinstance(e, ast.Number) and e.value == 0:
        return True
    return (
        node.op == "="
        and isinstance(e, ast.Binary)
        and e.op == "+"
        and isinstance(e.left, ast.Dot)
        and isinstance(e.right, ast.Number)
        and e.right.value == 0
    )


def _attributes(text: str | None) -> tuple[int, int]:
    """MEMORY attributes as (flags, not_flags) in BFD flags (ld manual "MEMORY
    Command")."""
    if not text:
        return 0, 0
    flags = [0, 0]
    negate = 0
    bits = {
        "r": SEC_READONLY,
        "w": 0x20,
        "x": SEC_CODE,
        "a": SEC_ALLOC,
        "i": SEC_LOAD,
        "l": SEC_LOAD,
    }
    for c in text.lower():
        if c == "!":
            negate = 1
            continue
        flags[negate] |= bits.get(c, 0)
    return flags[0], flags[1]


def _orphan_span() -> ast.Span:
    return ast.Span("<orphan>", 0, 0, 0, 0)


# ----------------------------------------------------------------------------- sizing


@dataclass
class PassResult:
    """What one sizing pass (:class:`_State`, ``lang_size_sections_1``) found, the
    input of the next pass (forward references) and of the final layout. Addresses
    and sizes in bytes, by output section name unless said otherwise.

    ``starts``: VMA; ``sizes``: size; ``loads``: LMA; ``aligns``: the alignment the
    section was given (``ALIGNOF``); ``section_sizes``: size by ``id()`` of the
    output section statement (names may repeat); ``script``: the values of the
    symbols the script assigns (``Value``: an offset in a section, or absolute);
    ``object_values``: the object symbols the script reads, relative to their output
    section; ``asserts`` every ``ASSERT``; ``errors`` ld's messages; ``region_errors``
    and ``backward_moves`` structured; ``unresolved``: (what, expression) that could
    not be evaluated; ``placement``: input section key -> (output section name,
    offset in it)."""

    starts: dict[str, int] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    loads: dict[str, int] = field(default_factory=dict)
    aligns: dict[str, int] = field(default_factory=dict)
    section_sizes: dict[int, int] = field(default_factory=dict)
    script: dict[str, Value] = field(default_factory=dict)
    object_values: dict[str, Value] = field(default_factory=dict)
    asserts: list[AssertResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    region_errors: list[RegionError] = field(default_factory=list)
    backward_moves: list[BackwardMove] = field(default_factory=list)
    unresolved: list[tuple[str, ast.Node]] = field(default_factory=list)
    placement: dict[tuple[int, int], tuple[str, int]] = field(default_factory=dict)


class _State:
    """One sizing pass (``lang_size_sections_1`` plus the assignments it folds)."""

    def __init__(self, lay: _Layouter, prev: PassResult, headers_size: int, final: bool) -> None:
        self.lay = lay
        self.prev = prev
        self.final = final
        self.mark = False
        self.headers_size = headers_size
        self.dot = 0
        # ``.`` as lang_do_assignments sees it (the final symbol values): it skips
        # the address expressions of sections ld never created or stripped
        # without a symbol assignment inside, which sizing (``self.dot``) applies.
        self.adot = 0
        self.current: dict[str, int] = {DEFAULT_REGION: 0}
        for name, r in lay.regions.items():
            self.current[name] = r.origin or 0
        self.last_os: dict[str, OS | None] = {}
        self.starts: dict[str, int] = {}
        self.sizes: dict[str, int] = {}
        self.loads: dict[str, int] = {}
        self.aligns: dict[str, int] = {}
        self.osizes: dict[int, int] = {}
        self.script: dict[str, Value] = {}
        self.asserts: list[AssertResult] = []
        self.errors: list[str] = []
        self.region_errors: list[RegionError] = []
        self.backward_moves: list[BackwardMove] = []
        self.full_message: dict[str, str] = {}  # region -> section that did not fit
        self.in_region: dict[str, list[str]] = {}
        self.unresolved: list[tuple[str, ast.Node]] = []
        self.placement: dict[tuple[int, int], tuple[str, int]] = {}
        self.symbols = ChainMap(self.script, prev.object_values, prev.script)

    # environment

    def env(self, section: OS | None, dot: int | None) -> Env:
        p = self.prev
        return Env(
            section=None if section is None else section.name,
            dot=dot,
            starts=ChainMap(self.starts, p.starts),
            symbols=self.symbols,
            regions=self.lay.regions,
            page_size=self.lay.page,
            sizes=ChainMap(self.sizes, p.sizes, self.lay.unsized),
            loads=ChainMap(self.loads, p.loads),
            alignments=ChainMap(self.aligns, p.aligns),
            headers_size=self.headers_size,
            complete=True,
            dataseg=self.lay.dataseg,
            sane_expr=self.lay.sane_expr,
        )

    def value(self, expr: ast.Node, section: OS | None, dot: int | None, what: str):
        env = self.env(section, dot)
        v = evaluate(expr, env)
        if v is None:
            self.unresolved.append((what, expr))
        return v, env

    # statements

    def provide_wanted(self, node: ast.Assignment) -> bool:
        if node.kind not in ("PROVIDE", "PROVIDE_HIDDEN"):
            return True
        return node.target in self.lay.provided

    def top_assign(self, node: ast.Assignment) -> None:
        # Every top-level assignment statement, to `.` or to a symbol (and ASSERT),
        # sets the default region's next address to `.` (lang_size_sections_1,
        # lang_assignment_statement_enum with abs_output_section): a symbol
        # assignment after a section ld never created makes its address stick.
        self.current[DEFAULT_REGION] = self.dot
        dot = self.adot if self.final else self.dot
        self.check_asserts_in(node.expr, None, dot)
        ds = self.lay.dataseg
        if ds is not None:
            ds.flag = None
        if node.target == ".":
            if self.final:
                # lang_do_assignments' `.` reads DATA_SEGMENT_* without moving
                # the sizing state on.
                saved = ds.state() if ds is not None else None
                v, env = self.value(_combined(node), None, self.adot, "assignment to .")
                if ds is not None:
                    ds.restore(saved)
                target = None if v is None else address_of(v, env)
                if target is not None:
                    self.adot = target & MASK
            v, env = self.value(_combined(node), None, self.dot, "assignment to .")
            if ds is not None and ds.flag is not None:
                # ldlang_check_relro_region: relro_start_stat, relro_end_stat
                self.lay.relro_stmts.setdefault(ds.flag, node)
            if v is not None:
                target = address_of(v, env)
                if target is not None:
                    self.dot = target & MASK
                    self.current[DEFAULT_REGION] = self.dot
            if not self.final:
                self.adot = self.dot
            return
        if not self.provide_wanted(node):
            return
        saved = ds.state() if ds is not None and self.final else None
        v, env = self.value(_combined(node), None, dot, node.target)
        if saved is not None:
            ds.restore(saved)
        elif ds is not None and ds.flag is not None:
            self.lay.relro_stmts.setdefault(ds.flag, node)
        if v is not None:
            if v.section is NUMBER:
                v = Value(v.value, ABS)
            self.script[node.target] = v

    def section_assign(self, node: ast.Assignment, os: OS, dot: int) -> int:
        """An assignment inside ``os`` at address ``dot``; returns the new address."""
        offset = (dot - os.vma) & MASK
        self.check_asserts_in(node.expr, os, offset)
        if node.target == ".":
            v, env = self.value(_combined(node), os, offset, "assignment to .")
            if v is None:
                return dot
            target = address_of(v, env)
            if target is None:
                return dot
            if target != dot and os.type_kind not in ("INFO", "COPY", "DSECT"):
                os.bfd_flags |= SEC_ALLOC  # "dot advanced: the section is allocated"
            if target < dot:
                self.errors.append(
                    f"{node.span.file}:{node.span.line} cannot move location counter backwards"
                    f" (from {dot:0{self.lay.digits}x} to {target:0{self.lay.digits}x})"
                )
                self.backward_moves.append(BackwardMove(node, os.name, dot, target))
                return dot
            return target
        if self.provide_wanted(node):
            v, env = self.value(_combined(node), os, offset, node.target)
            if v is not None:
                if v.section is NUMBER:
                    v = Value(v.value, os.name)
                self.script[node.target] = v
        return dot

    def check_asserts_in(self, expr, os, dot) -> None:
        for sub in ast.walk(expr):
            if isinstance(sub, ast.Call) and sub.function == "ASSERT" and len(sub.args) == 2:
                msg = sub.args[1]
                message = getattr(msg, "value", render(msg))
                self.record_assert(sub, sub.args[0], message, os, dot)

    def do_assert(self, node: ast.Assert, os: OS | None, dot: int | None = None) -> None:
        if os is None:
            dot = self.adot if self.final else self.dot
        self.record_assert(node, node.condition, node.message, os, dot)

    def record_assert(self, node, condition, message, os, dot) -> None:
        v, _ = self.value(condition, os, dot, "ASSERT")
        self.asserts.append(
            AssertResult(node, message, None if v is None else v.value != 0, _where(node))
        )

    # output sections

    def default_region(self, os: OS) -> str:
        """``lang_memory_default``: the first region whose attributes accept the
        section, else the default region. As there, an allocated section that is
        neither read-only nor code counts as data (``w``) even when it has no
        contents (``.bss``)."""
        sec_flags = os.bfd_flags
        if sec_flags & (SEC_ALLOC | SEC_READONLY | SEC_CODE) == SEC_ALLOC:
            sec_flags |= SEC_DATA
        for name in self.lay.regions:
            flags, not_flags = self.lay.region_attrs.get(name, (0, 0))
            if flags & sec_flags and not not_flags & sec_flags:
                return name
        return DEFAULT_REGION

    def size_os(self, os: OS) -> None:
        lay = self.lay
        if os.name == "/DISCARD/":
            return
        if os.zero_address:
            self.dot = 0
        elif os.address is not None:
            v, env = self.value(os.address, None, self.dot, f"address of {os.name}")
            target = None if v is None else address_of(v, env)
            if target is not None:
                self.dot = target
        if not os.has_bfd:
            return
        align_attr = 1
        if os.node is not None and os.node.align is not None:
            v, env = self.value(os.node.align, None, self.dot, f"ALIGN of {os.name}")
            if v is not None and v.value:
                align_attr = v.value
        # In the first pass (strip_excluded_output_sections' "mark" pass) an output
        # section is aligned as mapping left it; SUBALIGN raises it while its
        # inputs are sized, so an empty input under SUBALIGN can pad the section
        # then and keep it (ld 2.40 writes such a zero-size section).
        bfd_align = max(os.map_align if self.mark else os.align, align_attr)
        region = os.region
        if os.address is None and not os.zero_address:
            if region is None or (
                os.bfd_flags & (SEC_ALLOC | SEC_LOAD) and region == DEFAULT_REGION
            ):
                region = self.default_region(os)
            if (
                not os.ignored
                and os.bfd_flags & SEC_ALLOC
                and region == DEFAULT_REGION
                and lay.regions
                and self.final
            ):
                message = f"no memory region specified for loadable section `{os.name}'"
                if lay.options.check_sections:
                    self.errors.append(f"error: {message}")
                    self.region_errors.append(RegionError("no-region", os.name))
            if region not in self.current:
                self.current[region] = 0
            newdot = self.current[region]
            section_alignment = bfd_align
        else:
            if region is None:
                region = DEFAULT_REGION
            newdot = self.dot
            section_alignment = align_attr
        dotdelta_align = 0
        if section_alignment > 1:
            aligned = _align(newdot, section_alignment)
            dotdelta_align = aligned - newdot
            newdot = aligned
        os.vma = newdot
        self.starts[os.name] = os.vma
        self.aligns[os.name] = bfd_align
        end = self.size_children(os, os.vma)
        size = 0 if os.ignored else (end - os.vma) & MASK
        os.size = size
        self.osizes[id(os)] = size
        self.sizes[os.name] = size
        # LMA
        r = region or DEFAULT_REGION
        # lang_size_sections_1 compares `dot` below: the section's address, or for
        # an ignored section the location counter it left alone.
        dot = self.dot if os.ignored else os.vma
        if os.node is not None and os.node.at is not None:
            v, env = self.value(os.node.at, None, self.dot, f"AT of {os.name}")
            lma = address_of(v, env) if v is not None else None
            os.lma = os.vma if lma is None else lma
        elif os.lma_region is not None:
            lma = self.current.get(os.lma_region, 0)
            if os.node is not None and os.node.align_with_input:
                lma += dotdelta_align
            else:
                a = section_alignment if os.lma_region == os.region else align_attr
                lma = _align(lma, a) if a > 1 else lma
            os.lma = lma
        elif self.last_os.get(r) is not None and os.bfd_flags & SEC_ALLOC:
            last = self.last_os[r]
            if dot < last.vma and size != 0 and dot + size <= last.vma:
                os.lma = os.vma
            else:
                if os.sectype == "overlay":
                    # "If this is an overlay, set the current lma to that at the
                    # end of the previous section."
                    lma = (last.lma + last.size) & MASK
                else:
                    lma = (os.vma + last.lma - last.vma) & MASK
                os.lma = _align(lma, section_alignment) if section_alignment > 1 else lma
        else:
            os.lma = os.vma
        self.loads[os.name] = os.lma
        ignore = not os.bfd_flags & SEC_ALLOC or (
            os.bfd_flags & SEC_THREAD_LOCAL and not os.bfd_flags & SEC_LOAD
        )
        last = self.last_os.get(r)
        if (
            (
                not ignore
                and (
                    size != 0
                    or (last is None and os.vma != os.lma)
                    or (last is not None and dot >= last.vma)
                )
            )
            # the first member of an OVERLAY is tracked even when empty or
            # not allocated: the next member's LMA follows it
            or os.sectype == "first"
        ) and os.lma_region is None:
            self.last_os[r] = os
        if os.ignored:
            return
        tbss = os.bfd_flags & SEC_THREAD_LOCAL and not os.bfd_flags & SEC_LOAD
        self.dot = os.vma + (0 if tbss else size)
        if os.overlay is not None and os is os.overlay[-1]:
            # the last member's update_dot_tree: `. = ADDR(first) + MAX(SIZEOF...)`
            largest = max(self.sizes.get(m.name, 0) for m in os.overlay)
            self.dot = (self.starts[os.overlay[0].name] + largest) & MASK
        self.adot = self.dot
        if os.bfd_flags & (SEC_ALLOC | SEC_LOAD):
            self.current[r] = self.dot
            self.region_check(os, r, os.vma, os.address)
            if os.lma_region is not None and os.lma_region != r and os.bfd_flags & SEC_LOAD:
                self.current[os.lma_region] = os.lma + size
                self.region_check(os, os.lma_region, os.lma, None)

    def region_check(self, os: OS, name: str, start: int, tree) -> None:
        """``os_region_check`` (``ldlang.c``, GNU ld 2.40): after ``os`` is sized, the
        region's location counter must lie in ``[ORIGIN, ORIGIN + LENGTH]``. When it
        does not, a section with an address expression (``tree``) gets "address A of
        section `S' is not within region `R'", else the first such section of the
        region "section `S' will not fit in region `R'"; the overflow total follows
        in :meth:`result`. ``start`` is the section's address in the region."""
        region = self.lay.regions.get(name)
        if region is None or region.origin is None or region.length is None or not self.final:
            return
        self.in_region.setdefault(name, []).append(os.name)
        end = region.origin + region.length
        current = self.current.get(name, 0)
        if (current < region.origin or current - region.origin > region.length) and (
            current != end or start == 0
        ):
            if tree is not None:
                self.errors.append(
                    f"address {current:#x} of section `{os.name}' is not within region `{name}'"
                )
                self.region_errors.append(
                    RegionError("not-within", os.name, name, region.origin, region.length, current)
                )
            elif name not in self.full_message:
                self.full_message[name] = os.name
                self.errors.append(f"section `{os.name}' will not fit in region `{name}'")

    def size_children(self, os: OS, dot: int) -> int:
        subalign = None
        if os.node is not None and os.node.subalign is not None:
            v, _ = self.value(os.node.subalign, None, self.dot, f"SUBALIGN of {os.name}")
            if v is not None:
                subalign = v.value
        os.placed = []
        for child in os.children:
            if isinstance(child, Wild):
                for s in child.sections:
                    a = subalign if subalign is not None else s.align
                    if s.index <= CREATED_INDEX:
                        # The backend's empty sections are SEC_EXCLUDE by now:
                        # size_input_section does not align them (ld 2.40, a
                        # `*(.got)` after a .got input of 0x9c bytes ends at 0x9c).
                        a = 1
                    dot = _align(dot, a) if a > 1 else dot
                    os.placed.append(Placed(s, dot - os.vma))
                    self.placement[s.key] = (os.name, dot - os.vma)
                    dot += s.size
            elif isinstance(child, ast.Data):
                self.check_asserts_in(child.value, os, dot - os.vma)
                dot += child.width
            elif isinstance(child, ast.Assignment):
                dot = self.section_assign(child, os, dot)
            elif isinstance(child, ast.Assert):
                self.record_assert(child, child.condition, child.message, os, dot - os.vma)
        return dot

    def result(self) -> PassResult:
        for name, section in self.full_message.items():
            # The overflow N of "region `R' overflowed by N bytes" comes from the
            # region's final location counter (lang_check_section_addresses; the
            # message itself is added in layout()).
            region = self.lay.regions[name]
            over = (self.current.get(name, 0) - (region.origin + region.length)) & MASK
            if not any(e.kind == "will-not-fit" and e.region == name for e in self.region_errors):
                self.region_errors.append(
                    RegionError(
                        "will-not-fit",
                        section,
                        name,
                        region.origin,
                        region.length,
                        self.current.get(name, 0),
                        over,
                        tuple(dict.fromkeys(self.in_region.get(name, ()))),
                    )
                )
        objsyms = self.lay.object_symbols(self.placement, self.starts)
        return PassResult(
            starts=dict(self.starts),
            sizes=dict(self.sizes),
            loads=dict(self.loads),
            aligns=dict(self.aligns),
            section_sizes=dict(self.osizes),
            script=dict(self.script),
            object_values=objsyms,
            asserts=self.asserts,
            errors=self.errors,
            region_errors=self.region_errors,
            backward_moves=self.backward_moves,
            unresolved=self.unresolved,
            placement=self.placement,
        )


def _align(value: int, align: int) -> int:
    if align <= 1:
        return value
    return ((value + align - 1) // align * align) & MASK


def _combined(node: ast.Assignment) -> ast.Node:
    if node.op == "=":
        return node.expr
    dot = (
        ast.Symbol(name=node.target, span=node.span)
        if node.target != "."
        else ast.Dot(span=node.span)
    )
    return ast.Binary(op=node.op[:-1], left=dot, right=node.expr, span=node.span)


# ----------------------------------------------------------------------------- driver


def _object_symbol_table(objects: list[ObjectFile]):
    """Global definitions: name -> (object, symbol); undefined names referenced."""
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
    return defined, undefined - set(defined)


def layout(loaded, objects: list[ObjectFile], options: Options | None = None) -> Layout:
    """The layout GNU ld 2.40 gives ``objects`` (in command-line order) linked with
    the script ``loaded`` (a :class:`~kernlint.ldscript.LoadedScript`)."""
    options = options or Options()
    lay = _Layouter(loaded, objects, options)
    lay.collect()
    defined, undefined = _object_symbol_table(objects)
    lay.defined = defined
    wanted = set(lay.script_refs) | undefined
    for node in [*loaded.walk(), *lay.overlay_provides]:
        if (
            isinstance(node, ast.Assignment)
            and node.kind in ("PROVIDE", "PROVIDE_HIDDEN")
            and node.target in wanted
            and node.target not in defined
        ):
            lay.provided.add(node.target)
    lay.referenced = lay.script_refs
    for obj in objects:
        for section in obj.sections:
            if section.name in (".eh_frame",):
                lay.unsupported_at(
                    ".eh_frame", None, f"{section.file}: ld edits .eh_frame; its size may differ"
                )
                break
            if section.name == ".note.gnu.property":
                lay.unsupported_at(
                    ".note.gnu.property", None, f"{section.file}: ld merges this note"
                )
                break
    dropped: set[tuple[int, int]] = set()
    if options.gc_sections:
        from kernlint.layout.gc import collect_garbage

        gc_dropped, problem = collect_garbage(lay, defined)
        if problem:
            lay.errors.append(problem)
        for s in gc_dropped:
            lay.discarded.append((s, "--gc-sections"))
            dropped.add(s.key)
    lay.map_inputs(dropped)
    # Sizes once to know which output sections are empty, as ld does before
    # strip_excluded_output_sections.
    from kernlint.layout.segments import headers_guess, program_headers

    headers = headers_guess(lay)
    result = lay.size_pass(PassResult(), headers, final=False, mark=True)
    lay.strip_empty(result.section_sizes)
    if lay.dataseg is not None:
        lay.find_relro_sections(result.placement)
        lay.dataseg.relro = lay.relro
        headers = headers_guess(lay)  # counts a PT_GNU_RELRO with relro
    passes = 0
    while True:
        passes += 1
        new = lay.size_sections(result, headers)
        sections = _output_sections(lay)
        segments, count = program_headers(lay, sections, headers)
        new_headers = (64 if lay.ei_class == 64 else 52) + count * (
            56 if lay.ei_class == 64 else 32
        )
        if new_headers < headers and passes > 4:
            # ldelf_map_segments: the first four mappings may change the headers'
            # size either way, later ones only grow it; a smaller table keeps the
            # larger reservation (SIZEOF_HEADERS then counts a header the output
            # does not have, when the count oscillates).
            new_headers = headers
        stable = (
            new.starts == result.starts
            and new.sizes == result.sizes
            and new.loads == result.loads
            and new.script == result.script
            and new_headers == headers
        )
        result = new
        headers = new_headers
        if stable or passes >= MAX_PASSES:
            break
    final = lay.size_pass(result, headers, final=True)
    sections = _output_sections(lay)
    if options.check_sections:
        final.errors.extend(_overlaps(sections, 8 if lay.ei_class == 32 else 16))
    if len(sections) > 1:
        # lang_check_section_addresses returns at once for an output with at most one
        # section, before its overlap and region-overflow checks (observed, ld 2.40).
        for e in final.region_errors:
            if e.kind == "will-not-fit":
                s = "s" if e.overflow != 1 else ""
                final.errors.append(f"region `{e.region}' overflowed by {e.overflow} byte{s}")
    if lay.ei_class == 32:
        sections = [_mask32(s) for s in sections]
    segments, _ = program_headers(lay, sections, headers)
    for what, expr in final.unresolved:
        lay.unsupported_at(
            "expression",
            expr,
            f"{what}: `{render(expr)}` could not be evaluated (an undefined symbol, or"
            " something not modelled)",
        )
    symbols: dict[str, int] = {}
    env = Env(starts=final.starts, complete=True)
    for name, value in final.script.items():
        a = address_of(value, env)
        if a is not None:
            symbols[name] = a
    entry_address = None
    if lay.entry is not None:
        if lay.entry in symbols:
            entry_address = symbols[lay.entry]
        else:
            entry_address = symbol_address(lay, final.placement, final.starts, lay.entry)
    return Layout(
        sections=tuple(sections),
        segments=tuple(segments),
        symbols=symbols,
        discarded=tuple(lay.discarded),
        orphans=tuple(lay.orphans),
        asserts=tuple(final.asserts),
        unsupported=tuple(_unique(lay.unsupported)),
        errors=tuple(dict.fromkeys(lay.errors + final.errors + lay.segment_errors)),
        entry=lay.entry,
        entry_address=entry_address,
        headers_size=headers,
        ei_class=lay.ei_class,
        placement=final.placement,
        objects=tuple(objects),
        region_errors=tuple(final.region_errors),
        backward_moves=tuple(final.backward_moves),
    )


#: bfd/elf.c special_sections: the ELF type and flags a section of that name gets
#: when ld creates it with no input (name, or name followed by ".").
_SPECIAL = {
    ".bss": (SHT_NOBITS, SHF_ALLOC | SHF_WRITE),
    ".data": (SHT_PROGBITS, SHF_ALLOC | SHF_WRITE),
    ".data1": (SHT_PROGBITS, SHF_ALLOC | SHF_WRITE),
    ".rodata": (SHT_PROGBITS, SHF_ALLOC),
    ".rodata1": (SHT_PROGBITS, SHF_ALLOC),
    ".text": (SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR),
    ".tbss": (SHT_NOBITS, SHF_ALLOC | SHF_WRITE | SHF_TLS),
    ".tdata": (SHT_PROGBITS, SHF_ALLOC | SHF_WRITE | SHF_TLS),
    ".sbss": (SHT_NOBITS, SHF_ALLOC | SHF_WRITE),
    ".sdata": (SHT_PROGBITS, SHF_ALLOC | SHF_WRITE),
    ".init_array": (14, SHF_ALLOC | SHF_WRITE),
    ".fini_array": (15, SHF_ALLOC | SHF_WRITE),
    ".preinit_array": (16, SHF_ALLOC | SHF_WRITE),
}
_SPECIAL_EXACT = {
    ".init": (SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR),
    ".fini": (SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR),
}


def _special_section(name: str) -> tuple[int, int] | None:
    if name in _SPECIAL_EXACT:
        return _SPECIAL_EXACT[name]
    base = name if name in _SPECIAL else name.rsplit(".", 1)[0] if name.count(".") > 1 else ""
    while base:
        if base in _SPECIAL:
            return _SPECIAL[base]
        if base.count(".") <= 1:
            return None
        base = base.rsplit(".", 1)[0]
    return None


def _mask32(s: OutputSection) -> OutputSection:
    """An ELF32 output keeps the low 32 bits of ld's 64-bit addresses."""
    from dataclasses import replace

    return replace(s, vma=s.vma & 0xFFFFFFFF, lma=s.lma & 0xFFFFFFFF)


def _overlaps(sections: list[OutputSection], digits: int = 16) -> list[str]:
    """``lang_check_section_addresses``: loaded sections must not overlap in LMA, nor
    allocated ones in VMA (off with ``--no-check-sections``). Addresses are printed as
    ld's ``%V`` prints them: ``digits`` hex digits, 8 for ELF32 and 16 for ELF64."""
    errors = []
    live = [
        (i, s)
        for i, s in enumerate(sections)
        if s.size
        and s.bfd_flags & SEC_ALLOC
        and not (s.bfd_flags & SEC_THREAD_LOCAL and not s.bfd_flags & SEC_LOAD)
    ]
    warned: set[str] = set()
    by_vma = [s.vma for _, s in sorted(live, key=lambda item: (item[1].vma, item[0]))]
    # "If any non-zero size allocated section (excluding tbss) starts at exactly
    # the same VMA as another such section, then we have overlays": ld then checks
    # LMAs only (ld 2.40 lang_check_section_addresses).
    overlays = len(set(by_vma)) < len(by_vma)
    for what, key in (("LMA", "lma"), ("VMA", "vma")):
        if what == "VMA" and overlays:
            break
        prev = None
        for _, s in sorted(live, key=lambda item: (getattr(item[1], key), item[0])):
            if what == "LMA" and not s.bfd_flags & SEC_LOAD:
                continue
            start = getattr(s, key)
            end = start + s.size - 1
            if prev is not None and (start <= prev[2] or prev[2] < prev[1]):
                if what == "LMA":
                    warned.add(s.name)
                if what == "LMA" or s.name not in warned:
                    errors.append(
                        f"section {s.name} {what} [{start:0{digits}x},{end:0{digits}x}]"
                        f" overlaps section {prev[0]} {what}"
                        f" [{prev[1]:0{digits}x},{prev[2]:0{digits}x}]"
                    )
            prev = (s.name, start, end)
    return errors


def _unique(items):
    seen = set()
    for item in items:
        if item not in seen:
            seen.add(item)
            yield item


def _output_sections(lay: _Layouter) -> list[OutputSection]:
    out = []
    for os in lay.output_sections():
        if not os.has_bfd or os.name == "/DISCARD/" or getattr(os, "removed", False):
            continue
        f = os.bfd_flags
        sh_flags = 0
        if f & SEC_ALLOC:
            sh_flags |= SHF_ALLOC
        if not f & SEC_READONLY:
            sh_flags |= SHF_WRITE
        if f & SEC_CODE:
            sh_flags |= SHF_EXECINSTR
        if f & SEC_THREAD_LOCAL:
            sh_flags |= SHF_TLS
        sh_type = os.sh_type
        if not f & SEC_HAS_CONTENTS:
            sh_type = SHT_NOBITS
        elif sh_type in (0, SHT_NOBITS):
            sh_type = SHT_PROGBITS
        special = _special_section(os.name)
        if special is not None:
            # bfd gives the ELF flags of a special section name to the output
            # section it creates (bfd/elf.c special_sections), whatever the inputs.
            sh_flags |= special[1]
            if not os.has_input and f == 0:
                sh_type = special[0]
        vma = os.vma
        out.append(
            OutputSection(
                name=os.name,
                vma=vma,
                lma=os.lma,
                size=os.size,
                flags=sh_flags,
                sh_type=sh_type,
                align=os.align,
                inputs=tuple(os.placed),
                orphan=os.orphan,
                bfd_flags=f,
            )
        )
    return out


def symbol_address(lay: _Layouter, placement, starts, name: str) -> int | None:
    """The address an object's global symbol ``name`` gets, or None."""
    hit = lay.defined.get(name)
    if hit is None:
        return None
    obj, sym = hit
    if sym.shndx == SHN_ABS:
        return sym.value
    where = placement.get((obj.index, -1 if sym.shndx == SHN_COMMON else sym.shndx))
    if where is None or where[0] not in starts:
        return None
    return starts[where[0]] + where[1] + (0 if sym.shndx == SHN_COMMON else sym.value)
