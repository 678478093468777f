"""Real, third-party kernel binaries taken from Debian packages at test time.

Nothing here is committed to the repository: each package is fetched with
``apt-get download`` (which needs no root when nothing is installed), unpacked
with ``dpkg-deb --fsys-tarfile`` streamed into :mod:`tarfile` (only the members we
need are written), post-processed in Python (gunzip, bzImage payload extraction,
``.ko.xz`` decompression) and kept in a cache:

* ``$KERNLINT_TEST_CACHE`` if set, else ``~/.cache/kernlint-tests``.
* One directory per artifact (``grub-pc-bin/``, ``xen-hypervisor/``,
  ``linux-image/``), built in a temporary sibling directory and renamed into
  place once complete; a ``.complete.json`` marker inside records the package,
  its version and what was extracted. A later run that finds the marker uses
  the directory as is and does not touch apt at all. Delete the directory to
  refresh it. An advisory ``flock`` per artifact serialises concurrent builders
  (pytest-xdist workers); the rename makes the result atomic either way.
* ``KERNLINT_TEST_OFFLINE=1`` forbids downloading: only the cache is used.

Every failure to obtain a binary (no apt-get, no network, package not in the
configured archive, unexpected package layout, missing decompressor) raises
:class:`Unavailable` with a readable reason; the test suite turns that into
``pytest.skip``. Nothing in this module imports pytest or kernlint.
"""

from __future__ import annotations

import bz2
import contextlib
import fcntl
import gzip
import hashlib
import json
import lzma
import os
import re
import shutil
import struct
import subprocess
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = [
    "DEFAULT_LINUX_MODULE_COUNT",
    "GRUB_MODULE_NAMES",
    "GRUB_PACKAGE",
    "LINUX_META_PACKAGE",
    "LINUX_MODULE_NAMES",
    "XEN_PACKAGE",
    "Unavailable",
    "cache_dir",
    "extract_vmlinux",
    "grub_boot_img",
    "grub_kernel_img",
    "grub_module",
    "grub_modules",
    "linux_bzimage",
    "linux_module",
    "linux_modules",
    "linux_vmlinux",
    "provenance",
    "u_boot_qemu_elf",
    "xen_hypervisor",
]

GRUB_PACKAGE = "grub-pc-bin"
XEN_PACKAGE = "xen-hypervisor-4.17-amd64"
U_BOOT_PACKAGE = "u-boot-qemu"
LINUX_META_PACKAGE = "linux-image-amd64"

#: GRUB i386-pc modules exercised by the tests (ELF32 ET_REL).
GRUB_MODULE_NAMES: tuple[str, ...] = ("normal", "multiboot2", "linux", "multiboot")

#: Linux modules extracted from the kernel package, in order of preference
#: (small to large, several subsystems). ``linux_modules(n)`` returns the first n.
LINUX_MODULE_NAMES: tuple[str, ...] = (
    "loop",
    "vfat",
    "virtio_net",
    "ext4",
    "nf_tables",
    "kvm",
    "e1000e",
    "btrfs",
)

#: How many of them the test suite analyses by default.
DEFAULT_LINUX_MODULE_COUNT = 5

_GRUB_DIR = "usr/lib/grub/i386-pc"
_MARKER = ".complete.json"
_ELF_MAGIC = b"\x7fELF"


class Unavailable(Exception):
    """A real binary could not be obtained; ``str(exc)`` is the reason."""


# --------------------------------------------------------------------------- cache


