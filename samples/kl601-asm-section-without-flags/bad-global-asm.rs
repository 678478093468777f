//! KL601 in Rust: `global_asm!` puts the entry in `.boot` with no flags.
//! rustc hands the template (its strings joined by newlines) to LLVM's
//! assembler, which, like GNU as, gives a name it does not know no flags.
#![no_std]

core::arch::global_asm!(
    ".section .boot",
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
