"""The run-level project context: the linker scripts that decide where an input
section goes.

A flagless GNU as section (KL601, KL101 on an object) or a NASM section without
``exec`` (KL602, KL102 on an object) is a bug only if the link leaves it so. GNU ld
gives an output section the union of its input sections' flags (``ldlang.c``,
``lang_add_section``: ``output->flags |= input->flags``), empty inputs included
(checked with GNU ld 2.40: an empty ``.data`` of a GNU as object makes its output
section ``WA``), so a flagless section merged into an allocated output section
(``.text : { *(.text) *(mysec) }``) is loaded and executable. Only one that is alone
in its output section (``.bootcode : { KEEP(*(.bootcode)) }``), with only other
non-allocated inputs, or an orphan (ld's orphan placement gives a non-allocated
section no ``PT_LOAD``) is lost. Data statements (``LONG(0)``) and ``. += N`` inside
an output section make it allocated too (ld 2.40: flags ``A``).

:class:`Project` gathers, once per run and only when a rule asks, the scripts that may
place a section: the linker scripts given in the same run, those of the configured
``[[tool.kernlint.target]]`` tables, and, for an input inside a git repository, the
project's own tracked linker scripts (``git ls-files`` for script names: pre-commit
passes only the changed source). Scripts are parsed with
:func:`kernlint.ldscript.load_script`; templates (cpp directives, ``@VAR@``,
``${VAR}``) and scripts that do not parse are skipped, and the count and size read
are capped (:data:`MAX_REPO_SCRIPTS`, :data:`MAX_SCRIPT_BYTES`,
:data:`MAX_TOTAL_BYTES`). :meth:`Project.place` answers, for an input section name
(and the object names a file pattern may match), where each script puts it
(:class:`Placement`): merged with allocated (or executable) inputs, alone, discarded
(``/DISCARD/``) or matched by no pattern (orphan).

Nothing here runs for a run that asks nothing: building a :class:`Project` reads no
file, and lark is imported only when a script is parsed.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from kernlint.worktree import git_root, unique_paths

if TYPE_CHECKING:
    from kernlint.config import Config
    from kernlint.ldscript import LoadedScript

#: Where a script puts an input section (:attr:`Placement.verdict`).
MERGED = "merged"  # in an output section that other inputs make allocated/executable
ALONE = "alone"  # in an output section that nothing else makes so
DISCARDED = "discarded"  # in /DISCARD/, or kept out of memory on purpose: (COPY), (INFO)
ORPHAN = "orphan"  # matched by no input section description

#: Tracked file names that are linker scripts or templates of one (git pathspecs; in
#: git's default pathspec magic ``*`` matches ``/`` too, so these match at any depth).
SCRIPT_PATHSPECS = (
    "*.ld",
    "*.lds",
    "*.x",
    "*.ldscript",
    "*.ld.S",
    "*.lds.S",
    "*.ldS",
    "*.ld.in",
    "*.lds.in",
    "*.x.in",
    "*.ld.template",
    "*.lds.template",
    "*.template.ld",
    "*.ld.tpl",
    "*.lds.tpl",
)
#: At most this many repository scripts are read per repository (the nearest to the
#: input first: :func:`_distance`); a project with more is judged on those.
MAX_REPO_SCRIPTS = 300
#: Scripts larger than this (bytes) are skipped: real ones are kilobytes.
MAX_SCRIPT_BYTES = 1 << 20
#: At most this many bytes of repository scripts are parsed per repository.
MAX_TOTAL_BYTES = 8 << 20
#: Seconds ``git ls-files`` may take.
GIT_TIMEOUT = 10.0

SHF_WRITE, SHF_ALLOC, SHF_EXECINSTR = 0x1, 0x2, 0x4
_FLAG_BITS = {"SHF_WRITE": SHF_WRITE, "SHF_ALLOC": SHF_ALLOC, "SHF_EXECINSTR": SHF_EXECINSTR}

#: Input sections every object GNU as or GCC writes has, even empty (GNU as creates
#: ``.text``, ``.data`` and ``.bss`` at start-up: ``gas/as.c``, ``subsegs_begin`` and
#: ``obj_elf`` set-up), with the flags they carry; an output section that collects
#: one of them is at least that allocated (ld 2.40 merges the flags of empty inputs).
ALWAYS_PRESENT = {
    ".text": SHF_ALLOC | SHF_EXECINSTR,
    ".data": SHF_ALLOC | SHF_WRITE,
    ".bss": SHF_ALLOC | SHF_WRITE,
}

#: Input sections most links have besides: GCC writes ``.rodata`` for constants and
#: string literals. They count for an allocated output section, never an executable one.
USUALLY_PRESENT = {".rodata": SHF_ALLOC}

_TEMPLATE_SUFFIXES = (".S", ".ldS", ".in", ".template", ".tpl")
_TEMPLATE_MARKERS = re.compile(
    r"^[ \t]*#[ \t]*(?:include|if|ifdef|ifndef|elif|else|endif|define|undef)\b"
    r"|@[A-Za-z_]\w*@|\$\{\w+\}|\{\{|\{%",
    re.M,
)
_NON_ALLOC_TYPES = frozenset({"NOLOAD", "INFO", "COPY", "DSECT"})


@dataclass(frozen=True)
class Placement:
    """Where one script puts one input section: ``script`` (its path as found),
    ``verdict`` (:data:`MERGED`, :data:`ALONE`, :data:`DISCARDED`, :data:`ORPHAN`),
    the ``output`` section name and where it is written (``file``, ``line``: the
    script or a file it INCLUDEs; None for an orphan), ``why`` in words (what makes
    the output section allocated, or why nothing does), and ``explicit``: the script
    was given in the run or is a configured target's (it is the one ld reads), not
    only found in the repository."""

    script: str
    verdict: str
    output: str | None = None
    file: str | None = None
    line: int | None = None
    why: str = ""
    explicit: bool = False
    #: The output section holds a `. = ALIGN(n)` that makes ld pad (and allocate) it
    #: whenever the inputs do not end on that boundary.
    padded: bool = False

    @property
    def loses(self) -> bool:
        """True when the script leaves the section as it is (alone or orphan)."""
        return self.verdict in (ALONE, ORPHAN)

    def where(self) -> str:
        """``script:line`` of the output section, or the script alone."""
        path = _short(self.file or self.script)
        return f"{path}:{self.line}" if self.line else path


@dataclass(frozen=True)
class Placements:
    """The answer of :meth:`Project.place`: one :class:`Placement` per script that
    has a ``SECTIONS`` command, nearest to the input first; ``deciding``, the ones that
    decide (the explicit scripts when any, else the nearest repository scripts that
    match the section, else every script, all orphans); and ``uncertain``, the
    templates and unread scripts that mention the section's name (their text, once
    preprocessed, may place it)."""

    placements: tuple[Placement, ...] = ()
    deciding: tuple[Placement, ...] = ()
    uncertain: tuple[str, ...] = ()
    #: Repository scripts left unread (over :data:`MAX_REPO_SCRIPTS` or
    #: :data:`MAX_TOTAL_BYTES`): an orphan verdict is then uncertain.
    unread: int = 0

    @property
    def found(self) -> bool:
        """True when some script was found that places sections."""
        return bool(self.placements)

    @property
    def losing(self) -> tuple[Placement, ...]:
        """The deciding placements that lose the section."""
        return tuple(p for p in self.deciding if p.loses)

    @property
    def keeping(self) -> tuple[Placement, ...]:
        """The placements (deciding or not) that merge or discard the section."""
        return tuple(p for p in self.placements if not p.loses)


@dataclass
class _Script:
    path: str
    explicit: bool
    loaded: LoadedScript | None = None
    text: str = ""
    template: bool = False
    descriptions: list[_Desc] | None = None


@dataclass(frozen=True)
class _Desc:
    """One input section description in reading order, with its output section."""

    output: str
    file: str
    line: int
    out_type: str | None
    out_data: bool  # the output section holds data statements or a constant `. += N`
    out_align: bool  # it holds `. = ALIGN(n)`, n > 1, which pads when it moves `.`
    discard: bool
    file_pattern: str | None
    file_exclude: tuple[str, ...]
    sections: tuple[tuple[str, tuple[str, ...]], ...]  # (pattern, EXCLUDE_FILE)
    flags: tuple[str, ...]
    order: int  # index of the output section statement


@dataclass
class Project:
    """What the run knows about the project beyond each input: the linker scripts that
    may place an input section. ``run_scripts`` are the scripts named in the run (the
    ones ld reads: they decide when they place sections), ``config`` supplies the
    configured targets' scripts (likewise), ``walked_scripts`` those found in folders
    the run walks; repository scripts are found
    per input (:meth:`place`). Cheap to build: nothing is read until :meth:`place` is
    called, and each script is read and parsed at most once per run."""

    run_scripts: tuple[str, ...] = ()
    config: Config | None = None
    #: Scripts found in folders the run walks: like the repository's, the nearest decide.
    walked_scripts: tuple[str, ...] = ()
    _scripts: dict[str, _Script] = field(default_factory=dict, repr=False)
    _repos: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)

    def offer(self, path: str, loaded: LoadedScript, text: str, explicit: bool = True) -> None:
        """Hand over a script the engine has already parsed (a run input; ``explicit``
        when it was named rather than found in a folder), so that it is not parsed
        twice."""
        key = os.path.realpath(path)
        if key not in self._scripts:
            self._scripts[key] = _Script(path, explicit, loaded, text)

    # -- finding scripts ---------------------------------------------------------
    def _explicit(self) -> list[str]:
        paths = list(self.run_scripts)
        if self.config is not None:
            from kernlint.classify import SCRIPT_SUFFIXES

            paths += [p for p in self.config.target_paths() if p.endswith(SCRIPT_SUFFIXES)]
        return unique_paths(paths)

    def repository_scripts(self, path: str) -> tuple[str, ...]:
        """The tracked linker scripts (and templates) of the git repository holding
        ``path``, as absolute paths; empty outside a repository or without git.
        :meth:`place` reads at most :data:`MAX_REPO_SCRIPTS` of them."""
        root = git_root(os.path.dirname(os.path.abspath(path)))
        if root is None:
            return ()
        if root not in self._repos:
            self._repos[root] = _ls_scripts(root)
        return self._repos[root]

    def _script(self, path: str, explicit: bool, budget: list[int]) -> _Script | None:
        key = os.path.realpath(path)
        got = self._scripts.get(key)
        if got is not None:
            got.explicit = got.explicit or explicit
            return got
        try:
            size = os.path.getsize(path)
        except OSError:
            return None
        if size > MAX_SCRIPT_BYTES or (not explicit and size > budget[0]):
            return None
        budget[0] -= size
        try:
            with open(path, "rb") as f:
                data = f.read(MAX_SCRIPT_BYTES + 1)
        except OSError:
            return None
        if b"\0" in data:
            self._scripts[key] = _Script(path, explicit, None, "")
            return self._scripts[key]
        from kernlint.ldscript.lexing import decode

        text = decode(data)
        script = _Script(path, explicit, None, text)
        if path.endswith(_TEMPLATE_SUFFIXES) or _TEMPLATE_MARKERS.search(text):
            script.template = True
        else:
            try:
                from kernlint.ldscript import load_script

                script.loaded = load_script(path, text=text)
            except Exception:  # a script that does not parse: skipped (KL002 is its rule)
                script.loaded = None
        self._scripts[key] = script
        return script

    # -- answering ---------------------------------------------------------------
    def place(
        self,
        path: str,
        section: str,
        files: Sequence[str] = (),
        sh_flags: int = 0,
        need: int = SHF_ALLOC,
        siblings: Mapping[str, int] | None = None,
    ) -> Placements:
        """Where the scripts put the input section ``section`` (flags ``sh_flags``) of
        the object built from, or being, ``path``; ``files`` are the names the object
        may have on ld's command line (file patterns such as ``*boot.o(.text)`` are
        matched against them; empty: only patterns that take every file apply).
        ``need`` is the flag (``SHF_ALLOC`` or ``SHF_EXECINSTR``) other inputs must
        bring to the output section for the section to count as merged. ``siblings``:
        the other sections the same source declares, name to ``sh_flags``: inputs that
        surely exist, like the ``.text`` every object has (Theseus's
        ``section .init.text32 ... exec`` beside the flagless ``.init.text.high``, both
        taken by ``*(.init .init.*)``)."""
        budget = [MAX_TOTAL_BYTES]
        explicit = [s for p in self._explicit() if (s := self._script(p, True, budget))]
        here = os.path.abspath(path)
        nearby = dict.fromkeys(self.repository_scripts(path))
        nearby.update(dict.fromkeys(os.path.abspath(p) for p in self.walked_scripts))
        word = re.compile(r"(?<![\w.])" + re.escape(section) + r"(?![\w.])")
        # The scripts that name the section first (a name is matched mostly where it is
        # written), then by distance; at most MAX_REPO_SCRIPTS are parsed.
        ranked = sorted(nearby, key=lambda p: (not _mentions(p, word), _distance(p, here), p))
        truncated = len(ranked) > MAX_REPO_SCRIPTS
        repo = []
        for p in ranked[:MAX_REPO_SCRIPTS]:
            got = self._script(p, False, budget)
            if got is None:
                truncated = truncated or budget[0] <= 0
            else:
                repo.append(got)
        placements: list[Placement] = []
        uncertain: list[str] = []
        chosen = {id(s) for s in explicit}
        for script in [*explicit, *[s for s in repo if id(s) not in chosen]]:
            if script.loaded is None:
                if script.text and word.search(script.text):
                    uncertain.append(script.path)
                continue
            descs = _descriptions(script)
            if not descs:
                continue  # a fragment without SECTIONS (MEMORY only, an INCLUDEd part)
            placements.append(_place(script, descs, section, files, sh_flags, need, siblings or {}))
        if explicit and any(p.explicit for p in placements):
            deciding = tuple(p for p in placements if p.explicit)
        else:
            # The nearest scripts that match the section decide; but the source's own
            # scripts (in its folder or below) that all leave it an orphan decide even
            # when a farther script places it (RIOT's `cpu/lpc23xx/ldscripts/` orphan
            # `.fini0`, which only the AVR script takes): judge() then says so, at
            # info.
            folder = os.path.dirname(here) + os.sep
            own = [p for p in placements if os.path.abspath(p.script).startswith(folder)]
            matching = [p for p in placements if p.verdict != ORPHAN]
            if own and all(p.verdict == ORPHAN for p in own) and matching:
                deciding = tuple(own)
            elif matching:
                best = min(_distance(p.script, here) for p in matching)
                deciding = tuple(p for p in matching if _distance(p.script, here) == best)
            else:
                deciding = tuple(placements)
        unread = len(ranked) - len(repo) if truncated else 0
        return Placements(tuple(placements), deciding, tuple(uncertain), unread)


def _short(path: str) -> str:
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


@lru_cache(maxsize=4096)
def _head(path: str) -> str:
    """The first :data:`MAX_SCRIPT_BYTES` of ``path`` as text ("" when unreadable)."""
    try:
        with open(path, "rb") as f:
            return f.read(MAX_SCRIPT_BYTES).decode("latin-1")
    except OSError:
        return ""


def _mentions(path: str, word: re.Pattern[str]) -> bool:
    return word.search(_head(path)) is not None


#: Folder names too common to say two paths are about the same CPU or board.
_GENERIC_FOLDERS = frozenset(
    {
        "src",
        "source",
        "sources",
        "lib",
        "libs",
        "common",
        "include",
        "inc",
        "scripts",
        "script",
        "ldscripts",
        "ld",
        "linker",
        "arch",
        "boards",
        "board",
        "cpu",
        "cpus",
        "soc",
        "socs",
        "mach",
        "plat",
        "platform",
        "platforms",
        "chip",
        "chips",
        "core",
        "kernel",
        "boot",
        "startup",
        "build",
        "config",
        "configs",
        "port",
        "ports",
        "drivers",
        "hal",
        "bsp",
    }
)


def _distance(script: str, here: str) -> tuple[int, int]:
    """How far the script is from the input ``here``, for ranking (smaller is nearer):
    first the folder names the two paths share below their common folder (not counting
    :data:`_GENERIC_FOLDERS`), negated (``boards/renesas/sh1/.../sram.ld`` is nearer to
    ``arch/renesas/src/sh1/sh1_head.S`` than ``boards/arm/rp23xx/.../memmap.ld``: multi-
    board trees name a CPU in both places), then the folders between them: up from the
    input's folder to the nearest common one, then down to the script's (0: the same
    folder)."""
    a = os.path.dirname(os.path.abspath(script)).split(os.sep)
    b = os.path.dirname(os.path.abspath(here)).split(os.sep)
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    shared = len((set(a[n:]) & set(b[n:])) - _GENERIC_FOLDERS)
    return -shared, (len(b) - n) + (len(a) - n)


def _ls_scripts(root: str) -> tuple[str, ...]:
    """Absolute paths of the tracked files of ``root`` with script names; empty when
    git is missing, fails or takes longer than :data:`GIT_TIMEOUT`."""
    import subprocess

    try:
        proc = subprocess.run(
            ["git", "-C", root, "ls-files", "-z", "--", *SCRIPT_PATHSPECS],
            capture_output=True,
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ()
    if proc.returncode != 0:
        return ()
    names = proc.stdout.decode("utf-8", "replace").split("\0")
    return tuple(os.path.join(root, n) for n in names if n)


def _descriptions(script: _Script) -> list[_Desc]:
    """The input section descriptions of ``script`` in GNU ld's reading order."""
    if script.descriptions is not None:
        return script.descriptions
    from kernlint.ldscript import ast

    out: list[_Desc] = []
    order = 0
    for node in script.loaded.walk():
        if isinstance(node, ast.OutputSection | ast.OverlaySection):
            order += 1
            statements = node.statements
            data = any(
                isinstance(s, ast.Data) or (isinstance(s, ast.Assignment) and _grows(s))
                for s in statements
            )
            align = any(isinstance(s, ast.Assignment) and _aligns(s) for s in statements)
            out_type = node.type.kind if isinstance(node, ast.OutputSection) and node.type else None
            discard = node.name == "/DISCARD/"
            span = node.name_span or node.span
            for s in statements:
                if not isinstance(s, ast.InputSectionDescription):
                    continue
                out.append(
                    _Desc(
                        node.name,
                        span.file,
                        span.line,
                        out_type,
                        data,
                        align,
                        discard,
                        s.file.pattern if s.file else None,
                        s.file.exclude if s.file else (),
                        tuple((p.pattern, p.exclude) for p in s.sections),
                        s.flags,
                        order,
                    )
                )
    script.descriptions = out
    return out


