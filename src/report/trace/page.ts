/**
 * A trace page: one self-contained HTML file per test (inline style, script and data; its
 * images relative to it), opened from the report, from `file://` or by `bootcheck show-trace`.
 * @module
 */
import { escapeMarkup as esc, selfContainedPagePolicy } from '../text.js'
import type { TraceData } from './data.js'
import { EDITOR_SCRIPT } from './editor.js'
import { OCR_SCRIPT } from './ocr-layer.js'
import { TRACE_SCRIPT } from './viewer.js'

/** The page's one script: the viewer, then the reference editor and the OCR layer. */
const SCRIPT = TRACE_SCRIPT + EDITOR_SCRIPT + OCR_SCRIPT

/**
 * The page's Content-Security-Policy: its one script, images from its folder or inlined,
 * and requests to its own origin only (the editor's posts to `bootcheck show-trace`; a
 * `file://` page has no origin to post to).
 */
export const TRACE_CSP = selfContainedPagePolicy(SCRIPT, ["connect-src 'self'"])

const STYLE = `
:root { --ok: #1a7f37; --failed: #cf222e; --line: #d0d7de; --muted: #57606a; --panel: #f6f8fa; --hl: #fff3b0; }
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1f2328; }
header { padding: 8px 14px; border-bottom: 1px solid var(--line); }
header h1 { font-size: 17px; margin: 0; }
.badge { border-radius: 10px; padding: 1px 8px; color: #fff; background: var(--muted); font-size: 12px; }
.badge[data-status=failed], .badge[data-status=interrupted] { background: var(--failed); }
.badge[data-status=passed] { background: var(--ok); }
.muted { color: var(--muted); }
pre { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 6px; margin: 4px 0; white-space: pre-wrap; word-break: break-word; }
pre.failure-message { border-left: 4px solid var(--failed); max-height: 10em; overflow: auto; }
main.trace { display: grid; grid-template-columns: minmax(300px, 38%) 1fr; height: calc(100vh - 70px); }
#steps { list-style: none; margin: 0; padding: 0; overflow: auto; border-right: 1px solid var(--line); }
.step { position: relative; display: flex; gap: 6px; padding: 3px 6px; border-bottom: 1px solid #eee; cursor: pointer; white-space: nowrap; }
.step .bar { position: absolute; bottom: 0; height: 3px; background: #8c959f; }
.step-error .bar { background: var(--failed); }
.step-error .step-action { color: var(--failed); font-weight: bold; }
.step.selected { background: #ddf4ff; outline: 1px solid #54aeff; }
.step-head { flex: 1; overflow: hidden; text-overflow: ellipsis; }
.step-at, .step-took, .step-machine { color: var(--muted); font-size: 12px; }
.detail { overflow: auto; padding: 8px 12px; }
.detail h2 { font-size: 15px; margin: 0; font-family: ui-monospace, monospace; word-break: break-all; }
.outcome-error { color: var(--failed); }
.panes { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }
.panes h3 { font-size: 13px; margin: 8px 0 2px; }
#frame img, .attachment img { max-width: 100%; border: 1px solid var(--line); image-rendering: pixelated; }
.compare { position: relative; display: inline-block; max-width: 100%; }
.compare img { display: block; max-width: 100%; }
.compare-actual { position: absolute; left: 0; top: 0; }
.compare-slider { width: 100%; }
ul.timed { list-style: none; padding: 0; margin: 0; font: 12px ui-monospace, monospace; max-height: 12em; overflow: auto; }
#console { position: relative; max-height: 40vh; overflow: auto; font: 12px/1.35 ui-monospace, monospace; }
#console .line.protocol { color: #8c959f; }
body.hide-protocol #console .line.protocol { display: none; }
#console .line.hl { background: var(--hl); }
.console-command { font-weight: bold; color: #0550ae; }
.console-status { color: var(--failed); }
.ansi-bold { font-weight: bold; } .ansi-fg1, .ansi-fg9 { color: #cf222e; } .ansi-fg2, .ansi-fg10 { color: #1a7f37; }
#frame, figure.attachment { position: relative; }
img[data-edit] { cursor: crosshair; user-select: none; -webkit-user-drag: none; touch-action: none; }
.drag-box { position: absolute; border: 2px solid #0969da; background: rgba(9, 105, 218, 0.15); pointer-events: none; }
#edit { border: 1px solid var(--line); border-radius: 6px; padding: 6px 8px; background: var(--panel); margin: 6px 0; }
#edit pre { margin: 4px 0; }
.ocr-layer { position: absolute; pointer-events: none; }
.ocr-box { position: absolute; pointer-events: auto; padding: 0; border: 1px solid #bf3989; background: rgba(191, 57, 137, 0.12); cursor: pointer; }
.ocr-box.picked, .ocr-chip.picked { background: rgba(191, 57, 137, 0.45); }
body.hide-ocr .ocr-layer { display: none; }
.ocr-chip { font: 12px ui-monospace, monospace; margin: 1px; padding: 0 4px; border: 1px solid var(--line); border-radius: 4px; background: #fff; cursor: pointer; }
#ocr-words { max-height: 8em; overflow: auto; }
.edit-ok { color: var(--ok); } .edit-error { color: var(--failed); }
.ansi-fg3, .ansi-fg11 { color: #9a6700; } .ansi-fg4, .ansi-fg12 { color: #0969da; } .ansi-fg5, .ansi-fg13 { color: #8250df; } .ansi-fg6, .ansi-fg14 { color: #1b7c83; }
`

