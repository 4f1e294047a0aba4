/** The HTML report's inline stylesheet and script (no network, no build step). */

/** Inline CSS: light and dark, status colours, side-by-side screens. */
export const STYLE = `
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #fff; --muted: #57606a; --line: #d0d7de; --panel: #f6f8fa;
  --passed: #1a7f37; --failed: #cf222e; --skipped: #9a6700; --interrupted: #8250df; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --bg: #0d1117; --muted: #8d96a0; --line: #30363d; --panel: #161b22;
  --passed: #3fb950; --failed: #f85149; --skipped: #d29922; --interrupted: #a371f7; } }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header.run, main { max-width: 1400px; margin: 0 auto; padding: 16px 24px; }
header.run { border-bottom: 1px solid var(--line); }
h1 { font-size: 22px; margin: 0 0 4px; display: flex; gap: 10px; align-items: center; }
h2 { font-size: 16px; margin: 0; display: flex; gap: 10px; align-items: baseline; flex-wrap: wrap; }
h3 { font-size: 14px; margin: 0; display: inline; font-weight: 600; }
h4 { font-size: 14px; margin: 12px 0 4px; }
h5 { font-size: 13px; margin: 8px 0 4px; }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 8px; overflow: auto; white-space: pre-wrap; word-break: break-word; margin: 6px 0; }
pre.transcript { max-height: 480px; white-space: pre; }
.console-command { font-weight: bold; }
.console-stderr { color: var(--failed); }
.console-status, .console-folded { color: #777; font-style: italic; }
.ansi-bold { font-weight: bold; }
.ansi-fg0 { color: #555; } .ansi-fg1 { color: #c0392b; } .ansi-fg2 { color: #1e8449; } .ansi-fg3 { color: #9a7d0a; }
.ansi-fg4 { color: #2157b8; } .ansi-fg5 { color: #8e44ad; } .ansi-fg6 { color: #117a8b; } .ansi-fg7 { color: #777; }
.ansi-fg8 { color: #888; } .ansi-fg9 { color: #e74c3c; } .ansi-fg10 { color: #27ae60; } .ansi-fg11 { color: #b7950b; }
.ansi-fg12 { color: #3498db; } .ansi-fg13 { color: #a569bd; } .ansi-fg14 { color: #17a2b8; } .ansi-fg15 { color: #999; }
pre.failure-message { border-left: 4px solid var(--failed); }
a { color: inherit; }
.why { margin: 0 0 8px; font-size: 15px; }
dl.facts { display: flex; flex-wrap: wrap; gap: 4px 20px; margin: 6px 0; }
dl.facts div { display: flex; gap: 6px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; font-weight: 600; }
.badge { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; font-weight: 600; color: #fff; background: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
.badge[data-status=passed] { background: var(--passed); }
.badge[data-status=failed] { background: var(--failed); }
.badge[data-status=skipped], .badge[data-status=todo] { background: var(--skipped); }
.badge[data-status=interrupted] { background: var(--interrupted); }
.badge[data-status=flaky] { background: #b8860b; }
.badge[data-status=known] { background: #6a5acd; }
details.attempt { margin: 6px 0; border-left: 3px solid var(--failed); padding-left: 8px; }
.time, .muted { color: var(--muted); font-weight: normal; font-size: 12px; }
nav.filters { display: flex; gap: 6px; margin-top: 8px; }
nav.filters button { font: inherit; padding: 3px 12px; border-radius: 6px; border: 1px solid var(--line); background: var(--panel); color: var(--fg); cursor: pointer; }
nav.filters button[aria-pressed=true] { border-color: var(--fg); font-weight: 600; }
section.file { border: 1px solid var(--line); border-radius: 8px; margin: 14px 0; padding: 10px 14px; }
section.file[data-status=failed], section.file[data-status=interrupted] { border-left: 4px solid var(--failed); }
details.test { border-top: 1px solid var(--line); padding: 6px 0; }
details.test > summary { cursor: pointer; display: flex; gap: 10px; align-items: baseline; }
details.test > summary::before { content: "▸"; color: var(--muted); }
details.test[open] > summary::before { content: "▾"; }
details.test > summary::-webkit-details-marker { display: none; }
.test-body { padding: 4px 0 4px 22px; }
section.machine { border-left: 3px solid var(--line); padding-left: 12px; margin: 8px 0; }
.screen-images { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 10px; }
.screen-images figure { margin: 0; }
table.actions { border-collapse: collapse; width: 100%; font-size: 12px; }
table.actions th, table.actions td { text-align: left; padding: 2px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
table.actions td.action-args code { white-space: pre-wrap; word-break: break-all; }
tr.action-error td.action-outcome { color: #b00020; }
.screen-images img { display: block; width: 100%; max-width: 100%; height: auto; border: 1px solid var(--line); }
.screen-images figcaption { color: var(--muted); font-size: 12px; }
.filmstrip-frames { display: flex; gap: 8px; overflow-x: auto; padding-bottom: 6px; }
.filmstrip-frames figure { margin: 0; flex: 0 0 auto; width: 240px; }
.filmstrip-frames img { display: block; width: 100%; height: auto; border: 1px solid var(--line); }
.filmstrip-frames figcaption { font-size: 12px; }
.filmstrip-frames .frame-time { font-weight: 600; }
.filmstrip-frames .frame-console { margin: 2px 0 0; font-size: 11px; white-space: pre-wrap; word-break: break-all; color: var(--muted); }
.missing { color: var(--failed); font-style: italic; }
p.logs { display: flex; flex-wrap: wrap; gap: 4px 14px; margin: 6px 0; }
`

/** Inline script: the status filter (buttons and `#failed`-style URL fragments). */
export const SCRIPT = `
(() => {
  const match = {
    all: () => true,
    failed: s => s === 'failed' || s === 'interrupted',
    flaky: s => s === 'flaky',
    known: s => s === 'known',
    passed: s => s === 'passed',
    skipped: s => s === 'skipped' || s === 'todo',
  };
  function apply(filter) {
    if (!Object.prototype.hasOwnProperty.call(match, filter)) filter = 'all';
    const ok = match[filter];
    document.body.dataset.filter = filter;
    for (const b of document.querySelectorAll('nav.filters button[data-filter]')) b.setAttribute('aria-pressed', String(b.dataset.filter === filter));
    for (const file of document.querySelectorAll('section.file')) {
      let shown = 0;
      for (const t of file.querySelectorAll(':scope > .test')) { const on = ok(t.dataset.status); t.hidden = !on; if (on) shown++; }
      file.hidden = shown === 0 && !ok(file.dataset.status);
    }
    const empty = document.querySelector('.filter-empty');
    if (empty) empty.hidden = document.querySelector('section.file:not([hidden])') !== null;
  }
  for (const b of document.querySelectorAll('nav.filters button[data-filter]')) {
    b.addEventListener('click', () => {
      apply(b.dataset.filter);
      try { history.replaceState(null, '', '#' + b.dataset.filter); } catch (e) { /* file: URLs in some browsers */ }
    });
  }
  apply(location.hash.slice(1) || 'all');
})();
`
