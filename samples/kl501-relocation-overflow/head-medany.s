# A RISC-V (RV64) kernel's entry, jumped to by OpenSBI at 0x80200000 with the hart
# id in a0. Written the way -mcmodel=medany code is: auipc, PC-relative.
    .section .head.text, "ax", @progbits
    .globl _start
_start:
    lla     t0, boot_hart_id        # R_RISCV_PCREL_HI20 (+ LO12_I): ±2 GiB of the code
    sw      a0, 0(t0)
    tail    start_kernel            # R_RISCV_CALL_PLT (auipc + jr): ±2 GiB

    .text
    .globl start_kernel
start_kernel:
    wfi
    j       start_kernel

    .data
    .balign 4
boot_hart_id:
    .word   0
