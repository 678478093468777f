"""``load_script``: read a linker script file and the files its ``INCLUDE``s name.

Where GNU ld 2.40 looks for an ``INCLUDE`` (``ld/ldfile.c``,
``ldfile_open_command_file_1`` -> ``ldfile_find_command_file``: "First try raw name",
then each ``search_head`` entry, the ``-L`` folders in command-line order followed by
the script's ``SEARCH_DIR``s, then the default script folder), checked with GNU ld
2.40 (``tests/ldscript/test_include.py``): the current directory, then the ``-L``
folders in order. ld 2.40 does *not* look beside the including script: a file found
only there is "cannot open linker script file" unless the build links in that folder
or passes it with ``-L`` -- which is what builds do (Tock's ``-L`` of the board
folder, cortex-m-rt's ``-L $OUT_DIR``, makefiles that link in the script's folder).
kernlint follows ld's order and then, as the build's usual ``-L``, the script's:

1. the current directory (``cwd``; kernlint's own by default);
2. each ``search_dirs`` entry (``-L DIR``, the ``search-dirs`` key), in order, then
   the main script's ``SEARCH_DIR``s (relative ones from ``cwd``, as ld takes them);
3. the directory of the file that holds the ``INCLUDE``, then that of the main
   script (not ld's own search: the build's usual ``-L``).

An absolute name is read as it is. kernlint reads no file outside the *roots*: the
repository holding the main script (its git top level; outside git, the main
script's directory) and the ``search_dirs`` (symbolic links resolved): an
``INCLUDE`` that leads elsewhere (an absolute path, ``..``, a link) is not followed
and is reported as ``outside-roots`` (a warning that names the path and the roots).

Every problem with an ``INCLUDE`` is an ``IncludeDiagnostic`` on the result, never an
exception: ``missing`` (ld: "cannot open linker script file"; an error only when
``search_dirs`` were given, since only then does kernlint know where ld looks),
``unresolved`` (not found, and no ``search_dirs`` given: ``info``, once per name,
asking for the build's ``-L``), ``cycle``, ``too-deep`` (ld 2.40 stops at the tenth
nested level: "includes nested too deeply"), ``unreadable`` and ``syntax-error`` (the
included file does not parse in the place it is included; ``error`` holds the
``ScriptSyntaxError``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import ast
from .errors import ScriptSyntaxError
from .lexing import decode
from .parser import parse_fragment

# GNU ld 2.40 keeps at most 10 files on its include stack, the main script included
# (ldlex.l MAX_INCLUDE_DEPTH): nine nested INCLUDEs work, the tenth is fatal.
MAX_INCLUDE_DEPTH = 9


@dataclass(frozen=True, slots=True)
class IncludeDiagnostic:
    """A problem with one ``INCLUDE``: ``span`` is the ``INCLUDE`` statement, ``kind``
    one of ``missing``, ``cycle``, ``too-deep``, ``outside-roots``, ``unreadable``,
    ``syntax-error``; ``chain`` lists the files from the main script down to the one
    holding the ``INCLUDE``."""

    span: ast.Span
    kind: str
    message: str
    severity: str = "error"
    chain: tuple[str, ...] = ()
    error: ScriptSyntaxError | None = None


@dataclass(frozen=True)
class LoadedScript:
    """A main script with its ``INCLUDE``s resolved.

    ``included`` maps each followed ``Include`` node to the parsed file; ``files``
    lists every file read, main script first."""

    script: ast.Script
    included: dict[ast.Include, ast.Script] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    diagnostics: tuple[IncludeDiagnostic, ...] = ()

    def walk_anchored(self) -> Iterator[tuple[ast.Node, ast.Include | None]]:
        """Every node in GNU ld's reading order (an included file's nodes right after its
        ``INCLUDE``), each with the ``INCLUDE`` of the main file that brought it in, or
        None for the main file's own nodes: rules report included nodes there."""
        stack: list[tuple[ast.Node, ast.Include | None]] = [(self.script, None)]
        while stack:
            node, anchor = stack.pop()
            yield node, anchor
            kids = [(kid, anchor) for kid in ast.children(node)]
            if isinstance(node, ast.Include) and node in self.included:
                kids.append((self.included[node], anchor or node))
            stack.extend(reversed(kids))

    def statements(self, statements: Sequence[ast.Node] | None = None) -> Iterator[ast.Node]:
        """The statements of ``statements`` (default: the main script's), with each
        followed ``INCLUDE`` replaced by the statements of its file, recursively."""
        stack: list[Iterator[ast.Node]] = [
            iter(self.script.statements if statements is None else statements)
        ]
        while stack:
            for node in stack[-1]:
                target = self.included.get(node) if isinstance(node, ast.Include) else None
                if target is not None:
                    stack.append(iter(target.statements))
                    break
                yield node
            else:
                stack.pop()

    def output_section_spans(self) -> tuple[dict[str, ast.Span], ast.Span | None]:
        """The span of each output section statement, by name (the first in reading
        order), and of the first ``SECTIONS`` command (None without one): where the
        layout rules report what concerns an output section, or one ld creates."""
        spans: dict[str, ast.Span] = {}
        sections = None
        for node in self.walk():
            if isinstance(node, ast.OutputSection):
                spans.setdefault(node.name, node.span)
            elif isinstance(node, ast.Sections) and sections is None:
                sections = node.span
        return spans, sections

    def walk(self) -> Iterator[ast.Node]:
        """Every node of the main script and of the included files, each included
        file's nodes right after its ``Include`` node."""
        stack: list[ast.Node] = [self.script]
        while stack:
            node = stack.pop()
            yield node
            kids = list(ast.children(node))
            target = self.included.get(node) if isinstance(node, ast.Include) else None
            if target is not None:
                kids.append(target)
            stack.extend(reversed(kids))


