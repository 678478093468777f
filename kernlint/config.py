"""Run settings shared by the engine and the rules."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Config:
    """Settings a rule may read. ``page_size`` (bytes) is the granule the loader maps
    with; rules that reason about pages (KL106) use it. Default 4096, x86's base page."""

    page_size: int = 4096
