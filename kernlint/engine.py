"""Rule discovery, selection and the run loop.

Rules are the modules of the ``kernlint.rules`` package (the top-level ``rules/``
folder). Each has ``ID``, ``NAME``, ``SEVERITY``, ``APPLIES_TO``, a module docstring
(its documentation) and ``check(ctx) -> Iterator[Finding]``. Nothing lists them by hand.

A rule may also set ``GROUP`` to one of :data:`GROUPS` other than ``"default"``
(``GROUP = "pedantic"``): an opt-in rule, right only for some projects, which runs
only when ``--select`` / ``select`` names it by id or name, or names its group
(the way clippy has ``clippy::pedantic`` and ruff its preview rules). An id prefix
(``KL2``) selects only the default group's rules.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING

from kernlint.classify import Target, expand
from kernlint.config import Config
from kernlint.context import (
    BOOT_SECTOR,
    FLAT_KERNEL,
    IMAGE,
    PE_IMAGE,
    SCRIPT,
    SCRIPT_INVALID,
    SCRIPT_TEMPLATE,
    SOURCE,
    UNREADABLE,
    Context,
)
from kernlint.errors import InputError, UsageError
from kernlint.finding import SEVERITIES, Finding, severity_rank

if TYPE_CHECKING:
    from kernlint.project import Project

RULE_ID = r"^KL\d{3}$"
RULE_NAME = r"^[a-z0-9]+(-[a-z0-9]+)*$"
#: The rule that reports unreadable input; always on, since a run cannot lint a file it
#: cannot read and must say so (exit status 2).
UNREADABLE_RULE = "KL001"
#: The group of a rule module that sets no ``GROUP``: the rules that run unless
#: ``--select`` says otherwise.
DEFAULT_GROUP = "default"
#: The rule groups, with what they hold; a rule module's ``GROUP`` must be one of them
#: (a group named in ``select`` that is not one is a usage error, like a mistyped id).
GROUPS = {
    DEFAULT_GROUP: "rules that run unless --select names others",
    "pedantic": "opt-in rules that are right only for some projects: selected by id, by"
    " name or by `pedantic`, never by an id prefix alone",
}


@dataclass(frozen=True)
class Rule:
    """A discovered rule: its metadata, checked when the rule index was built, and its
    module, imported on first use of ``check``, ``doc`` or ``module`` (see
    :func:`all_rules`)."""

    id: str
    name: str
    severity: str
    applies_to: frozenset[str]
    module_name: str = field(repr=False)
    #: True for rules that judge the other rules' findings (KL003), which the engine
    #: runs last.
    after_others: bool = field(default=False, repr=False)
    #: The rule's group (:data:`GROUPS`): its module's ``GROUP``, else ``"default"``.
    group: str = DEFAULT_GROUP

    @property
    def opt_in(self) -> bool:
        """True for a rule outside the default group, which runs only when selected
        by id, name or group (:func:`select_rules`)."""
        return self.group != DEFAULT_GROUP

    @property
    def module(self) -> ModuleType:
        """The rule's module (imported now if it was not yet)."""
        return sys.modules.get(self.module_name) or importlib.import_module(self.module_name)

    @property
    def check(self) -> Callable[[Context], Iterable[Finding]]:
        """The rule's ``check(ctx)``."""
        return self.module.check

    @property
    def doc(self) -> str:
        """The rule's documentation: its module docstring."""
        return self.module.__doc__

    @property
    def summary(self) -> str:
        """The first line of the rule's documentation."""
        return self.doc.strip().splitlines()[0] if self.doc.strip() else ""


def _load(module: ModuleType) -> Rule:
    missing = [
        a for a in ("ID", "NAME", "SEVERITY", "APPLIES_TO", "check") if not hasattr(module, a)
    ]
    if missing or not module.__doc__:
        raise RuntimeError(f"rule module {module.__name__} lacks {missing or ['a docstring']}")
    if not re.match(RULE_ID, module.ID) or not re.match(RULE_NAME, module.NAME):
        raise RuntimeError(f"rule module {module.__name__}: bad ID or NAME")
    if module.SEVERITY not in SEVERITIES:
        raise RuntimeError(f"rule module {module.__name__}: bad SEVERITY {module.SEVERITY!r}")
    group = getattr(module, "GROUP", DEFAULT_GROUP)
    if group not in GROUPS:
        raise RuntimeError(
            f"rule module {module.__name__}: bad GROUP {group!r} (one of {', '.join(GROUPS)})"
        )
    return Rule(
        module.ID,
        module.NAME,
        module.SEVERITY,
        frozenset(module.APPLIES_TO),
        module.__name__,
        bool(getattr(module, "AFTER_OTHERS", False)),
        group,
    )


