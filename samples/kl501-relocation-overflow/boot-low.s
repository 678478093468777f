# A higher-half kernel's 32-bit entry: the Multiboot loader jumps here in protected
# mode at the physical address, before paging maps the kernel at 0xffffffff80000000.
    .set KERNEL_VMA, 0xffffffff80000000

    .section .boot, "ax", @progbits
    .code32
    .globl _start
_start:
    movl $(boot_stack_top - KERNEL_VMA), %esp   # its physical (low) address
    movl $(kernel_pml4 - KERNEL_VMA), %eax      # its physical (low) address
    movl %eax, %cr3
    hlt

    .section .text, "ax", @progbits
    .code64
    .globl kmain
kmain:
    movq $boot_stack_top, %rsp      # R_X86_64_32S: sign-extended, fits
    call kmain_c                    # R_X86_64_PLT32 within the same 2 GiB
    hlt
kmain_c:
    ret

    .section .bss, "aw", @nobits
    .align 4096
    .globl kernel_pml4
kernel_pml4:
    .skip 4096
boot_stack:
    .skip 16384
boot_stack_top:
