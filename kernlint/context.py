"""The per-target context a rule's ``check`` receives."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from kernlint.config import Config
from kernlint.errors import InputError

if TYPE_CHECKING:
    import networkx

    from kernlint.boot.flat import FlatKernel
    from kernlint.boot.headers import BootHeaders
    from kernlint.bootsector import BootSector
    from kernlint.buildfacts import BuildFacts
    from kernlint.elf.model import Image
    from kernlint.layout.model import Layout
    from kernlint.ldscript import LoadedScript, ScriptSyntaxError
    from kernlint.ldscript.evaluate import Trace
    from kernlint.ldscript.preprocess import Preprocessed
    from kernlint.ldscript.template import Template
    from kernlint.pe.model import PeImage
    from kernlint.project import Project
    from kernlint.source import Source
    from kernlint.suppress import Suppression

#: Input kinds (``APPLIES_TO`` values of rule modules).
IMAGE = "image"  # an ELF file: ET_EXEC, ET_DYN or ET_REL
SCRIPT = "script"  # a GNU ld linker script that parses
SCRIPT_INVALID = "script-invalid"  # a linker script that does not parse (KL002)
#: A linker-script template the build turns into the script ld reads (C-preprocessor
#: lines, `@VAR@`/`${VAR}`/`%VAR%` markers), not handed to ld as it is (KL217).
SCRIPT_TEMPLATE = "script-template"
SOURCE = "source"  # assembly or a file holding inline assembly: .S .s .asm .nasm .rs .c
UNREADABLE = "unreadable"  # a file that could not be read or is malformed (KL001)
BOOT_SECTOR = "boot-sector"  # a raw BIOS boot sector: 512 bytes ending in 55 AA, or forced
#: A file kernlint does not recognise, named with ``--boot-protocol multiboot1``: a flat
#: kernel loaded through its Multiboot 1 header's a.out kludge (KL403, KL404).
FLAT_KERNEL = "flat-kernel"
#: A PE/COFF image (``MZ`` and ``PE\0\0`` at ``e_lfanew``, whatever its name): a UEFI
#: application or driver, or any other PE file (KL7; :mod:`kernlint.pe`).
PE_IMAGE = "pe-image"


@dataclass(frozen=True)
class Context:
    """One target: ``path`` as given, its ``kind``, the parsed model (``image`` for an ELF
    file, ``script`` for a linker script with its INCLUDEs resolved and ``script_text``
    its main file's text, ``source`` for assembly or a file with inline assembly), or
    what stopped reading it (``error``, or ``syntax_error`` for a script that does not
    parse, with ``script_text`` still set), and the run's ``config``.

    Facts that cost time (symbols, relocations, the graph) are computed on first use
    and cached here, so that a run pays only for what its selected rules read.
    """

    path: str
    kind: str
    config: Config
    image: Image | None = None
    source: Source | None = None
    script: LoadedScript | None = None
    script_text: str | None = None
    syntax_error: ScriptSyntaxError | None = None
    #: Why a ``script-template`` is one (see :mod:`kernlint.ldscript.template`).
    template: Template | None = None
    #: A template linted through its configured preprocessor: ``script`` and
    #: ``script_text`` are the output, and findings are mapped back to the template
    #: (see :mod:`kernlint.ldscript.preprocess`).
    preprocessed: Preprocessed | None = None
    error: InputError | None = None
    #: A raw boot sector (kind ``boot-sector``); ELF boot sectors are found by
    #: :func:`kernlint.bootsector.elf.elf_boot_sector` from ``image``.
    boot_sector: BootSector | None = None
    #: A flat kernel (kind ``flat-kernel``, :mod:`kernlint.boot.flat`).
    flat_kernel: FlatKernel | None = None
    #: A PE/COFF image (kind ``pe-image``, :mod:`kernlint.pe`).
    pe: PeImage | None = None
    #: Filled by the engine once the other rules have run (for KL003).
    unused_suppressions: tuple[Suppression, ...] = ()
    #: The run's project context (:class:`kernlint.project.Project`): the linker
    #: scripts given in the run, the configured targets' and the repository's, read on
    #: first use (KL601, KL602; KL101/KL102 on objects). None outside a run.
    project: Project | None = None

    @property
    def text(self) -> str | None:
        """The text of a text input (a source, a script's main file, a preprocessed
        template's own text), or None."""
        if self.preprocessed is not None:
            return self.preprocessed.template_text
        return self.source.text if self.source is not None else self.script_text

    @cached_property
    def elf_boot_sector(self) -> BootSector | None:
        """The boot sector ``image`` is (an ELF linked at 0x7c00, ...), or None; see
        :mod:`kernlint.bootsector.elf`. Read once, shared by the KL3 rules."""
        if self.image is None:
            return None
        from kernlint.bootsector.elf import elf_boot_sector

        layout = self.config.layout_for(self.path)
        forced = self.config.layout_for(self.path, targeted=True) is not None
        return elf_boot_sector(self.image, layout, forced=forced)

    @cached_property
    def boot_headers(self) -> BootHeaders | None:
        """The Multiboot headers and PVH notes of ``image`` as loaders find them (see
        :mod:`kernlint.boot.headers`), or None for anything but an ET_EXEC/ET_DYN
        image. Shared by the KL4 rules."""
        from kernlint.elf.facts import is_executable_file

        if self.image is None or not is_executable_file(self.image):
            return None
        from kernlint.boot.headers import read_headers

        return read_headers(self.image)

    @cached_property
    def boot_protocols(self) -> frozenset[str]:
        """The boot protocols to check ``image`` against: the configured one
        (``--boot-protocol``, ``boot-protocol``), or those detected (see
        :mod:`kernlint.boot.protocol`); empty for non-images."""
        headers = self.boot_headers
        if headers is None:
            return frozenset()
        from kernlint.boot.protocol import detect, resolve

        return resolve(
            self.config.protocol_for(self.path),
            lambda: detect(headers, is_boot_sector=self.elf_boot_sector is not None),
        )

    @property
    def object_paths(self) -> tuple[str, ...]:
        """The object files ``image`` was linked from (``--objects``, or its target's
        ``objects``), as given; empty when none were named."""
        return self.config.objects_for(self.path)

    @cached_property
    def script_trace(self) -> Trace:
        """The location counter followed through the script's SECTIONS (see
        :func:`kernlint.ldscript.evaluate.trace`), computed once for the rules that
        need it (KL204, KL205, KL206, KL211)."""
        from kernlint.ldscript.evaluate import trace

        assert self.script is not None
        return trace(self.script, page_size=self.config.page_size)

    @cached_property
    def build_facts(self) -> BuildFacts:
        """What the build files around ``path`` say about compiling and linking it
        (`--gc-sections`, `-ffunction-sections`, a Cargo project; see
        :mod:`kernlint.buildfacts`), read once on first use."""
        from kernlint.buildfacts import build_facts

        return build_facts(self.path)

    @cached_property
    def has_objects(self) -> bool:
        """A script whose objects are known: named (``--objects``, a target's
        ``objects``) or named by the script's own ``INPUT``/``GROUP``. Cheap (no layout
        import): the layout rules ask it before :attr:`layout`."""
        if self.script is None:
            return False
        if self.object_paths:
            return True
        from kernlint.ldscript import ast

        return any(isinstance(s, ast.Input | ast.Group) for s in self.script.statements())

    @cached_property
    def layout(self) -> Layout | None:
        """The layout GNU ld 2.40 would give the script's objects (``--objects``, the
        target's ``objects``, else the files its ``INPUT`` commands name), computed
        before linking by
        :mod:`kernlint.layout`, with ``--gc-sections`` when configured (``gc-sections``);
        None for anything but a script with objects. Imports
        the layout package (and the ELF reader) only when a rule asks."""
        if self.script is None:
            return None
        paths, names = list(self.object_paths), None
        if not paths:
            from kernlint.layout.objects import script_input_names

            found = script_input_names(self.script)
            paths, names = [p for p, _ in found], [n for _, n in found]
        if not paths:
            return None
        from kernlint.layout.engine import layout
        from kernlint.layout.model import Options
        from kernlint.layout.objects import read_objects

        options = Options(gc_sections=self.config.gc_sections_for(self.path))
        return layout(self.script, read_objects(paths, names), options)

    @cached_property
    def graph(self) -> networkx.MultiDiGraph:
        """The section/segment/symbol graph of ``image`` (see :mod:`kernlint.graph`)."""
        from kernlint.graph import build_graph

        assert self.image is not None
        return build_graph(self.image)
