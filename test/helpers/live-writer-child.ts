/**
 * Child process for the live-capture tests: captures on IFACE with FILTER into a pcapng file until
 * SIGINT/SIGTERM, the way `ackscope analyze --iface --write` does.
 *
 *   node live-writer-child.js IFACE FILTER PATH
 *
 * stdout: `{"ready":true,"linktype":N}` once capturing, `{"packets":N}` after a clean stop.
 * A UserError ends it with its exit code and its message on stderr.
 */
import { UserError } from '../../src/capture/errors.js';
import { openLive } from '../../src/capture/live.js';
import { PcapngWriter } from '../../src/capture/pcapng-writer.js';

async function main(): Promise<number> {
  const [iface = 'lo', filter = '', path = 'live.pcapng'] = process.argv.slice(2);
  const live = await openLive({ iface, filter });
  const writer = PcapngWriter.open(path, { snaplen: live.snaplen, ifName: iface });
  const stop = (): void => live.stop();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.stdout.write(`${JSON.stringify({ ready: true, linktype: live.linktype })}\n`);
  try {
    await live.run((p) => writer.write(p));
  } finally {
    writer.close();
  }
  process.stdout.write(`${JSON.stringify({ packets: writer.packets })}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exitCode = e instanceof UserError ? e.exitCode : 70;
  },
);
