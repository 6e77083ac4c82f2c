/**
 * Sequence-number arithmetic modulo 2^32 (RFC 9293 §3.4, RFC 1982 serial numbers).
 * Every comparison of sequence or acknowledgement numbers in ackscope goes through here:
 * a raw `<` breaks when the space wraps.
 *
 * Representation: inside the tracker a raw sequence number is held as a signed 32-bit integer
 * (`raw | 0`, see {@link seq32}): the same 32 bits, but V8 keeps such values as small integers,
 * where numbers at or above 2^31 would be heap-allocated doubles on every store and call. Only
 * `===` cares which form a number is in, so every stored number is made with {@link seq32} or
 * {@link seqAdd}; {@link seqRel} and {@link seqRaw} turn them back into what people read.
 */

/** The tracker's form of a raw sequence number (0..2^32-1 in, -2^31..2^31-1 out). */
export const seq32 = (raw: number): number => raw | 0;
/** The unsigned raw number again (0..2^32-1), for output. */
export const seqRaw = (s: number): number => s >>> 0;
/** a - b as a signed 32-bit distance. */
export const seqDiff = (a: number, b: number): number => (a - b) | 0;
/** a + n, wrapped, in the tracker's form. */
export const seqAdd = (a: number, n: number): number => (a + n) | 0;
export const seqLt = (a: number, b: number): boolean => ((a - b) | 0) < 0;
export const seqLe = (a: number, b: number): boolean => ((a - b) | 0) <= 0;
export const seqGt = (a: number, b: number): boolean => ((a - b) | 0) > 0;
export const seqGe = (a: number, b: number): boolean => ((a - b) | 0) >= 0;
/** The relative number tshark shows: raw - base, as 0..2^32-1. */
export const seqRel = (raw: number, base: number): number => (raw - base) >>> 0;
