/** The HTML of one machine: facts, screen mismatches side by side, log links, the transcript. */
import { basename } from 'node:path'
import type { FilmstripFrame, MachineRecord, ScreenArtifact } from '../model.js'
import { escapeAttribute as attr, escapeMarkup as esc, humanDuration } from '../text.js'
import { renderActions } from './actions.js'
import { knownCommands, renderConsoleView } from './console-view.js'
import { fileHref, imageSrc, readTranscriptTail } from './files.js'

/** What {@link renderMachine} needs to know about where and how it renders. */
export interface MachineContext {
  /** The report's folder: links and image sources are relative to it. */
  reportDir: string
  /** Transcript bytes shown (the tail). */
  transcriptBytes: number
  /** Whether the transcript starts expanded (it does for failed tests). */
  open: boolean
}

/** Renders a machine as `<section class="machine" data-machine>`. */
export function renderMachine(m: MachineRecord, ctx: MachineContext): string {
  const facts: string[] = []
  if (m.accel) facts.push(esc(m.accel))
  if (m.memoryMiB !== undefined) facts.push(`${esc(String(m.memoryMiB))} MiB`)
  const ran = duration(m.startedAt, m.endedAt)
  if (ran !== undefined) facts.push(`ran ${humanDuration(ran)}`)
  facts.push(`artifacts: <a class="artifacts-dir" href="${attr(fileHref(m.dir, ctx.reportDir))}">${esc(m.dir)}</a>`)
  return [
    `<section class="machine" data-machine="${attr(m.machine)}">`,
    `<h4>Machine <code>${esc(m.machine)}</code></h4>`,
    `<p class="machine-facts muted">${facts.join(' · ')}</p>`,
    ...m.screens.map(s => renderScreen(s, ctx.reportDir)),
    m.filmstrip?.length ? renderFilmstrip(m.filmstrip, ctx.reportDir) : '',
    renderLogs(m, ctx.reportDir),
    renderActions(m.actions ?? [], m.actionsLog, ctx.reportDir, ctx.open),
    m.transcript ? renderTranscript(m.transcript, knownCommands(m.actions ?? []), ctx) : '',
    '</section>',
  ].join('\n')
}

function renderScreen(s: ScreenArtifact, reportDir: string): string {
  const what = s.expected ? 'did not match its reference' : 'has no reference'
  const kinds = [
    ['expected', 'Expected', s.expected],
    ['actual', 'Actual', s.actual],
    ['diff', 'Difference', s.diff],
    ...(s.last ? ([['last', 'Last screenshot', s.last]] as const) : []),
  ] as const
  const figures = kinds.map(([kind, label, file]) => {
    const alt = `${label} screen '${s.name}'`
    let body: string
    if (!file) body = `<p class="missing">No ${label.toLowerCase()} image.</p>`
    else {
      const src = imageSrc(file, reportDir)
      if (src === undefined) body = `<p class="missing">Missing file ${esc(file)}</p>`
      else {
        const img = `<img src="${attr(src)}" alt="${attr(alt)}" loading="eager">`
        body = src.startsWith('data:') ? img : `<a href="${attr(src)}" target="_blank">${img}</a>`
      }
    }
    return `<figure class="screen-${kind}">${body}<figcaption>${label}${file ? ` — <code>${esc(basename(file))}</code>` : ''}</figcaption></figure>`
  })
  return [
    `<section class="screen" data-screen="${attr(s.name)}">`,
    `<h5>Screen <code>${esc(s.name)}</code> ${what}</h5>`,
    `<div class="screen-images">${figures.join('')}</div>`,
    '</section>',
  ].join('\n')
}

/**
 * The filmstrip: every kept frame with its time after the start and the console's last
 * lines then. Frames load when they come into view (`loading="lazy"`) and are decoded off
 * the page's main work (`decoding="async"`); a failed check's screens stay eager.
 */
