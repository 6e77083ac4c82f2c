/** The report's CSS: system fonts only (nothing to load), colours that survive printing. */
export const STYLE = String.raw`
:root { --client: #1f5fbf; --server: #b35900; --bad: #c0182a; --warn: #b8860b; --finding: #8e24aa; --ack: #2e7d32; --win: #c9a227; --muted: #666; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: #1d1d1d; background: #fafafa; }
header { background: #23303f; color: #fff; padding: 10px 20px; }
h1 { margin: 0; font-size: 20px; font-weight: 600; }
h1 .file { font-weight: 400; opacity: .8; margin-left: .5em; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 16px; }
main { padding: 8px 20px 40px; max-width: 1280px; }
h2 { font-size: 17px; margin: 22px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 4px; }
table { border-collapse: collapse; margin: 4px 0 10px; background: #fff; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
thead th { background: #eef1f5; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.cols { display: flex; gap: 24px; flex-wrap: wrap; align-items: flex-start; }
table.kv th { background: #f4f4f4; font-weight: 500; }
#connections tr.pick { cursor: pointer; }
#connections tr.pick:hover { background: #eef4ff; }
#connections tr.current { background: #dde9ff; }
.h-broken .verdict, .v-broken { color: var(--bad); font-weight: 600; }
.h-degraded .verdict, .v-degraded { color: var(--warn); }
.h-incomplete .verdict, .v-incomplete { color: var(--muted); }
.h-ok .verdict, .v-ok { color: var(--ack); }
.finding-kind { color: var(--finding); font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.note, .hint { color: var(--muted); font-size: 13px; margin: 2px 0; }
#picker { font: inherit; margin-left: 8px; max-width: 720px; }
#conn-head { font-size: 14px; }
#conn-head .verdict { font-weight: 600; }
#explain { background: #fff; border: 1px solid #ddd; padding: 8px 8px 8px 32px; max-width: 980px; }
#explain li { margin: 3px 0; }
.chart { background: #fff; border: 1px solid #ddd; overflow-x: auto; }
.chart svg { display: block; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
.nav { margin: 4px 0; font-size: 13px; }
.nav input { width: 8em; font: inherit; }
.nav button { font: inherit; padding: 1px 10px; }
.legend { font-size: 12px; color: #333; margin: 4px 0; display: flex; gap: 14px; flex-wrap: wrap; }
.legend i { display: inline-block; width: 18px; height: 3px; vertical-align: middle; margin-right: 4px; }
svg .arrow:hover line { stroke-width: 3; }
svg .arrow:hover text.lbl { font-weight: bold; }
#findings-list li { margin: 2px 0; }
`;
