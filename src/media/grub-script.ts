/**
 * GRUB script, as far as boot menus need it: a lexer (quotes, escapes, comments, variables),
 * a parser into statements and blocks (menuentry, submenu, function, if/for/while nesting)
 * and the expansion of words with variables.
 */
import { MediumError } from '../errors/errors.js'

export type WordPart = { t: 'lit'; s: string; quoted: boolean } | { t: 'var'; name: string; quoted: boolean }
export interface RawWord {
  parts: WordPart[]
  quoted: boolean
}
export type Token = { t: 'word'; w: RawWord } | { t: 'eol' } | { t: 'lb' } | { t: 'rb' }

/** GRUB script lexer: quotes, escapes, comments, `$var`/`${var}`, `;`, `{`, `}`. */
export function lexGrub(text: string): Token[] {
  return new GrubLexer(text).run()
}

/**
 * The lexer's state and its phases, one a kind of character: a backslash, single and
 * double quotes, `$`, separators, blanks, comments, braces, and everything else.
 */
class GrubLexer {
  private readonly tokens: Token[] = []
  private i = 0
  private word: RawWord | undefined

  constructor(private readonly text: string) {}

  run(): Token[] {
    const text = this.text
    while (this.i < text.length) {
      const c = text[this.i]!
      if (c === '\\') this.backslash()
      else if (c === "'") this.singleQuoted()
      else if (c === '"') this.doubleQuoted()
      else if (c === '$') {
        if (!this.readVar(false)) {
          this.lit('$', false)
          this.i++
        }
      } else if (c === '\n' || c === ';' || c === '|' || c === '&') {
        this.endWord()
        this.tokens.push({ t: 'eol' })
        this.i++
      } else if (c === ' ' || c === '\t' || c === '\r') {
        this.endWord()
        this.i++
      } else if (c === '#' && !this.word) {
        while (this.i < text.length && text[this.i] !== '\n') this.i++
      } else if ((c === '{' || c === '}') && !this.word && /^[\s;]?$/.test(text[this.i + 1] ?? '')) {
        this.tokens.push({ t: c === '{' ? 'lb' : 'rb' })
        this.i++
      } else {
        this.lit(c, false)
        this.i++
      }
    }
    this.endWord()
    return this.tokens
  }

  /** Adds literal text to the word being read (merged with a literal of the same quoting before it). */
  private lit(s: string, quoted: boolean): void {
    this.word ??= { parts: [], quoted: false }
    if (quoted) this.word.quoted = true
    const last = this.word.parts.at(-1)
    if (last && last.t === 'lit' && last.quoted === quoted) last.s += s
    else this.word.parts.push({ t: 'lit', s, quoted })
  }

  private endWord(): void {
    if (this.word) this.tokens.push({ t: 'word', w: this.word })
    this.word = undefined
  }

