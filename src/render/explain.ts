/**
 * `--explain`: a connection's story in numbered plain sentences a student can follow, each built
 * from what the capture shows (the packets' flags and numbers, both endpoints' RFC 9293 state
 * changes, tshark's labels and ackscope's findings) and naming the RFC 9293 rule that applies.
 * No sentence is keyed to a particular capture: every number and frame in it comes from the story.
 *
 * {@link explainStory} is pure (the HTML report calls it too); {@link ExplainSink} prints the
 * sentences of the chosen connections after any text format.
 */
import { TcpFlag } from '../capture/tcp-packet.js';
import type { TcpState } from '../analyze/endpoint-state.js';
import { AFlag } from '../analyze/flags.js';
import type { AckUnsentFinding, DataAfterFinFinding, Finding, RealRetransmissionFinding, RstAfterFinFinding, Side } from '../analyze/findings.js';
import type { ConnectionStory, StoryPacket } from './recorder.js';
import type { RunEnd } from './sink.js';
import type { Style } from './style.js';
import { asciiText, choiceNote, storyOptions, wrap } from './stories.js';
import { StoryRecorder } from './recorder.js';

const other = (s: Side): Side => (s === 'client' ? 'server' : 'client');
const plural = (n: number, w: string): string => `${n} ${w}${n === 1 ? '' : 's'}`;
const t = (p: StoryPacket): string => `${p.time.toFixed(6)} s`;
const has = (p: StoryPacket, f: number): boolean => (p.flags & f) !== 0;

/** "frame 12", "frames 12 and 14", "frames 12, 14 and 16", "frames 12, 14, 16 … (9 in all)". */
export function frameList(frames: readonly number[]): string {
  if (frames.length === 0) return 'no frame';
  if (frames.length === 1) return `frame ${frames[0]}`;
  if (frames.length <= 4) return `frames ${frames.slice(0, -1).join(', ')} and ${frames[frames.length - 1]}`;
  return `frames ${frames.slice(0, 3).join(', ')} … (${frames.length} in all)`;
}

/** What an endpoint in `s` may still do: the half-close lesson in one phrase. */
export function stateAbility(s: TcpState): string {
  switch (s) {
    case 'ESTABLISHED':
      return 'can send and receive';
    case 'FIN-WAIT-1':
    case 'FIN-WAIT-2':
      return 'can no longer send but can still receive';
    case 'CLOSE-WAIT':
      return 'can still send, but will receive nothing more';
    case 'CLOSING':
    case 'LAST-ACK':
      return 'can neither send nor receive, and waits for the ACK of its FIN';
    case 'TIME-WAIT':
      return 'can neither send nor receive, and waits 2 MSL in case the last ACK must be repeated';
    case 'SYN-SENT':
    case 'SYN-RECEIVED':
      return 'is still opening the connection';
    case 'CLOSED':
    case 'LISTEN':
      return 'has no connection any more';
  }
}

const sideOf = (p: StoryPacket, side: Side): { change: StoryPacket['clientChange']; state: TcpState } =>
  side === 'client' ? { change: p.clientChange, state: p.clientState } : { change: p.serverChange, state: p.serverState };

/** The packet index where `side` changed to `to` (from `from` on), or -1. */
function changeTo(pk: readonly StoryPacket[], side: Side, to: TcpState, from = 0): number {
  for (let i = from; i < pk.length; i++) if (sideOf(pk[i]!, side).change?.to === to) return i;
  return -1;
}

/** Sequence-space accounting per side as the packets go by. */
class SentTracker {
  /** Highest relative seq + len (+1 for SYN/FIN) each side has sent so far. */
  next: Record<Side, number> = { client: 0, server: 0 };
  /** Highest end of payload (the next data byte) each side has sent so far. */
  dataEnd: Record<Side, number> = { client: 1, server: 1 };
  see(p: StoryPacket): void {
    const end = p.seq + p.len;
    if (p.len > 0 && end > this.dataEnd[p.from]) this.dataEnd[p.from] = end;
    const n = end + (has(p, TcpFlag.SYN) ? 1 : 0) + (has(p, TcpFlag.FIN) ? 1 : 0);
    if (n > this.next[p.from]) this.next[p.from] = n;
  }
}

