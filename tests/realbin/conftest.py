"""Fixtures for the real-binary tests: Debian-packaged kernels, readelf, a kernlint runner.

Each binary has a session-scoped fixture; fetching happens once per cache (see
``tests/support/debian_binaries.py``), and any :class:`Unavailable` reason (no
apt-get, no network, package gone from the archive) becomes ``pytest.skip``.
kernlint itself runs in a subprocess, exactly as a user would run it, from an
empty working directory so that no project configuration is picked up; each
binary is analysed once per session and the result shared by the tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

_REPO_ROOT = Path(__file__).resolve().parents[2]
if str(_REPO_ROOT) not in sys.path:  # make ``tests.support`` importable without tests/__init__.py
    sys.path.insert(0, str(_REPO_ROOT))

from tests.support import debian_binaries as debian  # noqa: E402
from tests.support.readelf import ReadelfInfo, ReadelfUnavailable, readelf  # noqa: E402

#: Modules analysed (the test module parametrises over the same names).
LINUX_MODULES_UNDER_TEST = debian.LINUX_MODULE_NAMES[: debian.DEFAULT_LINUX_MODULE_COUNT]
GRUB_MODULES_UNDER_TEST = debian.GRUB_MODULE_NAMES

KERNLINT_TIMEOUT = 300  # seconds; vmlinux should take a second or two


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "realbin: runs on third-party kernel binaries fetched from Debian packages",
    )


def _fetch(func, *args):
    try:
        return func(*args)
    except debian.Unavailable as exc:
        pytest.skip(f"real binary unavailable: {exc}")


# ------------------------------------------------------------------ binaries


@pytest.fixture(scope="session")
def grub_kernel_img() -> Path:
    """grub-pc-bin: /usr/lib/grub/i386-pc/kernel.img (ELF32 ET_EXEC)."""
    return _fetch(debian.grub_kernel_img)


@pytest.fixture(scope="session")
def grub_modules() -> dict[str, Path]:
    """grub-pc-bin: normal.mod, multiboot2.mod, linux.mod, multiboot.mod (ELF32 ET_REL)."""
    return {name: _fetch(debian.grub_module, name) for name in GRUB_MODULES_UNDER_TEST}


@pytest.fixture(scope="session")
def xen_hypervisor() -> Path:
    """xen-hypervisor-4.17-amd64: /boot/xen-4.17-amd64.gz, gunzipped (ELF32 wrapper)."""
    return _fetch(debian.xen_hypervisor)


@pytest.fixture(scope="session")
def linux_vmlinux() -> Path:
    """linux-image-6.1.0-*-amd64: vmlinux extracted from /boot/vmlinuz-* (ELF64 ET_EXEC)."""
    return _fetch(debian.linux_vmlinux)


@pytest.fixture(scope="session")
def linux_bzimage() -> Path:
    """linux-image-6.1.0-*-amd64: /boot/vmlinuz-* as shipped (a bzImage, not ELF)."""
    return _fetch(debian.linux_bzimage)


@pytest.fixture(scope="session")
def linux_modules() -> dict[str, Path]:
    """linux-image-6.1.0-*-amd64: a few /lib/modules/*/kernel/**/*.ko (ELF64 ET_REL)."""
    return {name: _fetch(debian.linux_module, name) for name in LINUX_MODULES_UNDER_TEST}


# ------------------------------------------------------------------- readelf


@pytest.fixture(scope="session")
def readelf_info():
    """``readelf_info(path) -> ReadelfInfo``; skips when binutils is missing."""

    def get(path: Path) -> ReadelfInfo:
        try:
            return readelf(path)
        except ReadelfUnavailable as exc:
            pytest.skip(str(exc))

    return get


# ------------------------------------------------------------------ kernlint


@dataclass
class KernlintRun:
    """One ``python -m kernlint check --format json ...`` invocation."""

    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    data: dict | None = None
    json_error: str | None = None
    findings: list[dict] = field(default_factory=list)

    def rules(self) -> set[str]:
        return {f.get("rule") for f in self.findings}

    def findings_of(self, *rules: str) -> list[dict]:
        return [f for f in self.findings if f.get("rule") in rules]

    def dump(self, findings: list[dict] | None = None) -> str:
        """Findings (default: all) as indented JSON, with the command, for assertion messages."""
        shown = self.findings if findings is None else findings
        text = json.dumps(shown, indent=2, sort_keys=True)
        return (
            f"command: {' '.join(self.argv)}\nexit status: {self.returncode}\n"
            f"findings ({len(shown)}):\n{text}\nstderr:\n{self.stderr.strip()[-4000:]}"
        )


@pytest.fixture(scope="session")
def kernlint_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty directory to run kernlint from (no pyproject.toml/kernlint.toml above it
    that belongs to this repository)."""
    return tmp_path_factory.mktemp("kernlint-cwd")


@pytest.fixture(scope="session")
def run_kernlint(kernlint_workdir: Path):
    """``run_kernlint(path, *extra_args) -> KernlintRun``, memoised per (path, args).

    Runs ``[sys.executable, "-m", "kernlint", "check", "--format", "json",
    "--select", "KL1", *extra_args, path]``. Fails (does not skip) when kernlint
    is not importable: the analyser under test missing is a real failure.
    """
    cache: dict[tuple[str, tuple[str, ...]], KernlintRun] = {}
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)

    probe = subprocess.run(
        [sys.executable, "-c", "import kernlint.cli"],
        cwd=kernlint_workdir,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        pytest.fail(
            "kernlint is not importable outside the source tree "
            f"(run `pip install -e {_REPO_ROOT}`):\n{probe.stderr.strip()[-2000:]}",
            pytrace=False,
        )

    def run(path: Path, *extra: str) -> KernlintRun:
        key = (str(path), extra)
        if key in cache:
            return cache[key]
        argv = [
            sys.executable, "-m", "kernlint", "check",
            "--format", "json", "--select", "KL1", *extra, str(path),
        ]  # fmt: skip
        started = time.monotonic()
        proc = subprocess.run(
            argv,
            cwd=kernlint_workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=KERNLINT_TIMEOUT,
            check=False,
        )
        result = KernlintRun(
            argv=argv,
            returncode=proc.returncode,
            stdout=proc.stdout,
            stderr=proc.stderr,
            seconds=time.monotonic() - started,
        )
        try:
            result.data = json.loads(proc.stdout)
        except ValueError as exc:
            result.json_error = f"{exc}; stdout starts {proc.stdout[:500]!r}"
        else:
            if isinstance(result.data, dict) and isinstance(result.data.get("findings"), list):
                result.findings = result.data["findings"]
        cache[key] = result
        return result

    return run
