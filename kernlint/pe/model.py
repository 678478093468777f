"""The PE/COFF model: plain frozen dataclasses with the field names of the Microsoft
PE/COFF specification ("PE Format", learn.microsoft.com/windows/win32/debug/pe-format),
no LIEF import. Section numbers below are that document's.

Sizes and addresses are bytes; an RVA is relative to ``ImageBase`` (spec 2, "RVA").
"""

from __future__ import annotations

from dataclasses import dataclass

# -- COFF file header (spec 3.3), Machine (3.3.1) and Characteristics (3.3.2)
IMAGE_FILE_MACHINE_I386 = 0x014C
IMAGE_FILE_MACHINE_AMD64 = 0x8664
IMAGE_FILE_MACHINE_ARM64 = 0xAA64
IMAGE_FILE_MACHINE_ARMTHUMB_MIXED = 0x01C2
IMAGE_FILE_MACHINE_ARMNT = 0x01C4
IMAGE_FILE_MACHINE_IA64 = 0x0200
IMAGE_FILE_MACHINE_EBC = 0x0EBC
IMAGE_FILE_MACHINE_RISCV32 = 0x5032
IMAGE_FILE_MACHINE_RISCV64 = 0x5064
IMAGE_FILE_MACHINE_LOONGARCH32 = 0x6232
IMAGE_FILE_MACHINE_LOONGARCH64 = 0x6264

#: Machine names as ``objdump`` and the UEFI specification's removable-media file names
#: (UEFI 2.10, 3.5.1.1 "Removable Media Boot Behavior": ``BOOTX64.EFI`` ...) use them.
MACHINE_NAMES = {
    IMAGE_FILE_MACHINE_I386: "IA32",
    IMAGE_FILE_MACHINE_AMD64: "X64",
    IMAGE_FILE_MACHINE_ARM64: "AA64",
    IMAGE_FILE_MACHINE_ARMTHUMB_MIXED: "ARM",
    IMAGE_FILE_MACHINE_ARMNT: "ARMNT",
    IMAGE_FILE_MACHINE_IA64: "IA64",
    IMAGE_FILE_MACHINE_EBC: "EBC",
    IMAGE_FILE_MACHINE_RISCV32: "RISCV32",
    IMAGE_FILE_MACHINE_RISCV64: "RISCV64",
    IMAGE_FILE_MACHINE_LOONGARCH32: "LOONGARCH32",
    IMAGE_FILE_MACHINE_LOONGARCH64: "LOONGARCH64",
}

#: The UEFI architecture names (``BOOT<ARCH>.EFI``, ``uefi-arch``) and the Machine each
#: requires (UEFI 2.10, 3.5.1.1, Table 3.5 "UEFI Image Types").
UEFI_ARCHES = {
    "ia32": IMAGE_FILE_MACHINE_I386,
    "x64": IMAGE_FILE_MACHINE_AMD64,
    "ia64": IMAGE_FILE_MACHINE_IA64,
    "arm": IMAGE_FILE_MACHINE_ARMTHUMB_MIXED,
    "aa64": IMAGE_FILE_MACHINE_ARM64,
    "riscv32": IMAGE_FILE_MACHINE_RISCV32,
    "riscv64": IMAGE_FILE_MACHINE_RISCV64,
    "loongarch32": IMAGE_FILE_MACHINE_LOONGARCH32,
    "loongarch64": IMAGE_FILE_MACHINE_LOONGARCH64,
}

IMAGE_FILE_RELOCS_STRIPPED = 0x0001
IMAGE_FILE_EXECUTABLE_IMAGE = 0x0002
IMAGE_FILE_DLL = 0x2000

# -- Optional header (spec 3.4): Magic, Subsystem (3.4.2), DllCharacteristics (3.4.3)
PE32_MAGIC = 0x10B
PE32PLUS_MAGIC = 0x20B

IMAGE_SUBSYSTEM_WINDOWS_GUI = 2
IMAGE_SUBSYSTEM_WINDOWS_CUI = 3
IMAGE_SUBSYSTEM_EFI_APPLICATION = 10
IMAGE_SUBSYSTEM_EFI_BOOT_SERVICE_DRIVER = 11
IMAGE_SUBSYSTEM_EFI_RUNTIME_DRIVER = 12
IMAGE_SUBSYSTEM_EFI_ROM = 13

