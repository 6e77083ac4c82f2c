/**
 * Zeek's connection history (conn.log `history`): one letter per kind of event the first time each
 * side does it, upper case for the client (originator), lower case for the server. Kept as numbers
 * while the connection runs (a string grown letter by letter is a new string per letter for every
 * one of tens of thousands of connections) and spelled out only for a summary.
 */

/** Letters by index = kind + (server ? 1 : 0). */
const LETTERS = ['S', 's', 'H', 'h', 'A', 'a', 'D', 'd', 'F', 'f', 'R', 'r'] as const;
export const H_SYN = 0;
export const H_SYNACK = 2;
export const H_ACK = 4;
export const H_DATA = 6;
export const H_FIN = 8;
export const H_RST = 10;

/** A connection's history: which letters were seen, and their indices in order, 4 bits each. */
export interface HistoryState {
  historySeen: number;
  /** Indices of the first 7 letters seen (4 bits each, first in the low bits). */
  historyLo: number;
  /** Indices of the 8th to 12th. */
  historyHi: number;
}

/** Record event `i` (H_* + 1 for the server) if this side has not done it before. */
export function noteHistory(c: HistoryState, i: number): void {
  const bit = 1 << i;
  if (c.historySeen & bit) return;
  const n = popcount(c.historySeen);
  c.historySeen |= bit;
  if (n < 7) c.historyLo |= i << (4 * n);
  else c.historyHi |= i << (4 * (n - 7));
}

/** The history as Zeek writes it, e.g. `ShADadFf`. */
export function historyText(c: HistoryState): string {
  const n = popcount(c.historySeen);
  let s = '';
  for (let k = 0; k < n; k++) s += LETTERS[k < 7 ? (c.historyLo >>> (4 * k)) & 15 : (c.historyHi >>> (4 * (k - 7))) & 15];
  return s;
}

function popcount(x: number): number {
  let n = 0;
  for (; x !== 0; x &= x - 1) n++;
  return n;
}
