/** The run's reports: the results model, JUnit XML and the static HTML report. */
export type * from './model.js'
export { renderJUnit, className, type JUnitOptions } from './junit.js'
export { renderHtml, writeHtmlReport, type HtmlOptions } from './html.js'
