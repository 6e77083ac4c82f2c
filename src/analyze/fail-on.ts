/**
 * `--fail-on`: which finished connections make a run "fail" (exit status 3), for ackscope used as a
 * check in CI and monitoring. Decided per connection from what the tracker already holds: no summary
 * is built for it.
 *
 * - `broken`: the verdict is broken (an ACK for bytes never sent that the peer rejected, or a reset
 *   after a half-close that lost data).
 * - `degraded`: broken or degraded (retransmissions, three duplicate ACKs, out-of-order, lost
 *   segments, zero windows, any reset).
 * - `reset`: the connection was ended by a RST: an endpoint sent a RST before both sides' FINs had
 *   been sent and acknowledged (so a reset after a half-close, as in the VirtualBox seed, counts).
 *   A RST after both FINs were acknowledged (an abortive close of a connection already closed) is
 *   not counted, as Zeek leaves such a connection SF.
 * - `any`: any verdict but ok (incomplete connections, with no close in the capture, count too).
 */
import type { Connection, Flow } from './connection.js';
import { seqDiff } from './seq.js';
import type { Health } from './summary.js';

export const FAIL_ON = ['broken', 'degraded', 'reset', 'any'] as const;
export type FailOn = (typeof FAIL_ON)[number];

/** Whether a RST ended the connection: sent before both FINs had been sent and acknowledged. */
export function endedByReset(c: Connection): boolean {
  const [a, b] = c.flows;
  if (!a.rstSent && !b.rstSent) return false;
  const closedFirst = finAcked(a, b) && finAcked(b, a) && (!a.rstSent || closedBefore(a.rstTime, a, b)) && (!b.rstSent || closedBefore(b.rstTime, a, b));
  return !closedFirst;
}

/** `f`'s FIN was acknowledged by `peer` (its highest ACK passed the FIN). */
const finAcked = (f: Flow, peer: Flow): boolean => f.finSent && peer.ackHighSet && seqDiff(peer.ackHigh, f.finSeq) > 0;
const closedBefore = (t: number, a: Flow, b: Flow): boolean => a.finTime <= t && b.finTime <= t;

export function failsOn(rule: FailOn, c: Connection, health: Health): boolean {
  switch (rule) {
    case 'broken':
      return health === 'broken';
    case 'degraded':
      return health === 'broken' || health === 'degraded';
    case 'reset':
      return endedByReset(c);
    case 'any':
      return health !== 'ok';
  }
}