/** The trace page of one test. */
export function renderTracePage(data: TraceData, reportHref?: string): string {
  const json = JSON.stringify(data).replace(/</g, '\\u003c')
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${TRACE_CSP}">`,
    '<link rel="icon" href="data:,">',
    `<title>Trace: ${esc(data.test)} (${esc(data.status)})</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    `<body data-status="${esc(data.status)}">`,
    '<header>',
    `<h1>Trace <span class="badge" data-status="${esc(data.status)}">${esc(data.status)}</span> ${esc(data.test)} <span class="muted">${esc(data.file)}</span>${reportHref ? ` <a class="report-link" href="${esc(reportHref)}">report</a>` : ''}</h1>`,
    data.message ? `<pre class="failure-message">${esc(data.message)}</pre>` : '',
    '</header>',
    '<main class="trace">',
    '<ol id="steps" aria-label="Steps"></ol>',
    '<section class="detail">',
    '<h2 id="step-title"></h2><p id="step-outcome"></p>',
    '<div class="panes">',
    '<div><h3>Screen</h3><figure id="frame"></figure>',
    '<div id="ocr" hidden><p class="muted"><span id="ocr-title"></span> · <label><input type="checkbox" id="ocr-boxes" checked> boxes</label></p><div id="ocr-words"></div><pre id="ocr-code" hidden></pre></div>',
    '<p class="muted" id="edit-note">Drag a rectangle on a screen to save it as a reference, add a mask, or get the line to paste.</p>',
    '<div id="edit" hidden><p>Rectangle <code id="edit-rect"></code> on <span id="edit-source"></span></p><pre id="edit-code"></pre>',
    '<label>Reference <input id="edit-name" list="edit-names" size="16"></label><datalist id="edit-names"></datalist> ',
    '<button type="button" id="edit-save">Save as reference</button> <label><input type="checkbox" id="edit-replace"> replace</label> ',
    '<button type="button" id="edit-mask">Add as mask</button><p id="edit-status" role="status"></p></div></div>',
    '<div><h3>Commands</h3><div id="commands"></div><h3>Attachments</h3><div id="attachments"></div></div>',
    '<div><h3>QMP events</h3><ul class="timed" id="events"></ul></div>',
    '<div><h3>Network frames</h3><ul class="timed" id="packets"></ul></div>',
    '</div>',
    '<h3 id="console-title">Console</h3>',
    '<p class="muted"><span id="console-range"></span> · <label><input type="checkbox" id="hide-protocol"> hide the command protocol\'s lines</label></p>',
    '<pre id="console"></pre>',
    '</section>',
    '</main>',
    `<script type="application/json" id="trace-data">${json}</script>`,
    `<script>${SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n')
}