def _aligns(a) -> bool:
    """``. = ALIGN(n)`` with a constant n > 1: ld pads the output section when that
    moves the location counter (unless the inputs end on the boundary), which makes
    it allocated (managarm's `.trampoline : { *(.trampoline) . = ALIGN(0x1000); }`,
    checked with ld 2.40)."""
    from kernlint.ldscript import ast

    e = a.expr
    return (
        a.target == "."
        and a.op == "="
        and isinstance(e, ast.Call)
        and e.function.upper() == "ALIGN"
        and len(e.args) == 1
        and isinstance(e.args[0], ast.Number)
        and e.args[0].value > 1
    )


def _grows(a) -> bool:
    """``. += N`` or ``. = . + N`` with a constant N > 0: ld then pads the output
    section, which makes it allocated (ld 2.40)."""
    from kernlint.ldscript import ast

    if a.target != ".":
        return False
    e = a.expr
    if a.op == "+=":
        return isinstance(e, ast.Number) and e.value > 0
    return (
        a.op == "="
        and isinstance(e, ast.Binary)
        and e.op == "+"
        and isinstance(e.left, ast.Dot)
        and isinstance(e.right, ast.Number)
        and e.right.value > 0
    )


def _match(pattern: str, name: str) -> bool:
    """ld's ``fnmatch(pattern, name, 0)``: shell wildcards, case-sensitive, ``*``
    matching ``/`` too."""
    return pattern == name or (
        any(c in pattern for c in "*?[") and fnmatch.fnmatchcase(name, pattern)
    )


