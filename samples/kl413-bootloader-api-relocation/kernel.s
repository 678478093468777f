/*
 * A position-independent kernel for the rust-osdev bootloader (x86-64). It keeps a
 * table of handler pointers in .data.rel.ro: in a PIE each pointer needs a dynamic
 * relocation, which the bootloader applies after choosing the load address.
 *   default:           the table holds _start only -> R_X86_64_RELATIVE
 *   --defsym HOOK=1:   it also holds `ext_handler`, declared weak and defined nowhere
 *                      (an optional hook): ld.lld keeps R_X86_64_64 against the symbol
 * Not booted: the entry only halts.
 */
        .text
        .globl  _start
        .type   _start, @function
_start:
        leaq    handlers(%rip), %rax
        cli
1:      hlt
        jmp     1b
        .size   _start, . - _start

        .section .data.rel.ro, "aw"
        .balign 8
handlers:
        .quad   _start
.ifdef HOOK
        .weak   ext_handler
        .quad   ext_handler
.endif
