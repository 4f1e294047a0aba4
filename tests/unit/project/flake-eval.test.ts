// flake.nix cannot be built here (no Nix store, no network): its outputs are evaluated
// against a stub nixpkgs (tests/unit/project/flake-stub.nix: lib, buildNpmPackage, runCommand,
// nixosSystem) to check the package, the app and the checks are wired as docs/demo-media.md and docs/cookbook/flake-checks.md say.
// The stub names a system's outputs after its module files ("/nix/store/isoImage-of-
// copytoram-iso"), so the manifests show which NixOS system each check boots.
import t from 'tap'
import { execa } from 'execa'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PERSIST_LABEL, PERSISTED_PATHS } from '../../../vm-configs/debian/contract.js'

const root = new URL('../../..', import.meta.url).pathname
const haveNix = (await execa('nix-instantiate', ['--version'], { reject: false }).catch(() => ({ exitCode: 1 }))).exitCode === 0
const nixEnv = { NIX_CONFIG: 'build-users-group =' }

/** The example tests each check of the flake runs: the check's name, then examples/<file>. */
const CHECK_EXAMPLES: Record<string, string[]> = {
  'copytoram-iso': ['copytoram.test.ts'],
  netboot: ['netboot.test.ts'],
  'stateless-vm': ['stateless.test.ts'],
}

/** The example files named on a check's `bootcheck run` line. */
function examplesRun(script: string): string[] {
  const line = script.split('\n').find(l => l.startsWith('bootcheck run '))
  return (line ?? '').split(' ').filter(a => a.startsWith('examples/')).map(a => a.slice('examples/'.length))
}

/** The fields of the media manifest an example reads (`media.iso`, `media.netboot.dir` → iso, netboot). */
function mediaFieldsRead(example: string): string[] {
  const src = readFileSync(join(root, 'examples', example), 'utf8')
  return [...new Set([...src.matchAll(/(?<![\w-])media\.(\w+)/g)].map(m => m[1]!))].sort()
}

interface Evaluated {
  packages: string[]
  systems: Record<string, string[]>
  persistDisk: { name: string; script: string; nativeBuildInputs: string[] } | null
  bootcheck: { pname: string; version: string; npmDepsHash: string; postInstall: string }
  app: { type: string; program: string }
  aarch64: Record<string, string>
  checks: Record<string, { name: string; requiredSystemFeatures: string[]; manifest: string; script: string; nativeBuildInputs: string[] }>
}

