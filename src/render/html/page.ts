/**
 * The report page: capture-wide parts written here as static HTML (they read without script), the
 * per-connection parts (ladder, graph, story, connection table) drawn by the inline script from the
 * embedded JSON when a connection is picked. Nothing is loaded from anywhere: CSS, script and data
 * are inline, and the page's Content-Security-Policy forbids every request.
 */
import type { Finding } from '../../analyze/findings.js';
import { FLAG_CATALOGUE } from '../../analyze/flags.js';
import { HEALTH_ORDER } from '../../analyze/summary.js';
import type { RunEnd } from '../sink.js';
import { CLIENT_SCRIPT } from './client.js';
import { scriptJson, type ReportModel } from './model.js';
import { STYLE } from './style.js';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const esc = (s: string | number): string => String(s).replace(/[&<>"']/g, (c) => ESC[c]!);

function totals(run: RunEnd): string {
  const c = run.counts;
  const verdicts = HEALTH_ORDER.filter((k) => run.health[k]).map((k) => `<span class="v-${k}">${k}: ${run.health[k]}</span>`).join(', ') || '—';
  const rows: [string, string][] = [
    ['frames', String(c.frames)],
    ['TCP packets', String(c.tcp)],
    ['other frames (not TCP)', String(c.other)],
    ['truncated (snaplen) / malformed', `${c.truncated} / ${c.malformed}`],
    ['connections', String(run.totals.connections)],
  ];
  return `<table class="kv" id="capture-totals">${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}<tr><th>verdicts</th><td>${verdicts}</td></tr></table>`;
}

function flagTable(run: RunEnd, m: ReportModel): string {
  const flags = FLAG_CATALOGUE.map((f, i) => [f, run.totals.flagCounts[i] ?? 0] as const).filter(([, n]) => n > 0);
  const finds = m.findingInfo.map((f) => [f, run.totals.findingCounts[f.kind as keyof typeof run.totals.findingCounts] ?? 0] as const).filter(([, n]) => n > 0);
  const fr = flags.map(([f, n]) => `<tr><td>${esc(f.label)}</td><td class="num">${n}</td><td>${esc(f.description)}</td></tr>`).join('');
  const gr = finds.map(([f, n]) => `<tr><td class="finding-kind">${esc(f.kind)}</td><td class="num">${n}</td><td>${esc(f.title)}: ${esc(f.description)}</td></tr>`).join('');
  return (
    `<table id="flag-totals"><thead><tr><th>tshark flag</th><th>packets</th><th>meaning</th></tr></thead><tbody>${fr || '<tr><td colspan="3">none</td></tr>'}</tbody></table>` +
    `<table id="finding-totals"><thead><tr><th>ackscope finding</th><th>count</th><th>meaning</th></tr></thead><tbody>${gr || '<tr><td colspan="3">none</td></tr>'}</tbody></table>`
  );
}

function connectionRows(m: ReportModel): string {
  const rows = m.stories
    .map((s, i) => {
      const c = s.summary;
      return (
        `<tr data-i="${i}" class="pick h-${c.health}"><td class="num">${c.stream}</td><td>${esc(`${c.client.addr}:${c.client.port}`)}</td>` +
        `<td>${esc(`${c.server.addr}:${c.server.port}`)}</td><td class="num">${c.client.packets}/${c.server.packets}</td>` +
        `<td class="num">${c.client.bytes}/${c.server.bytes}</td><td>${esc(c.connState)}</td><td>${esc(c.closed)}</td><td class="verdict">${esc(c.verdict)}</td></tr>`
      );
    })
    .join('');
  const more = m.connections - m.stories.length;
  const note = more > 0 ? `<p class="note" id="more-note">… and ${more} more connections: the worst ${m.stories.length} are in this report (--stream N picks one).</p>` : '';
  return (
    `<table id="connections"><thead><tr><th>stream</th><th>client</th><th>server</th><th>pkts c→s/s→c</th><th>bytes c→s/s→c</th>` +
    `<th>state</th><th>how it ended</th><th>verdict</th></tr></thead><tbody>${rows}</tbody></table>${note}`
  );
}

function findingList(list: readonly Finding[]): string {
  if (!list.length) return '<p class="note">No findings.</p>';
  return `<ul id="findings-list">${list.map((f) => `<li>frame ${f.frame}, stream ${f.stream}: <span class="finding-kind">${esc(f.kind)}</span> ${esc(f.explain)}</li>`).join('')}</ul>`;
}

export function renderPage(m: ReportModel, run: RunEnd, findings: readonly Finding[]): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ackscope: ${esc(m.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>ackscope report <span class="file">${esc(m.title)}</span></h1></header>
<main>
<section id="summary"><h2>Capture</h2>
<div class="cols">${totals(run)}<div>${flagTable(run, m)}</div></div>
<h2>Connections</h2>
${connectionRows(m)}
</section>
<section id="connection">
<h2>Connection <select id="picker" aria-label="connection"></select></h2>
<div id="conn-head"></div>
<h3>What happened</h3>
<ol id="explain"></ol>
<h3>Ladder</h3>
<p class="hint">One arrow per packet, time flowing down; each side's RFC 9293 state where it changes. Hover an arrow for its packet line.</p>
<div id="ladder-nav" class="nav"></div>
<div id="ladder" class="chart"></div>
<h3>Time-sequence graph</h3>
<p class="hint">Sequence number against time for each direction (tcptrace style): data segments as bars, the peer's ACK line, the advertised-window line. Drag across the graph to zoom in.</p>
<div id="graph-nav" class="nav">from <input id="t0" type="number" step="any" size="10"> s to <input id="t1" type="number" step="any" size="10"> s
<button id="zoom-apply" type="button">zoom</button> <button id="zoom-reset" type="button">reset</button> <span id="graph-note" class="note"></span></div>
<div id="graph" class="chart"></div>
<div id="legend" class="legend"></div>
<h3>Connection table</h3>
<div id="conn-table"></div>
</section>
<section id="capture-findings"><h2>Findings (first ${findings.length})</h2>
${findingList(findings)}
</section>
</main>
<script type="application/json" id="ackscope-data">${scriptJson(m)}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}
