"""Stage 5, size and assign addresses (ld manual "The Location Counter", "Output
Section Address", "Forced Output Alignment", "Output Section LMA", "MEMORY Command",
"Builtin Functions"; ``ldlang.c`` ``lang_size_sections``, ``lang_size_sections_1``,
``lang_do_assignments``, ``os_region_check``, GNU ld 2.40).

A :class:`SizingPass` is one walk of the statement list: the location counter at top
level is an address and inside an output section an offset; a section without an
address starts at its region's next address aligned to its inputs and ``ALIGN``, one
with an address starts there; inputs are aligned to ``sh_addralign`` or
``SUBALIGN``; assignments, data statements and ``ASSERT``s are evaluated by
:mod:`kernlint.ldscript.evaluate` with what earlier passes found (forward
references). Its result is a :class:`PassResult`. The final pass uses
``lang_do_assignments``' `.` for symbols, which skips the addresses of sections ld
never created or stripped.

A :class:`Sizer` holds what every pass reads (the statements after mapping and
orphans, regions, symbols) and runs ld's rounds: the first ("mark") pass that
decides which sections are empty (:meth:`Sizer.strip_empty`), then
:meth:`Sizer.size_sections` (``lang_size_sections``: after ``DATA_SEGMENT_END``,
``lang_size_relro_segment`` or ``lang_size_segment`` size again), with
``lang_find_relro_sections`` deciding whether ``-z relro`` stays on.
"""

from __future__ import annotations

from collections import ChainMap
from dataclasses import dataclass, field

from kernlint.layout.dataseg import DataSegment, align_up
from kernlint.layout.mapping import CREATED_INDEX, InputMapping
from kernlint.layout.model import (
    SEC_ALLOC,
    SEC_CODE,
    SEC_DATA,
    SEC_LOAD,
    SEC_READONLY,
    SEC_THREAD_LOCAL,
    AssertResult,
    BackwardMove,
    Options,
    Placed,
    RegionError,
)
from kernlint.layout.statements import (
    ExpressionStatement,
    InputDescription,
    OutputSectionStatement,
    ScriptStatements,
    location,
)
from kernlint.layout.symbols import ObjectSymbols, script_read_values
from kernlint.ldscript import ast
from kernlint.ldscript.evaluate import (
    ABS,
    MASK,
    NUMBER,
    Env,
    Value,
    address_of,
    evaluate,
    render,
)

#: The region of sections outside ``MEMORY`` (ld's ``*default*``).
DEFAULT_REGION = "*default*"


