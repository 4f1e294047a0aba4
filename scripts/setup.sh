#!/usr/bin/env bash
# Installs what bootcheck needs on a Debian machine, skipping what is already there:
# QEMU and image tools from Debian (apt-get, as root or through sudo), npm packages, and
# the compiled CLI. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# command -> Debian package
declare -A needs=(
  [qemu-system-x86_64]=qemu-system-x86 [qemu-img]=qemu-utils [xorriso]=xorriso
  [mksquashfs]=squashfs-tools [mke2fs]=e2fsprogs [dumpe2fs]=e2fsprogs [cpio]=cpio
  [grub-mkimage]=grub-common [mkfs.vfat]=dosfstools [mcopy]=mtools [openssl]=openssl
  [setpriv]=util-linux [nix-instantiate]=nix-bin [busybox]=busybox [xz]=xz-utils [zstd]=zstd
  [chromium]=chromium
  # networks of machines: the virtual switch
  [vde_switch]=vde2
  # tests read the captures networks write with it, as a user would
  [tcpdump]=tcpdump
  # the Debian live-boot ISO of tests/media/debian-live.ts
  [mmdebstrap]=mmdebstrap
  # OCR for vm.screenText/waitForText/clickText (src/screens/ocr.ts)
  [tesseract]=tesseract-ocr
  # other architectures (docs/architectures.md)
  [qemu-system-aarch64]=qemu-system-arm [qemu-system-riscv64]=qemu-system-misc [qemu-system-mips64el]=qemu-system-mips
)
# files -> Debian package
declare -A files=(
  [/usr/lib/ISOLINUX/isolinux.bin]=isolinux [/usr/lib/syslinux/modules/bios/ldlinux.c32]=syslinux-common
  [/usr/lib/ISOLINUX/isohdpfx.bin]=isolinux [/usr/share/OVMF/OVMF_CODE_4M.fd]=ovmf
  [/usr/lib/grub/x86_64-efi/linux.mod]=grub-efi-amd64-bin
  # PyYAML: tests/unit/project/ci-templates.test.ts reads the CI templates with it
  [/usr/lib/python3/dist-packages/yaml/__init__.py]=python3-yaml
  # network boot: QEMU's NIC ROMs (iPXE), pxelinux for PXE tests, Debian's installer netboot images
  [/usr/lib/ipxe/qemu/efi-virtio.rom]=ipxe-qemu [/usr/lib/PXELINUX/pxelinux.0]=pxelinux
  [/usr/lib/debian-installer/images/12/amd64/text/debian-installer/amd64/linux]=debian-installer-12-netboot-amd64
  # the graphical installer of tests/integration/screen-text.test.ts (same package) and OCR's languages
  [/usr/lib/debian-installer/images/12/amd64/gtk/pxelinux.0]=debian-installer-12-netboot-amd64
  [/usr/share/tesseract-ocr/5/tessdata/eng.traineddata]=tesseract-ocr-eng
  [/usr/share/tesseract-ocr/5/tessdata/fra.traineddata]=tesseract-ocr-fra
  # a medium with no serial console at all (GRUB's rescue CD, on the VGA screen only): bootcheck init's screen test
  [/usr/lib/grub-rescue/grub-rescue-cdrom.iso]=grub-rescue-pc
  # firmware of the other architectures: AAVMF (aarch64 UEFI), U-Boot for QEMU's boards, OpenSBI (riscv64)
  [/usr/share/AAVMF/AAVMF_CODE.fd]=qemu-efi-aarch64 [/usr/lib/u-boot/qemu_arm64/u-boot.bin]=u-boot-qemu
  [/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf]=opensbi
)
# the Raspberry Pi's U-Boot exists only as an arm64 package: apt needs that foreign architecture
# (the aarch64 board media of vm-configs/debian/boards/ download arm64 .debs the same way)
if [ "$(dpkg --print-architecture)" != arm64 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
  echo "setup: dpkg --add-architecture arm64 (aarch64 boards)"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo dpkg --add-architecture arm64
  $sudo apt-get update -qq
fi
files[/usr/lib/u-boot/rpi_arm64/u-boot.bin]=u-boot-rpi:arm64
missing=()
for cmd in "${!needs[@]}"; do command -v "$cmd" >/dev/null 2>&1 || missing+=("${needs[$cmd]}"); done
for f in "${!files[@]}"; do [ -e "$f" ] || missing+=("${files[$f]}"); done
if [ ${#missing[@]} -gt 0 ]; then
  pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
  echo "setup: installing Debian packages: $pkgs"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "setup: compiling TypeScript"
npx tsc -p tsconfig.build.json
