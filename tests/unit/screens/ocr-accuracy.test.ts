// What OCR reads on recorded screens of real QEMU runs (tests/unit/fixtures/ocr/labels.json):
// the Debian installer's GTK pages in English and French, its text installer, its pxelinux
// menu, the demo ISO's GRUB menu and isolinux prompt, iPXE on the VGA console. Every label
// a test would wait for is read, highlighted entries included and where the screen shows
// them, except the few marked as misread (Tesseract's confusions of O and 0, V and U in
// the VGA font), which are checked to be still misread so the file stays true.
import { readFile } from 'node:fs/promises'
import t from 'tap'
import { readPng } from '../../../src/screens/image.js'
import { findText } from '../../../src/screens/ocr-match.js'
import { recognize } from '../../../src/screens/ocr.js'

interface Label {
  pattern: string
  at?: [number, number]
  misread?: string
}
interface Screen {
  file: string
  what: string
  lang: string
  labels: Label[]
}

const fixture = (name: string): string => new URL(`../fixtures/ocr/${name}`, import.meta.url).pathname
const { screens } = JSON.parse(await readFile(fixture('labels.json'), 'utf8')) as { screens: Screen[] }

for (const screen of screens) {
  t.test(`${screen.file}: ${screen.what}`, async t => {
    const text = await recognize(await readPng(fixture(screen.file)), { lang: screen.lang })
    for (const label of screen.labels) {
      const m = findText(text, new RegExp(label.pattern))
      const placed = !!m && (!label.at || (Math.abs(m.center.x - label.at[0]) <= 16 && Math.abs(m.center.y - label.at[1]) <= 16))
      if (label.misread) {
        t.notOk(placed, `/${label.pattern}/ is still misread (${label.misread}); when it reads, drop 'misread' from labels.json`)
        continue
      }
      t.ok(placed, `/${label.pattern}/${label.at ? ` at (${label.at.join(',')})` : ''}: ${m ? `found "${m.line}" at (${m.center.x},${m.center.y})` : 'not found'}`, { read: text.lines.map(l => l.text) })
    }
  })
}