/** The numbered sentences telling a connection's story. */
export function explainStory(story: ConnectionStory): string[] {
  const pk = story.packets;
  const sum = story.summary;
  // Sentences are gathered by topic, each anchored at the frame it is about, then told in frame order.
  const said: { at: number; text: string }[] = [];
  let at = 0;
  const S = { push: (...texts: string[]): void => void said.push(...texts.map((text) => ({ at, text }))) };
  const first = new Set<Side>();
  const who = (side: Side): string => {
    const e = side === 'client' ? sum.client : sum.server;
    if (first.has(side)) return `the ${side}`;
    first.add(side);
    return `the ${side} (${e.addr}:${e.port})`;
  };
  if (pk.length === 0) return [`1. No packet of stream ${sum.stream} was kept to tell its story.`];

  // --- Opening (RFC 9293 §3.5) ------------------------------------------------------------
  const synIdx = pk.findIndex((p) => has(p, TcpFlag.SYN) && !has(p, TcpFlag.ACK));
  let refused = false;
  at = pk[Math.max(0, synIdx)]!.frame;
  if (synIdx >= 0) {
    const syn = pk[synIdx]!;
    const opener = syn.from;
    const answerer = other(opener);
    const answer = pk.find((p, i) => i > synIdx && p.from === answerer);
    const synRepeats = pk.filter((p) => p.from === opener && has(p, TcpFlag.SYN) && !has(p, TcpFlag.ACK)).length;
    if (answer && has(answer, TcpFlag.SYN) && has(answer, TcpFlag.ACK)) {
      const done = changeTo(pk, answerer, 'ESTABLISHED');
      S.push(
        `${cap(who(opener))} opened the connection: its SYN (frame ${syn.frame}, ${t(syn)}) reached ${who(answerer)}, which answered SYN,ACK (frame ${answer.frame})` +
          (done >= 0
            ? `; ${opener === 'client' ? "the client's" : "the server's"} ACK (frame ${pk[done]!.frame}) completed the three-way handshake and both sides were ESTABLISHED (RFC 9293 §3.5).`
            : '; the handshake’s last ACK is not in the capture (RFC 9293 §3.5).'),
      );
    } else if (answer && has(answer, TcpFlag.RST)) {
      refused = true;
      S.push(
        `${cap(who(opener))} asked to open a connection with a SYN (frame ${syn.frame}, ${t(syn)}), but ${who(answerer)} answered with a RST (frame ${answer.frame}): nothing was listening on port ${answerer === 'server' ? sum.server.port : sum.client.port}, so the connection was refused.`,
      );
      S.push(
        'RFC 9293 §3.5.2 (reset generation): a segment that arrives for a connection that does not exist (state CLOSED) is answered with a reset; ' +
          `the RST acknowledges the SYN, so ${other(answerer) === 'client' ? 'the client' : 'the server'} accepts it, goes back to CLOSED and reports "connection refused" (§3.10.7.3). No data was exchanged.`,
      );
    } else {
      S.push(
        `${cap(who(opener))} sent a SYN (frame ${syn.frame}${synRepeats > 1 ? `, ${synRepeats} times in all` : ''}) and the capture shows no answer from ${who(answerer)}: the connection was never opened (RFC 9293 §3.5).`,
      );
    }
  } else {
    first.add('client').add('server');
    S.push(
      `The capture begins after the connection was opened (no SYN seen): ackscope calls the first sender, ${sum.client.addr}:${sum.client.port}, the client and ${sum.server.addr}:${sum.server.port} the server, and assumes both were ESTABLISHED from frame ${pk[0]!.frame}.`,
    );
  }

  // --- Data, half-close, close (RFC 9293 §3.6) ---------------------------------------------
  const sent = new SentTracker();
  const finIdx = pk.findIndex((p) => has(p, TcpFlag.FIN));
  const rstIdx = pk.findIndex((p) => has(p, TcpFlag.RST));
  const firstEnd = [finIdx, rstIdx].filter((i) => i >= 0).reduce((a, b) => Math.min(a, b), pk.length);
  for (let i = 0; i < firstEnd; i++) sent.see(pk[i]!);
  at = pk[0]!.frame + 0.5; // right after the opening: what happened before the first close
  if (!refused) {
    const cb = sent.dataEnd.client - 1;
    const sb = sent.dataEnd.server - 1;
    const amount = (n: number): string => (n > 0 ? plural(n, 'byte') : 'nothing');
    if (cb > 0 || sb > 0) S.push(`Before anyone closed, the client sent ${amount(cb)} and the server ${amount(sb)}.`);
  }

  const simultaneous = changeTo(pk, 'client', 'CLOSING') >= 0 || changeTo(pk, 'server', 'CLOSING') >= 0;
  if (finIdx >= 0 && (rstIdx < 0 || finIdx < rstIdx)) {
    const fin = pk[finIdx]!;
    at = fin.frame;
    const closer = fin.from;
    const peer = other(closer);
    const cs = sideOf(fin, closer).state;
    const ps = sideOf(fin, peer).state;
    S.push(
      `At ${t(fin)} ${who(closer)} sent FIN (frame ${fin.frame}${fin.len ? `, with its last ${plural(fin.len, 'byte')}` : ''}): its application called CLOSE or shut down its sending half (shutdown(SHUT_WR), CloseWrite), promising no more data. ` +
        `It went to ${cs}${simultaneous ? '' : `, and ${other(closer) === 'client' ? 'the client' : 'the server'} to ${ps} on receiving it`} (RFC 9293 §3.6 closing a connection, §3.10.4 CLOSE call).`,
    );
    const secondFinIdx = pk.findIndex((p, i) => i > finIdx && has(p, TcpFlag.FIN) && p.from === peer);
    if (simultaneous && secondFinIdx >= 0) {
      const fin2 = pk[secondFinIdx]!;
      at = fin2.frame;
      S.push(
        `${cap(who(peer))} sent its own FIN (frame ${fin2.frame}, Ack=${fin2.ack}) without acknowledging ${closer === 'client' ? "the client's" : "the server's"}: it had not received it yet, so it was still in FIN-WAIT-1 and not CLOSE-WAIT. This is a simultaneous close: the two FINs crossed. ` +
          `Each side received the other's FIN in FIN-WAIT-1 and went to CLOSING, then to TIME-WAIT once its own FIN was acknowledged, so both end in TIME-WAIT (RFC 9293 §3.6, the third case: both users CLOSE at once).`,
      );
    } else {
      S.push(`From then on ${closer === 'client' ? 'the client' : 'the server'} (${cs}) ${stateAbility(cs)}; ${peer === 'client' ? 'the client' : 'the server'} (${ps}) ${stateAbility(ps)}: the connection is half-closed (RFC 9293 §3.6.1).`);
      const fw2 = changeTo(pk, closer, 'FIN-WAIT-2', finIdx);
      if (fw2 >= 0) {
        const a = pk[fw2]!;
        at = a.frame;
        S.push(`${cap(who(peer))} acknowledged the FIN at frame ${a.frame} (Ack=${a.ack}: a FIN counts as one sequence number), and ${closer === 'client' ? 'the client' : 'the server'} moved to FIN-WAIT-2, waiting for the other side's FIN.`);
      }
      // What the peer still sent after the FIN: the point of a half-close.
      const after = new SentTracker();
      for (let i = 0; i <= finIdx; i++) after.see(pk[i]!);
      const startEnd = after.dataEnd[peer];
      const newData: number[] = [];
      const stop = secondFinIdx >= 0 ? secondFinIdx : pk.length - 1;
      let validAcked = startEnd;
      for (let i = finIdx + 1; i < pk.length; i++) {
        const p = pk[i]!;
        if (p.from === peer && p.len > 0 && p.seq + p.len > after.dataEnd[peer] && i <= stop) newData.push(p.frame);
        if (p.from === closer && has(p, TcpFlag.ACK) && !has(p, TcpFlag.RST) && p.ack <= after.next[peer] && p.ack > validAcked) validAcked = Math.min(p.ack, after.dataEnd[peer]);
        after.see(p);
      }
      const more = after.dataEnd[peer] - startEnd;
      at = newData.length ? newData[0]! : at;
      if (more > 0) {
        const acked = validAcked - startEnd;
        S.push(
          `After that FIN ${who(peer)} went on sending: ${plural(more, 'more byte')} (new data in ${frameList(newData)})` +
            (acked >= more
              ? `, and ${closer === 'client' ? 'the client' : 'the server'}, though closed for sending, received and acknowledged all of them.`
              : acked > 0
                ? `; ${closer === 'client' ? 'the client' : 'the server'} validly acknowledged ${plural(acked, 'byte')} of them.`
                : `; ${closer === 'client' ? 'the client' : 'the server'} never validly acknowledged any of them.`),
        );
      } else if (secondFinIdx >= 0) {
        S.push(`${cap(who(peer))} had nothing more to send after that FIN.`);
      }
      if (secondFinIdx >= 0) {
        const fin2 = pk[secondFinIdx]!;
        at = fin2.frame;
        const s2 = sideOf(fin2, peer).state;
        const c2 = sideOf(fin2, closer);
        S.push(
          `At ${t(fin2)} ${who(peer)} closed its side too (FIN, frame ${fin2.frame}${fin2.len ? `, with its last ${plural(fin2.len, 'byte')}` : ''}) and went to ${s2}` +
            (c2.change ? `; ${closer === 'client' ? 'the client' : 'the server'} went to ${c2.state} on receiving it.` : '.'),
        );
      }
    }
    const lastAck = changeTo(pk, peer, 'CLOSED', finIdx);
    const lastAckPkt = lastAck >= 0 ? pk[lastAck]! : null;
    if (!simultaneous && lastAckPkt && !has(lastAckPkt, TcpFlag.RST) && sideOf(lastAckPkt, peer).change?.why === 'ACK of FIN received') {
      at = lastAckPkt.frame;
      S.push(
        `The last ACK (frame ${lastAckPkt.frame}) acknowledged ${peer === 'client' ? "the client's" : "the server's"} FIN: ${peer === 'client' ? 'the client' : 'the server'} is CLOSED, and ${closer === 'client' ? 'the client' : 'the server'} waits in TIME-WAIT for 2 MSL before forgetting the connection, so that a lost last ACK can be sent again (RFC 9293 §3.6).`,
      );
    }
  }

  // --- ACKs of data never sent (RFC 9293 §3.10.7.4) ----------------------------------------
  const findings = pk.flatMap((p) => p.findings);
  for (const f of findings) {
    at = f.frame;
    if (f.kind === 'ack_unsent') S.push(...ackUnsentSentences(f, pk, findings));
    else if (f.kind === 'data_after_fin') S.push(...dataAfterFinSentences(f, pk));
  }

  // --- Loss and reordering (tshark's labels) ----------------------------------------------
  const framesWith = (bits: number): number[] => pk.filter((p) => p.analysis & bits && !p.findings.some((f) => f.kind === 'real_retransmission')).map((p) => p.frame);
  const retrans = framesWith(AFlag.retransmission | AFlag.fast_retransmission | AFlag.spurious_retransmission);
  const dups = framesWith(AFlag.duplicate_ack);
  const ooo = framesWith(AFlag.out_of_order);
  const lost = framesWith(AFlag.lost_segment);
  const realRetrans = findings.some((f) => f.kind === 'real_retransmission');
  if (!retrans.length && !ooo.length && !lost.length && dups.length > 0 && dups.length < 3 && !realRetrans) {
    at = dups[0]!;
    S.push(
      `tshark marks ${frameList(dups)} as ${dups.length === 1 ? 'a duplicate ACK' : 'duplicate ACKs'}: the same acknowledgement sent again. Alone that asks for nothing; it takes three to make the sender retransmit (fast retransmit, RFC 5681 §3.2).`,
    );
  } else if (retrans.length || ooo.length || lost.length || (dups.length && !realRetrans)) {
    at = Math.min(...[lost, ooo, dups, retrans].filter((l) => l.length).map((l) => l[0]!));
    const parts: string[] = [];
    if (lost.length) parts.push(`${plural(lost.length, 'segment')} arrived after a gap in the sequence numbers (tshark: "previous segment not captured", ${frameList(lost)})`);
    if (ooo.length) parts.push(`${plural(ooo.length, 'segment')} arrived out of order (${frameList(ooo)})`);
    if (dups.length) parts.push(`the receiver sent ${plural(dups.length, 'duplicate ACK')} (${frameList(dups)}), each repeating the next byte it was still waiting for`);
    if (retrans.length) parts.push(`the sender retransmitted ${retrans.length === 1 ? 'once' : `${retrans.length} times`} (${frameList(retrans)})`);
    S.push(
      `Data went missing or was reordered on the way${story.dropped > 0 ? ' (in the packets kept)' : ''}: ${parts.join('; ')}. ` +
        'A receiver acknowledges only data that arrived in order and keeps the rest for later (RFC 9293 §3.10.7.4); three duplicate ACKs make the sender retransmit without waiting for its timer (fast retransmit, RFC 5681 §3.2). This costs time, not data.',
    );
  }

  // --- Resets (RFC 9293 §3.5.2, §3.5.3, §3.6.1, §3.10.5) ------------------------------------
  if (rstIdx >= 0 && !refused) {
    at = pk[rstIdx]!.frame;
    S.push(...resetSentences(pk, rstIdx, who));
  }

  // --- The end -----------------------------------------------------------------------------
  at = Infinity;
  S.push(`At the end of the capture the client is in ${sum.client.state} and the server in ${sum.server.state}. Verdict: ${sum.verdict}`);
  if (story.dropped > 0) {
    const g = story.gapAt;
    const a = g !== undefined ? pk[g - 1] : undefined;
    const b = g !== undefined ? pk[g] : undefined;
    at = a ? a.frame + 0.5 : Infinity;
    S.push(
      a && b
        ? `This story leaves out the middle of a long connection: ${story.dropped} packets, frames ${a.frame + 1} to ${b.frame - 1}; only the first ${g} and the last ${pk.length - g!} were kept.`
        : `Only the first ${pk.length} packets were kept for this story; ${story.dropped} more were not.`,
    );
  }
  return said.sort((a, b) => a.at - b.at).map((s, i) => `${i + 1}. ${s.text}`);
}

