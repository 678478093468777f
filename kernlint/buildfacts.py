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

How the image is booted (KL408 multiboot-qemu-unloadable; the permission rules through
:mod:`kernlint.loaders`): the same build files, and the shell scripts (`*.sh`: `run.sh`,
`qemu_run.sh`) in the same folders, are read for a QEMU command line's `-kernel FILE`
(:attr:`BuildFacts.qemu_kernels`; a file that names `qemu` somewhere, commented-out
lines skipped, the file's last path component kept, one make/shell variable resolved
from an assignment in the same file) and for `grub-mkrescue` or `-cdrom`, the way a GRUB
ISO is made and booted (:attr:`BuildFacts.grub_iso`); and GRUB configurations
(`grub.cfg` in each of those folders, in its `boot/grub/`, `grub/` and `boot/`, and,
inside a git work tree, in `*/boot/grub/` of each: the ISO staging folder) are read for
their `multiboot`/`multiboot2` commands (:attr:`BuildFacts.grub_entries`).

Which linker the build uses (KL002: what GNU ld rejects and ld.lld accepts matters
only if the project links with GNU ld): the same build files, Rust target
specifications (`*.json` with `"llvm-target"`) in the same folders, are read for an
ld.lld/rust-lld linker named outright (`linker = "rust-lld"` in `.cargo/config*`,
`-C linker=rust-lld`, `"linker-flavor": "ld.lld"`, `-fuse-ld=lld`, `LD = ld.lld`),
another linker named (`linker = "arm-none-eabi-gcc"`, `-fuse-ld=bfd`,
`LD = $(CROSS)ld`), a Rust built-in bare-metal target (`aarch64-unknown-none-softfloat`,
`thumbv7em-none-eabihf`, `riscv64gc-unknown-none-elf`, `x86_64-unknown-none`: rustc's
default linker for those is rust-lld, `rustc_target/src/spec/targets/*`) and a
dependency on `cortex-m-rt`, whose `link.x`/`memory.x` are also linked with GNU ld
(:attr:`BuildFacts.lld_only`).

The answer is a :class:`BuildFacts`; ``known`` is False when no build file was found,
and a rule then cannot tell and says so (see RULES.md: a rule that cannot tell stays
silent or reports at ``info``). Reading is bounded: at most :data:`MAX_FILE_BYTES` of
each file and :data:`MAX_FILES` files in all; nothing is written.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from functools import lru_cache

from kernlint.worktree import git_root

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
#: Run scripts (``*.sh``) and ``grub.cfg`` files read for the boot facts, in all.
MAX_BOOT_FILES = 32
#: Folders below one walked folder looked into for ``*/boot/grub/grub.cfg``.
MAX_CHILD_FOLDERS = 64
#: Where a GRUB configuration stands relative to a walked folder.
GRUB_CFG_PLACES = ("grub.cfg", "boot/grub/grub.cfg", "grub/grub.cfg", "boot/grub.cfg")

