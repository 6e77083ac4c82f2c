/**
 * The report's page script, inlined into the page. Plain ES2017 without a library: it reads the
 * embedded JSON and draws the picked connection's ladder and time-sequence graph as SVG. Direct
 * SVG because the drawings are few and specific (two lanes of arrows, step lines and I-beams) and
 * every element must carry its packet for hovering and for the browser test; a charting library
 * would add tens of kilobytes to every report for axes we draw in forty lines.
 *
 * Bounds that keep a big capture usable: the ladder draws at most `limits.ladder` arrows per page
 * (paged, and following the graph's zoom), the graph merges points per pixel column once a panel
 * has more than `limits.graphPoints`, and all segments of a panel are one <path>.
 *
 * Written as a string (String.raw: no backquotes or dollar-brace inside).
 */
export const CLIENT_SCRIPT = String.raw`
(function () {
'use strict';
var D = JSON.parse(document.getElementById('ackscope-data').textContent);
var NS = 'http://www.w3.org/2000/svg';
// Packet fields (model.ts PacketJson).
var F = 0, T = 1, SIDE = 2, FL = 3, SEQ = 4, ACK = 5, LEN = 6, WIN = 7, MK = 8, LB = 9, FD = 10, CS = 11, SS = 12, CC = 13, SC = 14, LN = 15;
// Marks (series.ts Mark).
var M_RE = 1, M_DUP = 2, M_FIN = 4, M_RST = 8, M_SYN = 16, M_UNSEEN = 32, M_ZW = 64, M_OOO = 128, M_LOST = 256, M_FND = 512;
var FLAG_NAMES = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR', 'AE'];
var HEALTH_RANK = { broken: 0, degraded: 1, incomplete: 2, ok: 3 };
var FINDING_TITLE = {};
D.findingInfo.forEach(function (f) { FINDING_TITLE[f.kind] = f.title; });
var S = { i: 0, page: 0, z0: null, z1: null };

function $(id) { return document.getElementById(id); }
function svg(tag, attrs, parent, text) {
  var e = document.createElementNS(NS, tag);
  for (var k in attrs) e.setAttribute(k, attrs[k]);
  if (text != null) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
function html(tag, attrs, parent, text) {
  var e = document.createElement(tag);
  for (var k in attrs) e.setAttribute(k, attrs[k]);
  if (text != null) e.textContent = text;
  if (parent) parent.appendChild(e);
  return e;
}
function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }
function flagText(f) { var n = []; for (var i = 0; i < FLAG_NAMES.length; i++) if (f & (1 << i)) n.push(FLAG_NAMES[i]); return n.join(', ') || '<None>'; }
function fmtT(t) { return t.toFixed(6); }
function cur() { return D.stories[S.i]; }
function ep(e) { return e.addr + ':' + e.port; }
function span(st) { var s = st.summary; return [s.start, s.start + Math.max(s.duration, 1e-6)]; }

// ---------- picker ----------
function initPicker() {
  var p = $('picker');
  D.stories.forEach(function (st, i) {
    var s = st.summary;
    html('option', { value: String(i) }, p, 'stream ' + s.stream + ': ' + ep(s.client) + ' → ' + ep(s.server) + ' (' + s.health + ')');
  });
  p.addEventListener('change', function () { select(+p.value); });
  var rows = document.querySelectorAll('#connections tr.pick');
  for (var r = 0; r < rows.length; r++) rows[r].addEventListener('click', function () {
    select(+this.getAttribute('data-i'));
    $('connection').scrollIntoView();
  });
  $('zoom-apply').addEventListener('click', function () {
    var a = parseFloat($('t0').value), b = parseFloat($('t1').value);
    if (isFinite(a) && isFinite(b) && b > a) zoom(a, b);
  });
  $('zoom-reset').addEventListener('click', function () { zoom(null, null); });
}

function select(i) {
  if (!D.stories[i]) return;
  S.i = i; S.page = 0; S.z0 = null; S.z1 = null;
  $('picker').value = String(i);
  var rows = document.querySelectorAll('#connections tr.pick');
  for (var r = 0; r < rows.length; r++) rows[r].classList.toggle('current', +rows[r].getAttribute('data-i') === i);
  document.body.setAttribute('data-stream', String(cur().summary.stream));
  drawHead(); drawExplain(); drawLadder(); drawGraph(); drawTable();
}

function zoom(a, b) {
  S.z0 = a; S.z1 = b; S.page = 0;
  drawLadder(); drawGraph();
}

// ---------- header, story, table ----------
function drawHead() {
  var s = cur().summary, h = clear($('conn-head'));
  html('div', {}, h, 'stream ' + s.stream + ': ' + ep(s.client) + ' (client) → ' + ep(s.server) + ' (server), ' +
    (s.client.packets + s.server.packets) + ' packets, ' + s.duration.toFixed(6) + ' s');
  html('span', { 'class': 'verdict' }, html('div', { 'class': 'h-' + s.health }, h), s.verdict);
  if (cur().dropped > 0) html('div', { 'class': 'note' }, h, 'The ladder holds the first ' + cur().packets.length + ' packets (' + cur().dropped +
    ' more not kept, --stream ' + s.stream + ' alone keeps up to ' + D.limits.packetsPerConnection + '); the graph shows the whole connection.');
}

function drawExplain() {
  var ol = clear($('explain')), lines = cur().explain;
  var numbered = lines.length > 0 && lines.every(function (l) { return /^\d+[.)]\s/.test(l); });
  ol.style.listStyle = numbered ? 'none' : '';
  ol.style.paddingLeft = numbered ? '10px' : '';
  lines.forEach(function (l) { html('li', {}, ol, l); });
}

function drawTable() {
  var st = cur(), s = st.summary, box = clear($('conn-table'));
  var t = html('table', { 'class': 'kv', id: 'conn-kv' }, box);
  function row(k, v) { var tr = html('tr', {}, t); html('th', {}, tr, k); html('td', {}, tr, v); return tr; }
  row('stream', String(s.stream));
  row('start', s.start.toFixed(6) + ' s, lasted ' + s.duration.toFixed(6) + ' s, frames ' + s.firstFrame + '–' + s.lastFrame + (s.irtt != null ? ', iRTT ' + (s.irtt * 1000).toFixed(3) + ' ms' : ''));
  row('client → server', s.client.packets + ' packets, ' + s.client.bytes + ' bytes (' + s.client.wireBytes + ' on the wire), ends ' + s.client.state);
  row('server → client', s.server.packets + ' packets, ' + s.server.bytes + ' bytes (' + s.server.wireBytes + ' on the wire), ends ' + s.server.state);
  row('closed', s.closed);
  row('conn_state', s.connState + '  history ' + s.history);
  var fl = Object.keys(s.analysis).map(function (k) { return k + ': ' + s.analysis[k]; }).join(', ');
  row('tshark flags', fl || '—');
  var fd = Object.keys(s.findings).map(function (k) { return k + ': ' + s.findings[k]; }).join(', ');
  row('findings', fd || '—');
  row('verdict', s.verdict).className = 'h-' + s.health;
  t.lastChild.lastChild.className = 'verdict';
  if (st.findings.length) {
    var ul = html('ul', { id: 'conn-findings' }, box);
    st.findings.forEach(function (f) {
      var li = html('li', {}, ul, 'frame ' + f.frame + ' (' + f.by + '): ');
      html('span', { 'class': 'finding-kind' }, li, f.kind);
      li.appendChild(document.createTextNode(' ' + f.explain));
    });
  }
}

// ---------- ladder ----------
function packetsInView(st) {
  var pk = st.packets, out = [];
  for (var i = 0; i < pk.length; i++) {
    var t = pk[i][T];
    if (S.z0 != null && (t < S.z0 || t > S.z1)) continue;
    out.push(i);
  }
  return out;
}

function drawLadder() {
  var st = cur(), pk = st.packets, s = st.summary, LIM = D.limits.ladder;
  var idx = packetsInView(st);
  var pages = Math.max(1, Math.ceil(idx.length / LIM));
  if (S.page >= pages) S.page = pages - 1;
  var sel = idx.slice(S.page * LIM, S.page * LIM + LIM);
  var nav = clear($('ladder-nav'));
  if (pages > 1 || S.z0 != null) {
    var b1 = html('button', { type: 'button', id: 'ladder-prev' }, nav, '◀ earlier');
    b1.disabled = S.page === 0;
    b1.addEventListener('click', function () { S.page--; drawLadder(); });
    var b2 = html('button', { type: 'button', id: 'ladder-next' }, nav, 'later ▶');
    b2.disabled = S.page >= pages - 1;
    b2.addEventListener('click', function () { S.page++; drawLadder(); });
    html('span', { 'class': 'note' }, nav, ' packets ' + (sel.length ? (S.page * LIM + 1) + '–' + (S.page * LIM + sel.length) : '0') + ' of ' + idx.length +
      (S.z0 != null ? ' in the zoomed time range' : '') + ' (at most ' + LIM + ' arrows at once)');
  }
  var W = 980, xC = 330, xS = 790, top = 70;
  // Row heights: the arrow, plus a line for tshark's labels and one for findings; a gap row before long silences.
  var rows = [], y = top, prevT = null;
  sel.forEach(function (i) {
    var p = pk[i], gap = prevT != null && p[T] - prevT >= 0.1 ? p[T] - prevT : 0;
    if (gap) { rows.push({ gap: gap, y: y }); y += 24; }
    var marks = (p[LB].length ? 1 : 0) + p[FD].length;
    var h = 34 + 14 * marks + (marks ? 8 : 0);
    rows.push({ i: i, y: y });
    y += h;
    prevT = p[T];
  });
  var H = y + 20;
  var box = clear($('ladder'));
  var g = svg('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, id: 'ladder-svg', role: 'img', 'aria-label': 'ladder diagram' }, box);
  svg('defs', {}, g).innerHTML =
    '<marker id="ah-c" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="9" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#1f5fbf"/></marker>' +
    '<marker id="ah-s" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="9" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#b35900"/></marker>' +
    '<marker id="ah-r" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="11" markerHeight="9" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#c0182a"/></marker>';
  svg('text', { x: xC, y: 18, 'text-anchor': 'middle', 'font-weight': 'bold', fill: '#1f5fbf', 'font-size': 13 }, g, 'client ' + ep(s.client));
  svg('text', { x: xS, y: 18, 'text-anchor': 'middle', 'font-weight': 'bold', fill: '#b35900', 'font-size': 13 }, g, 'server ' + ep(s.server));
  svg('text', { x: 8, y: 18, 'font-size': 11, fill: '#666' }, g, 'frame   time (s)');
  svg('line', { x1: xC, y1: 26, x2: xC, y2: H - 6, stroke: '#1f5fbf', 'stroke-width': 2, opacity: 0.35 }, g);
  svg('line', { x1: xS, y1: 26, x2: xS, y2: H - 6, stroke: '#b35900', 'stroke-width': 2, opacity: 0.35 }, g);
  if (sel.length) {
    var first = pk[sel[0]];
    stateBox(g, xC, 44, 'end', first[CC] ? first[CC][0] : first[CS], 'client state before frame ' + first[F], 'client');
    stateBox(g, xS, 44, 'start', first[SC] ? first[SC][0] : first[SS], 'server state before frame ' + first[F], 'server');
  }
  rows.forEach(function (r) {
    if (r.gap) {
      svg('line', { x1: xC, y1: r.y + 6, x2: xS, y2: r.y + 6, stroke: '#999', 'stroke-dasharray': '3 4' }, g);
      var tx = svg('text', { x: (xC + xS) / 2, y: r.y + 10, 'text-anchor': 'middle', 'font-size': 11, fill: '#555', 'class': 'gap' }, g, ' ' + r.gap.toFixed(3) + ' s later ');
      tx.setAttribute('style', 'paint-order: stroke; stroke: #fff; stroke-width: 4px;');
      return;
    }
    drawArrow(g, pk[r.i], r.y, xC, xS);
  });
}

function stateBox(g, x, y, anchor, name, why, cls) {
  var w = name.length * 7.4 + 12, x0 = anchor === 'end' ? x - 10 - w : x + 10;
  var b = svg('g', { 'class': 'state ' + cls }, g);
  svg('title', {}, b, why);
  svg('rect', { x: x0, y: y - 12, width: w, height: 17, rx: 4, fill: '#f1f4f9', stroke: '#8796aa' }, b);
  svg('text', { x: x0 + 6, y: y + 1, 'font-size': 12, fill: '#23303f' }, b, name);
}

function drawArrow(g, p, y, xC, xS) {
  var fromC = p[SIDE] === 0, x1 = fromC ? xC : xS, x2 = fromC ? xS : xC;
  var bad = (p[MK] & (M_RE | M_UNSEEN | M_DUP | M_LOST | M_OOO | M_ZW)) || p[FD].length;
  var col = fromC ? '#1f5fbf' : '#b35900';
  var a = svg('g', { 'class': 'arrow' + (bad ? ' bad' : ''), 'data-frame': p[F], 'data-side': fromC ? 'client' : 'server' }, g);
  var tip = p[LN];
  p[FD].forEach(function (f) { tip += '\n↳ ' + f[0] + ': ' + f[1]; });
  if (p[CC]) tip += '\n· client ' + p[CC][0] + ' → ' + p[CC][1] + ' (' + p[CC][2] + ')';
  if (p[SC]) tip += '\n· server ' + p[SC][0] + ' → ' + p[SC][1] + ' (' + p[SC][2] + ')';
  svg('title', {}, a, tip);
  var y1 = y + 9, y2 = y + 24;
  // A wide invisible line under the arrow: easy to hover.
  svg('line', { x1: x1, y1: y1, x2: x2, y2: y2, stroke: 'transparent', 'stroke-width': 14, 'class': 'hit' }, a);
  svg('line', { x1: x1, y1: y1, x2: x2 + (fromC ? -2 : 2), y2: y2, stroke: p[FL] & 4 ? '#c0182a' : col, 'stroke-width': bad ? 2.2 : 1.5,
    'marker-end': 'url(#ah-' + (p[FL] & 4 ? 'r' : fromC ? 'c' : 's') + ')', 'class': 'shaft', 'pointer-events': 'none' }, a);
  svg('text', { x: 8, y: y + 19, 'font-size': 11, fill: '#555' }, a, String(p[F]).padStart(5, ' ') + '  ' + fmtT(p[T]));
  var lbl = '[' + flagText(p[FL]) + '] Seq=' + p[SEQ] + (p[FL] & 16 ? ' Ack=' + p[ACK] : '') + ' Win=' + p[WIN] + ' Len=' + p[LEN];
  var tl = svg('text', { x: (xC + xS) / 2, y: y + 4, 'text-anchor': 'middle', 'font-size': 11.5, fill: '#222', 'class': 'lbl' }, a, lbl);
  tl.setAttribute('style', 'paint-order: stroke; stroke: #fff; stroke-width: 4px;');
  var yy = y + 40;
  if (p[LB].length) {
    var badLbl = p[MK] & (M_RE | M_UNSEEN | M_LOST | M_OOO | M_ZW | M_DUP);
    svg('text', { x: (xC + xS) / 2, y: yy, 'text-anchor': 'middle', 'font-size': 11.5, fill: badLbl ? '#c0182a' : '#8a6d00', 'class': 'mark',
      'data-label': p[LB].join('|') }, a, p[LB].map(function (l) { return '[' + l + ']'; }).join(' '));
    yy += 14;
  }
  p[FD].forEach(function (f) {
    svg('text', { x: (xC + xS) / 2, y: yy, 'text-anchor': 'middle', 'font-size': 11.5, fill: '#8e24aa', 'font-weight': 'bold', 'class': 'finding', 'data-kind': f[0] },
      a, '⚑ ' + f[0] + ': ' + (FINDING_TITLE[f[0]] || ''));
    yy += 14;
  });
  if (p[CC]) stateBox(g, xC, y + 20, 'end', p[CC][1], 'client ' + p[CC][0] + ' → ' + p[CC][1] + ' (' + p[CC][2] + ')', 'client');
  if (p[SC]) stateBox(g, xS, y + 20, 'start', p[SC][1], 'server ' + p[SC][0] + ' → ' + p[SC][1] + ' (' + p[SC][2] + ')', 'server');
}

// ---------- time-sequence graph ----------
// A point: {t0, t1, lo, hi, ack, edge, mk, n, i}; lo/hi -1 without data, ack/edge -1 without ACK; i the packet index or -1.
function pointsFromPackets(st, side) {
  var out = [];
  st.packets.forEach(function (p, i) {
    if (p[SIDE] !== side) return;
    var occ = p[LEN] + (p[FL] & 2 ? 1 : 0) + (p[FL] & 1 ? 1 : 0);
    var hasAck = (p[FL] & 16) !== 0;
    out.push({ t0: p[T], t1: p[T], lo: occ ? p[SEQ] : -1, hi: occ ? p[SEQ] + occ : -1, seq: p[SEQ], ack: hasAck ? p[ACK] : -1,
      edge: hasAck ? p[ACK] + p[WIN] : -1, mk: p[MK], n: 1, i: i });
  });
  return out;
}
function pointsFromSeries(a) {
  var out = [];
  for (var k = 0; k + 7 < a.length; k += 8)
    out.push({ t0: a[k], t1: a[k + 1], lo: a[k + 2], hi: a[k + 3], seq: a[k + 2], ack: a[k + 4], edge: a[k + 5], mk: a[k + 6], n: a[k + 7], i: -1 });
  return out;
}
/** Merge points into at most one per pixel column (x from t0). */
function bucket(pts, t0, t1, cols) {
  if (pts.length <= D.limits.graphPoints) return pts;
  var out = [], last = null, lastCol = -1;
  pts.forEach(function (p) {
    var c = Math.floor((p.t0 - t0) / (t1 - t0) * cols);
    if (c !== lastCol || !last) {
      last = { t0: p.t0, t1: p.t1, lo: p.lo, hi: p.hi, seq: p.seq, ack: p.ack, edge: p.edge, mk: p.mk, n: p.n, i: -1 };
      out.push(last); lastCol = c; return;
    }
    last.t1 = p.t1;
    if (p.lo >= 0 && (last.lo < 0 || p.lo < last.lo)) last.lo = p.lo;
    if (p.hi > last.hi) last.hi = p.hi;
    if (p.ack > last.ack) last.ack = p.ack;
    if (p.edge > last.edge) last.edge = p.edge;
    last.mk |= p.mk; last.n += p.n;
  });
  return out;
}
function niceTicks(a, b, n) {
  var span = b - a; if (!(span > 0)) return [a];
  var step = Math.pow(10, Math.floor(Math.log10(span / n))), err = span / n / step;
  if (err >= 7.5) step *= 10; else if (err >= 3.5) step *= 5; else if (err >= 1.5) step *= 2;
  var out = [];
  for (var v = Math.ceil(a / step) * step; v <= b + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

function drawGraph() {
  var st = cur(), full = span(st);
  var t0 = S.z0 != null ? S.z0 : full[0], t1 = S.z1 != null ? S.z1 : full[1];
  if (S.z0 == null) { var pad = (t1 - t0) * 0.02; t0 -= pad; t1 += pad; }
  $('t0').value = t0.toFixed(6); $('t1').value = t1.toFixed(6);
  var lastKept = st.packets.length ? st.packets[st.packets.length - 1][T] : -Infinity;
  var useSeries = st.series && !(S.z0 != null && t1 <= lastKept);
  $('graph-note').textContent = useSeries ? 'overview of the whole connection: each point stands for several packets; zoom into the first ' + lastKept.toFixed(3) + ' s for single packets' : '';
  var box = clear($('graph'));
  [0, 1].forEach(function (side) {
    var mine = useSeries ? pointsFromSeries(side === 0 ? st.series.client : st.series.server) : pointsFromPackets(st, side);
    var peer = useSeries ? pointsFromSeries(side === 0 ? st.series.server : st.series.client) : pointsFromPackets(st, 1 - side);
    panel(box, st, side, mine, peer, t0, t1);
  });
  drawLegend();
}

function panel(box, st, side, mine, peer, t0, t1) {
  var W = 980, H = 250, L = 84, R = 16, TOP = 26, B = 30, pw = W - L - R, ph = H - TOP - B;
  var s = st.summary, who = side === 0 ? 'client' : 'server', other = side === 0 ? 'server' : 'client';
  function inT(p) { return p.t1 >= t0 && p.t0 <= t1; }
  var data = bucket(mine.filter(function (p) { return inT(p) && (p.lo >= 0 || (p.mk & (M_RST | M_FIN))); }), t0, t1, pw);
  var acks = bucket(peer.filter(function (p) { return inT(p) && p.ack >= 0; }), t0, t1, pw);
  // The ACK line starts from the last ACK before the range.
  var before = null;
  peer.forEach(function (p) { if (p.t1 < t0 && p.ack >= 0) before = p; });
  var lo = Infinity, hi = -Infinity, maxEdge = -Infinity;
  data.forEach(function (p) { if (p.lo >= 0) { lo = Math.min(lo, p.lo); hi = Math.max(hi, p.hi); } else { lo = Math.min(lo, p.seq); hi = Math.max(hi, p.seq); } });
  acks.forEach(function (p) { lo = Math.min(lo, p.ack); hi = Math.max(hi, p.ack); maxEdge = Math.max(maxEdge, p.edge); });
  if (before) { lo = Math.min(lo, before.ack); hi = Math.max(hi, before.ack); }
  if (!isFinite(lo)) { lo = 0; hi = 1; }
  // Room above for the FIN/RST tags; the window edge is drawn clipped when it is far above the data.
  var padY = Math.max(1, (hi - lo) * 0.08); lo -= padY; hi += Math.max(2, (hi - lo) * 0.16);
  function X(t) { return L + (t - t0) / (t1 - t0) * pw; }
  function Y(v) { return TOP + ph - (v - lo) / (hi - lo) * ph; }
  var g = svg('svg', { width: W, height: H, 'class': 'tsg', id: 'graph-' + who, 'data-side': who }, box);
  svg('text', { x: L, y: 16, 'font-size': 13, 'font-weight': 'bold', fill: side === 0 ? '#1f5fbf' : '#b35900' }, g,
    who + ' → ' + other + ': ' + who + "'s sequence numbers (" + (side === 0 ? s.client.bytes : s.server.bytes) + ' bytes), ' + other + "'s ACKs and window");
  var clipId = 'clip-' + who;
  svg('clipPath', { id: clipId }, svg('defs', {}, g)).appendChild(svg('rect', { x: L, y: TOP, width: pw, height: ph }));
  svg('rect', { x: L, y: TOP, width: pw, height: ph, fill: '#fcfcfd', stroke: '#bbb' }, g);
  niceTicks(t0, t1, 8).forEach(function (t) {
    svg('line', { x1: X(t), y1: TOP, x2: X(t), y2: TOP + ph, stroke: '#eee' }, g);
    svg('text', { x: X(t), y: TOP + ph + 14, 'text-anchor': 'middle', 'font-size': 10.5, fill: '#444' }, g, String(t));
  });
  svg('text', { x: L + pw, y: H - 3, 'text-anchor': 'end', 'font-size': 10.5, fill: '#666' }, g, 'time (s)');
  niceTicks(lo, hi, 5).forEach(function (v) {
    if (v !== Math.round(v)) return;
    svg('line', { x1: L, y1: Y(v), x2: L + pw, y2: Y(v), stroke: '#eee' }, g);
    svg('text', { x: L - 5, y: Y(v) + 3, 'text-anchor': 'end', 'font-size': 10.5, fill: '#444' }, g, String(v));
  });
  svg('text', { x: 12, y: TOP + ph / 2, 'font-size': 10.5, fill: '#666', transform: 'rotate(-90 12 ' + (TOP + ph / 2) + ')', 'text-anchor': 'middle' }, g, 'relative seq');
  var ov = svg('rect', { x: L, y: TOP, width: pw, height: ph, fill: 'transparent', 'class': 'zoom-overlay', style: 'cursor: crosshair' }, g);
  var c = svg('g', { 'clip-path': 'url(#' + clipId + ')' }, g);
  if (maxEdge > hi) svg('text', { x: L, y: H - 3, 'font-size': 10.5, fill: '#9a7a10', 'class': 'win-note' }, g,
    'window edge above the scale (up to ' + maxEdge + ')');
  // ACK line and window line: steps, one path each.
  function steps(key) {
    var d = '', prev = null;
    var list = before ? [before].concat(acks) : acks;
    list.forEach(function (p, k) {
      var x = Math.max(X(p.t0), L - 1), y = Y(p[key]);
      d += k === 0 ? 'M' + x.toFixed(1) + ' ' + y.toFixed(1) : 'H' + x.toFixed(1) + 'V' + y.toFixed(1);
      prev = p;
    });
    if (prev) d += 'H' + (L + pw).toFixed(1);
    return d;
  }
  if (acks.length || before) {
    svg('path', { d: steps('edge'), fill: 'none', stroke: '#c9a227', 'stroke-width': 1.5, 'class': 'winline' }, c);
    svg('path', { d: steps('ack'), fill: 'none', stroke: '#2e7d32', 'stroke-width': 1.5, 'class': 'ackline' }, c);
  }
  // Segments as I-beams: one path for ordinary ones; retransmissions each marked (their own element, hoverable).
  var d = '', MAXMARK = 300, nRe = 0;
  var reD = '';
  data.forEach(function (p) {
    if (p.lo < 0) return;
    var x = X(p.t0).toFixed(1), ya = Y(p.lo).toFixed(1), yb = Y(p.hi).toFixed(1);
    var beam = 'M' + x + ' ' + ya + 'V' + yb + 'M' + (x - 2.5) + ' ' + ya + 'h5M' + (x - 2.5) + ' ' + yb + 'h5';
    if (p.mk & M_RE) {
      if (nRe++ < MAXMARK) {
        var m = svg('g', { 'class': 'gmark retrans', 'data-frame': p.i >= 0 ? st.packets[p.i][F] : '' }, c);
        svg('title', {}, m, tipOf(st, p, 'retransmission'));
        svg('path', { d: beam, stroke: '#c0182a', 'stroke-width': 2.2, fill: 'none' }, m);
        svg('circle', { cx: x, cy: ((Y(p.lo) + Y(p.hi)) / 2).toFixed(1), r: 5, fill: 'none', stroke: '#c0182a', 'stroke-width': 1.5 }, m);
      } else reD += beam;
    } else d += beam;
  });
  svg('path', { d: d, stroke: side === 0 ? '#1f5fbf' : '#b35900', 'stroke-width': 1.3, fill: 'none', 'class': 'segments' }, c);
  if (reD) svg('path', { d: reD, stroke: '#c0182a', 'stroke-width': 2, fill: 'none', 'class': 'retrans-more' }, c);
  // Marks on the peer's ACKs: duplicate ACKs, ACKs of unseen data.
  var nDup = 0, nUn = 0;
  acks.forEach(function (p) {
    var x = X(p.t0), y = Y(p.ack);
    if ((p.mk & M_DUP) && nDup++ < MAXMARK) {
      var m = svg('g', { 'class': 'gmark dupack', 'data-frame': p.i >= 0 ? st.packets[p.i][F] : '' }, c);
      svg('title', {}, m, tipOf(st, p, 'duplicate ACK'));
      svg('path', { d: 'M' + x + ' ' + (y - 5) + 'l5 5l-5 5l-5 -5z', fill: '#2e7d32', opacity: 0.8 }, m);
    }
    if ((p.mk & M_UNSEEN) && nUn++ < MAXMARK) {
      var u = svg('g', { 'class': 'gmark unseen', 'data-frame': p.i >= 0 ? st.packets[p.i][F] : '' }, c);
      svg('title', {}, u, tipOf(st, p, 'ACK of data never seen (beyond what was sent)'));
      svg('circle', { cx: x, cy: y, r: 7, fill: 'none', stroke: '#8e24aa', 'stroke-width': 2.2 }, u);
    }
  });
  // FIN and RST of this side, at its sequence number; tags unclipped, they may stand above the plot.
  data.forEach(function (p) {
    if (p.t1 < t0 || p.t1 > t1) return;
    if (!(p.mk & (M_FIN | M_RST))) return;
    var x = X(p.t1), yv = p.hi >= 0 ? p.hi : p.seq;
    if (p.mk & M_FIN) {
      var f = svg('g', { 'class': 'gmark fin', 'data-frame': p.i >= 0 ? st.packets[p.i][F] : '' }, g);
      svg('title', {}, f, tipOf(st, p, 'FIN'));
      svg('rect', { x: x - 8, y: Y(yv) - 22, width: 16, height: 14, rx: 2, fill: '#23303f' }, f);
      svg('text', { x: x, y: Y(yv) - 11, 'text-anchor': 'middle', 'font-size': 10.5, fill: '#fff', 'font-weight': 'bold' }, f, 'F');
    }
    if (p.mk & M_RST) {
      var r = svg('g', { 'class': 'gmark rst', 'data-frame': p.i >= 0 ? st.packets[p.i][F] : '' }, g);
      svg('title', {}, r, tipOf(st, p, 'RST'));
      svg('path', { d: 'M' + (x - 6) + ' ' + (Y(yv) - 6) + 'l12 12m0 -12l-12 12', stroke: '#c0182a', 'stroke-width': 3 }, r);
      svg('text', { x: x - 9, y: Y(yv) - 9, 'text-anchor': 'end', 'font-size': 10.5, fill: '#c0182a', 'font-weight': 'bold' }, r, 'RST');
    }
  });
  // Drag to zoom: the selection is shown over the plot, drags start on the overlay under the marks
  // (so that hovering a mark still shows its packet).
  var sel = svg('rect', { x: 0, y: TOP, width: 0, height: ph, fill: '#1f5fbf', opacity: 0.15, visibility: 'hidden', 'pointer-events': 'none' }, g);
  var startX = null;
  function px(ev) { return Math.min(L + pw, Math.max(L, ev.clientX - g.getBoundingClientRect().left)); }
  ov.addEventListener('mousedown', function (ev) { startX = px(ev); sel.setAttribute('visibility', 'visible'); sel.setAttribute('x', startX); sel.setAttribute('width', 0); ev.preventDefault(); });
  g.addEventListener('mousemove', function (ev) {
    if (startX == null) return;
    var x = px(ev); sel.setAttribute('x', Math.min(x, startX)); sel.setAttribute('width', Math.abs(x - startX));
  });
  function up(ev) {
    if (startX == null) return;
    var x = px(ev), a = Math.min(x, startX), b = Math.max(x, startX);
    startX = null; sel.setAttribute('visibility', 'hidden');
    if (b - a < 4) return;
    zoom(t0 + (a - L) / pw * (t1 - t0), t0 + (b - L) / pw * (t1 - t0));
  }
  g.addEventListener('mouseup', up);
  g.addEventListener('mouseleave', up);
}

function tipOf(st, p, what) {
  if (p.i >= 0) {
    var q = st.packets[p.i], s = what + '\n' + q[LN];
    q[FD].forEach(function (f) { s += '\n↳ ' + f[0] + ': ' + f[1]; });
    return s;
  }
  return what + ' among ' + p.n + ' packets, ' + fmtT(p.t0) + '–' + fmtT(p.t1) + ' s';
}

function drawLegend() {
  var l = clear($('legend'));
  [['#1f5fbf', 'client data (bar: first to last byte)'], ['#b35900', 'server data'], ['#2e7d32', 'ACK line (what the peer acknowledged)'],
    ['#c9a227', 'window edge (ACK + advertised window)'], ['#c0182a', 'retransmission (circled), RST (✕)'], ['#8e24aa', 'ACK of bytes never seen (ringed)']]
    .forEach(function (x) { var s = html('span', {}, l); html('i', { style: 'background:' + x[0] }, s); s.appendChild(document.createTextNode(x[1])); });
  var s2 = html('span', {}, l, '◆ duplicate ACK   F FIN');
}

initPicker();
// The worst connection first (stories are in stream order), or the one named in the URL (#stream=N).
var want = /stream=(\d+)/.exec(location.hash), start = 0;
D.stories.forEach(function (st, i) {
  if (want ? st.summary.stream === +want[1] : HEALTH_RANK[st.summary.health] < HEALTH_RANK[D.stories[start].summary.health]) start = i;
});
if (D.stories.length) select(start);
else $('connection').style.display = 'none';
})();
`;
