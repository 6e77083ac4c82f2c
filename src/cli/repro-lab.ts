/**
 * `repro run --fault`: wiring only. Builds the lab run (src/repro/lab-run.ts), feeds its captures
 * to the same analysis as `analyze`, prints the client's log on stderr and the verdict line on
 * stdout, and makes sure the lab goes away however the command ends.
 */
import { basename, dirname, extname, join } from 'node:path';
import type { ConnectionSummary } from '../analyze/summary.js';
import { ExitCode, UserError } from '../capture/errors.js';
import type { CapturedPacket, PacketSource } from '../capture/packet.js';
import { createFault } from '../repro/faults/index.js';
import { LAB_ADDR, type Lab } from '../repro/lab.js';
import { startLabRun, type CaptureSide, type LabRun } from '../repro/lab-run.js';
import { goTimestamp } from '../repro/log.js';
import { analyzeSource, type Format } from './analyze.js';

export interface RunLabOptions {
  faults: string[];
  capture: string;
  snaplen: number | undefined;
  format: Format;
  color: boolean;
  write: string | undefined;
  clientArgs: string[];
}

/** FILE-client.EXT beside FILE. */
export function clientSidePath(file: string): string {
  const ext = extname(file);
  return join(dirname(file), `${basename(file, ext)}-client${ext}`);
}

export async function runLab(o: RunLabOptions): Promise<number> {
  const sides: CaptureSide[] = o.capture === 'both' ? ['server', 'client'] : o.capture === 'server' || o.capture === 'client' ? [o.capture] : [];
  if (sides.length === 0) throw new UserError(`--capture must be server, client or both, not '${o.capture}'`, ExitCode.Usage);
  for (const f of o.faults) createFault(f); // usage errors before anything is built
  const log = (who: string, msg: string): void => void process.stderr.write(`${goTimestamp()} ${who}: ${msg}\n`);

  let run: LabRun | null = null;
  let built: Lab | null = null;
  const onSignal = (sig: NodeJS.Signals): void => {
    log('lab', `${sig}: removing the lab`);
    built?.teardown();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const { PcapngWriter } = await import('../capture/pcapng-writer.js');
  const writers: { close(): void }[] = [];
  try {
    run = await startLabRun({
      faults: o.faults,
      captures: sides,
      snaplen: o.snaplen,
      clientArgs: o.clientArgs,
      log,
      received: (b) => log('client', `received ${JSON.stringify(b.toString('latin1'))}`),
      onLab: (l) => (built = l),
    });
    const lab = run;
    // The first side is analysed live; any other is kept and analysed after it.
    const tee = (src: PacketSource, file: string | undefined, ifName: string): PacketSource => {
      if (file === undefined) return src;
      const w = PcapngWriter.open(file, { ifName });
      writers.push(w);
      return { name: src.name, run: (sink) => src.run((p: CapturedPacket) => (w.write(p), sink(p))) };
    };
    const conns: ConnectionSummary[] = [];
    const [primary, ...others] = lab.captures;
    const analyse = (c: { side: CaptureSide; source: PacketSource }, i: number, onConnection?: (s: ConnectionSummary) => void) =>
      analyzeSource(tee(c.source, o.write === undefined ? undefined : i === 0 ? o.write : clientSidePath(o.write), `${c.side} eth0`), {
        format: o.format,
        color: o.color,
        states: true,
        anomaliesOnly: false,
        allConnections: true,
        horizon: 1,
        onConnection,
      });
    const first = analyse(primary!, 0, (s) => conns.push(s));
    // Other sides: buffer their bytes now (the capture must keep draining), analyse afterwards.
    const held = others.map((c) => {
      const chunks: CapturedPacket[] = [];
      const copy = c.source.run((p) => void chunks.push({ ...p, data: Buffer.from(p.data.subarray(p.offset, p.offset + p.caplen)), offset: 0 }));
      return { c, chunks, copy };
    });
    const result = await Promise.race([lab.runClient(), lab.broken.then((why) => ({ broken: why }))]);
    await new Promise((r) => setTimeout(r, 300)); // the last FIN/ACKs
    await lab.finish();
    const analysed = await first;
    for (const [i, h] of held.entries()) {
      await h.copy;
      if (o.format === 'text') process.stdout.write(`\n${h.c.side}-side capture:\n`);
      await analyse({ side: h.c.side, source: { name: h.c.source.name, run: (sink) => (h.chunks.forEach(sink), Promise.resolve()) } }, i + 1);
    }
    for (const w of writers.splice(0)) w.close();
    if (analysed.code !== ExitCode.Ok) return analysed.code; // its one-line error is on stderr
    if ('broken' in result) {
      process.stderr.write(`ackscope: ${result.broken}; the lab was removed\n`);
      return ExitCode.Failure;
    }
    const c = conns.find((s) => s.server.port === LAB_ADDR.port) ?? conns[0];
    process.stdout.write(`repro: copied ${result.copied} bytes of ${result.expected} expected; ${c ? `${c.verdict} (${c.closed})` : 'no connection was captured'}\n`);
    return result.code;
  } finally {
    for (const w of writers) w.close();
    (built as Lab | null)?.teardown();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