_GC = re.compile(rb"gc-sections")
_NO_GC = re.compile(rb"no-gc-sections")
_FUNCTION_SECTIONS = re.compile(rb"-ffunction-sections")
_DATA_SECTIONS = re.compile(rb"-fdata-sections")
_QEMU = re.compile(rb"qemu", re.I)
#: `-kernel FILE` (or `-kernel=FILE`) on a line that is not a comment.
_KERNEL_ARG = re.compile(
    rb"""^(?![ \t]*#).*?(?<![\w-])-kernel[ \t=]+("[^"\n]*"|'[^'\n]*'|[^\s;|&]+)""", re.M
)
_GRUB_ISO = re.compile(rb"^(?![ \t]*#).*?(?:grub-mkrescue|grub2-mkrescue|(?<![\w-])-cdrom\b)", re.M)
#: A GRUB `multiboot`/`multiboot2` command and its first argument, the kernel file
#: (GRUB 2 manual, "multiboot", "multiboot2"; options such as `--quirk-...` skipped).
_GRUB_MULTIBOOT = re.compile(rb"^[ \t]*(multiboot2?)[ \t]+(?:--\S+[ \t]+)*(\S+)", re.M)
_VARIABLE = re.compile(r"^\$(?:\((\w+)\)|\{(\w+)\}|(\w+))$")
_LLD_NAME = rb"(?:rust-lld|ld\.lld|lld|(?:[\w./-]*/)?ld\.lld)"
#: An ld.lld/rust-lld linker named outright, on a line that is not a comment.
_LLD_LINKER = re.compile(
    rb"^(?![ \t]*#).*?(?:\blinker[ \t]*=[ \t]*[\"']" + _LLD_NAME + rb"[\"']"
    rb"|-C[ \t]*linker=" + _LLD_NAME + rb"\b"
    rb"|linker-flavor[\"']?[ \t]*[:=][ \t]*[\"']?(?:ld\.lld|gnu-lld)"
    rb"|-fuse-ld=lld\b"
    rb"|^[ \t]*(?:export[ \t]+)?LD[ \t]*[:?+]?=[ \t]*\S*ld\.lld\b)",
    re.M,
)
#: Another linker named: a Cargo/rustc/target-spec linker that is not ld.lld, a
#: `-fuse-ld=` of GNU ld, gold or mold, or a make `LD =` that is not ld.lld.
_OTHER_LINKER = re.compile(
    rb"^(?![ \t]*#).*?(?:\blinker[\"']?[ \t]*[=:][ \t]*[\"']"
    rb"(?!" + _LLD_NAME + rb"[\"'])[^\"'\n]+[\"']"
    rb"|-C[ \t]*linker=(?!" + _LLD_NAME + rb"\b)\S+"
    rb"|-fuse-ld=(?:bfd|gold|mold)\b"
    rb"|^[ \t]*(?:export[ \t]+)?LD[ \t]*[:?]?=[ \t]*(?!\S*ld\.lld\b)\S*ld\b)",
    re.M,
)
#: A Rust built-in bare-metal target triple, whose default linker is rust-lld.
_RUST_BARE_TARGET = re.compile(
    rb"\b(?:aarch64|x86_64|riscv(?:32|64)\w*|thumbv\w+|armv\w+|armebv\w+|loongarch64)"
    rb"-(?:unknown-)?none(?:-\w+)?\b"
)
_CORTEX_M_RT = re.compile(rb"^[ \t]*cortex-m-rt\b", re.M)


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
    #: ``(file, name)`` for each `-kernel NAME` of a QEMU command line in a build file
    #: or run script: NAME is the last path component of the argument, or "" when it
    #: is a variable the file does not assign.
    qemu_kernels: tuple[tuple[str, str], ...] = ()
    #: Build files or run scripts that make a GRUB ISO or boot one (`grub-mkrescue`,
    #: `-cdrom`).
    grub_iso: tuple[str, ...] = ()
    #: ``(grub.cfg, command, name)`` for each `multiboot`/`multiboot2` command of the
    #: GRUB configurations found: NAME is the last path component of its kernel file.
    grub_entries: tuple[tuple[str, str, str], ...] = ()
    #: The run scripts and GRUB configurations read for the three facts above.
    boot_files: tuple[str, ...] = ()
    #: ``file: text`` of an ld.lld/rust-lld linker named outright, or None.
    lld_linker: str | None = None
    #: ``file: text`` of another linker named, or None.
    other_linker: str | None = None
    #: ``file: triple`` of a Rust built-in bare-metal target named, or None.
    rust_bare_target: str | None = None
    #: A ``Cargo.toml`` depends on ``cortex-m-rt``.
    cortex_m_rt: bool = False

    @property
    def lld_only(self) -> str | None:
        """Why the project links only with ld.lld/rust-lld (the evidence, in words), or
        None: no other linker is named, and ld.lld is named outright, or a Cargo
        project builds a Rust bare-metal target (rust-lld by default) without
        ``cortex-m-rt``."""
        if self.other_linker is not None:
            return None
        if self.lld_linker is not None:
            return f"the build names it ({self.lld_linker})"
        if self.rust and self.rust_bare_target is not None and not self.cortex_m_rt:
            where, triple = self.rust_bare_target.split(": ", 1)
            return (
                f"a Cargo build for {triple} ({where}), whose default linker is rust-lld,"
                " and no other linker named"
            )
        return None

    @property
    def known(self) -> bool:
        """True when some build file was found, so that a False above means "not in
        the build" rather than "not known"."""
        return bool(self.files)

    def qemu_kernel_for(self, image: str, *, unresolved: bool = False) -> str | None:
        """The build file or run script that runs QEMU with `-kernel` naming ``image``
        (compared by file name), or None. With ``unresolved``, a `-kernel` argument
        that is a variable the file does not assign counts as naming it."""
        name = os.path.basename(image)
        for path, given in self.qemu_kernels:
            if given == name or (unresolved and not given):
                return path
        return None

    def grub_entries_for(self, command: str) -> tuple[tuple[str, str, str], ...]:
        """The :attr:`grub_entries` whose command is ``command`` (`multiboot2`)."""
        return tuple(e for e in self.grub_entries if e[1] == command)


