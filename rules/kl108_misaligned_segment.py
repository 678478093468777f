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

## Example
A flat link with `ld -N` (`--omagic`) or a hand-written `PHDRS` with `FILEHDR` and an
address that is not congruent with the file offset, for instance after
`objcopy --change-section-address`.

## Use instead
Let ld choose file offsets (no `-N`/`-n` for paged loaders), keep `-z max-page-size`
consistent with the addresses in the script, and align output section addresses to
`MAXPAGESIZE`.

## References
- System V gABI, "Program Header": "loadable process segments must have congruent
  values for p_vaddr and p_offset, modulo the page size"; "p_align should be a
  positive, integral power of 2".
- Limine `common/lib/elf.c` (rejects such segments).
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
            empty = not seg.p_filesz and not seg.p_memsz
            yield Finding(
                f"{image.segment_label(seg)}"
                + (
                    " is empty (p_filesz = p_memsz = 0; often the segment meant for sections"
                    " that lost SHF_ALLOC, see KL101) and"
                    if empty
                    else ""
                )
                + f" has p_vaddr {seg.p_vaddr:#x} and p_offset"
                f" {seg.p_offset:#x}, which differ modulo p_align {align:#x}"
                f" ({seg.p_vaddr % align:#x} vs {seg.p_offset % align:#x}): a paging loader"
                " maps it at the wrong addresses",
                loc,
                fix=(
                    "let ld place the segment (drop -N/--omagic and -n/--nmagic for paged"
                    " loaders; align output section addresses to MAXPAGESIZE)"
                ),
            )
