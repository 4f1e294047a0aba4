#!/usr/bin/env bash
# The test suite: setup, type check, the docs (snippets, quotes, links; the site and API
# reference built), build the demo media once, then the unit and integration tests (real
# QEMU on real images) through bootcheck's own runner, one file more than there are cores
# at a time (the machines within a vCPU a core): TAP on stdout, progress on stderr, and
# .bootcheck/runs/latest/report.html plus .bootcheck/junit.xml for CI to keep; the summary
# ends with the ten slowest files.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each phase line says when it began (seconds since the start), so CI's log shows where the time went.
phase() { echo "test: [${SECONDS} s] $*"; }
bash scripts/setup.sh
# The Debian live-boot ISO (minutes when not cached: dpkg, mkinitramfs, mksquashfs) builds
# beside the checks below, which mostly keep one core busy; its log is shown when it is waited for.
mkdir -p .bootcheck
phase "building the Debian live-boot ISO in the background (cached; log in .bootcheck/debian-live.log)"
node --import tsx tests/media/debian-live.ts > /dev/null 2> .bootcheck/debian-live.log &
debian_live=$!
trap 'kill "$debian_live" 2>/dev/null || true' EXIT
phase "type check"
npx tsc -p tsconfig.json
phase "layers"
node --import tsx scripts/check-layers.ts
phase "sizes"
node --import tsx scripts/check-size.ts
phase "docs (ts blocks type-checked, quotes of tested files, links; docs/*.md and README.md)"
npm run --silent docs:check
phase "docs site and API reference (TypeDoc, warnings are errors) into docs/dist"
npm run --silent docs
phase "building the package (dist/, incremental: the tests that run the CLI build it again, which is then a no-op)"
npx tsc -p tsconfig.build.json
phase "building the demo media (cached)"
node bin/bootcheck.js media > .bootcheck/demo-media.json
phase "building the aarch64 and mips64el board media (cached)"
node --import tsx vm-configs/debian/boards/build.ts aarch64 > .bootcheck/board-media-aarch64.json
node --import tsx vm-configs/debian/boards/build.ts mips64el > /dev/null
phase "waiting for the Debian live-boot ISO"
if ! wait "$debian_live"; then cat .bootcheck/debian-live.log; echo "test: the Debian live-boot ISO did not build" >&2; exit 1; fi
cat .bootcheck/debian-live.log
trap - EXIT
# One test file more than there are cores: QEMU stays within the vCPU budget (--cpus, one
# vCPU a core, so two machines at a time on two cores) and the extra file fills the time the
# others spend waiting (nested runs starting, npm, builds, guests idle between commands).
cores=$(nproc)
phase "the tests: unit, security, integration ($((cores + 1)) files at a time, $cores vCPUs of machines)"
exec node bin/bootcheck.js run --jobs $((cores + 1)) --cpus "$cores" --timeout 900 --slowest 10 --junit .bootcheck/junit.xml tests/unit tests/security tests/integration "$@"
