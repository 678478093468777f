"""A flat (non-ELF) kernel image, loaded through its Multiboot 1 header alone.

The Multiboot Specification 0.6.96 (§3.1.3, "The address fields of Multiboot
header") lets an image that is not ELF say where it goes: with flags bit 16 (the
"a.out kludge") the header carries ``header_addr``, ``load_addr``, ``load_end_addr``,
``bss_end_addr`` and ``entry_addr``, and the loader copies the file by them. A flat
binary (``nasm -f bin``, ``objcopy -O binary``) has no other way to be loaded:

- no header with a zero checksum in the first 8192 bytes: GRUB 2.06 says "no
  multiboot header found."; QEMU 7.2 ``-kernel`` takes the file for a Linux kernel
  and says "qemu: invalid kernel header";
- a header without flags bit 16: both loaders read the file as ELF; GRUB says
  "invalid arch-dependent ELF magic.", QEMU "Error while loading elf kernel" (all
  observed on i386-pc / QEMU 7.2.22 with ``nasm -f bin`` kernels).

kernlint reads a file as a flat kernel only when the user names the protocol
(``--boot-protocol multiboot1``, or a target's ``boot-protocol``) and the file is
not one kernlint recognises otherwise: the header search is the loaders' own
(:func:`kernlint.boot.multiboot1.scan`).
"""

from __future__ import annotations

from dataclasses import dataclass

from kernlint.boot import multiboot1
from kernlint.boot.multiboot1 import Multiboot1Header
from kernlint.errors import InputError

#: Bytes read from the file's start: the search window and a header's 48 bytes.
_HEAD = multiboot1.SEARCH + 48


@dataclass(frozen=True)
class FlatKernel:
    """A flat kernel file: ``path`` as given, its ``size`` in bytes, and every
    4-byte-aligned Multiboot 1 magic in its first 8192 bytes, decoded (bad checksums
    included), in file order."""

    path: str
    size: int
    multiboot1: tuple[Multiboot1Header, ...]

    @property
    def grub_multiboot1(self) -> Multiboot1Header | None:
        """The header GRUB's ``multiboot`` command takes (the first with a zero checksum
        in the window), or None: "no multiboot header found."."""
        return next((h for h in self.multiboot1 if h.in_window and h.checksum_ok), None)

    @property
    def qemu_multiboot1(self) -> Multiboot1Header | None:
        """The header QEMU 7.2 ``-kernel`` takes (offsets below 8192 - 48), or None."""
        return next((h for h in self.multiboot1 if h.in_qemu_window and h.checksum_ok), None)


def read_flat_kernel(path: str) -> FlatKernel:
    """Read the first 8192 + 48 bytes of ``path`` and scan them for Multiboot 1 headers.
    Raises :class:`kernlint.errors.InputError` when the file cannot be read."""
    import os

    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            head = f.read(_HEAD)
    except OSError as exc:
        raise InputError(path, f"cannot read: {exc.strerror or exc}") from None
    headers = tuple(h for h in multiboot1.scan(head, limit=multiboot1.SEARCH) if h.in_window)
    return FlatKernel(path, size, headers)
