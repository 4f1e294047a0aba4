// Preloaded through NODE_OPTIONS into the processes a `bootcheck run` starts (src/runner/tap.ts).
// In tap's test processes (TAP=1, with a TAP_CHILD_ID) TypeScript test files then load
// through tsx (esbuild, transforms cached on disk), bootcheck's own dependency, instead of
// the ts-node that tap's TypeScript plugin starts, with the TypeScript compiler, uncached in
// every test process: about 4 s of CPU less a test process (npm run bench -- tap-loader).
// TAP_TYPE_STRIP_ONLY=1 is what makes tap's plugin leave ts-node out; tap's plugin list, and
// with it the plugin build tap shares between all the runs of a node_modules, is unchanged.
// Everywhere else (tap's runner, a type-checking run, BOOTCHECK_TS_LOADER=ts-node) it does nothing.
const env = process.env
if (env.TAP === '1' && env.TAP_CHILD_ID !== undefined && env.TAP_TYPECHECK !== '1' && env.BOOTCHECK_TS_LOADER !== 'ts-node') {
  env.TAP_TYPE_STRIP_ONLY = '1'
  await import('tsx')
}
