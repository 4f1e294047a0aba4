import t from 'tap'
import { Budget, type Request } from '../../../src/runner/budget.js'

const req = (id: string, client: string, memoryMiB: number, cpus = 1): Request => ({ id, client, memoryMiB, cpus })
const ids = (rs: Request[]): string[] => rs.map(r => r.id)

t.test('machines start while they fit, and wait for memory otherwise', async t => {
  const b = new Budget({ memoryMiB: 2048, cpus: 8 })
  t.same(ids(b.request(req('a', 'p1', 1024))), ['a'])
  t.same(ids(b.request(req('b', 'p2', 1024))), ['b'])
  t.same(ids(b.request(req('c', 'p3', 1024))), [], 'a third 1 GiB machine does not fit in 2 GiB')
  t.same(b.used, { memoryMiB: 2048, cpus: 2 })
  t.same(ids(b.release('a')), ['c'], 'released memory goes to the waiting machine')
  t.same(b.used.memoryMiB, 2048)
})

t.test('vCPUs are a limit of their own', async t => {
  const b = new Budget({ memoryMiB: 100_000, cpus: 2 })
  t.same(ids(b.request(req('a', 'p1', 512, 2))), ['a'])
  t.same(ids(b.request(req('b', 'p2', 512, 1))), [], 'no vCPU left')
  t.same(ids(b.release('a')), ['b'])
})

t.test('first come, first served: a big request is not overtaken by small ones', async t => {
  const b = new Budget({ memoryMiB: 2048, cpus: 8 })
  b.request(req('a', 'p1', 1024))
  t.same(ids(b.request(req('big', 'p2', 2048))), [])
  t.same(ids(b.request(req('small', 'p3', 512))), [], 'small waits behind big although it would fit')
  t.same(ids(b.release('a')), ['big'])
  t.same(ids(b.release('big')), ['small'])
})

t.test('a request larger than the whole budget runs alone', async t => {
  const b = new Budget({ memoryMiB: 1024, cpus: 1 })
  t.same(ids(b.request(req('huge', 'p1', 4096, 4))), ['huge'], 'admitted when nothing else runs')
  t.same(ids(b.request(req('x', 'p2', 256))), [])
  t.same(ids(b.release('huge')), ['x'])
  t.same(ids(b.request(req('huge2', 'p3', 4096))), [], 'waits while anything else runs')
  t.same(ids(b.release('x')), ['huge2'])
})

t.test('two tests that each hold a machine and want a second do not deadlock', async t => {
  const b = new Budget({ memoryMiB: 2048, cpus: 8 })
  b.request(req('p1-a', 'p1', 1024))
  b.request(req('p2-a', 'p2', 1024))
  t.same(ids(b.request(req('p1-b', 'p1', 1024))), [], 'p2 still runs freely, so p1 waits')
  t.same(ids(b.request(req('p2-b', 'p2', 1024))), ['p1-b'], 'all holders wait: the oldest request is admitted over budget')
  t.same(b.used.memoryMiB, 3072)
  b.release('p1-a')
  t.same(ids(b.release('p1-b')), ['p2-b'], 'p2 goes on once p1 is done')
})

t.test('a test process that ends gives everything back', async t => {
  const b = new Budget({ memoryMiB: 1024, cpus: 8 })
  b.request(req('a', 'p1', 1024))
  b.request(req('q', 'p1', 512))
  b.request(req('w', 'p2', 512))
  t.same(ids(b.dropClient('p1')), ['w'])
  t.same(b.waiting, [])
  t.same(b.used.memoryMiB, 512)
})

t.test('bad limits and double requests are refused', async t => {
  t.throws(() => new Budget({ memoryMiB: 0, cpus: 1 }), RangeError)
  const b = new Budget({ memoryMiB: 1024, cpus: 1 })
  b.request(req('a', 'p1', 256))
  t.throws(() => b.request(req('a', 'p1', 256)), /requested twice/)
})