@cache
def all_rules() -> tuple[Rule, ...]:
    """Every rule module of ``kernlint.rules``, sorted by id.

    The metadata comes from the rule index (:mod:`kernlint.ruleindex`) when it is
    current, so that a run imports only the rule modules it runs; otherwise every rule
    module is imported (:func:`discover_rules`) and the index rewritten."""
    import kernlint.rules as package
    from kernlint import ruleindex

    return ruleindex.rules(package.__name__, list(package.__path__), discover_rules)


def discover_rules(package_name: str = "kernlint.rules") -> tuple[Rule, ...]:
    """Every rule module of the package, imported and checked, sorted by id (what the
    rule index records). Raises RuntimeError for a module that lacks a part, or for two
    modules with the same id."""
    import pkgutil

    package = importlib.import_module(package_name)
    rules = [
        _load(importlib.import_module(f"{package.__name__}.{info.name}"))
        for info in pkgutil.iter_modules(package.__path__)
        if not info.name.startswith("_")
    ]
    ids = [r.id for r in rules]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise RuntimeError(f"duplicate rule ids: {sorted(dupes)}")
    return tuple(sorted(rules, key=lambda r: r.id))


def find_rule(token: str) -> Rule | None:
    """The rule whose id (any case) or name is ``token``, or None."""
    for rule in all_rules():
        if token.upper() == rule.id or token.lower() == rule.name:
            return rule
    return None


def _matches(rule: Rule, token: str) -> bool:
    """Does ``token`` (an id prefix, a name or a group) cover ``rule``? What ``--ignore``
    and per-path ignores leave out, whatever the rule's group."""
    return (
        rule.id.startswith(token.upper())
        or rule.name == token.lower()
        or rule.group == token.lower()
    )


def _enables(rule: Rule, token: str) -> bool:
    """Does ``token`` in ``--select`` choose ``rule``? As :func:`_matches`, except that an
    opt-in rule (:attr:`Rule.opt_in`) is chosen only by its full id, its name or its
    group, never by a shorter id prefix."""
    if rule.opt_in and rule.id != token.upper():
        return rule.name == token.lower() or rule.group == token.lower()
    return _matches(rule, token)


def select_rules(select: Iterable[str] = (), ignore: Iterable[str] = ()) -> tuple[Rule, ...]:
    """Rules chosen by ``--select`` minus ``--ignore``. Tokens are ids, names, id
    prefixes (``KL1``) or group names (:data:`GROUPS`: ``pedantic``), and may be
    comma-separated. An empty ``select`` chooses the default group; an opt-in rule
    runs only when a token names its id, its name or its group (an id prefix alone
    does not: ``KL2`` leaves out a pedantic KL205, ``KL205`` or ``KL2,pedantic``
    choose it). ``ignore`` leaves out every rule a token covers, whatever its group.
    KL001 always runs. Raises UsageError for a token that matches no rule or group."""
    sel = _tokens(select)
    ign = _tokens(ignore)
    rules = all_rules()
    for token in sel + ign:
        if token.lower() not in GROUPS and not any(_matches(r, token) for r in rules):
            raise UsageError(f"unknown rule, prefix or group: {token!r} (see `kernlint rules`)")
    return tuple(
        r
        for r in rules
        if r.id == UNREADABLE_RULE
        or (
            (any(_enables(r, t) for t in sel) if sel else not r.opt_in)
            and not any(_matches(r, t) for t in ign)
        )
    )


def _by_id(rule_id: str) -> Rule:
    return next(r for r in all_rules() if r.id == rule_id)


def _tokens(values: Iterable[str]) -> list[str]:
    return [t.strip() for v in values for t in v.split(",") if t.strip()]


@dataclass
class RunResult:
    """What a run found: ``findings`` sorted deterministically, the ``files`` linted, and
    ``skipped`` explicitly named files that are not a kind kernlint reads, with why,
    and how many findings a baseline accounted for (``baselined``)."""

    findings: list[Finding]
    files: int
    skipped: list[tuple[str, str]]
    baselined: int = 0

    @property
    def input_errors(self) -> bool:
        """True when some input could not be read (KL001): exit status 2."""
        return any(f.rule == UNREADABLE_RULE for f in self.findings)

    def counts(self) -> dict[str, int]:
        """Findings per severity."""
        return {s: sum(1 for f in self.findings if f.severity == s) for s in SEVERITIES}

    def fails(self, fail_on: str) -> bool:
        """True when a finding is at or above ``fail_on`` severity."""
        return any(severity_rank(f.severity) <= severity_rank(fail_on) for f in self.findings)


