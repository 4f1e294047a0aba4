// A machine whose serial console stays silent: the timeout says what the screen shows
// (the VGA text a boot sector wrote through the BIOS) and saves a screenshot.
import t from 'tap'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { boot, TimeoutError } from '../../src/index.js'

/** A boot sector that prints `text` with BIOS int 10h, then halts: nothing on serial. */
function talkingBootSector(text: string): Buffer {
  const code = Buffer.from([
    0x31, 0xc0, // xor ax, ax
    0x8e, 0xd8, // mov ds, ax
    0xfc, // cld
    0xbe, 0x16, 0x7c, // mov si, 0x7c16 (the message)
    0xb4, 0x0e, // mov ah, 0x0e (teletype)
    0xac, // loop: lodsb
    0x08, 0xc0, // or al, al
    0x74, 0x04, // jz halt
    0xcd, 0x10, // int 0x10
    0xeb, 0xf7, // jmp loop
    0xf4, // halt: hlt
    0xeb, 0xfd, // jmp halt
  ])
  const sector = Buffer.alloc(1024 * 1024)
  code.copy(sector, 0)
  Buffer.from(text + '\0', 'latin1').copy(sector, code.length)
  sector[510] = 0x55
  sector[511] = 0xaa
  return sector
}

t.test('a silent console: the timeout quotes the VGA text and saves the screen', async t => {
  const dir = t.testdir({})
  const disk = join(dir, 'talking.img')
  writeFileSync(disk, talkingBootSector('BOOTCHECK-MBR-SAYS-HI'))
  const vm = await boot(t, { name: 'silent', disks: [disk], memory: '256M', bootTimeout: 12_000 })
  const started = Date.now()
  const e = await vm.succeed('true').catch(e => e)
  t.type(e, TimeoutError)
  t.match(e.message, /The console printed nothing/)
  t.match(e.message, /The VGA text screen reads:\n(.*\n)*\s+\| .*BOOTCHECK-MBR-SAYS-HI/, 'what the boot sector printed on the screen')
  const shot = /saved as (\S+silent-console-screen\.png)/.exec(e.message)?.[1]
  t.ok(shot && existsSync(shot), 'the screenshot is in the artifacts folder')
  t.ok(Date.now() - started < 30_000, 'within the boot timeout and a little')
})
