/**
 * Secrets: a value marked with {@link secret} (a password typed into the guest, a login
 * password) is used as it is where it goes (the guest's keyboard or console) but masked
 * wherever bootcheck records it: `actions.jsonl`, the report, `snapshot.json` and error
 * messages (like os-autoinst's `-masked`). Marked values are remembered for the process,
 * so {@link maskSecrets} can take them out of any text that carries them.
 * @module
 */

/** What a secret shows as in logs, reports, manifests and messages. */
export const MASK = '[secret]'

const known = new Set<string>()

/** A value to keep out of logs: `String(s)` and `JSON.stringify(s)` give {@link MASK}; `.reveal()` the value. */
export class Secret {
  readonly #value: string
  constructor(value: string) {
    if (typeof value !== 'string') throw new TypeError('secret() takes a string')
    this.#value = value
    if (value.length >= 3) known.add(value)
  }
  /** The value itself, for the one place it is used. */
  reveal(): string {
    return this.#value
  }
  /** The mask, never the value: a secret in a template string or a log line shows as {@link MASK}. */
  toString(): string {
    return MASK
  }
  /** The mask, never the value: `JSON.stringify` writes {@link MASK}. */
  toJSON(): string {
    return MASK
  }
}

/** Marks `value` as a secret (see {@link Secret}). */
export function secret(value: string): Secret {
  return new Secret(value)
}

/** The plain value of a string or a {@link Secret}. */
export function reveal(value: string | Secret): string {
  return value instanceof Secret ? value.reveal() : value
}

/** `text` with every secret value seen in this process replaced by {@link MASK}. */
export function maskSecrets(text: string): string {
  let out = text
  for (const v of known) if (out.includes(v)) out = out.split(v).join(MASK)
  return out
}
