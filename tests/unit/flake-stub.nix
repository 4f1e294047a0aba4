# A stub nixpkgs to evaluate flake.nix's outputs without a Nix store (tests/unit/flake-eval.test.ts):
#   nix-instantiate --eval --strict --json --readonly-mode tests/unit/flake-stub.nix --arg flake ./flake.nix
{ flake }:
let
  strs = l: builtins.concatStringsSep ":" (map (p: "${p}/bin") l);
  lib = {
    cleanSource = x: x; fakeHash = "sha256-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    makeBinPath = strs; concatMapStringsSep = sep: f: l: builtins.concatStringsSep sep (map f l);
    licenses.mit = "mit"; platforms.linux = [ "x86_64-linux" ];
    nixosSystem = { modules }: {
      config = {
        system.build = { isoImage = "/nix/store/iso"; vm = "/nix/store/vm"; netbootDir = "/nix/store/netboot";
          kernel = "/nix/store/kernel"; initialRamdisk = "/nix/store/initrd"; toplevel = "/nix/store/system"; };
        system.boot.loader = { kernelFile = "bzImage"; initrdFile = "initrd"; };
        boot.kernelParams = [ "console=ttyS0" ];
        isoImage.isoName = "live.iso";
      };
    };
  };
  pkgs = {
    buildNpmPackage = a: a // { outPath = "/nix/store/bootcheck"; };
    runCommand = name: env: script: env // { inherit name script; };
    mkShell = a: a;
    makeWrapper = "makeWrapper"; python3 = "python3"; nodejs_20 = "nodejs";
    qemu = "/nix/store/qemu"; xorriso = "x"; squashfsTools = "s"; e2fsprogs = "e"; dosfstools = "d"; mtools = "m"; cpio = "c"; util-linux = "u"; openssl = "o"; syslinux = "sl";
  };
  nixpkgs = { inherit lib; legacyPackages.x86_64-linux = pkgs; };
  out = (import flake).outputs { self = out; inherit nixpkgs; };
  p = out.packages.x86_64-linux;
  c = out.checks.x86_64-linux;
in {
  packages = builtins.attrNames p;
  bootcheck = { inherit (p.bootcheck) pname version npmDepsHash postInstall; };
  app = out.apps.x86_64-linux.default;
  checks = builtins.mapAttrs (n: v: { inherit (v) name requiredSystemFeatures manifest script; nativeBuildInputs = map toString v.nativeBuildInputs; }) c;
}
