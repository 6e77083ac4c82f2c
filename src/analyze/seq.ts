/**
 * Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4, RFC 1982 serial numbers).
 * Every comparison of sequence or acknowledgement numbers in ackscope goes through here:
 * a raw `<` breaks when the space wraps.
 */

/** a - b as a signed 32-bit distance. */
export const seqDiff = (a: number, b: number): number => (a - b) | 0;
/** a + n, wrapped into 0..2^32-1. */
export const seqAdd = (a: number, n: number): number => (a + n) >>> 0;
export const seqLt = (a: number, b: number): boolean => ((a - b) | 0) < 0;
export const seqLe = (a: number, b: number): boolean => ((a - b) | 0) <= 0;
export const seqGt = (a: number, b: number): boolean => ((a - b) | 0) > 0;
export const seqGe = (a: number, b: number): boolean => ((a - b) | 0) >= 0;
/** The larger of two sequence numbers in serial order. */
export const seqMax = (a: number, b: number): number => (((a - b) | 0) >= 0 ? a : b);
/** The relative number tshark shows: raw - base, wrapped. */
export const seqRel = (raw: number, base: number): number => (raw - base) >>> 0;
