"""What a project's build files say about how its inputs are compiled and linked.

Some rules are right only for some builds: a boot header outside `KEEP()` is lost only
when the link uses `--gc-sections` (KL202); `*(.text)` without `.text.*` orphans code
only when the compiler puts each function in a section of its own (KL201). Neither
fact is in the linker script. A kernel developer would look at the build, so kernlint
does too, cheaply: it reads the build files that stand in the input's folder and in
each folder above it up to the top of its git work tree (or, outside a git work tree,
up to :data:`MAX_LEVELS` folders), and looks for the flags by name.

What counts as a build file (:data:`BUILD_FILE_NAMES`, :data:`BUILD_FILE_SUFFIXES`):
Make (`Makefile`, `*.mk`, `*.mak`, Kbuild), CMake (`CMakeLists.txt`, `*.cmake`),
Meson, SCons, Bazel, Zig's `build.zig`, Cargo (`Cargo.toml`, `build.rs`, and
`.cargo/config.toml`), and shell or Python build scripts (`build.sh`, `build.py`).
The flags looked for: `gc-sections` (`-Wl,--gc-sections`, `--gc-sections`,
`LDFLAGS += --gc-sections`), `-ffunction-sections`, `-fdata-sections`. A Cargo
project is taken to use all three: rustc passes `--gc-sections` to the linker for
executables and emits a section per function and per static by default (rustc
`compiler/rustc_codegen_ssa/src/back/linker.rs` `gc_sections`; the target option
`function_sections`, true by default).

The answer is a :class:`BuildFacts`; ``known`` is False when no build file was found,
and a rule then cannot tell and says so (see RULES.md: a rule that cannot tell stays
silent or reports at ``info``). Reading is bounded: at most :data:`MAX_FILE_BYTES` of
each file and :data:`MAX_FILES` files in all; nothing is written.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache

#: Exact names of build files.
BUILD_FILE_NAMES = frozenset(
    {
        "Makefile",
        "makefile",
        "GNUmakefile",
        "Kbuild",
        "CMakeLists.txt",
        "meson.build",
        "SConstruct",
        "SConscript",
        "BUILD",
        "BUILD.bazel",
        "build.zig",
        "Cargo.toml",
        "build.rs",
        "build.sh",
        "build.py",
        "compile.sh",
    }
)
#: Name endings of build files.
BUILD_FILE_SUFFIXES = (".mk", ".mak", ".cmake", ".bzl")
#: Cargo's configuration files, looked for in a `.cargo` folder.
CARGO_CONFIGS = ("config.toml", "config")
#: Bytes read of one build file.
MAX_FILE_BYTES = 512 * 1024
#: Build files read for one input, in all.
MAX_FILES = 64
#: Folders walked up outside a git work tree (the input's own included).
MAX_LEVELS = 6

_GC = re.compile(rb"gc-sections")
_NO_GC = re.compile(rb"no-gc-sections")
_FUNCTION_SECTIONS = re.compile(rb"-ffunction-sections")
_DATA_SECTIONS = re.compile(rb"-fdata-sections")


@dataclass(frozen=True)
class BuildFacts:
    """What the build files around one input say.

    ``files``: the build files read, as paths; ``rust``: a ``Cargo.toml`` was among
    them; ``gc_sections``: some build file names `--gc-sections` (and is not only
    `--no-gc-sections`), or the project is a Cargo one; ``function_sections`` /
    ``data_sections``: some build file names `-ffunction-sections` /
    `-fdata-sections`, or the project is a Cargo one."""

    files: tuple[str, ...] = ()
    rust: bool = False
    gc_sections: bool = False
    function_sections: bool = False
    data_sections: bool = False

    @property
    def known(self) -> bool:
        """True when some build file was found, so that a False above means "not in
        the build" rather than "not known"."""
        return bool(self.files)


def _git_top(folder: str) -> str | None:
    """The work tree holding ``folder`` (the first ancestor with a ``.git``), or None."""
    here = folder
    while True:
        if os.path.exists(os.path.join(here, ".git")):
            return here
        parent = os.path.dirname(here)
        if parent == here:
            return None
        here = parent


def _folders(path: str) -> list[str]:
    """The folder of ``path`` and those above it that the build may live in."""
    folder = os.path.dirname(os.path.abspath(path))
    top = _git_top(folder)
    out = []
    here = folder
    while True:
        out.append(here)
        if top is not None and here == top:
            break
        if top is None and len(out) >= MAX_LEVELS:
            break
        parent = os.path.dirname(here)
        if parent == here:
            break
        here = parent
    return out


def _build_files(folder: str) -> list[str]:
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    found = [
        os.path.join(folder, n)
        for n in names
        if n in BUILD_FILE_NAMES or n.endswith(BUILD_FILE_SUFFIXES)
    ]
    cargo = os.path.join(folder, ".cargo")
    found += [os.path.join(cargo, c) for c in CARGO_CONFIGS]
    return [f for f in found if os.path.isfile(f)]


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(MAX_FILE_BYTES)
    except OSError:
        return b""


@lru_cache(maxsize=256)
def _facts_of_folder(folder: str) -> BuildFacts:
    files: list[str] = []
    for level in _folders(os.path.join(folder, "_")):
        files += _build_files(level)
        if len(files) >= MAX_FILES:
            files = files[:MAX_FILES]
            break
    rust = gc = fsec = dsec = False
    for path in files:
        if os.path.basename(path) == "Cargo.toml":
            rust = True
        data = _read(path)
        if _GC.search(data) and len(_GC.findall(data)) > len(_NO_GC.findall(data)):
            gc = True
        fsec = fsec or bool(_FUNCTION_SECTIONS.search(data))
        dsec = dsec or bool(_DATA_SECTIONS.search(data))
    return BuildFacts(tuple(files), rust, gc or rust, fsec or rust, dsec or rust)


def build_facts(path: str) -> BuildFacts:
    """The :class:`BuildFacts` for the input at ``path`` (a linker script, a source):
    the build files in its folder and the folders above it (to the git top level, or
    :data:`MAX_LEVELS` folders outside git). Never raises for unreadable folders or
    files (they count as absent). Cached per folder for the process."""
    return _facts_of_folder(os.path.dirname(os.path.abspath(path)))
