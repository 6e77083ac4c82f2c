#!/usr/bin/env -S node --max-semi-space-size=4
/**
 * ackscope command line. Data goes to stdout, errors (one line each) and progress to stderr.
 * Exit statuses are listed in `ackscope --help` and the README.
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { CaptureError, ExitCode, UserError } from './capture/errors.js';
// Commands are loaded when run: `analyze` need not load the reproducer's networking, nor the others the analyzer.
const analyzeModule = (): Promise<typeof import('./cli/analyze-command.js')> => import('./cli/analyze-command.js');
const interfacesModule = (): Promise<typeof import('./cli/interfaces-command.js')> => import('./cli/interfaces-command.js');
const convertModule = (): Promise<typeof import('./cli/convert-command.js')> => import('./cli/convert-command.js');
const reproModule = (): Promise<typeof import('./cli/repro-command.js')> => import('./cli/repro-command.js');

// Memory (README "Speed"). The #! line gives Node a 4 MB young generation (a flag only the command
// line can set; it saves 20 MB and costs 15 ms of start-up, as any V8 flag on Node 20's command
// line does, measured: 58 against 73 ms for --version). Here, the old generation may grow to 1.3x
// what survived the last full collection: V8's own heuristic ran two full collections early in a
// long capture and then let garbage pile up to its limit (peak RSS 166 MB on the ten-fold bench
// capture, 131 MB with this).
setFlagsFromString('--heap-growing-percent=30');

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

const MAIN_HELP = `ackscope ${VERSION}: says, packet by packet, where a TCP acknowledgement went wrong.

Usage:
  ackscope analyze FILE|-            analyse a pcap/pcapng capture (gzip too; - for stdin)
  ackscope analyze TEXT|-            analyse a tshark or tcpdump text trace (as pasted into tickets)
  ackscope convert TEXT -w F.pcapng  rebuild a text trace's packets as pcapng
  ackscope analyze --iface IF        capture live from an interface and analyse as packets arrive
  ackscope repro server|client|run   the half-close reproducer (wire-compatible with vbox-portforward)
  ackscope repro run --fault NAME    the same through a middlebox lab (vbox-nat: the VirtualBox bug)
  ackscope repro faults              the lab's faults
  ackscope interfaces                list capture interfaces
  ackscope COMMAND --help            options of a command

Options:
  -h, --help      this help
  -V, --version   print the version

Exit status:
  0   success          1   repro client: bytes missing     2   bad capture / unreadable text
  3   analyze --fail-on: a connection reached the verdict
  64  usage error      66  cannot open input               68  no such interface
  69  libpcap/cap missing   73  cannot write --output/--zeek-log   75  port in use   76  server unreachable
  77  no capture permission
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case undefined:
      process.stderr.write(MAIN_HELP);
      return ExitCode.Usage;
    case '-h':
    case '--help':
    case 'help':
      if (rest[0] === 'analyze') process.stdout.write((await analyzeModule()).ANALYZE_HELP);
      else if (rest[0] === 'interfaces') process.stdout.write((await interfacesModule()).INTERFACES_HELP);
      else if (rest[0] === 'convert') process.stdout.write((await convertModule()).CONVERT_HELP);
      else if (rest[0] === 'repro') process.stdout.write((await reproModule()).REPRO_HELP);
      else process.stdout.write(MAIN_HELP);
      return ExitCode.Ok;
    case '-V':
    case '--version':
      process.stdout.write(`ackscope ${VERSION}\n`);
      return ExitCode.Ok;
    case 'analyze':
      return (await analyzeModule()).analyzeCommand(rest);
    case 'convert':
      return (await convertModule()).convertCommand(rest);
    case 'interfaces':
      return (await interfacesModule()).interfacesCommand(rest);
    case 'repro':
      return (await reproModule()).reproCommand(rest);
    default:
      throw new UserError(`unknown command '${cmd}' (commands: analyze, convert, repro, interfaces; see --help)`, ExitCode.Usage);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    if (e instanceof UserError || e instanceof CaptureError) {
      process.stderr.write(`ackscope: ${e.message}\n`);
      process.exitCode = e.exitCode;
    } else {
      // A bug: still one line for the user; the stack only when asked for.
      const err = e as Error;
      process.stderr.write(`ackscope: internal error: ${err?.message ?? String(e)}${process.env.ACKSCOPE_DEBUG ? `\n${err?.stack ?? ''}` : ' (set ACKSCOPE_DEBUG=1 for details)'}\n`);
      process.exitCode = 70;
    }
  },
);
