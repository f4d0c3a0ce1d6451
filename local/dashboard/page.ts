/**
 * `GET /dashboard`: one self-contained HTML page (inline CSS and script, nothing loaded from elsewhere, a strict
 * CSP with a per-response nonce) laying out the widgets of the dashboard definition on the same 24-column grid as
 * the CloudWatch dashboard, with their titles, descriptions and notes rendered by the server. Its script draws each
 * metric widget as an SVG line chart with a legend from `GET /dashboard/data.json` (refreshed every 5 seconds,
 * `?refresh=` seconds to change), and a small table of the revocation records from `GET /revocations`.
 *
 * Every widget element carries `data-widget="<id>"`; once drawn, `data-ready="true"` and `data-lines="<n>"`;
 * each drawn line is a `path.series-line`.
 */
import { randomBytes } from 'node:crypto';
import type { DashboardData, WidgetData } from './data';
import { EVENTS_PATH } from './events';
import { SCRIPT } from './page-script';

/** Auto-refresh interval of the page, in seconds. */
export const DEFAULT_REFRESH_SECONDS = 5;
/** Pixels per height unit of the definition (CloudWatch's units are about this tall). */
const HEIGHT_UNIT_PX = 34;

export const DATA_PATH = '/dashboard/data.json';
export const PAGE_PATH = '/dashboard';
export const REVOCATIONS_PATH = '/revocations';