def build_context(target: Target, config: Config, project: Project | None = None) -> Context:
    """Read ``target`` into a :class:`Context`; a read failure gives an ``unreadable``
    context carrying the :class:`InputError`. ``project`` is the run's
    :class:`~kernlint.project.Project` (the linker scripts that place sections), shared
    by every context of the run."""
    ctx = _read_context(target, config)
    return ctx if project is None else replace(ctx, project=project)


def _read_context(target: Target, config: Config) -> Context:
    if target.kind == "not-elf":
        err = InputError(target.path, "not an ELF file (no \\x7fELF magic), though named like one")
        return Context(target.path, UNREADABLE, config, error=err)
    try:
        if target.kind == SCRIPT:
            return _script_context(target.path, config)
        if target.kind == SOURCE:
            from kernlint.source import read_source

            return Context(target.path, SOURCE, config, source=read_source(target.path))
        if target.kind == BOOT_SECTOR:
            from kernlint.bootsector import read_boot_sector

            sector = read_boot_sector(target.path, config.layout_for(target.path))
            return Context(target.path, BOOT_SECTOR, config, boot_sector=sector)
        if target.kind == FLAT_KERNEL:
            from kernlint.boot.flat import read_flat_kernel

            flat = read_flat_kernel(target.path)
            return Context(target.path, FLAT_KERNEL, config, flat_kernel=flat)
        if target.kind == PE_IMAGE:
            from kernlint.pe.reader import read_pe  # imports LIEF: only for PE files

            return Context(target.path, PE_IMAGE, config, pe=read_pe(target.path))
        from kernlint.elf.reader import read_image

        return Context(target.path, IMAGE, config, image=read_image(target.path))
    except InputError as err:
        return Context(target.path, UNREADABLE, config, error=err)


#: Largest linker script kernlint reads (bytes); real ones are kilobytes.
MAX_SCRIPT_BYTES = 64 << 20


def _script_context(path: str, config: Config) -> Context:
    """Read and parse a linker script. Binary data is input error (KL001); a script that
    does not parse gives a ``script-invalid`` context carrying the syntax error (KL002)."""
    from kernlint.ldscript import ScriptSyntaxError, load_script
    from kernlint.ldscript.lexing import decode

    try:
        with open(path, "rb") as f:
            data = f.read(MAX_SCRIPT_BYTES + 1)
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_SCRIPT_BYTES:
        raise InputError(path, f"larger than {MAX_SCRIPT_BYTES >> 20} MiB: not a linker script")
    if b"\0" in data:
        raise InputError(
            path, f"binary data (a NUL byte at offset {data.index(0)}), not a linker script"
        )
    text = decode(data)
    from kernlint.ldscript.template import find_template, template_suffix, unlinked_template

    command = config.preprocessor_for(path)
    if command and (template_suffix(path) or find_template(path, text)):
        from kernlint.ldscript.preprocess import preprocessed_context

        return preprocessed_context(path, text, config, command)  # findings mapped back
    # A template (cpp lines, `@VAR@` markers) that ld does not read as it is: KL217 only.
    template = unlinked_template(path, text, config)
    if template is not None:
        return Context(path, SCRIPT_TEMPLATE, config, script_text=text, template=template)
    # A script generated by cpp without -P carries line markers: findings go to the
    # template they name (issue #13 item 4).
    generated = None
    if "\n# " in text or text.startswith("# "):
        from kernlint.ldscript.preprocess import generated_from

        generated = generated_from(path, text)
    try:
        loaded = load_script(path, config.search_dirs_for(path), text=text)
    except ScriptSyntaxError as err:
        template = unlinked_template(path, text, config, parses=False)
        if template is not None:  # named as a template, and not yet a script
            return Context(path, SCRIPT_TEMPLATE, config, script_text=text, template=template)
        return Context(
            path, SCRIPT_INVALID, config, script_text=text, syntax_error=err, preprocessed=generated
        )
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    return Context(path, SCRIPT, config, script=loaded, script_text=text, preprocessed=generated)


