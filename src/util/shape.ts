/**
 * A small schema language for values read from elsewhere (a shard's `results.json`, a
 * snapshot's manifest, a machine spec): each {@link Shape} says what one value may be and
 * returns the first problem, naming the field (`files[2].tests[0].status`), or undefined.
 * Pure; callers turn the problem into their own named error.
 * @module
 */

/** Checks one value at `path`; the first problem found, or undefined when it fits. */
export type Shape = (value: unknown, path: string) => string | undefined

const show = (v: unknown): string => {
  const s = typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : Array.isArray(v) ? 'an array' : v === null ? 'null' : typeof v === 'object' ? 'an object' : String(v)
  return s
}

/** A string of at most `max` characters (default 64 KiB), matching `pattern` when given. */
export function str(max = 65_536, pattern?: RegExp, what?: string): Shape {
  return (v, p) => {
    if (typeof v !== 'string') return `${p} must be a string, got ${show(v)}`
    if (v.length > max) return `${p} is longer than ${max} characters`
    if (pattern && !pattern.test(v)) return `${p} must be ${what ?? `like ${pattern}`}, got ${show(v)}`
    return undefined
  }
}

/** A finite number within [min, max]; an integer (a safe one) when `integer`. */
export function num(min: number, max: number, integer = false): Shape {
  return (v, p) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) return `${p} must be a finite number, got ${show(v)}`
    if (integer && !Number.isSafeInteger(v)) return `${p} must be a whole number, got ${show(v)}`
    if (v < min || v > max) return `${p} must be between ${min} and ${max}, got ${v}`
    return undefined
  }
}

/** A whole number within [min, max]. */
export const int = (min: number, max: number): Shape => num(min, max, true)

/** A boolean. */
export const bool: Shape = (v, p) => (typeof v === 'boolean' ? undefined : `${p} must be true or false, got ${show(v)}`)

/** Exactly one of `values`. */
export function oneOf(...values: readonly unknown[]): Shape {
  return (v, p) => (values.includes(v) ? undefined : `${p} must be one of ${values.map(x => JSON.stringify(x)).join(', ')}, got ${show(v)}`)
}

/** Undefined, or what `shape` allows. */
export function optional(shape: Shape): Shape {
  return (v, p) => (v === undefined ? undefined : shape(v, p))
}

/** Null, or what `shape` allows. */
export function nullable(shape: Shape): Shape {
  return (v, p) => (v === null ? undefined : shape(v, p))
}

/** Either shape. */
export function either(a: Shape, b: Shape): Shape {
  return (v, p) => (a(v, p) === undefined ? undefined : b(v, p))
}

/** An array of at most `max` items, each what `item` allows. */
export function arrayOf(item: Shape, max = 100_000): Shape {
  return (v, p) => {
    if (!Array.isArray(v)) return `${p} must be an array, got ${show(v)}`
    if (v.length > max) return `${p} has ${v.length} items, at most ${max} are allowed`
    for (const [i, x] of v.entries()) {
      const problem = item(x, `${p}[${i}]`)
      if (problem) return problem
    }
    return undefined
  }
}

/** A plain object whose listed fields fit; other fields are refused unless `open`. */
export function object(fields: Readonly<Record<string, Shape>>, open = false): Shape {
  return (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${p} must be an object, got ${show(v)}`
    for (const [k, shape] of Object.entries(fields)) {
      const problem = shape((v as Record<string, unknown>)[k], p ? `${p}.${k}` : k)
      if (problem) return problem
    }
    if (!open) for (const k of Object.keys(v)) if (!(k in fields)) return `${p ? `${p}.` : ''}${k} is not a known field`
    return undefined
  }
}

/** An object used as a map: at most `max` keys, each value what `value` allows. */
export function recordOf(value: Shape, max = 10_000): Shape {
  return (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${p} must be an object, got ${show(v)}`
    const entries = Object.entries(v)
    if (entries.length > max) return `${p} has ${entries.length} keys, at most ${max} are allowed`
    for (const [k, x] of entries) {
      const problem = value(x, `${p}.${k}`)
      if (problem) return problem
    }
    return undefined
  }
}

/** Anything (a field kept as it is, e.g. free-form action arguments). */
export const any: Shape = () => undefined
