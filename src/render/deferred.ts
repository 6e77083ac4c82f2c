/**
 * Holds packet output back while a finding on it still waits for evidence that later packets bring
 * (was a bad ACK rejected?), so each line is printed once, with the settled verdict. Lines are
 * released in order as soon as nothing before them waits, after `horizon` seconds of capture time,
 * when their connection ends, or at the end of input. Nothing is held when nothing waits.
 */
import type { Connection } from '../analyze/connection.js';
import type { Finding } from '../analyze/findings.js';

interface Held {
  time: number;
  conn: Connection;
  /** The connection's stream when held: a recycled Connection object has another. */
  stream: number;
  findings: readonly Finding[];
  render: () => string;
}

const waiting = (f: Finding): boolean => f.kind === 'ack_unsent' && f.verdict === 'unconfirmed';

export class DeferredOutput {
  private readonly held: Held[] = [];

  constructor(private readonly write: (s: string) => void, private readonly horizon = 3) {}

  add(time: number, conn: Connection, findings: readonly Finding[], render: () => string): void {
    if (this.held.length === 0 && !findings.some(waiting)) {
      this.write(render());
      return;
    }
    this.held.push({ time, conn, stream: conn.stream, findings, render });
    this.release(time);
  }

  /** Release what no longer needs to wait at capture time `now` (everything when `now` is Infinity). */
  release(now: number): void {
    let i = 0;
    for (; i < this.held.length; i++) {
      const h = this.held[i]!;
      if (now - h.time < this.horizon && !h.conn.finished && h.conn.stream === h.stream && h.findings.some(waiting)) break;
      this.write(h.render());
    }
    if (i > 0) this.held.splice(0, i);
  }

  get pending(): number {
    return this.held.length;
  }
}

/** Stand-in connection for lines that never wait (non-TCP frames, connection records). */
export const FINISHED = { finished: true } as Connection;
