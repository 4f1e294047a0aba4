/**
 * The persist disk: a 64 MiB ext4 image labelled from the contract, holding the
 * persisted paths (bind-mounted by stage 1), with fixed UUID, hash seed and times.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PERSISTED_PATHS, PERSIST_LABEL, SOURCE_DATE_EPOCH } from './contract.js'
import { run } from './helpers.js'
import type { Log } from './media.js'

/** Writes the persist disk image to `image` (its tree is staged in `work`/persist-root). */
export async function buildPersistDisk(work: string, image: string, log: Log): Promise<void> {
  log('persist disk: mke2fs -d (64 MiB, LABEL=persist)')
  const persistRoot = join(work, 'persist-root')
  for (const p of PERSISTED_PATHS) await mkdir(join(persistRoot, p), { recursive: true })
  await writeFile(
    join(persistRoot, 'README'),
    `bootcheck persist disk: ${PERSISTED_PATHS.join(' ')} are bind-mounted from here at boot.\n`,
  )
  await run('mke2fs', [
    '-q',
    '-F',
    '-t',
    'ext4',
    '-L',
    PERSIST_LABEL,
    '-U',
    'b0075ec4-0000-4000-8000-000000000001',
    '-E',
    'root_owner=0:0,hash_seed=b0075ec4-0000-4000-8000-000000000002',
    '-d',
    persistRoot,
    image,
    '64M',
  ], { env: { E2FSPROGS_FAKE_TIME: String(SOURCE_DATE_EPOCH) } })
}
