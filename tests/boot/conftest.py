"""Fixtures of the boot tests: test kernels built once per session, on demand."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.boot.kernels import build, require_binutils


@pytest.fixture(scope="session")
def kernel(tmp_path_factory) -> Callable[[str], Path]:
    """``kernel("mb2-elf32")``: the path of that kernel of
    :data:`tests.boot.kernels.KERNELS`, built on first use; ``kernel("NAME.o")`` is
    its object file (ET_REL)."""
    out = tmp_path_factory.mktemp("kernels")
    # These kernels are run with QEMU -kernel (tests/support/boot.py): a run script
    # beside them says so, as a project's would (KL408 warns only where the project
    # runs qemu -kernel on a Multiboot 2 kernel; see kernlint.buildfacts).
    (out / "run-qemu.sh").write_text('qemu-system-x86_64 -kernel "$1"\n')
    built: dict[str, Path] = {}

    def get(name: str) -> Path:
        require_binutils()
        stem = name.removesuffix(".o")
        if stem not in built:
            built[stem] = build(stem, out)
        return out / name if name.endswith(".o") else built[stem]

    return get
