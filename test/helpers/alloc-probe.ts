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
import { buildTcpFrame } from '../../src/capture/frame-builder.js';
import { Decoder } from '../../src/capture/decode.js';
import { newCapturedPacket } from '../../src/capture/packet.js';
import { TcpPacket, type TcpFlagName } from '../../src/capture/tcp-packet.js';
import { Tracker } from '../../src/analyze/tracker.js';

const scenario = process.argv[2];
const gc = (globalThis as { gc?: () => void }).gc;
if ((scenario !== 'bulk' && scenario !== 'short') || !gc) {
  console.error('usage: node --expose-gc --max-semi-space-size=1 alloc-probe.js bulk|short');
  process.exit(64);
}

const CLIENT = '10.9.0.1';
const SERVER = '10.9.0.2';
const dec = new Decoder();
const pkt = newCapturedPacket();
const p = new TcpPacket();

/** Every frame lives in one buffer, as a file source's frames do (the decoder keeps a view per buffer). */
const arena = Buffer.alloc(1 << 16);
let used = 0;
interface Template {
  /** Offset of the frame in the arena, its length, and of its TCP header. */
  off: number;
  len: number;
  tcp: number;
  fromClient: boolean;
}
function template(fromClient: boolean, flags: TcpFlagName[], seq: number, ack: number, len: number, options?: Parameters<typeof buildTcpFrame>[0]['options']): Template {
  const frame = buildTcpFrame({
    linktype: 1,
    src: fromClient ? CLIENT : SERVER,
    dst: fromClient ? SERVER : CLIENT,
    sport: fromClient ? 40000 : 8080,
    dport: fromClient ? 8080 : 40000,
    seq,
    ack,
    flags,
    win: 512,
    payload: new Uint8Array(len),
    options,
  });
  const t: Template = { off: used, len: frame.length, tcp: 0, fromClient };
  frame.copy(arena, used);
  used += frame.length;
  Object.assign(pkt, { data: arena, offset: t.off, caplen: t.len, origlen: t.len, linktype: 1 });
  dec.decode(pkt, p);
  t.tcp = p.tcpOffset;
  return t;
}

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
  const C = 1000;
  const S = 5000;
  const hs = [
    template(true, ['SYN'], C, 0, 0, { mss: 1460, wscale: 7, sackPerm: true }),
    template(false, ['SYN', 'ACK'], S, C + 1, 0, { mss: 1460, wscale: 7, sackPerm: true }),
    template(true, ['ACK'], C + 1, S + 1, 0),
  ];
  for (const t of hs) send(tracker, t, 0.0001);
  const data = template(true, ['ACK'], 0, S + 1, 1448);
  const ack = template(false, ['ACK'], S + 1, 0, 0);
  let seq = C + 1;
  const round = (n: number): void => {
    for (let i = 0; i < n; i++) {
      arena.writeUInt32BE(seq >>> 0, data.tcp + 4);
      seq += 1448;
      send(tracker, data, 0.00001);
      if (i & 1) {
        arena.writeUInt32BE(seq >>> 0, ack.tcp + 8);
        send(tracker, ack, 0);
      }
    }
  };
  // Warm: optimised code, the segment ring at its size.
  await measure(round, 200_000, 266_668);
} else {
  const C = 1000;
  const S = 5000;
  const steps = [
    template(true, ['SYN'], C, 0, 0, { mss: 1460, wscale: 7 }),
    template(false, ['SYN', 'ACK'], S, C + 1, 0, { mss: 1460, wscale: 7 }),
    template(true, ['ACK'], C + 1, S + 1, 0),
    template(true, ['PSH', 'ACK'], C + 1, S + 1, 10),
    template(false, ['PSH', 'ACK'], S + 1, C + 11, 10),
    template(true, ['FIN', 'ACK'], C + 11, S + 11, 0),
    template(false, ['FIN', 'ACK'], S + 11, C + 12, 0),
    template(true, ['ACK'], C + 12, S + 12, 0),
  ];
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