@dataclass
class PassResult:
    """What one sizing pass (:class:`SizingPass`, ``lang_size_sections_1``) found, the
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


class SizingPass:
    """One sizing pass (``lang_size_sections_1`` plus the assignments it folds)."""

    def __init__(self, sizer: Sizer, prev: PassResult, headers_size: int, final: bool) -> None:
        self.sizer = sizer
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
        for name, r in sizer.regions.items():
            self.current[name] = r.origin or 0
        self.last_os: dict[str, OutputSectionStatement | None] = {}
        self.starts: dict[str, int] = {}
        self.sizes: dict[str, int] = {}
        self.loads: dict[str, int] = {}
        self.aligns: dict[str, int] = {}
        self.section_sizes: dict[int, int] = {}
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

    def env(self, section: OutputSectionStatement | None, dot: int | None) -> Env:
        p = self.prev
        return Env(
            section=None if section is None else section.name,
            dot=dot,
            starts=ChainMap(self.starts, p.starts),
            symbols=self.symbols,
            regions=self.sizer.regions,
            page_size=self.sizer.page,
            sizes=ChainMap(self.sizes, p.sizes, self.sizer.unsized),
            loads=ChainMap(self.loads, p.loads),
            alignments=ChainMap(self.aligns, p.aligns),
            headers_size=self.headers_size,
            complete=True,
            dataseg=self.sizer.dataseg,
            sane_expr=self.sizer.sane_expr,
        )

    def value(
        self, expr: ast.Node, section: OutputSectionStatement | None, dot: int | None, what: str
    ):
        env = self.env(section, dot)
        v = evaluate(expr, env)
        if v is None:
            self.unresolved.append((what, expr))
        return v, env

    # statements

    def provide_wanted(self, node: ast.Assignment) -> bool:
        if node.kind not in ("PROVIDE", "PROVIDE_HIDDEN"):
            return True
        return node.target in self.sizer.provided

    def top_assign(self, node: ast.Assignment) -> None:
        # Every top-level assignment statement, to `.` or to a symbol (and ASSERT),
        # sets the default region's next address to `.` (lang_size_sections_1,
        # lang_assignment_statement_enum with abs_output_section): a symbol
        # assignment after a section ld never created makes its address stick.
        self.current[DEFAULT_REGION] = self.dot
        dot = self.adot if self.final else self.dot
        self.check_asserts_in(node.expr, None, dot)
        ds = self.sizer.dataseg
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
                self.sizer.relro_statements.setdefault(ds.flag, node)
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
            self.sizer.relro_statements.setdefault(ds.flag, node)
        if v is not None:
            if v.section is NUMBER:
                v = Value(v.value, ABS)
            self.script[node.target] = v

    def section_assign(self, node: ast.Assignment, output: OutputSectionStatement, dot: int) -> int:
        """An assignment inside ``output`` at address ``dot``; returns the new address."""
        offset = (dot - output.vma) & MASK
        self.check_asserts_in(node.expr, output, offset)
        if node.target == ".":
            v, env = self.value(_combined(node), output, offset, "assignment to .")
            if v is None:
                return dot
            target = address_of(v, env)
            if target is None:
                return dot
            if target != dot and output.type_kind not in ("INFO", "COPY", "DSECT"):
                output.bfd_flags |= SEC_ALLOC  # "dot advanced: the section is allocated"
            if target < dot:
                self.errors.append(
                    f"{node.span.file}:{node.span.line} cannot move location counter backwards"
                    f" (from {dot:0{self.sizer.digits}x} to {target:0{self.sizer.digits}x})"
                )
                self.backward_moves.append(BackwardMove(node, output.name, dot, target))
                return dot
            return target
        if self.provide_wanted(node):
            v, env = self.value(_combined(node), output, offset, node.target)
            if v is not None:
                if v.section is NUMBER:
                    v = Value(v.value, output.name)
                self.script[node.target] = v
        return dot

    def check_asserts_in(
        self, expr: ast.Node, output: OutputSectionStatement | None, dot: int | None
    ) -> None:
        """Every ``ASSERT(cond, msg)`` call inside ``expr`` (``. = ASSERT(...)``)."""
        for sub in ast.walk(expr):
            if isinstance(sub, ast.Call) and sub.function == "ASSERT" and len(sub.args) == 2:
                msg = sub.args[1]
                message = getattr(msg, "value", render(msg))
                self.record_assert(sub, sub.args[0], message, output, dot)

    def do_assert(
        self, node: ast.Assert, output: OutputSectionStatement | None, dot: int | None = None
    ) -> None:
        if output is None:
            dot = self.adot if self.final else self.dot
        self.record_assert(node, node.condition, node.message, output, dot)

    def record_assert(
        self,
        node: ast.Node,
        condition: ast.Node,
        message: str,
        output: OutputSectionStatement | None,
        dot: int | None,
    ) -> None:
        """Evaluate ``condition`` at ``dot`` (an offset in ``output``, else an address)."""
        v, _ = self.value(condition, output, dot, "ASSERT")
        self.asserts.append(
            AssertResult(node, message, None if v is None else v.value != 0, location(node))
        )

    # output sections

    def default_region(self, output: OutputSectionStatement) -> str:
        """``lang_memory_default``: the first region whose attributes accept the
        section, else the default region. As there, an allocated section that is
        neither read-only nor code counts as data (``w``) even when it has no
        contents (``.bss``)."""
        sec_flags = output.bfd_flags
        if sec_flags & (SEC_ALLOC | SEC_READONLY | SEC_CODE) == SEC_ALLOC:
            sec_flags |= SEC_DATA
        for name in self.sizer.regions:
            flags, not_flags = self.sizer.region_attributes.get(name, (0, 0))
            if flags & sec_flags and not not_flags & sec_flags:
                return name
        return DEFAULT_REGION

    def size_output(self, output: OutputSectionStatement) -> None:
        """``lang_size_sections_1`` for one output section statement: its start
        (address expression, else the region's next address aligned), its inputs,
        its LMA, then `.` and the region's next address."""
        if output.name == "/DISCARD/":
            return
        if output.zero_address:
            self.dot = 0
        elif output.address is not None:
            v, env = self.value(output.address, None, self.dot, f"address of {output.name}")
            target = None if v is None else address_of(v, env)
            if target is not None:
                self.dot = target
        if not output.has_bfd:
            return
        align_attr = 1
        if output.node is not None and output.node.align is not None:
            v, env = self.value(output.node.align, None, self.dot, f"ALIGN of {output.name}")
            if v is not None and v.value:
                align_attr = v.value
        # In the first pass (strip_excluded_output_sections' "mark" pass) an output
        # section is aligned as mapping left it; SUBALIGN raises it while its
        # inputs are sized, so an empty input under SUBALIGN can pad the section
        # then and keep it (ld 2.40 writes such a zero-size section).
        bfd_align = max(output.map_align if self.mark else output.align, align_attr)
        region, newdot, section_alignment = self.start(output, bfd_align, align_attr)
        dotdelta_align = 0
        if section_alignment > 1:
            aligned = align_up(newdot, section_alignment)
            dotdelta_align = aligned - newdot
            newdot = aligned
        output.vma = newdot
        self.starts[output.name] = output.vma
        self.aligns[output.name] = bfd_align
        end = self.size_children(output, output.vma)
        size = 0 if output.ignored else (end - output.vma) & MASK
        output.size = size
        self.section_sizes[id(output)] = size
        self.sizes[output.name] = size
        r = region or DEFAULT_REGION
        # lang_size_sections_1 compares `dot` below: the section's address, or for
        # an ignored section the location counter it left alone.
        dot = self.dot if output.ignored else output.vma
        output.lma = self.load_address(
            output, r, dot, section_alignment, align_attr, dotdelta_align
        )
        self.loads[output.name] = output.lma
        self.track_last(output, r, dot)
        if not output.ignored:
            self.advance(output, r)

    def start(
        self, output: OutputSectionStatement, bfd_align: int, align_attr: int
    ) -> tuple[str, int, int]:
        """(region, start address before alignment, alignment) of ``output``: the
        address expression's value aligned only by ``ALIGN()`` ("Output Section
        Address", "Forced Output Alignment"), else the region's next address
        aligned to the inputs too (``lang_memory_default`` picks the region)."""
        region = output.region
        if output.address is not None or output.zero_address:
            return (DEFAULT_REGION if region is None else region), self.dot, align_attr
        if region is None or (
            output.bfd_flags & (SEC_ALLOC | SEC_LOAD) and region == DEFAULT_REGION
        ):
            region = self.default_region(output)
        if (
            not output.ignored
            and output.bfd_flags & SEC_ALLOC
            and region == DEFAULT_REGION
            and self.sizer.regions
            and self.final
        ):
            message = f"no memory region specified for loadable section `{output.name}'"
            if self.sizer.check_sections:
                self.errors.append(f"error: {message}")
                self.region_errors.append(RegionError("no-region", output.name))
        if region not in self.current:
            self.current[region] = 0
        return region, self.current[region], bfd_align

    def load_address(
        self,
        output: OutputSectionStatement,
        region: str,
        dot: int,
        section_alignment: int,
        align_attr: int,
        dotdelta_align: int,
    ) -> int:
        """The LMA (ld manual "Output Section LMA"): ``AT()``, else the ``AT>``
        region's next address, else the previous section of the region keeps its
        LMA-VMA offset (an overlay member follows the previous member's LMA), else
        the VMA."""
        if output.node is not None and output.node.at is not None:
            v, env = self.value(output.node.at, None, self.dot, f"AT of {output.name}")
            lma = address_of(v, env) if v is not None else None
            return output.vma if lma is None else lma
        if output.lma_region is not None:
            lma = self.current.get(output.lma_region, 0)
            if output.node is not None and output.node.align_with_input:
                return lma + dotdelta_align
            a = section_alignment if output.lma_region == output.region else align_attr
            return align_up(lma, a) if a > 1 else lma
        last = self.last_os.get(region)
        if last is None or not output.bfd_flags & SEC_ALLOC:
            return output.vma
        if dot < last.vma and output.size != 0 and dot + output.size <= last.vma:
            return output.vma
        if output.sectype == "overlay":
            # "If this is an overlay, set the current lma to that at the
            # end of the previous section."
            lma = (last.lma + last.size) & MASK
        else:
            lma = (output.vma + last.lma - last.vma) & MASK
        return align_up(lma, section_alignment) if section_alignment > 1 else lma

    def track_last(self, output: OutputSectionStatement, region: str, dot: int) -> None:
        """The region's last section for the next LMA (``lang_size_sections_1``'s
        ``r->last_os``), only for sections without ``AT>``."""
        ignore = not output.bfd_flags & SEC_ALLOC or (
            output.bfd_flags & SEC_THREAD_LOCAL and not output.bfd_flags & SEC_LOAD
        )
        last = self.last_os.get(region)
        if (
            (
                not ignore
                and (
                    output.size != 0
                    or (last is None and output.vma != output.lma)
                    or (last is not None and dot >= last.vma)
                )
            )
            # the first member of an OVERLAY is tracked even when empty or
            # not allocated: the next member's LMA follows it
            or output.sectype == "first"
        ) and output.lma_region is None:
            self.last_os[region] = output

    def advance(self, output: OutputSectionStatement, region: str) -> None:
        """`.` and the regions' next addresses after a section that is kept, and the
        region checks."""
        size = output.size
        tbss = output.bfd_flags & SEC_THREAD_LOCAL and not output.bfd_flags & SEC_LOAD
        self.dot = output.vma + (0 if tbss else size)
        if output.overlay is not None and output is output.overlay[-1]:
            # the last member's update_dot_tree: `. = ADDR(first) + MAX(SIZEOF...)`
            largest = max(self.sizes.get(m.name, 0) for m in output.overlay)
            self.dot = (self.starts[output.overlay[0].name] + largest) & MASK
        self.adot = self.dot
        if output.bfd_flags & (SEC_ALLOC | SEC_LOAD):
            self.current[region] = self.dot
            self.region_check(output, region, output.vma, output.address)
            if (
                output.lma_region is not None
                and output.lma_region != region
                and output.bfd_flags & SEC_LOAD
            ):
                self.current[output.lma_region] = output.lma + size
                self.region_check(output, output.lma_region, output.lma, None)

    def region_check(
        self, output: OutputSectionStatement, name: str, start: int, tree: ast.Node | None
    ) -> None:
        """``os_region_check`` (``ldlang.c``, GNU ld 2.40): after ``output`` is sized, the
        region's location counter must lie in ``[ORIGIN, ORIGIN + LENGTH]``. When it
        does not, a section with an address expression (``tree``) gets "address A of
        section `S' is not within region `R'", else the first such section of the
        region "section `S' will not fit in region `R'"; the overflow total follows
        in :meth:`result`. ``start`` is the section's address in the region."""
        region = self.sizer.regions.get(name)
        if region is None or region.origin is None or region.length is None or not self.final:
            return
        self.in_region.setdefault(name, []).append(output.name)
        end = region.origin + region.length
        current = self.current.get(name, 0)
        if (current < region.origin or current - region.origin > region.length) and (
            current != end or start == 0
        ):
            if tree is not None:
                self.errors.append(
                    f"address {current:#x} of section `{output.name}' is not within region `{name}'"
                )
                self.region_errors.append(
                    RegionError(
                        "not-within", output.name, name, region.origin, region.length, current
                    )
                )
            elif name not in self.full_message:
                self.full_message[name] = output.name
                self.errors.append(f"section `{output.name}' will not fit in region `{name}'")

    def size_children(self, output: OutputSectionStatement, dot: int) -> int:
        subalign = None
        if output.node is not None and output.node.subalign is not None:
            v, _ = self.value(output.node.subalign, None, self.dot, f"SUBALIGN of {output.name}")
            if v is not None:
                subalign = v.value
        output.placed = []
        for child in output.children:
            if isinstance(child, InputDescription):
                for s in child.sections:
                    a = subalign if subalign is not None else s.align
                    if s.index <= CREATED_INDEX:
                        # The backend's empty sections are SEC_EXCLUDE by now:
                        # size_input_section does not align them (ld 2.40, a
                        # `*(.got)` after a .got input of 0x9c bytes ends at 0x9c).
                        a = 1
                    dot = align_up(dot, a) if a > 1 else dot
                    output.placed.append(Placed(s, dot - output.vma))
                    self.placement[s.key] = (output.name, dot - output.vma)
                    dot += s.size
            elif isinstance(child, ast.Data):
                self.check_asserts_in(child.value, output, dot - output.vma)
                dot += child.width
            elif isinstance(child, ast.Assignment):
                dot = self.section_assign(child, output, dot)
            elif isinstance(child, ast.Assert):
                self.record_assert(child, child.condition, child.message, output, dot - output.vma)
        return dot

    def result(self) -> PassResult:
        for name, section in self.full_message.items():
            # The overflow N of "region `R' overflowed by N bytes" comes from the
            # region's final location counter (lang_check_section_addresses; the
            # message itself is added in layout()).
            region = self.sizer.regions[name]
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
        objsyms = script_read_values(self.sizer.defined, self.sizer.script_refs, self.placement)
        return PassResult(
            starts=dict(self.starts),
            sizes=dict(self.sizes),
            loads=dict(self.loads),
            aligns=dict(self.aligns),
            section_sizes=dict(self.section_sizes),
            script=dict(self.script),
            object_values=objsyms,
            asserts=self.asserts,
            errors=self.errors,
            region_errors=self.region_errors,
            backward_moves=self.backward_moves,
            unresolved=self.unresolved,
            placement=self.placement,
        )


def _combined(node: ast.Assignment) -> ast.Node:
    if node.op == "=":
        return node.expr
    dot = (
        ast.Symbol(name=node.target, span=node.span)
        if node.target != "."
        else ast.Dot(span=node.span)
    )
    return ast.Binary(op=node.op[:-1], left=dot, right=node.expr, span=node.span)


class Sizer:
    """What every sizing pass reads, and ld's sizing rounds. Built from the stage
    results: ``script`` (stage 1), ``mapping`` (stages 3-4, its ``statements`` are
    sized), ``symbols`` (the objects' definitions), ``provided`` (the ``PROVIDE``
    targets ld defines), ``options`` and ``ei_class`` (32 or 64).

    Found while sizing: ``relro`` (``link_info.relro`` after
    ``lang_find_relro_sections``), ``relro_range`` (``link_info.relro_start``,
    ``relro_end``: set after a ``DATA_SEGMENT_END``) and ``relro_statements``
    (``"start"``/``"end"``: the statements that evaluated ``DATA_SEGMENT_ALIGN`` and
    ``DATA_SEGMENT_RELRO_END``, ld's ``relro_start_stat``/``relro_end_stat``)."""

    def __init__(
        self,
        script: ScriptStatements,
        mapping: InputMapping,
        symbols: ObjectSymbols,
        provided: set[str],
        options: Options,
        ei_class: int,
    ) -> None:
        self.script = script
        self.mapping = mapping
        self.statements = mapping.statements
        self.outputs = mapping.output_sections()
        self.regions = script.regions
        self.region_attributes = script.region_attributes
        self.page = script.page
        self.sane_expr = script.sane_expr
        self.dataseg: DataSegment | None = script.dataseg
        self.defined = symbols.defined
        self.script_refs = script.script_refs
        self.provided = provided
        self.check_sections = options.check_sections
        self.want_relro = options.relro
        # ld prints addresses (%V) with 8 hex digits for ELF32 outputs, 16 for ELF64.
        self.digits = 8 if ei_class == 32 else 16
        # SIZEOF of an output section not sized yet (ld: its bfd size, 0 before the
        # first pass) or never created (ld: no bfd section, 0).
        self.unsized: dict[str, int] = {output.name: 0 for output in self.outputs}
        self.relro = False
        self.relro_range: tuple[int, int] | None = None
        self.relro_statements: dict[str, ast.Node] = {}

    def size_pass(
        self, prev: PassResult, headers_size: int, final: bool, mark: bool = False
    ) -> PassResult:
        """One pass over the statements (``lang_size_sections_1``); ``prev`` is the
        previous pass's result, ``headers_size`` ``SIZEOF_HEADERS`` in bytes,
        ``final`` the pass whose symbol values are kept, ``mark`` the first pass."""
        sizing = SizingPass(self, prev, headers_size, final)
        sizing.mark = mark
        for item in self.statements:
            if isinstance(item, ExpressionStatement):
                if item.kind == "assign":
                    sizing.top_assign(item.node)
                else:
                    sizing.current[DEFAULT_REGION] = sizing.dot
                    sizing.do_assert(item.node, None)
            else:
                sizing.size_output(item)
        return sizing.result()

    def strip_empty(self, sizes: dict[int, int]) -> None:
        """``strip_excluded_output_sections``: an output section that got no size in
        the first pass (``sizes``: :attr:`PassResult.section_sizes`) and nothing
        that keeps it is removed; without a symbol assignment inside, ignored."""
        for output in self.outputs:
            if not output.has_bfd or output.name == "/DISCARD/":
                continue
            output.removed = sizes.get(id(output), 0) == 0 and not output.keep
            output.ignored = output.removed and not output.update_dot

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
            return result
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
        for output in self.outputs:
            if not output.has_bfd or output.removed or output.name == "/DISCARD/":
                continue
            if not output.bfd_flags & SEC_ALLOC:
                continue
            flags = output.bfd_flags
            tbss = bool(flags & SEC_THREAD_LOCAL and not flags & SEC_LOAD)
            out.append((output.vma, output.size, max(output.align, 1), tbss))
        return out

    def find_relro_sections(self, placement: dict[tuple[int, int], tuple[str, int]]) -> None:
        """``lang_find_relro_sections``: ``-z relro`` stays on only when a script
        input section description between the statement that evaluated
        ``DATA_SEGMENT_ALIGN`` and the one that evaluated ``DATA_SEGMENT_RELRO_END``
        (or the end) matches a non-empty allocated input section that went to an
        output section (wherever: ld walks the pattern's matches again)."""
        self.relro = False
        start = self.relro_statements.get("start")
        if not self.want_relro or start is None:
            return
        end = self.relro_statements.get("end")
        inside = False
        # The walk goes through the script's statements, an ONLY_IF_RO/RW section
        # whose constraint failed included (ld 2.40: `.gcc_except_table :
        # ONLY_IF_RW` of the default script keeps -z relro on with read-only
        # inputs); orphans have no input section descriptions.
        for item in self.script.statements:
            node = item.node if isinstance(item, ExpressionStatement) else None
            if node is not None and node is start:
                inside = True
                continue
            if node is not None and node is end:
                break
            if (
                inside
                and isinstance(item, OutputSectionStatement)
                and item.node is not None
                and self._relro_inputs(item, placement)
            ):
                self.relro = True
                return

    def _relro_inputs(
        self, item: OutputSectionStatement, placement: dict[tuple[int, int], tuple[str, int]]
    ) -> bool:
        """Does a description of ``item`` match a non-empty allocated, loaded (or
        not thread-local) input section that was placed?"""
        for child in item.children:
            if not isinstance(child, InputDescription) or child.node.span.file == "<orphan>":
                continue
            matcher = child.matcher
            for obj in self.mapping.files:
                if not matcher.file_selected(obj.path):
                    continue
                for s in self.mapping.sections_of(obj):
                    # the cheap tests first: the pattern is matched last
                    if (
                        s.size
                        and s.flags & SEC_ALLOC
                        and (s.flags & (SEC_THREAD_LOCAL | SEC_LOAD)) != SEC_THREAD_LOCAL
                        and s.key in placement
                        and matcher.match(s) is not None
                    ):
                        return True
        return False
