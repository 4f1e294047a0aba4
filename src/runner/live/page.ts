/**
 * The live view's page and its script: every running machine as a card with its screen
 * (noVNC, view-only until the user unlocks input), its serial console (xterm.js), its
 * steps as they are logged and its test's status, polled from `/api/state`. The libraries
 * are served from the installed npm packages (`@novnc/novnc`, `@xterm/xterm`).
 * @module
 */
import { createRequire } from 'node:module'
import { dirname } from 'node:path'

/** Where the served libraries are: each package's root folder. */
export function liveAssetRoots(): { novnc: string; xterm: string } {
  const require = createRequire(import.meta.url)
  return {
    novnc: dirname(dirname(require.resolve('@novnc/novnc'))), // …/core/rfb.js
    xterm: dirname(dirname(require.resolve('@xterm/xterm'))), // …/lib/xterm.js
  }
}

/** The page. */
export const LIVE_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>bootcheck live view</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/xterm/css/xterm.css">
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f6f8fa; color: #1f2328; }
header { padding: 8px 14px; background: #24292f; color: #fff; }
header h1 { font-size: 16px; margin: 0; }
main { padding: 10px; display: grid; gap: 12px; }
.machine { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; padding: 8px; }
.machine h2 { font-size: 15px; margin: 0 0 6px; }
.status { border-radius: 10px; padding: 1px 8px; color: #fff; background: #0969da; font-size: 12px; }
.machine[data-status=failing] .status { background: #cf222e; }
.machine[data-status=ended] .status { background: #57606a; }
.row { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 8px; }
.screen { background: #000; min-height: 200px; position: relative; }
.screen.unlocked { outline: 3px solid #cf222e; }
.term { min-height: 200px; }
.steps { font: 12px ui-monospace, monospace; max-height: 12em; overflow: auto; margin: 6px 0 0; }
.steps .error { color: #cf222e; }
.steps .running { color: #0969da; font-weight: bold; }
.stage { color: #57606a; font-size: 12px; }
button.unlock { margin: 6px 0 0; }
</style>
</head>
<body>
<header><h1>bootcheck live view <span id="summary"></span></h1></header>
<main id="machines"><p id="empty">No machine is running yet.</p></main>
<script type="module" src="/assets/live.js"></script>
<script type="module" src="/assets/references.js"></script>
</body>
</html>
`

/** The page's script (an ES module, served as /assets/live.js). */
export const LIVE_SCRIPT = `
import RFB from '/assets/novnc/core/rfb.js';
import { Terminal } from '/assets/xterm/lib/xterm.mjs';

const cards = new Map();
const wsUrl = path => { const u = new URL(path, location.href); u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:'; u.search = ''; return u.href; };
const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
window.bootcheckLive = { cards };

function card(m) {
  const root = el('section', 'machine');
  root.dataset.id = m.id;
  root.dataset.machine = m.machine;
  const title = el('h2');
  const status = el('span', 'status');
  const stage = el('span', 'stage');
  title.append(m.file + ' › ' + m.test + ' › ' + m.machine + ' ', status, ' ', stage);
  const screen = el('div', 'screen');
  const term = el('div', 'term');
  const row = el('div', 'row');
  row.append(screen, term);
  const unlock = el('button', 'unlock', 'Unlock input');
  const steps = el('ol', 'steps');
  root.append(title, row, unlock, steps);
  document.getElementById('machines').append(root);
  const c = { root, status, stage, steps, screen, unlock, unlocked: false, firstFrameAt: undefined };
  c.rfb = new RFB(screen, wsUrl('/ws/vnc/' + m.id), { shared: true });
  c.rfb.viewOnly = true;
  c.rfb.scaleViewport = true;
  c.rfb.addEventListener('connect', () => { root.dataset.vnc = 'connected'; });
  c.rfb.addEventListener('disconnect', () => { root.dataset.vnc = 'disconnected'; });
  c.term = new Terminal({ disableStdin: true, rows: 24, cols: 100, scrollback: 5000, fontSize: 12 });
  c.term.open(term);
  const ws = new WebSocket(wsUrl('/ws/console/' + m.id));
  ws.binaryType = 'arraybuffer';
  ws.onmessage = e => { c.term.write(new Uint8Array(e.data)); root.dataset.consoleBytes = String(Number(root.dataset.consoleBytes || 0) + e.data.byteLength); };
  unlock.addEventListener('click', async () => {
    const want = !c.unlocked;
    const r = await fetch('/api/input/' + m.id + '?unlock=' + (want ? 1 : 0), { method: 'POST' });
    if (!r.ok) return;
    showInput(c, want);
    if (want) c.rfb.focus();
  });
  root.dataset.input = 'locked';
  if (m.unlocked) showInput(c, true); // the server unlocked it (bootcheck record)
  cards.set(m.id, c);
  return c;
}

function showInput(c, want) {
  c.unlocked = want;
  c.rfb.viewOnly = !want;
  c.screen.classList.toggle('unlocked', want);
  c.root.dataset.input = want ? 'unlocked' : 'locked';
  c.unlock.textContent = want ? 'Lock input' : 'Unlock input';
}

function update(m) {
  const c = cards.get(m.id) || card(m);
  c.root.dataset.status = m.status;
  c.status.textContent = m.status;
  c.stage.textContent = m.stage || '';
  c.steps.textContent = '';
  for (const s of m.steps) {
    const li = el('li', s.outcome === 'error' ? 'error' : '', s.action + ' ' + JSON.stringify(s.args) + ' (' + (s.durationMs / 1000).toFixed(1) + ' s)' + (s.error ? ': ' + s.error : ''));
    if (s.parent !== undefined) li.style.marginLeft = '1.2em';
    c.steps.append(li);
  }
  for (const s of m.underway || []) {
    const li = el('li', 'running', '… ' + s.action + ' ' + JSON.stringify(s.args) + ' (running for ' + (s.sinceMs / 1000).toFixed(1) + ' s)');
    if (s.parent !== undefined) li.style.marginLeft = '1.2em';
    c.steps.append(li);
  }
  c.steps.scrollTop = c.steps.scrollHeight;
  document.dispatchEvent(new CustomEvent('live-machine', { detail: { m, c } })); // the reference tools' cue
}

async function poll() {
  try {
    const r = await fetch('/api/state');
    const s = await r.json();
    document.getElementById('empty').hidden = s.machines.length > 0;
    document.getElementById('summary').textContent = '(' + s.machines.filter(m => m.running).length + ' running)';
    for (const m of s.machines) update(m);
  } catch (e) {
    document.getElementById('summary').textContent = '(the run has ended)';
  }
  setTimeout(poll, 500);
}
poll();
`