const cap = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function ackUnsentSentences(f: AckUnsentFinding, pk: readonly StoryPacket[], all: readonly Finding[]): string[] {
  const by = f.by;
  const peer = other(by);
  const at = pk.find((p) => p.frame === f.frame);
  const out: string[] = [];
  out.push(
    `At frame ${f.frame}${at ? ` (${t(at)})` : ''} the ${by} acknowledged up to byte ${f.ack} (Ack=${f.ack}), but the ${peer} had sent only up to ${f.peerNext}: the ACK covers ${plural(f.beyond, 'byte')} that ${f.beyond === 1 ? 'was' : 'were'} never sent.` +
      (f.afterOwnFin && f.beyond === 1
        ? ` It came after the ${by}'s own FIN and is off by exactly one, as if that FIN's sequence number had been counted in the ${peer}'s direction: the mark of a NAT or proxy mishandling half-close.`
        : f.afterOwnFin
          ? ` It came after the ${by}'s own FIN.`
          : ''),
  );
  const rule = 'RFC 9293 §3.10.7.4 says that an ACK of something not yet sent (SEG.ACK > SND.NXT) is answered with an ACK and the segment dropped';
  const retrans = all.filter((x): x is RealRetransmissionFinding => x.kind === 'real_retransmission' && x.badAckFrame === f.frame);
  if (f.verdict === 'broken_peer') {
    if (retrans.length) {
      const intervals = backoff(pk, retrans);
      out.push(
        `${rule}: so the ${peer} ignored it and, still waiting for an acknowledgement, retransmitted the data it covered (${frameList(retrans.map((r) => r.frame))})` +
          (intervals ? `, its retransmission timer doubling each time (${intervals})` : '') +
          `. tshark calls ${retrans.length === 1 ? 'that retransmission' : 'these'} "spurious" because an ACK had covered the data, but that ACK was invalid: the data really was unacknowledged.`,
      );
    } else {
      out.push(`${rule}: the ${peer} did exactly that, with an ACK that did not move (frame ${f.rejectedBy}).`);
    }
    const repeats = pk.filter((p) => p.from === by && p.frame > f.frame && has(p, TcpFlag.ACK) && !has(p, TcpFlag.RST) && p.ack === f.ack && p.len === 0).map((p) => p.frame);
    if (repeats.length) {
      out.push(`The ${by} answered every retransmission with the same wrong Ack=${f.ack} (${frameList(repeats)}; tshark's "Dup ACK"), so the two sides never agreed on what had been received.`);
    }
  } else if (f.verdict === 'capture_gap') {
    out.push(`But the capture missed some of the ${peer}'s packets, so the ACK probably covers data the capture did not see: a gap in the capture, not a broken ${by}.`);
  } else {
    out.push(`${rule}; the capture does not show what the ${peer} did about it.`);
  }
  return out;
}

