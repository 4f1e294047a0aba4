{
  description = "bootcheck: boot live media in QEMU and test how they behave (NixOS side of vm-configs/)";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";

  outputs = { self, nixpkgs }:
    let
      system = "x86_64-linux";
      pkgs = nixpkgs.legacyPackages.${system};
      mkSystem = module: nixpkgs.lib.nixosSystem {
        modules = [ module { nixpkgs.hostPlatform = system; } ];
      };
    in
    {
      # Must stay in step with vm-configs/debian/build.ts: both read vm-configs/contract.json.
      nixosConfigurations = {
        copytoram-iso = mkSystem ./vm-configs/nixos/copytoram-iso.nix;
        stateless = mkSystem ./vm-configs/nixos/stateless.nix;
        netboot = mkSystem ./vm-configs/nixos/netboot.nix;
      };

      packages.${system} = {
        copytoram-iso = self.nixosConfigurations.copytoram-iso.config.system.build.isoImage;
        stateless-vm = self.nixosConfigurations.stateless.config.system.build.vm;
        # bzImage, initrd (with nix-store.squashfs inside), netboot.ipxe
        netboot = self.nixosConfigurations.netboot.config.system.build.netbootDir;
        default = self.packages.${system}.copytoram-iso;
      };

      devShells.${system}.default = pkgs.mkShell {
        packages = with pkgs; [
          nodejs_20
          qemu
          # what vm-configs/debian/build.ts calls (plus dpkg/apt on a Debian host for the inputs)
          xorriso
          squashfsTools
          e2fsprogs
          dosfstools
          mtools
          openssl
          syslinux
        ];
      };
    };
}
