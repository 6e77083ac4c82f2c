/**
 * Child process for the live-capture tests: captures on IFACE with FILTER into a pcapng file until
 * SIGINT/SIGTERM, the way `ackscope analyze --iface --write` does.
 *
 *   node live-writer-child.js IFACE FILTER PATH
 *
 * Stops on SIGINT/SIGTERM or when stdin closes (the parent died).
 * stdout: `{"ready":true,"linktype":N}` once capturing, `{"packets":N}` after a clean stop.
 * A UserError ends it with its exit code and its message on stderr.
 *
 * It runs only with ACKSCOPE_TEST_CHILD=live-writer in the environment, so that a test runner
 * given the whole test directory (which once hung CI) finds a module that does nothing, not a
 * capture on lo that runs until killed.
 */
import { UserError } from '../../src/capture/errors.js';
import { openLive } from '../../src/capture/live.js';
import { PcapngWriter } from '../../src/capture/pcapng-writer.js';

/** The environment a test gives this script to make it run. */
export const CHILD_ENV = { ACKSCOPE_TEST_CHILD: 'live-writer' } as const;

async function main(): Promise<number> {
  const [iface = 'lo', filter = '', path = 'live.pcapng'] = process.argv.slice(2);
  const live = await openLive({ iface, filter });
  const writer = PcapngWriter.open(path, { snaplen: live.snaplen, ifName: iface });
  const stop = (): void => live.stop();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // Stop too when the parent goes away (its end of our stdin closes), so no capture outlives a test.
  process.stdin.on('end', stop).on('close', stop).resume();
  process.stdout.write(`${JSON.stringify({ ready: true, linktype: live.linktype })}\n`);
  try {
    await live.run((p) => writer.write(p));
  } finally {
    writer.close();
    process.stdin.destroy(); // or the open pipe keeps this process alive after the capture ended
  }
  process.stdout.write(`${JSON.stringify({ packets: writer.packets })}\n`);
  return 0;
}

if (process.env.ACKSCOPE_TEST_CHILD === CHILD_ENV.ACKSCOPE_TEST_CHILD) main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exitCode = e instanceof UserError ? e.exitCode : 70;
  },
);
