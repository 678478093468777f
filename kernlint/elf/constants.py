"""ELF constants kernlint needs, with the gABI names.

Source: System V ABI, gABI "Object Files" chapter (ELF header, sections, program header),
as mirrored in glibc's ``elf.h``. Only values the model and the rules use are listed.
"""

#: The first four bytes of every ELF file (gABI "ELF Identification", EI_MAG0-3).
ELF_MAGIC = b"\x7fELF"


def is_elf(head: bytes) -> bool:
    """True when ``head`` (the first bytes of a file) starts with the ELF magic."""
    return head[:4] == ELF_MAGIC


# e_type (gABI, ELF header)
ET_NONE = 0
ET_REL = 1
ET_EXEC = 2
ET_DYN = 3
ET_CORE = 4

E_TYPE_NAMES = {
    ET_NONE: "ET_NONE",
    ET_REL: "ET_REL",
    ET_EXEC: "ET_EXEC",
    ET_DYN: "ET_DYN",
    ET_CORE: "ET_CORE",
}

# e_machine (gABI; the architectures kernlint knows by name)
EM_386 = 3
EM_ARM = 40
EM_X86_64 = 62
EM_AARCH64 = 183
EM_RISCV = 243

E_MACHINE_NAMES = {
    EM_386: "EM_386",
    EM_ARM: "EM_ARM",
    EM_X86_64: "EM_X86_64",
    EM_AARCH64: "EM_AARCH64",
    EM_RISCV: "EM_RISCV",
}

# sh_type (gABI, "Section Header")
SHT_NULL = 0
SHT_PROGBITS = 1
SHT_SYMTAB = 2
SHT_STRTAB = 3
SHT_RELA = 4
SHT_HASH = 5
SHT_DYNAMIC = 6
SHT_NOTE = 7
SHT_NOBITS = 8
SHT_REL = 9
SHT_DYNSYM = 11
SHT_GROUP = 17
SHT_SYMTAB_SHNDX = 18

SH_TYPE_NAMES = {
    SHT_NULL: "SHT_NULL",
    SHT_PROGBITS: "SHT_PROGBITS",
    SHT_SYMTAB: "SHT_SYMTAB",
    SHT_STRTAB: "SHT_STRTAB",
    SHT_RELA: "SHT_RELA",
    SHT_HASH: "SHT_HASH",
    SHT_DYNAMIC: "SHT_DYNAMIC",
    SHT_NOTE: "SHT_NOTE",
    SHT_NOBITS: "SHT_NOBITS",
    SHT_REL: "SHT_REL",
    SHT_DYNSYM: "SHT_DYNSYM",
    SHT_GROUP: "SHT_GROUP",
    SHT_SYMTAB_SHNDX: "SHT_SYMTAB_SHNDX",
}

# sh_flags (gABI)
SHF_WRITE = 0x1
SHF_ALLOC = 0x2
SHF_EXECINSTR = 0x4
SHF_MERGE = 0x10
SHF_STRINGS = 0x20
SHF_INFO_LINK = 0x40
SHF_GROUP = 0x200
SHF_TLS = 0x400

# Special section indexes (gABI)
SHN_UNDEF = 0
SHN_LORESERVE = 0xFF00
SHN_ABS = 0xFFF1
SHN_COMMON = 0xFFF2
SHN_XINDEX = 0xFFFF

# p_type (gABI, "Program Header")
PT_NULL = 0
PT_LOAD = 1
PT_DYNAMIC = 2
PT_INTERP = 3
PT_NOTE = 4
PT_SHLIB = 5
PT_PHDR = 6
PT_TLS = 7
PT_GNU_EH_FRAME = 0x6474E550
PT_GNU_STACK = 0x6474E551
PT_GNU_RELRO = 0x6474E552
PT_GNU_PROPERTY = 0x6474E553

P_TYPE_NAMES = {
    PT_NULL: "PT_NULL",
    PT_LOAD: "PT_LOAD",
    PT_DYNAMIC: "PT_DYNAMIC",
    PT_INTERP: "PT_INTERP",
    PT_NOTE: "PT_NOTE",
    PT_SHLIB: "PT_SHLIB",
    PT_PHDR: "PT_PHDR",
    PT_TLS: "PT_TLS",
    PT_GNU_EH_FRAME: "PT_GNU_EH_FRAME",
    PT_GNU_STACK: "PT_GNU_STACK",
    PT_GNU_RELRO: "PT_GNU_RELRO",
    PT_GNU_PROPERTY: "PT_GNU_PROPERTY",
}

# p_flags (gABI)
PF_X = 0x1
PF_W = 0x2
PF_R = 0x4

# Symbol st_info (gABI, "Symbol Table")
STT_NOTYPE = 0
STT_OBJECT = 1
STT_FUNC = 2
STT_SECTION = 3
STT_FILE = 4
STT_COMMON = 5
STT_TLS = 6
STT_GNU_IFUNC = 10

STB_LOCAL = 0
STB_GLOBAL = 1
STB_WEAK = 2


def p_type_name(p_type: int) -> str:
    """``PT_LOAD`` for 1, ``0x60000000``-style hex for unknown values."""
    return P_TYPE_NAMES.get(p_type, f"{p_type:#x}")


def p_flags_text(p_flags: int) -> str:
    """readelf-style permission letters for ``p_flags``: ``R E``, ``RW``, ``RWE``."""
    return (
        ("R" if p_flags & PF_R else " ")
        + ("W" if p_flags & PF_W else " ")
        + ("E" if p_flags & PF_X else " ")
    ).rstrip()


def sh_flags_text(sh_flags: int) -> str:
    """readelf-style letters for the flags kernlint reasons about: ``W``, ``A``, ``X``, ``T``."""
    return "".join(
        letter
        for bit, letter in (
            (SHF_WRITE, "W"),
            (SHF_ALLOC, "A"),
            (SHF_EXECINSTR, "X"),
            (SHF_TLS, "T"),
        )
        if sh_flags & bit
    )
