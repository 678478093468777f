"""The layout's inputs and result: plain dataclasses.

Inputs are the ET_REL objects' sections (:class:`InputSection`), the result is what
GNU ld 2.40 would write: output sections (:class:`OutputSection`), program headers
(:class:`Segment`), the symbols the script defines, the input sections discarded and
the orphans with where they went, and what kernlint did not model
(:class:`Unsupported`): the layout never guesses silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# BFD section flags (bfd/section.c), the vocabulary of ld's orphan placement and of
# bfd's segment mapping. Derived from ELF flags as _bfd_elf_make_section_from_shdr does.
SEC_ALLOC = 0x1
SEC_LOAD = 0x2
SEC_READONLY = 0x8
SEC_CODE = 0x10
SEC_DATA = 0x20
SEC_HAS_CONTENTS = 0x100
SEC_THREAD_LOCAL = 0x400
SEC_DEBUGGING = 0x10000
SEC_EXCLUDE = 0x8000
SEC_SMALL_DATA = 0x2000000

SHT_NOBITS = 8
SHT_NOTE = 7
SHF_WRITE = 0x1
SHF_ALLOC = 0x2
SHF_EXECINSTR = 0x4
SHF_TLS = 0x400
SHF_EXCLUDE = 0x80000000
SHF_GNU_RETAIN = 0x200000


@dataclass(frozen=True, slots=True)
class InputSection:
    """One section of an input object, as ld sees it: ``file`` is the path as given
    on the command line (file name patterns match it), ``index`` its section header
    index, ``size`` and ``align`` (``sh_addralign``, at least 1) in bytes, ``flags``
    the BFD flags derived from ``sh_flags``/``sh_type``. ``COMMON`` stands for the
    file's common symbols (ld manual "Input Section Common")."""

    file: str
    index: int
    name: str
    sh_type: int
    sh_flags: int
    size: int
    align: int
    flags: int
    file_index: int = 0

    @property
    def key(self) -> tuple[int, int]:
        return (self.file_index, self.index)

    def label(self) -> str:
        """``boot.o(.text)``, the way ld names an input section."""
        return f"{self.file}({self.name})"


@dataclass(frozen=True, slots=True)
class Placed:
    """An input section inside an output section: its offset from the output
    section's start."""

    section: InputSection
    offset: int


@dataclass(frozen=True, slots=True)
class OutputSection:
    """One output section: ``vma``, ``lma``, ``size`` in bytes; ``flags`` the ELF
    ``sh_flags`` ld gives it; ``sh_type`` (``SHT_NOBITS`` when nothing in it has
    contents); ``inputs`` in placement order; ``orphan`` when ld created it for an
    orphan; ``kept`` false for a section ld strips from the output (empty)."""

    name: str
    vma: int
    lma: int
    size: int
    flags: int
    sh_type: int
    align: int
    inputs: tuple[Placed, ...] = ()
    orphan: bool = False
    bfd_flags: int = 0

    @property
    def is_alloc(self) -> bool:
        return bool(self.flags & SHF_ALLOC)

    @property
    def end(self) -> int:
        return self.vma + self.size


@dataclass(frozen=True, slots=True)
class Segment:
    """One program header: ``p_type``, ``p_flags`` (PF_R 4, PF_W 2, PF_X 1),
    addresses and sizes as ld writes them, and the output sections it holds.
    ``headers``: it maps the ELF header and program headers too."""

    p_type: int
    p_flags: int
    p_vaddr: int
    p_paddr: int
    p_filesz: int
    p_memsz: int
    p_align: int
    sections: tuple[str, ...] = ()
    headers: bool = False
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Orphan:
    """An input section no pattern of the script matched, and the output section ld
    puts it in (``output``), after the output section ``after`` (None when it joined
    an output section of the same name, or went first)."""

    section: InputSection
    output: str
    after: str | None
    joined: bool = False


@dataclass(frozen=True, slots=True)
class Unsupported:
    """A construct the layout does not model: ``construct`` names it, ``where`` is
    ``file:line:col`` of the script (or the object), ``detail`` says what follows.
    A layout with unsupported constructs may differ from GNU ld's."""

    construct: str
    where: str
    detail: str


@dataclass(frozen=True, slots=True)
class AssertResult:
    """One ``ASSERT`` evaluated on the layout: ``ok`` is None when its value could not
    be computed."""

    node: object
    message: str
    ok: bool | None
    where: str


