"""Stage 4, place orphans (ld manual "Orphan Sections"; ``ldelf.c``
``ldelf_place_orphan``, ``output_rel_find``; ``ldlang.c`` ``lang_insert_orphan``,
``insert_os_after``, ``lang_output_section_find_by_flags``, GNU ld 2.40): an input
section no description took joins an output section statement of its own name, else
gets a new one after the output section named ``.text``/``.rodata``/``.tdata``/
``.data``/``.bss``/``.interp``/``.comment`` for its kind, else after the last output
section with the same flags; it inherits that section's regions and program headers.
Later orphans of a kind go after the previous one. ``COMMON`` without ``*(COMMON)``
joins ``.bss``; allocated relocation sections go to ``.rela.dyn``/``.rel.dyn`` after
the last read-only section. The linker-created sections are placed too but not
reported as orphans.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from kernlint.elf.constants import SHT_NOTE, SHT_REL, SHT_RELA
from kernlint.layout.mapping import CREATED_INDEX, InputMapping
from kernlint.layout.match import Matcher
from kernlint.layout.model import (
    SEC_ALLOC,
    SEC_CODE,
    SEC_DEBUGGING,
    SEC_HAS_CONTENTS,
    SEC_LOAD,
    SEC_READONLY,
    SEC_SMALL_DATA,
    SEC_THREAD_LOCAL,
    InputSection,
    Orphan,
)
from kernlint.layout.statements import (
    Diagnostics,
    ExpressionStatement,
    InputDescription,
    OutputSectionStatement,
)
from kernlint.ldscript import ast

#: ``ldelf_place_orphan``'s ``hold`` array: the output section each kind of orphan
#: goes after, when the script has one of that name.
_HOLD_NAMES = MappingProxyType(
    {
        "text": ".text",
        "rodata": ".rodata",
        "tdata": ".tdata",
        "data": ".data",
        "bss": ".bss",
        "interp": ".interp",
        "nonalloc": ".comment",
    }
)
#: The flags ``hold`` gives those names when ld has not created them yet.
_HOLD_FLAGS = MappingProxyType(
    {
        ".text": SEC_HAS_CONTENTS | SEC_ALLOC | SEC_LOAD | SEC_READONLY | SEC_CODE,
        ".rodata": SEC_HAS_CONTENTS | SEC_ALLOC | SEC_LOAD | SEC_READONLY | 0x20,
        ".tdata": SEC_HAS_CONTENTS | SEC_ALLOC | SEC_LOAD | 0x20 | SEC_THREAD_LOCAL,
        ".data": SEC_HAS_CONTENTS | SEC_ALLOC | SEC_LOAD | 0x20,
        ".bss": SEC_ALLOC,
        ".interp": SEC_HAS_CONTENTS | SEC_ALLOC | SEC_LOAD | SEC_READONLY | 0x20,
        ".comment": SEC_HAS_CONTENTS,
    }
)
#: lang_output_section_find_by_flags: the flags that must agree for an exact match.
_EXACT = (
    SEC_HAS_CONTENTS
    | SEC_ALLOC
    | SEC_LOAD
    | SEC_READONLY
    | SEC_CODE
    | SEC_SMALL_DATA
    | SEC_THREAD_LOCAL
)


@dataclass
class _Hold:
    """One ``hold`` entry: the section to place after, the last orphan statement
    placed for the kind, and whether the name was looked up."""

    after: OutputSectionStatement | None = None
    last: OutputSectionStatement | None = None
    looked_up: bool = False


def place_orphans(mapping: InputMapping, page: int, diagnostics: Diagnostics) -> list[Orphan]:
    """Stage 4: place every input of ``mapping`` not yet placed, in file and header
    order; inserts the new output section statements into ``mapping.statements``.
    Returns the orphans (linker-created sections left out)."""
    placer = _Placer(mapping, page, diagnostics)
    for obj in mapping.files:
        for section in mapping.sections_of(obj):
            if section.key in mapping.placed:
                continue
            mapping.placed.add(section.key)
            if section.name == "COMMON":
                placer.common(section)
            else:
                placer.place(section)
    return placer.orphans


class _Placer:
    def __init__(self, mapping: InputMapping, page: int, diagnostics: Diagnostics) -> None:
        self.mapping = mapping
        self.statements = mapping.statements
        self.page = page
        self.diagnostics = diagnostics
        self.hold: dict[str, _Hold] = {}
        self.orphans: list[Orphan] = []

    def outputs(self) -> list[OutputSectionStatement]:
        return [s for s in self.statements if isinstance(s, OutputSectionStatement)]

    def append(self, output: OutputSectionStatement, section: InputSection) -> None:
        node = ast.InputSectionDescription(
            file=None, sections=(), span=ast.Span("<orphan>", 0, 0, 0, 0)
        )
        holder = InputDescription(node, Matcher(node))
        holder.sections.append(section)
        output.children.append(holder)
        output.add_input(section, section.key in self.mapping.keep_keys, self.page)

    def common(self, section: InputSection) -> None:
        """Common symbols no ``*(COMMON)`` took: into ``.bss``."""
        target = next((o for o in self.outputs() if o.name == ".bss"), None)
        if target is None:
            self.diagnostics.unsupported_at(
                "COMMON", None, f"{section.file}: common symbols with no *(COMMON) and no .bss"
            )
            return
        self.append(target, section)
        self.orphans.append(Orphan(section, ".bss", None, joined=True))

    def place(self, s: InputSection) -> None:
        """``ldelf_place_orphan`` and ``lang_insert_orphan`` (ld 2.40)."""
        name = s.name
        if s.flags & SEC_ALLOC and s.sh_type in (SHT_RELA, SHT_REL):
            # -z combreloc (the default): allocated relocation sections go to one
            # .rela.dyn (.rel.dyn) output section.
            name = ".rela.dyn" if s.sh_type == SHT_RELA else ".rel.dyn"
        created = s.index <= CREATED_INDEX
        joined = self.same_name(name, s)
        if joined is not None:
            self.append(joined, s)
            if not created:
                self.orphans.append(Orphan(s, joined.name, None, joined=True))
            return
        kind = _orphan_kind(s)
        hold = self.hold.setdefault(kind, _Hold())
        if not hold.looked_up:
            hold.looked_up = True
            named = _HOLD_NAMES.get(kind)
            if named is not None:
                hold.after = next((o for o in self.outputs() if o.name == named), None)
        if kind == "rel" and hold.after is None:
            hold.after = self.output_rel_find()
        after = hold.after
        if after is None and kind is not None:
            after, exact = self.find_by_flags(s)
            if exact is not None:
                hold.after = exact
        new = OutputSectionStatement(name, None, orphan=True)
        if after is not None and s.flags & (SEC_LOAD | SEC_ALLOC):
            new.region = after.region
            new.lma_region = after.lma_region
            new.phdrs = after.phdrs
        self.append(new, s)
        new.zero_address = not s.flags & (SEC_LOAD | SEC_ALLOC)
        if kind is None or after is None:
            where = self.insert_after(None)
        elif hold.last is None:
            where = self.insert_after(after)
        else:
            where = self.statements.index(hold.last) + 1
        self.statements.insert(where, new)
        hold.last = new
        if not created:
            self.orphans.append(Orphan(s, name, after.name if after is not None else None))

    def same_name(self, name: str, s: InputSection) -> OutputSectionStatement | None:
        """The output section statement named ``name`` the orphan joins, if any
        (``lang_output_section_find``, then the flag and type checks of
        ``ldelf_place_orphan``)."""
        for output in self.outputs():
            if output.name != name or _special(output):
                continue
            if output.has_bfd and (
                output.bfd_flags == 0
                or (
                    ((s.flags ^ output.bfd_flags) & (SEC_LOAD | SEC_ALLOC)) == 0
                    and output.sh_type == s.sh_type
                )
            ):
                return output
            if not output.has_bfd:
                return output
        return None

    def output_rel_find(self) -> OutputSectionStatement | None:
        """ldelf.c ``output_rel_find`` for a dynamic relocation orphan (``isdyn``):
        none when the script has a ``.rel*`` output section before it, else the last
        read-only allocated output section, else the last allocated one, else the
        last one."""
        last = last_alloc = last_ro_alloc = None
        for look in self.outputs():
            if look.name.startswith(".rel") and not _special(look):
                break
            last = look
            if look.has_bfd and look.bfd_flags & SEC_ALLOC:
                last_alloc = look
                if look.bfd_flags & SEC_READONLY:
                    last_ro_alloc = look
        return last_ro_alloc or last_alloc or last

    def insert_after(self, after: OutputSectionStatement | None) -> int:
        """ld's ``insert_os_after``: skip what belongs to ``after`` (symbol
        assignments); assignments to ``.`` just before the next output section belong
        to that section (except the first one, when ``after`` is the head)."""
        statements = self.statements
        if after is None:
            start = 0
            ignore_first = True
        else:
            start = statements.index(after) + 1
            ignore_first = False
        assign = None
        i = start
        while i < len(statements):
            item = statements[i]
            if isinstance(item, ExpressionStatement):
                if assign is None and item.kind == "assign" and item.node.target == ".":
                    if not ignore_first:
                        assign = i
                    ignore_first = False
                i += 1
                continue
            if isinstance(item, OutputSectionStatement) and assign is not None:
                s_alloc = item.has_bfd and (item.bfd_flags & SEC_ALLOC)
                if not item.has_bfd or not item.has_input or s_alloc:
                    return assign
            return i
        return i

    def find_by_flags(
        self, s: InputSection
    ) -> tuple[OutputSectionStatement | None, OutputSectionStatement | None]:
        """``lang_output_section_find_by_flags`` with ELF type matching, then
        without; returns (section to place after, exact match)."""
        # /DISCARD/ is an output section statement to ld too (flags 0): a
        # non-allocated orphan may go after it.
        looks = self.outputs()
        for match_type in (True, False):
            found = _find_by_flags(looks, s, match_type)
            if found[0] is not None:
                return found
        return None, None


def _flags_of(look: OutputSectionStatement, s: InputSection, match_type: bool) -> int | None:
    """The flags ``lang_output_section_find_by_flags`` compares for ``look``; None
    when the ELF types must match and do not (``_bfd_elf_match_sections_by_type``)."""
    if look.has_bfd:
        if match_type and look.sh_type != s.sh_type:
            return None
        return look.bfd_flags
    return _HOLD_FLAGS.get(look.name, 0)


def _last_with(looks, s: InputSection, match_type: bool, mask: int):
    """The last statement whose flags agree with the orphan's under ``mask``."""
    found = None
    for look in looks:
        f = _flags_of(look, s, match_type)
        if f is not None and not (f ^ s.flags) & mask:
            found = look
    return found


