/**
 * The script of a trace page (plain browser JavaScript, as a string): reads the trace's
 * JSON, draws the timeline of steps and, for the step under the cursor (or chosen with
 * the keys), its console lines highlighted in the transcript, its commands as the clean
 * view shows them, the filmstrip frame nearest in time, QMP events and network frames in
 * its window, and its attachments (expected and actual on one slider). Opens at the failed
 * step, or at the step named in the URL's `#step=`. No network, no eval: it runs from
 * `file://` under the page's Content-Security-Policy.
 * @module
 */
export const TRACE_SCRIPT = `
(() => {
  const data = JSON.parse(document.getElementById('trace-data').textContent);
  const $ = sel => document.querySelector(sel);
  const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };
  const t0 = Math.min(...data.steps.map(s => s.start));
  const t1 = Math.max(...data.steps.map(s => s.end), t0 + 1);
  const secs = ms => (ms / 1000).toFixed(1) + ' s';
  const byKey = new Map(data.steps.map(s => [s.key, s]));
  let shownMachine = -1;
  let current;

  function drawTimeline() {
    const list = $('#steps');
    for (const s of data.steps) {
      const row = el('li', 'step step-' + s.outcome);
      row.dataset.key = s.key;
      row.tabIndex = 0;
      row.style.paddingLeft = (0.3 + s.depth * 1.1) + 'em';
      const bar = el('span', 'bar');
      bar.style.left = ((s.start - t0) / (t1 - t0) * 100) + '%';
      bar.style.width = Math.max(0.5, (s.end - s.start) / (t1 - t0) * 100) + '%';
      const head = el('span', 'step-head');
      head.append(el('span', 'step-at', '+' + secs(s.start - t0)), ' ', el('code', 'step-action', s.action), ' ', el('span', 'step-args', s.args));
      if (data.machines.length > 1) head.append(' ', el('span', 'step-machine', data.machines[s.machine].name));
      row.append(bar, head, el('span', 'step-took', secs(s.end - s.start)));
      row.addEventListener('mouseenter', () => select(s.key, false));
      row.addEventListener('click', () => select(s.key, true));
      row.addEventListener('focus', () => select(s.key, false));
      list.append(row);
    }
    list.addEventListener('keydown', e => {
      if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
      const rows = [...list.children];
      const i = rows.findIndex(r => r.dataset.key === current) + (e.key === 'ArrowDown' ? 1 : -1);
      if (rows[i]) { rows[i].focus(); e.preventDefault(); }
    });
  }

  function drawConsole(m) {
    if (shownMachine === m) return;
    shownMachine = m;
    const pre = $('#console');
    pre.textContent = '';
    const machine = data.machines[m];
    $('#console-title').textContent = 'Console of ' + machine.name + (machine.omitted ? ' (its last part: ' + machine.omitted + ' bytes before are in console.log)' : '');
    const frag = document.createDocumentFragment();
    for (const l of machine.lines) {
      const line = el('span', 'line' + (l.p ? ' protocol' : ''));
      line.dataset.o = l.o;
      line.dataset.n = l.n;
      line.innerHTML = l.h + '\\n';
      frag.append(line);
    }
    pre.append(frag);
  }

  function highlight(s) {
    const lines = document.querySelectorAll('#console .line');
    let first;
    for (const l of lines) {
      const o = Number(l.dataset.o), end = o + Number(l.dataset.n);
      const on = !!s.console && o < s.console.to && end > s.console.from;
      l.classList.toggle('hl', on);
      if (on && !first) first = l;
    }
    $('#console-range').textContent = s.console ? 'bytes ' + s.console.from + '–' + s.console.to + (first ? '' : ' (nothing printed)') : 'no console offsets recorded for this step';
    // Scroll the transcript alone (the page stays where the step's details are).
    if (first) { const pre = $('#console'); pre.scrollTop = Math.max(0, first.offsetTop - pre.clientHeight / 3); }
  }

  function drawFrame(s, m) {
    const frames = m.frames;
    const box = $('#frame');
    box.textContent = '';
    if (!frames.length) { box.append(el('p', 'muted', 'No filmstrip frames (kept for failed tests, or all with --filmstrip=all).')); return; }
    let best = frames[0];
    for (const f of frames) if (f.at <= s.end) best = f;
    const img = el('img');
    img.src = best.src;
    img.alt = 'Screen at +' + secs(best.at - t0);
    img.dataset.edit = 'frame';
    img.dataset.scale = '2';
    box.append(img, el('figcaption', 'muted', 'Screen at +' + secs(best.at - t0) + ' (the frame nearest the end of the step)'));
  }

  function drawTimed(id, items, s, line, none) {
    const box = $(id);
    box.textContent = '';
    const inside = items.filter(x => x.at >= s.start - 5 && x.at <= s.end + 5);
    if (!inside.length) { box.append(el('li', 'muted', none)); return; }
    for (const x of inside.slice(0, 500)) box.append(el('li', '', '+' + secs(x.at - t0) + ' ' + line(x)));
    if (inside.length > 500) box.append(el('li', 'muted', (inside.length - 500) + ' more'));
  }

  function drawCommands(s, m) {
    const box = $('#commands');
    box.textContent = '';
    for (const k of s.markers) {
      const c = m.commands[k];
      if (!c) continue;
      const pre = el('pre', 'command');
      pre.append(el('span', 'console-command', '# ' + c.c), '\\n');
      const out = el('span');
      out.innerHTML = c.h;
      pre.append(out);
      if (c.s !== undefined && c.s !== 0) pre.append(el('span', 'console-status', 'exit status ' + c.s));
      box.append(pre);
    }
  }

  function drawAttachments(s) {
    const box = $('#attachments');
    box.textContent = '';
    const by = Object.fromEntries(s.attachments.map(a => [a.name, a]));
    if (by.expected && by.expected.src && by.actual && by.actual.src) {
      const cmp = el('div', 'compare');
      const a = el('img', 'compare-expected'); a.src = by.expected.src; a.alt = 'expected';
      const b = el('img', 'compare-actual'); b.src = by.actual.src; b.alt = 'actual';
      const slider = el('input', 'compare-slider');
      slider.type = 'range'; slider.min = '0'; slider.max = '100'; slider.value = '50';
      slider.setAttribute('aria-label', 'expected ← → actual');
      const clip = () => { b.style.clipPath = 'inset(0 0 0 ' + slider.value + '%)'; };
      slider.addEventListener('input', clip);
      clip();
      cmp.append(a, b);
      box.append(el('p', 'muted', 'Expected (left of the line) and actual (right): drag the slider.'), cmp, slider);
    }
    for (const f of s.attachments) {
      const fig = el('figure', 'attachment');
      fig.dataset.name = f.name;
      if (f.src) { const img = el('img'); img.src = f.src; img.alt = f.name; img.dataset.edit = 'attachment'; img.dataset.name = f.name; fig.append(img); }
      const cap = el('figcaption');
      const link = el('a', '', f.name); link.href = f.href;
      cap.append(link);
      fig.append(cap);
      box.append(fig);
    }
  }

  function select(key, pin) {
    const s = byKey.get(key);
    if (!s || (current === key && !pin)) return;
    current = key;
    for (const r of document.querySelectorAll('#steps .step')) r.classList.toggle('selected', r.dataset.key === key);
    const m = data.machines[s.machine];
    $('#step-title').textContent = s.action + ' ' + s.args;
    $('#step-outcome').textContent = (s.outcome === 'error' ? 'failed: ' : '') + (s.result || s.outcome) + ' · +' + secs(s.start - t0) + ' for ' + secs(s.end - s.start) + ' on ' + m.name;
    $('#step-outcome').className = 'outcome-' + s.outcome;
    drawConsole(s.machine);
    highlight(s);
    drawCommands(s, m);
    drawFrame(s, m);
    drawTimed('#events', m.events, s, x => x.event + (x.data ? ' ' + x.data : ''), 'No QMP events in this step.');
    drawTimed('#packets', m.packets, s, x => '[' + x.network + '] ' + x.text, 'No network frames in this step.');
    drawAttachments(s);
    document.body.dataset.step = key;
    document.dispatchEvent(new CustomEvent('trace-step', { detail: s }));
    if (pin) history.replaceState(null, '', '#step=' + encodeURIComponent(key));
  }

  $('#hide-protocol').addEventListener('change', e => document.body.classList.toggle('hide-protocol', e.target.checked));
  drawTimeline();
  const wanted = decodeURIComponent((location.hash.match(/step=([^&]+)/) || [])[1] || '');
  const start = byKey.has(wanted) ? wanted : data.focus || (data.steps[0] && data.steps[0].key);
  if (start) {
    select(start, false);
    const row = document.querySelector('#steps .step.selected');
    if (row) row.scrollIntoView({ block: 'center' });
  } else $('#step-title').textContent = 'This test has no steps.';
  document.body.dataset.ready = 'true';
})();
`