/** "0.194 s, 0.400 s, 0.800 s" when each wait before a retransmission is about twice the one before. */
function backoff(pk: readonly StoryPacket[], retrans: readonly RealRetransmissionFinding[]): string | null {
  if (retrans.length < 2) return null;
  const first = retrans[0]!;
  const orig = pk.find((p) => p.from === first.by && p.seq === first.seq && p.len > 0 && p.frame < first.frame);
  if (!orig) return null;
  const times = [orig.time, ...retrans.map((r) => pk.find((p) => p.frame === r.frame)?.time ?? NaN)];
  const waits = times.slice(1).map((x, i) => x - times[i]!);
  for (let i = 1; i < waits.length; i++) {
    const r = waits[i]! / waits[i - 1]!;
    if (!(r > 1.6 && r < 2.4)) return null;
  }
  return waits.map((w) => `${w.toFixed(3)} s`).join(', ');
}

function dataAfterFinSentences(f: DataAfterFinFinding, pk: readonly StoryPacket[]): string[] {
  const peer = other(f.by);
  const fin = pk.find((p) => p.frame === f.finFrame);
  const finSeq = fin ? fin.seq + fin.len : null;
  const later = pk.filter((p) => p.frame > f.frame && p.from === peer);
  const rst = later.find((p) => has(p, TcpFlag.RST));
  const maxAck = later.filter((p) => has(p, TcpFlag.ACK) && !has(p, TcpFlag.RST)).reduce((a, p) => Math.max(a, p.ack), 0);
  let reaction: string;
  if (rst) reaction = `the ${peer} answered with a RST (frame ${rst.frame})`;
  else if (finSeq !== null && maxAck > finSeq + 1) reaction = `the ${peer} acknowledged them anyway (Ack=${maxAck}, beyond the FIN at ${finSeq}), which a conforming receiver would not do`;
  else if (finSeq !== null && later.length) reaction = `the ${peer}'s ACKs stayed at ${maxAck || finSeq + 1}: it ignored them, as §3.10.7.4 tells a receiver that has seen the FIN to do ("ignore the segment text")`;
  else reaction = `the capture does not show what the ${peer} made of them`;
  return [
    `At frame ${f.frame} the ${f.by} sent ${plural(f.bytes, 'byte')} after its own FIN (frame ${f.finFrame}). A FIN marks the end of the sender's data, and after CLOSE a TCP refuses to send more ("connection closing", RFC 9293 §3.10.2, §3.10.4); ${reaction}.`,
  ];
}

