/**
 * Hand-built TCP conversations as pcap files, for behaviours no sample shows: a list of steps
 * (who sends, which flags, how many bytes, when) becomes correct frames whose sequence and
 * acknowledgement numbers follow from what each side sent before, unless a step overrides them.
 */
import { buildTcpFrame, type TcpFrameSpec } from '../../src/capture/frame-builder.js';
import { PcapWriter } from '../../src/capture/pcap-writer.js';
import type { TcpFlagName } from '../../src/capture/tcp-packet.js';

export interface Step {
  from: 'c' | 's';
  flags: readonly TcpFlagName[];
  len?: number;
  /** Seconds after the conversation's start. */
  t: number;
  /** Override the acknowledgement number (raw) this step carries. */
  ack?: number;
  /** Override the sequence number (raw). */
  seq?: number;
  /** TCP options of the segment (MSS, window scale, ...). */
  options?: TcpFrameSpec['options'];
  /** Leave the step out of the capture (it was "sent", numbers advance, but not captured). */
  unseen?: boolean;
}

export interface Ends {
  client: [string, number];
  server: [string, number];
  isn: { c: number; s: number };
}

export const DEFAULT_ENDS: Ends = { client: ['10.9.0.1', 40000], server: ['10.9.0.2', 8080], isn: { c: 1000, s: 5000 } };

/** Frames of a conversation starting at Unix time `t0` (seconds), as [tsSec, tsNsec, frame]. */
export function convoFrames(steps: readonly Step[], ends: Ends = DEFAULT_ENDS, t0 = 1_700_000_000): [number, number, Buffer][] {
  const next = { c: ends.isn.c, s: ends.isn.s };
  const out: [number, number, Buffer][] = [];
  for (const st of steps) {
    const peer = st.from === 'c' ? 's' : 'c';
    const [src, sport] = st.from === 'c' ? ends.client : ends.server;
    const [dst, dport] = st.from === 'c' ? ends.server : ends.client;
    const len = st.len ?? 0;
    const seq = st.seq ?? next[st.from];
    const frame = buildTcpFrame({
      linktype: 1, src, dst, sport, dport, seq, ack: st.flags.includes('ACK') ? (st.ack ?? next[peer]) : 0,
      flags: st.flags, win: 65535, payload: new Uint8Array(len).fill(0x61), options: st.options,
    });
    const adv = len + (st.flags.includes('SYN') ? 1 : 0) + (st.flags.includes('FIN') ? 1 : 0);
    if (st.seq === undefined) next[st.from] = (next[st.from] + adv) >>> 0;
    const ns = Math.round(st.t * 1e9);
    if (!st.unseen) out.push([t0 + Math.floor(ns / 1e9), ns % 1e9, frame]);
  }
  return out;
}

export function convoPcap(steps: readonly Step[], ends: Ends = DEFAULT_ENDS, t0 = 1_700_000_000): Buffer {
  const w = new PcapWriter(1, { nanos: true });
  for (const [s, ns, f] of convoFrames(steps, ends, t0)) w.add(s, ns, f);
  return w.toBuffer();
}

export const HANDSHAKE: readonly Step[] = [
  { from: 'c', flags: ['SYN'], t: 0 },
  { from: 's', flags: ['SYN', 'ACK'], t: 0.001 },
  { from: 'c', flags: ['ACK'], t: 0.002 },
];
