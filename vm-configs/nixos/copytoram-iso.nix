# NixOS live ISO equivalent to the Debian-built media of vm-configs/debian/build.ts.
#
#   nix build .#copytoram-iso        (= nixosConfigurations.copytoram-iso.config.system.build.isoImage)
#
# Both sides read vm-configs/contract.json (volume label, kernel params,
# squashfs compression, root password, ...): change it there, not here.
# This file cannot be built in bootcheck's CI (no Nix store); it is only
# checked with `nix-instantiate --parse`.
{ config, lib, pkgs, modulesPath, ... }:

let
  contract = builtins.fromJSON (builtins.readFile ../contract.json);
  cfg = config.bootcheck.live;
in
{
  imports = [
    # the plain ISO machinery (tmpfs /, /iso, nix-store.squashfs + overlay /nix/store),
    # without the installer's extra users and tools
    "${modulesPath}/installer/cd-dvd/iso-image.nix"
    "${modulesPath}/profiles/minimal.nix"
    "${modulesPath}/profiles/qemu-guest.nix"
    # kexec, in.tftpd, nft, extlinux, bootcheck-install and their kernel modules
    ./guest-tools.nix
  ];

  options.bootcheck.live = {
    copytoramByDefault = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = ''
        Put `copytoram` on every boot entry's kernel command line. When false,
        the ISO still has iso-image.nix's "(Copy ISO to RAM)" entry, which is
        the counterpart of the Debian ISO's `live-copytoram` entry.
      '';
    };
    login = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = ''
        Ask for a login on ttyS0 (root / contract.rootPassword) instead of
        logging root in automatically. The Debian media switch this with the
        `bootcheck.login` kernel parameter; here it is a build-time choice.
      '';
    };
  };

  config = {
    nixpkgs.hostPlatform = lib.mkDefault "x86_64-linux";
    system.stateVersion = "24.11";
    networking.hostName = contract.hostName;

    # -- the medium -----------------------------------------------------------
    isoImage.volumeID = contract.isoVolumeId;
    isoImage.makeEfiBootable = true; # GRUB EFI (El Torito + GPT)
    isoImage.makeUsbBootable = true; # isohybrid MBR: same file boots from a USB stick
    isoImage.squashfsCompression = contract.squashfsCompression;
    boot.loader.timeout = lib.mkForce contract.bootTimeoutSeconds;

    # -- kernel command line: same order as the Debian side (ttyS0 last = /dev/console)
    boot.kernelParams = contract.kernelParams
      ++ lib.optional cfg.copytoramByDefault contract.copytoramParam;

    # the drivers the Debian initrd loads for CD, USB stick and virtio disks
    boot.initrd.availableKernelModules = [
      "ata_piix" "ahci" "sr_mod" "isofs"
      "xhci_pci" "usb_storage" "uas" "sd_mod"
      "virtio_pci" "virtio_blk" "virtio_scsi"
      "squashfs" "loop" "overlay" "ext4"
      "9p" "9pnet_virtio"
    ];

    # -- console: root shell (or login) on the serial port ---------------------
    systemd.services."serial-getty@ttyS0" = {
      enable = true;
      wantedBy = [ "getty.target" ];
      environment.TERM = "dumb";
    };
    services.getty.autologinUser = lib.mkIf (!cfg.login) "root";
    users.mutableUsers = false;
    users.users.root.password = contract.rootPassword;

    # ACPI power button → poweroff is systemd-logind's default (the Debian side runs busybox acpid)

    # -- what the store holds ----------------------------------------------------
    environment.systemPackages = [ pkgs.hello ];
  };
}
