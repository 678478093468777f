/*
 * The 133-byte `.bootloader-config` section that bootloader_api's `entry_point!` macro
 * emits, written out byte by byte (rust-osdev/bootloader api/src/config.rs @ aee3504,
 * `BootloaderConfig::serialize`, l.65-157). This config: api version 0.11.7, not a
 * pre-release, 100 KiB kernel stack, physical memory mapped at a dynamic address,
 * everything else default. Variants (as --defsym):
 *   GUID_ORDER=1  the UUID written as a GUID struct would store it (first three
 *                 fields little-endian): the bootloader says "invalid UUID"
 *   OLD_LAYOUT=1  the 118-byte layout of an earlier bootloader_api 0.11 (no
 *                 kernel_base, no ramdisk_memory, three log settings at the end)
 */
        .section .bootloader-config, "a"
        .globl  __BOOTLOADER_CONFIG
        .type   __BOOTLOADER_CONFIG, @object
__BOOTLOADER_CONFIG:
.ifdef GUID_ORDER
        .byte   0x61, 0xA9, 0x3C, 0x74, 0x36, 0x09, 0xA0, 0x46
.else
        .byte   0x74, 0x3C, 0xA9, 0x61, 0x09, 0x36, 0x46, 0xA0  /* UUID */
.endif
        .byte   0xBB, 0x55, 0x5C, 0x15, 0x89, 0x15, 0x25, 0x3D
.ifdef OLD_LAYOUT
        .short  0, 11, 0                /* version 0.11.0 */
.else
        .short  0, 11, 7                /* version 0.11.7: major, minor, patch */
.endif
        .byte   0                       /* pre-release: no */
        .quad   100 * 1024              /* kernel_stack_size */
        .byte   0                       /* mappings.kernel_stack: Dynamic */
        .quad   0
.ifndef OLD_LAYOUT
        .byte   0                       /* mappings.kernel_base: Dynamic */
        .quad   0
.endif
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
.ifndef OLD_LAYOUT
        .byte   0                       /* mappings.ramdisk_memory: Dynamic */
        .quad   0
.endif
        .byte   0                       /* frame_buffer.minimum_framebuffer_height: None */
        .quad   0
        .byte   0                       /* frame_buffer.minimum_framebuffer_width: None */
        .quad   0
.ifdef OLD_LAYOUT
        .byte   5, 1, 1                 /* log_level Trace, framebuffer/serial logging on */
.endif
        .size   __BOOTLOADER_CONFIG, . - __BOOTLOADER_CONFIG
