import type { TcpFrame } from '../frame.js';
import type { Side } from './fault.js';

/** The same key for both directions of a connection: the client's address and port first. */
export function connKey(tcp: TcpFrame, from: Side): string {
  return from === 'client' ? `${tcp.src}:${tcp.sport}>${tcp.dst}:${tcp.dport}` : `${tcp.dst}:${tcp.dport}>${tcp.src}:${tcp.sport}`;
}

/** a - b in sequence space (wrapping), as a signed 32-bit number. */
export const seqDiff = (a: number, b: number): number => (a - b) | 0;
