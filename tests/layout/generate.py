"""Generated link cases: small objects (GNU as sources with random sections, sizes,
alignments, flags, common symbols) and small scripts (random output sections with
address, ALIGN, SUBALIGN, AT(), MEMORY regions with ``>``/``AT>``, sorted and
excluding patterns, KEEP, data statements, symbol assignments, PROVIDE, ``. =``
between sections, /DISCARD/, and patterns that leave orphans).

Every choice goes through a *chooser*, so one generator serves hypothesis
(:func:`cases`, a strategy that shrinks) and plain ``random`` (:func:`random_case`, for
bench/layout_diff.py's thousand cases).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from tests.layout.harness import Case

KINDS = {
    "code": '"ax",@progbits',
    "ro": '"a",@progbits',
    "data": '"aw",@progbits',
    "bss": '"aw",@nobits',
    "none": '"",@progbits',
}
NAMES = {
    "code": [".text", ".text.a", ".text.b", ".text.hot", ".init", ".boot"],
    "ro": [".rodata", ".rodata.a", ".rodata.str", ".mb_header"],
    "data": [".data", ".data.a", ".data.rel", ".extra"],
    "bss": [".bss", ".bss.a", ".sbss2", ".stack"],
    "none": [".notes.x"],
}
ALIGNS = [1, 1, 2, 4, 8, 16, 32, 64, 256, 4096]
SIZES = [0, 1, 3, 8, 0x10, 0x24, 0x100, 0x333, 0x1000, 0x1800]


class RandomChooser:
    """Choices from ``random.Random``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def choice(self, seq: Sequence):
        return seq[self.rng.randrange(len(seq))]

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def boolean(self, p: float = 0.5) -> bool:
        return self.rng.random() < p


class DrawChooser:
    """Choices drawn by a hypothesis ``draw``."""

    def __init__(self, draw) -> None:
        from hypothesis import strategies as st

        self.draw = draw
        self.st = st

    def choice(self, seq: Sequence):
        return self.draw(self.st.sampled_from(list(seq)))

    def integer(self, lo: int, hi: int) -> int:
        return self.draw(self.st.integers(lo, hi))

    def boolean(self, p: float = 0.5) -> bool:
        return self.draw(self.st.integers(0, 99)) < int(p * 100)


