# NixOS netboot image equivalent to the Debian builder's netboot output
# (vm-configs/debian/build.ts, `netboot/`): a kernel, an initrd that carries the
# whole store (nix-store.squashfs inside it, mounted from RAM: no disk, no medium)
# and netboot.ipxe, which names both relatively and ends its kernel line with
# ${cmdline}. Built on nixpkgs' installer/netboot/netboot.nix, like
# netboot-minimal.nix, without the installer's tools and users.
#
#   nix build .#netboot   (= nixosConfigurations.netboot.config.system.build.netbootDir:
#                          bzImage, initrd, netboot.ipxe in one folder)
#
# bootcheck boots that folder as it is: { kernel, initrd } directly, { pxe: { tftpRoot } }
# with a pxelinux configuration laid over it, or { ipxe: { httpRoot } }.
# Both sides read vm-configs/contract.json; the file names in contract.netboot are the
# ones nixpkgs' netboot.nix produces. Not buildable in bootcheck's CI (no Nix store):
# checked with `nix-instantiate --parse` and evaluated against a stub lib.
{ config, lib, pkgs, modulesPath, ... }:

let
  contract = builtins.fromJSON (builtins.readFile ../contract.json);
in
{
  imports = [
    # tmpfs /, nix-store.squashfs in the initrd + overlay /nix/store, netboot.ipxe
    "${modulesPath}/installer/netboot/netboot.nix"
    "${modulesPath}/profiles/minimal.nix"
    "${modulesPath}/profiles/qemu-guest.nix"
    # kexec, in.tftpd, nft, extlinux, bootcheck-install and their kernel modules
    ./guest-tools.nix
  ];

  config = {
    nixpkgs.hostPlatform = lib.mkDefault "x86_64-linux";
    system.stateVersion = "24.11";
    networking.hostName = contract.hostName;

    netboot.squashfsCompression = contract.squashfsCompression;

    # same order as the Debian side (ttyS0 last = /dev/console); netboot.nix adds
    # init= and initrd=initrd to the iPXE script's kernel line itself
    boot.kernelParams = contract.kernelParams;
    boot.initrd.availableKernelModules = [ "squashfs" "loop" "overlay" "virtio_pci" "virtio_net" ];

    # -- console: root shell on the serial port, as on the Debian media ----------
    systemd.services."serial-getty@ttyS0" = {
      enable = true;
      wantedBy = [ "getty.target" ];
      environment.TERM = "dumb";
    };
    services.getty.autologinUser = "root";
    users.mutableUsers = false;
    users.users.root.password = contract.rootPassword;

    environment.systemPackages = [ pkgs.hello ];

    # the three files in one folder, named as contract.netboot says
    system.build.netbootDir = pkgs.symlinkJoin {
      name = "bootcheck-netboot";
      paths = with config.system.build; [ netbootRamdisk kernel netbootIpxeScript ];
      preferLocalBuild = true;
    };
  };
}