t.test('flake outputs evaluate against a stub nixpkgs', { skip: haveNix ? false : 'nix-instantiate not installed (apt-get install nix-bin)' }, async t => {
  // --readonly-mode: paths such as ./examples get their store path without being copied.
  const r = await execa('nix-instantiate', ['--eval', '--strict', '--json', '--readonly-mode', join(root, 'tests', 'unit', 'project', 'flake-stub.nix'), '--arg', 'flake', join(root, 'flake.nix')], { env: nixEnv })
  const out = JSON.parse(r.stdout) as Evaluated
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
  t.same(out.packages.sort(), ['bootcheck', 'copytoram-iso', 'default', 'netboot', 'persist-disk', 'stateless-iso', 'stateless-vm'])
  t.equal(out.bootcheck.pname, 'bootcheck')
  t.equal(out.bootcheck.version, pkg.version, 'the version comes from package.json')
  t.match(out.bootcheck.npmDepsHash, /^sha256-A+=$/, 'a placeholder hash (lib.fakeHash) until a real build prints it')
  t.match(out.bootcheck.postInstall, /wrapProgram \$out\/bin\/bootcheck --prefix PATH : \/nix\/store\/qemu\/bin:/, 'QEMU and the image tools on its PATH')
  t.same(out.app, { type: 'app', program: '/nix/store/bootcheck/bin/bootcheck' })
  t.same(out.systems, {
    'copytoram-iso': ['copytoram-iso'],
    stateless: ['stateless'],
    'stateless-iso': ['copytoram-iso', 'stateless'],
    netboot: ['netboot'],
    'sd-image-aarch64': ['sd-image-aarch64'],
  }, 'each NixOS system and the modules of vm-configs/nixos/ it is made of')
  t.same(out.aarch64, { 'sd-image': '/nix/store/sdImage-of-sd-image-aarch64' }, 'packages.aarch64-linux.sd-image is the aarch64 SD image system')
  t.same(Object.keys(out.checks).sort(), Object.keys(CHECK_EXAMPLES).sort(), 'the checks, by name')
  for (const [name, c] of Object.entries(out.checks)) {
    t.equal(c.name, `bootcheck-check-${name}`)
    t.same(c.requiredSystemFeatures, ['kvm'], `${name} needs KVM in the sandbox`)
    t.same(c.nativeBuildInputs, ['/nix/store/bootcheck'])
    t.match(c.script, /^bootcheck run --progress plain --runs-dir \$out\/runs --junit \$out\/junit\.xml examples\/\S+\.test\.ts$/m)
    const examples = examplesRun(c.script)
    t.same(examples, CHECK_EXAMPLES[name], `${name} runs ${String(CHECK_EXAMPLES[name])}`)
    const manifest = JSON.parse(c.manifest) as Record<string, unknown>
    for (const example of examples) {
      t.ok(existsSync(join(root, 'examples', example)), `examples/${example} exists`)
      for (const field of mediaFieldsRead(example)) t.ok(field in manifest, `${name}: the manifest has media.${field}, which examples/${example} reads`)
    }
  }
  t.same(JSON.parse(out.checks['copytoram-iso']!.manifest), {
    iso: '/nix/store/isoImage-of-copytoram-iso/iso/live.iso',
    kernel: '/nix/store/kernel-of-copytoram-iso/bzImage',
    initrd: '/nix/store/initialRamdisk-of-copytoram-iso/initrd',
    kernelParams: ['console=ttyS0', 'init=/nix/store/toplevel-of-copytoram-iso/init'],
    squashfsSha256: 'sha256-of:/nix/store/squashfsStore-of-copytoram-iso',
  }, 'the ISO check reads the NixOS ISO and its kernel, initrd and command line')
  const nb = JSON.parse(out.checks.netboot!.manifest) as { netboot: Record<string, unknown> }
  t.equal(nb.netboot.dir, '/nix/store/netbootDir-of-netboot', 'the netboot check serves the NixOS netboot folder')
  t.equal(nb.netboot.ipxeScript, '/nix/store/netbootDir-of-netboot/netboot.ipxe')
  t.equal(nb.netboot.kernel, '/nix/store/kernel-of-netboot/bzImage')

  // the stateless system on a live ISO (copytoram-iso.nix + stateless.nix), with the persist disk
  t.same(JSON.parse(out.checks['stateless-vm']!.manifest), {
    iso: '/nix/store/isoImage-of-copytoram-iso+stateless/iso/live.iso',
    kernel: '/nix/store/kernel-of-copytoram-iso+stateless/bzImage',
    initrd: '/nix/store/initialRamdisk-of-copytoram-iso+stateless/initrd',
    kernelParams: ['console=ttyS0', 'init=/nix/store/toplevel-of-copytoram-iso+stateless/init'],
    persistDisk: '/nix/store/bootcheck-persist.img',
  }, 'the stateless check boots the stateless ISO with the NixOS-built persist disk')

  // The check's script fills "sha256-of:<path>" with the digest: run its loop on a real file.
  const script = out.checks['copytoram-iso']!.script
  const loop = script.slice(script.indexOf('for p in'), script.indexOf('done', script.indexOf('for p in')) + 4)
  const dir = mkdtempSync(join(tmpdir(), 'bootcheck-flake-'))
  try {
    writeFileSync(join(dir, 'squashfs'), 'a squashfs')
    writeFileSync(join(dir, 'media.json'), JSON.stringify({ iso: 'x', squashfsSha256: `sha256-of:${join(dir, 'squashfs')}` }))
    await execa('bash', ['-euo', 'pipefail', '-c', loop], { cwd: dir })
    const filled = JSON.parse(readFileSync(join(dir, 'media.json'), 'utf8')) as Record<string, string>
    t.same(filled, { iso: 'x', squashfsSha256: createHash('sha256').update('a squashfs').digest('hex') }, 'the check fills in the squashfs digest at build time')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  const disk = out.persistDisk
  t.ok(disk, 'packages.persist-disk exists')
  if (disk) {
    t.equal(disk.name, 'bootcheck-persist.img')
    t.same(disk.nativeBuildInputs, ['e', '/nix/store/fakeroot'], 'e2fsprogs and fakeroot')
    t.match(disk.script, new RegExp(`fakeroot mke2fs -q -F -t ext4 -L ${PERSIST_LABEL} `), 'ext4 labelled as the contract says')
    t.match(disk.script, /-d persist-root \$out 64M\n/, '64 MiB, made from persist-root, as the Debian persist disk')
    for (const path of PERSISTED_PATHS) t.match(disk.script, `mkdir -p persist-root${path}\n`, `${path} is on the disk before stage 1 bind-mounts it`)
  }
})
