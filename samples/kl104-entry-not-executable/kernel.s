# A tiny kernel: code in .text (kmain, deliberately not called _start), a
# boot header in .rodata, plus .data and .bss. The linker scripts choose
# what e_entry becomes.
	.text
	.globl kmain
	.type kmain, @function
kmain:
	lea boot_header(%rip), %rsi
	incq boot_count(%rip)
	movq %rsi, boot_info(%rip)
1:	hlt
	jmp 1b
	.size kmain, . - kmain

	.section .rodata, "a", @progbits
	.balign 8
	.globl boot_header
	.type boot_header, @object
boot_header:
	.ascii "KLHDR\0\0\0"
	.long 1
	.size boot_header, . - boot_header

	.data
	.balign 8
	.type boot_count, @object
boot_count:
	.quad 0
	.size boot_count, . - boot_count

	.bss
	.balign 8
	.type boot_info, @object
boot_info:
	.skip 8
	.size boot_info, . - boot_info

	.section .note.GNU-stack, "", @progbits