function resetSentences(pk: readonly StoryPacket[], rstIdx: number, who: (s: Side) => string): string[] {
  const rst = pk[rstIdx]!;
  const by = rst.from;
  const peer = other(by);
  const raf = rst.findings.find((f): f is RstAfterFinFinding => f.kind === 'rst_after_fin');
  const out: string[] = [];
  const before = sideOf(rst, by).change?.from ?? sideOf(rst, by).state;
  const ctx = raf
    ? `after ${raf.halfClosedBy === 'both' ? 'both sides had sent FIN' : raf.halfClosedBy === by ? 'its own FIN' : `the ${raf.halfClosedBy}'s FIN`} (it was in ${before})`
    : `while it was ${before}`;
  // Bytes the peer sent that the resetting side never acknowledged.
  let unacked: number;
  if (raf) unacked = raf.unackedBytes;
  else {
    const s = new SentTracker();
    let acked = 1;
    for (let i = 0; i <= rstIdx; i++) {
      const p = pk[i]!;
      s.see(p);
      if (p.from === by && has(p, TcpFlag.ACK) && p.ack <= s.next[peer]) acked = Math.max(acked, p.ack);
    }
    unacked = Math.max(0, s.dataEnd[peer] - acked);
  }
  out.push(
    `At ${t(rst)} ${who(by)} reset the connection (RST, frame ${rst.frame}) ${ctx}. A reset aborts at once: both sides go to CLOSED without a goodbye, and data not yet acknowledged or read is thrown away (RFC 9293 §3.10.5 ABORT, §3.5.3 reset processing). ` +
      (unacked > 0 ? `${unacked} ${plural(unacked, 'byte').replace(/^\d+ /, '')} the ${peer} had sent ${unacked === 1 ? 'was' : 'were'} never acknowledged by the ${by} and ${unacked === 1 ? 'is' : 'are'} lost.` : `Nothing the ${peer} sent was left unacknowledged.`),
  );
  // What provoked it: the peer's packet just before, if it carried data the resetter had closed against.
  let prev: StoryPacket | null = null;
  for (let i = rstIdx - 1; i >= 0; i--) if (pk[i]!.from === peer) { prev = pk[i]!; break; }
  const byFinned = pk.slice(0, rstIdx).some((p) => p.from === by && has(p, TcpFlag.FIN));
  if (prev && prev.len > 0 && byFinned && rst.time - prev.time < 0.05) {
    out.push(
      `The RST answered the ${peer}'s data of frame ${prev.frame}, which arrived after the ${by} had closed: RFC 9293 §3.6.1 lets a host whose application has closed both directions (not just its sending half) answer data it can no longer deliver with a RST, to show that data was lost.`,
    );
  } else if (byFinned || raf) {
    out.push(`Nothing the ${peer} sent just before provoked it: the ${by}'s application aborted (for example close() with SO_LINGER set to 0, the ABORT call of RFC 9293 §3.10.5), or closed while received data was still unread, for which §3.6.1 also has it send a RST.`);
  } else {
    out.push(`RFC 9293 §3.5.2: a reset is sent when a segment arrives that is not meant for the current connection, or when an application aborts (§3.10.5).`);
  }
  return out;
}

