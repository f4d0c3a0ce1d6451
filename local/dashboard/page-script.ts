/**
 * The page's script (plain ES2017, no dependencies). Builds every DOM node with createElement and textContent:
 * data never becomes markup.
 */
export const SCRIPT = String.raw`
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
  /** A table's only row when it has nothing to show: one cell across all columns. */
  function emptyRow(text, columns) {
    var row = html('tr');
    var cell = html('td', 'empty', text);
    cell.colSpan = columns;
    row.appendChild(cell);
    return row;
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
      if (shown.length === 0) tbody.appendChild(emptyRow('No revocations yet.', 5));
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
      if (shown.length === 0) tbody.appendChild(emptyRow('No events yet.', 5));
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