def objects(c) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Sources, and the (name, kind) of every section made."""
    sources = {}
    made: list[tuple[str, str]] = []
    for f in range(c.integer(1, 3)):
        lines = []
        if f == 0:
            lines += ['.section .text,"ax",@progbits', ".globl _start", "_start: nop"]
            made.append((".text", "code"))
        for i in range(c.integer(1, 5)):
            kind = c.choice(["code", "code", "ro", "data", "bss", "ro", "data", "none"])
            name = c.choice(NAMES[kind])
            align = c.choice(ALIGNS)
            size = c.choice(SIZES)
            lines.append(f".section {name},{KINDS[kind]}")
            lines.append(f".balign {align}")
            lines.append(f".globl sym_{f}_{i}")
            lines.append(f"sym_{f}_{i}:")
            lines.append(f".zero {size}" if kind == "bss" else f".fill {size},1,0x90")
            made.append((name, kind))
        if c.boolean(0.15):
            lines.append(f".comm common_{f},{c.choice([4, 8, 64])},{c.choice([4, 8, 16])}")
        sources[f"o{f}"] = "\n".join(lines) + "\n"
    return sources, made


STARTS = ["0", "0x1000", "0x100000", "0x400000 + SIZEOF_HEADERS", "0xffffffff80000000", "0x7c00"]


def pattern_for(c, out: str) -> str:
    options = {
        ".text": [
            "*(.text)",
            "*(.text .text.*)",
            "*(.text*)",
            "*(SORT_BY_NAME(.text.*)) *(.text)",
            "KEEP(*(.boot)) *(.text .text.*)",
            "*(.init) *(.text)",
        ],
        ".rodata": [
            "*(.rodata)",
            "*(.rodata .rodata.*)",
            "*(SORT_BY_ALIGNMENT(.rodata*))",
            "KEEP(*(.mb_header)) *(.rodata*)",
        ],
        ".data": [
            "*(.data)",
            "*(.data .data.*)",
            "*(.data*) *(.extra)",
            "EXCLUDE_FILE(o1.o) *(.data .data.*)",
        ],
        ".bss": ["*(.bss)", "*(.bss .bss.*) *(COMMON)", "*(.bss*) *(.stack)", "*(COMMON) *(.bss)"],
    }
    return c.choice(options[out])


def script(c, memory: bool) -> str:
    lines = []
    if memory:
        lines.append("MEMORY {")
        lines.append("  rom (rx) : ORIGIN = 0x10000, LENGTH = 256K")
        lines.append("  ram (rw) : ORIGIN = 0x800000, LENGTH = 256K")
        lines.append("}")
    lines.append("ENTRY(_start)")
    lines.append("SECTIONS {")
    if not memory:
        lines.append(f"  . = {c.choice(STARTS)};")
    if c.boolean(0.2):
        lines.append("  PROVIDE(provided_sym = .);")
    outs = [o for o in (".text", ".rodata", ".data", ".bss") if c.boolean(0.8)] or [".text"]
    higher_half = False
    for n, out in enumerate(outs):
        if not memory and c.boolean(0.2):
            lines.append(f"  . = ALIGN({c.choice(['0x1000', '16', '0x200000'])});")
        if not memory and c.boolean(0.1):
            lines.append(f"  . += {c.choice(['0x10', '0x1000'])};")
        head = f"  {out}"
        if not memory and c.boolean(0.15):
            head += f" {c.choice(['ALIGN(0x1000)', '0x300000', '. + 0x100'])}"
        head += " :"
        if not memory and n == 0 and c.boolean(0.2):
            head += " AT(0x200000)"
            higher_half = True
        elif not memory and higher_half and c.boolean(0.3):
            head += f" AT(LOADADDR({outs[0]}) + 0x10000)"
        if c.boolean(0.15):
            head += f" ALIGN({c.choice([8, 64, 0x1000])})"
        if c.boolean(0.1):
            head += f" SUBALIGN({c.choice([1, 4, 32])})"
        body = [pattern_for(c, out)]
        if c.boolean(0.2):
            body.insert(0, f"_start_{out[1:]} = .;")
        if c.boolean(0.2):
            body.append(f"_end_{out[1:]} = .;")
        if c.boolean(0.1):
            body.append(c.choice(["LONG(0x12345678)", "BYTE(1)", "QUAD(0)"]))
        if c.boolean(0.1):
            body.append(f". = ALIGN({c.choice([8, 0x100])});")
        tail = ""
        if memory:
            if out in (".text", ".rodata"):
                tail = " > rom"
            elif out == ".data":
                tail = " > ram AT> rom"
            else:
                tail = " > ram"
        lines.append(f"{head} {{ {' '.join(body)} }}{tail}")
        if c.boolean(0.15):
            lines.append(f"  _after_{out[1:]} = .;")
    if c.boolean(0.25):
        lines.append(f"  /DISCARD/ : {{ *({c.choice(['.notes.x', '.extra', '.stack'])}) }}")
    if c.boolean(0.2):
        lines.append("  _end = .;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def make_case(c) -> Case:
    sources, _ = objects(c)
    memory = c.boolean(0.2)
    text = script(c, memory)
    return Case(
        text,
        sources,
        bits=c.choice([64, 64, 64, 32]),
        separate_code=c.boolean(0.3),
        gc_sections=c.boolean(0.15),
    )


def random_case(seed: int) -> Case:
    return make_case(RandomChooser(random.Random(seed)))


def cases():
    """A hypothesis strategy of :class:`Case`."""
    from hypothesis import strategies as st

    @st.composite
    def strategy(draw):
        return make_case(DrawChooser(draw))

    return strategy()
