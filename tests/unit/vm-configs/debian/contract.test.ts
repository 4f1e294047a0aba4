/**
 * The NixOS side of vm-configs cannot be built here (no Nix store, no
 * network), so check what can be checked offline: every .nix parses, the
 * modules evaluate against a stub `lib` and agree with the Debian builder on
 * the shared contract (vm-configs/contract.json).
 */
import t from 'tap'
import { execa } from 'execa'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { CONTRACT, PERSISTED_PATHS, PERSIST_LABEL, ISO_LABEL, BASE_KERNEL_PARAMS, REQUIRED_MODULES, INSTALLER_SCRIPT, repoRoot } from '../../../../vm-configs/debian/contract.js'

const root = repoRoot()

function nixFiles(dir: string): string[] {
  const out: string[] = []
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name)
    if (ent.isDirectory()) out.push(...nixFiles(p))
    else if (ent.name.endsWith('.nix')) out.push(p)
  }
  return out.sort()
}

const files = [join(root, 'flake.nix'), ...nixFiles(join(root, 'vm-configs'))]
const haveNix = (await execa('nix-instantiate', ['--version'], { reject: false })).exitCode === 0
// nix-bin on a host without the nixbld group warns on stderr; that is not a failure
const nixEnv = { NIX_CONFIG: 'build-users-group =' }

t.test('every .nix under vm-configs/ and flake.nix parses', { skip: haveNix ? false : 'nix-instantiate not installed (apt-get install nix-bin)' }, async (t) => {
  t.ok(files.some((f) => f.endsWith('copytoram-iso.nix')))
  t.ok(files.some((f) => f.endsWith('stateless.nix')))
  t.ok(files.some((f) => f.endsWith('netboot.nix')))
  for (const f of files) {
    const r = await execa('nix-instantiate', ['--parse', f], { reject: false, env: nixEnv })
    t.equal(r.exitCode, 0, `${relative(root, f)} parses${r.exitCode ? `: ${r.stderr}` : ''}`)
  }
})

