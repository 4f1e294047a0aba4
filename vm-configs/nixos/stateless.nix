# A stateless NixOS ("impermanence" without the impermanence module): / is a
# tmpfs, and only the paths in contract.persistedPaths survive a reboot, bind
# mounted from an ext4 disk labelled contract.persistLabel. Same paths and
# label as the Debian-built media (vm-configs/debian/build.ts), which does the
# same in its stage 1.
#
#   nix build .#stateless-vm          (= nixosConfigurations.stateless.config.system.build.vm)
#   PERSIST_IMAGE=persist.img ./result/bin/run-bootcheck-vm
#
# persist.img: the Debian builder's persistDisk or `nix build .#persist-disk`
# (copy it, or put a qcow2 overlay on it), or any image made with
# `mke2fs -t ext4 -L persist`.
#
# `nix build .#stateless-iso` puts this module on copytoram-iso.nix's live ISO;
# that ISO and .#persist-disk are what `checks.stateless-vm` boots.
# Not buildable in bootcheck's CI (no Nix store); checked with `nix-instantiate --parse`.
{ config, lib, pkgs, modulesPath, ... }:

let
  contract = builtins.fromJSON (builtins.readFile ../contract.json);
  persist = contract.persistMountPoint; # "/persist"

  # the same file systems in the real machine and in the VM variant
  statelessFileSystems = {
    "/" = {
      device = "none";
      fsType = "tmpfs";
      options = [ "defaults" "size=512M" "mode=0755" ];
    };
    "${persist}" = {
      device = "/dev/disk/by-label/${contract.persistLabel}";
      fsType = "ext4";
      neededForBoot = true;
    };
  } // lib.genAttrs contract.persistedPaths (path: {
    # bind mounts, done in stage 1 (neededForBoot), like the Debian stage 1
    device = "${persist}${path}";
    fsType = "none";
    options = [ "bind" ];
    depends = [ persist ];
    neededForBoot = true;
  });
in
{
  imports = [ "${modulesPath}/profiles/qemu-guest.nix" ];

  nixpkgs.hostPlatform = lib.mkDefault "x86_64-linux";
  system.stateVersion = "24.11";
  networking.hostName = contract.hostName;

  fileSystems = statelessFileSystems;

  # the bind targets' sources must exist on a fresh persist disk
  boot.initrd.postMountCommands = lib.concatMapStrings (path: ''
    mkdir -p "$targetRoot${persist}${path}" "$targetRoot${path}"
  '') contract.persistedPaths;

  boot.initrd.availableKernelModules = [ "virtio_pci" "virtio_blk" "ahci" "sd_mod" "usb_storage" "xhci_pci" "ext4" ];
  boot.kernelParams = contract.kernelParams;
  boot.loader.grub.enable = false; # booted directly by QEMU (-kernel/-initrd)

  # console as on the Debian media: root shell on the serial port
  systemd.services."serial-getty@ttyS0" = {
    enable = true;
    wantedBy = [ "getty.target" ];
    environment.TERM = "dumb";
  };
  services.getty.autologinUser = "root";
  users.mutableUsers = false;
  users.users.root.password = contract.rootPassword;

  environment.systemPackages = [ pkgs.hello ];

  # `nix build .#stateless-vm`: qemu-vm.nix replaces fileSystems with
  # virtualisation.fileSystems, so give it the same tmpfs root and persist disk.
  virtualisation.vmVariant = {
    virtualisation = {
      diskImage = null; # no root disk image: / is the tmpfs above
      fileSystems = statelessFileSystems;
      graphics = false;
      memorySize = 1024;
      # attach the persist disk (kept outside the Nix store, like NIX_DISK_IMAGE)
      qemu.options = [
        "-drive file=\${PERSIST_IMAGE:-persist.img},if=virtio,format=raw"
      ];
    };
  };
}
