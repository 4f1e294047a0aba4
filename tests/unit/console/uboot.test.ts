// U-Boot's console patterns: error lines that fail vm.uboot.run, fail-fast lines, printenv.
import t from 'tap'
import { FailureWatcher } from '../../../src/console/failfast.js'
import { parseUbootEnv, ubootError, UBOOT_FAILURE_PATTERNS, UBOOT_PROMPT, UBOOT_AUTOBOOT } from '../../../src/console/uboot.js'

t.test('error lines of U-Boot commands', async t => {
  t.match(ubootError("Loading: *\nTFTP error: 'File not found' (1)\nNot retrying...\n"), { name: 'TFTP error', line: "TFTP error: 'File not found' (1)" })
  t.match(ubootError('## Booting kernel from Legacy Image at 40400000 ...\nWrong Image Format for bootm command\n'), { name: 'wrong image format' })
  t.match(ubootError('BOOTP broadcast 1\nRetry count exceeded; starting again\n'), { name: 'retry count exceeded' })
  t.match(ubootError("Unknown command 'bogus' - try 'help'\n"), { name: 'unknown command' })
  t.match(ubootError('Bad Linux ARM64 Image magic!\n'), { name: 'bad image magic' })
  t.match(ubootError("** File not found /boot/Image **\n"), { name: 'file not found' })
  t.equal(ubootError('DHCP client bound to address 10.0.2.15 (2 ms)\nBytes transferred = 112 (70 hex)\n'), undefined, 'a good transfer is no error')
  t.equal(ubootError('Hit any key to stop autoboot:  0\n'), undefined)
})

t.test('fail-fast: a kernel U-Boot cannot start or an exception stops the test; autoboot probing does not', async t => {
  const hits: string[] = []
  const w = new FailureWatcher(UBOOT_FAILURE_PATTERNS, f => hits.push(f.name))
  w.push("Filename 'boot.scr.uimg'.\nTFTP error: 'File not found' (1)\nNot retrying...\n")
  t.same(hits, [], 'TFTP errors while autoboot looks for boot.scr.uimg are normal')
  w.push('Wrong Image Format for bootm command\n')
  t.same(hits, ['U-Boot: wrong image format'])
  const abort: string[] = []
  new FailureWatcher(UBOOT_FAILURE_PATTERNS, f => abort.push(f.name)).push('"Synchronous Abort" handler, esr 0x96000004\n')
  t.same(abort, ['U-Boot: exception'])
})

t.test('prompt, autoboot countdown and printenv', async t => {
  t.ok(UBOOT_PROMPT.test('Net:   eth0: virtio-net#32\n=> '))
  t.notOk(UBOOT_PROMPT.test('=> printenv'), 'not a prompt once typed into')
  t.ok(UBOOT_PROMPT.test('Net:   eth0: pcnet#0\nmaltael # '), "a board's own prompt (malta's)")
  t.notOk(UBOOT_PROMPT.test('maltael # printenv'), 'not once typed into either')
  t.notOk(UBOOT_PROMPT.test('\n# '), "a shell's bare '# ' is not U-Boot's")
  t.ok(UBOOT_AUTOBOOT.test('Hit any key to stop autoboot:  2 '))
  t.same(parseUbootEnv('arch=arm\nbootcmd=run distro_bootcmd\nbootargs=console=ttyAMA0 root=/dev/vda\nfdt_addr=0x40000000\n\nEnvironment size: 4096/262140 bytes\n'), {
    arch: 'arm',
    bootcmd: 'run distro_bootcmd',
    bootargs: 'console=ttyAMA0 root=/dev/vda',
    fdt_addr: '0x40000000',
  })
})
