/**
 * A machine seen in the live view (`bootcheck run --ui`): when the runner sets
 * `BOOTCHECK_LIVE=1`, QEMU also serves its screen as VNC on a Unix socket in the machine's
 * scratch folder, and a second QMP monitor on another (the live view's own: it takes
 * screendumps for the references made there, while the test holds the first); `live.json`
 * in its artifacts folder says where, for the runner's live view to find (the machine's
 * `machine.json` says when it started and ended).
 * @module
 */
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { escapeOpt } from '../qemu/argv.js'

/** The environment variable that turns the live view's VNC socket on. */
export const LIVE_ENV = 'BOOTCHECK_LIVE'

/** The file in a machine's artifacts folder that names its VNC socket. */
export const LIVE_FILE = 'live.json'

/** What `live.json` holds. */
export interface LiveFacts {
  /** The VNC server's Unix socket (no password: only this user can open the folder). */
  vnc: string
  /** The live view's QMP monitor (a Unix socket in the same folder); absent in a `live.json` of an older bootcheck. */
  qmp?: string
}

/**
 * QEMU's extra arguments for the live view (none unless `BOOTCHECK_LIVE=1`), after writing
 * `live.json` into `artifactsDir`.
 */
export async function liveDisplayArgs(workDir: string, artifactsDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  if (env[LIVE_ENV] !== '1') return []
  const vnc = join(workDir, 'vnc.sock')
  const qmp = join(workDir, 'live-qmp.sock')
  const facts: LiveFacts = { vnc, qmp }
  await writeFile(join(artifactsDir, LIVE_FILE), JSON.stringify(facts) + '\n')
  return ['-vnc', `unix:${vnc}`, '-chardev', `socket,id=live-qmp,path=${escapeOpt(qmp)},server=on,wait=off`, '-mon', 'chardev=live-qmp,mode=control']
}
