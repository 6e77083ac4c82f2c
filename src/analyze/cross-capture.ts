/**
 * One connection seen by captures taken at both ends of a path: which packets each end saw that the
 * other did not (what the path, or a middlebox on it, dropped, added or rewrote).
 *
 * Connections are matched across two captures by their endpoints (address and port of client and
 * server); failing that, NAT-tolerantly, by their ports alone when exactly one connection on each
 * side has them. Packets are matched by what a middlebox passing them unchanged keeps:
 * sender, flags, relative sequence and acknowledgement numbers and length; identical packets (a
 * retransmission repeats one) are paired by time (see `pair`). Packets left over
 * that agree in all but the acknowledgement number are paired as rewritten (the VirtualBox NAT's
 * Ack=76 for the 75 the server's side saw).
 */
import type { Side } from './findings.js';

/** What the matching needs of one packet. */
export interface SeenPacket {
  frame: number;
  /** Seconds since the merged captures' common origin. */
  time: number;
  from: Side;
  flags: number;
  seq: number;
  ack: number;
  len: number;
}

export interface SeenConnection {
  client: { addr: string; port: number };
  server: { addr: string; port: number };
  packets: readonly SeenPacket[];
}

export type RowKind = 'both' | 'only_a' | 'only_b' | 'rewritten';

export interface AlignedRow {
  kind: RowKind;
  a: SeenPacket | null;
  b: SeenPacket | null;
}

export interface ConnectionPair<C extends SeenConnection> {
  a: C;
  b: C;
  /** How they were matched. */
  by: 'endpoints' | 'ports';
  rows: AlignedRow[];
  counts: Record<RowKind, number>;
}

const endpoints = (c: SeenConnection): string => `${c.client.addr}:${c.client.port}>${c.server.addr}:${c.server.port}`;
const ports = (c: SeenConnection): string => `${c.client.port}>${c.server.port}`;

/** Pair connections of capture A with those of capture B (each used once). */
export function matchConnections<C extends SeenConnection>(as: readonly C[], bs: readonly C[]): ConnectionPair<C>[] {
  const pairs: ConnectionPair<C>[] = [];
  const usedB = new Set<C>();
  const restA: C[] = [];
  const byEndpoints = new Map<string, C[]>();
  for (const b of bs) byEndpoints.set(endpoints(b), [...(byEndpoints.get(endpoints(b)) ?? []), b]);
  for (const a of as) {
    const b = byEndpoints.get(endpoints(a))?.find((x) => !usedB.has(x));
    if (b) {
      usedB.add(b);
      pairs.push({ a, b, by: 'endpoints', ...alignPackets(a.packets, b.packets) });
    } else restA.push(a);
  }
  const count = (list: readonly C[]): Map<string, C[]> => {
    const m = new Map<string, C[]>();
    for (const c of list) m.set(ports(c), [...(m.get(ports(c)) ?? []), c]);
    return m;
  };
  const aPorts = count(restA);
  const bPorts = count(bs.filter((b) => !usedB.has(b)));
  for (const [k, al] of aPorts) {
    const bl = bPorts.get(k);
    if (al.length === 1 && bl?.length === 1) pairs.push({ a: al[0]!, b: bl[0]!, by: 'ports', ...alignPackets(al[0]!.packets, bl[0]!.packets) });
  }
  return pairs;
}

const key = (p: SeenPacket): string => `${p.from}|${p.flags}|${p.seq}|${p.ack}|${p.len}`;
const keyNoAck = (p: SeenPacket): string => `${p.from}|${p.flags}|${p.seq}|${p.len}`;

