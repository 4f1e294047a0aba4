// Where the example tests find their media. A NixOS user would point these at
// `result/iso/*.iso` and friends; here they come from the demo build
// (`bootcheck media > .bootcheck/demo-media.json`, done by scripts/demo.sh).
import { readFileSync } from 'node:fs'

interface DemoMedia {
  iso: string
  kernel: string
  initrd: string
  kernelParams: string[]
  squashfsSha256: string
  persistDisk: string
  persistedPaths: string[]
  /** NixOS's netboot image: a folder with bzImage, an initrd carrying the store, netboot.ipxe. */
  netboot: { dir: string; kernel: string; initrd: string; kernelParams: string[] }
}

const manifest = process.env.BOOTCHECK_DEMO_MEDIA ?? '.bootcheck/demo-media.json'
export const media: DemoMedia = JSON.parse(readFileSync(manifest, 'utf8'))
