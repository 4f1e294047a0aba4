// How a handover is classified from QEMU's RESET events and the facts before and after.
import t from 'tap'
import { classifyHandover, parseFacts } from '../../../src/machine/handover.js'

const facts = (bootId: string, init = '/init ', root = '0:1') => ({ bootId, init, root })

t.test('reset, kexec and switch-root', async t => {
  t.equal(classifyHandover(true, facts('a'), facts('b')), 'reset', 'QEMU reported RESET: the firmware ran again')
  t.equal(classifyHandover(false, facts('a'), facts('b')), 'kexec', 'a new kernel without a reset')
  t.equal(classifyHandover(false, facts('a', '/init '), facts('a', '/sbin/init ', '0:2')), 'switch-root', 'the same kernel, a new root')
})

t.test('the facts as the guest prints them', async t => {
  t.same(parseFacts('8c1f-…\n/nix/store/x-system/init \n0:33\n'), { bootId: '8c1f-…', init: '/nix/store/x-system/init', root: '0:33' })
  t.same(parseFacts(''), { bootId: '', init: '', root: '' })
})
