import t from 'tap'
import { decodeVgaDump } from '../../../src/machine/silent.js'

t.test('HMP xp dumps of the VGA text buffer decode to rows of text', async t => {
  const row = (s: string): number[] => [...s.padEnd(80, ' ')].flatMap(c => [c.charCodeAt(0), 0x07])
  const bytes = [...row('SeaBIOS (version 1.16)'), ...row(''), ...row('No bootable device.')]
  const lines: string[] = []
  for (let i = 0; i < bytes.length; i += 8) {
    const addr = (0xb8000 + i).toString(16).padStart(16, '0')
    lines.push(`${addr}: ${bytes.slice(i, i + 8).map(b => '0x' + b.toString(16).padStart(2, '0')).join(' ')}`)
  }
  t.same(decodeVgaDump(lines.join('\r\n')), ['SeaBIOS (version 1.16)', 'No bootable device.'])
  t.same(decodeVgaDump(''), [])
  t.same(decodeVgaDump('Error: something'), [], 'an HMP error is no text')
})