def cache_dir() -> Path:
    """The cache root: ``$KERNLINT_TEST_CACHE`` or ``~/.cache/kernlint-tests``."""
    env = os.environ.get("KERNLINT_TEST_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "kernlint-tests"


def _offline() -> bool:
    return os.environ.get("KERNLINT_TEST_OFFLINE", "").strip().lower() not in ("", "0", "no")


@contextlib.contextmanager
def _locked(name: str) -> Iterator[None]:
    lock_dir = cache_dir() / ".locks"
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / f"{name}.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# Results of _artifact() for this process, failures included, so that a missing
# package is looked for once per test session and not once per fixture.
_MEMO: dict[str, tuple[Path, dict] | Unavailable] = {}


def _artifact(name: str, build: Callable[[Path], dict]) -> tuple[Path, dict]:
    """Return ``(directory, metadata)`` of a cached artifact, building it if needed."""
    memo = _MEMO.get(name)
    if isinstance(memo, Unavailable):
        raise memo
    if memo is not None:
        return memo
    try:
        result = _artifact_uncached(name, build)
    except Unavailable as exc:
        _MEMO[name] = exc
        raise
    _MEMO[name] = result
    return result


def _read_marker(final: Path) -> dict | None:
    marker = final / _MARKER
    if not marker.is_file():
        return None
    try:
        return json.loads(marker.read_text())
    except (OSError, ValueError):
        return None


def _artifact_uncached(name: str, build: Callable[[Path], dict]) -> tuple[Path, dict]:
    root = cache_dir()
    final = root / name
    meta = _read_marker(final)
    if meta is not None:
        return final, meta
    if _offline():
        raise Unavailable(f"{name}: not in cache {root} and KERNLINT_TEST_OFFLINE is set")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise Unavailable(f"cannot create cache directory {root}: {exc}") from exc
    with _locked(name):
        meta = _read_marker(final)  # another process may have finished meanwhile
        if meta is not None:
            return final, meta
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=root))
        try:
            started = time.monotonic()
            meta = build(tmp)
            meta["artifact"] = name
            meta["build_seconds"] = round(time.monotonic() - started, 2)
            meta["built_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
            (tmp / _MARKER).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
            os.chmod(tmp, 0o755)  # mkdtemp makes it 0700
            if final.exists():  # leftover of a crashed run: no marker, so incomplete
                shutil.rmtree(final)
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return final, meta


# ------------------------------------------------------------------ apt / dpkg-deb


def _run(cmd: list[str], *, cwd: Path | None = None, timeout: float = 1800) -> str:
    env = dict(os.environ, LC_ALL="C", LANG="C")
    try:
        proc = subprocess.run(
            cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
        )
    except FileNotFoundError as exc:
        raise Unavailable(f"{cmd[0]} not found (not a Debian-like system?)") from exc
    except subprocess.TimeoutExpired as exc:
        raise Unavailable(f"{' '.join(cmd)} timed out after {timeout:.0f} s") from exc
    except OSError as exc:
        raise Unavailable(f"{' '.join(cmd)}: {exc}") from exc
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise Unavailable(f"{' '.join(cmd)} failed (exit {proc.returncode}): {' | '.join(tail)}")
    return proc.stdout


def _download_deb(package: str, workdir: Path) -> tuple[Path, dict]:
    """``apt-get download PACKAGE`` into *workdir*; returns the .deb and facts about it."""
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    _run(["apt-get", "-q", "download", package], cwd=workdir)
    seconds = time.monotonic() - started
    debs = sorted(workdir.glob(f"{package}_*.deb"))
    if len(debs) != 1:
        raise Unavailable(f"apt-get download {package} left {[d.name for d in debs]}")
    deb = debs[0]
    fields = _run(["dpkg-deb", "-f", str(deb), "Package", "Version", "Architecture"])
    info = dict(line.split(": ", 1) for line in fields.splitlines() if ": " in line)
    sha = hashlib.sha256()
    with open(deb, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            sha.update(block)
    return deb, {
        "package": info.get("Package", package),
        "version": info.get("Version", "?"),
        "architecture": info.get("Architecture", "?"),
        "deb": deb.name,
        "deb_size": deb.stat().st_size,
        "deb_sha256": sha.hexdigest(),
        "download_seconds": round(seconds, 2),
    }


def _normalise_member(name: str) -> str | None:
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def _extract_members(deb: Path, want: Callable[[str], bool], dest: Path) -> list[str]:
    """Stream the data archive of *deb* and write the regular files *want* accepts.

    Returns the extracted member paths (relative, without ``./``), in archive order.
    Symlinks, devices and the like are never written.
    """
    env = dict(os.environ, LC_ALL="C")
    try:
        proc = subprocess.Popen(
            ["dpkg-deb", "--fsys-tarfile", str(deb)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
    except FileNotFoundError as exc:
        raise Unavailable("dpkg-deb not found") from exc
    extracted: list[str] = []
    assert proc.stdout is not None
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tf:
            for member in tf:
                rel = _normalise_member(member.name)
                if rel is None or not member.isfile() or not want(rel):
                    continue
                src = tf.extractfile(member)
                if src is None:
                    continue
                out = dest / rel
                out.parent.mkdir(parents=True, exist_ok=True)
                with open(out, "wb") as fh:
                    shutil.copyfileobj(src, fh, 1 << 20)
                extracted.append(rel)
    except tarfile.TarError as exc:
        proc.kill()
        raise Unavailable(f"cannot read the data archive of {deb.name}: {exc}") from exc
    finally:
        proc.stdout.close()
        stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        rc = proc.wait()
    if rc != 0:
        raise Unavailable(
            f"dpkg-deb --fsys-tarfile {deb.name} failed (exit {rc}): {stderr.strip()}"
        )
    return extracted


def _candidate_version_depends(package: str) -> list[str]:
    """Package names in the candidate version's ``Depends`` (first of each alternative)."""
    out = _run(["apt-cache", "show", "--no-all-versions", package], timeout=120)
    m = re.search(r"^Depends: (.*)$", out, re.MULTILINE)
    if not m:
        raise Unavailable(f"apt-cache show {package}: no Depends field")
    names = []
    for clause in m.group(1).split(","):
        first = clause.split("|")[0].strip()
        names.append(re.split(r"[\s(:]", first, maxsplit=1)[0])
    return names


# ------------------------------------------------------------------------- GRUB


def _build_grub(tmp: Path) -> dict:
    deb, meta = _download_deb(GRUB_PACKAGE, tmp / ".deb")

    def want(rel: str) -> bool:
        return rel.startswith(_GRUB_DIR + "/") and (
            rel.endswith(".mod") or rel == f"{_GRUB_DIR}/kernel.img"
        )

    files = _extract_members(deb, want, tmp)
    shutil.rmtree(tmp / ".deb")
    if f"{_GRUB_DIR}/kernel.img" not in files:
        raise Unavailable(f"{deb.name} has no /{_GRUB_DIR}/kernel.img")
    meta["files"] = {"kernel.img": f"{_GRUB_DIR}/kernel.img"}
    meta["module_count"] = sum(f.endswith(".mod") for f in files)
    return meta


def grub_kernel_img() -> Path:
    """GRUB 2's i386-pc core image, ``/usr/lib/grub/i386-pc/kernel.img``.

    From Debian's ``grub-pc-bin`` (2.06 in bookworm), copied out of the package's
    data archive unchanged. ELF32 ET_EXEC, Intel 80386, one ``PT_LOAD`` at 0x9000
    with flags RWE (plus an RWE ``PT_GNU_STACK``); sections .text (WAX), .rodata,
    .data, .bss. ``grub-mkimage`` turns it into the raw core.img that boots.
    """
    root, meta = _artifact("grub-pc-bin", _build_grub)
    return root / meta["files"]["kernel.img"]


def grub_module(name: str) -> Path:
    """One GRUB i386-pc module ``/usr/lib/grub/i386-pc/NAME.mod`` from ``grub-pc-bin``.

    Unchanged from the package. ELF32 ET_REL (GRUB links modules itself at load
    time), with ``.text``/``.rodata``/``.data``/``.bss``, their ``.rel.*``
    sections and non-allocated ``.modname``/``.moddeps`` notes.
    """
    root, _meta = _artifact("grub-pc-bin", _build_grub)
    path = root / _GRUB_DIR / f"{name}.mod"
    if not path.is_file():
        raise Unavailable(f"{GRUB_PACKAGE} has no {name}.mod")
    return path


def grub_modules(names: tuple[str, ...] = GRUB_MODULE_NAMES) -> list[Path]:
    """The GRUB modules in *names* (default: normal, multiboot2, linux, multiboot)."""
    return [grub_module(n) for n in names]


def _build_grub_boot_img(tmp: Path) -> dict:
    deb, meta = _download_deb(GRUB_PACKAGE, tmp / ".deb")
    files = _extract_members(deb, lambda rel: rel == f"{_GRUB_DIR}/boot.img", tmp)
    shutil.rmtree(tmp / ".deb")
    if not files:
        raise Unavailable(f"{deb.name} has no /{_GRUB_DIR}/boot.img")
    meta["files"] = {"boot.img": files[0]}
    return meta


def grub_boot_img() -> Path:
    """GRUB 2's i386-pc MBR boot code, ``/usr/lib/grub/i386-pc/boot.img``, from
    ``grub-pc-bin``: a raw 512-byte sector ending in ``55 AA``, its code within the
    first 440 bytes (``grub-install`` copies the disk's own signature and partition
    table over bytes 440-509)."""
    root, meta = _artifact("grub-boot-img", _build_grub_boot_img)
    return root / meta["files"]["boot.img"]


# ------------------------------------------------------------------------ U-Boot

_U_BOOT_ELF = re.compile(r"usr/lib/u-boot/qemu-x86(?:_64)?/uboot\.elf")


def _build_u_boot(tmp: Path) -> dict:
    deb, meta = _download_deb(U_BOOT_PACKAGE, tmp / ".deb")
    files = _extract_members(deb, _U_BOOT_ELF.fullmatch, tmp)
    shutil.rmtree(tmp / ".deb")
    if len(files) != 2:
        raise Unavailable(f"{deb.name}: expected two qemu-x86*/uboot.elf, found {files}")
    meta["files"] = {f.split("/")[-2]: f for f in files}
    return meta


def u_boot_qemu_elf(board: str = "qemu-x86") -> Path:
    """U-Boot built for QEMU's x86 machine, ``/usr/lib/u-boot/BOARD/uboot.elf`` from
    Debian's ``u-boot-qemu`` (2023.01 in bookworm), unchanged. ``qemu-x86`` is an
    ELF32 that carries a Multiboot 1 header (so that ``qemu -kernel`` can start it);
    ``qemu-x86_64`` is an ELF64 with no Multiboot header."""
    root, meta = _artifact("u-boot-qemu", _build_u_boot)
    if board not in meta["files"]:
        raise Unavailable(f"{U_BOOT_PACKAGE} has no {board}/uboot.elf")
    return root / meta["files"][board]


# -------------------------------------------------------------------------- Xen

_XEN_GZ = re.compile(r"boot/xen-[^/]+\.gz")


def _build_xen(tmp: Path) -> dict:
    deb, meta = _download_deb(XEN_PACKAGE, tmp / ".deb")
    files = _extract_members(deb, _XEN_GZ.fullmatch, tmp)
    shutil.rmtree(tmp / ".deb")
    if len(files) != 1:
        raise Unavailable(f"{deb.name}: expected one /boot/xen-*.gz, found {files}")
    gz_rel = files[0]
    elf_rel = gz_rel[: -len(".gz")]
    try:
        with gzip.open(tmp / gz_rel, "rb") as src, open(tmp / elf_rel, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    except (OSError, EOFError, zlib.error) as exc:
        raise Unavailable(f"cannot gunzip /{gz_rel}: {exc}") from exc
    with open(tmp / elf_rel, "rb") as fh:
        if fh.read(4) != _ELF_MAGIC:
            raise Unavailable(f"/{gz_rel} does not decompress to an ELF file")
    meta["files"] = {"xen.gz": gz_rel, "xen": elf_rel}
    return meta


def xen_hypervisor() -> Path:
    """The Xen 4.17 hypervisor as GRUB loads it: ``/boot/xen-4.17-amd64.gz``, gunzipped.

    From Debian's ``xen-hypervisor-4.17-amd64``; the package ships the image
    gzip-compressed (GRUB decompresses it on the fly), plus a PE ``.efi`` that is
    not used here. The decompressed file is Xen's ELF32 wrapper (``xen.gz`` is
    built from ``xen-syms`` by ``mkelf32``): ET_EXEC, Intel 80386, entry
    0x200000, one RWE ``PT_LOAD`` at 0x200000 holding a single .text (WAX)
    section that carries the Multiboot 1/2 headers, and a ``PT_NOTE`` whose
    non-allocated .note section lies outside the load segment.
    """
    root, meta = _artifact("xen-hypervisor", _build_xen)
    return root / meta["files"]["xen"]


# ------------------------------------------------------------------------ Linux

_VMLINUZ = re.compile(r"boot/vmlinuz-(?P<kver>[^/]+)")
_MODULE = re.compile(
    r"(?:usr/)?lib/modules/[^/]+/kernel/(?:[^/]+/)*(?P<mod>[^/]+)\.ko(?:\.(?P<comp>xz|zst|gz))?"
)

# Compression magics in the order of the kernel's scripts/extract-vmlinux.
_PAYLOAD_MAGICS: tuple[tuple[str, bytes], ...] = (
    ("gzip", b"\x1f\x8b\x08"),
    ("xz", b"\xfd7zXZ\x00"),
    ("bzip2", b"BZh"),
    ("lzma", b"\x5d\x00\x00\x00"),
    ("lzo", b"\x89LZO"),
    ("lz4", b"\x02\x21\x4c\x18"),
    ("zstd", b"\x28\xb5\x2f\xfd"),
)
_MAX_CANDIDATES_PER_MAGIC = 64


class _NoDecompressor(Exception):
    pass


def _decompress_cli(tool: list[str], data: bytes) -> bytes:
    if shutil.which(tool[0]) is None:
        raise _NoDecompressor(f"{tool[0]} not installed")
    proc = subprocess.run(tool, input=data, capture_output=True, check=False, timeout=600)
    # These tools complain about trailing garbage after the stream but still
    # write the decompressed data, as extract-vmlinux relies on.
    return proc.stdout


def _decompress(method: str, data: bytes) -> bytes:
    """Decompress one stream at the start of *data*; trailing bytes are ignored."""
    if method == "gzip":
        return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data)
    if method == "xz":
        return lzma.LZMADecompressor(format=lzma.FORMAT_XZ).decompress(data)
    if method == "lzma":
        return lzma.LZMADecompressor(format=lzma.FORMAT_ALONE).decompress(data)
    if method == "bzip2":
        return bz2.BZ2Decompressor().decompress(data)
    if method == "zstd":
        try:
            import zstandard  # type: ignore[import-not-found]
        except ImportError:
            return _decompress_cli(["zstd", "-dcq"], data)
        return zstandard.ZstdDecompressor().decompressobj().decompress(data)
    if method == "lz4":
        return _decompress_cli(["lz4", "-dcq"], data)
    if method == "lzo":
        return _decompress_cli(["lzop", "-dcq"], data)
    raise ValueError(method)


def _looks_like_elf(blob: bytes) -> bool:
    return len(blob) >= 64 and blob[:4] == _ELF_MAGIC


def extract_vmlinux(image: bytes) -> tuple[bytes, str]:
    """Return ``(vmlinux, how)`` from an x86 bzImage, like ``scripts/extract-vmlinux``.

    First the payload the boot protocol header describes (``payload_offset`` and
    ``payload_length`` at 0x248, relative to the protected-mode code at
    ``(setup_sects + 1) * 512``, protocol >= 2.08), then every occurrence of each
    compression magic, in extract-vmlinux's order; the first candidate that
    decompresses to something starting with ``\\x7fELF`` wins. *how* says which.
    Raises :class:`Unavailable` when none does.
    """
    if _looks_like_elf(image):
        return image, "already ELF"
    tried: list[tuple[str, int]] = []
    skipped: set[str] = set()

    def attempt(method: str, offset: int) -> bytes | None:
        tried.append((method, offset))
        try:
            out = _decompress(method, image[offset:])
        except _NoDecompressor as exc:
            skipped.add(f"{method}: {exc}")
            return None
        except (lzma.LZMAError, zlib.error, OSError, EOFError, ValueError, MemoryError):
            return None
        except Exception:  # e.g. zstandard.ZstdError
            return None
        return out if _looks_like_elf(out) else None

    # 1. the payload named by the setup header
    if len(image) > 0x250 and image[0x202:0x206] == b"HdrS":
        version = struct.unpack_from("<H", image, 0x206)[0]
        setup_sects = image[0x1F1] or 4
        if version >= 0x208:
            payload_offset = struct.unpack_from("<I", image, 0x248)[0]
            start = (setup_sects + 1) * 512 + payload_offset
            for method, magic in _PAYLOAD_MAGICS:
                if image.startswith(magic, start):
                    out = attempt(method, start)
                    if out is not None:
                        return out, f"{method} payload at file offset {start:#x} (setup header)"
    # 2. magic scan, as extract-vmlinux does
    for method, magic in _PAYLOAD_MAGICS:
        pos = image.find(magic)
        count = 0
        while pos != -1 and count < _MAX_CANDIDATES_PER_MAGIC:
            if method != "bzip2" or image[pos + 3 : pos + 4].isdigit():
                count += 1
                out = attempt(method, pos)
                if out is not None:
                    return out, f"{method} payload at file offset {pos:#x} (magic scan)"
            pos = image.find(magic, pos + 1)
    why = f"no compressed ELF payload found ({len(tried)} candidates tried)"
    if skipped:
        why += "; could not try: " + ", ".join(sorted(skipped))
    raise Unavailable(why)


def _resolve_linux_image_packages() -> list[str]:
    """Concrete image package(s) behind ``linux-image-amd64``: signed, then ``-unsigned``."""
    deps = _candidate_version_depends(LINUX_META_PACKAGE)
    images = [d for d in deps if re.fullmatch(r"linux-image-\d[^\s]*", d)]
    if not images:
        raise Unavailable(f"{LINUX_META_PACKAGE} depends on no linux-image-<version>: {deps}")
    pkg = images[0]
    if pkg.endswith("-unsigned"):
        return [pkg]
    return [pkg, pkg + "-unsigned"]


def _build_linux(tmp: Path) -> dict:
    errors: list[str] = []
    wanted_modules = set(LINUX_MODULE_NAMES)

    def want(rel: str) -> bool:
        if _VMLINUZ.fullmatch(rel):
            return True
        m = _MODULE.fullmatch(rel)
        return bool(m and m.group("mod") in wanted_modules)

    for package in _resolve_linux_image_packages():
        try:
            deb, meta = _download_deb(package, tmp / ".deb")
            files = _extract_members(deb, want, tmp / ".raw")
        except Unavailable as exc:
            errors.append(str(exc))
            shutil.rmtree(tmp / ".deb", ignore_errors=True)
            shutil.rmtree(tmp / ".raw", ignore_errors=True)
            continue
        shutil.rmtree(tmp / ".deb")
        vmlinuz = [f for f in files if _VMLINUZ.fullmatch(f)]
        if len(vmlinuz) == 1:
            break
        errors.append(f"{deb.name}: /boot/vmlinuz-* entries: {vmlinuz}")
        shutil.rmtree(tmp / ".raw", ignore_errors=True)
    else:
        raise Unavailable("no usable Linux image package: " + "; ".join(errors))

    raw = tmp / ".raw"
    kver = _VMLINUZ.fullmatch(vmlinuz[0]).group("kver")  # type: ignore[union-attr]
    (tmp / "boot").mkdir()
    bzimage_rel = f"boot/vmlinuz-{kver}"
    os.rename(raw / vmlinuz[0], tmp / bzimage_rel)

    started = time.monotonic()
    vmlinux, how = extract_vmlinux((tmp / bzimage_rel).read_bytes())
    vmlinux_rel = f"boot/vmlinux-{kver}"
    (tmp / vmlinux_rel).write_bytes(vmlinux)
    meta["vmlinux_extraction"] = how
    meta["vmlinux_extraction_seconds"] = round(time.monotonic() - started, 2)
    meta["vmlinux_size"] = len(vmlinux)
    del vmlinux

    modules: dict[str, dict] = {}
    (tmp / "modules").mkdir()
    for rel in files:
        m = _MODULE.fullmatch(rel)
        if not m or m.group("mod") in modules:
            continue
        name, comp = m.group("mod"), m.group("comp")
        data = (raw / rel).read_bytes()
        try:
            if comp == "xz":
                data = lzma.decompress(data)
            elif comp == "gz":
                data = gzip.decompress(data)
            elif comp == "zst":
                data = _decompress("zstd", data)
        except (_NoDecompressor, lzma.LZMAError, OSError, EOFError, zlib.error) as exc:
            errors.append(f"{rel}: {exc}")
            continue
        if not _looks_like_elf(data):
            errors.append(f"{rel}: not ELF after decompression")
            continue
        out_rel = f"modules/{name}.ko"
        (tmp / out_rel).write_bytes(data)
        modules[name] = {"path": out_rel, "member": "/" + rel}
    shutil.rmtree(raw)
    if not modules:
        raise Unavailable(f"{meta['deb']}: none of the modules {LINUX_MODULE_NAMES} found")
    meta["kernel_release"] = kver
    meta["files"] = {"vmlinuz": bzimage_rel, "vmlinux": vmlinux_rel}
    meta["modules"] = modules
    if errors:
        meta["notes"] = errors
    return meta


def linux_bzimage() -> Path:
    """Debian's x86-64 kernel as shipped, ``/boot/vmlinuz-<release>`` (a bzImage).

    From the concrete ``linux-image-6.1.0-*-amd64`` package that the candidate
    ``linux-image-amd64`` depends on (the signed one; the ``-unsigned`` variant
    only if the first has no vmlinuz). Not an ELF file: setup code, then an
    xz-compressed payload.
    """
    root, meta = _artifact("linux-image", _build_linux)
    return root / meta["files"]["vmlinuz"]


def linux_vmlinux() -> Path:
    """The ELF vmlinux inside :func:`linux_bzimage`, decompressed by :func:`extract_vmlinux`.

    ELF64 ET_EXEC, x86-64, ~66 MB, stripped (39 sections, no ``.symtab``);
    ``e_entry`` is the *physical* start address (0x1000000) while the ``PT_LOAD``s
    are linked at 0xffffffff8xxxxxxx with low ``p_paddr``, and the per-CPU
    segment has ``p_vaddr`` 0. The init segment (.init.text ... .bss .brk) is RWE.
    Extracted once, cached next to the bzImage.
    """
    root, meta = _artifact("linux-image", _build_linux)
    return root / meta["files"]["vmlinux"]


def linux_module(name: str) -> Path:
    """One loadable module ``NAME.ko`` from the same kernel package.

    Found under ``/lib/modules/<release>/kernel/``; ``.ko.xz``/``.ko.zst``/``.ko.gz``
    are decompressed. ELF64 ET_REL, module signature appended after the ELF data.
    Only the names in :data:`LINUX_MODULE_NAMES` are extracted.
    """
    root, meta = _artifact("linux-image", _build_linux)
    info = meta["modules"].get(name)
    if info is None:
        raise Unavailable(f"module {name} not found in {meta.get('deb')}")
    return root / info["path"]


def linux_modules(n: int = DEFAULT_LINUX_MODULE_COUNT) -> list[Path]:
    """The first *n* available modules of :data:`LINUX_MODULE_NAMES` (see :func:`linux_module`)."""
    root, meta = _artifact("linux-image", _build_linux)
    found = [root / meta["modules"][m]["path"] for m in LINUX_MODULE_NAMES if m in meta["modules"]]
    if len(found) < n:
        raise Unavailable(f"only {len(found)} of the wanted {n} Linux modules were found")
    return found[:n]


# ----------------------------------------------------------------------- common


_ARTIFACT_BUILDERS: dict[str, Callable[[Path], dict]] = {
    "grub-pc-bin": _build_grub,
    "xen-hypervisor": _build_xen,
    "linux-image": _build_linux,
}


def provenance(artifact: str) -> dict:
    """Metadata of a cached artifact (package, version, .deb sha256, timings, files).

    *artifact* is ``"grub-pc-bin"``, ``"xen-hypervisor"`` or ``"linux-image"``.
    Fetches it if necessary (so may raise :class:`Unavailable`).
    """
    _root, meta = _artifact(artifact, _ARTIFACT_BUILDERS[artifact])
    return dict(meta)
