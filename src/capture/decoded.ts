/**
 * A source of decoded frames: what the analysis consumes. Two implementations share this shape:
 * {@link DecodingSource} decodes on the calling thread, straight from a {@link PacketSource};
 * the two-stage pipeline (pipelined.ts) reads and decodes in a worker thread and hands back
 * records from a shared ring. Either way the sink sees the same packets, in frame order.
 *
 * Lifecycle, as for a PacketSource: `run(sink, pace)` once; `sink(p, pkt)` synchronously per
 * frame with reused records (valid until it returns); `pace()` between batches; `run` rejects
 * with the CaptureError of a bad record after every frame before it was delivered. The decoder's
 * end-of-input counts are read after `run` settles.
 */
import { Decoder, type TimeOrigin } from './decode.js';
import type { CapturedPacket, Pace, PacketSource } from './packet.js';
import { TcpPacket } from './tcp-packet.js';

export type DecodedSink = (p: TcpPacket, pkt: CapturedPacket) => void;

export interface DecodedSource {
  readonly name: string;
  run(sink: DecodedSink, pace?: Pace): Promise<void>;
  /** The first frame's timestamp (the origin of every `TcpPacket.time`); null before any frame. */
  readonly origin: { sec: number; nsec: number } | null;
  /** Frames that were IP fragments held for reassembly (valid once `run` settled). */
  readonly fragmentsHeld: number;
  /** Frames of link types not decoded, by LINKTYPE value (valid once `run` settled). */
  readonly otherLinkTypes: ReadonlyMap<number, number>;
}

/** Decode a packet source on this thread. */
export class DecodingSource implements DecodedSource {
  private readonly decoder: Decoder;

  /** `timeOrigin`: shared by several decoders (captures merged in time order), see {@link Decoder}. */
  constructor(private readonly src: PacketSource, timeOrigin?: TimeOrigin) {
    this.decoder = new Decoder(timeOrigin);
  }

  get name(): string {
    return this.src.name;
  }

  get origin(): { sec: number; nsec: number } | null {
    return this.decoder.origin;
  }

  get fragmentsHeld(): number {
    return this.decoder.fragmentsHeld;
  }

  get otherLinkTypes(): ReadonlyMap<number, number> {
    return this.decoder.otherLinkTypes;
  }

  run(sink: DecodedSink, pace?: Pace): Promise<void> {
    const decoder = this.decoder;
    const p = new TcpPacket();
    return this.src.run((pkt) => {
      decoder.decode(pkt, p);
      sink(p, pkt);
    }, pace);
  }
}

export function isDecodedSource(s: PacketSource | DecodedSource): s is DecodedSource {
  return 'fragmentsHeld' in s;
}
