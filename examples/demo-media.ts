// Where the example tests find their media. A NixOS user would point these at
// `result/iso/*.iso` and friends; here they are the demo media as `bootcheck media`
// printed them (saved in .bootcheck/demo-media.json by scripts/demo.sh, or the file
// $BOOTCHECK_DEMO_MEDIA names): read, never built, from inside the test run.
import { readBoardMediaJson, readDemoMediaJson, type BoardMedia, type LiveMedia } from '../vm-configs/demo.js'

export const media: LiveMedia = readDemoMediaJson()

/** The aarch64 board: Debian's arm64 kernel, a busybox initramfs, an SD card image and a U-Boot TFTP root. */
export const arm = readBoardMediaJson() as Required<BoardMedia>