/** Each sentence wrapped to `width` columns under its number. */
export function explainLines(story: ConnectionStory, width = 80, ascii = false): string[] {
  const out: string[] = [];
  for (const s of explainStory(story)) {
    const text = ascii ? asciiText(s) : s;
    const m = /^(\d+\. )/.exec(text)!;
    const indent = ' '.repeat(m[1]!.length + 1);
    const lines = wrap(text.slice(m[1]!.length), width - indent.length);
    lines.forEach((l, i) => out.push(i === 0 ? ` ${m[1]}${l}` : indent + l));
  }
  return out;
}

/** A story as printed: a title, then the numbered sentences. */
export function explainBlock(story: ConnectionStory, style: Style, ascii: boolean): string[] {
  return [style.c.bold(`What happened on stream ${story.summary.stream}`), ...explainLines(story, 80, ascii)];
}

/** Prints the story of each chosen connection at the end of input, after any text format. */
/** The recorder's stories, rendered at the end of input. */
export class ExplainSink extends StoryRecorder {

  constructor(private readonly write: (s: string) => void, private readonly style: Style, private readonly show: { stream?: number | undefined; ascii: boolean }) {
    super(storyOptions(show.stream));
  }

  override end(_run: RunEnd): void {
    const stories = this.stories;
    const note = choiceNote(stories.length, this.connections, 'stories');
    if (note) this.write(this.style.c.dim(note));
    for (const s of stories) {
      for (const l of explainBlock(s, this.style, this.show.ascii)) this.write(l);
      this.write('');
    }
  }
}
