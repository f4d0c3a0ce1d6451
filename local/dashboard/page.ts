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
export function dashboardPage(data: DashboardData, options: { refreshSeconds?: number; windowSeconds?: number } = {}): { html: string; csp: string } {
  const nonce = randomBytes(16).toString('base64');
  const refreshMs = Math.round((options.refreshSeconds ?? DEFAULT_REFRESH_SECONDS) * 1000);
  const dataUrl = options.windowSeconds === undefined ? DATA_PATH : `${DATA_PATH}?window=${options.windowSeconds}`;
  const config = { dataUrl, revocationsUrl: REVOCATIONS_PATH, eventsUrl: EVENTS_PATH, refreshMs, heightUnitPx: HEIGHT_UNIT_PX };
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
  const note = widget.note ? `<p class="note${widget.kind === 'metric' && widget.awsOnly ? ' aws-only' : ''}">${esc(widget.note)}</p>` : '';
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

/**
 * The page's script (plain ES2017, no dependencies). Builds every DOM node with createElement and textContent:
 * data never becomes markup.
 */
const SCRIPT = String.raw`
(function () {
  'use strict';
  var SVG = 'http://www.w3.org/2000/svg';
  var PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
  var COUNTING = { Sum: true, SampleCount: true };
  var last = null;
  var refreshes = 0;

  function svg(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function html(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function pad(n) { return n < 10 ? '0' + n : String(n); }
  function clock(ms, seconds) {
    var d = new Date(ms);
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + (seconds ? ':' + pad(d.getSeconds()) : '');
  }
  /** Axis: a step of 1, 2 or 5 times a power of ten (whole numbers for whole data), about 4 steps up to max. */
  function axis(max, whole) {
    if (!(max > 0)) return { step: whole ? 1 : 0.25, top: 1 };
    var raw = max / 4;
    var p = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 5, 10].map(function (s) { return s * p; }).filter(function (s) { return s >= raw; })[0];
    if (whole) step = Math.max(1, Math.round(step));
    return { step: step, top: Math.ceil(max / step - 1e-9) * step };
  }
  function fmt(v) {
    if (v === null || v === undefined) return '–';
    if (Math.abs(v) >= 10000) return (Math.round(v / 100) / 10) + 'k';
    if (Number.isInteger(v)) return String(v);
    return String(Math.round(v * 100) / 100);
  }

  function drawMetric(section, widget, timestamps) {
    var chart = section.querySelector('.chart');
    var legend = section.querySelector('.legend');
    var W = Math.max(200, chart.clientWidth), H = Math.max(120, chart.clientHeight);
    var m = { l: 38, r: 8, t: 8, b: 20 };
    var iw = W - m.l - m.r, ih = H - m.t - m.b;
    var n = timestamps.length;
    var lines = widget.lines;
    var stacked = widget.stacked;
    var below = timestamps.map(function () { return 0; });
    var plotted = lines.map(function (line) {
      var top = line.values.map(function (v, i) { return stacked ? below[i] + (v || 0) : v; });
      var bottom = below.slice();
      if (stacked) below = top.slice();
      return { line: line, top: top, bottom: bottom };
    });
    var max = 0, whole = true;
    plotted.forEach(function (p) {
      p.top.forEach(function (v) {
        if (v === null) return;
        if (v > max) max = v;
        if (!Number.isInteger(v)) whole = false;
      });
    });
    var ax = axis(max, whole);
    var yMax = ax.top;
    function x(i) { return m.l + (n <= 1 ? iw : (i * iw) / (n - 1)); }
    function y(v) { return m.t + ih - (v / yMax) * ih; }

    var root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, width: W, height: H, role: 'img', 'aria-label': widget.title });
    for (var t = 0; t * ax.step <= yMax + 1e-9; t++) {
      var value = t * ax.step;
      root.appendChild(svg('line', { class: t === 0 ? 'axis' : 'grid', x1: m.l, x2: W - m.r, y1: y(value), y2: y(value) }));
      root.appendChild(svg('text', { x: m.l - 4, y: y(value) + 3, 'text-anchor': 'end' }, fmt(value)));
    }
    [0, Math.floor((n - 1) / 2), n - 1].forEach(function (i, k) {
      if (i < 0 || timestamps[i] === undefined) return;
      var anchor = k === 0 ? 'start' : k === 2 ? 'end' : 'middle';
      root.appendChild(svg('text', { x: x(i), y: H - 5, 'text-anchor': anchor }, clock(timestamps[i], false)));
    });

    legend.textContent = '';
    plotted.forEach(function (p, index) {
      var color = PALETTE[index % PALETTE.length];
      var pts = [];
      p.top.forEach(function (v, i) { if (v !== null) pts.push([x(i), y(v), i]); });
      if (stacked && pts.length > 0) {
        var area = 'M' + pts.map(function (q) { return q[0].toFixed(1) + ' ' + q[1].toFixed(1); }).join(' L');
        for (var j = pts.length - 1; j >= 0; j--) area += ' L' + pts[j][0].toFixed(1) + ' ' + y(p.bottom[pts[j][2]]).toFixed(1);
        root.appendChild(svg('path', { class: 'series-area', d: area + ' Z', fill: color }));
      }
      if (pts.length > 0) {
        var d = 'M' + pts.map(function (q) { return q[0].toFixed(1) + ' ' + q[1].toFixed(1); }).join(' L');
        if (pts.length === 1) d += ' L' + pts[0][0].toFixed(1) + ' ' + pts[0][1].toFixed(1);
        var path = svg('path', { class: 'series-line', d: d, stroke: color, 'data-label': p.line.label });
        path.appendChild(svg('title', {}, p.line.label + ' (' + p.line.stat + ')'));
        root.appendChild(path);
        // Datapoints without a neighbour (sparse samples such as a sweep's ActiveTokens) get a visible dot.
        pts.forEach(function (q) {
          var i = q[2];
          var before = p.top[i - 1], after = p.top[i + 1];
          if ((before === null || before === undefined) && (after === null || after === undefined)) {
            root.appendChild(svg('circle', { class: 'series-point', cx: q[0].toFixed(1), cy: q[1].toFixed(1), r: 3, fill: color }));
          }
        });
      }
      var present = p.line.values.filter(function (v) { return v !== null; });
      var summary = COUNTING[p.line.stat]
        ? 'total ' + fmt(present.reduce(function (a, b) { return a + b; }, 0))
        : present.length > 0 ? 'last ' + fmt(present[present.length - 1]) : 'no data';
      var item = html('li');
      var swatch = html('span', 'swatch');
      swatch.style.background = color;
      item.appendChild(swatch);
      item.appendChild(html('span', 'label', p.line.label));
      item.appendChild(html('span', 'value', summary));
      item.title = p.line.stat + ' of ' + p.line.namespace + ' ' + p.line.metric;
      legend.appendChild(item);
    });
    if (lines.length === 0) {
      var text = widget.awsOnly ? 'AWS only' : 'No data yet';
      root.appendChild(svg('text', { class: 'placeholder' + (widget.awsOnly ? ' aws-only' : ''), x: m.l + iw / 2, y: m.t + ih / 2, 'text-anchor': 'middle' }, text));
    }
    chart.textContent = '';
    chart.appendChild(root);
    section.setAttribute('data-lines', String(lines.length));
    section.setAttribute('data-ready', 'true');
  }

  function draw(data) {
    data.rows.forEach(function (row) {
      row.forEach(function (widget) {
        var section = document.querySelector('[data-widget="' + widget.id + '"]');
        if (!section) return;
        if (widget.kind === 'metric') drawMetric(section, widget, data.timestamps);
        else section.setAttribute('data-ready', 'true');
      });
    });
  }

  function fetchJson(url) {
    return fetch(url, { cache: 'no-store', headers: { accept: 'application/json' } }).then(function (res) {
      if (!res.ok) throw new Error(url.split('?')[0] + ': HTTP ' + res.status);
      return res.json();
    });
  }

  /** Up to 10 pages of 100 records; the table shows the newest 15. */
  function loadRevocations() {
    var records = [];
    function page(cursor, left) {
      var url = CONFIG.revocationsUrl + '?limit=100' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : '');
      return fetchJson(url).then(function (body) {
        records = records.concat(body.records);
        if (body.cursor && left > 1) return page(body.cursor, left - 1);
        return !!body.cursor;
      });
    }
    return page(undefined, 10).then(function (more) {
      var tbody = document.querySelector('[data-table="revocations"] tbody');
      tbody.textContent = '';
      var shown = records.slice().reverse().slice(0, 15);
      if (shown.length === 0) {
        var empty = html('tr');
        var cell = html('td', 'empty', 'No revocations yet.');
        cell.colSpan = 5;
        empty.appendChild(cell);
        tbody.appendChild(empty);
      }
      shown.forEach(function (r) {
        var tr = html('tr');
        [new Date(r.revokedAt).toLocaleString(), r.userId, r.applicationId, r.reason, r.providerConfirmed ? 'yes' : 'no (retrying)'].forEach(function (v) {
          tr.appendChild(html('td', '', String(v)));
        });
        tbody.appendChild(tr);
      });
      var section = document.querySelector('[data-table="revocations"]');
      section.setAttribute('data-rows', String(records.length) + (more ? '+' : ''));
      section.setAttribute('data-ready', 'true');
    });
  }

  /** The newest 20 lifecycle events. */
  function loadEvents() {
    return fetchJson(CONFIG.eventsUrl + '?limit=20').then(function (body) {
      var tbody = document.querySelector('[data-table="events"] tbody');
      tbody.textContent = '';
      var shown = body.events.slice().reverse();
      if (shown.length === 0) {
        var empty = html('tr');
        var cell = html('td', 'empty', 'No events yet.');
        cell.colSpan = 5;
        empty.appendChild(cell);
        tbody.appendChild(empty);
      }
      shown.forEach(function (e) {
        var d = e.detail;
        var reason = d.reason || d.failureClass || (e.detailType === 'Connection Connected' ? d.via : '') || d.providerRevocation || '';
        var tr = html('tr');
        [new Date(d.time).toLocaleString(), e.detailType, d.userId, d.applicationId, reason].forEach(function (v) {
          tr.appendChild(html('td', '', String(v)));
        });
        tbody.appendChild(tr);
      });
      var section = document.querySelector('[data-table="events"]');
      section.setAttribute('data-rows', String(body.events.length));
      section.setAttribute('data-ready', 'true');
    });
  }

  function refresh() {
    var status = document.getElementById('status');
    return Promise.all([fetchJson(CONFIG.dataUrl), loadRevocations(), loadEvents()]).then(function (results) {
      last = results[0];
      draw(last);
      refreshes += 1;
      document.body.setAttribute('data-refreshes', String(refreshes));
      status.className = 'status';
      status.textContent = 'updated ' + clock(Date.parse(last.generatedAt), true) + ', every ' + CONFIG.refreshMs / 1000 + ' s';
    }).catch(function (err) {
      status.className = 'status error';
      status.textContent = 'update failed: ' + (err && err.message ? err.message : String(err));
    });
  }

  var resizeTimer;
  window.addEventListener('resize', function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { if (last) draw(last); }, 150);
  });
  refresh();
  setInterval(refresh, CONFIG.refreshMs);
})();
`;
