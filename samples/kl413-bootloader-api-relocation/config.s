/*
 * The 133-byte `.bootloader-config` section bootloader_api's `entry_point!` emits
 * (rust-osdev/bootloader api/src/config.rs @ aee3504, `BootloaderConfig::serialize`):
 * api version 0.11.7, 100 KiB kernel stack, physical memory mapped at a dynamic
 * address, everything else default. See ../kl412-bootloader-api-config/ for the layout.
 */
        .section .bootloader-config, "a"
        .globl  __BOOTLOADER_CONFIG
        .type   __BOOTLOADER_CONFIG, @object
__BOOTLOADER_CONFIG:
        .byte   0x74, 0x3C, 0xA9, 0x61, 0x09, 0x36, 0x46, 0xA0  /* UUID */
        .byte   0xBB, 0x55, 0x5C, 0x15, 0x89, 0x15, 0x25, 0x3D
        .short  0, 11, 7                /* version 0.11.7 */
        .byte   0                       /* pre-release: no */
        .quad   100 * 1024              /* kernel_stack_size */
        .byte   0                       /* mappings.kernel_stack: Dynamic */
        .quad   0
        .byte   0                       /* mappings.kernel_base: Dynamic */
        .quad   0
        .byte   0                       /* mappings.boot_info: Dynamic */
        .quad   0
        .byte   0                       /* mappings.framebuffer: Dynamic */
        .quad   0
        .byte   1, 0                    /* mappings.physical_memory: Some(Dynamic) */
        .quad   0
        .byte   0, 0                    /* mappings.page_table_recursive: None */
        .quad   0
        .byte   0                       /* mappings.aslr: false */
        .byte   0                       /* mappings.dynamic_range_start: None */
        .quad   0
        .byte   0                       /* mappings.dynamic_range_end: None */
        .quad   0
        .byte   0                       /* mappings.ramdisk_memory: Dynamic */
        .quad   0
        .byte   0                       /* frame_buffer.minimum_framebuffer_height: None */
        .quad   0
        .byte   0                       /* frame_buffer.minimum_framebuffer_width: None */
        .quad   0
        .size   __BOOTLOADER_CONFIG, . - __BOOTLOADER_CONFIG
