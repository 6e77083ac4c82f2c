/**
 * The wire format of the vbox-portforward test program (the seed's Go program), byte for byte:
 * the client sends a 40-byte program of five little-endian signed 64-bit integers, in this order:
 * burst size (bytes), burst delay (ms), burst count, initial delay (ms), preamble size (bytes).
 * The server answers with the preamble, then the bursts, each the digits 0..9 repeating with the
 * last byte a newline.
 */
export interface Program {
  burstSize: number;
  burstDelay: number;
  burstCount: number;
  initialDelay: number;
  preambleSize: number;
}

export const PROGRAM_LEN = 40;
export const DEFAULT_PROGRAM: Readonly<Program> = { burstSize: 5, burstDelay: 1000, burstCount: 2, initialDelay: 200, preambleSize: 69 };
export const PROGRAM_FIELDS: readonly (keyof Program)[] = ['burstSize', 'burstDelay', 'burstCount', 'initialDelay', 'preambleSize'];

/** What a server accepts; everything else is refused with a log line and a close. */
export const LIMITS = {
  /** Most bytes one program may ask for (preamble + all bursts). */
  maxTotalBytes: 16 * 1024 * 1024,
  /** Most milliseconds of waiting one program may ask for (initial delay + all burst delays). */
  maxTotalDelayMs: 60_000,
  maxBurstCount: 100_000,
} as const;

export function encodeProgram(p: Program): Buffer {
  const b = Buffer.alloc(PROGRAM_LEN);
  PROGRAM_FIELDS.forEach((k, i) => b.writeBigInt64LE(BigInt(p[k]), i * 8));
  return b;
}

export type DecodedProgram = { ok: true; program: Program } | { ok: false; reason: string };

/** Decode and validate a program from exactly 40 bytes; never throws. */
export function decodeProgram(b: Uint8Array): DecodedProgram {
  if (b.length < PROGRAM_LEN) return { ok: false, reason: `short program: ${b.length} of ${PROGRAM_LEN} bytes` };
  const buf = Buffer.from(b.buffer, b.byteOffset, PROGRAM_LEN);
  const v: Partial<Program> = {};
  for (let i = 0; i < PROGRAM_FIELDS.length; i++) {
    const k = PROGRAM_FIELDS[i]!;
    const x = buf.readBigInt64LE(i * 8);
    if (x < 0n) return { ok: false, reason: `${k} is negative (${x})` };
    if (x > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, reason: `${k} is too large (${x})` };
    v[k] = Number(x);
  }
  const p = v as Program;
  if (p.burstCount > LIMITS.maxBurstCount) return { ok: false, reason: `burst count ${p.burstCount} > ${LIMITS.maxBurstCount}` };
  const bytes = p.preambleSize + p.burstSize * p.burstCount;
  if (bytes > LIMITS.maxTotalBytes) return { ok: false, reason: `program asks for ${bytes} bytes > ${LIMITS.maxTotalBytes}` };
  const delay = p.initialDelay + p.burstDelay * p.burstCount;
  if (delay > LIMITS.maxTotalDelayMs) return { ok: false, reason: `program asks for ${delay} ms of delay > ${LIMITS.maxTotalDelayMs}` };
  return { ok: true, program: p };
}

/** `n` bytes of the digits 0..9 repeating, the last byte a newline (n = 5 gives `0123\n`). */
export function pattern(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = i === n - 1 ? 0x0a : 0x30 + (i % 10);
  return b;
}
