# The live system's tools beyond the base system, as on the Debian-built media
# (vm-configs/debian/contract.ts GUEST_TOOLS, tools.ts, installer.ts): kexec, a TFTP
# server (in.tftpd), nftables, extlinux, the bootcheck-install installer; and the kernel
# modules they need, loaded at boot (FAT for the installer, virtio_net, nftables NAT and
# filtering). Both sides read the tool and module lists and the installer's labels from
# vm-configs/contract.json (guestTools.*.nixpkgs, guestKernelModules, install) and use
# the same installer script (vm-configs/bootcheck-install.sh). Imported by
# copytoram-iso.nix and netboot.nix.
{ config, lib, pkgs, ... }:

let
  contract = builtins.fromJSON (builtins.readFile ../contract.json);
  inherit (contract) install;

  # GRUB for installed disks, made as the Debian builder makes it (bootloaders.ts
  # installedEfiEarlyCfg): finds the FAT labelled install.bootLabel and reads the
  # /grub/grub.cfg the installer writes there.
  installedEfi = pkgs.runCommand "bootcheck-install-efi" { nativeBuildInputs = [ pkgs.grub2_efi ]; } ''
    cat > early.cfg <<'EOF'
    search --no-floppy --set=root --label ${install.bootLabel}
    set prefix=($root)/grub
    configfile ($root)/grub/grub.cfg
    EOF
    mkdir -p $out
    grub-mkimage --format=x86_64-efi --output=$out/BOOTX64.EFI --config=early.cfg --prefix=/boot/grub \
      part_gpt part_msdos fat iso9660 search search_label search_fs_file configfile normal linux echo test serial terminal efi_gop all_video gzio reboot halt
  '';

  # what the script reads from $DATA: syslinux's MBR code and the EFI loader
  installData = pkgs.runCommand "bootcheck-install-data" { } ''
    mkdir -p $out
    cp ${pkgs.syslinux}/share/syslinux/mbr.bin $out/mbr.bin
    cp ${installedEfi}/BOOTX64.EFI $out/BOOTX64.EFI
  '';

  # the script behind the same header the Debian side writes (installer.ts installerHeader)
  bootcheckInstall = pkgs.writeShellApplication {
    name = install.program;
    runtimeInputs = with pkgs; [ coreutils util-linux dosfstools e2fsprogs syslinux gnugrep ];
    # the MBR is written with printf formats built at run time
    excludeShellChecks = [ "SC2059" ];
    text = ''
      BOOT_LABEL='${install.bootLabel}'
      ROOT_LABEL='${install.rootLabel}'
      KERNEL_PARAMS='${builtins.concatStringsSep " " contract.kernelParams}'
      DATA='${installData}'
    '' + builtins.readFile ../bootcheck-install.sh;
  };
in
{
  environment.systemPackages = map (t: pkgs.${t.nixpkgs}) contract.guestTools ++ [ bootcheckInstall ];
  # loaded by systemd-modules-load in stage 2 (the Debian stage 1 insmods them before switch_root)
  boot.kernelModules = contract.guestKernelModules;
}
