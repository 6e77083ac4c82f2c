/** A classic pcap writer for building captures in scripts and tests (whole file in memory). */
export class PcapWriter {
  private readonly parts: Buffer[] = [];

  constructor(readonly linktype: number, private readonly opts: { nanos?: boolean; snaplen?: number } = {}) {
    const h = Buffer.alloc(24);
    h.writeUInt32LE(opts.nanos ? 0xa1b23c4d : 0xa1b2c3d4, 0);
    h.writeUInt16LE(2, 4);
    h.writeUInt16LE(4, 6);
    h.writeUInt32LE(opts.snaplen ?? 262144, 16);
    h.writeUInt32LE(linktype, 20);
    this.parts.push(h);
  }

  /** Add a frame captured at `tsSec` + `tsNsec`; `origLen` defaults to the frame's length. */
  add(tsSec: number, tsNsec: number, frame: Uint8Array, origLen = frame.length): this {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(tsSec >>> 0, 0);
    r.writeUInt32LE(this.opts.nanos ? tsNsec : Math.round(tsNsec / 1000), 4);
    r.writeUInt32LE(frame.length, 8);
    r.writeUInt32LE(origLen, 12);
    this.parts.push(r, Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength));
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}
