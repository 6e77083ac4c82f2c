/**
 * The one shape every output format has: a sink that is told about each analysed packet, each
 * connection as it ends, and the end of input. `src/cli` wires source → decoder → tracker → sinks;
 * a sink only reads what it is given and never reaches back into the tracker.
 *
 * Lifetimes: a {@link PacketView} and everything it points to (the decoded packet, its options, the
 * tracker's result, the Connection) are reused records, valid only during the call. A sink that
 * keeps something copies it. Findings are the exception: a Finding object is kept by the tracker
 * and may still change its verdict until its connection ends, which is why the text and JSON sinks
 * hold a line back while a finding on it waits (see deferred.ts).
 */
import type { CapturedPacket } from '../capture/packet.js';
import type { TcpOptions, TcpPacket } from '../capture/tcp-packet.js';
import type { Connection } from '../analyze/connection.js';
import type { ConnectionSummary, Health } from '../analyze/summary.js';
import type { PacketResult, Totals } from '../analyze/tracker.js';

/** One analysed TCP packet that passed the display filters. Reused between calls. */
export interface PacketView {
  /** The captured frame (number, bytes). */
  pkt: CapturedPacket;
  /** Its decoded headers. */
  p: TcpPacket;
  /** Its TCP options, parsed. */
  opts: TcpOptions;
  /** What the tracker made of it. */
  r: PacketResult;
  /** Seconds since the first frame of the capture. */
  time: number;
  /** The capture it came from, when several are analysed in one run. */
  file: string | undefined;
}

/** A frame that could not be analysed as TCP (cut by the snaplen, or a bad IP/TCP header). */
export interface FrameProblem {
  frame: number;
  time: number;
  status: 'truncated' | 'malformed';
  reason: string;
  file: string | undefined;
}

/** Capture time zero (the first frame's timestamp) in epoch seconds and nanoseconds: times in the analysis are relative to it. */
export interface Epoch {
  readonly sec: number;
  readonly nsec: number;
}

/** A connection that has ended (closed and quiet, or at the end of input), after the filters. */
export interface ConnectionEnd {
  /** Valid during the call only: the tracker recycles it afterwards. */
  readonly conn: Connection;
  readonly health: Health;
  /** When capture time 0 was, for formats that print absolute times. */
  readonly epoch: Epoch;
  /** The full summary, built on first call and shared by every sink that asks. */
  summary(): ConnectionSummary;
  /** The capture it came from, when several are analysed in one run. */
  readonly file: string | undefined;
}

/** Frame counts of the whole run, by what became of each frame. */
export interface RunCounts {
  frames: number;
  tcp: number;
  other: number;
  truncated: number;
  malformed: number;
  /** Records longer than the snapshot length, read whole (as tshark and libpcap do). */
  beyondSnaplen?: number;
  /** `other` frames that were IP fragments of a datagram decoded in a later frame (or never completed). */
  fragments?: number;
  /** `other` frames of link types not decoded, by LINKTYPE value. */
  otherLinkTypes?: Record<string, number>;
}

/** What every sink is told at the end of input. */
export interface RunEnd {
  counts: RunCounts;
  totals: Totals;
  /** Connections (after the filters) by verdict. */
  health: Readonly<Record<string, number>>;
  /** Connections counted (after the filters). */
  connections: number;
  /** When capture time 0 was; null when no frame was read. */
  epoch: Epoch | null;
  /** The capture, when several are analysed in one run. */
  file: string | undefined;
}

export interface Sink {
  /** False when the sink needs no packet calls: a run whose sinks all say so skips per-packet work. */
  readonly wantsPackets: boolean;
  packet?(v: PacketView): void;
  frameProblem?(f: FrameProblem): void;
  connectionEnd?(e: ConnectionEnd): void;
  /** End of input (also after a bad record: what came before is still reported). */
  end(run: RunEnd): void | Promise<void>;
}
