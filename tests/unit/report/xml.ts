// A small strict XML 1.0 reader: enough to prove JUnit output is well-formed and to read it back.
export type El = { name: string; attrs: Record<string, string>; children: El[]; text: string }
const NAME = /^[A-Za-z_:][-A-Za-z0-9._:]*/
const ILLEGAL = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u

export function parseXml(src: string): El {
  const bad = ILLEGAL.exec(src)
  if (bad) throw new Error(`illegal character U+${bad[0].charCodeAt(0).toString(16)} at ${bad.index}`)
  let i = 0
  const fail = (why: string): never => {
    throw new Error(`${why} at ${i}: ${JSON.stringify(src.slice(i, i + 30))}`)
  }
  const ws = (): void => {
    while (/\s/.test(src[i] ?? '')) i++
  }
  const misc = (): void => {
    for (ws(); src.startsWith('<!--', i); ws()) {
      const end = src.indexOf('-->', i)
      if (end < 0) fail('unterminated comment')
      i = end + 3
    }
  }
  const name = (): string => NAME.exec(src.slice(i))?.[0] ?? fail('expected a name')
  const decode = (raw: string): string =>
    raw.replace(/&([^;]*);?/g, (whole, ref: string) => {
      if (!whole.endsWith(';')) fail(`bare & in ${JSON.stringify(raw.slice(0, 40))}`)
      const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }
      const known = named[ref]
      if (known !== undefined) return known
      const m = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(ref) ?? fail(`unknown entity &${ref};`)
      const ch = String.fromCodePoint(m[1] ? parseInt(m[1], 16) : Number(m[2]))
      if (ILLEGAL.test(ch)) fail(`reference to an illegal character &${ref};`)
      return ch
    })
  const element = (): El => {
    if (src[i] !== '<') fail('expected <')
    i++
    const el: El = { name: name(), attrs: {}, children: [], text: '' }
    i += el.name.length
    for (;;) {
      const before = i
      ws()
      if (src.startsWith('/>', i)) return (i += 2), el
      if (src[i] === '>') break
      if (i === before) fail('expected whitespace before an attribute')
      const a = name()
      i += a.length
      if (a in el.attrs) fail(`duplicate attribute ${a}`)
      ws()
      if (src[i] !== '=') fail('expected =')
      i++
      ws()
      const q = src[i] ?? fail('unterminated tag')
      if (q !== '"' && q !== "'") fail('expected a quoted value')
      const end = src.indexOf(q, i + 1)
      if (end < 0) fail('unterminated attribute')
      const raw = src.slice(i + 1, end)
      if (raw.includes('<')) fail('< in an attribute value')
      el.attrs[a] = decode(raw)
      i = end + 1
    }
    i++
    for (;;) {
      const lt = src.indexOf('<', i)
      if (lt < 0) fail('unterminated element')
      const raw = src.slice(i, lt)
      if (raw.includes(']]>')) fail(']]> in text')
      el.text += decode(raw)
      i = lt
      if (src.startsWith('</', i)) {
        i += 2
        if (name() !== el.name) fail(`</${el.name}> expected`)
        i += el.name.length
        ws()
        if (src[i] !== '>') fail('expected >')
        i++
        return el
      }
      if (src.startsWith('<!--', i)) misc()
      else el.children.push(element())
    }
  }
  if (src.startsWith('<?xml')) {
    const end = src.indexOf('?>')
    if (!/^<\?xml version="1\.0"( encoding="UTF-8")?\?>$/.test(src.slice(0, end + 2))) fail('bad XML declaration')
    i = end + 2
  }
  misc()
  const root = element()
  misc()
  if (i !== src.length) fail('content after the root element')
  return root
}

export const kids = (el: El, name: string): El[] => el.children.filter(c => c.name === name)
export const kid = (el: El, name: string): El | undefined => kids(el, name)[0]

