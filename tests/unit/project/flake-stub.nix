# A stub nixpkgs to evaluate flake.nix's outputs without a Nix store (tests/unit/project/flake-eval.test.ts):
#   nix-instantiate --eval --strict --json --readonly-mode tests/unit/project/flake-stub.nix --arg flake ./flake.nix
{ flake }:
let
  strs = l: builtins.concatStringsSep ":" (map (p: "${p}/bin") l);
  lib = {
    cleanSource = x: x; fakeHash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    makeBinPath = strs; concatMapStringsSep = sep: f: l: builtins.concatStringsSep sep (map f l);
    licenses.mit = "mit"; platforms.linux = [ "x86_64-linux" ];
    # The outputs of a system are named after the module files it is made of
    # ("/nix/store/isoImage-of-copytoram-iso"), so a check wired to the wrong system shows.
    nixosSystem = { modules }:
      let
        stem = m: let b = baseNameOf (toString m); in builtins.substring 0 (builtins.stringLength b - 4) b;
        files = map stem (builtins.filter builtins.isPath modules);
        of = what: "/nix/store/${what}-of-${builtins.concatStringsSep "+" files}";
      in {
        modules = files;
        config = {
          system.build = { isoImage = of "isoImage"; vm = of "vm"; netbootDir = of "netbootDir"; sdImage = of "sdImage"; squashfsStore = of "squashfsStore";
            kernel = of "kernel"; initialRamdisk = of "initialRamdisk"; toplevel = of "toplevel"; };
          system.boot.loader = { kernelFile = "bzImage"; initrdFile = "initrd"; };
          boot.kernelParams = [ "console=ttyS0" ];
          isoImage.isoName = "live.iso";
        };
      };
  };
  pkgs = {
    buildNpmPackage = a: a // { outPath = "/nix/store/bootcheck"; };
    runCommand = name: env: script: env // { inherit name script; outPath = "/nix/store/${name}"; };
    mkShell = a: a;
    makeWrapper = "makeWrapper"; python3 = "python3"; nodejs_20 = "nodejs";
    qemu = "/nix/store/qemu"; xorriso = "x"; squashfsTools = "s"; e2fsprogs = "e"; dosfstools = "d"; mtools = "m"; cpio = "c"; util-linux = "u"; openssl = "o"; syslinux = "sl"; fakeroot = "/nix/store/fakeroot";
  };
  nixpkgs = { inherit lib; legacyPackages.x86_64-linux = pkgs; };
  out = (import flake).outputs { self = out; inherit nixpkgs; };
  p = out.packages.x86_64-linux;
  c = out.checks.x86_64-linux;
in {
  packages = builtins.attrNames p;
  # the module files of each NixOS system
  systems = builtins.mapAttrs (n: v: v.modules) out.nixosConfigurations;
  bootcheck = { inherit (p.bootcheck) pname version npmDepsHash postInstall; };
  persistDisk = if p ? persist-disk then { inherit (p.persist-disk) name script; nativeBuildInputs = map toString p.persist-disk.nativeBuildInputs; } else null;
  app = out.apps.x86_64-linux.default;
  aarch64 = builtins.mapAttrs (n: v: toString v) out.packages.aarch64-linux;
  checks = builtins.mapAttrs (n: v: { inherit (v) name requiredSystemFeatures manifest script; nativeBuildInputs = map toString v.nativeBuildInputs; }) c;
}
