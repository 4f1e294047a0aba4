// Mouse input reaches the guest: its kernel sees the USB tablet's absolute position and
// the button press, read from /dev/input as input_event records.
import t from 'tap'
import { demoShell } from './demo-shell.js'

t.test('mouseMove and click on a USB tablet arrive as input events', async t => {
  const vm = await demoShell(t, 'mouse') // the demo system with a USB tablet, restored at its shell
  const dev = (await vm.waitUntilSucceeds(`for e in /sys/class/input/event*; do grep -q Tablet $e/device/name && echo /dev/input/\${e##*/}; done | grep .`, { timeout: 30_000 })).trim()
  t.match(dev, /^\/dev\/input\/event\d+$/, `the tablet is ${dev}`)
  const reader = (await vm.succeed(`cat ${dev} > /tmp/events 2>/dev/null & echo $!`)).trim()
  // Events sent before the reader has the device open are lost: wait until it has.
  await vm.waitUntilSucceeds(`ls -l /proc/${reader}/fd | grep -q ${dev}`, { timeout: 10_000, interval: 100 })
  const { width, height } = await vm.screenImage()
  await vm.click(width - 1, Math.floor(height / 2))
  // input_event on x86_64: 16 bytes of time, then u16 type, u16 code, s32 value.
  const dump = await vm.waitUntilSucceeds(`od -An -v -tu2 -w24 /tmp/events | grep .`, { timeout: 10_000 })
  const events = dump.trim().split('\n').map(l => l.trim().split(/\s+/).map(Number)).map(w => ({ type: w[8], code: w[9], value: w[10]! + w[11]! * 65536 }))
  t.ok(events.some(e => e.type === 3 && e.code === 0 && e.value === 0x7fff), 'ABS_X at the right edge (32767)')
  const y = events.find(e => e.type === 3 && e.code === 1)
  t.ok(y && Math.abs(y.value - 0x7fff / 2) < 200, `ABS_Y near the middle (${y?.value})`)
  t.ok(events.some(e => e.type === 1 && e.code === 0x110 && e.value === 1), 'BTN_LEFT pressed')
  t.ok(events.some(e => e.type === 1 && e.code === 0x110 && e.value === 0), 'BTN_LEFT released')
  await t.rejects(vm.mouseMove(width, 0), /outside the \d+x\d+ screen/)
})
