; Fixed twin of bad-redeclared.asm: the first declaration says exec; a later
; bare "section .trampoline" keeps it.
bits 64

section .trampoline progbits alloc exec nowrite align=16
trampoline_data:
	dq 0

section .trampoline
global trampoline:function
trampoline:
	mov rsp, rdi
	jmp rsi
