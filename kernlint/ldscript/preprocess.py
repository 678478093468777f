"""Preprocess a linker-script template as the build does, and map what is found in the
result back to the template's lines.

The command is the project's (``preprocessor`` in the configuration, per target, per
path glob, or ``--preprocessor``): a list such as ``["cpp", "-undef", "-x", "c",
"-D__ASSEMBLY__", "-I", "include"]``, run with the template's path appended, no shell,
a time limit (:data:`TIMEOUT`), in the configuration's folder, and with its standard
output read, never a file: ``-o``, ``-MD``, ``-MMD`` and ``-MF`` are refused, and
``-P`` is dropped, since the line markers it suppresses are what maps a line back.

cpp's line markers (GCC cpp manual, "Preprocessor Output": ``# LINE "FILE" FLAGS``,
flag 1 entering an included file, 2 returning to the including one) are comments to
GNU ld 2.40 and to kernlint's parser, so the output parses with its own line numbers;
:class:`LineMap` gives each output line the template line it came from, or the header
line and the template's ``#include`` line that brought it in.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kernlint.config import Config
    from kernlint.context import Context
    from kernlint.finding import Finding

#: Seconds a preprocessor may run on one template.
TIMEOUT = 30.0
#: Options that would make the preprocessor write a file (next to the inputs, often).
_WRITES = ("-o", "-MD", "-MMD", "-MF")
_MARKER = re.compile(
    r'^#[ \t]*(?:line[ \t]+)?(\d+)[ \t]+"((?:[^"\\]|\\.)*)"((?:[ \t]+\d+)*)[ \t]*$'
)


class PreprocessorError(Exception):
    """The preprocessor could not be run, or failed; ``str()`` is one line."""


def parse_command(value: object) -> tuple[str, ...]:
    """The command of a ``preprocessor`` setting: a non-empty list of strings (or, from
    the command line, one string split as a POSIX shell would, without running one).
    Raises ValueError with what is wrong."""
    if isinstance(value, str):
        import shlex

        try:
            value = shlex.split(value)
        except ValueError as exc:
            raise ValueError(f"cannot split {value!r}: {exc}") from None
    if (
        not isinstance(value, list | tuple)
        or not value
        or not all(isinstance(v, str) for v in value)
    ):
        raise ValueError("must be the command and its arguments, as a list of strings")
    for arg in value[1:]:
        if arg in _WRITES or (arg.startswith("-o") and len(arg) > 2):
            raise ValueError(
                f"has {arg!r}: the preprocessor must write to standard output (kernlint never"
                " writes next to its inputs)"
            )
    return tuple(v for i, v in enumerate(value) if i == 0 or v != "-P")


@dataclass(frozen=True)
class Origin:
    """Where an output line came from: ``file`` and 1-based ``line``, and ``via``, the
    (file, line) of each ``#include`` that brought it in, outermost first."""

    file: str
    line: int
    via: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class LineMap:
    """The origin of each line of a preprocessor's output (index 0 is line 1)."""

    origins: tuple[Origin | None, ...]

    def origin(self, line: int) -> Origin | None:
        """The :class:`Origin` of output line ``line`` (1-based), or None."""
        return self.origins[line - 1] if 0 < line <= len(self.origins) else None


def line_map(output: str) -> LineMap:
    """Read the line markers of ``output`` (cpp without ``-P``) into a :class:`LineMap`.
    Marker lines themselves, and lines before the first marker, have no origin."""
    origins: list[Origin | None] = []
    file: str | None = None
    number = 0
    stack: list[tuple[str, int]] = []  # include sites
    for text in output.split("\n"):
        m = _MARKER.match(text)
        if m is None:
            origins.append(Origin(file, number, tuple(stack)) if file is not None else None)
            number += 1
            continue
        origins.append(None)
        flags = m.group(3).split()
        name = m.group(2).encode().decode("unicode_escape")
        if "1" in flags and file is not None:
            stack.append((file, number))  # the `#include` line: cpp emits no line for it
        elif "2" in flags and stack:
            stack.pop()
        file, number = name, int(m.group(1))
    return LineMap(tuple(origins))


