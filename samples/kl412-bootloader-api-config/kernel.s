/*
 * A kernel entry for the rust-osdev bootloader (x86-64, long mode, paging on, RDI =
 * &BootInfo). It only halts: these samples are not booted (the bootloader is built
 * from Rust), the configuration bytes are what is checked.
 */
        .text
        .globl  _start
        .type   _start, @function
_start:
        cli
1:      hlt
        jmp     1b
        .size   _start, . - _start
