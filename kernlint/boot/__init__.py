"""Boot protocols: the headers a loader looks for in a kernel image, decoded.

One small pure module per protocol, each citing its specification: Multiboot 1
(:mod:`.multiboot1`), Multiboot 2 (:mod:`.multiboot2`), the Xen PVH entry note
(:mod:`.pvh`). :mod:`.headers` finds them in an ELF image as the loaders scan for them
(and further in, to say where a misplaced header went); :mod:`.protocol` decides which
protocols an image is meant for (``--boot-protocol``, ``boot-protocol``, or detection).
Nothing here imports pyelftools: the decoders take bytes.
"""

#: Values of ``--boot-protocol`` / ``boot-protocol`` (DESIGN.md, "Command line").
PROTOCOLS = ("auto", "multiboot1", "multiboot2", "pvh", "bootloader-api", "bios", "none")
