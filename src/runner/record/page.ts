/**
 * The live view's recording tools (`bootcheck record`), a script added to the live view's
 * page: on the recorded machine's card, "Wait for a screen region" (the guest pauses, a
 * rectangle is dragged on the screen and named: a reference the test waits for), "Wait
 * for a text" (the guest pauses; a text or regular expression, typed or picked from the
 * screen's OCR lines), "Stop and write the test", and the recorded steps as code.
 * @module
 */

/** The script (an ES module, served as /assets/record.js beside the live view's own). */
export const RECORD_SCRIPT = `
import { dragOverlay } from '/assets/drag.js';
const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
const style = el('style');
style.textContent = \`
.rec { margin: 6px 0 0; display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
.rec-form { flex-basis: 100%; display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
.rec-lines { flex-basis: 100%; display: flex; flex-direction: column; align-items: flex-start; font: 12px ui-monospace, monospace; }
.rec-lines button { font: inherit; text-align: left; }
.rec-status { font: 12px ui-monospace, monospace; white-space: pre-wrap; }
.rec-status.error { color: #cf222e; }
.rec-code { flex-basis: 100%; font: 12px ui-monospace, monospace; background: #f6f8fa; margin: 0; padding: 4px; max-height: 14em; overflow: auto; }
\`;
document.head.append(style);

let recording = null;
const tools = new Map();

async function post(action, id, body) {
  const r = await fetch('/api/record/' + action + '/' + id, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body || {}) });
  const answer = await r.json().catch(() => ({ error: 'HTTP ' + r.status }));
  if (!r.ok) throw new Error(answer.error || 'HTTP ' + r.status);
  return answer;
}

function setup(id, c) {
  const bar = el('div', 'rec');
  const region = el('button', 'rec-region', 'Wait for a screen region');
  const text = el('button', 'rec-text', 'Wait for a text');
  const resume = el('button', 'rec-resume', 'Resume');
  resume.title = 'After a mark the guest stays paused until your next key or click; this lets it run without one';
  const stop = el('button', 'rec-stop', 'Stop and write the test');
  const status = el('span', 'rec-status');
  const form = el('div', 'rec-form');
  form.hidden = true;
  const code = el('pre', 'rec-code');
  bar.append(region, text, resume, stop, status, form, code);
  c.root.append(bar);
  const t = { id, c, bar, region, text, resume, stop, status, form, code, busy: false };
  t.say = (msg, error) => { status.textContent = msg; status.classList.toggle('error', !!error); };
  t.done = () => { form.hidden = true; form.textContent = ''; c.screen.querySelector('.rec-overlay')?.remove(); t.busy = false; };
  const cancel = async () => { t.done(); await post('resume', id).catch(e => t.say(e.message, true)); t.say('cancelled'); };
  t.buttons = (save) => {
    const ok = el('button', 'rec-save', 'Save');
    const no = el('button', 'rec-cancel', 'Cancel');
    ok.addEventListener('click', save);
    no.addEventListener('click', cancel);
    return [ok, no];
  };
  resume.addEventListener('click', async () => { await post('resume', id).then(() => t.say('running'), e => t.say(e.message, true)); });
  region.addEventListener('click', () => markRegion(t));
  text.addEventListener('click', () => markText(t));
  stop.addEventListener('click', async () => {
    try { const a = await post('stop', id); t.say('written: ' + a.written); } catch (e) { t.say(e.message, true); }
  });
  return t;
}

const field = (cls, placeholder, value) => { const i = el('input', cls); i.placeholder = placeholder; i.value = value || ''; return i; };

/** Pauses the guest; true when it did. */
async function pause(t) {
  if (t.busy) return false;
  t.busy = true;
  try { await post('pause', t.id); return true; } catch (e) { t.busy = false; t.say(e.message, true); return false; }
}

async function markRegion(t) {
  const { c, form, say, id } = t;
  if (!(await pause(t))) return;
  {
    say('the guest is paused: drag a rectangle over what to wait for');
    dragOverlay(c.screen, () => c.screen.querySelector('canvas'), rect => {
      form.textContent = '';
      const name = field('rec-name', 'reference name', 'screen-' + ((recording ? recording.code.filter(l => l.includes('waitForScreen(')).length : 0) + 1));
      form.append('Region ' + rect.width + 'x' + rect.height + ' at (' + rect.x + ', ' + rect.y + '), name: ', name, ...t.buttons(async () => {
        try { const a = await post('screen', id, { name: name.value, region: rect }); t.done(); say(a.code + (a.paused ? '  (paused until your next key or click, or Resume)' : '')); } catch (err) { say(err.message, true); }
      }));
      form.hidden = false;
      name.focus();
      name.select();
    }, 'rec-overlay');
  }
}

async function markText(t) {
  const { form, say, id } = t;
  if (!(await pause(t))) return;
  {
    say('the guest is paused: type the text to wait for, or pick a line the screen shows');
    form.textContent = '';
    const pattern = field('rec-pattern', 'text, or a regular expression');
    const regex = el('input', 'rec-regex');
    regex.type = 'checkbox';
    const label = el('label');
    label.append(regex, ' regular expression');
    const read = el('button', 'rec-read', 'Read the screen');
    const lines = el('div', 'rec-lines');
    read.addEventListener('click', async () => {
      lines.textContent = 'reading…';
      try {
        const a = await post('read', id);
        lines.textContent = '';
        for (const l of a.lines) { const b = el('button', 'rec-line', l); b.addEventListener('click', () => { pattern.value = l; regex.checked = false; }); lines.append(b); }
      } catch (e) { lines.textContent = e.message; }
    });
    form.append(pattern, label, read, ...t.buttons(async () => {
      say('checking the screen…');
      try { const a = await post('text', id, { pattern: pattern.value, regex: regex.checked }); t.done(); say(a.code + (a.paused ? '  (paused until your next key or click, or Resume)' : '')); } catch (err) { say(err.message, true); }
    }), lines);
    form.hidden = false;
    pattern.focus();
  }
}

async function poll() {
  try {
    const s = await (await fetch('/api/state')).json();
    recording = s.recording || null;
    const c = recording && window.bootcheckLive?.cards.get(recording.machine);
    if (c) {
      const t = tools.get(recording.machine) || tools.set(recording.machine, setup(recording.machine, c)).get(recording.machine);
      t.code.textContent = recording.code.join('\\n') || '(nothing recorded yet: type, click, or mark what to wait for)';
      t.code.scrollTop = t.code.scrollHeight;
      c.root.dataset.recording = recording.written ? 'written' : recording.paused ? 'paused' : 'recording';
      t.resume.disabled = !recording.paused || t.busy;
      if (recording.paused && !t.busy && !t.status.textContent) t.say('the guest is paused: press Resume, or a key on the screen, to let it run');
      if (recording.written) for (const b of [t.region, t.text, t.resume, t.stop]) b.disabled = true;
    }
  } catch (e) {
    // the recorder has ended
  }
  setTimeout(poll, 500);
}
poll();
`
