// The docs site: `npm run docs` builds the guides of docs/ (as TypeDoc "project documents")
// and the API reference of src/index.ts into docs/dist, one tool for both, so a guide's
// {@link Machine.succeed} and the reference's pages link to each other.
/** @type {Partial<import('typedoc').TypeDocOptions>} */
export default {
  name: 'bootcheck',
  entryPoints: ['src/index.ts'],
  tsconfig: 'tsconfig.json',
  out: 'docs/dist',
  readme: 'README.md',
  projectDocuments: ['docs/*.md', 'docs/cookbook/*.md'],
  // An export of src/index.ts without documentation, or a {@link} that does not resolve, fails the build.
  treatWarningsAsErrors: true,
  // Relative paths in the guides are checked by scripts/check-docs.ts (npm run docs:check),
  // which knows the pages other work of this release adds (PENDING_PAGES) and says why.
  validation: { notExported: true, invalidLink: true, notDocumented: true, rewrittenLink: true, invalidPath: false },
  // Every export, its methods, accessors and properties (those of inline object types too)
  // must say what they are. Constructors are not required: the class says what it is.
  requiredToBeDocumented: [
    'Enum', 'EnumMember', 'Variable', 'Function', 'Class', 'Interface',
    'Method', 'CallSignature', 'Accessor', 'TypeAlias', 'Namespace', 'Module', 'Property',
  ],
  // Types that public signatures mention but src/index.ts does not export (yet): internal
  // plumbing (constructor parts, the step logger) or option bags users never spell. Each is
  // listed so that a new unexported type in a public signature still fails the build.
  intentionallyNotExported: [
    'MachineParts', 'Step', 'SerialConsoleOptions', 'QmpConnectOptions', 'QmpEventHandler',
    'QmpWaitOptions', 'QmpExecuteOptions', 'QmpExecuteParams', 'QmpCommands', 'QmpEventOf',
    'QmpEvent', 'QmpGreeting', 'Accelerator', 'ProbeResult', 'DetectOptions', 'HtmlOptions',
    'JUnitOptions', 'ProjectConfig', 'AttemptRecord', 'FilmstripFrame', 'ShardInfo',
    'MergedShard', 'KnownFailureMatch', 'LaunchPlan',
  ],
  // Node's own docs for the EventEmitter members the terminal types inherit.
  externalSymbolLinkMappings: {
    '@types/node': { 'EventEmitter.defaultMaxListeners': 'https://nodejs.org/api/events.html#eventsdefaultmaxlisteners' },
  },
  // Languages a page may fence code in (another one is a warning, so an error).
  highlightLanguages: ['bash', 'sh', 'console', 'json', 'jsonc', 'yaml', 'typescript', 'ts', 'javascript', 'js', 'html', 'css', 'xml', 'nix', 'python', 'diff', 'ini', 'toml'],
  // No source links: they need a git remote, which a CI checkout or a tarball may not have
  // (TypeDoc warns, and warnings are errors here).
  disableSources: true,
  excludePrivate: true,
  // Machine is a chain of classes, one concern a file (machine-core → -screens → -commands →
  // -services → machine.ts); the state and plumbing they share is protected, not public API.
  excludeProtected: true,
  excludeInternal: true,
  sort: ['source-order'],
  groupOrder: ['Guides', 'Cookbook', 'About bootcheck', '*'],
  navigation: { includeCategories: false, includeGroups: true },
  skipErrorChecking: true,
}
