/**
 * The live view's reference tools, a script added to its page: on each machine's card,
 * **Take the screen** holds QEMU's screendump of that moment over the live screen (the
 * guest runs on; what is held is what will be saved), a rectangle dragged on it (the live
 * view's drag module) gives the line to paste, and **Save as reference** / **Add as mask**
 * write the files beside the test file, through the server with the token in a header.
 * A machine no test file owns has the button disabled, with the reason beside it.
 * @module
 */

/** The script (an ES module, served as /assets/references.js). */
export const REFERENCES_SCRIPT = `
import { dragOverlay } from '/assets/drag.js';
const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
const token = new URLSearchParams(location.search).get('token');
const style = el('style');
style.textContent = \`
.refs { margin: 6px 0 0; display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
.ref-reason { color: #57606a; font-size: 12px; }
.ref-shot { position: absolute; z-index: 5; image-rendering: pixelated; }
.ref-form { flex-basis: 100%; display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
.ref-code { flex-basis: 100%; font: 12px ui-monospace, monospace; background: #f6f8fa; margin: 0; padding: 4px; white-space: pre-wrap; }
.ref-status { flex-basis: 100%; font: 12px ui-monospace, monospace; white-space: pre-wrap; }
.ref-status.ref-error { color: #cf222e; }
.ref-status.ref-ok { color: #1a7f37; }
\`;
document.head.append(style);

const tools = new Map();

async function post(path, body) {
  const r = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-bootcheck-token': token || '' }, body: JSON.stringify(body || {}) });
  const answer = await r.json().catch(() => ({ error: { message: 'HTTP ' + r.status + ': ' + r.statusText } }));
  if (!r.ok || answer.error) throw new Error((answer.error.code ? answer.error.code + ': ' : '') + answer.error.message);
  return answer;
}

const rectCode = r => '{ x: ' + r.x + ', y: ' + r.y + ', width: ' + r.width + ', height: ' + r.height + ' }';

function setup(m, c) {
  const bar = el('div', 'refs');
  const take = el('button', 'ref-take', 'Take the screen for a reference');
  take.title = "Holds QEMU's screendump of this moment over the live screen; drag a rectangle on it";
  const reason = el('span', 'ref-reason');
  const form = el('div', 'ref-form');
  form.hidden = true;
  bar.append(take, reason, form);
  c.root.append(bar);
  const t = { m, c, bar, take, reason, form, held: null, rect: null };
  take.addEventListener('click', () => hold(t));
  return t;
}

/** The live screen's place in the card's screen area, for the held image to cover it exactly. */
function cover(c, img) {
  const canvas = c.screen.querySelector('canvas');
  const s = c.screen.getBoundingClientRect();
  const r = canvas && canvas.getBoundingClientRect();
  if (!r || !r.width) { img.style.left = '0'; img.style.top = '0'; img.style.width = '100%'; return; }
  img.style.left = (r.left - s.left) + 'px';
  img.style.top = (r.top - s.top) + 'px';
  img.style.width = r.width + 'px';
  img.style.height = r.height + 'px';
}

async function hold(t) {
  const { c, form, m } = t;
  release(t);
  form.hidden = false;
  form.textContent = 'Taking the screen…';
  try {
    const shot = await post('/api/screen/' + m.id);
    const img = el('img', 'ref-shot');
    img.alt = 'the screen held';
    await new Promise((ok, no) => { img.onload = ok; img.onerror = () => no(new Error('the held screen did not load')); img.src = shot.src; });
    cover(c, img);
    c.screen.append(img);
    t.held = { shot, img, overlay: dragOverlay(c.screen, () => img, rect => chosen(t, rect), 'ref-overlay') };
    c.root.dataset.ref = 'held';
    form.textContent = '';
    const back = el('button', 'ref-release', 'Back to the live screen');
    back.addEventListener('click', () => release(t));
    t.status = el('span', 'ref-status');
    t.status.textContent = 'Held: QEMU\\'s screen at ' + new Date().toLocaleTimeString() + ' (' + shot.width + 'x' + shot.height + '). Drag a rectangle on it.';
    form.append(back, t.status);
  } catch (e) {
    form.textContent = '';
    t.status = el('span', 'ref-status ref-error', 'Not taken: ' + e.message);
    form.append(t.status);
  }
}

function release(t) {
  if (t.held) { t.held.img.remove(); t.held.overlay.remove(); }
  t.held = null;
  t.rect = null;
  t.form.hidden = true;
  t.form.textContent = '';
  delete t.c.root.dataset.ref;
}

function chosen(t, rect) {
  t.rect = rect;
  const { form } = t;
  for (const e of form.querySelectorAll('.ref-fields')) e.remove();
  const fields = el('span', 'ref-fields');
  const name = el('input', 'ref-name');
  name.placeholder = 'reference name';
  name.value = t.name || '';
  const replace = el('input', 'ref-replace');
  replace.type = 'checkbox';
  const label = el('label');
  label.append(replace, ' replace');
  const save = el('button', 'ref-save', 'Save as reference');
  const mask = el('button', 'ref-mask', 'Add as mask');
  const code = el('pre', 'ref-code');
  const show = () => {
    const n = name.value || 'name';
    code.textContent = "await vm.waitForScreen('" + n + "', { region: " + rectCode(rect) + " })\\nawait vm.expectScreen('" + n + "', { mask: [" + rectCode(rect) + '] })';
  };
  name.addEventListener('input', () => { t.name = name.value; show(); });
  const write = async body => {
    t.status.className = 'ref-status';
    t.status.textContent = 'Writing…';
    try {
      const a = await post('/api/reference/' + t.m.id, { name: name.value, rect, ...body });
      t.status.textContent = 'Wrote ' + a.written.join(', ') + '. In the test: ' + a.code;
      t.status.className = 'ref-status ref-ok';
    } catch (e) {
      t.status.textContent = 'Not written: ' + e.message;
      t.status.className = 'ref-status ref-error';
    }
  };
  save.addEventListener('click', () => write({ op: 'reference', shot: t.held.shot.shot, replace: replace.checked }));
  mask.addEventListener('click', () => write({ op: 'mask' }));
  fields.append('Rectangle ' + rect.width + 'x' + rect.height + ' at (' + rect.x + ', ' + rect.y + '), name: ', name, label, save, mask, code);
  form.insertBefore(fields, t.status);
  show();
  name.focus();
}

document.addEventListener('live-machine', e => {
  const { m, c } = e.detail;
  const t = tools.get(m.id) || tools.set(m.id, setup(m, c)).get(m.id);
  const why = m.references && m.references.unavailable;
  const off = why || (!token && 'open the live view with the URL bootcheck printed (its token is needed to write)');
  t.take.disabled = !!off;
  t.reason.textContent = off ? 'Unavailable: ' + off : 'References go beside ' + m.references.file;
  c.root.dataset.references = off ? 'unavailable' : 'available';
});
`