/** The two views of one connection as rows in time order. */
export function alignPackets(a: readonly SeenPacket[], b: readonly SeenPacket[]): { rows: AlignedRow[]; counts: Record<RowKind, number> } {
  const matchA = new Array<number>(a.length).fill(-1);
  const matchB = new Array<number>(b.length).fill(-1);
  const kinds = new Array<RowKind>(a.length).fill('only_a');
  pair(a, b, key, matchA, matchB, kinds, 'both');
  pair(a, b, keyNoAck, matchA, matchB, kinds, 'rewritten');
  const rows: (AlignedRow & { t: number; order: number })[] = [];
  a.forEach((p, i) => {
    const j = matchA[i]!;
    const q = j >= 0 ? b[j]! : null;
    rows.push({ kind: kinds[i]!, a: p, b: q, t: q ? Math.min(p.time, q.time) : p.time, order: i });
  });
  b.forEach((q, j) => {
    if (matchB[j]! < 0) rows.push({ kind: 'only_b', a: null, b: q, t: q.time, order: a.length + j });
  });
  rows.sort((x, y) => x.t - y.t || x.order - y.order);
  const counts: Record<RowKind, number> = { both: 0, only_a: 0, only_b: 0, rewritten: 0 };
  for (const r of rows) counts[r.kind]++;
  return { rows: rows.map(({ kind, a: pa, b: pb }) => ({ kind, a: pa, b: pb })), counts };
}

/**
 * Pair the unmatched packets of `a` and `b` that share a key. Each key's occurrences are aligned in
 * time order by least total time difference (after the captures' clock offset), an occurrence left
 * alone costing {@link SKIP}: so when the first of two identical segments was dropped between the
 * ends, the one that got through pairs with its own copy, not with the lost one.
 */
function pair(a: readonly SeenPacket[], b: readonly SeenPacket[], k: (p: SeenPacket) => string, matchA: number[], matchB: number[], kinds: RowKind[], kind: RowKind): void {
  const group = (list: readonly SeenPacket[], match: number[]): Map<string, number[]> => {
    const m = new Map<string, number[]>();
    list.forEach((p, i) => {
      if (match[i]! >= 0) return;
      const kk = k(p);
      const l = m.get(kk);
      if (l) l.push(i);
      else m.set(kk, [i]);
    });
    return m;
  };
  const ga = group(a, matchA);
  const gb = group(b, matchB);
  // The clock offset between the captures: the median time difference of packets unique on both sides.
  const deltas: number[] = [];
  for (const [kk, ia] of ga) {
    const ib = gb.get(kk);
    if (ia.length === 1 && ib?.length === 1) deltas.push(b[ib[0]!]!.time - a[ia[0]!]!.time);
  }
  deltas.sort((x, y) => x - y);
  const offset = deltas.length ? deltas[deltas.length >> 1]! : 0;
  for (const [kk, ia] of ga) {
    const ib = gb.get(kk);
    if (!ib) continue;
    for (const [i, j] of alignByTime(ia.map((x) => a[x]!.time + offset), ib.map((x) => b[x]!.time))) {
      matchA[ia[i]!] = ib[j]!;
      matchB[ib[j]!] = ia[i]!;
      kinds[ia[i]!] = kind;
    }
  }
}

/** Seconds of time difference worth leaving a packet unpaired for. */
const SKIP = 1;
/** Beyond this many cells, occurrences are paired in order (a long run of identical pure ACKs). */
const MAX_CELLS = 250_000;

/** Order-preserving pairs (i, j) of two sorted time lists, least total |ta - tb| with SKIP per unpaired one. */
function alignByTime(ta: readonly number[], tb: readonly number[]): [number, number][] {
  const n = ta.length;
  const m = tb.length;
  if (n * m > MAX_CELLS || n * m === 1) {
    const out: [number, number][] = [];
    for (let i = 0; i < Math.min(n, m); i++) if (n * m > 1 || Math.abs(ta[0]! - tb[0]!) < 2 * SKIP) out.push([i, i]);
    return out;
  }
  // cost[i][j]: best cost of aligning ta[i..] with tb[j..].
  const cost = Array.from({ length: n + 1 }, () => new Float64Array(m + 1));
  for (let i = n; i >= 0; i--) {
    for (let j = m; j >= 0; j--) {
      if (i === n) cost[i]![j] = (m - j) * SKIP;
      else if (j === m) cost[i]![j] = (n - i) * SKIP;
      else cost[i]![j] = Math.min(Math.abs(ta[i]! - tb[j]!) + cost[i + 1]![j + 1]!, SKIP + cost[i + 1]![j]!, SKIP + cost[i]![j + 1]!);
    }
  }
  const out: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    const c = cost[i]![j]!;
    if (c === Math.abs(ta[i]! - tb[j]!) + cost[i + 1]![j + 1]!) out.push([i++, j++]);
    else if (c === SKIP + cost[i + 1]![j]!) i++;
    else j++;
  }
  return out;
}
