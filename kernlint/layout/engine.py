"""The layout driver: runs the stages in ld's order (``ldlang.c`` ``lang_process``,
``ldelf.c`` ``ldelf_map_segments``, GNU ld 2.40) and assembles the
:class:`~.model.Layout`. Each stage is a module with its own data structure (see the
package docstring): :mod:`.statements` → (:mod:`.symbols`, :mod:`.gc`) →
:mod:`.mapping` → :mod:`.orphans` → :mod:`.sizing` ⇄ :mod:`.segments` →
:mod:`.output`.

Sizing and program headers depend on each other through ``SIZEOF_HEADERS``: as in
``ldelf_map_segments``, the first ("mark") pass decides which output sections are
empty, then sizing rounds and segment mappings alternate until the addresses, the
symbol values and the headers' size are stable (at most :data:`MAX_PASSES`; after
four mappings the headers may only grow), and a final pass gives the symbols
``lang_do_assignments``' values.

What is not modelled is reported as :class:`~.model.Unsupported`, never guessed:
``INSERT``, the ``SPECIAL`` constraint, ``DATA_SEGMENT_*`` inside an output section,
section types other than ``NOLOAD``/``INFO``/``COPY``/``DSECT``/``READONLY``,
archives, ``.eh_frame`` editing, ``.note.gnu.property`` merging, relaxation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kernlint.layout.mapping import map_inputs, propagate_lma_regions
from kernlint.layout.model import InputSection, Layout, Options, OutputSection, Segment
from kernlint.layout.objects import ObjectFile
from kernlint.layout.orphans import place_orphans
from kernlint.layout.output import mask32, output_sections, overlaps
from kernlint.layout.segments import HeaderInputs, headers_guess, program_headers
from kernlint.layout.sizing import PassResult, Sizer
from kernlint.layout.statements import Diagnostics, ScriptStatements, collect_statements
from kernlint.layout.symbols import (
    ObjectSymbols,
    object_symbol_table,
    provided_symbols,
    symbol_address,
)
from kernlint.ldscript.evaluate import Env, address_of, render

#: ldelf_map_segments gives up ("looping in map_segments") after 10 mappings.
MAX_PASSES = 10


@dataclass(frozen=True)
class _Sized:
    """The result of sizing and segment mapping: the final pass, the output sections
    (64-bit addresses), the headers' size in bytes."""

    final: PassResult
    sections: list[OutputSection]
    headers: int


def layout(loaded, objects: list[ObjectFile], options: Options | None = None) -> Layout:
    """The layout GNU ld 2.40 gives ``objects`` (in command-line order) linked with
    the script ``loaded`` (a :class:`~kernlint.ldscript.LoadedScript`)."""
    options = options or Options()
    diagnostics = Diagnostics()
    ei_class = _ei_class(objects, options)
    script = collect_statements(loaded, options, bool(objects), diagnostics)
    symbols = object_symbol_table(objects)
    provided = provided_symbols(
        [*loaded.walk(), *script.overlay_provides], script.script_refs, symbols
    )
    _report_edited_inputs(objects, diagnostics)
    discarded: list[tuple[InputSection, str]] = []
    if options.gc_sections:
        from kernlint.layout.gc import collect_garbage

        gc_dropped, problem = collect_garbage(
            loaded,
            objects,
            symbols.defined,
            script.entry,
            [*options.undefined, *script.extern],
            script.script_refs,
        )
        if problem:
            diagnostics.errors.append(problem)
        discarded.extend((s, "--gc-sections") for s in gc_dropped)
    mapping = map_inputs(script, loaded, objects, ei_class, {s.key for s, _ in discarded})
    discarded.extend(mapping.discarded)
    orphans = place_orphans(mapping, script.page, diagnostics)
    propagate_lma_regions(mapping.output_sections())
    sizer = Sizer(script, mapping, symbols, provided, options, ei_class)
    inputs = HeaderInputs(
        phdrs=script.phdrs,
        statements=tuple(mapping.output_sections()),
        ei_class=ei_class,
        page=options.max_page_size,
        separate_code=options.separate_code,
        load_phdrs=script.load_phdrs,
        diagnostics=diagnostics,
    )
    sized = _size_and_map(sizer, inputs, ei_class)
    sections, segments, segment_errors = _final_segments(sized, sizer, inputs, options, ei_class)
    final = sized.final
    for what, expr in final.unresolved:
        diagnostics.unsupported_at(
            "expression",
            expr,
            f"{what}: `{render(expr)}` could not be evaluated (an undefined symbol, or"
            " something not modelled)",
        )
    values = _symbol_values(final)
    return Layout(
        sections=tuple(sections),
        segments=tuple(segments),
        symbols=values,
        discarded=tuple(discarded),
        orphans=tuple(orphans),
        asserts=tuple(final.asserts),
        unsupported=tuple(_unique(diagnostics.unsupported)),
        errors=tuple(dict.fromkeys(diagnostics.errors + final.errors + segment_errors)),
        entry=script.entry,
        entry_address=_entry_address(script, symbols, final, values),
        headers_size=sized.headers,
        ei_class=ei_class,
        placement=final.placement,
        objects=tuple(objects),
        region_errors=tuple(final.region_errors),
        backward_moves=tuple(final.backward_moves),
    )


