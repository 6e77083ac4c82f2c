/**
 * What a line of a text trace says, in one shape for every dialect (tshark summaries, tcpdump -nn).
 * Numbers are as printed: relative or absolute, scaled window or raw; {@link ./rebuild.ts} decides.
 */
import type { TextTime } from './time.js';

export type Dialect = 'tshark' | 'tcpdump';

export interface TcpOptionsText {
  mss?: number;
  /** Window-scale shift (tshark prints the multiplier WS=1024, tcpdump the shift wscale 10). */
  wsShift?: number;
  sackPerm?: boolean;
  tsval?: number;
  tsecr?: number;
  /** SACK blocks as printed (relative to the peer's ISN when the numbers are relative). */
  sack?: [number, number][];
}

/** A TCP segment the line describes. */
export interface TcpRow {
  kind: 'tcp';
  /** 1-based line of the text (the first line of a wrapped tcpdump -v packet). */
  line: number;
  /** Frame number printed (tshark), null if none. */
  frame: number | null;
  time: TextTime | null;
  src: string;
  dst: string;
  sport: number;
  dport: number;
  /** TCP flag bits (TcpFlag). */
  flags: number;
  /** Null when the line does not print it (tcpdump: a segment with no data, SYN, FIN or RST). */
  seq: number | null;
  ack: number | null;
  win: number;
  len: number;
  /** Frame length printed by tshark (null for tcpdump). */
  frameLen: number | null;
  options: TcpOptionsText;
  /** tshark's bracketed analysis labels, e.g. `TCP Dup ACK 11#1`. */
  labels: string[];
  /** Things the line said that had to be dropped (e.g. a 33-bit TSecr), for warnings. */
  dropped: string[];
}

/**
 * A TCP frame whose line names no ports, numbers or flags: tshark 1.x's
 * `[TCP segment of a reassembled PDU]`. Rebuilt from its connection's state.
 */
export interface PartialTcpRow {
  kind: 'partial';
  line: number;
  frame: number | null;
  time: TextTime | null;
  src: string;
  dst: string;
  frameLen: number;
}

/** A frame of another protocol (UDP, ICMP, ARP...) or one tshark decoded above TCP (HTTP, SSH): no TCP fields. */
export interface OtherRow {
  kind: 'other';
  line: number;
  frame: number | null;
  time: TextTime | null;
  /** Protocol column (tshark) or first word (tcpdump). */
  proto: string;
  src: string;
  dst: string;
}

/** A line that starts like a packet line of the dialect but could not be read. */
export interface BadRow {
  kind: 'bad';
  line: number;
  frame: number | null;
  reason: string;
}

export type Row = TcpRow | PartialTcpRow | OtherRow | BadRow;

/** The largest value a 32-bit TCP field can hold. */
export const U32 = 0xffffffff;

/** Most payload one IP packet can carry after the largest IPv4 and TCP headers (65535 - 60 - 60). */
export const MAX_PAYLOAD = 65415;
