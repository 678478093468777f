/* A UEFI application built the gnu-efi way (gcc -fpic, ld -shared with gnu-efi's
 * linker script), whose message pointer in .data refers to `banner`. Built with
 * -DDEFINE_BANNER the array is defined and the pointer gets an R_X86_64_RELATIVE
 * relocation; without it `banner` stays undefined (ld -shared accepts that) and the
 * pointer gets R_X86_64_64 against it, which gnu-efi's _relocate skips.
 *
 * The committed outputs link no gnu-efi code: efi_main is the entry (Microsoft x64
 * ABI) and .reloc is a one-block table of its own. tests/pe/test_gnu_efi.py links
 * the same source with gnu-efi's crt0 (-DGNU_EFI_CRT0: crt0 calls efi_main with the
 * System V ABI after _relocate) and boots both in OVMF. */
typedef unsigned long long u64;
typedef unsigned int u32;
typedef unsigned short u16;
#define MSABI __attribute__((ms_abi))
#ifdef GNU_EFI_CRT0
#define EFIAPI
#else
#define EFIAPI MSABI
__attribute__((section(".reloc"), used)) static const u32 reloc_block[3] = {0, 12, 0};
#endif

struct text_out { void *reset; u64 (MSABI *output_string)(struct text_out *, const u16 *); };
struct runtime { char hdr[24]; void *other[10]; void (MSABI *reset_system)(int, u64, u64, void *); };
struct system_table {
  char hdr[24]; void *vendor; unsigned revision;
  void *con_in_handle, *con_in, *con_out_handle; struct text_out *con_out;
  void *std_err_handle, *std_err; struct runtime *runtime;
};

#ifdef DEFINE_BANNER
const u16 banner[] = u"KERNLINT-UEFI-OK\r\n";
#else
extern const u16 banner[];
#endif
const u16 *volatile message = banner;

u64 EFIAPI efi_main(void *image, struct system_table *st) {
  (void)image;
  st->con_out->output_string(st->con_out, message);
  st->runtime->reset_system(2 /* EfiResetShutdown */, 0, 0, 0);
  return 0;
}
