# The live system's tools beyond the base system, as on the Debian-built media
# (vm-configs/debian/contract.ts GUEST_TOOLS, tools.ts): kexec, a TFTP server (in.tftpd),
# nftables, extlinux, the bootcheck-install installer; and the kernel modules they need,
# loaded at boot (FAT for the installer, virtio_net, nftables NAT and filtering).
# Both sides read the tool and module lists from vm-configs/contract.json
# (guestTools.*.nixpkgs, guestKernelModules). Imported by copytoram-iso.nix and netboot.nix.
{ config, lib, pkgs, ... }:

let
  contract = builtins.fromJSON (builtins.readFile ../contract.json);
in
{
  environment.systemPackages = map (t: pkgs.${t.nixpkgs}) contract.guestTools;
  # loaded by systemd-modules-load in stage 2 (the Debian stage 1 insmods them before switch_root)
  boot.kernelModules = contract.guestKernelModules;
}
