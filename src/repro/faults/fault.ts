/**
 * What a fault is: a small module the wire passes every frame through. A fault sees each frame
 * once, in the order the wire received it, and decides what goes on: the frame as it is, changed,
 * twice, later, or not at all; it may also send frames of its own (a NAT's resets).
 *
 * Contract:
 * 1. `create(args)` parses the fault's arguments (the `:`-separated words after its name) and
 *    throws a UserError (Usage) naming what is wrong; it is called once per run.
 * 2. `onFrame(frame, tcp, from, io)` is called for every frame, `tcp` a parsed view of it (null
 *    for a frame that is not IPv4 TCP: ARP and the like, which faults pass on untouched). A fault
 *    that changes header fields calls `tcp.fixChecksums()`. It must not keep `tcp` after the call
 *    (the view is reused); it may keep `frame` (the wire gives each fault a buffer of its own).
 * 3. `io.emit(frame, from)` sends a frame on as if `from` had sent it, through the faults after
 *    this one and out of the wire's other end; `io.log` says what the fault did (the wire logs it).
 */
import { ExitCode, UserError } from '../../capture/errors.js';
import type { TcpFrame } from '../frame.js';

/** The host that sent a frame, as the wire sees it: the end of the wire it arrived on. */
export type Side = 'client' | 'server';

export const otherSide = (s: Side): Side => (s === 'client' ? 'server' : 'client');

export interface FaultIO {
  emit(frame: Buffer, from: Side): void;
  /** Runs `fn` after `ms`, unless the wire stops first. */
  after(ms: number, fn: () => void): void;
  log(msg: string): void;
}

export interface Fault {
  onFrame(frame: Buffer, tcp: TcpFrame | null, from: Side, io: FaultIO): void;
}

export interface FaultModule {
  name: string;
  /** How to write it on the command line, e.g. `drop:SIDE:N[,N...]`. */
  usage: string;
  /** One line for `ackscope repro faults`. */
  summary: string;
  create(args: readonly string[]): Fault;
}

export function usageError(spec: string, why: string): UserError {
  return new UserError(`--fault ${spec}: ${why}`, ExitCode.Usage);
}

/** `client` or `server`. */
export function parseSide(spec: string, word: string | undefined): Side {
  if (word === 'client' || word === 'server') return word;
  throw usageError(spec, `say whose segments: client or server, not '${word ?? ''}'`);
}

/** `3,7,10`: 1-based indexes, at least one. */
export function parseIndexes(spec: string, word: string | undefined): Set<number> {
  const out = new Set<number>();
  for (const w of (word ?? '').split(',')) {
    if (!/^\d+$/.test(w) || Number(w) < 1 || Number(w) > 1e6) throw usageError(spec, `segment indexes are numbers from 1, comma-separated, not '${word ?? ''}'`);
    out.add(Number(w));
  }
  return out;
}

/**
 * Counts the frames carrying TCP payload that one side sends (1, 2, 3, ... as they reach this
 * fault; retransmissions count too): the index `drop:server:3` and its kin refer to. Handshake,
 * pure ACKs and FINs without data are not counted, since how many of those a stack sends depends
 * on timing (delayed ACKs), while data segments do not.
 */
export class DataCounter {
  private n = 0;
  constructor(readonly side: Side) {}
  /** The index of this frame if it is one of `side`'s data segments, else 0. */
  next(tcp: TcpFrame | null, from: Side): number {
    if (from !== this.side || !tcp || tcp.payloadLen === 0) return 0;
    return ++this.n;
  }
}

/** `relative` sequence numbers for log lines: raw minus the side's ISN once its SYN was seen. */
export class IsnBook {
  private readonly isn = new Map<string, number>();
  private key(tcp: TcpFrame): string {
    return `${tcp.src}:${tcp.sport}>${tcp.dst}:${tcp.dport}`;
  }
  private revKey(tcp: TcpFrame): string {
    return `${tcp.dst}:${tcp.dport}>${tcp.src}:${tcp.sport}`;
  }
  see(tcp: TcpFrame): void {
    if (tcp.flags & 0x02) this.isn.set(this.key(tcp), tcp.seq);
  }
  seq(tcp: TcpFrame, raw = tcp.seq): string {
    const i = this.isn.get(this.key(tcp));
    return i === undefined ? `${raw}` : `${(raw - i) >>> 0}`;
  }
  ack(tcp: TcpFrame, raw = tcp.ack): string {
    const i = this.isn.get(this.revKey(tcp));
    return i === undefined ? `${raw}` : `${(raw - i) >>> 0}`;
  }
}

export function describeSegment(tcp: TcpFrame, book: IsnBook): string {
  return `Seq=${book.seq(tcp)} Len=${tcp.payloadLen}`;
}

/** One data segment of the chosen side, as a per-segment fault sees it. */
export interface DataSegment {
  /** Its index among the side's data segments (1-based). */
  n: number;
  /** Whether the fault's `N[,N...]` names it. */
  chosen: boolean;
  /** `server data segment #3 (Seq=21 Len=10)`, for the log. */
  what: string;
}

/**
 * The shape the per-segment faults share (`NAME:SIDE:N[,N...]`, e.g. `drop:server:3,7`): counts
 * the chosen side's data segments and hands each to `onData`; every other frame passes untouched.
 * `args` are the fault's words after its name; words past the indexes are the fault's own.
 */
export function segmentFault(name: string, args: readonly string[], onData: (seg: DataSegment, frame: Buffer, from: Side, io: FaultIO) => void): Fault & { side: Side } {
  const spec = [name, ...args].join(':');
  const side = parseSide(spec, args[0]);
  const which = parseIndexes(spec, args[1]);
  const count = new DataCounter(side);
  const book = new IsnBook();
  const seg: DataSegment = { n: 0, chosen: false, what: '' };
  return {
    side,
    onFrame(frame, tcp, from, io) {
      if (tcp) book.see(tcp);
      const n = count.next(tcp, from);
      if (n === 0) {
        io.emit(frame, from);
        return;
      }
      seg.n = n;
      seg.chosen = which.has(n);
      seg.what = seg.chosen ? `${side} data segment #${n} (${describeSegment(tcp!, book)})` : '';
      onData(seg, frame, from, io);
    },
  };
}