function renderFilmstrip(frames: FilmstripFrame[], reportDir: string): string {
  const figures = frames.map(f => {
    const src = imageSrc(f.file, reportDir)
    const time = `+${(f.offsetMs / 1000).toFixed(1)} s`
    // Lazy: a suite's filmstrips are thousands of frames (--filmstrip=all), mostly in tests shown closed; eager, the load event waited for every one.
    const img = src === undefined ? `<p class="missing">Missing file ${esc(f.file)}</p>` : `<img src="${attr(src)}" alt="${attr(`Screen at ${time}`)}" loading="lazy" decoding="async">`
    const lines = f.console.length ? `<pre class="frame-console">${esc(f.console.join('\n'))}</pre>` : ''
    return `<figure class="filmstrip-frame" data-offset-ms="${attr(String(f.offsetMs))}">${img}<figcaption><span class="frame-time">${esc(time)}</span> <span class="muted">${esc(f.at.slice(11, 19))}</span>${lines}</figcaption></figure>`
  })
  return [
    `<section class="filmstrip" data-frames="${frames.length}">`,
    `<h5>Filmstrip <span class="muted">(${frames.length} frame${frames.length === 1 ? '' : 's'}: the screen whenever it changed)</span></h5>`,
    `<div class="filmstrip-frames">${figures.join('')}</div>`,
    '</section>',
  ].join('\n')
}

function renderLogs(m: MachineRecord, reportDir: string): string {
  const files: [string, string | undefined][] = [
    ['transcript', m.transcript],
    ['command', m.command],
    ['qmp', m.qmpLog],
    ['stderr', m.stderr],
    ['actions', m.actionsLog],
  ]
  const links = files.flatMap(([kind, file]) =>
    file ? [`<a class="log-${kind}" href="${attr(fileHref(file, reportDir))}">${esc(basename(file))}</a>`] : [],
  )
  for (const c of m.captures ?? []) {
    links.push(`<a class="log-pcap" data-network="${attr(c.network)}" href="${attr(fileHref(c.file, reportDir))}" title="traffic on network ${attr(c.network)} (pcap: tcpdump -r, Wireshark)">${esc(basename(c.file))}</a>`)
  }
  return links.length ? `<p class="logs">Logs: ${links.join(' ')}</p>` : ''
}

function renderTranscript(file: string, known: ReadonlyMap<string, string>, ctx: MachineContext): string {
  const tail = readTranscriptTail(file, ctx.transcriptBytes)
  const link = `<a href="${attr(fileHref(file, ctx.reportDir))}">${esc(basename(file))}</a>`
  if (!tail) return `<p class="missing transcript-missing">Transcript ${esc(file)} could not be read.</p>`
  const note = tail.omitted > 0
    ? `<p class="transcript-note muted">Showing the last ${kib(tail.size - tail.omitted)} of ${kib(tail.size)}; the whole transcript is ${link}.</p>`
    : ''
  const summary = `Console transcript <span class="muted">(${kib(tail.size)})</span>`
  if (!tail.text.length) return `<details class="transcript-block"${ctx.open ? ' open' : ''}><summary>${summary}</summary>${note}<p class="muted transcript-empty">The transcript is empty.</p></details>`
  // A newline right after <pre> is dropped by HTML parsers: double it so the first line survives.
  const lead = tail.text.startsWith('\n') ? '\n' : ''
  const clean = `<pre class="transcript transcript-clean">${lead}${renderConsoleView(tail.raw, known)}</pre>`
  const raw = `<details class="transcript-raw"><summary>Raw transcript (the command protocol's markers included)</summary><pre class="transcript">${lead}${esc(tail.text)}</pre></details>`
  return `<details class="transcript-block"${ctx.open ? ' open' : ''}><summary>${summary}</summary>${note}${clean}${raw}</details>`
}

function kib(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`
}

function duration(start?: string, end?: string): number | undefined {
  if (!start || !end) return undefined
  const ms = Date.parse(end) - Date.parse(start)
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined
}
