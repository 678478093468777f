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
    built: dict[str, Path] = {}

    def get(name: str) -> Path:
        require_binutils()
        stem = name.removesuffix(".o")
        if stem not in built:
            built[stem] = build(stem, out)
        return out / name if name.endswith(".o") else built[stem]

    return get