def _folders(path: str) -> list[str]:
    """The folder of ``path`` and those above it that the build may live in."""
    folder = os.path.dirname(os.path.abspath(path))
    top = git_root(folder)
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


def _run_scripts(folder: str, known: set[str]) -> list[str]:
    """The shell scripts (``*.sh``) of ``folder`` not among ``known``."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    out = [os.path.join(folder, n) for n in names if n.endswith(".sh")]
    return [f for f in out if f not in known and os.path.isfile(f)]


def _grub_configs(folder: str, in_git: bool) -> list[str]:
    """The ``grub.cfg`` files at :data:`GRUB_CFG_PLACES` of ``folder`` and, inside a
    git work tree, in ``*/boot/grub/`` below it (an ISO staging folder such as
    ``isodir/``; at most :data:`MAX_CHILD_FOLDERS` children looked into)."""
    found = [os.path.join(folder, p) for p in GRUB_CFG_PLACES]
    if in_git:
        try:
            children = sorted(n for n in os.listdir(folder) if not n.startswith("."))
        except OSError:
            children = []
        found += [
            os.path.join(folder, c, "boot", "grub", "grub.cfg")
            for c in children[:MAX_CHILD_FOLDERS]
        ]
    return [f for f in found if os.path.isfile(f)]


def _file_name(argument: str, text: bytes) -> str:
    """The last path component of a `-kernel` argument, with a whole-name variable
    (`$(KERNEL)`, `${KERNEL}`, `$KERNEL`) resolved through an assignment in ``text``
    (`KERNEL := build/kernel.elf`, `KERNEL=kernel.elf`), up to two levels; "" when it
    cannot be resolved."""
    for _ in range(3):
        while argument.endswith(")") and argument.count(")") > argument.count("("):
            argument = argument[:-1]  # `$(shell ... -kernel $K)`: not the argument's
        name = argument.strip("\"'").rstrip("/").rsplit("/", 1)[-1]
        if "$" not in name:
            return name
        m = _VARIABLE.match(name)
        if m is None:
            return ""
        var = next(g for g in m.groups() if g)
        assign = re.search(
            rb"^[ \t]*(?:export[ \t]+)?" + re.escape(var.encode()) + rb"[ \t]*[:?+]?=[ \t]*(\S+)",
            text,
            re.M,
        )
        if assign is None:
            return ""
        argument = assign.group(1).decode("utf-8", "replace")
    return ""


def _boot_facts(files: list[str], folders: list[str], in_git: bool):
    """``(qemu_kernels, grub_iso, grub_entries, boot_files)`` (see :class:`BuildFacts`)."""
    scripts: list[str] = []
    known = set(files)
    for folder in folders:
        scripts += _run_scripts(folder, known)
    configs: list[str] = []
    for folder in folders:
        configs += _grub_configs(folder, in_git)
    extra = (scripts + configs)[:MAX_BOOT_FILES]
    qemu: list[tuple[str, str]] = []
    iso: list[str] = []
    for path in files + [p for p in extra if p in scripts]:
        data = _read(path)
        if not _QEMU.search(data) and not _GRUB_ISO.search(data):
            continue
        if _GRUB_ISO.search(data):
            iso.append(path)
        if _QEMU.search(data):
            for m in _KERNEL_ARG.finditer(data):
                qemu.append((path, _file_name(m.group(1).decode("utf-8", "replace"), data)))
    entries = [
        (path, m.group(1).decode(), _file_name(m.group(2).decode("utf-8", "replace"), b""))
        for path in extra
        if path in configs
        for m in _GRUB_MULTIBOOT.finditer(_read(path))
    ]
    return tuple(qemu), tuple(iso), tuple(entries), tuple(extra)


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(MAX_FILE_BYTES)
    except OSError:
        return b""


@lru_cache(maxsize=256)
def _facts_of_folder(folder: str) -> BuildFacts:
    files: list[str] = []
    folders = _folders(os.path.join(folder, "_"))
    for level in folders:
        files += _build_files(level)
        if len(files) >= MAX_FILES:
            files = files[:MAX_FILES]
            break
    rust = gc = fsec = dsec = cmrt = False
    lld = other = target = None
    for path in files + _target_specs(folders):
        if os.path.basename(path) == "Cargo.toml":
            rust = True
        data = _read(path)
        lld = lld or _evidence(path, _LLD_LINKER, data)
        other = other or _evidence(path, _OTHER_LINKER, data)
        target = target or _evidence(path, _RUST_BARE_TARGET, data)
        cmrt = cmrt or (path.endswith("Cargo.toml") and bool(_CORTEX_M_RT.search(data)))
        if path.endswith(".json"):
            continue
        if _GC.search(data) and len(_GC.findall(data)) > len(_NO_GC.findall(data)):
            gc = True
        fsec = fsec or bool(_FUNCTION_SECTIONS.search(data))
        dsec = dsec or bool(_DATA_SECTIONS.search(data))
    in_git = git_root(folder) is not None
    return BuildFacts(
        tuple(files),
        rust,
        gc or rust,
        fsec or rust,
        dsec or rust,
        *_boot_facts(files, folders, in_git),
        lld_linker=lld,
        other_linker=other,
        rust_bare_target=target,
        cortex_m_rt=cmrt,
    )


def _evidence(path: str, pattern: re.Pattern[bytes], data: bytes) -> str | None:
    """``file: match`` of the first match of ``pattern`` in ``data``, or None."""
    m = pattern.search(data)
    if m is None:
        return None
    text = m.group(0).decode("utf-8", "replace").strip()
    return f"{os.path.relpath(path)}: {text[-80:]}"


def _target_specs(folders: list[str]) -> list[str]:
    """Rust target specifications (``*.json`` naming ``"llvm-target"``) in ``folders``."""
    out = []
    for folder in folders:
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        for n in names:
            p = os.path.join(folder, n)
            if n.endswith(".json") and os.path.isfile(p) and b'"llvm-target"' in _read(p)[:65536]:
                out.append(p)
    return out[:8]


def build_facts(path: str) -> BuildFacts:
    """The :class:`BuildFacts` for the input at ``path`` (a linker script, a source):
    the build files in its folder and the folders above it (to the git top level, or
    :data:`MAX_LEVELS` folders outside git). When a build file or run script in the
    script's own folder links with it (`-T <its name>`), that file decides the
    compile and link flags (:func:`_direct_linkers`). Never raises for unreadable
    folders or files (they count as absent). Cached per folder for the process."""
    folder = os.path.dirname(os.path.abspath(path))
    facts = _facts_of_folder(folder)
    direct = _direct_linkers(folder, os.path.basename(path))
    if not direct:
        return facts
    data = b"\n".join(_read(f) for f in direct)
    gc = _GC.search(data) is not None and len(_GC.findall(data)) > len(_NO_GC.findall(data))
    return replace(
        facts,
        files=tuple(dict.fromkeys((*direct, *facts.files))),
        gc_sections=gc or facts.rust,
        function_sections=bool(_FUNCTION_SECTIONS.search(data)) or facts.rust,
        data_sections=bool(_DATA_SECTIONS.search(data)) or facts.rust,
    )


@lru_cache(maxsize=256)
def _direct_linkers(folder: str, name: str) -> tuple[str, ...]:
    """The build files and run scripts (``*.sh``) in ``folder`` that pass the linker
    script ``name`` with `-T` (`-T name`, `-T"$DIR/name"`, `-Wl,-T,name`): the link
    that uses the script, whose flags say more than a build above it (coreboot's
    `util/riscv/make-spike-elf.sh`, which wraps a flat binary with `spike-elf.ld`,
    while the tree's top Makefile compiles coreboot itself with `-fdata-sections`)."""
    pattern = re.compile(rb"-T[\s,=]*[\"']?[^\s\"']*?" + re.escape(name.encode()) + rb"\b")
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return ()
    found = []
    for n in names:
        if not (n in BUILD_FILE_NAMES or n.endswith((*BUILD_FILE_SUFFIXES, ".sh"))):
            continue
        path = os.path.join(folder, n)
        if os.path.isfile(path) and pattern.search(_read(path)):
            found.append(path)
    return tuple(found[:MAX_BOOT_FILES])