/** Escapes text for HTML element content and quoted attribute values. */
function esc(text: string | number): string {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page and the Content-Security-Policy that goes with it (inline code allowed by nonce only). */
export function dashboardPage(
  data: DashboardData,
  options: { refreshSeconds?: number; windowSeconds?: number } = {},
): { html: string; csp: string } {
  const nonce = randomBytes(16).toString('base64');
  const refreshMs = Math.round((options.refreshSeconds ?? DEFAULT_REFRESH_SECONDS) * 1000);
  const dataUrl = options.windowSeconds === undefined ? DATA_PATH : `${DATA_PATH}?window=${options.windowSeconds}`;
  const config = {
    dataUrl,
    revocationsUrl: REVOCATIONS_PATH,
    eventsUrl: EVENTS_PATH,
    refreshMs,
    heightUnitPx: HEIGHT_UNIT_PX,
  };
  const rows = data.rows.map((row) => `<div class="row">${row.map(widgetSkeleton).join('')}</div>`).join('\n');
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(data.title)}: local dashboard</title>
<style nonce="${nonce}">${STYLE}</style>
</head>
<body>
<header>
  <div>
    <h1>${esc(data.title)} <span class="sub">local dashboard</span></h1>
    <p class="intro">The CloudWatch dashboard's widgets, drawn from the metrics this local run emitted
      (${esc(data.periodSeconds)}-second buckets; CloudWatch uses ${esc(data.definitionPeriodSeconds / 60)}-minute periods).
      Applications: ${data.applications.map((a) => `<code>${esc(a)}</code>`).join(', ')}.</p>
  </div>
  <nav><a href="${esc(dataUrl)}">data.json</a> · <a href="${REVOCATIONS_PATH}">revocations</a> · <a href="${EVENTS_PATH}">events</a> · <span id="status" class="status">loading…</span></nav>
</header>
<main>
${rows}
<div class="row"><section class="widget span-24" id="revocations-table" data-table="revocations">
  <h2>Revocation records</h2>
  <p class="description">Who, when and why (no token material), newest first. All records, oldest first and paged: <a href="${REVOCATIONS_PATH}">${REVOCATIONS_PATH}</a>.</p>
  <table><thead><tr><th>Revoked at</th><th>User</th><th>Application</th><th>Reason</th><th>Provider confirmed</th></tr></thead>
  <tbody><tr><td colspan="5" class="empty">loading…</td></tr></tbody></table>
</section></div>
<div class="row"><section class="widget span-24" id="events-table" data-table="events">
  <h2>Connection events</h2>
  <p class="description">Lifecycle events put on the vault's event bus, newest first (no token material). All kept: <a href="${EVENTS_PATH}">${EVENTS_PATH}</a>.</p>
  <table><thead><tr><th>Time</th><th>Event</th><th>User</th><th>Application</th><th>Reason</th></tr></thead>
  <tbody><tr><td colspan="5" class="empty">loading…</td></tr></tbody></table>
</section></div>
</main>
<script nonce="${nonce}">
var CONFIG = ${JSON.stringify(config).replace(/</g, '\\u003c')};
${SCRIPT}
</script>
</body>
</html>
`;
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, csp };
}

function widgetSkeleton(widget: WidgetData): string {
  const note = widget.note
    ? `<p class="note${widget.kind === 'metric' && widget.awsOnly ? ' aws-only' : ''}">${esc(widget.note)}</p>`
    : '';
  const head = `<h2>${esc(widget.title)}</h2><p class="description">${esc(widget.description)}</p>${note}`;
  const attrs = `class="widget span-${widget.width} h-${widget.height}" data-widget="${esc(widget.id)}" data-kind="${widget.kind}"`;
  if (widget.kind === 'logs') {
    return `<section ${attrs}>${head}<p class="groups">Log groups: ${widget.logGroups.map((g) => `<code>${esc(g)}</code>`).join(' ')}</p><pre class="query">${esc(widget.query)}</pre></section>`;
  }
  return `<section ${attrs}>${head}<div class="chart"></div><ul class="legend"></ul></section>`;
}

const spans = Array.from({ length: 24 }, (_, i) => `.span-${i + 1}{grid-column:span ${i + 1}}`).join('');
const heights = Array.from({ length: 24 }, (_, i) => `.h-${i + 1}{min-height:${(i + 1) * HEIGHT_UNIT_PX}px}`).join('');

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:13px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;background:#f2f3f3;color:#16191f}
header{display:flex;justify-content:space-between;align-items:flex-start;gap:16px;padding:14px 20px 6px}
h1{margin:0;font-size:20px}
h1 .sub{font-weight:400;color:#545b64;font-size:16px}
.intro{margin:4px 0 0;color:#545b64;max-width:900px}
nav{white-space:nowrap;color:#545b64;padding-top:4px}
a{color:#0073bb}
.status.error{color:#d13212;font-weight:600}
main{padding:6px 20px 20px}
.row{display:grid;grid-template-columns:repeat(24,minmax(0,1fr));gap:10px;margin-bottom:10px}
.widget{background:#fff;border:1px solid #d5dbdb;border-radius:4px;padding:10px 12px;display:flex;flex-direction:column;min-width:0}
.widget h2{margin:0;font-size:14px}
.description{margin:2px 0 4px;color:#545b64;font-size:12px}
.note{margin:2px 0 4px;font-size:12px;color:#545b64;border-left:3px solid #879596;padding-left:6px}
.note.aws-only{border-left-color:#ff9900;color:#16191f}
.chart{flex:1 1 auto;min-height:150px;position:relative}
.chart svg{display:block;width:100%;height:100%}
.chart text{font-size:10px;fill:#687078}
.chart .grid{stroke:#e9ebed;stroke-width:1}
.chart .axis{stroke:#aab7b8;stroke-width:1}
.chart .placeholder{font-size:13px;fill:#879596}
.chart .placeholder.aws-only{fill:#c45500;font-weight:600}
.series-line{fill:none;stroke-width:2;stroke-linejoin:round;stroke-linecap:round}
.series-area{stroke:none;opacity:.18}
.legend{list-style:none;margin:6px 0 0;padding:0;display:flex;flex-wrap:wrap;gap:2px 12px;font-size:11.5px}
.legend li{display:flex;align-items:center;gap:4px;min-width:0}
.legend .swatch{display:inline-block;width:12px;height:3px;border-radius:1px}
.legend .value{color:#687078}
pre.query{margin:4px 0 0;background:#f7f7f7;border:1px solid #eaeded;padding:8px;font-size:12px;overflow:auto;flex:1 1 auto}
.groups{margin:2px 0;font-size:12px;color:#545b64}
code{font-size:12px;background:#f2f3f3;padding:0 3px;border-radius:2px}
table{border-collapse:collapse;width:100%;font-size:12px;margin-top:4px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eaeded}
th{color:#545b64;font-weight:600}
td.empty{color:#879596}
${spans}${heights}
`;
