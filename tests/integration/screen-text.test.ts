// Screens as text on Debian's graphical installer (package debian-installer-12-netboot-amd64,
// gtk flavour, over PXE from its read-only tree, unmodified): the pxelinux menu read by OCR,
// a wait that fails listing what it saw, and the installer driven by the words on its pages.
// The installer is booted once to its language page (bootOnce) and restored for the French
// and the English test.
import t from 'tap'
import { existsSync } from 'node:fs'
import { boot, bootOnce, TextNotFoundError, type Machine } from '../../src/index.js'
import { demoMedia } from '../../vm-configs/demo.js'
import { atGrubMenu } from './boot-menus.js'

// #region installer
const GTK = '/usr/lib/debian-installer/images/12/amd64/gtk'
const INSTALLER = { name: 'd-i-gtk', memory: '1G', tablet: true, pxe: { tftpRoot: GTK, bootfile: 'pxelinux.0' } }
// #endregion

t.test('the pxelinux menu read as text; a wait for words not there lists what it saw', async t => {
  t.ok(existsSync(`${GTK}/pxelinux.0`), 'the gtk netboot tree is installed (scripts/setup.sh)')
  const vm = await boot(t, { ...INSTALLER, name: 'd-i-gtk-menu' })
  const title = await vm.waitForText(/installer menu/, { timeout: 120_000 })
  t.match(title.line, /Debian GNU\/Linux installer menu \(BIOS mode\)/)
  const screen = await vm.screenText()
  // Every entry, the highlighted one on its bar too, in order below the title.
  const entries = ['Install', 'Advanced options', 'Accessible dark contrast installer menu', 'Help', 'Install with speech synthesis']
  let above = title.box.y
  for (const entry of entries) {
    const line = screen.lines.find(l => l.text.replace(/\s*>$/, '') === entry)
    t.ok(line && line.box.y > above, `entry '${entry}' read, below the one before`)
    if (line) above = line.box.y
  }
  t.match(screen.text, /Press a key, otherwise speech synthesis will be started in \d+ seconds/)
  const started = Date.now()
  // The menu counts down every second, so every pass reads a new screen.
  const err = await vm.waitForText(/Partition disks/, { timeout: 5000 }).catch((e: unknown) => e)
  const took = Date.now() - started
  t.type(err, TextNotFoundError)
  const e = err as TextNotFoundError
  t.match(e.message, /Timed out after 5 s waiting for \/Partition disks\//)
  t.match(e.message, /installer menu/, 'the message lists the lines read')
  t.ok(e.seen.some(l => /installer menu/.test(l)), 'and so does seen')
  t.ok(e.screenshot && existsSync(e.screenshot), 'the screenshot is saved')
  t.ok(took >= 5000 && took < 5000 + 1000, `failed at its timeout (${took} ms): a pass still running then is ended`)
  t.comment(`the failing wait took ${took} ms`)
})

// #region language-page
// The language page, reached once per cache entry: the menu's text, Enter, the page's title.
const atLanguagePage = async (vm: Machine): Promise<void> => {
  await vm.waitForText(/installer menu/, { timeout: 120_000 })
  await vm.sendKey('ret') // before the menu's timeout starts speech synthesis
  await vm.waitForText(/Select a language/, { timeout: 420_000, interval: 2000 })
  await vm.waitForText(/Continue/, { timeout: 60_000 })
}

for (const [language, next] of [
  ['French', /Choix de votre situation géographique/],
  ['English', /Select your location/],
] as const) {
  t.test(`restored at the language page: ${language}, Continue, and the next page speaks ${language}`, async t => {
    const vm = await bootOnce(t, INSTALLER, { key: 'd-i-gtk-language-page', until: atLanguagePage })
    const page = await vm.waitForText(/Select a language/, { timeout: 30_000 })
    t.ok(page.box.y < 200, 'the page title is at the top')
    const row = await vm.clickText(new RegExp(`^${language}\\b`))
    t.equal(row.text, language)
    await vm.clickText(/Continue/)
    const seen = await vm.waitForText(next, { timeout: 120_000, lang: language === 'French' ? 'fra' : 'eng' })
    t.comment(`${language}: next page line: ${seen.line}`)
    t.pass(`the next page reads "${seen.line}"`)
  })
}
// #endregion

// The demo ISO's boot menus, read as text: GRUB's under UEFI (1280x800) and isolinux's
// prompt under BIOS (VGA text mode), each restored from a snapshot made once.
const media = await demoMedia()

t.test("the demo ISO's GRUB menu (UEFI): the entry labels read", async t => {
  const vm = await bootOnce(t, { name: 'grub-text', cdrom: media.iso, firmware: 'uefi' }, { key: 'screen-text-grub-menu', until: atGrubMenu })
  const title = await vm.waitForText(/GNU GRUB/, { timeout: 30_000 })
  const screen = await vm.screenText()
  const entry = screen.lines.find(l => l.text === 'live-copytoram')
  t.ok(entry, 'the entry live-copytoram is a line of its own')
  const live = screen.lines.find(l => /^\W?live$/.test(l.text))
  t.ok(live && entry && live.box.y < entry.box.y, 'the highlighted entry live (on its bar) is a line of its own, above it')
  t.ok(entry && entry.box.y > title.box.y, 'below the title')
  t.match(screen.text, /Press enter to boot the selected/)
})

t.test("the demo ISO's isolinux prompt (BIOS, VGA text): the entries it names read", async t => {
  const atPrompt = async (vm: Machine): Promise<void> => {
    await vm.console.waitFor('boot: ')
    await vm.type('live') // stops isolinux's timeout
    await vm.waitForStillScreen({ stillFor: 1000, timeout: 30_000, maxDiffPixels: 40 })
  }
  const vm = await bootOnce(t, { name: 'isolinux-text', cdrom: media.iso }, { key: 'screen-text-isolinux-prompt', until: atPrompt })
  const m = await vm.waitForText(/ISOLINUX \d/, { timeout: 30_000 })
  t.match(m.line, /Copyright/)
  const screen = await vm.screenText()
  t.match(screen.text, /entries live \(default/)
  t.match(screen.text, /live-copytoram/)
  t.ok(screen.lines.some(l => /^boot: live/.test(l.text)), 'the prompt with what was typed, one line')
})

// The text installer (newt on the VGA text console), over PXE from its unmodified tree:
// the same words read on its pxelinux menu and its first page, snapshot made once.
t.test('the text installer: its menu and its language page read as text', async t => {
  const TEXT = '/usr/lib/debian-installer/images/12/amd64/text'
  const atLanguage = async (vm: Machine): Promise<void> => {
    await vm.waitForText(/installer menu/, { timeout: 120_000 })
    await vm.sendKey('ret')
    await vm.waitForText(/Select a language/, { timeout: 420_000, interval: 2000 })
  }
  const vm = await bootOnce(t, { name: 'd-i-text', memory: '1G', pxe: { tftpRoot: TEXT, bootfile: 'pxelinux.0' } }, { key: 'screen-text-d-i-text-language', until: atLanguage })
  const page = await vm.screenText()
  t.match(page.text, /Select a language/)
  t.match(page.text, /Choose the language to be used for the installation process/)
  for (const entry of [/English/, /French/, /<Go Back>/]) t.match(page.text, entry, `reads ${entry}`)
  const english = page.lines.find(l => /^English\b/.test(l.text))
  const french = page.lines.find(l => /^French\b/.test(l.text))
  t.ok(english && french && english.box.y < french.box.y && Math.abs(english.box.x - french.box.x) < 12, 'the highlighted row (white on red) reads like the others, in the same column')
})
