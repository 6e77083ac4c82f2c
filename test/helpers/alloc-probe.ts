/**
 * Counts the garbage collections the tracker causes once warm, in a process of its own:
 * `node --expose-gc --max-semi-space-size=1 dist/test/helpers/alloc-probe.js bulk|short`.
 * Prints one JSON line: {"scenario", "packets", "connections", "gcs"}.
 *
 * The frames are built once (frame-builder) and reused: only the fields that change from packet
 * to packet (ports, sequence and acknowledgement numbers) are written into them in place, and
 * each is decoded into one reused TcpPacket, so the loop around the tracker allocates nothing.
 * With a young generation of 1 MB, the 400 000 measured packets could not add even 3 bytes each
 * without a scavenge: a count of 0 means nothing is allocated per packet.
 *
 * - bulk: one connection, a long transfer (1448-byte segments, an ACK every second one).
 * - short: 50 000 eight-packet conversations, each on the next of 50 000 client ports, closed
 *   within 8 ms and ended 50 ms later, so the tracker's pool of recycled connections is warm: a
 *   count of 0 means a recycled connection leaves less than 20 bytes of garbage behind.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import { Decoder } from '../../src/capture/decode.js';
import { newCapturedPacket } from '../../src/capture/packet.js';
import { TcpPacket } from '../../src/capture/tcp-packet.js';
import { Tracker } from '../../src/analyze/tracker.js';
import { convoFrames, DEFAULT_ENDS, type Step } from './convo.js';

const scenario = process.argv[2];
const gc = (globalThis as { gc?: () => void }).gc;
if ((scenario !== 'bulk' && scenario !== 'short') || !gc) {
  console.error('usage: node --expose-gc --max-semi-space-size=1 alloc-probe.js bulk|short');
  process.exit(64);
}

const dec = new Decoder();
const pkt = newCapturedPacket();
const p = new TcpPacket();

/** Every frame lives in one buffer, as a file source's frames do (the decoder keeps a view per buffer). */
const arena = Buffer.alloc(1 << 16);
interface Template {
  /** Offset of the frame in the arena, its length, and of its TCP header. */
  off: number;
  len: number;
  tcp: number;
  fromClient: boolean;
}
/** The frames of a conversation (test/helpers/convo.ts), placed one after another in the arena. */
function templates(steps: readonly Step[]): Template[] {
  let used = 0;
  return convoFrames(steps).map(([, , frame], k) => {
    const t: Template = { off: used, len: frame.length, tcp: 0, fromClient: steps[k]!.from === 'c' };
    frame.copy(arena, used);
    used += frame.length;
    Object.assign(pkt, { data: arena, offset: t.off, caplen: t.len, origlen: t.len, linktype: 1 });
    dec.decode(pkt, p);
    t.tcp = p.tcpOffset;
    return t;
  });
}
const SYN_OPTIONS = { mss: 1460, wscale: 7, sackPerm: true };
const HANDSHAKE: Step[] = [
  { from: 'c', flags: ['SYN'], t: 0, options: SYN_OPTIONS },
  { from: 's', flags: ['SYN', 'ACK'], t: 0, options: SYN_OPTIONS },
  { from: 'c', flags: ['ACK'], t: 0 },
];

let frame = 0;
/**
 * Capture time, in a typed array: a module-level `let` holding a double is a context slot, and
 * every assignment to it would allocate a heap number of the probe's own.
 */
const clock = new Float64Array(1);
function send(tr: Tracker, t: Template, dt: number): void {
  clock[0]! += dt;
  pkt.offset = t.off;
  pkt.caplen = pkt.origlen = t.len;
  pkt.frame = ++frame;
  dec.decode(pkt, p);
  p.time = clock[0]!;
  tr.process(p, arena);
}

const tracker = new Tracker({ closeLinger: 0.05, maxFindingsPerConnection: 50, finishedTuples: 1024 });
let gcs = 0;
let packets = 0;

if (scenario === 'bulk') {
  // The handshake, then a data segment and an ACK whose numbers are rewritten for every round.
  const [syn, synAck, ack3, data, ack] = templates([...HANDSHAKE, { from: 'c', flags: ['ACK'], len: 1448, t: 0 }, { from: 's', flags: ['ACK'], t: 0 }]);
  for (const t of [syn!, synAck!, ack3!]) send(tracker, t, 0.0001);
  let seq = DEFAULT_ENDS.isn.c + 1;
  const round = (n: number): void => {
    for (let i = 0; i < n; i++) {
      arena.writeUInt32BE(seq >>> 0, data!.tcp + 4);
      seq += 1448;
      send(tracker, data!, 0.00001);
      if (i & 1) {
        arena.writeUInt32BE(seq >>> 0, ack!.tcp + 8);
        send(tracker, ack!, 0);
      }
    }
  };
  // Warm: optimised code, the segment ring at its size.
  await measure(round, 200_000, 266_668);
} else {
  const steps = templates([
    ...HANDSHAKE,
    { from: 'c', flags: ['PSH', 'ACK'], len: 10, t: 0 },
    { from: 's', flags: ['PSH', 'ACK'], len: 10, t: 0 },
    { from: 'c', flags: ['FIN', 'ACK'], t: 0 },
    { from: 's', flags: ['FIN', 'ACK'], t: 0 },
    { from: 'c', flags: ['ACK'], t: 0 },
  ]);
  let port = 0;
  const round = (n: number): void => {
    for (let i = 0; i < n; i++) {
      const cport = 10000 + (port++ % 50_000);
      for (let k = 0; k < steps.length; k++) {
        const t = steps[k]!;
        arena.writeUInt16BE(cport, t.tcp + (t.fromClient ? 0 : 2));
        send(tracker, t, 0.001);
      }
      clock[0]! += 0.002;
    }
  };
  // Warm: optimised code, and ended connections in the pool.
  await measure(round, 20_000, 50_000);
}

console.log(JSON.stringify({ scenario, packets, connections: tracker.totals.connections, gcs }));

/** `round(warm)`, a full collection, then `round(measured)` with its packets and collections counted. */
async function measure(round: (n: number) => void, warm: number, measured: number): Promise<void> {
  round(warm);
  gc!();
  let n = 0;
  const obs = new PerformanceObserver((list) => {
    n += list.getEntries().length;
  });
  obs.observe({ entryTypes: ['gc'] });
  const before = frame;
  round(measured);
  packets = frame - before;
  await new Promise((r) => setTimeout(r, 20)); // entries are delivered after the fact
  obs.disconnect();
  gcs = n;
}