  /** At a `$`: reads `${name}` or `$name` into the word; false when no variable follows. */
  private readVar(quoted: boolean): boolean {
    const text = this.text
    const next = text[this.i + 1]
    if (next === '{') {
      const close = text.indexOf('}', this.i + 2)
      if (close < 0) return false
      this.word ??= { parts: [], quoted: false }
      this.word.parts.push({ t: 'var', name: text.slice(this.i + 2, close), quoted })
      this.i = close + 1
      return true
    }
    const m = /^(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+|[?#@*])/.exec(text.slice(this.i + 1, this.i + 64))
    if (!m) return false
    this.word ??= { parts: [], quoted: false }
    this.word.parts.push({ t: 'var', name: m[0], quoted })
    this.i += 1 + m[0].length
    return true
  }

  /** A backslash outside quotes: a line continuation, or the next character as it is. */
  private backslash(): void {
    const text = this.text
    if (text[this.i + 1] === '\n') this.i += 2
    else if (text[this.i + 1] === '\r' && text[this.i + 2] === '\n') this.i += 3
    else {
      this.lit(text[this.i + 1] ?? '', false)
      this.i += 2
    }
  }

  /** `'…'`: everything up to the next quote, literally. */
  private singleQuoted(): void {
    const close = this.text.indexOf("'", this.i + 1)
    const end = close < 0 ? this.text.length : close
    this.lit(this.text.slice(this.i + 1, end), true)
    this.i = end + 1
  }

  /** `"…"`: text with `\$`, `\"`, `\\` and line continuations escaped, and variables expanded later. */
  private doubleQuoted(): void {
    const text = this.text
    this.i++
    let s = ''
    this.word ??= { parts: [], quoted: true }
    this.word.quoted = true
    while (this.i < text.length && text[this.i] !== '"') {
      const d = text[this.i]!
      if (d === '\\' && /[$"\\\n]/.test(text[this.i + 1] ?? '')) {
        if (text[this.i + 1] !== '\n') s += text[this.i + 1]
        this.i += 2
      } else if (d === '$') {
        if (s) this.lit(s, true)
        s = ''
        if (!this.readVar(true)) {
          s += '$'
          this.i++
        }
      } else {
        s += d
        this.i++
      }
    }
    this.lit(s, true)
    this.i++
  }
}

export type Stmt =
  | { kind: 'cmd'; words: RawWord[]; cond: number }
  | { kind: 'menuentry' | 'submenu'; words: RawWord[]; body: Stmt[]; cond: number }

export function literalOf(w: RawWord | undefined): string {
  if (!w || w.quoted) return ''
  return w.parts.every(p => p.t === 'lit') ? w.parts.map(p => (p as { s: string }).s).join('') : ''
}

/** How deeply `{ }` blocks (menuentry, submenu, function, plain braces) may nest. */
export const MAX_BLOCK_DEPTH = 64

/**
 * Parses tokens into statements until a closing brace (or the end). `source` names the
 * file in the error for blocks nested deeper than {@link MAX_BLOCK_DEPTH}.
 */
export function parseGrubBlock(tokens: Token[], pos: { i: number }, baseCond: number, source = 'grub.cfg', depth = 0): Stmt[] {
  if (depth > MAX_BLOCK_DEPTH) {
    throw new MediumError(`GRUB configuration '${source}' nests blocks more than ${MAX_BLOCK_DEPTH} deep.`)
  }
  const out: Stmt[] = []
  let cond = baseCond
  while (pos.i < tokens.length) {
    const tok = tokens[pos.i]!
    if (tok.t === 'eol') {
      pos.i++
      continue
    }
    if (tok.t === 'rb') {
      pos.i++
      return out
    }
    if (tok.t === 'lb') {
      pos.i++
      out.push(...parseGrubBlock(tokens, pos, cond, source, depth + 1))
      continue
    }
    const words: RawWord[] = []
    while (pos.i < tokens.length) {
      const t = tokens[pos.i]!
      if (t.t !== 'word') break
      words.push(t.w)
      pos.i++
    }
    while (['then', 'else', 'do'].includes(literalOf(words[0]))) words.shift()
    const kw = literalOf(words[0])
    if (kw === 'menuentry' || kw === 'submenu' || kw === 'function') {
      while (tokens[pos.i]?.t === 'eol') pos.i++
      let body: Stmt[] = []
      if (tokens[pos.i]?.t === 'lb') {
        pos.i++
        body = parseGrubBlock(tokens, pos, 0, source, depth + 1)
      }
      if (kw !== 'function') out.push({ kind: kw, words: words.slice(1), body, cond })
      continue
    }
    if (kw === 'if' || kw === 'while' || kw === 'until' || kw === 'for') {
      cond++
      continue
    }
    if (kw === 'fi' || kw === 'done') {
      cond = Math.max(baseCond, cond - 1)
      continue
    }
    if (kw === 'elif' || words.length === 0) continue
    out.push({ kind: 'cmd', words, cond })
  }
  return out
}

/** Expands a word with GRUB's rules: unknown variables are empty, unquoted expansions split on blanks. */
export function expandWord(w: RawWord, vars: Map<string, string>): string[] {
  const out: string[] = []
  let cur = ''
  let has = w.quoted
  for (const p of w.parts) {
    if (p.t === 'lit') {
      cur += p.s
      if (p.s) has = true
      continue
    }
    const value = vars.get(p.name) ?? ''
    if (p.quoted) {
      cur += value
      continue
    }
    value.split(/[ \t\n]+/).forEach((f, i) => {
      if (i > 0) {
        if (has || cur) out.push(cur)
        cur = ''
        has = false
      }
      cur += f
      if (f) has = true
    })
  }
  if (has || cur) out.push(cur)
  return out
}

/** The most characters one command may expand to. */
export const MAX_EXPANSION = 1024 * 1024

/** Expands a command's words; a MediumError when they expand to more than {@link MAX_EXPANSION} characters. */
export function expandAll(words: RawWord[], vars: Map<string, string>): string[] {
  const out: string[] = []
  let total = 0
  for (const w of words) {
    for (const e of expandWord(w, vars)) {
      total += e.length + 1
      if (total > MAX_EXPANSION) throw new MediumError(`A GRUB command expands to more than ${MAX_EXPANSION} characters.`)
      out.push(e)
    }
  }
  return out
}
