/**
 * The first stage of the two-stage pipeline, run in a worker thread: read the capture file by its
 * path, decode every frame and append it to the shared ring (record-ring.ts) with the time origin
 * and the read position beside it (IP fragments are reassembled here: the decoder holds them, and a
 * rebuilt segment travels as any other record). Back-pressure: the writer blocks
 * while the ring is full. At the end one message says how reading ended (the CaptureError or
 * UserError, as data) and carries the decoder's end counts; the only other messages are reasons
 * too long for a slot, each posted before the record that needs it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Decoder, type TimeOrigin } from './decode.js';
import { CaptureError, UserError } from './errors.js';
import { openCapture, type CaptureSource } from './open.js';
import type { Pace } from './packet.js';
import { ReaderStopped, RingWriter, type RingMemory } from './record-ring.js';
import { TcpPacket } from './tcp-packet.js';

/**
 * Read size: the ring decouples reading from tracking, so smaller reads than the main thread's do.
 * 256 KiB (two of them, read-ahead) rather than 1 MiB: 1.5 MB less peak RSS, and no slower on
 * bulk.pcap (user CPU of the process 2.66-2.95 s against 3.08-3.55 s with 1 MiB). Four times the
 * reads cost this thread system time, off the main thread's critical path: 1.59 against 1.25 s on
 * the 7.7 GB bulk-x10.pcap (each read is a round trip through libuv's thread pool).
 */
const WORKER_CHUNK = 256 * 1024;

export interface DecodeWorkerData {
  /** The capture file's path (a regular file: the main thread opened it and closed it again). */
  input: string;
  ring: RingMemory;
  /** A time origin the decoder starts from (captures sharing one); none: its first frame's. */
  timeOrigin?: TimeOrigin;
}

/** How reading ended, as the worker reports it. */
export interface DecodeWorkerEnd {
  type: 'end';
  error:
    | null
    | { kind: 'capture'; file: string; offset: number; frame: number; reason: string; exitCode: number }
    | { kind: 'user'; message: string; exitCode: number }
    | { kind: 'bug'; message: string; stack: string };
  fragmentsHeld: number;
  otherLinkTypes: [number, number][];
}

export interface DecodeWorkerReason {
  type: 'reason';
  reason: string;
}

async function main(): Promise<void> {
  const data = workerData as DecodeWorkerData;
  const port = parentPort!;
  const writer = new RingWriter(data.ring, (reason) => port.postMessage({ type: 'reason', reason } satisfies DecodeWorkerReason));
  const decoder = new Decoder(data.timeOrigin);
  const p = new TcpPacket();
  let error: DecodeWorkerEnd['error'] = null;
  let src: CaptureSource | null = null;
  // Between input chunks: let the reader see what is decoded so far (and how far reading got); end
  // when it wants no more.
  const pace: Pace = () => {
    if (src !== null) writer.setPosition(src.position);
    writer.publish();
    return writer.stopped ? 'stop' : undefined;
  };
  let first = true;
  try {
    src = await openCapture(data.input, { chunkSize: WORKER_CHUNK });
    await src.run((pkt) => {
      decoder.decode(pkt, p);
      if (first) {
        // The epoch every time is relative to, visible to the reader with the first record.
        first = false;
        const o = decoder.origin!;
        writer.setOrigin(o.sec, o.nsec);
      }
      writer.write(p, pkt);
    }, pace);
  } catch (e) {
    if (e instanceof ReaderStopped) return;
    if (e instanceof CaptureError) error = { kind: 'capture', file: e.file, offset: e.offset, frame: e.frame, reason: e.reason, exitCode: e.exitCode };
    else if (e instanceof UserError) error = { kind: 'user', message: e.message, exitCode: e.exitCode };
    else error = { kind: 'bug', message: (e as Error)?.message ?? String(e), stack: (e as Error)?.stack ?? '' };
  }
  const end: DecodeWorkerEnd = { type: 'end', error, fragmentsHeld: decoder.fragmentsHeld, otherLinkTypes: [...decoder.otherLinkTypes] };
  if (src !== null) writer.setPosition(src.position);
  port.postMessage(end);
  writer.finish();
}

await main();