t.test('the NixOS modules evaluate (stub lib) and follow the contract', { skip: haveNix ? false : 'nix-instantiate not installed' }, async (t) => {
  const dir = t.testdir()
  const expr = join(dir, 'eval.nix')
  writeFileSync(
    expr,
    `{ dir, copytoram }:
let
  lib = {
    mkDefault = x: x; mkForce = x: x; mkIf = c: x: if c then x else null;
    mkOption = o: o; types = { bool = "bool"; };
    optional = c: x: if c then [ x ] else [ ];
    genAttrs = names: f: builtins.listToAttrs (map (n: { name = n; value = f n; }) names);
    concatMapStrings = f: l: builtins.concatStringsSep "" (map f l);
  };
  args = {
    inherit lib; pkgs = { hello = "hello"; }; modulesPath = "/modules";
    config.bootcheck.live = { copytoramByDefault = copytoram; login = false; };
    config.system.build = { netbootRamdisk = "netbootRamdisk"; kernel = "kernel"; netbootIpxeScript = "netbootIpxeScript"; };
  };
  nbArgs = args // { pkgs = args.pkgs // { symlinkJoin = a: a; }; };
  iso = import (dir + "/copytoram-iso.nix") args;
  st = import (dir + "/stateless.nix") args;
  # nixpkgs attributes are their own names, so the test sees which packages a module takes
  toolPkgs = builtins.listToAttrs (map (n: { name = n; value = n; }) [ "hello" "kexec-tools" "tftp-hpa" "nftables" "syslinux" "grub2_efi" "coreutils" "util-linux" "dosfstools" "e2fsprogs" "gnugrep" ]) // {
    runCommand = name: env: script: "/nix/store/" + name;
    # the installer package as the test sees it: its name, tools and script
    writeShellApplication = a: { inherit (a) name runtimeInputs text; };
  };
  gt = import (dir + "/guest-tools.nix") (args // { pkgs = toolPkgs; });
  nb = import (dir + "/netboot.nix") nbArgs;
in {
  guestTools = {
    packages = builtins.filter builtins.isString gt.environment.systemPackages;
    installer = builtins.head (builtins.filter builtins.isAttrs gt.environment.systemPackages);
    inherit (gt.boot) kernelModules;
  };
  netboot = {
    imports = map toString nb.imports;
    inherit (nb.config.boot) kernelParams;
    inherit (nb.config.netboot) squashfsCompression;
    packages = nb.config.environment.systemPackages;
    autologin = nb.config.services.getty.autologinUser;
    dir = nb.config.system.build.netbootDir.paths;
  };
  iso = {
    imports = map toString iso.imports;
    inherit (iso.config.boot) kernelParams;
    inherit (iso.config.isoImage) volumeID squashfsCompression;
    packages = iso.config.environment.systemPackages;
    autologin = iso.config.services.getty.autologinUser;
  };
  stateless = {
    fileSystems = builtins.mapAttrs (n: v: { inherit (v) device fsType; options = v.options or [ ]; neededForBoot = v.neededForBoot or false; }) st.fileSystems;
    vmFileSystems = builtins.attrNames st.virtualisation.vmVariant.virtualisation.fileSystems;
    inherit (st.boot) kernelParams;
  };
}
`,
  )
  const evalWith = async (copytoram: boolean) => {
    const r = await execa(
      'nix-instantiate',
      ['--eval', '--strict', '--json', expr, '--arg', 'dir', join(root, 'vm-configs', 'nixos'), '--arg', 'copytoram', String(copytoram)],
      { env: nixEnv },
    )
    return JSON.parse(r.stdout) as {
      guestTools: { packages: string[]; installer: { name: string; runtimeInputs: string[]; text: string }; kernelModules: string[] }
      netboot: { imports: string[]; kernelParams: string[]; squashfsCompression: string; packages: string[]; autologin: string; dir: string[] }
      iso: { imports: string[]; kernelParams: string[]; volumeID: string; squashfsCompression: string; packages: string[]; autologin: string }
      stateless: {
        fileSystems: Record<string, { device: string; fsType: string; options: string[]; neededForBoot: boolean }>
        vmFileSystems: string[]
        kernelParams: string[]
      }
    }
  }
  const plain = await evalWith(false)
  const ram = await evalWith(true)

  t.equal(plain.iso.volumeID, ISO_LABEL)
  t.same(plain.iso.kernelParams, [...BASE_KERNEL_PARAMS], 'same kernel params as the Debian ISO')
  t.same(ram.iso.kernelParams, [...BASE_KERNEL_PARAMS, 'copytoram'], 'copytoram option appends copytoram')
  t.equal(plain.iso.squashfsCompression, CONTRACT.squashfsCompression)
  t.same(plain.iso.packages, ['hello'])
  t.equal(plain.iso.autologin, 'root')

  const nb = plain.netboot
  t.ok(nb.imports.includes('/modules/installer/netboot/netboot.nix'), "netboot.nix builds on nixpkgs' netboot module")
  t.same(nb.kernelParams, [...BASE_KERNEL_PARAMS], 'netboot: same kernel params as the Debian netboot script')
  t.equal(nb.squashfsCompression, CONTRACT.squashfsCompression)
  t.same(nb.packages, ['hello'])
  t.equal(nb.autologin, 'root')
  t.same(nb.dir, ['netbootRamdisk', 'kernel', 'netbootIpxeScript'], 'the netboot folder: ramdisk, kernel, iPXE script')
  // the names nixpkgs' netboot.nix gives the three files, which the Debian side copies
  t.same(
    { kernel: CONTRACT.netboot.kernel, initrd: CONTRACT.netboot.initrd, ipxeScript: CONTRACT.netboot.ipxeScript },
    { kernel: 'bzImage', initrd: 'initrd', ipxeScript: 'netboot.ipxe' },
  )

  // the guest tools: the nixpkgs packages contract.json names, the modules the Debian stage 1 loads
  t.same(plain.guestTools.packages, ['kexec-tools', 'tftp-hpa', 'nftables', 'syslinux'], 'kexec, in.tftpd, nft, extlinux from nixpkgs')
  t.same(plain.guestTools.packages, CONTRACT.guestTools.map((g) => g.nixpkgs))
  t.same(plain.guestTools.kernelModules, CONTRACT.guestKernelModules, 'the same modules loaded at boot')
  const inst = plain.guestTools.installer
  t.equal(inst.name, CONTRACT.install.program, 'bootcheck-install as a script package')
  t.ok(inst.text.endsWith(readFileSync(INSTALLER_SCRIPT, 'utf8')), 'the same script as the Debian side')
  t.match(inst.text, `ROOT_LABEL='${CONTRACT.install.rootLabel}'`)
  t.match(inst.text, `BOOT_LABEL='${CONTRACT.install.bootLabel}'`)
  t.match(inst.text, `KERNEL_PARAMS='${BASE_KERNEL_PARAMS.join(' ')}'`)
  t.match(inst.text, "DATA='/nix/store/bootcheck-install-data'", 'mbr.bin and the EFI loader')
  t.same(inst.runtimeInputs, ['coreutils', 'util-linux', 'dosfstools', 'e2fsprogs', 'syslinux', 'gnugrep'])
  for (const m of ['nf_tables', 'nft_chain_nat', 'nft_masq', 'nf_nat', 'nf_conntrack', 'nft_ct', 'nft_reject_inet', 'virtio_net', 'vfat']) {
    t.ok(plain.guestTools.kernelModules.includes(m), `${m} is loaded at boot`)
    t.ok(REQUIRED_MODULES.includes(m), `${m} is in the Debian initrd's required modules`)
  }
  for (const [name, imports] of [['copytoram-iso.nix', plain.iso.imports], ['netboot.nix', nb.imports]] as const) {
    t.ok(imports.some((i) => i.endsWith('/vm-configs/nixos/guest-tools.nix')), `${name} imports guest-tools.nix`)
  }

  const fs = plain.stateless.fileSystems
  t.equal(fs['/']?.fsType, 'tmpfs', 'tmpfs root')
  t.same(fs[CONTRACT.persistMountPoint], {
    device: `/dev/disk/by-label/${PERSIST_LABEL}`,
    fsType: 'ext4',
    options: [],
    neededForBoot: true,
  })
  for (const p of PERSISTED_PATHS) {
    t.same(fs[p], { device: `${CONTRACT.persistMountPoint}${p}`, fsType: 'none', options: ['bind'], neededForBoot: true }, `bind mount ${p}`)
  }
  t.same(Object.keys(fs).sort(), ['/', CONTRACT.persistMountPoint, ...PERSISTED_PATHS].sort(), 'nothing else is mounted')
  t.same(plain.stateless.vmFileSystems.sort(), Object.keys(fs).sort(), 'the VM variant mounts the same')
  t.same(plain.stateless.kernelParams, [...BASE_KERNEL_PARAMS])
})

t.test('the Debian init scripts use the contract', async (t) => {
  const s1 = readFileSync(join(root, 'vm-configs', 'debian', 'stage-1-init.sh'), 'utf8')
  const s2 = readFileSync(join(root, 'vm-configs', 'debian', 'stage-2-init.sh'), 'utf8')
  t.match(s1, new RegExp(`^\\s*${CONTRACT.copytoramParam}\\) copytoram=1`, 'm'), 'stage 1 reads the copytoram param')
  t.match(s2, new RegExp(`^\\s*${CONTRACT.loginParam.replace('.', '\\.')}\\) login=1`, 'm'), 'stage 2 reads the login param')
  t.match(s1, /mount -t ext4 "\$pdev" \/mnt-root\/persist/, `stage 1 mounts the persist disk at ${CONTRACT.persistMountPoint}`)
  t.equal(CONTRACT.persistMountPoint, '/persist')
  const last = [...BASE_KERNEL_PARAMS].reverse().find((p) => p.startsWith('console='))
  t.match(last, /^console=ttyS0/, 'ttyS0 is the last console=')
})
