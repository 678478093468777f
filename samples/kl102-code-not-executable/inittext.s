# Correctly flagged code ("ax") that the linker script puts in a read-only
# PT_LOAD: .init.text has no ":phdr" of its own and so inherits ":rodata".
	.text
	.globl _start
	.type _start, @function
_start:
	call early_init
1:	hlt
	jmp 1b
	.size _start, . - _start

	.section .init.text, "ax", @progbits
	.globl early_init
	.type early_init, @function
early_init:
	lea banner(%rip), %rsi
	ret
	.size early_init, . - early_init

	.section .rodata, "a", @progbits
banner:
	.asciz "kernlint"

	.section .note.GNU-stack, "", @progbits
