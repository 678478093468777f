# A RISC-V (RV64) kernel's entry, jumped to by OpenSBI at 0x80200000 with the hart
# id in a0. Written the way -mcmodel=medlow code is: lui/%hi absolute addresses.
    .section .head.text, "ax", @progbits
    .globl _start
_start:
    lui     t0, %hi(boot_hart_id)   # R_RISCV_HI20: lui reaches ±2 GiB of 0
    sw      a0, %lo(boot_hart_id)(t0)
    j       start_kernel            # R_RISCV_JAL: ±1 MiB

    .text
    .globl start_kernel
start_kernel:
    wfi
    j       start_kernel

    .data
    .balign 4
boot_hart_id:
    .word   0
