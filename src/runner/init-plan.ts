/**
 * What `bootcheck init` writes, as a pure plan: the machine named after the image, the
 * config, the first test, the GitHub Actions workflow and the package.json script. The
 * effects (recognising the image, refusing to overwrite, writing) are in `init.ts`.
 */
import { basename, isAbsolute, relative } from 'node:path'
import type { MachineSpec } from '../spec/spec.js'

/** The image `init` was given. */
export type InitImage = { kind: 'iso'; iso: string } | { kind: 'kernel'; kernel: string; initrd?: string } | { kind: 'disk'; disk: string; format: 'qcow2' | 'raw' }

/**
 * How the first test talks to the machine: `serial` (its shell answered on the serial
 * console when `init` booted it) or `screen` (none did: the test waits for the first still
 * screen and compares it with a reference, which `--update-screens=missing` writes).
 */
export type InitConsole = 'serial' | 'screen'

/** The reference the screen variant of the first test compares with. */
export const FIRST_SCREEN = 'first-still-screen'

/** One file `init` writes, relative to the project folder. */
export interface InitFile {
  path: string
  text: string
}

/** A machine name from an image's file name: `debian-live-12.iso` → `debian-live-12`. */
export function machineName(image: InitImage): string {
  const file = image.kind === 'iso' ? image.iso : image.kind === 'disk' ? image.disk : image.kernel
  const stem = basename(file).replace(/\.(iso|img|qcow2|raw|efi)$/i, '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '')
  return stem || 'machine'
}

/**
 * The machine `init` boots to look for a shell on the serial console: the one the config
 * will define, with absolute paths, no display needed beyond the default.
 */
export function probeSpec(image: InitImage, name: string): MachineSpec {
  const base = { name: `${name}-init-probe` }
  if (image.kind === 'iso') return { ...base, cdrom: image.iso, memory: '2G' }
  if (image.kind === 'disk') return { ...base, disks: [image.disk], memory: '1G' }
  return { ...base, kernel: image.kernel, ...(image.initrd ? { initrd: image.initrd } : {}), kernelParams: ['console=ttyS0'], memory: '1G' }
}

/** The files of a project for `image`, with paths in the config relative to `projectDir` when inside it. */
export function initFiles(image: InitImage, projectDir: string, via: InitConsole = 'serial'): { name: string; files: InitFile[] } {
  const name = machineName(image)
  const rel = (p: string): string => {
    const r = relative(projectDir, p)
    return r && !r.startsWith('..') && !isAbsolute(r) ? r : p
  }
  const fields =
    image.kind === 'iso'
      ? [`cdrom: ${JSON.stringify(rel(image.iso))}`, `memory: '2G'`]
      : image.kind === 'disk'
        ? [`disks: [${JSON.stringify(rel(image.disk))}]`, `memory: '1G'`]
        : [`kernel: ${JSON.stringify(rel(image.kernel))}`, ...(image.initrd ? [`initrd: ${JSON.stringify(rel(image.initrd))}`] : []), `kernelParams: ['console=ttyS0']`, `memory: '1G'`]
  const config = [
    `// bootcheck's machines and run defaults (written by bootcheck init). Paths are relative to this file.`,
    `import { defineConfig } from 'bootcheck'`,
    ``,
    `export default defineConfig({`,
    `  machines: {`,
    `    ${JSON.stringify(name)}: { ${fields.join(', ')} },`,
    `  },`,
    `  run: { files: ['tests'], forbidOnly: !!process.env.CI },`,
    `})`,
    ``,
  ].join('\n')
  const test = via === 'serial' ? serialTest(name) : screenTest(name)
  return {
    name,
    files: [
      { path: 'bootcheck.config.ts', text: config },
      { path: `tests/${name}.test.ts`, text: test },
      { path: '.github/workflows/bootcheck.yml', text: WORKFLOW },
    ],
  }
}

function serialTest(name: string): string {
  return [
    `// The first boot test (written by bootcheck init): the machine boots and its shell answers.`,
    `import t from 'tap'`,
    `import { boot } from 'bootcheck'`,
    ``,
    `t.test(${JSON.stringify(`${name} boots to a shell`)}, async t => {`,
    `  const vm = await boot(t, ${JSON.stringify(name)})`,
    `  t.equal(await vm.succeed('echo bootcheck-$((6*7))'), 'bootcheck-42\\n')`,
    `})`,
    ``,
  ].join('\n')
}

function screenTest(name: string): string {
  return [
    `// The first boot test (written by bootcheck init): no shell answered on the serial console`,
    `// when init booted the machine, so this test watches the screen: it waits until the screen`,
    `// stays still for 3 s and compares it with the reference ${FIRST_SCREEN}.png beside this file`,
    `// (in ${name}.test.screens/). The first \`npx bootcheck run --update-screens=missing\` writes it:`,
    `// look at it, and commit it. A blinking cursor is within maxDiffPixels.`,
    `import t from 'tap'`,
    `import { boot } from 'bootcheck'`,
    ``,
    `t.test(${JSON.stringify(`${name} boots to a still screen`)}, async t => {`,
    `  const vm = await boot(t, ${JSON.stringify(name)})`,
    `  await vm.waitForStillScreen({ stillFor: 3000, maxDiffPixels: 64, timeout: 300_000 })`,
    `  await vm.expectScreen(${JSON.stringify(FIRST_SCREEN)}, { maxDiffPixels: 64 })`,
    `})`,
    ``,
  ].join('\n')
}

/** The script `init` adds to package.json (`npm run bootcheck`). */
export const INIT_SCRIPT = { name: 'bootcheck', command: 'bootcheck run' }

const WORKFLOW = `# bootcheck on GitHub Actions (written by bootcheck init): the boot tests, the HTML report
# and JUnit kept as artifacts. For a suite split over several machines, see bootcheck's
# docs/ci/github-actions.yml.
name: bootcheck

on:
  push:
  pull_request:

jobs:
  boot-tests:
    runs-on: ubuntu-24.04
    timeout-minutes: 60
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 20
          cache: npm
      # GitHub's Linux runners have /dev/kvm, but only root may open it: let everyone.
      - name: Enable KVM
        run: |
          echo 'KERNEL=="kvm", GROUP="kvm", MODE="0666", OPTIONS+="static_node=kvm"' | sudo tee /etc/udev/rules.d/99-kvm4all.rules
          sudo udevadm control --reload-rules
          sudo udevadm trigger --name-match=kvm
      - name: QEMU
        run: |
          sudo apt-get update
          sudo apt-get install -y --no-install-recommends qemu-system-x86 qemu-utils ovmf
      - run: npm ci
      - run: npx bootcheck run --retries 1 --forbid-only --junit reports/junit.xml
      - name: Report
        if: \${{ !cancelled() }}
        uses: actions/upload-artifact@v4
        with:
          name: bootcheck-report
          path: |
            .bootcheck/runs/latest/
            reports/junit.xml
`
