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
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
