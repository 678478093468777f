"""A `PT_LOAD` segment breaks the gABI alignment rule.

## What it does
Reports `PT_LOAD` program headers whose `p_align` is neither 0, 1 nor a power of two,
or for which `p_vaddr % p_align != p_offset % p_align`.

## Why is this bad?
The gABI requires loadable segments to have congruent `p_vaddr` and `p_offset` modulo
the page size, so that a loader can map file pages at virtual pages. A loader that
maps (`mmap`, Limine, most UEFI loaders) either refuses the file or maps the bytes at
the wrong addresses, shifted by the difference; a loader that copies byte-wise (GRUB)
may get away with it, which hides the bug until the loader changes.

An empty `PT_LOAD` (`p_filesz == p_memsz == 0`) is reported at `info` only: nothing
is mapped, and loaders skip it (Limine's `common/lib/elf.c` skips every `PT_LOAD`
with `p_memsz == 0`; GRUB 2.06 and QEMU 7.2 boot a Multiboot kernel carrying one,
observed). GNU ld writes one with `p_vaddr` 0 and `p_offset` at the end of the
program headers when a `PHDRS` segment gets no sections (a `data` phdr in a kernel
without `.data`/`.bss`), and `eu-elflint` then says "file offset and virtual address
not module of alignment". It is worth a look, not a fix: either the phdr is unused
(drop it from `PHDRS`) or the sections meant for it went elsewhere or lost
`SHF_ALLOC` (KL101, KL103 report that).

## Example
A flat link with `ld -N` (`--omagic`) or a hand-written `PHDRS` with `FILEHDR` and an
address that is not congruent with the file offset, for instance after
`objcopy --change-section-address`.

## Use instead
Let ld choose file offsets (no `-N`/`-n` for paged loaders), keep `-z max-page-size`
consistent with the addresses in the script, and align output section addresses to
`MAXPAGESIZE`. For an empty segment: declare only the phdrs that get sections.

## References
- System V gABI, "Program Header": "loadable process segments must have congruent
  values for p_vaddr and p_offset, modulo the page size"; "p_align should be a
  positive, integral power of 2".
- Limine `common/lib/elf.c` (rejects such segments; skips those with `p_memsz == 0`).
- `samples/kl108-misaligned-segment/` and `tests/rules/test_kl108_misaligned_segment.py`
  (GNU ld 2.40's empty phdr; booted with GRUB 2.06 and QEMU 7.2).
"""

from collections.abc import Iterator

from kernlint.context import IMAGE, Context
from kernlint.finding import Finding, Location

ID = "KL108"
NAME = "misaligned-segment"
SEVERITY = "error"
APPLIES_TO = frozenset({IMAGE})


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding per PT_LOAD that breaks the alignment rule."""
    image = ctx.image
    for seg in image.load_segments:
        align = seg.p_align
        loc = Location(segment=seg.index, address=seg.p_vaddr, offset=seg.p_offset)
        if align > 1 and align & (align - 1):
            yield Finding(
                f"{image.segment_label(seg)} has p_align {align:#x}, which is not a power of two",
                loc,
                fix="link again without hand-edited program headers; p_align must be 2**n",
            )
        elif align > 1 and seg.p_vaddr % align != seg.p_offset % align:
            congruence = (
                f"p_vaddr {seg.p_vaddr:#x} and p_offset {seg.p_offset:#x} differ modulo"
                f" p_align {align:#x} ({seg.p_vaddr % align:#x} vs {seg.p_offset % align:#x})"
            )
            if not seg.p_filesz and not seg.p_memsz:
                yield Finding(
                    f"{image.segment_label(seg)} is empty (p_filesz = p_memsz = 0): nothing is"
                    " mapped and loaders skip it, so its " + congruence + " harms nothing"
                    " (eu-elflint still reports it); GNU ld writes such a segment for a PHDRS"
                    " entry that got no sections",
                    loc,
                    fix=(
                        "drop the unused phdr from PHDRS, or, if sections were meant for it,"
                        " check why they went elsewhere or lost SHF_ALLOC (KL101, KL103)"
                    ),
                    severity="info",
                )
                continue
            yield Finding(
                f"{image.segment_label(seg)} has {congruence}: a paging loader maps it at the"
                " wrong addresses",
                loc,
                fix=(
                    "let ld place the segment (drop -N/--omagic and -n/--nmagic for paged"
                    " loaders; align output section addresses to MAXPAGESIZE)"
                ),
            )
