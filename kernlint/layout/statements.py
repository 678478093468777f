"""Stage 1, collect statements: the script's ``SECTIONS`` (INCLUDEs resolved) as one
list of output section statements and top-level assignments and ``ASSERT``s, in
script order, with what the other commands say (``ENTRY``, ``PHDRS``, ``MEMORY``,
``REGION_ALIAS``, ``EXTERN``). ld builds the same list while it parses
(``ldgram.y`` into ``ldlang.c``'s ``lang_statement_list``); ``OVERLAY`` ("Overlay
Description") becomes its members' output section statements, each followed by its
``__load_start_``/``__load_stop_`` ``PROVIDE``s, as ``lang_leave_overlay`` builds
them.

The data the later stages share lives here too: :class:`OutputSectionStatement`
(ld's ``lang_output_section_statement_type``), whose mapping and sizing fields the
later stages fill, :class:`InputDescription` (an input section description with
the sections it took), :class:`ExpressionStatement` and :class:`Diagnostics`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kernlint.layout.dataseg import DataSegment
from kernlint.layout.match import Matcher
from kernlint.layout.model import (
    SEC_ALLOC,
    SEC_CODE,
    SEC_HAS_CONTENTS,
    SEC_LOAD,
    SEC_READONLY,
    SHT_NOBITS,
    InputSection,
    Options,
    Placed,
    Unsupported,
)
from kernlint.ldscript import ast
from kernlint.ldscript.evaluate import Env, Region, evaluate, memory_regions, sane_expr

#: Section types ld 2.40 knows ("Output Section Type"); others are reported.
_MODELLED_TYPES = (None, "NOLOAD", "INFO", "COPY", "DSECT", "READONLY")
#: Constraints modelled ("Output Section Constraint"); ``SPECIAL`` is reported.
_MODELLED_CONSTRAINTS = (None, "ONLY_IF_RO", "ONLY_IF_RW")


def location(node: ast.Node | None) -> str:
    """``file:line:col`` of a script node, ``<orphan>`` for what the linker made."""
    return str(node.span) if node is not None else "<orphan>"


@dataclass
class Diagnostics:
    """What the stages report besides their results, in the order found:
    ``unsupported`` constructs (:class:`~.model.Unsupported`, duplicates dropped when
    the layout is assembled) and ``errors``, the fatal messages ld prints."""

    unsupported: list[Unsupported] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def unsupported_at(self, construct: str, node: ast.Node | None, detail: str) -> None:
        """Report ``construct`` at ``node`` as not modelled."""
        self.unsupported.append(Unsupported(construct, location(node), detail))


@dataclass(eq=False)
class InputDescription:
    """An input section description (ld manual "Input Section Description"; ld's
    ``lang_wild_statement_type``): the script's node, its :class:`~.match.Matcher`,
    and the input sections mapping gave it, in placement order. Orphans get one of
    their own (``node.span.file`` is ``<orphan>``)."""

    node: ast.InputSectionDescription
    matcher: Matcher
    sections: list[InputSection] = field(default_factory=list)


@dataclass(eq=False)
class OutputSectionStatement:
    """An output section statement (ld's ``lang_output_section_statement_type``).

    From the script (stage 1): ``name``, ``node`` (None for an orphan's), ``children``
    (:class:`InputDescription`, ``ast.Assignment``, ``ast.Data``, ``ast.Assert``, in
    order), ``region``/``lma_region`` (``>region``, ``AT>region``, aliases resolved),
    ``phdrs`` (``:phdr``), ``sectype`` and ``overlay`` for ``OVERLAY`` members
    (ld's ``first_overlay_section``: ``"first"``, ``overlay_section``:
    ``"overlay"``; ``overlay`` lists the members; the last sets ``.`` to the
    first's address plus the largest size, its ``update_dot_tree``).

    From mapping and orphan placement (:mod:`.mapping`, :mod:`.orphans`):
    ``has_bfd`` (ld created its BFD section), ``bfd_flags`` (BFD ``SEC_*`` flags,
    merged as ``lang_add_section`` does), ``sh_type`` (the first input's),
    ``has_input``, ``keep`` (``SEC_KEEP``: an assignment to ``.`` inside, or a
    ``KEEP`` input), ``update_dot`` (a symbol assignment inside), ``orphan`` (made
    for an orphan), ``zero_address`` (a non-allocated orphan: address 0), ``align``
    and ``map_align`` (bytes: the alignment with ``SUBALIGN``, and without it).

    From sizing (:mod:`.sizing`): ``ignored``/``removed`` (empty: not written;
    ignored ones do not move ``.`` for symbols), ``vma``, ``lma``, ``size`` (bytes)
    and ``placed`` (the inputs with their offsets)."""

    name: str
    node: ast.OutputSection | None
    children: list = field(default_factory=list)
    orphan: bool = False
    region: str | None = None
    lma_region: str | None = None
    phdrs: tuple[str, ...] = ()
    has_bfd: bool = False
    bfd_flags: int = 0
    sh_type: int = 0
    has_input: bool = False
    keep: bool = False
    update_dot: bool = False
    ignored: bool = False
    removed: bool = False
    zero_address: bool = False
    sectype: str | None = None
    overlay: list[OutputSectionStatement] | None = None
    vma: int = 0
    lma: int = 0
    size: int = 0
    align: int = 1
    map_align: int = 1
    placed: list[Placed] = field(default_factory=list)

    @property
    def address(self) -> ast.Node | None:
        """The address expression ("Output Section Address"), or None."""
        return None if self.node is None else self.node.address

    @property
    def type_kind(self) -> str | None:
        """``NOLOAD``, ``INFO``, ... ("Output Section Type"), or None."""
        if self.node is None or self.node.type is None:
            return None
        return self.node.type.kind

    def init_bfd(self, flags: int) -> None:
        """``init_os``: ld creates the BFD section, with ``flags``, if not yet."""
        if not self.has_bfd:
            self.has_bfd = True
            self.bfd_flags = flags

    def add_input(self, section: InputSection, kept: bool, page: int) -> None:
        """``lang_add_section``: flags merge (``SEC_READONLY`` only while every input
        is read-only), the first input sets the ELF type, the alignment grows to the
        input's (``kept``: a ``KEEP`` pattern matches it: ``SEC_KEEP``)."""
        flags = section.flags
        kind = self.type_kind
        if kind == "NOLOAD":
            flags &= ~(SEC_LOAD | SEC_HAS_CONTENTS)
        elif kind in ("INFO", "COPY", "DSECT"):
            flags &= ~SEC_ALLOC
        if not self.has_bfd:
            self.has_bfd = True
            self.bfd_flags = flags
        self.bfd_flags &= flags | ~SEC_READONLY
        if self.has_input:
            flags &= ~SEC_READONLY
        self.bfd_flags |= flags
        if kept:
            self.keep = True  # SEC_KEEP of the input
        if not self.has_input:
            self.has_input = True
            self.sh_type = SHT_NOBITS if kind == "NOLOAD" else section.sh_type
        align = section.align
        if self.node is not None and self.node.subalign is not None:
            # SUBALIGN replaces the input's alignment when it is placed, but
            # lang_add_section has already raised the output's alignment to the
            # input's own (ld 2.40: an input aligned 256 under SUBALIGN(1) still
            # aligns the output section to 256); sizing raises it to SUBALIGN.
            sub = evaluate(self.node.subalign, Env(page_size=page))
            if sub is not None:
                align = max(align, sub.value)
        self.align = max(self.align, align)
        self.map_align = max(self.map_align, section.align)


@dataclass(eq=False)
class ExpressionStatement:
    """A top-level assignment (``kind`` ``"assign"``, ld's
    ``lang_assignment_statement_type``) or ``ASSERT`` (``"assert"``)."""

    kind: str
    node: ast.Node


#: One item of the statement list.
Statement = OutputSectionStatement | ExpressionStatement


@dataclass
class ScriptStatements:
    """Stage 1's result. ``statements``: the ``SECTIONS`` list in script order;
    ``entry``: ``-e``, else the script's last ``ENTRY``; ``phdrs``: the ``PHDRS``
    command; ``regions``: ``MEMORY`` (``Region``: origin and length in bytes) and
    ``region_attributes`` (name -> (flags, not-flags) in BFD flags, "MEMORY
    Command"); ``extern``: ``EXTERN`` symbols; ``script_refs``: every symbol name an
    expression reads; ``load_phdrs``: the script reads ``SIZEOF_HEADERS`` (ld's
    ``link_info.load_phdrs``); ``dataseg``: ld's ``expld.dataseg`` when the script
    uses ``DATA_SEGMENT_*``; ``overlay_provides``: the ``__load_start_*`` /
    ``__load_stop_*`` ``PROVIDE``s of overlay members; ``sane_expr``:
    ``LD_FEATURE("SANE_EXPR")``; ``page``: the max page size (bytes)."""

    statements: list[Statement]
    entry: str | None
    phdrs: ast.Phdrs | None
    regions: dict[str, Region]
    region_attributes: dict[str, tuple[int, int]]
    extern: list[str]
    script_refs: set[str]
    load_phdrs: bool
    dataseg: DataSegment | None
    overlay_provides: list[ast.Assignment]
    sane_expr: bool
    page: int

    def output_sections(self) -> list[OutputSectionStatement]:
        """The output section statements, in script order."""
        return [s for s in self.statements if isinstance(s, OutputSectionStatement)]


def collect_statements(
    loaded, options: Options, have_objects: bool, diagnostics: Diagnostics
) -> ScriptStatements:
    """Stage 1 for ``loaded`` (a :class:`~kernlint.ldscript.LoadedScript`);
    ``have_objects``: objects were given (else ``INPUT``/``GROUP`` are reported)."""
    return _Collector(loaded, options, have_objects, diagnostics).run()


class _Collector:
    """Walks the script once, in order, as ld's parser feeds ``ldlang.c``."""

    def __init__(self, loaded, options: Options, have_objects: bool, diagnostics) -> None:
        self.loaded = loaded
        self.options = options
        self.have_objects = have_objects
        self.diagnostics = diagnostics
        top = list(loaded.statements())
        self.top = top
        self.sane = sane_expr(top)
        page = options.max_page_size
        self.result = ScriptStatements(
            statements=[],
            entry=options.entry,
            phdrs=None,
            regions=memory_regions(top, Env(page_size=page, sane_expr=self.sane)),
            region_attributes={},
            extern=[],
            script_refs=set(),
            load_phdrs=False,
            dataseg=None,
            overlay_provides=[],
            sane_expr=self.sane,
            page=page,
        )
        self.aliases: dict[str, str] = {}

    def run(self) -> ScriptStatements:
        for statement in self.top:
            self.command(statement)
        for name in list(self.aliases):
            self.aliases[name] = self.aliases.get(self.aliases[name], self.aliases[name])
        self.scan_expressions()
        return self.result

    def command(self, statement: ast.Node) -> None:
        """One top-level command."""
        result = self.result
        if isinstance(statement, ast.Sections):
            for inner in self.loaded.statements(statement.statements):
                self.sections_statement(inner)
        elif isinstance(statement, ast.Assignment):
            result.statements.append(ExpressionStatement("assign", statement))
        elif isinstance(statement, ast.Assert):
            result.statements.append(ExpressionStatement("assert", statement))
        elif isinstance(statement, ast.Entry):
            if self.options.entry is None:
                result.entry = statement.symbol
        elif isinstance(statement, ast.Phdrs):
            result.phdrs = statement
        elif isinstance(statement, ast.Memory):
            self.memory(statement)
        elif isinstance(statement, ast.RegionAlias):
            self.aliases[statement.alias] = statement.region
        elif isinstance(statement, ast.Extern):
            result.extern.extend(statement.symbols)
        elif isinstance(statement, ast.Insert):
            self.diagnostics.unsupported_at("INSERT", statement, "INSERT scripts are not modelled")
        elif isinstance(statement, ast.Input | ast.Group) and not self.have_objects:
            self.diagnostics.unsupported_at(
                type(statement).__name__.upper(),
                statement,
                "the files it names were not found next to the script",
            )

    def memory(self, statement: ast.Memory) -> None:
        for region in statement.regions:
            if isinstance(region, ast.MemoryRegion):
                self.result.region_attributes.setdefault(
                    region.name, _attributes(region.attributes)
                )
                known = self.result.regions.get(region.name)
                if known is None or known.origin is None or known.length is None:
                    self.diagnostics.unsupported_at(
                        "MEMORY", region, f"region {region.name}: non-constant"
                    )

    def scan_expressions(self) -> None:
        """Symbols the script reads, ``DATA_SEGMENT_*`` and ``SIZEOF_HEADERS``."""
        result = self.result
        for node in self.loaded.walk():
            if isinstance(node, ast.Symbol):
                result.script_refs.add(node.name)
            elif isinstance(node, ast.Call) and node.function.startswith("DATA_SEGMENT_"):
                if result.dataseg is None:
                    result.dataseg = DataSegment(self.options.relro)
            elif isinstance(node, ast.Call) and node.function == "SIZEOF_HEADERS":
                result.load_phdrs = True  # ldexp.c: link_info.load_phdrs = 1
            elif isinstance(node, ast.OutputSection | ast.Overlay):
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Call) and sub.function.startswith("DATA_SEGMENT_"):
                        # ld: invalid inside an output section (a fatal error).
                        self.diagnostics.unsupported_at(
                            sub.function, sub, "DATA_SEGMENT_* inside an output section"
                        )

    def region_name(self, name: str | None) -> str | None:
        if name is None:
            return None
        return self.aliases.get(name, name)

    def sections_statement(self, node: ast.Node) -> None:
        """One statement inside ``SECTIONS``."""
        statements = self.result.statements
        if isinstance(node, ast.OutputSection):
            statements.append(self.output_section(node))
        elif isinstance(node, ast.Overlay):
            self.overlay(node)
        elif isinstance(node, ast.Assignment):
            statements.append(ExpressionStatement("assign", node))
        elif isinstance(node, ast.Assert):
            statements.append(ExpressionStatement("assert", node))
        elif isinstance(node, ast.Entry) and self.options.entry is None:
            self.result.entry = node.symbol

    def output_section(self, node: ast.OutputSection) -> OutputSectionStatement:
        output = OutputSectionStatement(
            node.name,
            node,
            region=self.region_name(node.region),
            lma_region=self.region_name(node.lma_region),
            phdrs=node.phdrs,
        )
        for child in self.loaded.statements(node.statements):
            if isinstance(child, ast.InputSectionDescription):
                output.children.append(InputDescription(child, Matcher(child)))
            elif isinstance(child, ast.Assignment | ast.Data | ast.Assert):
                output.children.append(child)
            # CONSTRUCTORS, CREATE_OBJECT_SYMBOLS and FILL add nothing modelled
        kind = output.type_kind
        if node.constraint not in _MODELLED_CONSTRAINTS:
            self.diagnostics.unsupported_at(
                node.constraint, node, f"{node.name}: constraint not modelled"
            )
        if kind not in _MODELLED_TYPES:
            self.diagnostics.unsupported_at(
                f"({kind})", node, f"{node.name}: section type not modelled"
            )
        if node.at is not None and node.lma_region is not None:
            self.diagnostics.errors.append(
                f"{node.span.file}:{node.span.line}: section has both a load address"
                " and a load region"
            )
        return output

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
        overlay are worked out while sizing (:meth:`.sizing.SizingPass.size_output`)."""
        if not node.sections:
            return
        if node.nocrossrefs:
            self.diagnostics.unsupported_at(
                "NOCROSSREFS", node, "the overlay's cross-reference check is not modelled"
            )
        names = [
            n.name
            for n in self.loaded.walk()
            if isinstance(n, ast.OutputSection | ast.OverlaySection)
        ]
        first = node.sections[0]
        # lang_get_regions with have_vma false: `AT>rom` alone makes rom the
        # run-time region too, even with a start address.
        region = node.region if node.region is not None else node.lma_region
        at = node.at
        if node.at is not None and node.lma_region is not None:
            # reported where the parser is then: after the overlay's region specs
            self.diagnostics.errors.append(
                f"{node.span.file}:{node.span.end_line}: section has both a load address"
                " and a load region"
            )
            at = None
        members: list[OutputSectionStatement] = []
        for section in node.sections:
            if names.count(section.name) > 1:
                self.diagnostics.unsupported_at(
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
            member = self.output_section(
                ast.OutputSection(
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
            )
            self.result.statements.append(member)
            member.sectype = "first" if section is first else "overlay"
            members.append(member)
            self.load_provides(node, section)
        members[-1].update_dot = True
        for member in members:
            member.overlay = members

    def load_provides(self, node: ast.Overlay, section: ast.OverlaySection) -> None:
        """``__load_start_NAME`` and ``__load_stop_NAME`` after an overlay member."""
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
            self.result.overlay_provides.append(provide)
            self.result.statements.append(ExpressionStatement("assign", provide))


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
