/**
 * The wire: forwards Ethernet frames between two interfaces (the client's end and the server's
 * end of the lab) through a chain of faults, like a cable with a middlebox in it. Runs inside the
 * lab's wire namespace (see lab-agent.ts), where both interfaces live.
 *
 * Each end is opened with libpcap (the cap binding); a frame read on one end is sent on the other
 * with pcap_sendpacket. A packet socket never sees the frames it sent itself, so the only frames to
 * keep from crossing are the wire namespace's own (its veths' IPv6 router solicitations and the
 * like): the filter is `not ether src OWN_MAC`. Not `inbound`: libpcap (1.10, memory-mapped ring)
 * runs a new filter in userland on the first frame after it is set, and userland cannot evaluate
 * `inbound` (a load of the kernel's packet type), so each fresh handle silently dropped its first
 * frame: a SYN to a just-started wire was lost, or the RST answering it. Frames are copied out of cap's buffer (lab traffic is small) so a fault may
 * hold them. Checksums: the lab turns checksum offload off on every veth, so frames arrive with
 * complete checksums; a fault that rewrites a header recomputes them (TcpFrame.fixChecksums).
 */
import { readFileSync } from 'node:fs';
import { loadCap, tryOpen, type CapHandle } from '../capture/cap-binding.js';
import { ExitCode, UserError } from '../capture/errors.js';
import { createFault, otherSide, type Fault, type FaultIO, type Side } from './faults/index.js';
import { TcpFrame } from './frame.js';

export interface WireOptions {
  clientIf: string;
  serverIf: string;
  /** `--fault` values, applied in order. */
  faults: readonly string[];
  log: (msg: string) => void;
}

export interface WireStats {
  /** Frames read from each end, and sent out of each end. */
  fromClient: number;
  fromServer: number;
  toServer: number;
  toClient: number;
  sendErrors: number;
}

export interface RunningWire {
  readonly stats: WireStats;
  stop(): void;
}

const SNAPLEN = 65535;

/**
 * The capture filter for one end: every frame but those the wire's namespace itself sends out of
 * `iface` (they carry its MAC). Exported for the test that pins down why it is not `inbound`.
 */
export function ownFramesFilter(iface: string): string {
  let mac = '';
  try {
    mac = readFileSync(`/sys/class/net/${iface}/address`, 'utf8').trim();
  } catch {
    // not an interface here: open() reports that in its own words
  }
  return /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac) ? `not ether src ${mac}` : '';
}
const BUFFER_SIZE = 4 * 1024 * 1024;

export function startWire(o: WireOptions): RunningWire {
  const faults: Fault[] = (o.faults.length ? o.faults : ['none']).map(createFault);
  const cap = loadCap();
  const open = (iface: string): { handle: CapHandle; buf: Buffer } => {
    const buf = Buffer.alloc(SNAPLEN);
    const r = tryOpen(cap, iface, ownFramesFilter(iface), BUFFER_SIZE, buf);
    if ('error' in r) throw new UserError(`wire: cannot open ${iface}: ${r.error}`, /permission|not permitted/i.test(r.error) ? ExitCode.NoPermission : ExitCode.Failure);
    if (r.linkName !== 'ETHERNET') throw new UserError(`wire: ${iface} is not Ethernet (${r.linkName})`, ExitCode.Failure);
    return { handle: r.handle, buf };
  };
  const client = open(o.clientIf);
  const server = open(o.serverIf);
  const stats: WireStats = { fromClient: 0, fromServer: 0, toServer: 0, toClient: 0, sendErrors: 0 };
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;

  const out = (frame: Buffer, from: Side): void => {
    if (stopped) return;
    const h = from === 'client' ? server.handle : client.handle;
    try {
      h.send(frame, frame.length);
      if (from === 'client') stats.toServer++;
      else stats.toClient++;
    } catch (e) {
      if (stats.sendErrors++ === 0) o.log(`cannot send toward the ${otherSide(from)}: ${(e as Error).message}`);
    }
  };

  // Stage i hands its frames to stage i + 1; the last stage sends them out of the other end.
  const stages: ((frame: Buffer, from: Side) => void)[] = [];
  for (let i = faults.length - 1; i >= 0; i--) {
    const fault = faults[i]!;
    const next = stages[0] ?? out;
    const view = new TcpFrame();
    const io: FaultIO = {
      emit: (frame, from) => next(frame, from),
      after: (ms, fn) => {
        const t = setTimeout(() => {
          timers.delete(t);
          if (!stopped) fn();
        }, ms);
        timers.add(t);
      },
      log: o.log,
    };
    stages.unshift((frame, from) => fault.onFrame(frame, view.parse(frame, frame.length) ? view : null, from, io));
  }
  const first = stages[0]!;

  const listen = (end: { handle: CapHandle; buf: Buffer }, from: Side): void => {
    end.handle.on('packet', (nbytes: number) => {
      if (stopped) return;
      if (from === 'client') stats.fromClient++;
      else stats.fromServer++;
      first(Buffer.from(end.buf.subarray(0, nbytes)), from);
    });
  };
  listen(client, 'client');
  listen(server, 'server');

  return {
    stats,
    stop() {
      if (stopped) return;
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const end of [client, server]) {
        end.handle.removeAllListeners('packet');
        end.handle.close();
      }
    },
  };
}
