/**
 * The annotated trace (`--format text`): one tshark-style line per packet, ackscope's findings
 * (`↳`) and endpoint state changes (`·`) under it, and a `[truncated]`/`[malformed]` line for a
 * frame that could not be analysed. A line whose finding still waits for evidence is held back
 * (deferred.ts) so that each line is printed once, with its settled verdict.
 */
import type { StateChange } from '../analyze/endpoint-state.js';
import { BAD_TCP_MASK } from '../analyze/flags.js';
import { FINDING_CATALOGUE, type Finding } from '../analyze/findings.js';
import { DeferredOutput, FINISHED } from './deferred.js';
import { traceLineParts, type LineParts } from './line.js';
import type { FrameProblem, PacketView, Sink } from './sink.js';
import type { Style } from './style.js';

/** The trace line with anomalies coloured as Wireshark's "Bad TCP" rule would. */
export function styledLine(s: Style, parts: LineParts, flags: number, hasFindings: boolean): string {
  const { c } = s;
  const labels = parts.labels.map((l) => (flags & BAD_TCP_MASK ? c.red.bold(`[${l}]`) : c.yellow(`[${l}]`)) + ' ').join('');
  const line = parts.lead + labels + parts.info;
  if (hasFindings) return c.bold(line);
  return line;
}

export const INDENT = '          ';

export function findingLine(s: Style, f: Finding): string {
  const sev = FINDING_CATALOGUE[f.kind].severity;
  const tag = sev === 'warn' ? s.c.magenta.bold(`↳ ${f.kind}`) : s.c.cyan(`↳ ${f.kind}`);
  return `${INDENT}${tag}: ${f.explain}`;
}

export function stateLine(s: Style, who: string, ch: StateChange): string {
  return s.c.dim(`${INDENT}· ${who} ${ch.from} → ${ch.to} (${ch.why})`);
}

export interface TraceOptions {
  /** Print endpoint state changes under packets. */
  states: boolean;
  /** Seconds of capture time to hold a line whose finding awaits evidence. */
  horizon: number;
  /** Captures merged: the letter that starts each line of a capture (see heading.ts). */
  tags?: ReadonlyMap<string, string> | undefined;
}

export class TraceSink implements Sink {
  readonly wantsPackets = true;
  private readonly deferred: DeferredOutput;

  constructor(private readonly write: (s: string) => void, private readonly style: Style, private readonly o: TraceOptions) {
    this.deferred = new DeferredOutput(write, o.horizon);
  }

  packet(v: PacketView): void {
    const { p, r, style } = { p: v.p, r: v.r, style: this.style };
    const hasFindings = r.findings.length > 0;
    const parts = traceLineParts(p, v.time, r, v.opts, r.conn.flows[r.dir ^ 1]!.baseSeq);
    const tag = this.o.tags !== undefined && v.file !== undefined ? `${this.o.tags.get(v.file) ?? '?'} ` : '';
    const head = tag + styledLine(style, parts, r.verdict.flags, hasFindings);
    const found = hasFindings ? r.findings.slice() : NO_FINDINGS;
    const extra: string[] = [];
    if (this.o.states) {
      if (r.clientChange) extra.push(stateLine(style, 'client', r.clientChange));
      if (r.serverChange) extra.push(stateLine(style, 'server', r.serverChange));
    }
    this.deferred.add(v.time, r.conn, found, () => {
      let s = head;
      for (const f of found) s += '\n' + findingLine(style, f);
      for (const e of extra) s += '\n' + e;
      return s;
    });
  }

  frameProblem(f: FrameProblem): void {
    const tag = this.o.tags !== undefined && f.file !== undefined ? `${this.o.tags.get(f.file) ?? '?'} ` : '';
    const line = `${tag}${String(f.frame).padStart(5)} ${f.time.toFixed(6).padStart(11)} ${this.style.c.red.bold(`[${f.status}]`)} ${f.reason}`;
    this.deferred.add(f.time, FINISHED, NO_FINDINGS, () => line);
  }

  end(): void {
    this.deferred.release(Infinity);
    // A blank line between the trace and whatever follows it (the tables).
    this.write('');
  }
}

const NO_FINDINGS: readonly Finding[] = [];
