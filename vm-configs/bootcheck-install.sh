#!/bin/sh
# bootcheck-install: install the running live system on a blank disk, the way
# nixos-install copies a closure, so that the disk boots to the same shell.
#
#   bootcheck-install [--bios | --uefi] [--kernel FILE] [--initrd FILE] DISK
#
# One layout serves both firmwares (MBR):
#   partition 1, 64 MiB, type EF, active: FAT labelled $BOOT_LABEL with the kernel,
#     the initrd, extlinux (BIOS: syslinux's mbr.bin → the active partition →
#     extlinux) and EFI/BOOT/BOOTX64.EFI (a GRUB made at build time whose embedded
#     config reads /grub/grub.cfg from the partition labelled $BOOT_LABEL)
#   partition 2, the rest: ext2 labelled $ROOT_LABEL, with /nix/store (the live
#     system's store: the squashfs's content) and the root's other files
# Both boot entries pass root=LABEL=$ROOT_LABEL and the running system's init=:
# stage 1 then mounts that partition as / and uses its /nix/store, instead of
# looking for a live medium. --bios leaves out the EFI loader, --uefi extlinux
# and mbr.bin. The kernel and initrd come from the live medium (/iso/boot)
# unless given.
#
# Used by both sides of vm-configs/ (contract.json `install`): the Debian
# builder puts it in the store with its data files and a header that sets
# BOOT_LABEL, ROOT_LABEL, KERNEL_PARAMS and DATA (the folder with mbr.bin and
# BOOTX64.EFI); vm-configs/nixos/guest-tools.nix does the same with nixpkgs.
# Needs: sh, dd, printf, blockdev, mkdosfs, mke2fs, mount, cp, extlinux.

set -eu

say() { echo "bootcheck-install: $*"; }
die() {
  echo "bootcheck-install: error: $*" >&2
  exit 1
}

usage="usage: bootcheck-install [--bios | --uefi] [--kernel FILE] [--initrd FILE] DISK"
bios=1
uefi=1
kernel=/iso/boot/bzImage
initrd=/iso/boot/initrd
disk=
while [ $# -gt 0 ]; do
  case "$1" in
    --bios) uefi= ;;
    --uefi) bios= ;;
    --kernel) kernel="${2:?$usage}"; shift ;;
    --initrd) initrd="${2:?$usage}"; shift ;;
    -h | --help) echo "$usage"; exit 0 ;;
    -*) die "unknown option $1 ($usage)" ;;
    *) [ -z "$disk" ] || die "one disk only ($usage)"; disk="$1" ;;
  esac
  shift
done
[ -n "$disk" ] || die "no disk given ($usage)"
[ -b "$disk" ] || die "$disk is not a block device"
[ -f "$kernel" ] || die "no kernel at $kernel (boot the live ISO, or give --kernel)"
[ -f "$initrd" ] || die "no initrd at $initrd (boot the live ISO, or give --initrd)"
[ -z "$bios" ] || [ -f "$DATA/mbr.bin" ] || die "no $DATA/mbr.bin (syslinux's MBR code)"
[ -z "$uefi" ] || [ -f "$DATA/BOOTX64.EFI" ] || die "no $DATA/BOOTX64.EFI (the media were built without GRUB EFI: use --bios)"
system=$(readlink -f /run/current-system) || die "no /run/current-system"
[ -e "$system/init" ] || die "$system has no init"
name="${disk##*/}"
grep -q "^/dev/$name" /proc/mounts && die "$disk (or a partition of it) is mounted"

case "$name" in
  *[0-9]) part="${disk}p" ;; # nvme0n1 → nvme0n1p1
  *) part="$disk" ;;
esac
sectors=$(cat "/sys/class/block/$name/size")
boot_start=2048
boot_size=$((64 * 2048))
root_start=$((boot_start + boot_size))
root_size=$((sectors - root_start))
[ "$root_size" -ge $((256 * 2048)) ] || die "$disk is too small ($((sectors / 2048)) MiB; 320 MiB at least)"

