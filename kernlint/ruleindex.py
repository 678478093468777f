"""The rule index: every rule's metadata without importing every rule module.

A run needs each rule's ``ID``, ``NAME``, ``SEVERITY``, ``APPLIES_TO`` and ``GROUP`` to
select rules (``--select``, ``--ignore``, per-path ignores) and to know which apply to the
inputs at hand; but importing all the rule modules to read them cost ~10 ms of every
``kernlint check`` (``bench/scripts.py``), a linker-script run importing some thirty
image, boot-sector and source rules it never runs.

So the metadata of a full discovery (:func:`kernlint.engine.discover_rules`, which
imports and checks every module) is written to a small JSON file, together with a
*signature* of the rules folder: the name, size, mtime, ctime and inode of every file
in it, and of ``kernlint/context.py`` and ``kernlint/finding.py`` (which define the
input kinds and severities the metadata names). A later process that finds the same
signature takes the metadata from the file and imports a rule module only when the
rule runs (:class:`kernlint.engine.Rule`); any change in the folder -- a rule added,
removed or edited -- changes the signature, and the next run discovers the rules
again and rewrites the index. Nothing is listed by hand, and the index holds no
code: only strings and booleans, checked on reading.

This is the invalidation Python uses for its own bytecode (size and mtime), made
stricter with ctime and inode, so an index is never staler than the ``.pyc`` files
next to it. A folder that holds anything but plain files (a rule package) is never
indexed. The file lives in the temporary directory, one per rules folder, and is read
only when this user owns it and nobody else can write it, like the parser's table
cache (:mod:`kernlint.ldscript.tables`).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kernlint.engine import Rule

#: Bump when the file's layout changes (2: each rule records its group).
FORMAT = 2
#: Modules whose constants the metadata uses (input kinds, severities).
_ALSO = ("context.py", "finding.py")
#: Where the last :func:`rules` call took the rules from: ``"index"`` or
#: ``"discovery"`` (for tests).
last_source: str | None = None


def rules(
    package: str, folders: list[str], discover: Callable[[str], tuple[Rule, ...]]
) -> tuple[Rule, ...]:
    """The rules of ``package`` (whose ``__path__`` is ``folders``): from the index when
    its signature matches the folders, else ``discover(package)``, recorded in the
    index for the next run."""
    global last_source
    signature = _signature(folders)
    path = None if signature is None else index_path(folders)
    if path is not None:
        found = _read(path, package, signature)
        if found is not None:
            last_source = "index"
            return found
    last_source = "discovery"
    found = discover(package)
    if path is not None and signature is not None:
        _write(path, signature, found)
    return found


def _stat(path: str) -> list:
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def _signature(folders: list[str]) -> list | None:
    """What identifies the content of the rule folders, or None when it cannot be
    told cheaply (a subfolder, an unreadable folder)."""
    entries: list = []
    try:
        for folder in folders:
            with os.scandir(folder) as it:
                for entry in it:
                    if entry.name == "__pycache__":
                        continue
                    if entry.is_dir():
                        return None
                    st = entry.stat()
                    entries.append(
                        [folder, entry.name, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]
                    )
        home = os.path.dirname(__file__)
        entries.extend([home, name, *_stat(os.path.join(home, name))] for name in _ALSO)
    except OSError:
        return None
    entries.sort()
    from kernlint import __version__

    return [FORMAT, __version__, *entries]


def _temp_dir() -> str | None:
    """The temporary directory, chosen as :func:`tempfile.gettempdir` would (which
    costs an import of ``tempfile`` that the ELF path does not otherwise make)."""
    for var in ("TMPDIR", "TEMP", "TMP"):
        value = os.environ.get(var)
        if value and os.path.isdir(value):
            return value
    if os.name == "posix":
        for folder in ("/tmp", "/var/tmp", "/usr/tmp"):
            if os.path.isdir(folder):
                return folder
    return None


def index_path(folders: list[str]) -> str | None:
    """The index file of the rules in ``folders``, or None without a temporary
    directory."""
    temp = _temp_dir()
    if temp is None:
        return None
    # Named after the folders (no hash: hashlib is another import the ELF path does
    # not make); two folders that read alike here only share the file, whose
    # signature still tells them apart.
    joined = "-".join(os.path.abspath(f) for f in folders)
    key = "".join(c if c.isascii() and (c.isalnum() or c == "_") else "-" for c in joined)
    key = key.strip("-")[-120:]
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return os.path.join(temp, f"kernlint-rules-{uid}-{key}.json")


def _trusted(st: os.stat_result) -> bool:
    """A file this user owns and nobody else can write (the directory is shared)."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return st.st_uid == uid and not st.st_mode & 0o022


def _read(path: str, package: str, signature: list) -> tuple[Rule, ...] | None:
    from kernlint.engine import Rule

    try:
        with open(path, "rb") as f:
            if not _trusted(os.fstat(f.fileno())):
                return None
            data = json.load(f)
        if data["signature"] != signature:
            return None
        found = []
        for rule_id, name, severity, applies_to, module, after_others, group in data["rules"]:
            strings = (rule_id, name, severity, module, group, *applies_to)
            if not all(isinstance(s, str) for s in strings) or not isinstance(after_others, bool):
                return None
            if not module.startswith(f"{package}."):
                return None
            found.append(
                Rule(rule_id, name, severity, frozenset(applies_to), module, after_others, group)
            )
        return tuple(found)
    except (OSError, ValueError, KeyError, TypeError):  # missing, damaged or foreign
        return None


def _write(path: str, signature: list, found: tuple[Rule, ...]) -> None:
    """Best effort: an unwritable temporary directory only costs the next run time."""
    data = {
        "signature": signature,
        "rules": [
            [
                r.id,
                r.name,
                r.severity,
                sorted(r.applies_to),
                r.module_name,
                r.after_others,
                r.group,
            ]
            for r in found
        ],
    }
    tmp = f"{path}.{os.getpid()}"
    try:
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            json.dump(data, f)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def clear(folders: list[str]) -> None:
    """Remove the index of ``folders`` (tests)."""
    path = index_path(folders)
    if path is not None:
        with contextlib.suppress(OSError):
            os.unlink(path)