def _file_match(pattern: str, files: Sequence[str]) -> bool | None:
    """True when the file pattern takes every file (``*``), True/False for the named
    ``files``; None when it names files and none are known (it may or may not take
    the object)."""
    if pattern == "*":
        return True
    if ":" in pattern:
        archive, _, member = pattern.partition(":")
        if archive and archive != "*":
            return False
        pattern = member or "*"
    if not files:
        return None
    return any(_match(pattern, f) or _match(pattern, os.path.basename(f)) for f in files)


def _takes(d: _Desc, name: str, files: Sequence[str], sh_flags: int) -> bool | None:
    """Does ``d`` take the input section ``name`` of an object named one of ``files``?
    None when it depends on a file name that is not known."""
    for flag in d.flags:
        bit = _FLAG_BITS.get(flag.lstrip("!"))
        if bit is not None and bool(sh_flags & bit) == flag.startswith("!"):
            return False
    if d.file_pattern is not None:
        hit = _file_match(d.file_pattern, files)
        if hit is False:
            return False
        if d.file_exclude and files and any(_file_match(x, files) for x in d.file_exclude):
            return False
        if not d.sections:  # a bare file name: every section of that file
            return hit
    else:
        hit = True
    for pattern, exclude in d.sections:
        if _match(pattern, name):
            if exclude and files and any(_file_match(x, files) for x in exclude):
                continue
            return hit
    return False


