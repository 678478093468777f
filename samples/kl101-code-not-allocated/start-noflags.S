/*
 * Seed case (b), after phip1611/gnu-linker-discards-code-section-that-is-not-in-text-section
 * (first commit): the boot entry lives in ".section .boot" with no flags string.
 * GAS gives the unknown name no flags, so .boot is neither SHF_ALLOC nor
 * SHF_EXECINSTR and ld puts it in no PT_LOAD, silently.
 */
	.globl entry_asm
	.extern entry_highlevel_lang

	.section .boot
entry_asm:
	movabs $0xdeadbeef, %r15
	jmp entry_highlevel_lang
	ud2

	.section .note.GNU-stack, "", @progbits
