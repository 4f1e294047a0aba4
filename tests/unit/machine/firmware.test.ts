// malta's boot flash as QEMU reads it on a little-endian board: each 32-bit word of U-Boot's
// image byte-swapped (U-Boot's own u-boot-swap.bin), padded to a whole word.
import t from 'tap'
import { swapWords } from '../../../src/machine/firmware.js'

t.test('each 32-bit word reversed, the tail padded with zeros', async t => {
  t.same([...swapWords(Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]))], [4, 3, 2, 1, 8, 7, 6, 5])
  t.same([...swapWords(Buffer.from([1, 2, 3, 4, 5]))], [4, 3, 2, 1, 0, 0, 0, 5])
  t.equal(swapWords(Buffer.alloc(0)).length, 0)
  const image = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7) & 255))
  t.same(swapWords(swapWords(image)), image, 'swapping twice gives the image back')
})
