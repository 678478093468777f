"""The linker script syntax tree: frozen records, each with its source span.

Names follow the GNU ld manual (binutils 2.40, chapter "Linker Scripts"); each class
cites the manual node it models. Every node has a ``span`` (keyword-only). Lists are
tuples, so nodes are hashable and can key dictionaries (``LoadedScript.included`` does).

Expressions are kept as written: a ``Number`` has the value GNU ld computes *and* the
literal text, so rules can tell ``010`` (octal for GNU ld, decimal for ld.lld) from ``8``.
Nothing here evaluates layout; that is the rules' business.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from .record import finish, record

if TYPE_CHECKING:
    from .errors import ScriptDiagnostic


@dataclass(frozen=True, slots=True)
class Span:
    """Where a node stands in its file: 1-based line and column of its first character,
    and the line and column just past its last character (``end_column`` is exclusive,
    as in SARIF regions). Columns count characters; a tab is one column."""

    file: str
    line: int
    column: int
    end_line: int
    end_column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@record
class Node:
    """Base of every syntax tree node. Nodes are built with keyword arguments."""

    span: Span


# ----------------------------------------------------------------------------- expressions


@record
class Number(Node):
    """An integer constant (ld manual §3.10.1 Constants).

    ``value`` is what GNU ld 2.40 computes: ``0x``/``$`` hexadecimal, a leading ``0``
    for octal, radix suffixes ``h x o b d``, ``K``/``M`` multipliers, 64-bit wrap-around
    of the multiplier and saturation of an over-long literal (ld uses ``strtoul``).
    ``text`` is the literal as written."""

    value: int
    text: str

    @property
    def is_octal(self) -> bool:
        """True for a leading-zero literal such as ``010`` that GNU ld reads as octal
        (ld.lld reads it as decimal)."""
        digits = self.text.rstrip("KkMm")
        return len(digits) > 1 and digits[0] == "0" and digits.isdigit()

    @property
    def is_suffixed_word(self) -> bool:
        """True when the literal starts with a letter, like ``dead`` or ``bad``: a word
        the author probably meant as a symbol, which GNU ld reads as a number."""
        return self.text[:1].isalpha()


@record
class Symbol(Node):
    """A symbol reference in an expression (ld manual §3.10.3 Symbol Names).
    ``quoted`` is true for ``"name"``."""

    name: str
    quoted: bool = False


@record
class Dot(Node):
    """The location counter ``.`` (ld manual §3.10.5 The Location Counter)."""


@record
class Name(Node):
    """A name argument of a builtin function that is not an expression: the section of
    ``SIZEOF(.text)``, the region of ``ORIGIN(ram)``, the symbol of ``DEFINED(sym)``,
    the message of ``ASSERT(x, "msg")`` (ld manual §3.10.9 Builtin Functions)."""

    value: str
    quoted: bool = False


@record
class Unary(Node):
    """A prefix operator: ``-``, ``+``, ``!`` or ``~`` (ld manual §3.10.6 Operators)."""

    op: str
    operand: Expr


@record
class Binary(Node):
    """A binary operator with C precedence (ld manual §3.10.6 Operators)."""

    op: str
    left: Expr
    right: Expr


@record
class Ternary(Node):
    """``condition ? if_true : if_false`` (ld manual §3.10.6 Operators)."""

    condition: Expr
    if_true: Expr
    if_false: Expr


@record
class Call(Node):
    """A builtin function such as ``ALIGN(4K)`` or ``SIZEOF(.text)``
    (ld manual §3.10.9 Builtin Functions). ``SIZEOF_HEADERS`` has no arguments."""

    function: str
    args: tuple[Expr | Name, ...]


Expr: TypeAlias = Number | Symbol | Dot | Unary | Binary | Ternary | Call


# ----------------------------------------------------------------------------- statements


@record
class Assignment(Node):
    """``target op expr;`` and its wrapped forms ``PROVIDE(target = expr)``,
    ``PROVIDE_HIDDEN(...)`` and ``HIDDEN(...)`` (ld manual §3.5 Assigning Values to
    Symbols). ``kind`` is ``None`` for a plain assignment, else the wrapper keyword."""

    target: str
    op: str
    expr: Expr
    kind: str | None = None


@record
class Assert(Node):
    """``ASSERT(condition, message)`` as a statement (ld manual §3.4.5 Other Linker
    Script Commands). The expression form ``. = ASSERT(...)`` is a ``Call``."""

    condition: Expr
    message: str


@record
class Include(Node):
    """``INCLUDE filename`` (ld manual §3.4.2 Commands Dealing with Files).

    ``context`` says what the included file may contain, since ld reads it as if its
    text stood here: ``"script"`` (top level), ``"sections"`` (inside SECTIONS),
    ``"section"`` (inside an output section) or ``"memory"`` (inside MEMORY)."""

    path: str
    context: str
    quoted: bool = False


@record
class FilePattern(Node):
    """The file part of an input section description: a wildcard pattern, possibly
    ``archive:member``, possibly sorted (``SORT``/``SORT_BY_NAME``/``SORT_NONE``) and
    with ``EXCLUDE_FILE`` in front (ld manual §3.6.4.1 Input Section Basics).
    ``sort`` lists the sorting keywords as written, outermost first, ``SORT`` spelled
    ``SORT_BY_NAME``."""

    pattern: str
    sort: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    quoted: bool = False


@record
class SectionPattern(Node):
    """One section name pattern inside the parentheses of an input section description,
    with its sorting keywords (outermost first) and the ``EXCLUDE_FILE`` list written
    just before it (ld manual §3.6.4.2 Input Section Wildcard Patterns)."""

    pattern: str
    sort: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    quoted: bool = False


@record
class InputSectionDescription(Node):
    """``file(section ...)``, ``KEEP(...)`` around it, a bare file name (all its
    sections), or ``[ section ... ]`` (no file part) (ld manual §3.6.4 Input Section
    Description, §3.6.4.4 Input Section and Garbage Collection for KEEP).

    ``flags`` holds the ``INPUT_SECTION_FLAGS`` names as written (``!SHF_WRITE``
    included), empty when there are none."""

    file: FilePattern | None
    sections: tuple[SectionPattern, ...]
    keep: bool = False
    flags: tuple[str, ...] = ()

    @property
    def whole_file(self) -> bool:
        """True for a bare file name, which takes every section of that file."""
        return self.file is not None and not self.sections


@record
class Data(Node):
    """``BYTE``, ``SHORT``, ``LONG``, ``QUAD`` or ``SQUAD`` with its value
    (ld manual §3.6.5 Output Section Data)."""

    size: str
    value: Expr

    @property
    def width(self) -> int:
        """Bytes the statement stores."""
        return {"BYTE": 1, "SHORT": 2, "LONG": 4, "QUAD": 8, "SQUAD": 8}[self.size]


@record
class Fill(Node):
    """The ``FILL(expr)`` statement inside an output section (ld manual §3.6.5 Output
    Section Data). The ``=fillexp`` trailer is ``OutputSection.fill``."""

    value: Expr


@record
class CreateObjectSymbols(Node):
    """``CREATE_OBJECT_SYMBOLS`` (ld manual §3.6.6 Output Section Keywords)."""


@record
class Constructors(Node):
    """``CONSTRUCTORS`` or ``SORT(CONSTRUCTORS)`` (ld manual §3.6.6 Output Section
    Keywords)."""

    sorted: bool = False


SectionStatement: TypeAlias = (
    Assignment
    | Assert
    | Include
    | InputSectionDescription
    | Data
    | Fill
    | CreateObjectSymbols
    | Constructors
)


@record
class SectionType(Node):
    """The ``(type)`` of an output section: ``NOLOAD``, ``DSECT``, ``COPY``, ``INFO``,
    ``OVERLAY``, ``READONLY``, ``TYPE = expr`` or ``READONLY (TYPE = expr)``
    (ld manual §3.6.8.1 Output Section Type). ``value`` is the TYPE expression."""

    kind: str
    value: Expr | None = None


@record
class OutputSection(Node):
    """An output section description (ld manual §3.6.1 Output Section Description, with
    §3.6.3 address, §3.6.8 attributes: type, ``AT(lma)``, ``ALIGN``,
    ``ALIGN_WITH_INPUT``, ``SUBALIGN``, ``ONLY_IF_RO``/``ONLY_IF_RW``, ``>region``,
    ``AT>lma_region``, ``:phdr`` list and ``=fill``). ``/DISCARD/`` is an output section
    with that name (§3.6.7 Output Section Discarding)."""

    name: str
    address: Expr | None = None
    type: SectionType | None = None
    at: Expr | None = None
    align: Expr | None = None
    align_with_input: bool = False
    subalign: Expr | None = None
    constraint: str | None = None
    statements: tuple[SectionStatement, ...] = ()
    region: str | None = None
    lma_region: str | None = None
    phdrs: tuple[str, ...] = ()
    fill: Expr | None = None
    name_span: Span | None = None

    @property
    def is_discard(self) -> bool:
        return self.name == "/DISCARD/"


@record
class OverlaySection(Node):
    """One section inside ``OVERLAY { ... }`` (ld manual §3.6.9 Overlay Description)."""

    name: str
    statements: tuple[SectionStatement, ...]
    phdrs: tuple[str, ...] = ()
    fill: Expr | None = None
    name_span: Span | None = None


@record
class Overlay(Node):
    """``OVERLAY [start] : [NOCROSSREFS] [AT(ldaddr)] [SUBALIGN(x)] { ... }``
    (ld manual §3.6.9 Overlay Description)."""

    start: Expr | None = None
    nocrossrefs: bool = False
    at: Expr | None = None
    subalign: Expr | None = None
    sections: tuple[OverlaySection, ...] = ()
    region: str | None = None
    lma_region: str | None = None
    phdrs: tuple[str, ...] = ()
    fill: Expr | None = None


@record
class Entry(Node):
    """``ENTRY(symbol)`` (ld manual §3.4.1 Setting the Entry Point)."""

    symbol: str


SectionsStatement: TypeAlias = OutputSection | Overlay | Assignment | Assert | Entry | Include


@record
class Sections(Node):
    """``SECTIONS { ... }`` (ld manual §3.6 SECTIONS Command)."""

    statements: tuple[SectionsStatement, ...]


@record
class MemoryRegion(Node):
    """``name [(attr)] : ORIGIN = origin, LENGTH = len`` (ld manual §3.7 MEMORY
    Command). ``attributes`` is the attribute text without spaces (``"rx!w"``), or
    ``None`` when there is no parenthesis."""

    name: str
    attributes: str | None = None
    origin: Expr
    length: Expr
    name_span: Span | None = None


@record
class Memory(Node):
    """``MEMORY { ... }`` (ld manual §3.7 MEMORY Command)."""

    regions: tuple[MemoryRegion | Include, ...]


# ELF program header types GNU ld 2.40 knows by name in PHDRS (ldgram.y phdr_type).
PHDR_TYPES: dict[str, int] = {
    "PT_NULL": 0,
    "PT_LOAD": 1,
    "PT_DYNAMIC": 2,
    "PT_INTERP": 3,
    "PT_NOTE": 4,
    "PT_SHLIB": 5,
    "PT_PHDR": 6,
    "PT_TLS": 7,
    "PT_GNU_EH_FRAME": 0x6474E550,
    "PT_GNU_STACK": 0x6474E551,
    "PT_GNU_RELRO": 0x6474E552,
    "PT_GNU_PROPERTY": 0x6474E553,
}


@record
class Phdr(Node):
    """``name type [FILEHDR] [PHDRS] [AT(address)] [FLAGS(flags)];`` (ld manual §3.8
    PHDRS Command). ``type`` is a ``Symbol`` such as ``PT_LOAD`` or any expression."""

    name: str
    type: Expr
    filehdr: bool = False
    phdrs: bool = False
    at: Expr | None = None
    flags: Expr | None = None
    name_span: Span | None = None

    @property
    def type_value(self) -> int | None:
        """The ``p_type`` number when the type is a known name or a literal."""
        if isinstance(self.type, Symbol):
            return PHDR_TYPES.get(self.type.name)
        if isinstance(self.type, Number):
            return self.type.value
        return None


@record
class Phdrs(Node):
    """``PHDRS { ... }`` (ld manual §3.8 PHDRS Command)."""

    headers: tuple[Phdr, ...]


@record
class OutputFormat(Node):
    """``OUTPUT_FORMAT(bfdname)`` or ``OUTPUT_FORMAT(default, big, little)`` (ld manual
    §3.4.3 Commands Dealing with Object File Formats)."""

    default: str
    big: str | None = None
    little: str | None = None


@record
class OutputArch(Node):
    """``OUTPUT_ARCH(bfdarch)`` (ld manual §3.4.5 Other Linker Script Commands)."""

    arch: str


@record
class Target(Node):
    """``TARGET(bfdname)`` (ld manual §3.4.3 Commands Dealing with Object File Formats)."""

    bfdname: str


@record
class SearchDir(Node):
    """``SEARCH_DIR(path)`` (ld manual §3.4.2 Commands Dealing with Files)."""

    path: str


@record
class Output(Node):
    """``OUTPUT(filename)`` (ld manual §3.4.2 Commands Dealing with Files)."""

    filename: str


@record
class Startup(Node):
    """``STARTUP(filename)`` (ld manual §3.4.2 Commands Dealing with Files)."""

    filename: str


@record
class Map(Node):
    """``MAP(filename)``: where to write the link map (accepted by ldgram.y, not in the
    manual)."""

    filename: str


@record
class InputFile(Node):
    """One entry of ``INPUT``/``GROUP``: a file name, ``-lname`` (``library``), possibly
    inside ``AS_NEEDED(...)`` (ld manual §3.4.2 Commands Dealing with Files)."""

    name: str
    library: bool = False
    as_needed: bool = False
    quoted: bool = False


@record
class Input(Node):
    """``INPUT(file ...)`` (ld manual §3.4.2 Commands Dealing with Files)."""

    files: tuple[InputFile, ...]


@record
class Group(Node):
    """``GROUP(file ...)`` (ld manual §3.4.2 Commands Dealing with Files)."""

    files: tuple[InputFile, ...]


@record
class Extern(Node):
    """``EXTERN(symbol ...)`` (ld manual §3.4.5 Other Linker Script Commands)."""

    symbols: tuple[str, ...]


@record
class Insert(Node):
    """``INSERT AFTER section`` / ``INSERT BEFORE section`` (ld manual §3.4.5 Other
    Linker Script Commands). ``where`` is ``"AFTER"`` or ``"BEFORE"``."""

    where: str
    section: str


@record
class NoCrossRefs(Node):
    """``NOCROSSREFS(section ...)``, or ``NOCROSSREFS_TO(section ...)`` when ``to`` is
    true (ld manual §3.4.5 Other Linker Script Commands)."""

    sections: tuple[str, ...]
    to: bool = False


@record
class RegionAlias(Node):
    """``REGION_ALIAS(alias, region)`` (ld manual §3.4.4 Assign alias names to memory
    regions)."""

    alias: str
    region: str


@record
class LdFeature(Node):
    """``LD_FEATURE(string)`` (ld manual §3.4.5 Other Linker Script Commands)."""

    feature: str


@record
class FlagCommand(Node):
    """A command without arguments: ``FORCE_COMMON_ALLOCATION``,
    ``INHIBIT_COMMON_ALLOCATION``, ``FORCE_GROUP_ALLOCATION`` (ld manual §3.4.5 Other
    Linker Script Commands) or the historical ``FLOAT``/``NOFLOAT``."""

    keyword: str


@record
class LibraryList(Node):
    """The historical ``HLL(...)`` and ``SYSLIB(...)`` commands (ldgram.y only)."""

    keyword: str
    names: tuple[str, ...]


@record
class VersionPattern(Node):
    """A symbol pattern in a version node; ``language`` is set inside
    ``extern "C++" { ... }`` (ld manual §3.9 VERSION Command)."""

    pattern: str
    language: str | None = None
    quoted: bool = False


@record
class VersionNode(Node):
    """``tag { global: ...; local: ...; } deps;`` (ld manual §3.9 VERSION Command).
    ``tag`` is ``None`` for the anonymous node ``{ ... };``. Patterns before any
    ``global:``/``local:`` label count as global, as in ld."""

    tag: str | None
    global_patterns: tuple[VersionPattern, ...] = ()
    local_patterns: tuple[VersionPattern, ...] = ()
    depends: tuple[str, ...] = ()


@record
class Version(Node):
    """``VERSION { ... }`` (ld manual §3.9 VERSION Command)."""

    nodes: tuple[VersionNode, ...]


Statement: TypeAlias = (
    Memory
    | Sections
    | Phdrs
    | Version
    | Entry
    | Assignment
    | Assert
    | Include
    | OutputFormat
    | OutputArch
    | Target
    | SearchDir
    | Output
    | Startup
    | Map
    | Input
    | Group
    | Extern
    | Insert
    | NoCrossRefs
    | RegionAlias
    | LdFeature
    | FlagCommand
    | LibraryList
)


@record
class Script(Node):
    """A parsed linker script file (ld manual §3.2 Linker Script Format), or the
    contents of a file brought in by ``INCLUDE`` (then ``statements`` holds what the
    include context allows: output section statements for ``"section"``, and so on).

    ``diagnostics`` holds what ld would only warn about while reading, such as an
    invalid character it ignores."""

    path: str
    statements: tuple[Node, ...]
    context: str = "script"
    diagnostics: tuple[ScriptDiagnostic, ...] = ()


finish()

# ----------------------------------------------------------------------------- walking

_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(cls: type) -> tuple[str, ...]:
    names = _CHILD_FIELDS.get(cls)
    if names is None:
        names = tuple(f for f in cls.__record_fields__ if f not in ("span", "name_span"))
        _CHILD_FIELDS[cls] = names
    return names


def children(node: Node) -> Iterator[Node]:
    """The direct child nodes of ``node``, in source order of the fields."""
    for name in _child_fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, Node):
            yield value
        elif isinstance(value, tuple):
            for item in value:
                if isinstance(item, Node):
                    yield item


def walk(node: Node) -> Iterator[Node]:
    """Every node under ``node`` (itself included), depth first, parents before
    children. Iterative, so it copes with any nesting the parser accepts."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(list(children(current))))
