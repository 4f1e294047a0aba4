#!/usr/bin/env bash
# The main job: build the demo live media from Debian packages, then run the example tests
# (examples/) on them with the bootcheck CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p .bootcheck
node bin/bootcheck.js media > .bootcheck/demo-media.json
# the aarch64 board (kernel + initramfs, SD card image, U-Boot TFTP root) from Debian's arm64 packages
node --import tsx vm-configs/debian/boards/build.ts aarch64 > .bootcheck/board-media-aarch64.json
echo "demo: media ready: $(node -e 'const m=require("./.bootcheck/demo-media.json");console.log(m.iso)')"
exec node bin/bootcheck.js run examples/
