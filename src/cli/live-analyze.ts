/**
 * `ackscope analyze --iface IF`: live capture through libpcap (the `cap` binding), analysed as
 * packets arrive, optionally saved as pcapng. Ctrl-C (SIGINT/SIGTERM), --count or --duration stop
 * the capture; the summary is printed and the file is complete either way.
 */
import { openLive } from '../capture/live.js';
import type { CapturedPacket, PacketSource } from '../capture/packet.js';
import { PcapngWriter } from '../capture/pcapng-writer.js';
import { analyzeSource, type AnalyzeOptions } from './analyze.js';
import { numberOption } from './args.js';

export interface LiveOptions {
  filter?: string | undefined;
  write?: string | undefined;
  count?: number | undefined;
  duration?: string | undefined;
}

export async function liveAnalyze(iface: string, l: LiveOptions, o: AnalyzeOptions): Promise<number> {
  const duration = numberOption('duration', l.duration, 0);
  const live = await openLive({ iface, filter: l.filter });
  const writer = l.write !== undefined ? PcapngWriter.open(l.write) : null;
  let seen = 0;
  const stop = (): void => live.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const timer = duration !== undefined ? setTimeout(stop, duration * 1000) : null;
  process.stderr.write(`ackscope: capturing on ${iface}${l.filter ? ` (filter: ${l.filter})` : ''}${writer ? `, writing ${l.write}` : ''}; Ctrl-C stops\n`);

  // Tee: every packet goes to the file (if any) and to the analysis; --count stops after N.
  const tee: PacketSource = {
    name: live.name,
    run: (sink) =>
      live.run((pkt: CapturedPacket) => {
        if (l.count !== undefined && seen >= l.count) return;
        seen++;
        writer?.write(pkt);
        sink(pkt);
        if (l.count !== undefined && seen >= l.count) live.stop();
      }),
  };
  try {
    const run = await analyzeSource(tee, { ...o, horizon: o.horizon ?? 1 });
    return run.code;
  } finally {
    if (timer) clearTimeout(timer);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    writer?.close();
    const st = live.stats();
    process.stderr.write(`ackscope: ${seen} packets captured${st.dropped ? `, ${st.dropped} dropped by the kernel` : ''}\n`);
  }
}
