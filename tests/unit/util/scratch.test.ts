// Temporary folders with owners: the folders of processes that are gone are swept, those of
// live processes and folders without an owner file are left alone.
import t from 'tap'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { execa } from 'execa'
import { makeScratchDir, ownerAlive, processStartTime, sweepDeadScratch } from '../../../src/util/scratch.js'

t.test('a folder of a dead process is swept; live, foreign and reused-pid cases are judged right', async t => {
  const root = t.testdir({})
  const mine = await makeScratchDir('bootcheck-run-', root)
  t.match(readFileSync(join(mine, '.owner'), 'utf8'), new RegExp(`^${process.pid} \\d+\\n$`))
  t.ok(ownerAlive(mine))

  const child = await execa('sh', ['-c', 'echo $$'])
  const deadPid = Number(child.stdout)
  t.equal(processStartTime(deadPid), undefined, 'the child is gone')
  const dead = join(root, 'bootcheck-vm-dead')
  mkdirSync(dead)
  writeFileSync(join(dead, '.owner'), `${deadPid} 12345\n`)
  writeFileSync(join(dead, 'disk0.qcow2'), 'overlay')

  const reused = join(root, 'bootcheck-run-reused')
  mkdirSync(reused)
  writeFileSync(join(reused, '.owner'), `${process.pid} 1\n`) // our pid, but another start time: a reused pid

  const foreign = join(root, 'bootcheck-vm-foreign')
  mkdirSync(foreign) // no owner file: not ours to judge

  const other = join(root, 'unrelated-dead')
  mkdirSync(other)
  writeFileSync(join(other, '.owner'), `${deadPid} 12345\n`)

  const removed = sweepDeadScratch(['bootcheck-run-', 'bootcheck-vm-'], root).sort()
  t.same(removed, [reused, dead].sort())
  t.ok(existsSync(mine), 'a live owner keeps its folder')
  t.ok(existsSync(foreign), 'a folder without an owner stays')
  t.ok(existsSync(other), 'other prefixes are not looked at')
  t.notOk(existsSync(dead))
})
