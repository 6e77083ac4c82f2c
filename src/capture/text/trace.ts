/**
 * A text trace (tshark or tcpdump lines, maybe inside prose) read into one or more packet sources.
 *
 * The dialect is recognised by counting the lines each reader accepts (or forced). A text holding
 * several traces (frame numbers starting again, or numbered lines after unnumbered ones, as in the
 * seed report) becomes several sources, each labelled with the heading above it. Every line that
 * starts like a packet line but cannot be read is kept with its line number and the reason.
 *
 * The text is read whole: traces pasted into tickets are small, and deciding how to read the
 * numbers (relative or absolute, deltas or times) needs the whole trace.
 */
import type { CapturedPacket, Pace, PacketSink, PacketSource } from '../packet.js';
import { newCapturedPacket } from '../packet.js';
import { LINKTYPE_RAW, rebuildTrace, type RebuildStats, type RebuiltFrame } from './rebuild.js';
import type { BadRow, Dialect, OtherRow, PartialTcpRow, Row, TcpRow } from './rows.js';
import { looksLikeTcpdump, TcpdumpReader } from './tcpdump.js';
import { looksLikeTshark, parseTsharkRow } from './tshark.js';

export type { Dialect } from './rows.js';

/** One trace of a text, ready to be analysed like a capture. */
export class TextTrace implements PacketSource {
  private ran = false;
  constructor(
    readonly name: string,
    /** Heading above the trace in the text, if any. */
    readonly label: string | null,
    readonly firstLine: number,
    readonly lastLine: number,
    readonly frames: readonly RebuiltFrame[],
    readonly stats: RebuildStats,
    /** Lines of this trace that could not be read. */
    readonly bad: readonly BadRow[],
    /** Values dropped from lines that were read (line, what). */
    readonly dropped: readonly { line: number; what: string }[],
  ) {}

  async run(sink: PacketSink, pace?: Pace): Promise<void> {
    if (this.ran) throw new Error(`${this.name}: a capture source can only be run once`);
    this.ran = true;
    const pkt: CapturedPacket = newCapturedPacket();
    pkt.linktype = LINKTYPE_RAW;
    let n = 0;
    for (const f of this.frames) {
      pkt.frame = f.frame;
      pkt.data = f.bytes;
      pkt.offset = 0;
      pkt.caplen = pkt.origlen = f.bytes.length;
      pkt.tsSec = f.tsSec;
      pkt.tsNsec = f.tsNsec;
      sink(pkt);
      if (pace !== undefined && ++n % 4096 === 0) {
        const w = pace();
        if (w === 'stop') return;
        if (w !== undefined) await w;
      }
    }
  }
}

export interface TextInput {
  dialect: Dialect;
  traces: TextTrace[];
  /** Every line that looked like a packet line but could not be read, in text order. */
  bad: BadRow[];
  lines: number;
}

/** How many lines of `text` each dialect recognises (for sniffing). */
export function sniffDialect(text: string, maxLines = 2000): { dialect: Dialect | null; tshark: number; tcpdump: number } {
  let tshark = 0;
  let tcpdump = 0;
  let i = 0;
  for (const line of iterLines(text)) {
    if (++i > maxLines) break;
    if (looksLikeTshark(line)) tshark++;
    else if (looksLikeTcpdump(line)) tcpdump++;
  }
  return { dialect: tshark === 0 && tcpdump === 0 ? null : tshark >= tcpdump ? 'tshark' : 'tcpdump', tshark, tcpdump };
}

function* iterLines(text: string): Generator<string> {
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl;
    yield text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
    if (nl < 0) return;
    start = nl + 1;
  }
}

/** A heading (`## broken connection ##`, `Trace 2:`) that may name the trace below it. */
function headingOf(line: string): string | null {
  const t = line.trim();
  const h = /^#+\s*(.*?)\s*#*$/.exec(t);
  if (h && h[1]) return h[1];
  return null;
}

/**
 * Read a whole text trace. `dialect` forces the reader; otherwise the one recognising more lines
 * wins (null if neither recognises any: not a trace).
 */
export function readTextTrace(name: string, text: string, dialect?: Dialect): TextInput | null {
  const d = dialect ?? sniffDialect(text).dialect;
  if (d === null) return null;
  type PacketRow = TcpRow | PartialTcpRow | OtherRow;
  interface Part { rows: PacketRow[]; bad: BadRow[]; label: string | null; first: number; last: number }
  const parts: Part[] = [];
  const allBad: BadRow[] = [];
  let cur: Part | null = null;
  let heading: string | null = null;
  let prevFrame: number | null | undefined;
  const reader = d === 'tcpdump' ? new TcpdumpReader() : null;
  const take = (r: Row): void => {
    if (r.kind === 'bad') {
      allBad.push(r);
      (cur ??= newPart(r.line)).bad.push(r);
      return;
    }
    // A new trace: frame numbers start again, or appear/disappear.
    const restart = cur !== null && cur.rows.length > 0 && prevFrame !== undefined &&
      ((r.frame !== null && prevFrame !== null && r.frame <= prevFrame) || (r.frame === null) !== (prevFrame === null));
    if (cur === null || restart) {
      cur = newPart(r.line);
    } else if (cur.rows.length === 0 && cur.label === null) {
      cur.label = heading;
    }
    heading = null;
    prevFrame = r.frame;
    cur.rows.push(r);
    cur.last = r.line;
  };
  const newPart = (line: number): Part => {
    const p: Part = { rows: [], bad: [], label: heading, first: line, last: line };
    parts.push(p);
    cur = p;
    return p;
  };
  let lineNo = 0;
  for (const line of iterLines(text)) {
    lineNo++;
    if (reader !== null) {
      const rows = reader.push(line, lineNo);
      if (rows.length === 0) heading = headingOf(line) ?? heading;
      rows.forEach(take);
    } else {
      const r = parseTsharkRow(line, lineNo);
      if (r === null) heading = headingOf(line) ?? heading;
      else take(r);
    }
  }
  if (reader !== null) reader.end().forEach(take);
  const withRows = parts.filter((p) => p.rows.length > 0);
  const traces: TextTrace[] = [];
  const many = withRows.length > 1;
  withRows.forEach((p, i) => {
    const { frames, stats } = rebuildTrace(d, p.rows);
    // A bad line belongs to the last trace starting before it (or the first trace).
    const next = withRows[i + 1];
    const badHere = allBad.filter((b) => (i === 0 || b.line >= p.first) && (next === undefined || b.line < next.first));
    const dropped = p.rows.flatMap((r) => (r.kind === 'tcp' ? r.dropped.map((what) => ({ line: r.line, what })) : []));
    const label = many ? `${name} trace ${i + 1}${p.label ? ` (${p.label})` : ''}` : name;
    traces.push(new TextTrace(label, p.label, p.first, p.last, frames, stats, badHere, dropped));
  });
  return { dialect: d, traces, bad: allBad, lines: lineNo };
}
