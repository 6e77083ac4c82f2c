/**
 * Feeding a record parser from a sequence of chunks.
 *
 * Capture formats are sequences of length-prefixed records. Parsers read records in place, straight
 * out of whatever chunk of bytes the input delivered; only a record that straddles two chunks is
 * copied, into a carry buffer that never grows beyond the largest record the parser accepts (the
 * parser checks every length before it is used here). Memory is therefore bounded by the chunk
 * size plus one maximal record, whatever the size of the input.
 */

/** A capture-format parser, fed bytes in order. Everything is synchronous. */
export interface RecordParser {
  /**
   * Consume every complete unit (header, record, block) at `buf[start, end)`, delivering frames as it
   * goes; return the index of the first byte not consumed. Throws {@link CaptureError} on bad input.
   */
  parse(buf: Buffer, view: DataView, start: number, end: number): number;
  /**
   * How many bytes, counted from `start`, the next unit needs before {@link parse} can consume it
   * (at least one). Reads and checks whatever length fields are present at `buf[start, end)`, so the
   * answer never exceeds the parser's maximum unit size; throws {@link CaptureError} when they are bad.
   */
  need(buf: Buffer, view: DataView, start: number, end: number): number;
  /** The input ended with `buf[start, end)` not consumed (maybe empty): throw if that is not a clean end. */
  finish(buf: Buffer, view: DataView, start: number, end: number): void;
}

const INITIAL_CARRY = 64 * 1024;

export function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Pushes chunks into a {@link RecordParser}, carrying a partial unit over from one chunk to the next. */
export class ChunkFeeder {
  private carry: Buffer = Buffer.alloc(0);
  private carryView: DataView = viewOf(this.carry);
  private carryLen = 0;
  /** Bytes pushed so far. */
  bytesIn = 0;

  constructor(private readonly parser: RecordParser) {}

  /** Parse what `chunk` completes. The caller may reuse `chunk` as soon as this returns. */
  push(chunk: Buffer): void {
    const n = chunk.length;
    this.bytesIn += n;
    let off = 0;
    const parser = this.parser;
    while (this.carryLen > 0) {
      // Complete the unit in the carry buffer; its size may only be known once its header is in.
      let need = parser.need(this.carry, this.carryView, 0, this.carryLen);
      while (need > this.carryLen) {
        this.reserve(need);
        const take = Math.min(need - this.carryLen, n - off);
        chunk.copy(this.carry, this.carryLen, off, off + take);
        this.carryLen += take;
        off += take;
        if (this.carryLen < need) return;
        need = parser.need(this.carry, this.carryView, 0, this.carryLen);
      }
      const used = parser.parse(this.carry, this.carryView, 0, this.carryLen);
      if (used === 0) throw new Error('record parser made no progress on a complete unit');
      if (used < this.carryLen) this.carry.copyWithin(0, used, this.carryLen);
      this.carryLen -= used;
    }
    if (off === n) return;
    const view = viewOf(chunk);
    const p = parser.parse(chunk, view, off, n);
    if (p < n) {
      const rest = n - p;
      this.reserve(Math.max(rest, parser.need(chunk, view, p, n)));
      chunk.copy(this.carry, 0, p, n);
      this.carryLen = rest;
    }
  }

  /** The input is over: report a unit left incomplete, or an input that never got started. */
  end(): void {
    this.parser.finish(this.carry, this.carryView, 0, this.carryLen);
  }

  private reserve(size: number): void {
    if (size <= this.carry.length) return;
    const grown = Buffer.allocUnsafe(Math.max(size, INITIAL_CARRY));
    this.carry.copy(grown, 0, 0, this.carryLen);
    this.carry = grown;
    this.carryView = viewOf(grown);
  }
}
