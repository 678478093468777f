"""``load_script``: read a linker script file and the files its ``INCLUDE``s name.

Where an ``INCLUDE`` is looked for (GNU ld searches the current directory, then the
``-L`` and ``SEARCH_DIR`` directories; kernlint does not depend on the directory it
runs in):

1. the directory of the file that holds the ``INCLUDE``;
2. the directory of the main script;
3. each ``search_dirs`` entry (``-L``), in order.

kernlint reads no file outside those *roots* (the main script's directory and the
search directories, symbolic links resolved): an ``INCLUDE`` that leads elsewhere,
through an absolute path, ``..`` or a link, is not followed and is reported as
``outside-roots``. Every problem with an ``INCLUDE`` is an ``IncludeDiagnostic`` on
the result, never an exception: ``missing`` (ld: "cannot open linker script file"),
``cycle``, ``too-deep`` (ld 2.40 stops at the tenth nested level: "includes nested
too deeply"), ``unreadable`` and ``syntax-error`` (the included file does not parse
in the place it is included; ``error`` holds the ``ScriptSyntaxError``).
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


class _Loader:
    def __init__(self, main: Path, search_dirs: Sequence[str | os.PathLike[str]]) -> None:
        self.main_dir = main.parent
        self.search_dirs = [Path(d) for d in search_dirs]
        self.roots = [os.path.realpath(self.main_dir)] + [
            os.path.realpath(d) for d in self.search_dirs
        ]
        self.included: dict[ast.Include, ast.Script] = {}
        self.parsed: dict[tuple[str, str], ast.Script] = {}
        self.files: list[str] = [str(main)]
        self.diagnostics: list[IncludeDiagnostic] = []

    def candidates(self, name: str, holder: Path) -> list[Path]:
        if os.path.isabs(name):
            return [Path(name)]
        seen: list[Path] = []
        for folder in [holder.parent, self.main_dir, *self.search_dirs]:
            candidate = folder / name
            if candidate not in seen:
                seen.append(candidate)
        return seen

    def report(self, node: ast.Include, kind: str, message: str, chain, **kw) -> None:
        self.diagnostics.append(
            IncludeDiagnostic(span=node.span, kind=kind, message=message, chain=chain, **kw)
        )

    def resolve(self, node: ast.Include, holder: Path, chain: tuple[str, ...]):
        """(path as found, real path) of the file to read, or None after reporting."""
        outside = None
        for candidate in self.candidates(node.path, holder):
            if not candidate.is_file():
                continue
            real = os.path.realpath(candidate)
            if _inside(real, self.roots):
                return candidate, real
            outside = outside or candidate
        if outside is not None:
            self.report(
                node,
                "outside-roots",
                f"INCLUDE {node.path} not followed: {outside} lies outside the script's "
                "directory and the search directories",
                chain,
                severity="warning",
            )
        else:
            looked = ", ".join(
                dict.fromkeys(str(c.parent) for c in self.candidates(node.path, holder))
            )
            self.report(
                node,
                "missing",
                f"cannot open linker script file {node.path}: no such file (looked in {looked})",
                chain,
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
) -> LoadedScript:
    """Read and parse the linker script at ``path`` and the files its ``INCLUDE``s
    name (see the module documentation for where they are looked for). ``text`` is the
    main file's decoded text when the caller has already read it.

    Raises ``ScriptSyntaxError`` when the main script does not parse and ``OSError``
    when it cannot be read; problems with included files are diagnostics."""
    main = Path(path)
    if text is None:
        text = decode(main.read_bytes())
    script = parse_fragment(text, str(main), "script")
    loader = _Loader(main, search_dirs)
    loader.follow(script, main, os.path.realpath(main), ())
    return LoadedScript(
        script=script,
        included=loader.included,
        files=tuple(loader.files),
        diagnostics=tuple(loader.diagnostics),
    )
