"""A kernel for the rust-osdev `bootloader` lacks a configuration it can read.

## What it does
For an image meant for the rust-osdev `bootloader` crate, v0.11 or later (protocol
`bootloader-api`: detected by a `.bootloader-config` section or a `__BOOTLOADER_CONFIG`
symbol, or named with `--boot-protocol bootloader-api`), reads the `.bootloader-config`
section as the bootloader does and reports, with the panic it would print:

- no section of that name ("bootloader config section not found; kernel must be
  compiled against bootloader_api"), and where `__BOOTLOADER_CONFIG` went instead
  (a linker script that merged the section into `.rodata`);
- a section that `BootloaderConfig::deserialize` refuses ("kernel was compiled with
  incompatible bootloader_api version"): not 133 bytes (`"invalid len"`), not
  starting with the UUID `74 3C A9 61 09 36 46 A0 BB 55 5C 15 89 15 25 3D`
  (`"invalid UUID"`, with a hint when the bytes are that UUID in GUID order), a
  pre-release byte other than 0 or 1 (`"invalid pre version"`), or a mapping, option
  or flag whose tag byte is not 0 or 1 (`"invalid mapping value"`, ...).

Each finding gives the `bootloader_api` version the bytes encode (bytes 16-22) and the
byte offset of the problem. The whole 133-byte layout is decoded by
`kernlint.boot.bootloader_api` (see its table).

## Why is this bad?
The bootloader reads the section before it maps a single segment of the kernel; any
mismatch is a panic on the boot screen and serial port (`ERROR:    panicked at ...`),
and the kernel never runs. The section is found by *name* in the section header
table: a kernel linker script with `.rodata : { *(.rodata*) *(.bootloader-config) }`
keeps the bytes and the `__BOOTLOADER_CONFIG` symbol but loses the section, and a
config written by hand (C or assembly, or a crate version mismatch) is refused by its
length or UUID.

## Example
```ld
.rodata : { *(.rodata .rodata.*) *(.bootloader-config) }   /* merged: no section */
```
```asm
    .section .bootloader-config, "a"
    .byte 0x61, 0xA9, 0x3C, 0x74, ...   /* the UUID written as a GUID struct */
```

## Use instead
```ld
.bootloader-config : { KEEP(*(.bootloader-config)) }
```
and let `bootloader_api::entry_point!` (or a byte-exact copy of
`BootloaderConfig::serialize`) write the 133 bytes, UUID first, in the order of the
table in `kernlint.boot.bootloader_api`.

## References
- rust-osdev/bootloader `common/src/lib.rs` @ 2e9fe88, `Kernel::parse` l.106-110
  (the section looked up by name; both panics).
- rust-osdev/bootloader `api/src/config.rs` @ aee3504: `UUID` l.41, `SERIALIZED_LEN`
  l.46, `serialize` l.65-157, `deserialize` l.165 on (`"invalid len"` l.167,
  `"invalid UUID"` l.174, `"invalid pre version"` l.185).
- rust-osdev/bootloader `api/src/lib.rs`, `entry_point!` (`#[link_section =
  ".bootloader-config"]`); issue #290 (the section is read from the file, loaded or not).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from kernlint.context import IMAGE, Context
from kernlint.finding import Finding, Location
from kernlint.logpattern import LogPattern

if TYPE_CHECKING:
    from kernlint.boot import bootloader_api as api

ID = "KL412"
NAME = "bootloader-api-config"
SEVERITY = "error"
APPLIES_TO = frozenset({IMAGE})

LOG_PATTERNS = (
    # Hand-typed from the source (common/src/lib.rs l.107): Rust prints a panic as
    # "panicked at 'MSG', FILE:LINE:COL" (before 1.73) or "panicked at FILE:LINE:COL:"
    # then MSG; the bootloader's logger prefixes "ERROR:    " (common/src/logger.rs).
    LogPattern(
        "bootloader",
        r"bootloader config section not found; kernel must be compiled against"
        r" bootloader_api",
        "The rust-osdev bootloader looked up the section `.bootloader-config` by name and"
        " the kernel has none, so it panicked before loading it. Build the kernel with"
        " `bootloader_api::entry_point!`, and if a linker script is used, keep the section"
        " as its own output section: `.bootloader-config : {{ KEEP(*(.bootloader-config)) }}`.",
        "ERROR:    panicked at 'bootloader config section not found; kernel must be compiled"
        " against bootloader_api', common/src/lib.rs:107:18",
    ),
    # Hand-typed from the source (common/src/lib.rs l.110, api/src/config.rs
    # `deserialize`): `expect` on a Result appends ": " and the Err string in Debug form.
    LogPattern(
        "bootloader",
        r"kernel was compiled with incompatible bootloader_api version: \"(?P<error>[^\"]+)\"",
        "The kernel's `.bootloader-config` section is not the 133-byte config this"
        " bootloader deserializes ({error}): a different bootloader_api version, or bytes"
        " written by hand with the wrong length, UUID or a tag byte that is not 0 or 1."
        " Use the bootloader_api version that matches the bootloader, and let"
        " `entry_point!` write the section.",
        "ERROR:    panicked at 'kernel was compiled with incompatible bootloader_api"
        ' version: "invalid UUID"\', common/src/lib.rs:110:18',
    ),
)

_FIX_SECTION = (
    "keep the config in its own output section named `.bootloader-config`:"
    " `.bootloader-config : {{ KEEP(*(.bootloader-config)) }}`{extra}"
)


def check(ctx: Context) -> Iterator[Finding]:
    """Yield one finding when the config section is missing or refused."""
    from kernlint.boot.protocol import BOOTLOADER_API

    if BOOTLOADER_API not in ctx.boot_protocols:
        return
    from kernlint.boot import bootloader_api as api

    image = ctx.image
    section = image.section_by_name(api.SECTION)
    if section is None:
        yield _missing(ctx)
        return
    from kernlint.elf.constants import SHT_NOBITS

    if section.sh_type == SHT_NOBITS:
        data = b""
    else:
        size = max(0, min(section.sh_size, image.size - section.sh_offset))
        data = image.reader.read_bytes(section.sh_offset, size) if size else b""
    decoded = api.decode_config(data)
    if decoded.ok:
        return
    first, *more = decoded.problems
    version = (
        f"; it encodes bootloader_api {decoded.version}" if decoded.version is not None else ""
    )
    also = "; also " + "; ".join(f"{p.detail} (`{p.error}`)" for p in more) if more else ""
    where = f" (byte {first.offset})" if first.offset else ""
    yield Finding(
        f"section {api.SECTION} ({len(data)} bytes): {first.detail}{where}{version}{also};"
        f' the bootloader panics: `{api.PANIC_INCOMPATIBLE}: "{first.error}"`',
        Location(
            section=section.name,
            address=section.sh_addr if section.is_alloc else None,
            offset=section.sh_offset + first.offset,
        ),
        fix=_fix(first),
    )


def _fix(problem: api.ConfigProblem) -> str:
    from kernlint.boot import bootloader_api as api

    if problem.error == "invalid len":
        return (
            f"write exactly {api.SERIALIZED_LEN} bytes in the layout of"
            " `BootloaderConfig::serialize` of the bootloader_api version the bootloader"
            " was built with (let `bootloader_api::entry_point!` write it)"
        )
    if problem.error == "invalid UUID":
        return (
            "start the section with the bytes 74 3C A9 61 09 36 46 A0 BB 55 5C 15 89 15 25 3D,"
            " in that order (not as a GUID struct)"
        )
    return (
        f"write 0 or 1 in the tag byte at offset {problem.offset} ({problem.field}), as"
        " `BootloaderConfig::serialize` does"
    )


def _missing(ctx: Context) -> Finding:
    from kernlint.boot import bootloader_api as api

    image = ctx.image
    symbols = [s for s in image.symbols.named(api.SYMBOL) if 0 < s.st_shndx < len(image.sections)]
    panic = f"the bootloader panics: `{api.PANIC_NO_SECTION}`"
    if not symbols:
        return Finding(
            f"no section {api.SECTION} and no symbol {api.SYMBOL}: the kernel was not built"
            f" with `bootloader_api::entry_point!`; {panic}",
            Location(),
            fix=(
                "declare the entry point with `bootloader_api::entry_point!(kernel_main)` (it"
                f" emits the {api.SERIALIZED_LEN}-byte config section), or choose another"
                " boot protocol"
            ),
        )
    sym = symbols[0]
    holder = image.sections[sym.st_shndx]
    detail = ""
    data = (
        api.read_memory(image, sym.st_value, sym.st_size)
        if 0 < sym.st_size <= 4 * api.SERIALIZED_LEN
        else None
    )
    if data is not None:
        decoded = api.decode_config(data)
        if decoded.ok:
            detail = (
                f"; its {sym.st_size} bytes are a valid config for bootloader_api"
                f" {decoded.version}, but the bootloader finds the config by section name only"
            )
        elif decoded.version is not None:
            detail = f"; its bytes encode bootloader_api {decoded.version}"
    return Finding(
        f"no section {api.SECTION}: symbol {api.SYMBOL} ({sym.st_size} bytes at"
        f" {sym.st_value:#x}) is in section {holder.name}, where the linker script put the"
        f" input section {api.SECTION}{detail}; {panic}",
        Location(section=holder.name, address=sym.st_value, symbol=api.SYMBOL),
        fix=_FIX_SECTION.format(
            extra=f", and drop `*({api.SECTION})` from the {holder.name} output section"
        ),
    )