@dataclass(frozen=True)
class Preprocessed:
    """A template and what its preprocessor made of it: the ``template`` path, its
    ``template_text``, the ``output`` and its :class:`LineMap`, and the ``command``."""

    template: str
    template_text: str
    output: str
    lines: LineMap
    command: tuple[str, ...]
    #: The path findings mapped to the template are reported at, when that is not the
    #: input itself (a generated script's template, :func:`generated_from`).
    report_at: str | None = None

    def _is_template(self, file: str, cwd: str) -> bool:
        path = file if os.path.isabs(file) else os.path.join(cwd, file)
        try:
            return os.path.samefile(path, self.template)
        except OSError:
            return os.path.basename(file) == os.path.basename(self.template)

    def map_finding(self, finding: Finding, cwd: str) -> Finding:
        """``finding`` (on the output) at the template's line: the line itself when it
        came from the template, else the ``#include`` line that brought it in, with
        ``(from header:line)`` added to the message; the column is kept when the output
        line is the template line, else the template line's first column."""
        loc = finding.location
        origin = self.lines.origin(loc.line) if loc.line else None
        if origin is None:
            return finding
        out_line = self.output.split("\n")[loc.line - 1]
        note = ""
        if self._is_template(origin.file, cwd):
            line = origin.line
        else:
            site = next((ln for f, ln in origin.via if self._is_template(f, cwd)), None)
            if site is None:
                return finding
            shown = os.path.relpath(origin.file, cwd) if os.path.isabs(origin.file) else origin.file
            note = f" (from {shown}:{origin.line})"
            line = site
        rows = self.template_text.split("\n")
        row = rows[line - 1] if 0 < line <= len(rows) else ""
        if row.strip() == out_line.strip() and not note:
            shift = (len(row) - len(row.lstrip())) - (len(out_line) - len(out_line.lstrip()))
            column, end = loc.column + shift, loc.end_column + shift if loc.end_column else None
        else:
            column = len(row) - len(row.lstrip()) + 1
            end = len(row.rstrip()) + 1
            if not note and out_line.strip():
                note = f" (preprocessed: `{_shown(out_line)}`)"
        location = replace(
            loc, line=line, column=max(column, 1), end_line=line, end_column=end or None
        )
        message = self._map_mentions(finding.message, cwd) + note
        mapped = replace(finding, message=message, location=location)
        return mapped if self.report_at is None else replace(mapped, path=self.report_at)

    def _map_mentions(self, message: str, cwd: str) -> str:
        """``message`` with the output lines it names (``line 83``, ``opened at 4:3``)
        replaced by the template lines they came from, where they came from it."""

        def template_line(number: int) -> str | None:
            """The template line, or ``header:line`` for a line from a header."""
            origin = self.lines.origin(number)
            if origin is None:
                return None
            if self._is_template(origin.file, cwd):
                return str(origin.line)
            shown = os.path.relpath(origin.file, cwd) if os.path.isabs(origin.file) else origin.file
            return f"{shown}:{origin.line}"

        def line_word(m: re.Match[str]) -> str:
            mapped = template_line(int(m.group(2)))
            if mapped is None:
                return m.group(0)
            return mapped if ":" in mapped else f"{m.group(1)}{mapped}"

        def line_col(m: re.Match[str]) -> str:
            mapped = template_line(int(m.group(2)))
            if mapped is None or ":" in mapped:
                return m.group(0) if mapped is None else f"{m.group(1)}{mapped}"
            return f"{m.group(1)}{mapped}:{m.group(3)}"

        message = re.sub(r"(\blines? )(\d+)\b", line_word, message)
        return re.sub(r"(\bat )(\d+):(\d+)\b", line_col, message)


def _shown(text: str) -> str:
    shown = " ".join(text.split())
    return shown if len(shown) <= 60 else shown[:57] + "..."


