/*
 * Fixed twin of start-noflags.S: the only change is the flags string.
 * "ax" makes .boot SHF_ALLOC|SHF_EXECINSTR, so the init_asm PT_LOAD holds it.
 */
	.globl entry_asm
	.extern entry_highlevel_lang

	.section .boot, "ax", @progbits
entry_asm:
	movabs $0xdeadbeef, %r15
	jmp entry_highlevel_lang
	ud2

	.section .note.GNU-stack, "", @progbits
