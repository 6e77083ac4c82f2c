/**
 * tcptrace's per-connection numbers (stats.ts) equal `tcptrace -n -l -r`'s (Debian's 6.6.7) on every
 * sample and every capture fixture tcptrace can read, connection by connection and direction by
 * direction, except for the differences written down in DELIBERATE and in the README.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeJson } from './helpers/cli.js';
import { FIXTURES, SAMPLES } from './helpers/paths.js';
import { num, tcptraceAvailable, tcptraceConnections, type TcptraceConn } from './helpers/tcptrace.js';

/**
 * Captures tcptrace 6.6.7 cannot read (whole or in part): nothing to compare.
 */
const UNREADABLE: Record<string, string> = {
  'any-sll2.pcap': 'Linux cooked v2 (link type 276) is unknown to tcptrace',
  'multi-iface.pcapng': "libpcap refuses a pcapng whose interfaces' link types differ",
  'two-sections.pcapng': 'libpcap stops at the second section header block; tcptrace sees only the first section',
};

/**
 * Where ackscope deliberately differs from tcptrace, by "file#connection dir field", with the reason.
 */
const EPOCH_FRAME =
  'frame 3 has no timestamp (a pcapng Simple Packet Block: time 0, the epoch). tcptrace takes a time of 0 for ' +
  '"no packet yet" and starts a new connection at the RST that answers it; ackscope keeps the 4-tuple one connection, ' +
  'so the SYN/RST-ACK pair gives an RTT sample 56 years long';
const DELIBERATE: Record<string, string> = {
  'packet-kinds.pcapng#2 a2b rtt.samples': EPOCH_FRAME,
  'packet-kinds.pcapng#2 a2b handshakeRtt': EPOCH_FRAME,
  'packet-kinds.pcapng#2 b2a packets': EPOCH_FRAME,
  'packet-kinds.pcapng#3 connection': EPOCH_FRAME,
  'packet-kinds.pcapng connections': EPOCH_FRAME,
};

interface Side {
  addr: string;
  port: number;
  stats: Record<string, unknown> & {
    window: { min: number; avg: number; max: number } | null;
    rtt: { samples: number; min: number; avg: number; max: number; stddev: number } | null;
  };
}

