"""Configuration: ``[tool.kernlint]`` in ``pyproject.toml``, or a ``kernlint.toml`` /
``.kernlint.toml`` (same keys at top level), the nearest one found walking up from the
working directory (in one folder: ``.kernlint.toml``, then ``kernlint.toml``, then a
``pyproject.toml`` that has a ``[tool.kernlint]`` table), or the file given with
``--config``.

Keys (DESIGN.md, "Configuration")::

    select = ["KL1", "pedantic"]  # ids, names, id prefixes or groups; an opt-in
                                # (pedantic) rule only by id, name or group
    ignore = ["KL105"]
    fail-on = "warning"         # error | warning (the default) | info
    page-size = 4096            # bytes, a power of two (KL106)
    boot-sector-layout = "mbr"  # mbr | mbr-disk-signature | fat16-vbr | fat32-vbr | raw (KL3)
    boot-protocol = "auto"      # or multiboot1 multiboot2 pvh bootloader-api bios none (KL4)
    gc-sections = true          # scripts are linked with ld --gc-sections (KL202 on the layout)
    uefi-arch = "x64"           # the UEFI firmware's architecture: ia32 x64 aa64 ... (KL702)
    search-dirs = ["lib/ld"]    # ld's -L folders for INCLUDE (relative to this file)

    [per-path-ignores]          # glob (relative to the config file's folder) -> rules
    "samples/**" = ["KL105"]

    [[target]]                  # what `kernlint check` with no paths lints
    image = "build/kernel.elf"
    script = "src/linker.ld"    # linted too (cross-checks with the image come later)
    objects = ["build/boot.o"]  # the objects it was linked from (KL406); with `script`,
                                # the script is laid out with them (KL209, KL210)
    boot-sector-layout = "mbr"  # this image is a boot sector with this layout
    boot-protocol = "multiboot2"  # the protocol this image is loaded with (KL4)
    gc-sections = true          # its script is linked with --gc-sections (KL202)
    uefi-arch = "aa64"          # this PE image runs on this UEFI architecture (KL702)
    uefi-application = true     # the firmware starts it as an application (KL701)
    search-dirs = ["boards"]    # -L folders its script's INCLUDEs are found in

Unknown keys and bad values raise :class:`ConfigError` naming the key and the file.
Keys that DESIGN.md reserves for features this version does not have yet
(a target's ``map``) are refused with a message saying so, rather than accepted and ignored.
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kernlint.errors import UsageError

FAIL_ON = ("error", "warning", "info")
_TOP_KEYS = {
    "select",
    "ignore",
    "fail-on",
    "page-size",
    "per-path-ignores",
    "target",
    "boot-sector-layout",
    "boot-protocol",
    "gc-sections",
    "preprocessor",
    "per-path-preprocessor",
    "uefi-arch",
    "search-dirs",
}
_TARGET_KEYS = {
    "image",
    "script",
    "objects",
    "boot-sector-layout",
    "boot-protocol",
    "gc-sections",
    "preprocessor",
    "uefi-arch",
    "uefi-application",
    "search-dirs",
}
_NOT_YET = {
    "map": "map-file checks",
}


class ConfigError(UsageError):
    """A configuration file is unreadable, or has an unknown key or a bad value."""


@dataclass(frozen=True)
class Config:
    """Settings of one run. ``page_size`` (bytes) is the granule the loader maps with
    (KL106; default 4096, x86's base page). ``per_path_ignores`` pairs a glob, relative
    to ``root``, with rule selectors. ``targets`` are the files of the ``[[target]]``
    tables (image, script, objects), relative to ``root``. ``path`` is the file the
    settings came from, or None for defaults."""

    page_size: int = 4096
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    #: Lowest severity that makes ``kernlint check`` exit 1: ``warning`` (ruff's
    #: convention: every reported error or warning fails, ``info`` never does), or
    #: ``error`` to let warnings pass, or ``info``.
    fail_on: str = "warning"
    per_path_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    targets: tuple[str, ...] = ()
    path: str | None = None
    root: str = field(default=".")
    #: ``boot-sector-layout`` (or ``--boot-sector-layout``): every file named is read
    #: as a boot sector with this layout (KL3).
    boot_sector_layout: str | None = None
    #: Per-target ``boot-sector-layout``: (absolute image path, layout).
    boot_sector_layouts: tuple[tuple[str, str], ...] = ()
    #: ``boot-protocol`` (or ``--boot-protocol``): one of
    #: :data:`kernlint.boot.PROTOCOLS`; None means ``auto``.
    boot_protocol: str | None = None
    #: Per-target ``boot-protocol``: (absolute image path, protocol).
    boot_protocols: tuple[tuple[str, str], ...] = ()
    #: ``--objects``: object files every image named was linked from.
    objects: tuple[str, ...] = ()
    #: Per-target ``objects``: (absolute image path, absolute object paths).
    target_objects: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: ``gc-sections``: the scripts are linked with ``ld --gc-sections``, so the
    #: layout predicted before linking models it (KL202).
    gc_sections: bool = False
    #: Per-target ``gc-sections``: (absolute image or script path, value).
    target_gc_sections: tuple[tuple[str, bool], ...] = ()
    #: ``--script``: linker scripts the run was told ld reads as they are (KL212).
    scripts: tuple[str, ...] = ()
    #: ``preprocessor`` (or ``--preprocessor``): the command linker-script templates
    #: are run through before they are linted (:mod:`kernlint.ldscript.preprocess`).
    preprocessor: tuple[str, ...] = ()
    #: ``per-path-preprocessor``: (glob relative to ``root``, command), in order.
    path_preprocessors: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: Per-target ``preprocessor``: (absolute script path, command).
    target_preprocessors: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: ``uefi-arch`` (or ``--uefi-arch``): the UEFI architecture PE images run on, a key
    #: of :data:`kernlint.pe.model.UEFI_ARCHES` (KL702); None: not known.
    uefi_arch: str | None = None
    #: Per-target ``uefi-arch``: (absolute image path, architecture).
    target_uefi_arches: tuple[tuple[str, str], ...] = ()
    #: Per-target ``uefi-application``: (absolute image path, whether the firmware
    #: starts it as an application, KL701).
    target_uefi_applications: tuple[tuple[str, bool], ...] = ()
    #: ``search-dirs``: ld's ``-L`` folders for INCLUDE (absolute; relative ones were
    #: taken from the configuration file's folder).
    search_dirs: tuple[str, ...] = ()
    #: Per-target ``search-dirs``: (absolute script path, absolute folders).
    target_search_dirs: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: ``-L DIR`` of ``kernlint check`` (absolute; searched before ``search-dirs``).
    cli_search_dirs: tuple[str, ...] = ()

    def search_dirs_for(self, path: str) -> tuple[str, ...]:
        """The folders ld searches for the INCLUDEs of the script ``path`` (its ``-L``
        folders, GNU ld manual "Options", ``-L``): ``-L DIR`` given to kernlint, then
        the script's target's ``search-dirs``, then the top-level ``search-dirs``; all
        absolute."""
        here = os.path.abspath(path)
        own = [d for script, dirs in self.target_search_dirs if script == here for d in dirs]
        return tuple(dict.fromkeys([*self.cli_search_dirs, *own, *self.search_dirs]))

    def preprocessor_for(self, path: str) -> tuple[str, ...]:
        """The preprocessor command for the template ``path``: its target's, else the
        first ``per-path-preprocessor`` glob it matches, else ``preprocessor``; empty
        for none."""
        if self.target_preprocessors or self.path_preprocessors:
            here = os.path.abspath(path)
            for script, command in self.target_preprocessors:
                if script == here:
                    return command
            rel = os.path.relpath(here, self.root).replace(os.sep, "/")
            for pattern, command in self.path_preprocessors:
                if fnmatch.fnmatch(rel, pattern):
                    return command
        return self.preprocessor

    def layout_for(self, path: str, targeted: bool = False) -> str | None:
        """The boot-sector layout configured for ``path``: its target's, else (unless
        ``targeted``) the top-level one, else None (infer it)."""
        if self.boot_sector_layouts:
            here = os.path.abspath(path)
            for image, layout in self.boot_sector_layouts:
                if image == here:
                    return layout
        return None if targeted else self.boot_sector_layout

    def protocol_for(self, path: str) -> str | None:
        """The boot protocol configured for the image ``path``: its target's, else
        ``boot-protocol`` / ``--boot-protocol``, else None (``auto``: detect it)."""
        here = os.path.abspath(path)
        for image, protocol in self.boot_protocols:
            if image == here:
                return protocol
        return self.boot_protocol

    def objects_for(self, path: str) -> tuple[str, ...]:
        """The object files the image ``path`` was linked from: ``--objects``, else its
        target's ``objects``, else none."""
        if self.objects:
            return self.objects
        here = os.path.abspath(path)
        return next((objs for image, objs in self.target_objects if image == here), ())

    def gc_sections_for(self, path: str) -> bool:
        """Whether the script ``path`` is linked with ``--gc-sections``: its target's
        ``gc-sections``, else the top-level one (default false)."""
        if self.target_gc_sections:
            here = os.path.abspath(path)
            for name, value in self.target_gc_sections:
                if name == here:
                    return value
        return self.gc_sections

    def uefi_arch_for(self, path: str) -> str | None:
        """The UEFI architecture the PE image ``path`` runs on: its target's
        ``uefi-arch``, else ``uefi-arch`` / ``--uefi-arch``, else None."""
        here = os.path.abspath(path)
        for image, arch in self.target_uefi_arches:
            if image == here:
                return arch
        return self.uefi_arch

    def uefi_application_for(self, path: str) -> bool | None:
        """The target's ``uefi-application`` for the PE image ``path``, or None."""
        here = os.path.abspath(path)
        return next((v for image, v in self.target_uefi_applications if image == here), None)

    def ignored_for(self, path: str) -> tuple[str, ...]:
        """Selectors ignored for ``path`` (a path as the user gave it) by
        ``per-path-ignores``."""
        if not self.per_path_ignores:
            return ()
        rel = os.path.relpath(os.path.abspath(path), self.root).replace(os.sep, "/")
        out: list[str] = []
        for pattern, rules in self.per_path_ignores:
            if fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(rel, pattern.rstrip("/") + "/*"):
                out.extend(rules)
        return tuple(out)

    def target_paths(self) -> list[str]:
        """Configured image paths, relative to the working directory when possible."""
        return [os.path.relpath(os.path.join(self.root, t)) for t in self.targets]


