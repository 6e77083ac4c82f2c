#!/usr/bin/env node
/**
 * The lab's helper processes, one per role, each started inside a lab namespace by lab.ts
 * (`ip netns exec NS node lab-agent.js ROLE ...`):
 *
 *   wire CLIENT_IF SERVER_IF [FAULT...]   forwards frames between the two ends through the faults
 *   capture IFACE [SNAPLEN]               captures TCP on IFACE, a pcap stream (ns time stamps) on stdout
 *   server HOST PORT                      the repro server
 *
 * Each prints nothing on stdout before it is ready (the wire and the server print `ready`, the
 * capture its pcap header) and stops on SIGTERM, SIGINT, or when its standard input (a pipe)
 * ends: the parent holds the other end of that pipe, so an agent never outlives the run that
 * started it, however that run ended. (samples/make-captures.sh starts a wire as a background
 * job, stdin not a pipe: that one stops on SIGTERM only.) Log lines go to stderr; errors as one line and a nonzero exit.
 */
import { fstatSync } from 'node:fs';
import { ExitCode, UserError } from '../capture/errors.js';

type Stop = () => void | Promise<void>;

function onEnd(stop: Stop): void {
  let stopping = false;
  const go = (): void => {
    if (stopping) return;
    stopping = true;
    Promise.resolve(stop()).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', go);
  process.once('SIGINT', go);
  // Only a pipe or socket means "a parent holds the other end" (a script's background job reads /dev/null).
  let pipe = false;
  try {
    const st = fstatSync(0);
    pipe = st.isFIFO() || st.isSocket(); // Node makes its child pipes socket pairs
  } catch {
    // no stdin at all
  }
  if (pipe) {
    process.stdin.on('end', go);
    process.stdin.on('error', go);
    process.stdin.resume();
  }
}

const log = (msg: string): void => void process.stderr.write(`${msg}\n`);

async function main(argv: string[]): Promise<void> {
  const [role, ...args] = argv;
  switch (role) {
    case 'wire': {
      const { startWire } = await import('./wire.js');
      const [clientIf = '', serverIf = '', ...faults] = args;
      const wire = startWire({ clientIf, serverIf, faults, log });
      onEnd(() => {
        wire.stop();
        const s = wire.stats;
        log(`stopped: ${s.fromClient} frames from the client (${s.toServer} sent on), ${s.fromServer} from the server (${s.toClient} sent on)`);
      });
      process.stdout.write('ready\n');
      return;
    }
    case 'capture': {
      const { openLive } = await import('../capture/live.js');
      const [iface = '', snaplen] = args;
      const live = await openLive({ iface, filter: 'tcp', snaplen: snaplen ? Number(snaplen) : undefined });
      const head = Buffer.alloc(24);
      head.writeUInt32LE(0xa1b23c4d, 0); // pcap, nanosecond time stamps
      head.writeUInt16LE(2, 4);
      head.writeUInt16LE(4, 6);
      head.writeUInt32LE(live.snaplen, 16);
      head.writeUInt32LE(live.linktype, 20);
      process.stdout.write(head);
      let last = Date.now();
      const done = live.run((p) => {
        last = Date.now();
        const rec = Buffer.allocUnsafe(16 + p.caplen);
        rec.writeUInt32LE(p.tsSec, 0);
        rec.writeUInt32LE(p.tsNsec, 4);
        rec.writeUInt32LE(p.caplen, 8);
        rec.writeUInt32LE(p.origlen, 12);
        p.data.copy(rec, 16, 0, p.caplen);
        process.stdout.write(rec);
      });
      onEnd(async () => {
        // Packets may still wait in libpcap's ring (a loaded machine reads it late): give the
        // event loop a few turns to read them, then go on until the capture has been quiet for
        // 150 ms, for at most 2 s.
        const start = Date.now();
        last = Math.max(last, start - 50);
        while (Date.now() - last < 150 && Date.now() - start < 2000) await new Promise((r) => setTimeout(r, 25));
        live.stop();
        await done;
        await new Promise<void>((r) => process.stdout.write('', () => r()));
      });
      return;
    }
    case 'server': {
      const { startServer, SERVER_DEFAULTS } = await import('./server.js');
      const { goTimestamp } = await import('./log.js');
      const [host = '0.0.0.0', port = String(SERVER_DEFAULTS.port)] = args;
      const server = await startServer({
        host,
        port: Number(port),
        idleTimeoutMs: SERVER_DEFAULTS.idleTimeoutMs,
        maxConnections: SERVER_DEFAULTS.maxConnections,
        log: (m) => log(`${goTimestamp()} ${m}`),
      });
      onEnd(() => server.stop());
      process.stdout.write('ready\n');
      return;
    }
    default:
      throw new UserError(`lab-agent: unknown role '${role ?? ''}' (wire, capture, server)`, ExitCode.Usage);
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  const code = e instanceof UserError ? e.exitCode : ExitCode.Failure;
  log(`ackscope lab: ${(e as Error)?.message ?? String(e)}`);
  process.exit(code);
});