SUBSYSTEM_NAMES = {
    0: "unknown",
    1: "native",
    IMAGE_SUBSYSTEM_WINDOWS_GUI: "Windows GUI",
    IMAGE_SUBSYSTEM_WINDOWS_CUI: "Windows console",
    IMAGE_SUBSYSTEM_EFI_APPLICATION: "EFI application",
    IMAGE_SUBSYSTEM_EFI_BOOT_SERVICE_DRIVER: "EFI boot service driver",
    IMAGE_SUBSYSTEM_EFI_RUNTIME_DRIVER: "EFI runtime driver",
    IMAGE_SUBSYSTEM_EFI_ROM: "EFI ROM",
}
#: Subsystems EDK2's DXE core loads (``CoreLoadPeImage`` in ``MdeModulePkg/Core/Dxe/
#: Image/Image.c``: application, boot-service driver, runtime driver; anything else is
#: EFI_UNSUPPORTED).
EFI_LOADABLE_SUBSYSTEMS = frozenset(
    {
        IMAGE_SUBSYSTEM_EFI_APPLICATION,
        IMAGE_SUBSYSTEM_EFI_BOOT_SERVICE_DRIVER,
        IMAGE_SUBSYSTEM_EFI_RUNTIME_DRIVER,
    }
)
EFI_SUBSYSTEMS = EFI_LOADABLE_SUBSYSTEMS | {IMAGE_SUBSYSTEM_EFI_ROM}

IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE = 0x0040
IMAGE_DLLCHARACTERISTICS_NX_COMPAT = 0x0100

#: Data directory index of the base relocation table (spec 3.4.3, "Optional Header
#: Data Directories").
IMAGE_DIRECTORY_ENTRY_BASERELOC = 5

# -- Section table (spec 4), section flags (4.1)
IMAGE_SCN_CNT_CODE = 0x00000020
IMAGE_SCN_CNT_INITIALIZED_DATA = 0x00000040
IMAGE_SCN_CNT_UNINITIALIZED_DATA = 0x00000080
IMAGE_SCN_MEM_DISCARDABLE = 0x02000000
IMAGE_SCN_MEM_EXECUTE = 0x20000000
IMAGE_SCN_MEM_READ = 0x40000000
IMAGE_SCN_MEM_WRITE = 0x80000000

# -- Base relocation types (spec 6.6.2)
IMAGE_REL_BASED_ABSOLUTE = 0
IMAGE_REL_BASED_HIGH = 1
IMAGE_REL_BASED_LOW = 2
IMAGE_REL_BASED_HIGHLOW = 3
IMAGE_REL_BASED_HIGHADJ = 4
IMAGE_REL_BASED_DIR64 = 10

#: The types EDK2's ``PeCoffLoaderRelocateImage`` (``MdePkg/Library/BasePeCoffLib/
#: BasePeCoff.c``) applies itself on every machine; any other type goes to the
#: architecture's ``PeCoffLoaderRelocateImageEx``, which on IA32, X64 and AArch64
#: returns RETURN_UNSUPPORTED (``Ia32/X64``/``AArch64/PeCoffLoaderEx.c``).
EDK2_GENERIC_RELOCATION_TYPES = frozenset(
    {
        IMAGE_REL_BASED_ABSOLUTE,
        IMAGE_REL_BASED_HIGH,
        IMAGE_REL_BASED_LOW,
        IMAGE_REL_BASED_HIGHLOW,
        IMAGE_REL_BASED_DIR64,
    }
)
#: Machines on which no other type is applied.
EDK2_GENERIC_ONLY_MACHINES = frozenset(
    {IMAGE_FILE_MACHINE_I386, IMAGE_FILE_MACHINE_AMD64, IMAGE_FILE_MACHINE_ARM64}
)

RELOCATION_TYPE_NAMES = {
    IMAGE_REL_BASED_ABSOLUTE: "ABSOLUTE",
    IMAGE_REL_BASED_HIGH: "HIGH",
    IMAGE_REL_BASED_LOW: "LOW",
    IMAGE_REL_BASED_HIGHLOW: "HIGHLOW",
    IMAGE_REL_BASED_HIGHADJ: "HIGHADJ",
    5: "MIPS_JMPADDR/ARM_MOV32/RISCV_HIGH20",
    7: "THUMB_MOV32/RISCV_LOW12I",
    8: "RISCV_LOW12S/LOONGARCH_MARK_LA",
    9: "MIPS_JMPADDR16",
    IMAGE_REL_BASED_DIR64: "DIR64",
}

#: Bytes of a base relocation block header (VirtualAddress, SizeOfBlock; spec 6.6.1).
BLOCK_HEADER_SIZE = 8


