"""Boot code of a relocatable Multiboot 2 image uses absolute addresses.

## What it does
When the Multiboot 2 header GRUB takes has a relocatable tag (type 10), reads the
relocation records of the boot code and reports every absolute relocation in it
(`R_386_32`, `R_386_16`, `R_X86_64_32`, `R_X86_64_32S`, `R_X86_64_64`, ...), naming the
object file, input section and offset, the enclosing symbol (`_start+0xc`), the source
line when the object has DWARF line information (`as -g`), the relocation type, its
target and the link-time address the instruction holds.

The relocation records come from the objects the image was linked from
(`--objects FILE`, repeatable, or the `objects` of the image's `[[target]]` in the
configuration), or else from the image's own relocation sections if it was linked with
`--emit-relocs`. Without either, one **info** finding says the check could not run.

Boot code, by approximation (kernlint does not follow control flow): the executable
sections of the object that holds `e_entry` that are placed in the `PT_LOAD` holding
`e_entry` (with `--emit-relocs`, every executable section in that `PT_LOAD`). Code in
other objects or other segments is taken to run after the kernel has dealt with the
move (its own page tables or relocation pass); data words holding addresses are not
judged; references inside the Multiboot 2 header are skipped.

## Why is this bad?
With the relocatable tag GRUB 2 may load the image at any base in
`[min_addr, max_addr]` with the given alignment: it copies the segments there and
shifts the entry point, but it applies no relocation (the commit that added the tag:
"executable must cope with relocations itself"). An instruction such as
`mov $msg, %esi` still holds the link-time address of `msg`, so after the move it reads
whatever lies at the link address: garbage, zeros, or a triple fault, and GRUB says
nothing. Observed with GRUB 2.06: a 1 MiB-linked kernel loaded at 2 MiB read its
message through the absolute address and got other bytes.

## Example
```asm
    .code32
_start:
    movl    $msg, %esi            # R_386_32: the address msg had at link time
```

## Use instead
```asm
    .code32
_start:
    leal    8(%ebx), %esp         # ESP is undefined: borrow a word of the MBI
    call    1f                    # push the run-time address of 1:
1:  popl    %ebp
    leal    (msg - 1b)(%ebp), %esi   # PC-relative: right wherever GRUB put us
```
In 64-bit code use `lea msg(%rip)`. Or compute `load offset = (1b at run time) - 1b`
once and add it to every address you use (PhipsBoot), or drop the relocatable tag so
that GRUB loads the image at its `p_paddr`.

## References
- Multiboot2 Specification 2.0, §3.1.11 "Relocatable header tag".
- GRUB 2.06 `grub-core/loader/multiboot_elfxx.c` (segments copied to
  `base + p_paddr - link_base`, nothing patched) and `grub-core/loader/multiboot_mbi2.c`
  (the tag); commit a620876e3 "multiboot2: Add support for relocatable images".
- System V i386 and x86-64 psABI, "Relocation Types".
- research/anchors-binary.md §2.2, §2.3 item 7, §3 (PhipsBoot's position-independent
  boot code).
"""

from collections.abc import Iterator

from kernlint.context import IMAGE, Context
from kernlint.finding import Finding, Location

ID = "KL406"
NAME = "multiboot-relocatable-absolute-reference"
SEVERITY = "error"
APPLIES_TO = frozenset({IMAGE})

#: The relocatable header tag's type (Multiboot2 spec §3.1.11).
RELOCATABLE_TAG = 10
_PREFERENCE = {0: "no preference", 1: "lowest possible", 2: "highest possible"}

_FIX = (
    "compute the address where the code runs instead: `call 1f; 1: pop %ebp` then"
    " `lea (sym - 1b)(%ebp), %reg` in 32-bit code (`lea sym(%rip), %reg` in 64-bit), or"
    " add the load offset yourself before using it; or drop the relocatable tag so GRUB"
    " loads the image at its link address"
)


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding per absolute reference in the boot code, or one info finding
    when there is no relocation data to read."""
    from kernlint.boot.protocol import MULTIBOOT2

    if MULTIBOOT2 not in ctx.boot_protocols or ctx.boot_headers is None:
        return
    header = ctx.boot_headers.grub_multiboot2
    tag = header.tag(RELOCATABLE_TAG) if header is not None else None
    if tag is None:
        return
    from kernlint.boot import absolute_refs

    image = ctx.image
    where = _tag_text(tag)
    section = ctx.boot_headers.section_at(tag.offset)
    tag_location = Location(section=section.name if section else None, offset=tag.offset)
    skip = absolute_refs.header_range(image, header.offset, header.header_length)
    if ctx.object_paths:
        scan = absolute_refs.from_objects(image, ctx.object_paths, skip)
    else:
        scan = absolute_refs.from_image(image, skip)
    if scan is None:
        yield Finding(
            f"the Multiboot 2 header has a relocatable tag ({where}), so GRUB may load the"
            " image away from its link address and patch nothing; kernlint could not check"
            " the boot code for absolute references: it has no relocation data",
            tag_location,
            fix=(
                "name the objects the image was linked from: `--objects boot.o` (repeatable)"
                " or `objects = [...]` in the image's [[target]]; or check an `--emit-relocs`"
                " build of the same image"
            ),
            severity="info",
        )
        return
    if not scan.checked:
        reasons = "; ".join(scan.notes) or "no executable section in the entry's PT_LOAD"
        yield Finding(
            f"the Multiboot 2 header has a relocatable tag ({where}), but kernlint found no"
            f" boot code to check in the relocation data given: {reasons}",
            tag_location,
            fix=(
                "name the object that defines the entry point (with `--objects` or the"
                " target's `objects`), built from the same sources as the image"
            ),
            severity="info",
        )
        return
    for ref in scan.refs:
        yield _finding(ref, where)


def _tag_text(tag) -> str:
    min_addr, max_addr, align, preference = (*tag.fields, 0, 0, 0, 0)[:4]
    prefer = _PREFERENCE.get(preference, f"preference {preference}")
    return (
        f"at offset {tag.offset:#x}: GRUB may load the image at any {align:#x}-aligned base"
        f" from {min_addr:#x} to {max_addr:#x}, {prefer}"
    )


def _shown(path: str) -> str:
    """``path`` relative to the working directory when it lies below it (configured
    objects are absolute paths), else as given."""
    import os

    rel = os.path.relpath(path) if os.path.isabs(path) else path
    return path if rel.startswith("..") else rel


def _finding(ref, where: str) -> Finding:
    context = [f"`{ref.symbol}`" if ref.symbol else None, ref.line]
    if ref.address is not None:
        context.append(f"image address {ref.address:#x}")
    said = "; ".join(x for x in context if x)
    holds = (
        f"holds the link-time address {ref.value:#x}"
        if ref.value is not None
        else "holds a link-time address"
    )
    return Finding(
        f"{_shown(ref.origin)}: {ref.section}+{ref.offset:#x}{f' ({said})' if said else ''}:"
        f" {ref.type} against {ref.target} {holds}; the relocatable tag ({where}) lets GRUB"
        " move the image without patching it, so this boot code then uses the link address,"
        " not where it was loaded",
        Location(
            section=ref.image_section or (ref.section if ref.address is None else None),
            address=ref.address,
            symbol=ref.symbol.split("+")[0] if ref.symbol else None,
        ),
        fix=_FIX,
    )