def _includes(script: ast.Script) -> Iterator[ast.Include]:
    """The INCLUDE statements of one file, in source order: they stand at top level,
    in SECTIONS, in MEMORY and in output and overlay sections."""
    stack: list[ast.Node] = list(reversed(script.statements))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Include):
            yield node
        elif isinstance(node, ast.Sections | ast.OutputSection | ast.OverlaySection):
            stack.extend(reversed(node.statements))
        elif isinstance(node, ast.Overlay):
            stack.extend(reversed(node.sections))
        elif isinstance(node, ast.Memory):
            stack.extend(reversed(node.regions))


def _inside(path: str, roots: Sequence[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def repository_root(path: str | os.PathLike[str]) -> str | None:
    """The git work tree holding the file ``path`` (:func:`kernlint.worktree.git_root`
    of its folder), or None."""
    from kernlint.worktree import git_root

    return git_root(os.path.dirname(os.path.abspath(path)))


def _search_dirs_of(script: ast.Script, cwd: Path) -> list[Path]:
    """The ``SEARCH_DIR`` folders of the main script, relative ones from ``cwd``."""
    return [cwd / s.path for s in script.statements if isinstance(s, ast.SearchDir)]


class _Loader:
    def __init__(
        self,
        main: Path,
        search_dirs: Sequence[str | os.PathLike[str]],
        cwd: Path,
        root: str | None,
        script_dirs: Sequence[Path] = (),
    ) -> None:
        self.main_dir = main.parent
        self.cwd = cwd
        self.search_dirs = [cwd / d for d in search_dirs]
        self.given = bool(self.search_dirs)
        self.script_dirs = list(script_dirs)
        top = root if root is not None else repository_root(main)
        self.top = os.path.realpath(top if top is not None else self.main_dir)
        self.roots = [self.top] + [os.path.realpath(d) for d in self.search_dirs]
        self.included: dict[ast.Include, ast.Script] = {}
        self.parsed: dict[tuple[str, str], ast.Script] = {}
        self.files: list[str] = [str(main)]
        self.diagnostics: list[IncludeDiagnostic] = []
        self.unresolved: set[str] = set()

    def candidates(self, name: str, holder: Path) -> list[Path]:
        """Where ``INCLUDE name`` in ``holder`` is looked for, in order (see the
        module documentation)."""
        if os.path.isabs(name):
            return [Path(name)]
        seen: list[Path] = []
        folders = [self.cwd, *self.search_dirs, *self.script_dirs, holder.parent, self.main_dir]
        for folder in folders:
            candidate = Path(os.path.normpath(folder / name))
            if candidate not in seen:
                seen.append(candidate)
        return seen

    def report(self, node: ast.Include, kind: str, message: str, chain, **kw) -> None:
        self.diagnostics.append(
            IncludeDiagnostic(span=node.span, kind=kind, message=message, chain=chain, **kw)
        )

    def _shown(self, path: str | Path) -> str:
        rel = os.path.relpath(path)
        return str(path) if rel.startswith("..") else rel

    def resolve(self, node: ast.Include, holder: Path, chain: tuple[str, ...]):
        """(path as found, real path) of the file to read, or None after reporting."""
        outside = None
        for candidate in self.candidates(node.path, holder):
            if not candidate.is_file():
                continue
            real = os.path.realpath(candidate)
            if _inside(real, self.roots):
                return candidate, real
            outside = outside or (candidate, real)
        if outside is not None:
            candidate, real = outside
            where = "" if str(candidate) == real else f" ({real})"
            roots = ", ".join(self._shown(r) for r in dict.fromkeys(self.roots))
            self.report(
                node,
                "outside-roots",
                f"INCLUDE {node.path} not followed: {self._shown(candidate)}{where} lies "
                f"outside the repository and the search folders ({roots}); kernlint reads "
                "no file there (give its folder with -L DIR or search-dirs to read it)",
                chain,
                severity="warning",
            )
        elif self.given:
            looked = ", ".join(
                dict.fromkeys(self._shown(c.parent) for c in self.candidates(node.path, holder))
            )
            self.report(
                node,
                "missing",
                f"cannot open linker script file {node.path}: no such file in the current "
                f"directory, the -L folders or beside the script (looked in {looked})",
                chain,
            )
        elif node.path not in self.unresolved:
            self.unresolved.add(node.path)
            self.report(
                node,
                "unresolved",
                f"INCLUDE {node.path} is not beside the script, nor in the current "
                "directory; if the build passes -L DIR, give it as -L DIR or search-dirs "
                "(its content is not linted until then)",
                chain,
                severity="info",
            )
        return None

    def follow(self, script: ast.Script, holder: Path, real: str, chain: tuple[str, ...]) -> None:
        """Resolve the INCLUDEs of ``script`` (read from ``holder``), depth first,
        without recursion."""
        work = [(script, holder, (*chain, real))]
        while work:
            current, path, trail = work.pop()
            shown = tuple(str(p) for p in trail)
            for node in _includes(current):
                found = self.resolve(node, path, shown)
                if found is None:
                    continue
                candidate, target_real = found
                if target_real in trail:
                    cycle = " -> ".join([*shown[shown.index(target_real) :], target_real])
                    self.report(node, "cycle", f"INCLUDE cycle: {cycle}", shown)
                    continue
                if len(trail) > MAX_INCLUDE_DEPTH:
                    self.report(
                        node,
                        "too-deep",
                        f"includes nested too deeply: GNU ld allows {MAX_INCLUDE_DEPTH} "
                        "levels of INCLUDE below the main script",
                        shown,
                    )
                    continue
                key = (target_real, node.context)
                included = self.parsed.get(key)
                if included is None:
                    try:
                        text = decode(candidate.read_bytes())
                    except OSError as exc:
                        self.report(
                            node,
                            "unreadable",
                            f"cannot read {candidate}: {exc.strerror or exc}",
                            shown,
                        )
                        continue
                    try:
                        included = parse_fragment(text, str(candidate), node.context)
                    except ScriptSyntaxError as err:
                        self.report(
                            node,
                            "syntax-error",
                            f"{candidate} does not parse where it is included: {err.message}",
                            shown,
                            error=err,
                        )
                        continue
                    self.parsed[key] = included
                    self.files.append(str(candidate))
                    work.append((included, candidate, (*trail, target_real)))
                self.included[node] = included


def load_script(
    path: str | os.PathLike[str],
    search_dirs: Sequence[str | os.PathLike[str]] = (),
    text: str | None = None,
    *,
    cwd: str | os.PathLike[str] | None = None,
    root: str | os.PathLike[str] | None = None,
) -> LoadedScript:
    """Read and parse the linker script at ``path`` and the files its ``INCLUDE``s
    name (see the module documentation for where they are looked for: ``cwd`` is ld's
    current directory, default the process's; ``search_dirs`` its ``-L`` folders,
    relative ones from ``cwd``; ``root`` the folder no file outside of which is read
    besides the search folders, default the git work tree holding ``path``). ``text``
    is the main file's decoded text when the caller has already read it.

    Raises ``ScriptSyntaxError`` when the main script does not parse and ``OSError``
    when it cannot be read; problems with included files are diagnostics."""
    main = Path(path)
    if text is None:
        text = decode(main.read_bytes())
    script = parse_fragment(text, str(main), "script")
    here = Path(cwd) if cwd is not None else Path(os.getcwd())
    loader = _Loader(
        main,
        search_dirs,
        here,
        None if root is None else os.fspath(root),
        _search_dirs_of(script, here),
    )
    loader.follow(script, main, os.path.realpath(main), ())
    return LoadedScript(
        script=script,
        included=loader.included,
        files=tuple(loader.files),
        diagnostics=tuple(loader.diagnostics),
    )
