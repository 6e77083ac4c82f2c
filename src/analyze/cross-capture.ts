/**
 * One connection seen by captures taken at both ends of a path: which packets each end saw that the
 * other did not (what the path, or a middlebox on it, dropped, added or rewrote).
 *
 * Connections are matched across two captures by their endpoints (address and port of client and
 * server); failing that, NAT-tolerantly, by their ports alone when exactly one connection on each
 * side has them. Packets are matched by what a middlebox passing them unchanged keeps:
 * sender, flags, relative sequence and acknowledgement numbers and length, the n-th occurrence on
 * one side with the n-th on the other (a retransmission is a second occurrence). Packets left over
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

/** Match the i-th unmatched packet with a key in `a` to the i-th unmatched one with that key in `b`. */
function pair(a: readonly SeenPacket[], b: readonly SeenPacket[], k: (p: SeenPacket) => string, matchA: number[], matchB: number[], kinds: RowKind[], kind: RowKind): void {
  const waiting = new Map<string, number[]>();
  b.forEach((q, j) => {
    if (matchB[j]! >= 0) return;
    const kk = k(q);
    const l = waiting.get(kk);
    if (l) l.push(j);
    else waiting.set(kk, [j]);
  });
  a.forEach((p, i) => {
    if (matchA[i]! >= 0) return;
    const j = waiting.get(k(p))?.shift();
    if (j === undefined) return;
    matchA[i] = j;
    matchB[j] = i;
    kinds[i] = kind;
  });
}
