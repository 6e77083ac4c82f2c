/**
 * The connection filters of `analyze` (--stream, --host, --port), parsed once and matched on
 * numbers. Kept apart from the renderers so that a worker can filter without loading them.
 */
import type { TcpPacket } from '../capture/tcp-packet.js';
import type { Connection } from '../analyze/connection.js';

export interface ConnectionFilter {
  stream?: number;
  host?: HostFilter;
  port?: number;
}

/** An address to match, parsed once: IPv4 as a number, IPv6 as four words. */
export type HostFilter = { v: 4; a: number } | { v: 6; w: Uint32Array };

export function parseHost(s: string): HostFilter | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (m) {
    const b = m.slice(1).map(Number);
    if (b.some((x) => x > 255)) return null;
    return { v: 4, a: ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0 };
  }
  if (!s.includes(':')) return null;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const parse = (h: string): number[] | null => {
    if (h === '') return [];
    const g = h.split(':').map((x) => (/^[0-9a-fA-F]{1,4}$/.test(x) ? parseInt(x, 16) : NaN));
    return g.some(Number.isNaN) ? null : g;
  };
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !tail) return null;
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 1 && fill !== 0) || fill < 0) return null;
  const g = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...tail];
  const w = new Uint32Array(4);
  for (let i = 0; i < 4; i++) w[i] = ((g[i * 2]! << 16) | g[i * 2 + 1]!) >>> 0;
  return { v: 6, w };
}

export function hostMatches(h: HostFilter, p: TcpPacket): boolean {
  if (h.v === 4) return p.ipVersion === 4 && (p.src4 === h.a || p.dst4 === h.a);
  if (p.ipVersion !== 6) return false;
  const eq = (x: Uint32Array): boolean => x[0] === h.w[0] && x[1] === h.w[1] && x[2] === h.w[2] && x[3] === h.w[3];
  return eq(p.src6) || eq(p.dst6);
}

export function connMatches(o: ConnectionFilter, c: Connection): boolean {
  if (o.stream !== undefined && c.stream !== o.stream) return false;
  if (o.port !== undefined && c.pa !== o.port && c.pb !== o.port) return false;
  if (o.host) {
    const h = o.host;
    if (h.v === 4) return c.ipVersion === 4 && (c.a4 === h.a || c.b4 === h.a);
    const eq = (x: Uint32Array | null): boolean => x !== null && x[0] === h.w[0] && x[1] === h.w[1] && x[2] === h.w[2] && x[3] === h.w[3];
    return c.ipVersion === 6 && (eq(c.a6) || eq(c.b6));
  }
  return true;
}
