// flake.nix cannot be built here (no Nix store, no network): its outputs are evaluated
// against a stub nixpkgs (tests/unit/flake-stub.nix: lib, buildNpmPackage, runCommand,
// nixosSystem) to check the package, the app and the checks are wired as the README says.
import t from 'tap'
import { execa } from 'execa'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('../..', import.meta.url).pathname
const haveNix = (await execa('nix-instantiate', ['--version'], { reject: false }).catch(() => ({ exitCode: 1 }))).exitCode === 0
const nixEnv = { NIX_CONFIG: 'build-users-group =' }

interface Evaluated {
  packages: string[]
  bootcheck: { pname: string; version: string; npmDepsHash: string; postInstall: string }
  app: { type: string; program: string }
  checks: Record<string, { name: string; requiredSystemFeatures: string[]; manifest: string; script: string; nativeBuildInputs: string[] }>
}

t.test('flake outputs evaluate against a stub nixpkgs', { skip: haveNix ? false : 'nix-instantiate not installed (apt-get install nix-bin)' }, async t => {
  // --readonly-mode: paths such as ./examples get their store path without being copied.
  const r = await execa('nix-instantiate', ['--eval', '--strict', '--json', '--readonly-mode', join(root, 'tests', 'unit', 'flake-stub.nix'), '--arg', 'flake', join(root, 'flake.nix')], { env: nixEnv })
  const out = JSON.parse(r.stdout) as Evaluated
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
  t.same(out.packages.sort(), ['bootcheck', 'copytoram-iso', 'default', 'netboot', 'stateless-vm'])
  t.equal(out.bootcheck.pname, 'bootcheck')
  t.equal(out.bootcheck.version, pkg.version, 'the version comes from package.json')
  t.match(out.bootcheck.npmDepsHash, /^sha256-A+=$/, 'a placeholder hash (lib.fakeHash) until a real build prints it')
  t.match(out.bootcheck.postInstall, /wrapProgram \$out\/bin\/bootcheck --prefix PATH : \/nix\/store\/qemu\/bin:/, 'QEMU and the image tools on its PATH')
  t.same(out.app, { type: 'app', program: '/nix/store/bootcheck/bin/bootcheck' })
  t.same(Object.keys(out.checks).sort(), ['copytoram-iso', 'netboot'])
  for (const [name, c] of Object.entries(out.checks)) {
    t.same(c.requiredSystemFeatures, ['kvm'], `${name} needs KVM in the sandbox`)
    t.same(c.nativeBuildInputs, ['/nix/store/bootcheck'])
    t.match(c.script, /bootcheck run --progress plain --runs-dir \$out\/runs --junit \$out\/junit\.xml examples\/\S+\.test\.ts/)
  }
  t.same(JSON.parse(out.checks['copytoram-iso']!.manifest), {
    iso: '/nix/store/iso/iso/live.iso',
    kernel: '/nix/store/kernel/bzImage',
    initrd: '/nix/store/initrd/initrd',
    kernelParams: ['console=ttyS0', 'init=/nix/store/system/init'],
  }, 'the ISO check reads the NixOS ISO and its kernel, initrd and command line')
  const nb = JSON.parse(out.checks.netboot!.manifest) as { netboot: Record<string, unknown> }
  t.equal(nb.netboot.dir, '/nix/store/netboot', 'the netboot check serves the NixOS netboot folder')
  t.equal(nb.netboot.ipxeScript, '/nix/store/netboot/netboot.ipxe')
})
