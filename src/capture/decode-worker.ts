/**
 * The first stage of the two-stage pipeline, run in a worker thread: read the capture (a file by
 * path, or the rest of standard input after the bytes the main thread already read), decode
 * every frame and append it to the shared ring (record-ring.ts). Back-pressure: the writer blocks
 * while the ring is full. At the end one message says how reading ended (the CaptureError or
 * UserError, as data) and carries the decoder's end counts; the only other messages are reasons
 * too long for a slot, each posted before the record that needs it.
 */
import { read } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { Decoder } from './decode.js';
import { CaptureError, UserError } from './errors.js';
import { captureFromStream, openCapture } from './open.js';
import type { Pace, PacketSource } from './packet.js';
import { ReaderStopped, RingWriter, type RingMemory } from './record-ring.js';
import { TcpPacket } from './tcp-packet.js';

/** Read size: the ring decouples reading from tracking, so smaller reads than the main thread's do. */
const WORKER_CHUNK = 1024 * 1024;

export interface DecodeWorkerData {
  /** A file path, or `-`: standard input, whose first bytes are `head`. */
  input: string;
  head?: Uint8Array;
  ring: RingMemory;
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

/** Standard input from the file descriptor (this thread cannot share the main thread's stream). */
async function* stdinAfter(head: Uint8Array): AsyncGenerator<Uint8Array> {
  if (head.length) yield head;
  for (;;) {
    const buf = Buffer.allocUnsafe(1 << 20);
    const n = await new Promise<number>((resolve, reject) => {
      const attempt = (): void =>
        read(0, buf, 0, buf.length, null, (err, k) => {
          if (err && (err as NodeJS.ErrnoException).code === 'EAGAIN') setTimeout(attempt, 2);
          else if (err) reject(err);
          else resolve(k);
        });
      attempt();
    });
    if (n === 0) return;
    yield buf.subarray(0, n);
  }
}

async function main(): Promise<void> {
  const data = workerData as DecodeWorkerData;
  const port = parentPort!;
  const writer = new RingWriter(data.ring, (reason) => port.postMessage({ type: 'reason', reason } satisfies DecodeWorkerReason));
  const decoder = new Decoder();
  const p = new TcpPacket();
  let error: DecodeWorkerEnd['error'] = null;
  // Between input chunks: let the reader see what is decoded so far; end when it wants no more.
  const pace: Pace = () => {
    writer.publish();
    return writer.stopped ? 'stop' : undefined;
  };
  try {
    const src: PacketSource = data.input === '-' ? captureFromStream('-', stdinAfter(data.head ?? new Uint8Array(0))) : await openCapture(data.input, { chunkSize: WORKER_CHUNK });
    await src.run((pkt) => {
      decoder.decode(pkt, p);
      writer.write(p, pkt);
    }, pace);
  } catch (e) {
    if (e instanceof ReaderStopped) return;
    if (e instanceof CaptureError) error = { kind: 'capture', file: e.file, offset: e.offset, frame: e.frame, reason: e.reason, exitCode: e.exitCode };
    else if (e instanceof UserError) error = { kind: 'user', message: e.message, exitCode: e.exitCode };
    else error = { kind: 'bug', message: (e as Error)?.message ?? String(e), stack: (e as Error)?.stack ?? '' };
  }
  const end: DecodeWorkerEnd = { type: 'end', error, fragmentsHeld: decoder.fragmentsHeld, otherLinkTypes: [...decoder.otherLinkTypes] };
  port.postMessage(end);
  writer.finish();
}

await main();