def _receives(descs: list[_Desc], name: str) -> set[int]:
    """The output sections (by ``order``) an input section ``name`` of some object
    lands in: the first description that takes it from every file, and those before
    it that take it from some files."""
    got: set[int] = set()
    for d in descs:
        if d.flags:
            continue
        if not any(_match(p, name) for p, _ in d.sections):
            continue
        got.add(d.order)
        if (d.file_pattern in (None, "*") and not d.file_exclude) and not any(
            x for p, x in d.sections if _match(p, name)
        ):
            break
    return got


def _place(
    script: _Script,
    descs: list[_Desc],
    section: str,
    files: Sequence[str],
    sh_flags: int,
    need: int,
    siblings: Mapping[str, int],
) -> Placement:

    target = next((d for d in descs if _takes(d, section, files, sh_flags) is not False), None)
    if target is None:
        return Placement(
            script.path,
            ORPHAN,
            why="no input section description matches it",
            explicit=script.explicit,
        )
    base = dict(
        script=script.path,
        output=target.output,
        file=target.file,
        line=target.line,
        explicit=script.explicit,
    )
    if target.discard:
        return Placement(verdict=DISCARDED, why="the script discards it", **base)
    if target.out_type in _NON_ALLOC_TYPES:
        # (COPY), (INFO), (NOLOAD)...: the script keeps it out of memory on purpose
        # (nRF's `.stack_dummy (COPY) : { *(.stack*) }` sizes the stack it reserves).
        return Placement(
            verdict=DISCARDED,
            why=f"the script makes output section {target.output} ({target.out_type})",
            **base,
        )
    # The other inputs: the names every GNU as and GCC object has (and .rodata, which
    # GCC writes for any constant or string literal), each counted where ld would put
    # it. A name the script merely spells out (`KEEP(*(.bootcode .text.boot .init))`)
    # is no evidence that such an input exists.
    candidates = {**ALWAYS_PRESENT, **USUALLY_PRESENT}
    candidates.update((n, f) for n, f in siblings.items() if n != section)
    brought = sorted(
        name
        for name, flags in candidates.items()
        if flags & need and target.order in _receives(descs, name)
    )
    if brought:
        return Placement(
            verdict=MERGED,
            why=f"with {', '.join(brought)} ({_flag_text(candidates[brought[0]])})",
            **base,
        )
    if need == SHF_ALLOC and target.out_data:
        return Placement(verdict=MERGED, why="with data statements that allocate it", **base)
    what = "allocated" if need == SHF_ALLOC else "executable"
    padded = need == SHF_ALLOC and target.out_align
    return Placement(
        verdict=ALONE, why=f"no {what} input section goes there with it", padded=padded, **base
    )


