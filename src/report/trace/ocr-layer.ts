/**
 * The OCR layer of a trace page (plain browser JavaScript, as a string, run after the
 * viewer's script): for a step whose OCR pass was recorded (`screenText`, `waitForText`,
 * `clickText` attach the words they read and the screen they read), the words' boxes drawn
 * over that screen (else a timed-out wait's `last screen`, else the filmstrip frame), and
 * the words listed; clicking one shows `await vm.clickText(/word/)`.
 * @module
 */

/** The OCR layer's script. */
export const OCR_SCRIPT = `
(() => {
  const $ = sel => document.querySelector(sel);
  const esc = w => w.replace(/[.*+?^\${}()|[\\]\\\\/]/g, '\\\\$&');
  const show = word => {
    $('#ocr-code').hidden = false;
    $('#ocr-code').textContent = 'await vm.clickText(/' + esc(word) + '/)';
    for (const b of document.querySelectorAll('.ocr-word')) b.classList.toggle('picked', b.dataset.word === word);
  };
  const button = (cls, w) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'ocr-word ' + cls;
    b.dataset.word = w.t;
    b.title = w.t;
    b.addEventListener('click', () => show(w.t));
    return b;
  };
  function layer(img, r) {
    const div = document.createElement('div');
    div.className = 'ocr-layer';
    const fit = () => { div.style.left = img.offsetLeft + 'px'; div.style.top = img.offsetTop + 'px'; div.style.width = img.offsetWidth + 'px'; div.style.height = img.offsetHeight + 'px'; };
    for (const w of r.words) {
      const b = button('ocr-box', w);
      b.style.left = (w.x / r.width * 100) + '%';
      b.style.top = (w.y / r.height * 100) + '%';
      b.style.width = (w.w / r.width * 100) + '%';
      b.style.height = (w.h / r.height * 100) + '%';
      div.append(b);
    }
    img.parentElement.append(div);
    if (img.complete) fit(); else img.addEventListener('load', fit);
    addEventListener('resize', fit);
  }
  function onStep(s) {
    for (const old of document.querySelectorAll('.ocr-layer')) old.remove();
    const list = $('#ocr-words');
    list.textContent = '';
    $('#ocr-code').hidden = true;
    $('#ocr').hidden = !s.ocr;
    if (!s.ocr) return;
    const img = document.querySelector('#attachments figure[data-name="ocr screen"] img') || document.querySelector('#attachments figure[data-name="last screen"] img') || document.querySelector('#frame img');
    if (img) layer(img, s.ocr);
    for (const w of s.ocr.words) { const b = button('ocr-chip', w); b.textContent = w.t; list.append(b); }
    $('#ocr-title').textContent = 'Words read by OCR (' + s.ocr.words.length + ')' + (img ? ', boxed on the screen' : '') + ': click one for its clickText line';
  }
  $('#ocr-boxes').addEventListener('change', e => document.body.classList.toggle('hide-ocr', !e.target.checked));
  const data = JSON.parse(document.getElementById('trace-data').textContent);
  document.addEventListener('trace-step', e => onStep(e.detail));
  const shown = data.steps.find(s => s.key === document.body.dataset.step);
  if (shown) onStep(shown);
})();
`