@dataclass(frozen=True)
class Section:
    """One section table entry (spec 4, "Section Table (Section Headers)")."""

    Name: str
    VirtualAddress: int  # RVA of the first byte in memory
    VirtualSize: int  # bytes in memory (0: SizeOfRawData is used, as loaders do)
    PointerToRawData: int  # file offset
    SizeOfRawData: int  # bytes in the file
    Characteristics: int  # IMAGE_SCN_*

    @property
    def memory_size(self) -> int:
        """Bytes the section occupies once loaded: ``VirtualSize``, or ``SizeOfRawData``
        when ``VirtualSize`` is 0 (EDK2 ``PeCoffLoaderLoadImage`` does the same)."""
        return self.VirtualSize or self.SizeOfRawData

    @property
    def end(self) -> int:
        """RVA one past the last byte in memory."""
        return self.VirtualAddress + self.memory_size

    @property
    def executable(self) -> bool:
        return bool(self.Characteristics & IMAGE_SCN_MEM_EXECUTE)

    @property
    def writable(self) -> bool:
        return bool(self.Characteristics & IMAGE_SCN_MEM_WRITE)

    @property
    def discardable(self) -> bool:
        return bool(self.Characteristics & IMAGE_SCN_MEM_DISCARDABLE)

    def holds(self, rva: int) -> bool:
        return self.VirtualAddress <= rva < self.end


@dataclass(frozen=True)
class RelocationBlock:
    """One block of the base relocation table (spec 6.6.1, "Base Relocation Block"):
    the page ``VirtualAddress`` (RVA) its entries are offsets into, ``SizeOfBlock``
    (bytes, including the 8-byte header), where it starts in the table (``offset``,
    bytes from the directory's start) and its entries as (type, offset in the page)
    (spec 6.6.2). ``truncated`` is True when the table ends inside its header."""

    offset: int
    VirtualAddress: int
    SizeOfBlock: int
    entries: tuple[tuple[int, int], ...] = ()
    truncated: bool = False


@dataclass(frozen=True)
class PeImage:
    """A PE32 or PE32+ image as a UEFI firmware loads it: the COFF file header (spec
    3.3: ``Machine``, ``Characteristics``), the optional header (spec 3.4:
    ``Magic``, ``AddressOfEntryPoint``, ``ImageBase``, ``SectionAlignment``,
    ``FileAlignment``, ``SizeOfImage``, ``SizeOfHeaders``, ``Subsystem``,
    ``DllCharacteristics``, ``NumberOfRvaAndSizes``), the base relocation data
    directory (spec 3.4.3, entry 5: ``reloc_rva``, ``reloc_size``, bytes), the section
    table (spec 4) and the base relocation blocks found by walking that directory the
    way EDK2's ``PeCoffLoaderRelocateImage`` does (spec 6.6; stops at a block it
    refuses). ``file_size`` is the file's length in bytes; ``e_lfanew`` the offset of
    the ``PE\\0\\0`` signature (spec 2, "MS-DOS Stub")."""

    path: str
    e_lfanew: int
    Machine: int
    Characteristics: int
    Magic: int
    AddressOfEntryPoint: int
    ImageBase: int
    SectionAlignment: int
    FileAlignment: int
    SizeOfImage: int
    SizeOfHeaders: int
    Subsystem: int
    DllCharacteristics: int
    NumberOfRvaAndSizes: int
    reloc_rva: int
    reloc_size: int
    sections: tuple[Section, ...]
    relocation_blocks: tuple[RelocationBlock, ...]
    file_size: int
    #: Why walking the relocation table stopped early (the bytes it could not read),
    #: or None.
    relocation_table_error: str | None = None

    @property
    def machine_name(self) -> str:
        return MACHINE_NAMES.get(self.Machine, f"{self.Machine:#06x}")

    @property
    def subsystem_name(self) -> str:
        return SUBSYSTEM_NAMES.get(self.Subsystem, str(self.Subsystem))

    @property
    def relocs_stripped(self) -> bool:
        return bool(self.Characteristics & IMAGE_FILE_RELOCS_STRIPPED)

    @property
    def has_relocation_table(self) -> bool:
        """A base relocation directory entry with a non-zero size."""
        return self.NumberOfRvaAndSizes > IMAGE_DIRECTORY_ENTRY_BASERELOC and self.reloc_size > 0

    @property
    def nx_compat(self) -> bool:
        return bool(self.DllCharacteristics & IMAGE_DLLCHARACTERISTICS_NX_COMPAT)

    @property
    def is_efi(self) -> bool:
        """Subsystem 10-13 (spec 3.4.2)."""
        return self.Subsystem in EFI_SUBSYSTEMS

    def section_at(self, rva: int) -> Section | None:
        """The first section whose memory range holds ``rva``, or None."""
        return next((s for s in self.sections if s.holds(rva)), None)
