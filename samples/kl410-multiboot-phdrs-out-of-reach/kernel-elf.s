# kl410: a whole ELF32 file written by hand in GNU as, so that the place of the program
# header table is ours to choose. GNU ld and ld.lld always write the table right after
# the ELF header (offset 52 in ELF32, 64 in ELF64) whatever the linker script says;
# it ends up at the end of the file when a tool rewrites the image after linking and
# needs room for one more entry (patchelf, LIEF's `add(segment)`, signing and packing
# tools), which is what PHDRS_AT_END=1 reproduces.
#
#   as --32 --defsym PHDRS_AT_END=1 -o k.o kernel-elf.s
#   ld -m elf_i386 --oformat binary -Ttext=0 -o k.elf k.o      (the raw bytes below)
#
# The file: ELF header; [program headers, PHDRS_AT_END=0]; at 0x1000 the loaded bytes
# (Multiboot 1 header, entry code, 8 KiB more of "kernel"), loaded at 1 MiB; the
# section name strings; the section headers; [program headers, PHDRS_AT_END=1].

        .include "../boot-ok.inc"

        .set    BASE, 0x00100000                # load address (virtual = physical)
        .set    LOAD_OFFSET, 0x1000             # file offset of the loaded bytes
        .set    MB1_MAGIC, 0x1BADB002
        .set    MB1_FLAGS, 0x00000003

        .text
file:
# ---- ELF header (System V gABI, "ELF Header") -------------------------------------
        .byte   0x7f, 0x45, 0x4c, 0x46          # EI_MAG: 0x7f "ELF"
        .byte   1, 1, 1, 0                      # ELFCLASS32, ELFDATA2LSB, EV_CURRENT, SYSV
        .fill   8, 1, 0
        .short  2                               # e_type: ET_EXEC
        .short  3                               # e_machine: EM_386
        .long   1                               # e_version
        .long   BASE + (_start - load_start)    # e_entry
        .long   phdrs - file                    # e_phoff
        .long   shdrs - file                    # e_shoff
        .long   0                               # e_flags
        .short  52                              # e_ehsize
        .short  32                              # e_phentsize
        .short  (phdrs_end - phdrs) / 32        # e_phnum
        .short  40                              # e_shentsize
        .short  (shdrs_end - shdrs) / 40        # e_shnum
        .short  2                               # e_shstrndx

        .macro  PROGRAM_HEADERS
phdrs:                                          # one PT_LOAD, R E, the loaded bytes
        .long   1                               # p_type: PT_LOAD
        .long   LOAD_OFFSET                     # p_offset
        .long   BASE, BASE                      # p_vaddr, p_paddr
        .long   load_end - load_start           # p_filesz
        .long   load_end - load_start           # p_memsz
        .long   5                               # p_flags: PF_R | PF_X
        .long   0x1000                          # p_align
phdrs_end:
        .endm

        .if     PHDRS_AT_END == 0
        PROGRAM_HEADERS                         # where a linker puts them: offset 52
        .endif

# ---- the loaded bytes: file offset 0x1000, address 1 MiB ----------------------------
        .org    LOAD_OFFSET, 0
load_start:
mb1_header:                                     # Multiboot 1 header, first
        .long   MB1_MAGIC
        .long   MB1_FLAGS
        .long   -(MB1_MAGIC + MB1_FLAGS)

        .code32
_start:                                         # EAX = 0x2BADB002 from the loader
        KERNLINT_BOOT_OK 0x2BADB002

        .balign 16, 0x90
rest_of_kernel:                                 # 8 KiB of code this example never runs
        .fill   8192, 1, 0x90
load_end:

# ---- section names and section headers ----------------------------------------------
shstrtab:
        .byte   0
name_text:
        .asciz  ".text"
name_shstrtab:
        .asciz  ".shstrtab"
shstrtab_end:

        .balign 4, 0
shdrs:
        .fill   10, 4, 0                        # [0] SHT_NULL
        .long   name_text - shstrtab            # [1] .text
        .long   1                               #     SHT_PROGBITS
        .long   6                               #     SHF_ALLOC | SHF_EXECINSTR
        .long   BASE                            #     sh_addr
        .long   LOAD_OFFSET                     #     sh_offset
        .long   load_end - load_start           #     sh_size
        .long   0, 0, 16, 0                     #     sh_link, sh_info, sh_addralign, sh_entsize
        .long   name_shstrtab - shstrtab        # [2] .shstrtab
        .long   3                               #     SHT_STRTAB
        .long   0, 0                            #     sh_flags, sh_addr
        .long   shstrtab - file                 #     sh_offset
        .long   shstrtab_end - shstrtab         #     sh_size
        .long   0, 0, 1, 0
shdrs_end:

        .if     PHDRS_AT_END
        PROGRAM_HEADERS                         # where a post-link tool appends them
        .endif
