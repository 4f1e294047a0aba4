#!/usr/bin/env bash
# The test suite: setup, type check, build the demo media once, then the unit and
# integration tests (real QEMU on real images) with tap, two files at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "test: type check"
npx tsc -p tsconfig.json
echo "test: building the demo media (cached)"
mkdir -p .bootcheck
node bin/bootcheck.js media > .bootcheck/demo-media.json
rm -rf .bootcheck/artifacts
exec npx tap --disable-coverage --jobs=2 --timeout=900 tests/unit/*.test.ts tests/integration/*.test.ts "$@"
