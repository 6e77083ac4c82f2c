/**
 * What the output says about a trace read from text (tshark or tcpdump lines): where it came from,
 * what had to be made up, which conclusions are weaker, and the lines that could not be read.
 * A header before each trace's own output (text: `#` lines; JSON: an {"type":"input"} record) and
 * one-line warnings for stderr.
 */
import { JSONL_VERSION } from './json.js';
import type { Dialect, TextTrace } from '../capture/text/trace.js';

/** tshark's protocol filter name for a Protocol column value (`TLSv1.2` -> `tls`, `SSHv2` -> `ssh`). */
export function protocolFilterName(column: string): string {
  const base = column.toLowerCase().split('/')[0]!.replace(/v\d[\d.]*$/, '');
  return base === 'ssl' ? 'tls' : base;
}

export interface TextInputFacts {
  name: string;
  dialect: Dialect;
  lines: [number, number];
  tcpPackets: number;
  otherFrames: number;
  /** Lines tshark decoded above TCP, by protocol: not analysed. */
  notAnalysed: Record<string, number>;
  /** What was reconstructed, one phrase each. */
  rebuilt: string[];
  /** Conclusions this input makes weaker or impossible, one phrase each. */
  weaker: string[];
  /** Advice for getting a better text, if any. */
  advice: string[];
  unparsed: { line: number; reason: string }[];
  dropped: { line: number; what: string }[];
}

export function textInputFacts(t: TextTrace, dialect: Dialect): TextInputFacts {
  const s = t.stats;
  const rebuilt: string[] = ['frames as raw IP packets (no link-layer header; frame lengths differ)', 'payload bytes as zeros (only their lengths are known)'];
  const weaker: string[] = [];
  const advice: string[] = [];
  if (s.relative) rebuilt.push('relative sequence numbers placed on a synthetic ISN per direction (absolute numbers in the output are made up)');
  if (s.windowsUnscaled) rebuilt.push(`${s.windowsUnscaled} scaled windows divided back by the scale the SYNs announced`);
  if (s.partialRebuilt) rebuilt.push(`${s.partialRebuilt} "[TCP segment of a reassembled PDU]" lines (no ports, numbers or flags) as PSH/ACK segments continuing their connection, length from the frame length`);
  if (s.seqInferred) {
    rebuilt.push(`${s.seqInferred} segments printed without seq (tcpdump omits it on a segment without data, SYN, FIN or RST): given the sender's next sequence number`);
    weaker.push('keep-alives and zero-window probes without data cannot be recognised (their seq is not printed)');
  }
  switch (s.times) {
    case 'none':
      weaker.push('no time stamps: no RTT, no timing-based labels (Out-Of-Order vs Retransmission, Fast Retransmission), no durations; packets are placed 1 µs apart');
      advice.push(dialect === 'tcpdump' ? 'tcpdump without -t keeps the times' : 'keep the Time column');
      break;
    case 'delta':
      rebuilt.push('times by adding up the deltas of the time column (-t d / -ttt)');
      break;
    default:
      if (s.timeShape === 'clock') rebuilt.push('times from a time of day (the date is not known)');
      if (s.timeShape === 'date') rebuilt.push('times from a date and time read as UTC (the time zone is not known)');
  }
  const app = [...s.app.entries()];
  const notAnalysed = Object.fromEntries(app);
  if (app.length) {
    const n = app.reduce((a, [, k]) => a + k, 0);
    weaker.push(`${n} lines decoded by tshark as ${app.map(([p, k]) => `${p} (${k})`).join(', ')} carry no TCP ports, numbers or flags and are not analysed: ACKs for their bytes may show as ACKed unseen segments, gaps as lost segments`);
    const names = [...new Set(app.map(([p]) => protocolFilterName(p)))];
    advice.push(`to keep the TCP fields on every line, run tshark with ${names.map((p) => `--disable-protocol ${p}`).join(' ')} (or -d tcp.port==PORT,data for the port)`);
  }
  if (s.partialSkipped) weaker.push(`${s.partialSkipped} "[TCP segment of a reassembled PDU]" lines could not be placed in a connection and are not analysed`);
  if (s.unresolvable) {
    weaker.push(`${s.unresolvable} TCP lines name hosts instead of addresses and are not analysed`);
    advice.push(dialect === 'tcpdump' ? 'run tcpdump with -nn' : 'run tshark with -n');
  }
  return {
    name: t.name,
    dialect,
    lines: [t.firstLine, t.lastLine],
    tcpPackets: s.tcp,
    otherFrames: s.other,
    notAnalysed,
    rebuilt,
    weaker,
    advice,
    unparsed: t.bad.map((b) => ({ line: b.line, reason: b.reason })),
    dropped: [...t.dropped],
  };
}

/** The text header above a trace's output. */
export function textInputHeader(f: TextInputFacts): string[] {
  const out = [`# ${f.name}: ${f.dialect} text, lines ${f.lines[0]}-${f.lines[1]}, ${f.tcpPackets} TCP packets${f.otherFrames ? `, ${f.otherFrames} other frames` : ''}`];
  out.push(`# rebuilt from text: ${f.rebuilt.join('; ')}`);
  for (const w of f.weaker) out.push(`# weaker: ${w}`);
  for (const a of f.advice) out.push(`# hint: ${a}`);
  if (f.unparsed.length) out.push(`# ${f.unparsed.length} lines could not be read (see the warnings on standard error)`);
  out.push('');
  return out;
}

/** The JSON Lines record before a trace's records. */
export function textInputRecord(f: TextInputFacts): string {
  return JSON.stringify({ v: JSONL_VERSION, type: 'input', ...f });
}

/** Warnings for stderr: every line that could not be read, every value left out. */
export function textInputWarnings(f: TextInputFacts, limit = 20): string[] {
  const out: string[] = [];
  const file = f.name;
  for (const u of f.unparsed.slice(0, limit)) out.push(`${file}: line ${u.line}: ${u.reason}`);
  if (f.unparsed.length > limit) out.push(`${file}: … and ${f.unparsed.length - limit} more lines that could not be read`);
  for (const d of f.dropped.slice(0, limit)) out.push(`${file}: line ${d.line}: ${d.what}`);
  return out;
}