def check_context(ctx: Context, rules: Iterable[Rule]) -> Iterator[Finding]:
    """Run ``rules`` that apply to ``ctx.kind``; findings get rule, name, severity and
    path filled in (a finding that sets its own ``severity`` keeps it: see
    :class:`~kernlint.finding.Finding`). An InputError raised while a rule reads lazily
    (say, a smashed symbol table) becomes one KL001 finding and ends the target's
    checks."""
    unreadable = next(r for r in all_rules() if r.id == UNREADABLE_RULE)
    rules = [r for r in rules if ctx.kind in r.applies_to]
    try:
        found = [
            replace(
                f, rule=rule.id, name=rule.name, severity=f.severity or rule.severity, path=ctx.path
            )
            for rule in rules
            if not rule.after_others
            for f in rule.check(ctx)
        ]
        if ctx.preprocessed is not None:  # from the preprocessor's output to the template
            cwd = ctx.config.root if ctx.config.path else os.getcwd()
            found = [ctx.preprocessed.map_finding(f, cwd) for f in found]
        text = ctx.text
        if text is not None and "kernlint:" in text:
            found, ctx = _apply_suppressions(found, ctx, text)
        yield from found
        for rule in rules:
            if rule.after_others:
                for f in rule.check(ctx):
                    yield replace(
                        f,
                        rule=rule.id,
                        name=rule.name,
                        severity=f.severity or rule.severity,
                        path=ctx.path,
                    )
    except InputError as err:
        bad = Context(ctx.path, UNREADABLE, ctx.config, error=err)
        for f in unreadable.check(bad):
            yield replace(
                f,
                rule=unreadable.id,
                name=unreadable.name,
                severity=unreadable.severity,
                path=ctx.path,
            )


def _apply_suppressions(
    found: list[Finding], ctx: Context, text: str
) -> tuple[list[Finding], Context]:
    """Drop findings a ``kernlint: ignore[...]`` or ``kernlint: ignore-file[...]``
    comment covers (:mod:`kernlint.suppress`); note the suppressions that covered
    nothing in the context (for KL003)."""
    from kernlint.suppress import apply, collect

    kept, unused = apply(found, collect(text))
    return kept, replace(ctx, unused_suppressions=unused)


def _flat_protocol(config: Config, path: str) -> bool:
    """Is ``path`` named to be loaded with Multiboot 1 (``--boot-protocol multiboot1``,
    a target's ``boot-protocol``)? A file that is neither ELF nor anything else kernlint
    knows is then a flat kernel, loaded by its header's a.out kludge
    (:mod:`kernlint.boot.flat`)."""
    from kernlint.boot.protocol import MULTIBOOT1

    return config.protocol_for(path) == MULTIBOOT1


class _LazyProject:
    """Stands for the run's :class:`kernlint.project.Project`: the scripts the engine
    offers are kept, and the project (and its module) is made on the first attribute a
    rule reads, with them offered to it."""

    __slots__ = ("_args", "_offers", "_real")

    def __init__(self, *args) -> None:
        self._args = args
        self._offers: list[tuple] = []
        self._real = None

    def offer(self, *args) -> None:
        """:meth:`kernlint.project.Project.offer`, kept until the project is made."""
        if self._real is None:
            self._offers.append(args)
        else:
            self._real.offer(*args)

    def __getattr__(self, name: str):
        if self._real is None:
            from kernlint.project import Project

            self._real = Project(*self._args)
            for args in self._offers:
                self._real.offer(*args)
            self._offers.clear()
        return getattr(self._real, name)


def run(paths: list[str], rules: Iterable[Rule], config: Config | None = None) -> RunResult:
    """Lint ``paths`` (files and directories) with ``rules``."""
    config = config or Config()
    rules = tuple(rules)
    findings: list[Finding] = []
    skipped: list[tuple[str, str]] = []
    files = 0
    targets = list(expand(paths))
    # The run's project context: reads nothing until a rule asks (KL601, KL602, KL101
    # and KL102 on objects ask where the linker scripts put a section), and is not even
    # imported until then (a script-only run never asks: bench/scripts.py).
    project = _LazyProject(
        tuple(t.path for t in targets if t.kind == SCRIPT and t.explicit),
        config,
        tuple(t.path for t in targets if t.kind == SCRIPT and not t.explicit),
    )
    for target in targets:
        if target.kind == "unknown" and target.explicit and config.layout_for(target.path):
            target = replace(target, kind=BOOT_SECTOR)  # named with a boot-sector layout
        if target.kind == "unknown" and target.explicit and _flat_protocol(config, target.path):
            target = replace(target, kind=FLAT_KERNEL)  # a flat kernel: its header decides
        if target.kind == "unknown":
            if target.explicit:
                skipped.append((target.path, "not recognised as an ELF file; skipped"))
            continue
        files += 1
        ctx = build_context(target, config, project)
        if ctx.script is not None and ctx.script_text is not None:
            project.offer(target.path, ctx.script, ctx.script_text, target.explicit)
        path_ignores = config.ignored_for(target.path)
        try:
            findings.extend(
                f
                for f in check_context(ctx, rules)
                if f.rule == UNREADABLE_RULE
                or not any(_matches(_by_id(f.rule), t) for t in path_ignores)
            )
        finally:
            if ctx.image is not None:
                ctx.image.reader.close()
    findings.sort(key=Finding.sort_key)
    return RunResult(findings, files, skipped)
