# A tiny kernel with code, read-only data, a boot table and initialised data.
	.text
	.globl _start
	.type _start, @function
_start:
	mov boot_table(%rip), %rax
	mov %rax, boot_flags(%rip)
1:	hlt
	jmp 1b
	.size _start, . - _start

	.section .rodata, "a", @progbits
	.type banner, @object
banner:
	.asciz "kernlint"
	.size banner, . - banner

	.section .boot_table, "a", @progbits
	.type boot_table, @object
boot_table:
	.ascii "BOOTTABL"
	.size boot_table, . - boot_table

	.data
	.type boot_flags, @object
boot_flags:
	.quad 0
	.size boot_flags, . - boot_flags

	.section .note.GNU-stack, "", @progbits