# --- partition table (MBR), written directly: the same bytes on both sides ---
octal() { printf '\\%03o' "$1"; }
le32() {
  octal $(($1 & 255))
  octal $((($1 >> 8) & 255))
  octal $((($1 >> 16) & 255))
  octal $((($1 >> 24) & 255))
}
# status, CHS start (unused: LBA), type, CHS end, first sector, sectors
entry() { printf "$(octal "$1")\\376\\377\\377$(octal "$2")\\376\\377\\377$(le32 "$3")$(le32 "$4")"; }

say "partitioning $disk ($((sectors / 2048)) MiB): $BOOT_LABEL (FAT, 64 MiB) and $ROOT_LABEL (ext2, $((root_size / 2048)) MiB)"
dd if=/dev/zero of="$disk" bs=1M count=1 conv=notrunc 2>/dev/null
table=/tmp/bootcheck-install-mbr.$$
{
  printf 'bcbc\000\000' # disk signature, then two zero bytes
  entry 128 239 "$boot_start" "$boot_size" # active, EFI system partition
  entry 0 131 "$root_start" "$root_size" # Linux
  dd if=/dev/zero bs=32 count=1 2>/dev/null # the two unused entries
  printf '\125\252'
} >"$table"
[ "$(wc -c <"$table")" -eq 72 ] || die "internal: the partition table is $(wc -c <"$table") bytes, not 72"
dd if="$table" of="$disk" bs=1 seek=440 conv=notrunc 2>/dev/null
rm -f "$table"
[ -n "$bios" ] && dd if="$DATA/mbr.bin" of="$disk" bs=440 count=1 conv=notrunc 2>/dev/null
sync
blockdev --rereadpt "$disk"
i=0
until [ -b "${part}1" ] && [ -b "${part}2" ]; do
  i=$((i + 1))
  [ $i -lt 50 ] || die "${part}1 and ${part}2 did not appear after re-reading the partition table"
  sleep 0.1
done

say "making file systems"
mkdosfs -n "$BOOT_LABEL" "${part}1" >/dev/null
mke2fs -q -L "$ROOT_LABEL" "${part}2" >/dev/null 2>&1 || mke2fs -L "$ROOT_LABEL" "${part}2" >/dev/null

target=/mnt/bootcheck-install
mkdir -p "$target"
mount -t ext4 "${part}2" "$target"
mkdir -p "$target/boot"
mount -t vfat "${part}1" "$target/boot"
cleanup() {
  umount "$target/boot" 2>/dev/null || true
  umount "$target" 2>/dev/null || true
}
trap cleanup EXIT

store=/nix/.ro-store
[ -d "$store" ] || store=/nix/store
say "copying the store ($(du -sm "$store" | cut -f1) MiB from $store)"
mkdir -p "$target/nix/store"
cp -a "$store/." "$target/nix/store/"
[ -e "$target$system/init" ] || die "the copied store has no $system/init"
mkdir -p "$target/etc" "$target/root" "$target/tmp" "$target/var"
echo "installed by bootcheck-install from $system" >"$target/etc/bootcheck-installed"

say "copying the kernel and initrd ($kernel, $initrd)"
cp "$kernel" "$target/boot/bzImage"
cp "$initrd" "$target/boot/initrd"
params="$KERNEL_PARAMS init=$system/init loglevel=4 root=LABEL=$ROOT_LABEL"

if [ -n "$bios" ]; then
  say "boot loader (BIOS): syslinux mbr.bin + extlinux"
  cat >"$target/boot/extlinux.conf" <<EOF
SERIAL 0 115200
TIMEOUT 10
DEFAULT disk
LABEL disk
  KERNEL /bzImage
  INITRD /initrd
  APPEND $params
EOF
  extlinux --install "$target/boot" >/dev/null
fi
if [ -n "$uefi" ]; then
  say "boot loader (UEFI): GRUB as EFI/BOOT/BOOTX64.EFI"
  mkdir -p "$target/boot/EFI/BOOT" "$target/boot/grub"
  cp "$DATA/BOOTX64.EFI" "$target/boot/EFI/BOOT/BOOTX64.EFI"
  cat >"$target/boot/grub/grub.cfg" <<EOF
serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1
terminal_input serial console
terminal_output serial console
set timeout=1
menuentry 'disk' --id disk {
  linux /bzImage $params
  initrd /initrd
}
EOF
fi
sync
cleanup
trap - EXIT
say "done: $disk boots $system (root=LABEL=$ROOT_LABEL)"
