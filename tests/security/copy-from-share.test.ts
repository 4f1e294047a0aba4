// #26 Low: copyFrom through a 9p share reads the file the guest left in the host folder.
// A hostile guest (here: a stand-in that answers the copy command itself) leaves a link to
// a host secret, or a FIFO, at that name: the copy must refuse, not read the secret or hang.
import t from 'tap'
import { createHash } from 'node:crypto'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CommandOutputDamagedError } from '../../src/errors/errors.js'
import { copyFromGuest, type CopyContext } from '../../src/machine/files.js'

function hostileGuest(share: string, plant: (hostFile: string) => void, announce: { size: number; md5: string }): CopyContext {
  return {
    name: 'hostile',
    timeout: 10_000,
    shares: [{ tag: 'share0', host: share, guest: '/mnt/rw', readOnly: false }],
    run: async command => {
      if (command.startsWith('if [ -d')) return { status: 0, output: `${announce.size} ${announce.md5}\n`, stderr: '' }
      const m = /\/mnt\/rw\/(\.bootcheck-copy-[0-9a-f]+)/.exec(command)
      if (m) plant(join(share, m[1]!))
      return { status: 0, output: '', stderr: '' }
    },
    runBytes: async () => ({ status: 1, output: Buffer.alloc(0), stderr: 'not used' }),
    runFeeding: async () => ({ status: 1, output: '', stderr: 'not used' }),
    mountShares: async () => {},
    step: (_a, _b, fn) => fn(),
  }
}

const within = <T>(p: Promise<T>, ms: number): Promise<T | 'hung'> => Promise.race([p, new Promise<'hung'>(r => setTimeout(() => r('hung'), ms).unref())])

t.test('a link to a host secret in the share is not followed', async t => {
  const dir = t.testdir({ share: {} })
  const secret = join(dir, 'secret')
  writeFileSync(secret, 'CI_TOKEN=abc123\n')
  const data = readFileSync(secret)
  const announce = { size: data.length, md5: createHash('md5').update(data).digest('hex') }
  const ctx = hostileGuest(join(dir, 'share'), f => symlinkSync(secret, f), announce)
  const r = await copyFromGuest(ctx, '/etc/anything', join(dir, 'got'), { via: '9p' }).catch((e: Error) => e)
  t.type(r, CommandOutputDamagedError)
  t.notOk(existsSync(join(dir, 'got')), 'the secret was not copied out')
})

t.test('a FIFO in the share does not hang the copy', async t => {
  const dir = t.testdir({ share: {} })
  mkdirSync(join(dir, 'x'))
  const ctx = hostileGuest(join(dir, 'share'), f => void spawnSync('mkfifo', [f]), { size: 10, md5: '0'.repeat(32) })
  const r = await within(copyFromGuest(ctx, '/etc/anything', join(dir, 'got'), { via: '9p' }).catch((e: Error) => e), 10_000)
  t.not(r, 'hung', 'it returns')
  t.type(r, CommandOutputDamagedError)
})