def find_config(start: str | None = None) -> Path | None:
    """The nearest configuration file from ``start`` (default: the working directory)
    upwards, or None."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        for name in (".kernlint.toml", "kernlint.toml"):
            if (folder / name).is_file():
                return folder / name
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


#: What a ``[tool.kernlint]`` table can look like in TOML: the table header (also
#: ``[tool.kernlint.sub]``) or a dotted key at the top level (``tool.kernlint.x =``).
_TOOL_TABLE = re.compile(rb'^[ \t]*\[?[ \t]*tool[ \t]*\.[ \t]*"?kernlint\b', re.M)
#: A bare ``[tool]`` table, which may hold ``kernlint = {...}`` or ``kernlint.x =``.
_TOOL = re.compile(rb"^[ \t]*\[[ \t]*tool[ \t]*\][ \t]*(?:#.*)?$", re.M)


def _has_tool_table(path: Path) -> bool:
    """Does ``path`` (a pyproject.toml) have a ``[tool.kernlint]`` table? Most have
    none: a file with no line that could open one (:data:`_TOOL_TABLE`, or a ``[tool]``
    table and the word kernlint) is not parsed at all: a project that only names
    kernlint (``name = "kernlint"``, ``kernlint = "kernlint.cli:main"``) costs no
    TOML parse."""
    try:
        text = path.read_bytes()
    except OSError:
        return False
    if not (_TOOL_TABLE.search(text) or (_TOOL.search(text) and b"kernlint" in text)):
        return False
    try:
        return "kernlint" in _read_toml(path).get("tool", {})
    except ConfigError:
        return False


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def load_config(path: str | Path | None = None) -> Config:
    """Read ``path`` (or the nearest configuration file); defaults when there is none.
    Raises :class:`ConfigError`."""
    file = Path(path) if path else find_config()
    if file is None:
        return Config()
    doc = _read_toml(file)
    if file.name == "pyproject.toml":
        table = doc.get("tool", {}).get("kernlint")
        if table is None:
            if path:
                raise ConfigError(f"{file}: has no [tool.kernlint] table")
            return Config()
        prefix = "tool.kernlint."
    else:
        table, prefix = doc, ""
    return _parse(table, file, prefix)


def _parse(table: dict[str, Any], file: Path, prefix: str) -> Config:
    def fail(key: str, why: str) -> ConfigError:
        return ConfigError(f"{file}: `{prefix}{key}` {why}")

    for key in table:
        if key in _NOT_YET:
            raise fail(key, f"is not supported by this version yet ({_NOT_YET[key]} come later)")
        if key not in _TOP_KEYS:
            raise fail(key, f"is not a known key (known: {', '.join(sorted(_TOP_KEYS))})")

    def rule_list(key: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(key, "must be a list of rule ids, names, prefixes or groups")
        from kernlint.engine import select_rules

        try:
            select_rules(value)
        except UsageError as exc:
            raise fail(key, f"has {exc}") from None
        return tuple(value)

    select = rule_list("select", table.get("select", []))
    ignore = rule_list("ignore", table.get("ignore", []))
    fail_on = table.get("fail-on", "warning")
    if fail_on not in FAIL_ON:
        raise fail("fail-on", f"must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
    page = table.get("page-size", 4096)
    if isinstance(page, bool) or not isinstance(page, int) or page <= 0 or page & (page - 1):
        raise fail("page-size", f"must be a positive power of two (bytes), not {page!r}")
    ppi = table.get("per-path-ignores", {})
    if not isinstance(ppi, dict):
        raise fail("per-path-ignores", "must be a table of glob = [rules]")
    per_path = tuple(
        (glob, rule_list(f"per-path-ignores.{glob}", rules)) for glob, rules in ppi.items()
    )
    from kernlint.bootsector.layout import LAYOUT_NAMES

    def layout(key: str, value: Any) -> str:
        if value not in LAYOUT_NAMES:
            raise fail(key, f"must be one of {', '.join(LAYOUT_NAMES)}, not {value!r}")
        return value

    from kernlint.boot import PROTOCOLS

    def protocol(key: str, value: Any) -> str | None:
        if value not in PROTOCOLS:
            raise fail(key, f"must be one of {', '.join(PROTOCOLS)}, not {value!r}")
        return None if value == "auto" else value

    top_layout = table.get("boot-sector-layout")
    if top_layout is not None:
        layout("boot-sector-layout", top_layout)
    top_protocol = protocol("boot-protocol", table.get("boot-protocol", "auto"))

    def flag(key: str, value: Any) -> bool:
        if not isinstance(value, bool):
            raise fail(key, f"must be true or false, not {value!r}")
        return value

    top_gc = flag("gc-sections", table.get("gc-sections", False))

    def uefi_arch(key: str, value: Any) -> str:
        from kernlint.pe.model import UEFI_ARCHES

        if not isinstance(value, str) or value.lower() not in UEFI_ARCHES:
            raise fail(key, f"must be one of {', '.join(UEFI_ARCHES)}, not {value!r}")
        return value.lower()

    top_uefi_arch = None
    if "uefi-arch" in table:
        top_uefi_arch = uefi_arch("uefi-arch", table["uefi-arch"])
    target_uefi_arches = []
    target_uefi_applications = []

    def command(key: str, value: Any) -> tuple[str, ...]:
        from kernlint.ldscript.preprocess import parse_command

        if isinstance(value, str):
            raise fail(key, "must be the command and its arguments, as a list of strings")
        try:
            return parse_command(value)
        except ValueError as exc:
            raise fail(key, str(exc)) from None

    top_preprocessor = ()
    if "preprocessor" in table:
        top_preprocessor = command("preprocessor", table["preprocessor"])
    ppp = table.get("per-path-preprocessor", {})
    if not isinstance(ppp, dict):
        raise fail("per-path-preprocessor", "must be a table of glob = [command, args...]")
    path_preprocessors = tuple(
        (glob, command(f"per-path-preprocessor.{glob}", cmd)) for glob, cmd in ppp.items()
    )

    def folders(key: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise fail(key, "must be a list of folders (strings)")
        return tuple(os.path.abspath(os.path.join(file.parent, v)) for v in value)

    top_search_dirs = folders("search-dirs", table.get("search-dirs", []))
    target_search_dirs = []
    target_preprocessors = []
    target_gc = []
    protocols = []
    target_objects = []
    layouts = []
    raw_targets = table.get("target", [])
    if not isinstance(raw_targets, list) or not all(isinstance(t, dict) for t in raw_targets):
        raise fail("target", "must be an array of tables ([[target]])")
    targets = []
    for i, t in enumerate(raw_targets):
        for key in t:
            if key in _NOT_YET:
                raise fail(
                    f"target[{i}].{key}",
                    f"is not supported by this version yet ({_NOT_YET[key]} come later)",
                )
            if key not in _TARGET_KEYS:
                raise fail(
                    f"target[{i}].{key}",
                    f"is not a known key (known: {', '.join(sorted(_TARGET_KEYS))})",
                )
        if not isinstance(t.get("image"), str) or not t["image"]:
            raise fail(f"target[{i}].image", "must be a path (string)")
        targets.append(t["image"])
        if "boot-sector-layout" in t:
            value = layout(f"target[{i}].boot-sector-layout", t["boot-sector-layout"])
            layouts.append((os.path.abspath(os.path.join(file.parent, t["image"])), value))
        image = os.path.abspath(os.path.join(file.parent, t["image"]))
        if "boot-protocol" in t:
            value = protocol(f"target[{i}].boot-protocol", t["boot-protocol"])
            protocols.append((image, value or "auto"))
        if "uefi-arch" in t:
            target_uefi_arches.append((image, uefi_arch(f"target[{i}].uefi-arch", t["uefi-arch"])))
        if "uefi-application" in t:
            value = flag(f"target[{i}].uefi-application", t["uefi-application"])
            target_uefi_applications.append((image, value))
        if "gc-sections" in t:
            value = flag(f"target[{i}].gc-sections", t["gc-sections"])
            target_gc.append((image, value))
            if isinstance(t.get("script"), str) and t["script"]:
                target_gc.append((os.path.abspath(os.path.join(file.parent, t["script"])), value))
        if "script" in t:
            if not isinstance(t["script"], str) or not t["script"]:
                raise fail(f"target[{i}].script", "must be a path (string)")
            targets.append(t["script"])
        if "preprocessor" in t:
            if "script" not in t:
                raise fail(f"target[{i}].preprocessor", "needs the target's `script` (a template)")
            value = command(f"target[{i}].preprocessor", t["preprocessor"])
            script_path = os.path.abspath(os.path.join(file.parent, t["script"]))
            target_preprocessors.append((script_path, value))
        if "search-dirs" in t:
            if "script" not in t:
                raise fail(f"target[{i}].search-dirs", "needs the target's `script`")
            value = folders(f"target[{i}].search-dirs", t["search-dirs"])
            script_path = os.path.abspath(os.path.join(file.parent, t["script"]))
            target_search_dirs.append((script_path, value))
        objects = t.get("objects", [])
        if not isinstance(objects, list) or not all(isinstance(o, str) and o for o in objects):
            raise fail(f"target[{i}].objects", "must be a list of paths")
        targets.extend(objects)
        if objects:
            absolute = tuple(os.path.abspath(os.path.join(file.parent, o)) for o in objects)
            target_objects.append((image, absolute))
            if "script" in t:
                # The script is laid out with the target's objects (kernlint.layout).
                script = os.path.abspath(os.path.join(file.parent, t["script"]))
                target_objects.append((script, absolute))
    return Config(
        page_size=page,
        select=select,
        ignore=ignore,
        fail_on=fail_on,
        per_path_ignores=per_path,
        targets=tuple(targets),
        path=str(file),
        root=str(file.parent.resolve()),
        boot_sector_layout=top_layout,
        boot_sector_layouts=tuple(layouts),
        boot_protocol=top_protocol,
        boot_protocols=tuple(protocols),
        target_objects=tuple(target_objects),
        gc_sections=top_gc,
        target_gc_sections=tuple(target_gc),
        preprocessor=top_preprocessor,
        path_preprocessors=path_preprocessors,
        target_preprocessors=tuple(target_preprocessors),
        uefi_arch=top_uefi_arch,
        target_uefi_arches=tuple(target_uefi_arches),
        target_uefi_applications=tuple(target_uefi_applications),
        search_dirs=top_search_dirs,
        target_search_dirs=tuple(target_search_dirs),
    )
