#!/usr/bin/env bash
# The main job: build the demo live media from Debian packages, then run the example tests
# (examples/) on them with the bootcheck CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p .bootcheck
node bin/bootcheck.js media > .bootcheck/demo-media.json
echo "demo: media ready: $(node -e 'const m=require("./.bootcheck/demo-media.json");console.log(m.iso)')"
exec node bin/bootcheck.js run examples/
