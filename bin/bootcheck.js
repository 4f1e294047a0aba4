#!/usr/bin/env node
// The CLI entry point; the code lives in src/runner/cli.ts (compiled to dist/ by `npm run build`).
import { main } from '../dist/src/runner/cli.js'

main(process.argv.slice(2)).then(
  code => process.exit(code),
  err => {
    process.stderr.write(`bootcheck: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  },
)
