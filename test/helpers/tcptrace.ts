/**
 * Debian's tcptrace (6.6.7) as an oracle: run `tcptrace -n -l -r` and parse its long output into
 * one record per connection, each with the a→b and b→a columns by label.
 */
import { spawnSync } from 'node:child_process';

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