def _ei_class(objects: list[ObjectFile], options: Options) -> int:
    """``ELFCLASS32`` (32) or ``ELFCLASS64`` (64): ``-m``, else the first object's."""
    if options.machine == "elf_i386":
        return 32
    if options.machine == "elf_x86_64":
        return 64
    return objects[0].ei_class if objects else 64


def _report_edited_inputs(objects: list[ObjectFile], diagnostics: Diagnostics) -> None:
    """Inputs ld edits (``.eh_frame``) or merges (``.note.gnu.property``): their
    output size may differ; once per object."""
    for obj in objects:
        for section in obj.sections:
            if section.name == ".eh_frame":
                diagnostics.unsupported_at(
                    ".eh_frame", None, f"{section.file}: ld edits .eh_frame; its size may differ"
                )
                break
            if section.name == ".note.gnu.property":
                diagnostics.unsupported_at(
                    ".note.gnu.property", None, f"{section.file}: ld merges this note"
                )
                break


def _headers_size(ei_class: int, count: int) -> int:
    """``SIZEOF_HEADERS`` for ``count`` program headers, in bytes."""
    return (64 if ei_class == 64 else 52) + count * (56 if ei_class == 64 else 32)


def _size_and_map(sizer: Sizer, inputs: HeaderInputs, ei_class: int) -> _Sized:
    """The mark pass, ``lang_find_relro_sections``, then sizing rounds and segment
    mappings until stable (``ldelf_map_segments``), then the final pass."""
    headers = headers_guess(inputs, sizer.relro)
    # Sizes once to know which output sections are empty, as ld does before
    # strip_excluded_output_sections.
    result = sizer.size_pass(PassResult(), headers, final=False, mark=True)
    sizer.strip_empty(result.section_sizes)
    if sizer.dataseg is not None:
        sizer.find_relro_sections(result.placement)
        sizer.dataseg.relro = sizer.relro
        headers = headers_guess(inputs, sizer.relro)  # counts a PT_GNU_RELRO with relro
    passes = 0
    while True:
        passes += 1
        new = sizer.size_sections(result, headers)
        sections = output_sections(sizer.outputs)
        segments, _ = program_headers(inputs, sections, headers, _relro(sizer))
        new_headers = _headers_size(ei_class, len(segments))
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
    final = sizer.size_pass(result, headers, final=True)
    return _Sized(final, output_sections(sizer.outputs), headers)


def _relro(sizer: Sizer) -> tuple[int, int] | None:
    return sizer.relro_range if sizer.relro else None


def _final_segments(
    sized: _Sized, sizer: Sizer, inputs: HeaderInputs, options: Options, ei_class: int
) -> tuple[list[OutputSection], list[Segment], list[str]]:
    """The checks ``lang_check_section_addresses`` makes on the final sections (their
    messages go to ``sized.final.errors``), then the sections and program headers
    written (ELF32: the low 32 bits of the addresses), and the headers' errors."""
    sections = sized.sections
    errors = sized.final.errors
    if options.check_sections:
        errors.extend(overlaps(sections, 8 if ei_class == 32 else 16))
    if len(sections) > 1:
        # lang_check_section_addresses returns at once for an output with at most one
        # section, before its overlap and region-overflow checks (observed, ld 2.40).
        for e in sized.final.region_errors:
            if e.kind == "will-not-fit":
                s = "s" if e.overflow != 1 else ""
                errors.append(f"region `{e.region}' overflowed by {e.overflow} byte{s}")
    if ei_class == 32:
        sections = [mask32(s) for s in sections]
    segments, segment_errors = program_headers(inputs, sections, sized.headers, _relro(sizer))
    return sections, segments, segment_errors


def _symbol_values(final: PassResult) -> dict[str, int]:
    """The addresses of the symbols the script assigns."""
    values: dict[str, int] = {}
    env = Env(starts=final.starts, complete=True)
    for name, value in final.script.items():
        a = address_of(value, env)
        if a is not None:
            values[name] = a
    return values


def _entry_address(
    script: ScriptStatements, symbols: ObjectSymbols, final: PassResult, values: dict[str, int]
) -> int | None:
    if script.entry is None:
        return None
    if script.entry in values:
        return values[script.entry]
    return symbol_address(symbols.defined, final.placement, final.starts, script.entry)


def _unique(items: Iterable) -> Iterable:
    seen = set()
    for item in items:
        if item not in seen:
            seen.add(item)
            yield item


__all__ = ["MAX_PASSES", "layout"]
