/**
 * What the whole-connection formats (the ladder, the explanations) share: which connections they
 * draw, how they say that some were left out, and the plain-ASCII spelling of their text.
 */
import { TCP_FLAG_NAMES } from '../capture/tcp-packet.js';
import { DEFAULT_RECORDER, type RecorderOptions } from './recorder.js';

/** Up to this many connections every one is drawn; beyond, the worst this many. */
export const FEW_CONNECTIONS = 5;

/** Packets kept of a long connection: its beginning and its end (where the close is). */
export const HEAD_PACKETS = 1000;
export const TAIL_PACKETS = 200;
/** With --stream N, one connection is asked for: keep more of it. */
const ONE_HEAD = 20_000;
const ONE_TAIL = 2_000;

/** What to record for the connections a diagram or story is wanted for: one stream, or the worst few. */
export function storyOptions(stream: number | undefined): RecorderOptions {
  const one = stream !== undefined;
  return {
    ...DEFAULT_RECORDER,
    stream,
    maxConnections: one ? 1 : FEW_CONNECTIONS,
    maxPacketsPerConnection: one ? ONE_HEAD : HEAD_PACKETS,
    tail: one ? ONE_TAIL : TAIL_PACKETS,
    // Neither the diagram nor the story shows the trace line: not building it makes a big capture 5x faster.
    lines: false,
  };
}

/** "ladders of the 5 worst of 47 connections; …" when some were left out, else null. */
export function choiceNote(shown: number, seen: number, what: string): string | null {
  if (seen <= shown) return null;
  return `${what} of the ${shown} worst of ${seen} connections; --stream N for another`;
}

/** `SYN,ACK`, `FIN,PSH,ACK`: the flags of a packet, short, in tshark's bit order. */
export function shortFlags(flags: number): string {
  const names: string[] = [];
  for (let i = 0; i < TCP_FLAG_NAMES.length; i++) if (flags & (1 << i)) names.push(TCP_FLAG_NAMES[i]!);
  return names.length ? names.join(',') : 'none';
}

const ASCII_OF: Readonly<Record<string, string>> = { '\u00a0': ' ', '§': 'sec. ', '→': '->', '←': '<-', '…': '...', '–': '-', '—': '-', '“': '"', '”': '"', '’': "'", '≤': '<=', '≥': '>=' };

/** The same text in plain ASCII, for `--ascii`. */
export function asciiText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[^\x00-\x7f]/g, (ch) => ASCII_OF[ch] ?? '?');
}

/** Words of `text` in lines of at most `width` columns (a word longer than that is cut). A no-break space (U+00A0) keeps two words together. */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (let word of text.split(/[ \t\n]+/)) {
    if (!word) continue;
    while (word.length > width) {
      if (line) {
        out.push(line);
        line = '';
      }
      out.push(word.slice(0, width));
      word = word.slice(width);
    }
    if (!line) line = word;
    else if (line.length + 1 + word.length <= width) line += ' ' + word;
    else {
      out.push(line);
      line = word;
    }
  }
  if (line) out.push(line);
  return out.map((l) => l.replace(/\u00a0/g, ' '));
}
