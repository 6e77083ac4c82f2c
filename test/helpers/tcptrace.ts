/**
 * Debian's tcptrace (6.6.7) as an oracle: run `tcptrace -n -l -r` and parse its long output into
 * one record per connection, each with the a→b and b→a columns by label.
 */
import { spawnSync } from 'node:child_process';
import { basename } from 'node:path';
import { analyzeJson } from './cli.js';

let available: boolean | undefined;

/** tcptrace on PATH (CI installs it). */
export function tcptraceAvailable(): boolean {
  if (available === undefined) {
    const r = spawnSync('tcptrace', ['-v'], { encoding: 'utf8' });
    available = r.error === undefined && /tcptrace/i.test(`${r.stdout}${r.stderr}`);
  }
  return available;
}

/** One tcptrace connection: endpoints "addr:port" and the value cells by label, per column. */
export interface TcptraceConn {
  n: number;
  hostA: string;
  hostB: string;
  complete: string;
  ab: Map<string, string>;
  ba: Map<string, string>;
}

/** Parse `tcptrace -l -r` output (the layout of output.c's StatLineOne: two cells per line). */
export function parseTcptraceLong(text: string): TcptraceConn[] {
  const out: TcptraceConn[] = [];
  let cur: TcptraceConn | null = null;
  for (const line of text.split('\n')) {
    const head = /^TCP connection (\d+):/.exec(line);
    if (head) {
      cur = { n: Number(head[1]), hostA: '', hostB: '', complete: '', ab: new Map(), ba: new Map() };
      out.push(cur);
      continue;
    }
    if (cur === null) continue;
    const host = /^\thost ([a-z]+):\s+(\S+)/.exec(line);
    if (host) {
      if (cur.hostA === '') cur.hostA = host[2]!;
      else cur.hostB = host[2]!;
      continue;
    }
    const comp = /^\tcomplete conn: (\S+)/.exec(line);
    if (comp) {
      cur.complete = comp[1]!;
      continue;
    }
    if (!line.startsWith('     ')) continue;
    // "     label:   value unit      label:   value unit": the second cell starts at column 5+34+?
    const cells = [...line.matchAll(/([A-Za-z][A-Za-z0-9 #/_()-]*?):\s+(\S+)/g)];
    if (cells.length >= 1) cur.ab.set(cells[0]![1]!.trim(), cells[0]![2]!);
    if (cells.length >= 2) cur.ba.set(cells[1]![1]!.trim(), cells[1]![2]!);
  }
  return out;
}

/** tcptrace's connections in `file` (empty when it cannot read the file). */
export function tcptraceConnections(file: string): { conns: TcptraceConn[]; error: string } {
  const r = spawnSync('tcptrace', ['-n', '-l', '-r', file], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' }, maxBuffer: 1 << 26, timeout: 60_000 });
  return { conns: parseTcptraceLong(r.stdout ?? ''), error: `${r.stderr ?? ''}`.trim() };
}

/** A numeric cell ("NA" and missing give NaN). */
export const num = (m: Map<string, string>, label: string): number => {
  const v = m.get(label);
  return v === undefined || v === 'NA' ? NaN : Number(v);
};

export interface Side {
  addr: string;
  port: number;
  stats: Record<string, unknown> & {
    window: { min: number; avg: number; max: number } | null;
    rtt: { samples: number; min: number; avg: number; max: number; stddev: number } | null;
  };
}

const endpoint = (s: Side): string => canonHost(s.addr.includes(':') ? `${s.addr}:${s.port}` : `${s.addr}:${s.port}`);

/** IPv6 groups written out in full (`::1` → `0:0:0:0:0:0:0:1`). */
function expand6(a: string): string {
  const [head = '', tail] = a.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail !== undefined ? new Array<string>(8 - h.length - t.length).fill('0') : [];
  return [...h, ...fill, ...t].map((g) => parseInt(g, 16).toString(16)).join(':');
}

/**
 * "addr:port" in one spelling for both: tcptrace prints IPv6 with zero-padded groups and, for an
 * address that starts with `::`, only one colon (`::1` port 80 comes out as `:0001:80`).
 */
export function canonHost(hostPort: string): string {
  const i = hostPort.lastIndexOf(':');
  let addr = hostPort.slice(0, i);
  const port = hostPort.slice(i + 1);
  if (!addr.includes(':')) return `${addr}:${port}`;
  if (addr.startsWith(':') && !addr.startsWith('::')) addr = `:${addr}`;
  return `[${expand6(addr)}]:${port}`;
}

/** Differences between our direction `ours` and tcptrace's column `col`, as "field: ours vs theirs". */
export function compareDirection(ours: Side['stats'], col: Map<string, string>, duration: number): [string, string][] {
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

export function compareFile(file: string, DELIBERATE: Readonly<Record<string, string>> = {}): { checked: number; diffs: string[] } {
  const name = basename(file);
  const theirs = tcptraceConnections(file).conns;
  const ours = analyzeJson(file).filter((r) => r.type === 'connection') as unknown as { stream: number; duration: number; client: Side; server: Side }[];
  ours.sort((a, b) => a.stream - b.stream);
  const diffs: string[] = [];
  let checked = 0;
  const used = new Set<number>();
  for (const t of theirs) {
    // The first of ours, in stream order, between the same two endpoints.
    const i = ours.findIndex((c, k) => !used.has(k) && ((endpoint(c.client) === canonHost(t.hostA) && endpoint(c.server) === canonHost(t.hostB)) || (endpoint(c.server) === canonHost(t.hostA) && endpoint(c.client) === canonHost(t.hostB))));
    if (i < 0) {
      if (!DELIBERATE[`${name}#${t.n} connection`]) diffs.push(`${name}#${t.n}: tcptrace's connection ${t.hostA} ${t.hostB} not found`);
      continue;
    }
    used.add(i);
    const c = ours[i]!;
    const [a, b] = endpoint(c.client) === canonHost(t.hostA) ? [c.client, c.server] : [c.server, c.client];
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

