#!/usr/bin/env bash
# The test suite: setup, type check, the docs (snippets, quotes, links; the site and API
# reference built), build the demo media once, then the unit and
# integration tests (real QEMU on real images) through bootcheck's own runner, two files
# at a time: TAP on stdout, progress on stderr, and .bootcheck/runs/latest/report.html
# plus .bootcheck/junit.xml for CI to keep; the summary ends with the ten slowest files.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "test: type check"
npx tsc -p tsconfig.json
echo "test: layers"
node --import tsx scripts/check-layers.ts
echo "test: sizes"
node --import tsx scripts/check-size.ts
echo "test: docs (ts blocks type-checked, quotes of tested files, links; docs/*.md and README.md)"
npm run --silent docs:check
echo "test: docs site and API reference (TypeDoc, warnings are errors) into docs/dist"
npm run --silent docs
echo "test: building the package (dist/, incremental: the tests that run the CLI build it again, which is then a no-op)"
npx tsc -p tsconfig.build.json
echo "test: building the demo media (cached)"
mkdir -p .bootcheck
node bin/bootcheck.js media > .bootcheck/demo-media.json
echo "test: building the Debian live-boot ISO (cached)"
node --import tsx tests/media/debian-live.ts > /dev/null
echo "test: building the aarch64 board media (cached)"
node --import tsx vm-configs/debian/boards/build.ts aarch64 > .bootcheck/board-media-aarch64.json
node --import tsx vm-configs/debian/boards/build.ts mips64el > /dev/null
exec node bin/bootcheck.js run --jobs 2 --timeout 900 --slowest 10 --junit .bootcheck/junit.xml tests/unit tests/security tests/integration "$@"