function captures(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && e.name !== 'malformed') out.push(...captures(p));
    else if (/\.(pcap|pcapng|cap)(\.gz)?$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

const endpoint = (s: Side): string => (s.addr.includes(':') ? `${s.addr}.${s.port}` : `${s.addr}:${s.port}`);

/** Differences between our direction `ours` and tcptrace's column `col`, as "field: ours vs theirs". */
function compareDirection(ours: Side['stats'], col: Map<string, string>, duration: number): [string, string][] {
  const d: [string, string][] = [];
  const eq = (field: string, a: number, b: number, tol = 0): void => {
    if (Number.isNaN(b)) return;
    if (!(Math.abs(a - b) <= tol)) d.push([field, `${a} vs ${b}`]);
  };
  const o = ours as unknown as Record<string, number>;
  eq('packets', o.packets!, num(col, 'total packets'));
  eq('dataPackets', o.dataPackets!, num(col, 'actual data pkts'));
  eq('dataBytes', o.dataBytes!, num(col, 'actual data bytes'));
  eq('uniqueBytes', o.uniqueBytes!, num(col, 'unique bytes sent'));
  eq('retransmittedPackets', o.retransmittedPackets!, num(col, 'rexmt data pkts'));
  eq('retransmittedBytes', o.retransmittedBytes!, num(col, 'rexmt data bytes'));
  eq('outOfOrderPackets', o.outOfOrderPackets!, num(col, 'outoforder pkts'));
  eq('zeroWindowProbes', o.zeroWindowProbes!, num(col, 'zwnd probe pkts'));
  eq('zeroWindowAdverts', o.zeroWindowAdverts!, num(col, 'zero win adv'));
  eq('duplicateAcks', o.duplicateAcks!, num(col, 'duplicate acks'));
  eq('tripleDuplicateAcks', o.tripleDuplicateAcks!, num(col, 'triple dupacks'));
  const w = ours.window ?? { min: 0, avg: 0, max: 0 };
  eq('window.max', w.max, num(col, 'max win adv'));
  eq('window.min', w.min, num(col, 'min win adv'));
  // tcptrace prints the average truncated, ours is rounded.
  eq('window.avg', w.avg, num(col, 'avg win adv'), 1);
  const r = ours.rtt;
  const samples = num(col, 'RTT samples');
  eq('rtt.samples', r?.samples ?? 0, samples);
  // tcptrace keeps whole microseconds and prints tenths of a millisecond.
  const ms = (t: number | undefined): number => (t ?? 0) * 1000;
  if (r && samples > 0) {
    eq('rtt.min', ms(r.min), num(col, 'RTT min'), 0.051);
    eq('rtt.max', ms(r.max), num(col, 'RTT max'), 0.051);
    eq('rtt.avg', ms(r.avg), num(col, 'RTT avg'), 0.051);
    // tcptrace's stdev is 0 for two samples or fewer; ours is the sample standard deviation.
    if (samples > 2) eq('rtt.stddev', ms(r.stddev), num(col, 'RTT stdev'), 0.051);
  }
  const hs = ours.handshakeRtt as number | null;
  eq('handshakeRtt', ms(hs ?? 0), num(col, 'RTT from 3WHS'), 0.051);
  const tp = ours.throughput as number | null;
  const theirTp = num(col, 'throughput');
  if (tp === null) {
    if (!Number.isNaN(theirTp)) d.push(['throughput', `null vs ${theirTp}`]);
  } else {
    // tcptrace cuts time stamps to the microsecond: its elapsed time is off by up to 1 µs.
    eq('throughput', tp, theirTp, 1 + (theirTp * 1e-6) / duration);
  }
  return d;
}

function compareFile(file: string): { checked: number; diffs: string[] } {
  const name = basename(file);
  const theirs = tcptraceConnections(file).conns;
  const ours = analyzeJson(file).filter((r) => r.type === 'connection') as unknown as { stream: number; duration: number; client: Side; server: Side }[];
  ours.sort((a, b) => a.stream - b.stream);
  const diffs: string[] = [];
  let checked = 0;
  const used = new Set<number>();
  for (const t of theirs) {
    // The first of ours, in stream order, between the same two endpoints.
    const i = ours.findIndex((c, k) => !used.has(k) && ((endpoint(c.client) === t.hostA && endpoint(c.server) === t.hostB) || (endpoint(c.server) === t.hostA && endpoint(c.client) === t.hostB)));
    if (i < 0) {
      if (!DELIBERATE[`${name}#${t.n} connection`]) diffs.push(`${name}#${t.n}: tcptrace's connection ${t.hostA} ${t.hostB} not found`);
      continue;
    }
    used.add(i);
    const c = ours[i]!;
    const [a, b] = endpoint(c.client) === t.hostA ? [c.client, c.server] : [c.server, c.client];
    for (const [dir, side, col] of [['a2b', a, t.ab], ['b2a', b, t.ba]] as const) {
      for (const [field, what] of compareDirection(side.stats, col, c.duration)) {
        const key = `${name}#${t.n} ${dir} ${field}`;
        if (!DELIBERATE[key]) diffs.push(`${key}: ${what}`);
      }
      checked++;
    }
  }
  if (ours.length !== theirs.length && !DELIBERATE[`${name} connections`]) diffs.push(`${name}: ${ours.length} connections, tcptrace ${theirs.length}`);
  return { checked, diffs };
}

describe('tcptrace numbers', { skip: tcptraceAvailable() ? false : 'tcptrace not installed' }, () => {
  const files = [...captures(SAMPLES), ...captures(FIXTURES)].filter((f) => !UNREADABLE[basename(f)]);

  for (const file of files) {
    it(`match tcptrace -l -r per connection and direction on ${basename(file)}`, () => {
      const { checked, diffs } = compareFile(file);
      assert.deepEqual(diffs, []);
      assert.ok(checked > 0, 'no connection compared');
    });
  }

  it('knows why it cannot compare the captures tcptrace cannot read', () => {
    for (const f of Object.keys(UNREADABLE)) {
      const p = captures(FIXTURES).find((x) => basename(x) === f);
      assert.ok(p, `${f} is still a fixture`);
    }
  });
});

export type { TcptraceConn };
