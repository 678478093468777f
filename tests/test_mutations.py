"""Malformed ELF input never takes a run down: thousands of mutated real ELF files
(truncations, bit flips, smashed header, section-header and program-header fields)
each give findings or one KL001 — never an exception, never a hang."""

from __future__ import annotations

import contextlib
import random
import signal
import struct
from collections.abc import Iterator

import pytest

from kernlint.engine import all_rules, run
from kernlint.errors import InputError
from tests.conftest import ROOT, kernlint

SEEDS = [
    ROOT / "samples" / "kl101-code-not-allocated" / "bad-bootcode.elf",  # ELF64 ET_EXEC
    ROOT / "samples" / "kl101-code-not-allocated" / "bad-bootcode.o",  # ELF64 ET_REL
    ROOT / "samples" / "kl101-code-not-allocated" / "bad-phip.elf",  # PHDRS, higher half
    ROOT / "samples" / "kl106-mixed-permission-page" / "bad-lld-nmagic.elf",  # ld.lld
]
INTERESTING = [
    0,
    1,
    2,
    0x7F,
    0x80,
    0xFF,
    0x100,
    0xFFFF,
    0xFF00,
    0xFFFFFFFF,
    0x7FFFFFFF,
    0xFFFFFFFFFFFFFFFF,
    0x8000000000000000,
]
TIME_LIMIT_S = 10  # a case that takes longer than this is a hang


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def _fields64():
    # (offset, size) of ELF64 header fields e_type..e_shstrndx (gABI "ELF Header")
    return [
        (16, 2),
        (18, 2),
        (24, 8),
        (32, 8),
        (40, 8),
        (52, 2),
        (54, 2),
        (56, 2),
        (58, 2),
        (60, 2),
        (62, 2),
    ]


def mutations(data: bytes, rng: random.Random) -> Iterator[tuple[str, bytes]]:
    size = len(data)
    # Truncations: every byte of the headers, then spread over the file.
    for cut in sorted(set(range(0, min(size, 200))) | {rng.randrange(size) for _ in range(150)}):
        yield f"truncate@{cut}", data[:cut]
    # Bit flips anywhere.
    for i in range(400):
        buf = bytearray(data)
        for _ in range(rng.choice((1, 1, 2, 4, 8))):
            pos = rng.randrange(size) if i % 2 else rng.randrange(min(size, 64))
            buf[pos] ^= 1 << rng.randrange(8)
        yield f"flip#{i}", bytes(buf)
    # Smashed ELF header fields.
    for off, width in _fields64():
        for value in [*INTERESTING, size, size - 1, size + 1]:
            buf = bytearray(data)
            buf[off : off + width] = (value & ((1 << (8 * width)) - 1)).to_bytes(width, "little")
            yield f"ehdr@{off}={value:#x}", bytes(buf)
    # Smashed section headers and program headers.
    e_phoff, e_shoff = struct.unpack_from("<QQ", data, 32)
    e_phnum, e_shnum = struct.unpack_from("<H", data, 56)[0], struct.unpack_from("<H", data, 60)[0]
    shdr = [(0, 4), (4, 4), (8, 8), (16, 8), (24, 8), (32, 8), (40, 4), (44, 4), (48, 8), (56, 8)]
    for idx in range(e_shnum):
        base = e_shoff + 64 * idx
        for off, width in shdr:
            for value in [*rng.sample(INTERESTING, 4), size]:
                buf = bytearray(data)
                buf[base + off : base + off + width] = (value & ((1 << (8 * width)) - 1)).to_bytes(
                    width, "little"
                )
                yield f"shdr[{idx}]@{off}={value:#x}", bytes(buf)
    phdr = [(0, 4), (4, 4), (8, 8), (16, 8), (24, 8), (32, 8), (40, 8), (48, 8)]
    for idx in range(e_phnum):
        base = e_phoff + 56 * idx
        for off, width in phdr:
            for value in [*rng.sample(INTERESTING, 4), size]:
                buf = bytearray(data)
                buf[base + off : base + off + width] = (value & ((1 << (8 * width)) - 1)).to_bytes(
                    width, "little"
                )
                yield f"phdr[{idx}]@{off}={value:#x}", bytes(buf)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
def test_mutated_files_give_findings_or_one_kl001(tmp_path, seed):
    from kernlint.elf.reader import read_image
    from kernlint.graph import build_graph

    rules = all_rules()
    rng = random.Random(f"kernlint-{seed.name}")
    data = seed.read_bytes()
    target = tmp_path / "mutant.elf"
    old = signal.signal(signal.SIGALRM, _alarm)
    cases = kl001 = 0
    try:
        for label, mutant in mutations(data, rng):
            target.write_bytes(mutant)
            signal.alarm(TIME_LIMIT_S)
            try:
                result = run([str(target)], rules)
                errors = [f for f in result.findings if f.rule == "KL001"]
                assert len(errors) <= 1, (label, errors)
                if errors:
                    kl001 += 1
                    assert "\n" not in errors[0].message and errors[0].message, label
                else:
                    # the graph reads relocations and all symbols: it must hold too
                    with contextlib.suppress(InputError):
                        build_graph(read_image(str(target)))
            except Hang:
                pytest.fail(f"{seed.name} {label}: no result after {TIME_LIMIT_S} s")
            except Exception as exc:  # pragma: no cover - the failure we look for
                pytest.fail(f"{seed.name} {label}: {type(exc).__name__}: {exc}")
            finally:
                signal.alarm(0)
            cases += 1
    finally:
        signal.signal(signal.SIGALRM, old)
    assert cases >= 800
    assert kl001 >= 200  # the mutations do reach the malformed-input paths


def test_cli_on_mutants_exits_cleanly(tmp_path):
    """The process view: exit 0/1/2, exit 2 means exactly one KL001 line, no traceback."""
    rng = random.Random("cli")
    data = SEEDS[0].read_bytes()
    paths = []
    for i, (_, mutant) in enumerate(m for m in mutations(data, rng) if rng.random() < 0.01):
        p = tmp_path / f"m{i}.elf"
        p.write_bytes(mutant)
        paths.append(p)
    for p in paths[:25]:
        r = kernlint("check", str(p))
        assert r.code in (0, 1, 2), r.stderr
        assert "Traceback" not in r.stderr + r.stdout
        if r.code == 2:
            assert len([ln for ln in r.stdout.splitlines() if " KL001 " in ln]) == 1
