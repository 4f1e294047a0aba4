{
  description = "bootcheck: boot live media in QEMU and test how they behave (NixOS side of vm-configs/)";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";

  outputs = { self, nixpkgs }:
    let
      system = "x86_64-linux";
      pkgs = nixpkgs.legacyPackages.${system};
      lib = nixpkgs.lib;
      mkSystem = modules: nixpkgs.lib.nixosSystem {
        modules = modules ++ [ { nixpkgs.hostPlatform = system; } ];
      };
      packageJson = builtins.fromJSON (builtins.readFile ./package.json);
      contract = builtins.fromJSON (builtins.readFile ./vm-configs/contract.json);

      # What bootcheck runs: QEMU (qemu-img included), the image tools of the Debian
      # builder, setpriv (util-linux) for QEMU's parent-death signal.
      runtimeTools = with pkgs; [ qemu xorriso squashfsTools e2fsprogs dosfstools mtools cpio util-linux openssl ];

      # The CLI: `nix build .#bootcheck`, `nix run . -- run tests/`.
      bootcheck = pkgs.buildNpmPackage {
        pname = "bootcheck";
        inherit (packageJson) version;
        src = lib.cleanSource ./.;
        # Placeholder: the first `nix build .#bootcheck` fails and prints the real hash of
        # the npm dependencies (package-lock.json); put it here.
        npmDepsHash = lib.fakeHash;
        nodejs = pkgs.nodejs_20;
        # node-pty builds its native module with node-gyp.
        nativeBuildInputs = [ pkgs.makeWrapper pkgs.python3 ];
        npmBuildScript = "build";
        postInstall = ''
          wrapProgram $out/bin/bootcheck --prefix PATH : ${lib.makeBinPath runtimeTools}
        '';
        meta = {
          description = packageJson.description;
          license = lib.licenses.mit;
          mainProgram = "bootcheck";
          platforms = lib.platforms.linux;
        };
      };

      # #region mkCheck
      # Kernel, initrd and command line that boot a NixOS system directly (-kernel/-initrd).
      directBoot = cfg: {
        kernel = "${cfg.system.build.kernel}/${cfg.system.boot.loader.kernelFile}";
        initrd = "${cfg.system.build.initialRamdisk}/${cfg.system.boot.loader.initrdFile}";
        kernelParams = cfg.boot.kernelParams ++ [ "init=${cfg.system.build.toplevel}/init" ];
      };

      # A value of the manifest only a build can know: the SHA-256 of a store path. The
      # check's script replaces "sha256-of:<path>" by the digest before the examples read it.
      sha256Of = path: "sha256-of:${path}";

      # An example test of examples/ run by bootcheck inside the build sandbox against
      # NixOS-built media, described in the manifest the examples read
      # ($BOOTCHECK_DEMO_MEDIA, the shape of `bootcheck media`'s output). Needs /dev/kvm
      # in the sandbox, as nixpkgs' NixOS VM tests do.
      mkCheck = name: { media, tests }: pkgs.runCommand "bootcheck-check-${name}" {
        nativeBuildInputs = [ bootcheck ];
        requiredSystemFeatures = [ "kvm" ];
        manifest = builtins.toJSON media;
        passAsFile = [ "manifest" ];
      } ''
        export HOME=$TMPDIR CI=1 BOOTCHECK_ACCEL=kvm
        # The installed package (package.json, dist/, vm-configs/, node_modules) plus examples/,
        # so `import … from 'bootcheck'` resolves to itself as in the repository.
        mkdir work && cd work
        pkgdir=${bootcheck}/lib/node_modules/bootcheck
        for f in $pkgdir/*; do ln -s "$f" .; done
        cp -r ${./examples} examples
        cp "$manifestPath" media.json
        for p in $(grep -o '"sha256-of:[^"]*"' media.json | sed 's/^"sha256-of:\(.*\)"$/\1/'); do
          sum=$(sha256sum "$p" | cut -d' ' -f1)
          sed -i "s|\"sha256-of:$p\"|\"$sum\"|" media.json
        done
        export BOOTCHECK_DEMO_MEDIA=$PWD/media.json
        mkdir -p $out
        bootcheck run --progress plain --runs-dir $out/runs --junit $out/junit.xml ${lib.concatMapStringsSep " " (t: "examples/${t}") tests}
      '';
      # #endregion

      # The persist disk of the stateless system, made as the Debian builder makes its own
      # (vm-configs/debian/persist.ts): 64 MiB of ext4 labelled contract.persistLabel that
      # already holds contract.persistedPaths (stage 1 bind-mounts them before anything
      # could create them), fixed UUID, hash seed and times; fakeroot so the files are
      # root's, as nixpkgs' make-ext4-fs.nix does. Read-only in the store: bootcheck boots
      # it on a qcow2 overlay; `.#stateless-vm` needs a writable copy (PERSIST_IMAGE).
      persistDisk = pkgs.runCommand "bootcheck-persist.img" {
        nativeBuildInputs = [ pkgs.e2fsprogs pkgs.fakeroot ];
      } ''
        ${lib.concatMapStringsSep "\n" (path: "mkdir -p persist-root${path}") contract.persistedPaths}
        echo "bootcheck persist disk: ${builtins.concatStringsSep " " contract.persistedPaths} are bind-mounted from here at boot." > persist-root/README
        E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH fakeroot mke2fs -q -F -t ext4 -L ${contract.persistLabel} \
          -U b0075ec4-0000-4000-8000-000000000001 \
          -E root_owner=0:0,hash_seed=b0075ec4-0000-4000-8000-000000000002 \
          -d persist-root $out 64M
      '';

      isoCfg = self.nixosConfigurations.copytoram-iso.config;
      statelessIsoCfg = self.nixosConfigurations.stateless-iso.config;
      netbootCfg = self.nixosConfigurations.netboot.config;
    in
    {
      # Must stay in step with vm-configs/debian/build.ts: both read vm-configs/contract.json.
      nixosConfigurations = {
        copytoram-iso = mkSystem [ ./vm-configs/nixos/copytoram-iso.nix ];
        stateless = mkSystem [ ./vm-configs/nixos/stateless.nix ];
        # The stateless system on a live ISO, what examples/stateless.test.ts boots (the ISO
        # as a CD plus the persist disk): copytoram-iso.nix's medium (tmpfs /, squashfs store)
        # with stateless.nix's persist disk and bind-mounted paths. iso-image.nix's own "/"
        # (mkImageMediaOverride) replaces stateless.nix's tmpfs "/"; both modules put
        # contract.kernelParams on the command line, so they appear twice (the last console=
        # is still ttyS0).
        stateless-iso = mkSystem [ ./vm-configs/nixos/copytoram-iso.nix ./vm-configs/nixos/stateless.nix ];
        netboot = mkSystem [ ./vm-configs/nixos/netboot.nix ];
        # an aarch64 board's SD card (boots under U-Boot on QEMU's raspi3b; docs/architectures.md)
        sd-image-aarch64 = nixpkgs.lib.nixosSystem {
          modules = [ ./vm-configs/nixos/sd-image-aarch64.nix { nixpkgs.hostPlatform = "aarch64-linux"; } ];
        };
      };

      packages.aarch64-linux = {
        sd-image = self.nixosConfigurations.sd-image-aarch64.config.system.build.sdImage;
      };

      packages.${system} = {
        copytoram-iso = self.nixosConfigurations.copytoram-iso.config.system.build.isoImage;
        stateless-vm = self.nixosConfigurations.stateless.config.system.build.vm;
        stateless-iso = self.nixosConfigurations.stateless-iso.config.system.build.isoImage;
        persist-disk = persistDisk;
        # bzImage, initrd (with nix-store.squashfs inside), netboot.ipxe
        netboot = self.nixosConfigurations.netboot.config.system.build.netbootDir;
        inherit bootcheck;
        default = self.packages.${system}.copytoram-iso;
      };

      apps.${system}.default = {
        type = "app";
        program = "${bootcheck}/bin/bootcheck";
      };

      # #region checks
      # `nix flake check` (on a builder with the kvm system feature): the examples against
      # the NixOS-built media.
      checks.${system} = {
        copytoram-iso = mkCheck "copytoram-iso" {
          media = directBoot isoCfg // {
            iso = "${self.packages.${system}.copytoram-iso}/iso/${isoCfg.isoImage.isoName}";
            # the squashfs the ISO holds as /nix-store.squashfs (nixpkgs' iso-image.nix)
            squashfsSha256 = sha256Of isoCfg.system.build.squashfsStore;
          };
          tests = [ "copytoram.test.ts" ];
        };
        netboot = mkCheck "netboot" {
          media = {
            netboot = directBoot netbootCfg // {
              dir = "${self.packages.${system}.netboot}";
              ipxeScript = "${self.packages.${system}.netboot}/netboot.ipxe";
            };
          };
          tests = [ "netboot.test.ts" ];
        };
        # The stateless system: `.#stateless-vm` itself cannot be booted by bootcheck (its
        # run script mounts the host's /nix/store over 9p and has no medium), so this boots
        # the same modules as `.#stateless-iso`, with `.#persist-disk`.
        stateless-vm = mkCheck "stateless-vm" {
          media = directBoot statelessIsoCfg // {
            iso = "${self.packages.${system}.stateless-iso}/iso/${statelessIsoCfg.isoImage.isoName}";
            persistDisk = "${self.packages.${system}.persist-disk}";
          };
          tests = [ "stateless.test.ts" ];
        };
      };
      # #endregion

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