@dataclass(frozen=True, slots=True)
class Options:
    """The command-line options the layout models (GNU ld 2.40 defaults for
    x86-64 Linux): ``machine`` (``elf_x86_64`` or ``elf_i386``, else taken from the
    first object), ``max_page_size``/``common_page_size`` (``-z max-page-size``),
    ``separate_code`` (``-z separate-code``, ld's default on x86-64 Linux),
    ``gc_sections``, ``entry`` (``-e``, else the script's ``ENTRY``), ``undefined``
    (``-u``), ``check_sections`` (off with ``--no-check-sections``), ``relro``
    (``-z relro``, ld's default on x86-64 Linux; it matters only to scripts with
    ``DATA_SEGMENT_ALIGN``, as ld drops it when no input section lies between that
    and ``DATA_SEGMENT_RELRO_END``). A
    ``PT_GNU_STACK`` header is assumed (``-z noexecstack`` or ``.note.GNU-stack``
    in every object); no build-id note (``--build-id=none``)."""

    machine: str | None = None
    max_page_size: int = 0x1000
    common_page_size: int = 0x1000
    separate_code: bool = True
    gc_sections: bool = False
    entry: str | None = None
    undefined: tuple[str, ...] = ()
    check_sections: bool = True
    relro: bool = True


@dataclass(frozen=True, slots=True)
class RegionError:
    """A ``MEMORY`` region check GNU ld 2.40 fails (``ldlang.c``: ``os_region_check``
    during sizing, the overflow total in ``lang_check_section_addresses``).

    ``kind`` is ``"will-not-fit"`` (the region's location counter ran past
    ``ORIGIN + LENGTH`` after output section ``section``: ld prints "section `S' will
    not fit in region `R'" once per region, then "region `R' overflowed by N bytes"
    with N = ``overflow``, the final excess in bytes), ``"not-within"`` (a section
    with an explicit address put the region's counter, ``address``, outside the
    region) or ``"no-region"`` (``MEMORY`` exists but no region accepts the
    allocated ``section``: "no memory region specified for loadable section").
    ``origin`` and ``length`` are the region's, in bytes; ``sections`` the output
    sections placed in the region by VMA or LMA, in script order."""

    kind: str
    section: str
    region: str | None = None
    origin: int = 0
    length: int = 0
    address: int = 0
    overflow: int = 0
    sections: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BackwardMove:
    """An assignment to ``.`` inside output section ``section`` whose ``target``
    address is below ``before``, where the input sections and statements before it
    brought ``.``: GNU ld stops with "cannot move location counter backwards (from
    BEFORE to TARGET)" (``ld/ldexp.c``, ``exp_fold_tree_1``). ``node`` is the script's
    ``ast.Assignment``; addresses in bytes."""

    node: object
    section: str
    before: int
    target: int


@dataclass(frozen=True)
class Layout:
    """What GNU ld would produce. ``sections`` are the output sections written, in
    section-header order (ld strips empty ones); ``segments`` the program headers;
    ``symbols`` the values of the symbols the script defines (PROVIDE'd ones only
    when referenced), by name; ``discarded`` the input sections ``/DISCARD/`` or
    ``--gc-sections`` removed, with why; ``orphans``; ``asserts`` every ``ASSERT``
    evaluated; ``unsupported`` what was not modelled; ``errors`` the fatal errors ld
    would stop with (``cannot move location counter backwards``...); ``objects`` the
    :class:`~kernlint.layout.objects.ObjectFile` s laid out, in command-line order (their
    ``index`` is the first item of ``placement``'s keys), for rules that read their
    symbols and relocations (KL501); ``region_errors`` the ``MEMORY`` region checks
    ld fails, structured (KL216; their messages are in ``errors`` too);
    ``backward_moves`` the assignments to ``.`` ld refuses, structured (KL206)."""

    sections: tuple[OutputSection, ...]
    segments: tuple[Segment, ...]
    symbols: dict[str, int]
    discarded: tuple[tuple[InputSection, str], ...]
    orphans: tuple[Orphan, ...]
    asserts: tuple[AssertResult, ...] = ()
    unsupported: tuple[Unsupported, ...] = ()
    errors: tuple[str, ...] = ()
    entry: str | None = None
    entry_address: int | None = None
    headers_size: int = 0
    ei_class: int = 64
    placement: dict[tuple[int, int], tuple[str, int]] = field(default_factory=dict)
    objects: tuple = field(default=(), repr=False, compare=False)
    region_errors: tuple[RegionError, ...] = ()
    backward_moves: tuple[BackwardMove, ...] = ()

    def section(self, name: str) -> OutputSection | None:
        return next((s for s in self.sections if s.name == name), None)

    def address_of(self, section: InputSection) -> int | None:
        """The VMA an input section lands at, or None when it is not in the output."""
        where = self.placement.get(section.key)
        if where is None:
            return None
        out = self.section(where[0])
        return None if out is None else out.vma + where[1]