def _flag_text(flags: int) -> str:
    return (
        "".join(
            c
            for bit, c in ((SHF_WRITE, "W"), (SHF_ALLOC, "A"), (SHF_EXECINSTR, "X"))
            if flags & bit
        )
        or "no flags"
    )


@dataclass(frozen=True)
class Verdict:
    """What the scripts say about a section a rule suspects: ``severity`` None keeps
    the rule's own; ``text`` is appended to the rule's message."""

    severity: str | None
    text: str


def judge(found: Placements, section: str, need: int = SHF_ALLOC) -> Verdict | None:
    """The verdict on ``section`` from :meth:`Project.place`'s answer: None (silent)
    when every deciding script merges it into an allocated (``need``: executable)
    output section or discards it; the rule's severity when a deciding script leaves
    it alone or, with nothing uncertain, every script leaves it an orphan; ``warning``
    when no script was found (or some were left unread); ``info`` when the only scripts
    that name it are templates kernlint cannot read without a preprocessor."""
    what = "allocated" if need == SHF_ALLOC else "executable"
    shapes = (
        f"it stays as it is if the script gives it an output section of its own"
        f" (`{section} : {{ KEEP(*({section})) }}`) or leaves it an orphan, and becomes"
        f" {what} if the script merges it into an output section with {what} inputs"
        f" (`.text : {{ *(.text) *({section}) }}`)"
    )
    if not found.found:
        if found.uncertain:
            names = ", ".join(f"`{_short(p)}`" for p in found.uncertain[:3])
            return Verdict(
                "info",
                f"; the only scripts that name it are templates kernlint does not"
                f" preprocess ({names}), so it cannot tell (configure `preprocessor` to"
                f" lint them): {shapes}",
            )
        return Verdict(
            "warning",
            f"; no linker script was found (none given, configured or tracked in the"
            f" repository): {shapes}",
        )
    losing = found.losing
    if not losing:
        return None
    alone = [p for p in losing if p.verdict == ALONE]
    keeping = [p for p in found.keeping if p.verdict == MERGED]
    if alone:
        p = alone[0]
        text = f"; `{p.where()}` puts it in output section {p.output}, and {p.why}"
        if keeping:
            k = keeping[0]
            text += f" (`{k.where()}` merges it into {k.output}, {k.why})"
        if all(a.padded for a in alone):
            return Verdict(
                "info",
                text + f"; but {p.output} holds a `. = ALIGN(...)`, and GNU ld pads and so"
                " allocates the output section whenever that moves the location counter,"
                " which it does unless the section's code ends on the boundary",
            )
        return Verdict(None, text)
    names = ", ".join(f"`{_short(p.script)}`" for p in losing[:3])
    more = f" and {len(losing) - 3} more" if len(losing) > 3 else ""
    if need == SHF_ALLOC:
        fate = "GNU ld places it as an orphan, which stays outside every PT_LOAD"
    else:
        fate = (
            "GNU ld places it as an orphan next to sections of like flags (read-only"
            " data), in a segment that may lack PF_X"
        )
    text = f"; no input section description of {names}{more} matches it: {fate}"
    if keeping and not any(p.explicit for p in losing):
        # Which of them links this file is not written anywhere kernlint reads (RIOT's
        # lpc23xx scripts orphan `.fini0`, which only the AVR script takes: judged
        # true; U-Boot's EFI-app scripts beside arm/lib/vectors_m.S orphan `.vectors`,
        # which the board scripts take: judged false), so say it at info.
        k = keeping[0]
        return Verdict(
            "info",
            text + f" (`{k.where()}`, farther from this file, merges it into {k.output}:"
            " if that is the script this file is linked with, nothing is lost; name the"
            " script with --script or a target to decide)",
        )
    if found.unread:
        return Verdict(
            "warning",
            text + f" (kernlint left {found.unread} more of the project's scripts unread)",
        )
    if found.uncertain:
        tpl = ", ".join(f"`{_short(t)}`" for t in found.uncertain[:3])
        return Verdict(
            "info",
            text + f" (unless the templates {tpl}, which name it, place it: configure"
            " `preprocessor` to lint them)",
        )
    return Verdict(None, text)


