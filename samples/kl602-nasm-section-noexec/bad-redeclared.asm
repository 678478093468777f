; KL602: the first declaration of .trampoline has no exec; the later
; "section .trampoline exec" comes too late: NASM keeps the attributes of a
; section's first declaration ("incompatible section attributes ignored on
; redeclaration of section `.trampoline'").
bits 64

section .trampoline
trampoline_data:
	dq 0

section .trampoline exec
global trampoline:function
trampoline:
	mov rsp, rdi
	jmp rsi
