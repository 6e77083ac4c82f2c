/**
 * A connection seen at both ends of a path (captures merged with --merge), drawn side by side: one
 * row per packet, in time order, with the frame and time at which each end saw it; rows one end
 * did not see, or saw rewritten, are marked — the middlebox's (or the path's) work. Long
 * connections show only the differing rows with two rows of context around each.
 */
import Table from './table.js';
import { matchConnections, type AlignedRow, type ConnectionPair, type SeenConnection, type SeenPacket } from '../analyze/cross-capture.js';
import { TCP_FLAG_NAMES } from '../capture/tcp-packet.js';
import type { ConnectionStory } from './recorder.js';
import type { Style } from './style.js';

/** A story as the matcher sees it. */
interface StoryConnection extends SeenConnection {
  story: ConnectionStory;
}

const asSeen = (story: ConnectionStory): StoryConnection => ({ client: story.summary.client, server: story.summary.server, packets: story.packets, story });

/** Every connection of capture A seen in capture B, side by side. */
export function sideBySide(s: Style, tagA: string, tagB: string, a: readonly ConnectionStory[], b: readonly ConnectionStory[]): string[] {
  const pairs = matchConnections(a.map(asSeen), b.map(asSeen));
  if (pairs.length === 0) return [s.c.dim(`no connection of ${tagA} was found in ${tagB}`)];
  return pairs.map((p) => pairText(s, tagA, tagB, p));
}

const FULL_UP_TO = 40;
const CONTEXT = 2;

function pairText(s: Style, tagA: string, tagB: string, p: ConnectionPair<StoryConnection>): string {
  const sa = p.a.story.summary;
  const sb = p.b.story.summary;
  const ep = (e: { addr: string; port: number }): string => `${e.addr}:${e.port}`;
  const c = p.counts;
  const diff = c.only_a + c.only_b + c.rewritten;
  const head =
    `${tagA} stream ${sa.stream} (${ep(sa.client)} → ${ep(sa.server)}) ↔ ${tagB} stream ${sb.stream} (${ep(sb.client)} → ${ep(sb.server)})` +
    `${p.by === 'ports' ? ', matched by ports (addresses differ: NAT?)' : ''}: ${c.both} packets seen at both ends` +
    (diff ? `, ${c.only_a} only at ${tagA}, ${c.only_b} only at ${tagB}, ${c.rewritten} rewritten` : ', nothing lost, added or rewritten');
  const dropped = p.a.story.dropped + p.b.story.dropped;
  const lines = [s.c.bold(head)];
  if (dropped) lines.push(s.c.dim(`(only the first packets of long connections were compared; ${dropped} not kept)`));
  if (!diff) return lines.join('\n');
  const t = new Table({
    style: s.color ? { head: ['cyan'], border: ['grey'] } : { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    head: [`${tagA} frame`, `${tagA} time`, 'packet', `${tagB} frame`, `${tagB} time`, ''],
  });
  for (const r of shownRows(p.rows)) {
    if (r === null) {
      t.push(['…', '', '', '…', '', '']);
      continue;
    }
    t.push([r.a ? r.a.frame : '', r.a ? r.a.time.toFixed(6) : '', describe(r), r.b ? r.b.frame : '', r.b ? r.b.time.toFixed(6) : '', note(s, r, tagA, tagB)]);
  }
  lines.push(t.toString());
  return lines.join('\n');
}

/** Every row of a short connection; of a long one, the differing rows with context (null: a gap). */
function shownRows(rows: readonly AlignedRow[]): (AlignedRow | null)[] {
  if (rows.length <= FULL_UP_TO) return rows.slice();
  const keep = new Array<boolean>(rows.length).fill(false);
  rows.forEach((r, i) => {
    if (r.kind === 'both') return;
    for (let k = Math.max(0, i - CONTEXT); k <= Math.min(rows.length - 1, i + CONTEXT); k++) keep[k] = true;
  });
  const out: (AlignedRow | null)[] = [];
  rows.forEach((r, i) => {
    if (keep[i]) out.push(r);
    else if (out[out.length - 1] !== null) out.push(null);
  });
  return out;
}

function flagText(flags: number): string {
  const names: string[] = [];
  for (let i = 0; i < TCP_FLAG_NAMES.length; i++) if (flags & (1 << i)) names.push(TCP_FLAG_NAMES[i]!);
  return names.join(', ');
}

function describe(r: AlignedRow): string {
  const p = (r.a ?? r.b)!;
  const dir = p.from === 'client' ? 'client → server' : 'server → client';
  const ack = (q: SeenPacket): string => (q.flags & 0x10 ? ` Ack=${q.ack}` : '');
  const acks = r.kind === 'rewritten' ? ` Ack=${r.a!.ack}/${r.b!.ack}` : ack(p);
  return `${dir} [${flagText(p.flags)}] Seq=${p.seq}${acks} Len=${p.len}`;
}

function note(s: Style, r: AlignedRow, tagA: string, tagB: string): string {
  switch (r.kind) {
    case 'both':
      return '';
    case 'only_a':
      return s.c.red(`only at ${tagA}`);
    case 'only_b':
      return s.c.red(`only at ${tagB}`);
    case 'rewritten':
      return s.c.magenta(`Ack rewritten (${tagA} ${r.a!.ack}, ${tagB} ${r.b!.ack})`);
  }
}