def run_preprocessor(command: tuple[str, ...], path: str, cwd: str) -> str:
    """The standard output of ``command path`` run in ``cwd`` (no shell, at most
    :data:`TIMEOUT` seconds). Raises :class:`PreprocessorError` with the first error
    line the preprocessor printed, or why it could not run."""
    argv = [*command, os.path.abspath(path)]
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=TIMEOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "LC_ALL": "C"},
        )
    except FileNotFoundError:
        raise PreprocessorError(f"preprocessor `{command[0]}` not found") from None
    except subprocess.TimeoutExpired:
        raise PreprocessorError(
            f"preprocessor `{command[0]}` ran longer than {TIMEOUT:g} s and was stopped"
        ) from None
    except OSError as exc:
        raise PreprocessorError(f"cannot run `{command[0]}`: {exc.strerror or exc}") from None
    if proc.returncode != 0:
        lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
        first = next((ln for ln in lines if "error" in ln), lines[0] if lines else "")
        raise PreprocessorError(
            f"preprocessor `{command[0]}` failed (exit status {proc.returncode})"
            + (f": {first}" if first else "")
        )
    return proc.stdout


def _error_location(message: str, template: str) -> tuple[int, int]:
    """(line, column) of a ``file:line:col: error`` message about ``template``, or
    (1, 1)."""
    name = re.escape(os.path.basename(template))
    m = re.search(rf"{name}:(\d+):(?:(\d+):)?", message)
    return (int(m.group(1)), int(m.group(2) or 1)) if m else (1, 1)


def generated_from(path: str, text: str) -> Preprocessed | None:
    """For a script a build generated with cpp without ``-P`` (its ``text`` holds line
    markers, ``# 1 "arch/x86/kernel/vmlinux.lds.S"``): the :class:`Preprocessed` that
    maps findings on it back to the template the first marker names, when that file is
    found (as written, from the current directory, or from the generated file's folder
    or one of the five above it) and is not ``path`` itself; else None (findings stay
    at the generated file).
    Issue #13 item 4; the markers' format is cpp's (GNU cpp manual, "Preprocessor
    Output")."""
    if '"' not in text or "#" not in text:
        return None
    lines = line_map(text)
    main = next((o.file for o in lines.origins if o is not None and not o.via), None)
    if main is None or main.startswith("<"):
        return None
    here = os.path.dirname(os.path.abspath(path))
    # The build ran cpp from some folder above the output (make's top, or the folder an
    # out-of-tree build dir sits in): try the folders up from the generated file.
    ups = [here]
    while len(ups) < 6 and os.path.dirname(ups[-1]) != ups[-1]:
        ups.append(os.path.dirname(ups[-1]))
    places = [main, os.path.join(os.getcwd(), main), *(os.path.join(u, main) for u in ups)]
    for candidate in dict.fromkeys(places):
        if not os.path.isfile(candidate):
            continue
        try:
            if os.path.samefile(candidate, path):
                return None
            with open(candidate, encoding="utf-8", errors="replace") as f:
                template_text = f.read(4 << 20)
        except OSError:
            continue
        shown = os.path.relpath(candidate) if not os.path.isabs(main) else candidate
        return Preprocessed(
            os.path.abspath(candidate), template_text, text, lines, (), report_at=shown
        )
    return None


def preprocessed_context(path: str, text: str, config: Config, command: tuple[str, ...]) -> Context:
    """The context of template ``path`` linted through ``command``: the output parsed
    as the script (kind ``script``, or ``script-invalid`` with its syntax error), with
    :attr:`Context.preprocessed` mapping findings back; a failing preprocessor gives a
    ``script-invalid`` context whose syntax error is the preprocessor's first error
    (one KL002)."""
    from kernlint.context import SCRIPT, SCRIPT_INVALID, Context
    from kernlint.ldscript import ScriptSyntaxError, load_script

    cwd = config.root if config.path else os.getcwd()
    try:
        output = run_preprocessor(command, path, cwd)
    except PreprocessorError as exc:
        line, column = _error_location(str(exc), path)
        err = ScriptSyntaxError(str(exc), path=path, line=line, column=column)
        return Context(path, SCRIPT_INVALID, config, syntax_error=err)
    done = Preprocessed(os.path.abspath(path), text, output, line_map(output), command)
    try:
        loaded = load_script(path, text=output)
    except ScriptSyntaxError as err:
        return Context(
            path, SCRIPT_INVALID, config, script_text=output, syntax_error=err, preprocessed=done
        )
    return Context(path, SCRIPT, config, script=loaded, script_text=output, preprocessed=done)
