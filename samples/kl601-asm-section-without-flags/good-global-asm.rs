//! Fixed twin of bad-global-asm.rs: `"ax", @progbits` (quotes escaped in the
//! Rust string).
#![no_std]

core::arch::global_asm!(
    ".section .boot, \"ax\", @progbits",
    ".global _start",
    ".type _start, @function",
    "_start:",
    "    cli",
    "    call {kmain}",
    "2:  hlt",
    "    jmp 2b",
    ".previous",
    kmain = sym kmain,
);

pub extern "C" fn kmain() -> ! {
    loop {}
}
