"""The git work tree an input lives in: the one place that answers it, for the project
context (:mod:`kernlint.project`), the build facts (:mod:`kernlint.buildfacts`) and
INCLUDE confinement (:mod:`kernlint.ldscript.include`); and which paths name the same
file."""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import lru_cache


@lru_cache(maxsize=256)
def git_root(directory: str) -> str | None:
    """The work tree holding ``directory``: the nearest folder upwards (``directory``
    itself included) with a ``.git`` entry — a directory, or the file of a linked work
    tree — or None. Only the file system is read (no git process)."""
    d = os.path.abspath(directory)
    while True:
        if os.path.exists(os.path.join(d, ".git")):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            return None
        d = parent


def unique_paths(paths: Iterable[str]) -> list[str]:
    """``paths`` in order, without those that name a file already listed (compared by
    ``os.path.realpath``: `./link.ld`, `link.ld` and a symlink to it are one)."""
    seen: set[str] = set()
    out = []
    for p in paths:
        key = os.path.realpath(p)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
