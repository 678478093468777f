#!/bin/sh
# Installs what kernlint's tests need on a fresh Debian machine (as root, or with sudo):
# the real toolchain the samples are built with and the loaders' own checkers, then
# kernlint itself with its test extras in ./.venv.
set -eu
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
PKGS="binutils gcc make nasm lld elfutils grub-common python3-venv
  binutils-aarch64-linux-gnu binutils-arm-none-eabi binutils-riscv64-linux-gnu
  binutils-powerpc64-linux-gnu llvm"
# The loaders tests/boot boots kernels with (QEMU 7.2, GRUB 2.06 i386-pc on an ISO made
# by grub-mkrescue, which needs xorriso and mformat); without their recommends, which
# would pull in a GTK/SDL front end and UEFI firmware the tests never use.
BOOT_PKGS="qemu-system-x86 grub-pc-bin xorriso mtools"
# The UEFI samples (KL7, tests/pe): clang with lld-link builds them (lld is above),
# gnu-efi's linker script and crt0 the gnu-efi style ones, and Debian's OVMF 2022.11
# boots them (AAVMF on qemu-system-aarch64 the AArch64 one).
BOOT_PKGS="$BOOT_PKGS clang gnu-efi ovmf qemu-system-arm qemu-efi-aarch64"
# A RISC-V kernel booted with QEMU -kernel (tests/rules/test_permissions_by_loader.py).
BOOT_PKGS="$BOOT_PKGS qemu-system-misc"
not_installed() {
    out=""
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || out="$out $p"
    done
    echo "$out"
}
missing=$(not_installed $PKGS)
missing_boot=$(not_installed $BOOT_PKGS)
if [ -n "$missing$missing_boot" ]; then
    $SUDO apt-get update -qq
fi
if [ -n "$missing" ]; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
if [ -n "$missing_boot" ]; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
        $missing_boot >/dev/null
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
