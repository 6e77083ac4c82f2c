/**
 * `--format ladder`: each connection as the sequence diagram a textbook draws (TCP/IP Illustrated's
 * ladders, Wireshark's flow graph). A column for the client and one for the server, one arrow per
 * packet in its direction labelled with its flags, relative seq/ack and length, the frame number and
 * time at the left, each side's RFC 9293 state in its margin where it changes, tshark's labels and
 * ackscope's findings as marks under the arrow, and quiet gaps longer than {@link GAP_SECONDS}
 * compressed into one marked row. Fits 80 columns; Unicode box drawing, or ASCII.
 *
 *        frame     time        client                                    server
 *                              CLOSED │                                  │ CLOSED
 *            1 0.000000      SYN-SENT │─ SYN seq=0 len=0 ───────────────▶│
 *            2 0.000061   ESTABLISHED │◀─────────── SYN,ACK seq=0 ack=1 ─│ SYN-RECEIVED
 */
import type { TcpState } from '../analyze/endpoint-state.js';
import { TcpFlag } from '../capture/tcp-packet.js';
import { BAD_TCP_MASK } from '../analyze/flags.js';
import type { Finding } from '../analyze/findings.js';
import type { ConnectionStory, StoryPacket } from './recorder.js';
import type { RunEnd } from './sink.js';
import type { Style } from './style.js';
import { asciiText, choiceNote, shortFlags, storyOptions, wrap } from './stories.js';
import { StoryRecorder } from './recorder.js';
import { explainBlock } from './explain.js';

/** The widest line a diagram draws. */
export const LADDER_WIDTH = 80;
/** A quiet gap longer than this (seconds) gets a row of its own saying how long it was. */
export const GAP_SECONDS = 0.2;
/** The widest RFC 9293 state name (SYN-RECEIVED). */
const STATE_W = 12;

interface Glyphs {
  bar: string;
  gapBar: string;
  shaft: string;
  right: string;
  left: string;
  gap: string;
  finding: string;
}

const UNICODE: Glyphs = { bar: '│', gapBar: '┆', shaft: '─', right: '▶', left: '◀', gap: '┄', finding: '◆' };
const ASCII: Glyphs = { bar: '|', gapBar: ':', shaft: '-', right: '>', left: '<', gap: '~', finding: '*' };

export interface LadderOptions {
  ascii: boolean;
}

/** The short mark a finding puts under its arrow (the full story is --explain's). */
export function findingMark(f: Finding): string {
  const peer = f.by === 'client' ? 'server' : 'client';
  switch (f.kind) {
    case 'ack_unsent': {
      const what = `ack_unsent: Ack=${f.ack} acks ${f.beyond} byte${f.beyond === 1 ? '' : 's'} never sent`;
      if (f.verdict === 'broken_peer') return `${what}; rejected (frame ${f.rejectedBy})`;
      if (f.verdict === 'capture_gap') return `${what}; the capture missed packets`;
      return what;
    }
    case 'real_retransmission':
      return `real_retransmission: frame ${f.badAckFrame}'s ACK was invalid`;
    case 'rst_after_fin':
      return `rst_after_fin: ${f.unackedBytes > 0 ? `${f.unackedBytes} ${peer} byte${f.unackedBytes === 1 ? '' : 's'} lost` : 'nothing unacknowledged'}`;
    case 'data_after_fin':
      return `data_after_fin: ${f.bytes} byte${f.bytes === 1 ? '' : 's'} after its FIN (frame ${f.finFrame})`;
  }
}

/** An arrow's label: flags, relative seq/ack, length. */
export function arrowLabel(p: StoryPacket): string {
  return `${shortFlags(p.flags)} seq=${p.seq}${p.flags & TcpFlag.ACK ? ` ack=${p.ack}` : ''} len=${p.len}`;
}

const fmtGap = (s: number): string => (s >= 10 ? `${s.toFixed(1)} s` : `${s.toFixed(3)} s`);

