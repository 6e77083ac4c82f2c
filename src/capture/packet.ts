/**
 * What every packet source delivers: one captured frame, as a *reused* record.
 *
 * Lifecycle contract for every {@link PacketSource}:
 *   1. `run(sink)` is called once.
 *   2. `sink(pkt)` is called zero or more times, synchronously, in file (or arrival) order.
 *      `pkt` and the bytes it points at are valid only until `sink` returns: the source
 *      reuses both the record and the buffer. Copy (`Buffer.from(subarray)`) anything you keep.
 *   3. Between input chunks a file or stream source calls `pace()`, if given: a promise makes it
 *      wait before reading more (the consumer's output is backed up), `'stop'` ends reading
 *      there and `run` resolves (the consumer's output was closed, as by `| head`). Live sources
 *      cannot wait and ignore it.
 *   4. `run` resolves when the source is exhausted (or stopped), or rejects with a
 *      {@link CaptureError} naming file, byte offset and frame. Frames delivered before the
 *      error stay delivered.
 */
export interface CapturedPacket {
  /** 1-based frame number in the file (every frame counts, TCP or not), as tshark numbers them. */
  frame: number;
  /** Buffer holding the frame bytes; usually a large shared chunk. Read, never keep. */
  data: Buffer;
  /** Offset of the frame's first byte in {@link data}. */
  offset: number;
  /** Bytes captured (present in {@link data} from {@link offset}). */
  caplen: number;
  /** Length of the frame on the wire (>= caplen). */
  origlen: number;
  /** Capture time: whole seconds since the Unix epoch. */
  tsSec: number;
  /** Capture time: nanoseconds within the second, 0..999_999_999. */
  tsNsec: number;
  /** LINKTYPE_* value of the interface the frame was captured on. */
  linktype: number;
  /** pcapng interface id (0 for classic pcap and live capture). */
  interfaceId: number;
  /**
   * The record holds more bytes than the file's (or interface's) snapshot length: read whole, as
   * tshark and libpcap accept it, and counted in the capture table.
   */
  beyondSnaplen: boolean;
}

export type PacketSink = (pkt: CapturedPacket) => void;

/** See step 3 of the contract above. */
export type Pace = () => Promise<void> | 'stop' | undefined;

export interface PacketSource {
  /** Human name for messages: the path, `-` for stdin, or `iface:NAME`. */
  readonly name: string;
  run(sink: PacketSink, pace?: Pace): Promise<void>;
}

export function newCapturedPacket(): CapturedPacket {
  return {
    frame: 0,
    data: Buffer.alloc(0),
    offset: 0,
    caplen: 0,
    origlen: 0,
    tsSec: 0,
    tsNsec: 0,
    linktype: 0,
    interfaceId: 0,
    beyondSnaplen: false,
  };
}

/** Seconds from `(s0, ns0)` to `(s, ns)` as a double, exact to the nanosecond for spans < 100 days. */
export function secondsSince(s: number, ns: number, s0: number, ns0: number): number {
  return (s - s0) + (ns - ns0) / 1e9;
}