def _find_by_flags(looks, s: InputSection, match_type: bool):
    """One round of ``lang_output_section_find_by_flags``: an exact flag match
    (also the new ``hold`` entry), else the last section of the orphan's class."""
    sec_flags = s.flags
    found = _last_with(looks, s, match_type, _EXACT)
    if found is not None:
        return found, found
    alloc = sec_flags & SEC_ALLOC
    if sec_flags & SEC_CODE and alloc:
        mask = SEC_HAS_CONTENTS | SEC_ALLOC | SEC_LOAD | SEC_CODE | SEC_THREAD_LOCAL
    elif sec_flags & SEC_READONLY and alloc:
        mask = SEC_HAS_CONTENTS | SEC_ALLOC | SEC_LOAD | SEC_READONLY
    elif sec_flags & SEC_THREAD_LOCAL and alloc:
        return _find_tls(looks, sec_flags), None
    elif sec_flags & SEC_HAS_CONTENTS and alloc:
        mask = SEC_HAS_CONTENTS | SEC_ALLOC | SEC_LOAD | SEC_THREAD_LOCAL
    elif alloc:
        mask = SEC_ALLOC
    else:
        for look in looks:
            f = look.bfd_flags if look.has_bfd else _HOLD_FLAGS.get(look.name, 0)
            if not (f ^ sec_flags) & SEC_DEBUGGING:
                found = look
        return found, None
    return _last_with(looks, s, match_type, mask), None


def _find_tls(looks, sec_flags: int) -> OutputSectionStatement | None:
    """The thread-local class: after the last TLS section of the first run of them
    (types not compared)."""
    found = None
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
    return found


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


def _special(output: OutputSectionStatement) -> bool:
    """A constraint other than a met ``ONLY_IF_RO``/``ONLY_IF_RW`` (those whose
    constraint failed are gone from the statements): orphans do not join it by name
    (``lang_output_section_find`` takes constraints >= 0; ld 2.40 puts an orphan
    ``.foo`` into a kept ``.foo : ONLY_IF_RO``)."""
    return output.node is not None and output.node.constraint not in (
        None,
        "ONLY_IF_RO",
        "ONLY_IF_RW",
    )