/** The diagram of one connection, as lines of at most {@link LADDER_WIDTH} columns. */
export function ladderLines(story: ConnectionStory, style: Style, o: LadderOptions): string[] {
  const g = o.ascii ? ASCII : UNICODE;
  const { c } = style;
  const txt = o.ascii ? asciiText : (s: string): string => s;
  const sum = story.summary;
  const pk = story.packets;
  const out: string[] = [];

  // Wrapped before any ASCII spelling, which may lengthen words (→ becomes ->).
  for (const l of wrap(`stream ${sum.stream}: client ${sum.client.addr}:${sum.client.port} → server ${sum.server.addr}:${sum.server.port}, ${pk.length + story.dropped} packets in ${sum.duration.toFixed(3)}\u00a0s`, LADDER_WIDTH - 1)) out.push(c.bold(txt(l)));
  const verdictPaint = sum.health === 'broken' ? c.red.bold : sum.health === 'degraded' ? c.yellow : sum.health === 'ok' ? c.green : c.dim;
  for (const l of wrap(txt(sum.verdict), LADDER_WIDTH)) out.push(verdictPaint(l));
  out.push('');

  // Column geometry: [frame time ][client state ]│arrow│[ server state]
  const fw = Math.max(3, ...pk.map((p) => String(p.frame).length));
  const tw = Math.max(8, ...pk.map((p) => p.time.toFixed(6).length));
  const lead = fw + 1 + tw + 1;
  const arrowW = Math.max(20, LADDER_WIDTH - lead - 2 * STATE_W - 4);
  const blankLead = ' '.repeat(lead);
  const row = (left: string, cState: string, mid: string, sState: string, bar = g.bar, paintC = c.cyan, paintS = c.cyan): string => {
    const s = left + (cState ? paintC(cState.padStart(STATE_W)) : ' '.repeat(STATE_W)) + ' ' + c.dim(bar) + mid + c.dim(bar) + (sState ? ' ' + paintS(sState) : '');
    return s;
  };

  const head = 'No.'.padStart(fw) + ' ' + 'time'.padStart(tw) + ' ';
  const center = (w: string, width: number): string => ' '.repeat(Math.max(0, Math.floor((width - w.length) / 2))) + w;
  const cHead = 'client'.padStart(STATE_W + 2);
  out.push(c.dim(head) + c.bold(cHead) + ' '.repeat(arrowW) + c.bold('server'));
  const first = pk[0];
  const initial = (side: 'client' | 'server'): TcpState => {
    if (!first) return side === 'client' ? sum.client.state : sum.server.state;
    const ch = side === 'client' ? first.clientChange : first.serverChange;
    return ch ? ch.from : side === 'client' ? first.clientState : first.serverState;
  };
  out.push(row(blankLead, initial('client'), ' '.repeat(arrowW), initial('server')));

  const skipped = (): void => {
    const a = pk[story.gapAt! - 1];
    const b = pk[story.gapAt!];
    const what = a && b ? `${story.dropped} packets (frames ${a.frame + 1}–${b.frame - 1}) not drawn` : `${story.dropped} more packets not drawn`;
    out.push(row(blankLead, '', c.dim(center(`… ${what} …`, arrowW).padEnd(arrowW)), '', g.gapBar));
  };
  let prevTime = first ? first.time : 0;
  for (let i = 0; i < pk.length; i++) {
    const p = pk[i]!;
    if (i === story.gapAt && story.dropped > 0) {
      skipped();
      prevTime = p.time;
    }
    const quiet = p.time - prevTime;
    prevTime = p.time;
    if (quiet > GAP_SECONDS) {
      const words = ` ${fmtGap(quiet)} quiet `;
      const side = Math.max(1, Math.floor((arrowW - words.length) / 2));
      const mid = ' '.repeat(side - 1) + g.gap + words + g.gap;
      out.push(row(blankLead, '', c.dim(mid.padEnd(arrowW)), '', g.gapBar));
    }
    const toServer = p.from === 'client';
    const label = arrowLabel(p);
    // `─ label ───▶` (client to server) or `◀─── label ─` (server to client); a label too long for
    // the arrow goes on the first mark line instead.
    const room = arrowW - 4;
    const onArrow = label.length <= room ? label : shortFlags(p.flags);
    const fill = g.shaft.repeat(Math.max(1, arrowW - onArrow.length - 4));
    const arrowText = toServer ? `${g.shaft} ${onArrow} ${fill}${g.right}` : `${g.left}${fill} ${onArrow} ${g.shaft}`;
    const bad = (p.analysis & BAD_TCP_MASK) !== 0;
    const paintArrow = p.flags & TcpFlag.RST ? c.red.bold : p.findings.length ? c.magenta.bold : bad ? c.red : p.flags & (TcpFlag.SYN | TcpFlag.FIN) ? c.bold : (s: string): string => s;
    const left = String(p.frame).padStart(fw) + ' ' + c.dim(p.time.toFixed(6).padStart(tw)) + ' ';
    out.push(row(left, p.clientChange ? p.clientChange.to : '', paintArrow(arrowText), p.serverChange ? p.serverChange.to : ''));

    const marks: { text: string; paint: (s: string) => string }[] = [];
    if (onArrow !== label) marks.push({ text: label, paint: (s) => s });
    for (const l of p.labels) marks.push({ text: `[${l}]`, paint: bad ? c.red.bold : c.yellow });
    for (const f of p.findings) marks.push({ text: `${g.finding} ${txt(findingMark(f))}`, paint: c.magenta.bold });
    for (const m of marks) {
      // Continuation lines hang under the mark's text.
      wrap(m.text, arrowW - 6).forEach((l, i) => {
        const text = (i === 0 ? '' : '  ') + l;
        out.push(row(blankLead, '', '   ' + m.paint(text) + ' '.repeat(Math.max(0, arrowW - 3 - text.length)), ''));
      });
    }
  }
  if (story.dropped > 0 && story.gapAt === undefined) skipped();
  out.push(row(blankLead, '', ' '.repeat(arrowW), ''));
  return out.map((l) => txt(l).replace(/\s+$/, ''));
}

/** Writes each chosen connection's diagram (and, with `explain`, its story under it) at the end of input. */
/** The recorder's stories, rendered at the end of input. */
export class LadderSink extends StoryRecorder {

  constructor(
    private readonly write: (s: string) => void,
    private readonly style: Style,
    private readonly show: LadderOptions & { stream?: number | undefined; explain: boolean },
  ) {
    super(storyOptions(show.stream));
  }

  override end(_run: RunEnd): void {
    const stories = this.stories;
    if (stories.length === 0) {
      this.write(this.style.c.dim('no TCP connection to draw'));
      return;
    }
    const note = choiceNote(stories.length, this.connections, 'ladders');
    if (note) this.write(this.style.c.dim(note) + '\n');
    for (const s of stories) {
      for (const l of ladderLines(s, this.style, this.show)) this.write(l);
      if (this.show.explain) {
        this.write('');
        for (const l of explainBlock(s, this.style, this.show.ascii)) this.write(l);
        this.write('');
      }
    }
  }
}
