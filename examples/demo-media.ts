// Where the example tests find their media. A NixOS user would point these at
// `result/iso/*.iso` and friends; here they are the demo media as `bootcheck media`
// printed them (saved in .bootcheck/demo-media.json by scripts/demo.sh, or the file
// $BOOTCHECK_DEMO_MEDIA names): read, never built, from inside the test run.
import { readDemoMediaJson, type LiveMedia } from '../vm-configs/demo.js'

export const media: LiveMedia = readDemoMediaJson()
