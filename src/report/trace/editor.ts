/**
 * The reference editor of a trace page (plain browser JavaScript, as a string, run after
 * the viewer's script): drag a rectangle on a screen (the filmstrip frame or a full-size
 * attachment) to get the line to paste (`await vm.waitForScreen('name', { region })`),
 * and, when `bootcheck show-trace` serves the page (with its token), save the screen as a
 * reference with that region, add the rectangle as a mask to a reference's sidecar, or
 * accept a failed comparison's actual screen. From `file://` the buttons are disabled and
 * a note says to open the trace with `bootcheck show-trace`.
 * @module
 */

/** Where the page posts; the same as `REFERENCE_ENDPOINT` of the server. */
export const EDITOR_ENDPOINT = '/__bootcheck/reference'

/** The editor's script. */
export const EDITOR_SCRIPT = `
(() => {
  const data = JSON.parse(document.getElementById('trace-data').textContent);
  const $ = sel => document.querySelector(sel);
  const token = new URLSearchParams(location.search).get('token');
  const canWrite = /^https?:$/.test(location.protocol) && !!token;
  const box = document.createElement('div');
  box.className = 'drag-box';
  let drag = null;
  let sel = null;
  const names = $('#edit-names');
  for (const n of data.screens) { const o = document.createElement('option'); o.value = n; names.append(o); }
  if (!canWrite) {
    $('#edit-note').textContent = 'Drag a rectangle on a screen for the line to paste. To save references and masks from here, open the trace with bootcheck show-trace <run folder>: a page opened from a file cannot write files.';
    for (const b of document.querySelectorAll('#edit button, #edit input[type=checkbox]')) b.disabled = true;
  }
  const at = (img, e) => {
    const r = img.getBoundingClientRect();
    return { x: Math.min(Math.max(e.clientX - r.left, 0), r.width), y: Math.min(Math.max(e.clientY - r.top, 0), r.height) };
  };
  const place = (img, a, b) => {
    box.style.left = (img.offsetLeft + Math.min(a.x, b.x)) + 'px';
    box.style.top = (img.offsetTop + Math.min(a.y, b.y)) + 'px';
    box.style.width = Math.abs(a.x - b.x) + 'px';
    box.style.height = Math.abs(a.y - b.y) + 'px';
  };
  const rectOf = (img, a, b) => {
    const r = img.getBoundingClientRect();
    const k = img.naturalWidth / r.width * Number(img.dataset.scale || 1);
    const W = Math.round(img.naturalWidth * Number(img.dataset.scale || 1)), H = Math.round(img.naturalHeight * Number(img.dataset.scale || 1));
    const x = Math.max(0, Math.round(Math.min(a.x, b.x) * k)), y = Math.max(0, Math.round(Math.min(a.y, b.y) * k));
    return { x, y, width: Math.min(W - x, Math.round(Math.abs(a.x - b.x) * k)), height: Math.min(H - y, Math.round(Math.abs(a.y - b.y) * k)) };
  };
  document.addEventListener('pointerdown', e => {
    const img = e.target instanceof Element && e.target.closest('img[data-edit]');
    if (!img || e.button !== 0) return;
    e.preventDefault();
    drag = { img, a: at(img, e) };
    img.parentElement.append(box);
    place(img, drag.a, drag.a);
    box.hidden = false;
  });
  document.addEventListener('pointermove', e => { if (drag) place(drag.img, drag.a, at(drag.img, e)); });
  document.addEventListener('pointerup', e => {
    if (!drag) return;
    const { img, a } = drag;
    drag = null;
    const rect = rectOf(img, a, at(img, e));
    if (rect.width < 2 || rect.height < 2) { box.hidden = true; return; }
    choose(img, rect);
  });

  function choose(img, rect) {
    const step = data.steps.find(s => s.key === document.body.dataset.step);
    sel = { img, rect, src: img.getAttribute('src'), frame: img.dataset.edit === 'frame' };
    $('#edit').hidden = false;
    $('#edit-rect').textContent = rect.width + 'x' + rect.height + ' at (' + rect.x + ',' + rect.y + ')';
    $('#edit-source').textContent = sel.frame ? 'the filmstrip frame (half size; coordinates are the screen\\'s)' : 'the image ' + (img.dataset.name || '');
    if (!$('#edit-name').value) $('#edit-name').value = (step && step.screen) || data.screens[0] || 'screen';
    $('#edit-save').disabled = !canWrite || sel.frame;
    $('#edit-save').title = sel.frame ? 'A filmstrip frame is half size: drag on a full-size image (actual, last, screenshot) to save a reference' : '';
    $('#edit-status').textContent = '';
    $('#edit-status').className = '';
    code();
  }

  function code() {
    if (!sel) return;
    const n = $('#edit-name').value || 'screen';
    const r = sel.rect;
    const rc = '{ x: ' + r.x + ', y: ' + r.y + ', width: ' + r.width + ', height: ' + r.height + ' }';
    $('#edit-code').textContent = "await vm.waitForScreen('" + n + "', { region: " + rc + " })\\n" + "await vm.expectScreen('" + n + "', { mask: [" + rc + "] })";
  }

  async function post(body) {
    const status = $('#edit-status');
    status.textContent = 'Writing…';
    status.className = '';
    try {
      const res = await fetch('${EDITOR_ENDPOINT}', { method: 'POST', headers: { 'content-type': 'application/json', 'x-bootcheck-token': token }, body: JSON.stringify({ trace: decodeURIComponent(location.pathname), ...body }) });
      const answer = await res.json().catch(() => ({ error: { message: res.status + ' ' + res.statusText } }));
      if (!res.ok || answer.error) throw new Error((answer.error.code ? answer.error.code + ': ' : '') + answer.error.message);
      status.textContent = 'Wrote ' + answer.written.join(', ') + '. In the test: ' + answer.code;
      status.className = 'edit-ok';
      const name = body.name;
      if (!data.screens.includes(name)) { data.screens.push(name); const o = document.createElement('option'); o.value = name; names.append(o); }
    } catch (err) {
      status.textContent = 'Not written: ' + err.message;
      status.className = 'edit-error';
    }
  }

  $('#edit-name').addEventListener('input', code);
  $('#edit-save').addEventListener('click', () => post({ op: 'reference', name: $('#edit-name').value, image: sel.src, rect: sel.rect, replace: $('#edit-replace').checked }));
  $('#edit-mask').addEventListener('click', () => post({ op: 'mask', name: $('#edit-name').value, rect: sel.rect }));

  // On a failed comparison's actual screen: accept it as the reference.
  function onStep(s) {
    box.hidden = true;
    const fig = s.screen && document.querySelector('#attachments figure.attachment[data-name=actual]');
    if (!fig) return;
    const b = document.createElement('button');
    b.className = 'accept';
    b.textContent = "Accept as reference '" + s.screen + "'";
    b.disabled = !canWrite;
    if (!canWrite) b.title = 'Open the trace with bootcheck show-trace to write files';
    b.addEventListener('click', () => { $('#edit').hidden = false; post({ op: 'accept', name: s.screen, image: fig.querySelector('img').getAttribute('src') }); });
    fig.append(b);
  }
  document.addEventListener('trace-step', e => onStep(e.detail));
  const shown = data.steps.find(s => s.key === document.body.dataset.step);
  if (shown) onStep(shown);
  document.body.dataset.editor = canWrite ? 'write' : 'read-only';
})();
`
