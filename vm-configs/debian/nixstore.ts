/**
 * Nix-store-shaped naming for the Debian-built live media: content-addressed
 * `/nix/store/<32 chars>-<name>` paths.
 *
 * This is not Nix's exact algorithm (no NAR, no derivations): the hash is a
 * sha256 over a canonical serialisation of the tree (sorted names, file type,
 * executable bit, contents, symlink targets), folded to 160 bits and printed
 * in Nix's base32 alphabet, so names look and behave like Nix's (stable for
 * the same content, different for different content).
 */
import { createHash } from 'node:crypto'
import { lstat, readdir, readFile, readlink, rename } from 'node:fs/promises'
import { join } from 'node:path'

const NIX_BASE32 = '0123456789abcdfghijklmnpqrsvwxyz'

/** Nix's base32 (as in `nix-hash --to-base32`): least significant 5-bit group printed last. */
export function nixBase32(bytes: Uint8Array): string {
  const len = Math.ceil((bytes.length * 8) / 5)
  let out = ''
  for (let n = len - 1; n >= 0; n--) {
    const b = n * 5
    const i = Math.floor(b / 8)
    const j = b % 8
    const lo = (bytes[i] ?? 0) >> j
    const hi = i + 1 < bytes.length ? (bytes[i + 1] ?? 0) << (8 - j) : 0
    out += NIX_BASE32[(lo | hi) & 0x1f]
  }
  return out
}

/** XOR-fold a hash to `size` bytes, like Nix's compressHash. */
export function compressHash(hash: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size)
  for (let i = 0; i < hash.length; i++) out[i % size] = (out[i % size] ?? 0) ^ (hash[i] ?? 0)
  return out
}

/** sha256 over a canonical walk of `dir` (hex). */
export async function hashTree(dir: string): Promise<string> {
  const h = createHash('sha256')
  const walk = async (p: string, rel: string): Promise<void> => {
    const st = await lstat(p)
    if (st.isSymbolicLink()) {
      h.update(`symlink\0${rel}\0${await readlink(p)}\0`)
    } else if (st.isDirectory()) {
      h.update(`dir\0${rel}\0`)
      const names = (await readdir(p)).sort()
      for (const n of names) await walk(join(p, n), rel === '' ? n : `${rel}/${n}`)
    } else if (st.isFile()) {
      const data = await readFile(p)
      h.update(`file\0${rel}\0${st.mode & 0o111 ? 'x' : '-'}\0${data.length}\0`)
      h.update(data)
    } else {
      throw new Error(`hashTree: unsupported file type at ${p}`)
    }
  }
  await walk(dir, '')
  return h.digest('hex')
}

/** `<32 base32 chars>-<name>` for content with the given sha256 (hex). */
export function storePathName(name: string, contentSha256: string): string {
  if (!/^[a-zA-Z0-9+\-._?=][a-zA-Z0-9+\-._?=]*$/.test(name)) throw new Error(`invalid store name: ${name}`)
  const fingerprint = createHash('sha256').update(`bootcheck-store:sha256:${contentSha256}:/nix/store:${name}`).digest()
  return `${nixBase32(compressHash(fingerprint, 20))}-${name}`
}

/**
 * Moves the finished folder `staging` into `storeDir` under its store path name
 * (`<hash>-<name>`, the hash of its contents) and returns that name.
 */
export async function addToStore(storeDir: string, staging: string, name: string): Promise<string> {
  const full = storePathName(name, await hashTree(staging))
  await rename(staging, join(storeDir, full))
  return full
}
