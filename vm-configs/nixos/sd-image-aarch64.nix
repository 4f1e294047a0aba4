# NixOS counterpart of the boards' SD card (vm-configs/debian/boards/sd-image.ts): nixpkgs'
# installer/sd-card/sd-image-aarch64.nix makes the same layout (MBR, FAT firmware
# partition, ext4 root with /boot/extlinux/extlinux.conf that U-Boot's distro boot reads),
# here with a root shell on the console bootcheck watches.
#
#   nix build .#packages.aarch64-linux.sd-image   (result/sd-image/*.img)
#
# bootcheck boots it like the Debian-built card: { arch: 'aarch64', firmware: 'u-boot',
# sd, dtb } on QEMU's raspi3b. Not buildable in bootcheck's CI (no Nix store): evaluated
# against a stub lib (tests/unit/project/flake-eval.test.ts).
{ lib, modulesPath, ... }:

let
  contract = builtins.fromJSON (builtins.readFile ../contract.json);
in
{
  imports = [ "${modulesPath}/installer/sd-card/sd-image-aarch64.nix" ];

  config = {
    nixpkgs.hostPlatform = lib.mkDefault "aarch64-linux";
    system.stateVersion = "24.11";
    networking.hostName = contract.hostName;
    # an .img bootcheck attaches as it is (QEMU's sd-card wants a power-of-two size: pad it
    # with `qemu-img resize` on a copy if needed)
    sdImage.compressImage = false;
    # virt's PL011, then the Pi 3's mini UART (QEMU raspi3b's console): the last that exists is /dev/console
    boot.kernelParams = [ "console=ttyAMA0" "console=ttyS1,115200" ];
    services.getty.autologinUser = "root";
    users.mutableUsers = false;
    users.users.root.password = contract.rootPassword;
  };
}
