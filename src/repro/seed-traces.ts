/**
 * The two traces of the seed report (vbox-portforward), rebuilt as pcap files from their tshark
 * tables (samples/vbox-seed-tables.txt, copied verbatim from the report): every time, address,
 * port, flag, relative Seq/Ack, window, length and option as printed, with the payloads the Go
 * program sends (the 40-byte program, the 69-byte preamble, 5-byte bursts).
 *
 * - broken: captured on the Linux guest behind VirtualBox NAT; Ethernet.
 * - working: captured on macOS loopback; BSD NULL link type, window scale 16, timestamps.
 */
import { buildTcpFrame } from '../capture/frame-builder.js';
import { PcapWriter } from '../capture/pcap-writer.js';
import { parseTsharkLine, type TsharkLine } from '../capture/tshark-text.js';
import { encodeProgram, pattern } from './program.js';

interface Side {
  isn: number;
  /** Window-scale shift announced in its SYN (-1: none). */
  shift: number;
  next: number;
  lastAck: number;
  lastWin: number;
  /** Last timestamp option sent (reused for a line that prints no options). */
  lastTs: { tsval?: number; tsecr?: number };
}

export interface SeedTraceSpec {
  linktype: 0 | 1;
  /** Epoch seconds of the first frame. */
  epoch: number;
  /** ISNs for the client (first SYN sender) and the server. */
  isn: [number, number];
  /** Per frame index (1-based, in table order): corrections to what the text says. */
  fix?: Record<number, { tsecr?: number }>;
}

const CLIENT_PROGRAM = encodeProgram({ burstSize: 5, burstDelay: 1000, burstCount: 2, initialDelay: 200, preambleSize: 69 });

/** Rebuild a capture from tshark summary lines (the seed's tables). */
export function buildFromTable(lines: readonly string[], spec: SeedTraceSpec): Buffer {
  const rows = lines.map(parseTsharkLine).filter((r): r is TsharkLine => r !== null);
  const w = new PcapWriter(spec.linktype);
  const first = rows[0]!;
  const clientKey = `${first.src}:${first.sport}`;
  const sides: [Side, Side] = [
    { isn: spec.isn[0], shift: -1, next: 0, lastAck: 0, lastWin: 0, lastTs: {} },
    { isn: spec.isn[1], shift: -1, next: 0, lastAck: 0, lastWin: 0, lastTs: {} },
  ];
  rows.forEach((r, i) => {
    // A line without Info is the client's 40-byte program (the only such line in the seed).
    const fromClient = r.info ? `${r.src}:${r.sport}` === clientKey : r.src === first.src;
    const me = sides[fromClient ? 0 : 1];
    const peer = sides[fromClient ? 1 : 0];
    const linkLen = spec.linktype === 1 ? 14 : 4;
    let row = r;
    if (!r.info) {
      row = { ...r, info: true, sport: first.sport, dport: first.dport, flags: ['PSH', 'ACK'], seq: me.next, ack: me.lastAck, win: me.lastWin, len: 0, options: { ...me.lastTs } };
      row.len = r.frameLen - linkLen - 20 - (me.lastTs.tsval !== undefined ? 32 : 20);
    }
    const syn = row.flags.includes('SYN');
    if (syn && row.options.ws !== undefined) me.shift = Math.log2(row.options.ws);
    const both = sides[0].shift >= 0 && sides[1].shift >= 0;
    const rawWin = !syn && both ? Math.round(row.win / 2 ** me.shift) : row.win;
    const fix = spec.fix?.[i + 1];
    const ts = row.options.tsval !== undefined ? ([row.options.tsval, fix?.tsecr ?? row.options.tsecr ?? 0] as const) : undefined;
    const payload = fromClient
      ? CLIENT_PROGRAM.subarray(0, row.len)
      : pattern(row.len);
    const frame = buildTcpFrame({
      linktype: spec.linktype,
      src: row.src,
      dst: row.dst,
      sport: row.sport,
      dport: row.dport,
      seq: (me.isn + row.seq) >>> 0,
      ack: row.ack !== null ? (peer.isn + row.ack) >>> 0 : 0,
      flags: row.flags,
      win: rawWin,
      payload,
      options: syn
        ? { mss: row.options.mss, wscale: row.options.ws !== undefined ? Math.log2(row.options.ws) : undefined, sackPerm: row.options.sackPerm, ts }
        : ts
          ? { ts }
          : undefined,
      ipId: i + 1,
    });
    if (frame.length !== row.frameLen) throw new Error(`frame ${i + 1}: built ${frame.length} bytes, the table says ${row.frameLen}`);
    me.next = Math.max(me.next, row.seq + row.len + (syn || row.flags.includes('FIN') ? 1 : 0));
    if (row.ack !== null) me.lastAck = row.ack;
    if (ts) me.lastTs = { tsval: ts[0], tsecr: ts[1] };
    me.lastWin = row.win;
    const whole = Math.floor(row.time);
    w.add(spec.epoch + whole, Math.round((row.time - whole) * 1e6) * 1000, frame);
  });
  return w.toBuffer();
}

/** The tables of the seed report, split into its two traces. */
export function splitSeedTables(text: string): { broken: string[]; working: string[] } {
  const [a = '', b = ''] = text.split(/^##working connection##$/m);
  const keep = (s: string): string[] => s.split('\n').filter((l) => parseTsharkLine(l) !== null);
  return { broken: keep(a), working: keep(b) };
}

export const BROKEN_SPEC: SeedTraceSpec = { linktype: 1, epoch: 1402536188, isn: [0x5a3c1d07, 0x1b2e4f60] };
export const WORKING_SPEC: SeedTraceSpec = {
  linktype: 0,
  epoch: 1402536512,
  isn: [0x3e8f0a11, 0x7c21b9d4],
  // The report's text glued the next line's frame number onto two TSecr values ("90853139613").
  fix: { 13: { tsecr: 908531396 }, 15: { tsecr: 908532394 } },
};
