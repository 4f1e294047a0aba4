/** The HTML of a machine's step log: a timeline of its actions, nested, with times and outcomes. */
import { basename } from 'node:path'
import type { ActionRecord } from '../model.js'
import { escapeAttribute as attr, escapeMarkup as esc, humanDuration } from '../text.js'
import { fileHref } from './files.js'

/** Renders the steps as `<details class="actions">` with one table row per action, indented by nesting. */
export function renderActions(actions: ActionRecord[], log: string | undefined, reportDir: string, open: boolean): string {
  if (actions.length === 0) return ''
  const depth = new Map<number, number>()
  for (const a of actions) depth.set(a.id, a.parent === undefined ? 0 : (depth.get(a.parent) ?? 0) + 1)
  const rows = actions.map(a => {
    const indent = depth.get(a.id) ?? 0
    const files = (a.attachments ?? [])
      .map(f => `<a class="action-file" href="${attr(fileHref(f.path, reportDir))}">${esc(f.name)}: ${esc(basename(f.path))}</a>`)
      .join(' ')
    const outcome = a.outcome === 'ok' ? esc(a.result ?? 'ok') : esc(a.error ?? 'error')
    return [
      `<tr class="action action-${attr(String(a.outcome))}" data-action="${attr(a.action)}" data-depth="${indent}">`,
      `<td class="action-at">+${esc(seconds(a.offsetMs))}</td>`,
      `<td class="action-name" style="padding-left:${0.4 + indent * 1.2}em"><code>${esc(a.action)}</code></td>`,
      `<td class="action-args"><code>${esc(describeArgs(a.args))}</code></td>`,
      `<td class="action-took">${esc(humanDuration(a.durationMs))}</td>`,
      `<td class="action-outcome">${outcome}${files ? ` ${files}` : ''}</td>`,
      '</tr>',
    ].join('')
  })
  const link = log ? ` <a class="log-actions" href="${attr(fileHref(log, reportDir))}">${esc(basename(log))}</a>` : ''
  const failed = actions.filter(a => a.outcome === 'error' && a.parent === undefined).length
  const summary = `Steps <span class="muted">(${actions.length}${failed ? `, ${failed} failed` : ''})</span>`
  return [
    `<details class="actions-block"${open ? ' open' : ''}><summary>${summary}${link}</summary>`,
    '<table class="actions"><thead><tr><th>at</th><th>action</th><th>arguments</th><th>took</th><th>outcome</th></tr></thead><tbody>',
    ...rows,
    '</tbody></table></details>',
  ].join('\n')
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

function describeArgs(args: Record<string, unknown>): string {
  const entries = Object.entries(args)
  if (entries.length === 1 && typeof entries[0]![1] === 'string') return entries[0]![1] as string
  return entries.map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ')
}