def object_names(source: str) -> tuple[str, ...]:
    """The names the object built from ``source`` may have on ld's command line, for
    matching file patterns: ``boot.o`` (make), ``boot.S.o`` / ``boot.S.obj`` (CMake,
    meson), each also under the source's folder."""
    base = os.path.basename(source)
    stem = base.rsplit(".", 1)[0]
    names = (f"{stem}.o", f"{base}.o", f"{base}.obj", f"{stem}.obj")
    folder = os.path.dirname(source)
    return names + tuple(os.path.join(folder, n) for n in names if folder)


def section_verdict(ctx, name: str, sh_flags: int, need: int, files: Sequence[str] | None = None):
    """For a rule: what the linker scripts say about input section ``name`` (flags
    ``sh_flags``) of the input ``ctx.path`` (see :func:`judge`). False when they merge
    it into allocated (``need``: executable) output or discard it: report nothing.
    None outside a run (no project context): report as the rule always did. Else the
    :class:`Verdict`. ``files``: the object's names on ld's command line; default:
    ``ctx.path`` and its base name for an object, :func:`object_names` for a source."""
    if ctx.project is None:
        return None
    if files is None:
        path = ctx.path
        files = (path, os.path.basename(path)) if ctx.image is not None else object_names(path)
    found = ctx.project.place(ctx.path, name, files, sh_flags, need)
    verdict = judge(found, name, need)
    return False if verdict is None else verdict


def scripts_around(ctx) -> list[str]:
    """The scripts that may INCLUDE the input of ``ctx`` (a :class:`Context`): those of
    the run, of the configured targets and of its repository, the nearest folder
    first; empty outside a run."""
    project = ctx.project
    if project is None:
        return []
    paths = [*project.run_scripts, *project.walked_scripts]
    paths += [p for p in ctx.config.target_paths() if p not in paths]
    paths += project.repository_scripts(ctx.path)
    here = os.path.dirname(os.path.abspath(ctx.path))

    def distance(p: str) -> int:
        there = os.path.dirname(os.path.abspath(p))
        common = os.path.commonpath([here, there])
        return here.count(os.sep) + there.count(os.sep) - 2 * common.count(os.sep)

    return sorted(dict.fromkeys(paths), key=distance)
