import { ExitCode, UserError } from '../capture/errors.js';
import type { ConnectionSummary } from '../analyze/summary.js';
import { parseAddr } from '../repro/addr.js';
import { CLIENT_DEFAULTS, defaultTimeoutMs, runClient } from '../repro/client.js';
import { goTimestamp, stderrLogger } from '../repro/log.js';
import { DEFAULT_PROGRAM, LIMITS, type Program } from '../repro/program.js';
import { SERVER_DEFAULTS, startServer } from '../repro/server.js';
import { analyzeSource, type Format } from './analyze.js';
import { intOption, parseOrUsage } from './args.js';
import { useColor } from './color.js';

export const REPRO_HELP = `Usage: ackscope repro server [--addr HOST:PORT] [--idle-timeout MS] [--max-connections N]
       ackscope repro client [--addr HOST:PORT] [program options] [--close-delay MS] [--timeout MS]
       ackscope repro run    [--addr HOST:PORT] [program options] [--close-delay MS] [--iface IF] [--write FILE] [--format F]
       ackscope repro run    --fault NAME[:ARGS] [--fault ...] [--capture server|client|both] [--snaplen N]
                             [program options] [--close-delay MS] [--timeout MS] [--write FILE] [--format F]
       ackscope repro faults

The half-close reproducer, wire-compatible with the vbox-portforward Go program: either end may be
the original. The client sends a 40-byte program (five little-endian int64: burst size, burst
delay, burst count, initial delay, preamble size); the server writes the preamble (digits 0-9
repeating, last byte a newline), waits the initial delay, writes the bursts with the burst delay
after each, then closes. The client reads the preamble line, half-closes its write side
(CloseWrite), copies the rest to stdout and logs "copied N bytes of M expected".

  server   listen (default ${SERVER_DEFAULTS.host}:${SERVER_DEFAULTS.port}) until SIGINT/SIGTERM
  client   dial (default ${CLIENT_DEFAULTS.host}:${CLIENT_DEFAULTS.port}); exit 0 when every byte arrived, 1 otherwise
  run      both on loopback (an ephemeral port unless --addr), captured live and analysed: the
           client's log on stderr, the annotated trace and a verdict on stdout (needs root or CAP_NET_RAW)
  run --fault  the same through a middlebox lab (needs root): the client in a network namespace at
           10.0.2.2, the server in another at 10.0.2.15 (the seed's addresses), joined by a wire
           that applies the faults in order; captured on the server's side by default (as the
           seed's author did, in the guest). --fault none is a plain cable. With --capture both
           the client side is analysed after the server side, and --write FILE also writes
           FILE-client. The lab is removed at the end, on SIGINT/SIGTERM, and if the wire dies;
           a lab left by a killed run is removed by the next one.
  faults   list the faults with a line on each

Fault options (run --fault):
  --fault SPEC         vbox-nat, vbox-nat:rst, drop:server:3,7 ... (ackscope repro faults); repeatable
  --capture SIDE       server (default), client or both
  --snaplen N          bytes kept per captured packet (default 65535)

Program options (client, run):
  --burst-size N       bytes per burst (default ${DEFAULT_PROGRAM.burstSize})
  --burst-delay MS     sleep after each burst (default ${DEFAULT_PROGRAM.burstDelay})
  --burst-count N      bursts (default ${DEFAULT_PROGRAM.burstCount})
  --initial-delay MS   wait after the preamble (default ${DEFAULT_PROGRAM.initialDelay})
  --preamble-size N    bytes of preamble (default ${DEFAULT_PROGRAM.preambleSize})
Client options:
  --close-delay MS     wait after the preamble before half-closing (default 0)
  --timeout MS         give up and report the count (exit 1) after MS (default: program duration + 10000)
Server options:
  --idle-timeout MS    drop a peer that has not sent a whole program in MS (default ${SERVER_DEFAULTS.idleTimeoutMs})
  --max-connections N  concurrent connections (default ${SERVER_DEFAULTS.maxConnections}); when all are taken, the
                       oldest peer that has not sent a whole program is closed to make room
Server limits (a program beyond them is refused with a log line and a close): no negative value,
at most ${LIMITS.maxTotalBytes} bytes in all, ${LIMITS.maxTotalDelayMs} ms of delay in all, ${LIMITS.maxBurstCount} bursts.

Exit status: 0 ok, 1 bytes missing (or the lab's wire died), 64 usage, 75 port in use, 76 server
unreachable, 68/69/77 as for analyze --iface (repro run); 77 also: --fault without root;
130/143 interrupted by SIGINT/SIGTERM (the lab is removed first).
`;

const PROGRAM_OPTS = {
  'burst-size': { type: 'string' },
  'burst-delay': { type: 'string' },
  'burst-count': { type: 'string' },
  'initial-delay': { type: 'string' },
  'preamble-size': { type: 'string' },
  'close-delay': { type: 'string' },
  timeout: { type: 'string' },
} as const;

/** The program options given, as `repro client` arguments (checked here first, so errors read the same). */
function programArgs(v: Record<string, string | boolean | string[] | undefined>): string[] {
  const out: string[] = [];
  for (const k of Object.keys(PROGRAM_OPTS)) {
    const x = v[k];
    if (typeof x === 'string') {
      intOption(k, x, k === 'timeout' ? 1 : 0);
      out.push(`--${k}`, x);
    }
  }
  return out;
}

async function faultsCommand(argv: string[]): Promise<number> {
  const { values } = parseOrUsage({ args: argv, options: { help: { type: 'boolean', short: 'h' } } }, 'repro faults');
  if (values.help) {
    process.stdout.write(REPRO_HELP);
    return ExitCode.Ok;
  }
  const { FAULTS, NO_FAULT } = await import('../repro/faults/index.js');
  const rows: [string, string][] = [[NO_FAULT, 'a plain cable: every frame passes unchanged'], ...FAULTS.map((f): [string, string] => [f.usage, f.summary])];
  const w = Math.max(...rows.map((r) => r[0].length));
  process.stdout.write(rows.map(([u, s]) => `${u.padEnd(w)}  ${s}\n`).join(''));
  return ExitCode.Ok;
}

function programFrom(v: Record<string, string | boolean | string[] | undefined>): Program {
  const n = (k: string, d: number): number => intOption(k, v[k] as string | undefined) ?? d;
  return {
    burstSize: n('burst-size', DEFAULT_PROGRAM.burstSize),
    burstDelay: n('burst-delay', DEFAULT_PROGRAM.burstDelay),
    burstCount: n('burst-count', DEFAULT_PROGRAM.burstCount),
    initialDelay: n('initial-delay', DEFAULT_PROGRAM.initialDelay),
    preambleSize: n('preamble-size', DEFAULT_PROGRAM.preambleSize),
  };
}

export async function reproCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'server':
      return serverCommand(rest);
    case 'client':
      return clientCommand(rest);
    case 'run':
      return runCommand(rest);
    case 'faults':
      return faultsCommand(rest);
    case '-h':
    case '--help':
    case undefined:
      process.stdout.write(REPRO_HELP);
      return sub === undefined ? ExitCode.Usage : ExitCode.Ok;
    default:
      throw new UserError(`unknown repro command '${sub}' (server, client, run, faults)`, ExitCode.Usage);
  }
}

async function serverCommand(argv: string[]): Promise<number> {
  const { values } = parseOrUsage(
    { args: argv, options: { help: { type: 'boolean', short: 'h' }, addr: { type: 'string' }, 'idle-timeout': { type: 'string' }, 'max-connections': { type: 'string' } } },
    'repro server',
  );
  if (values.help) {
    process.stdout.write(REPRO_HELP);
    return ExitCode.Ok;
  }
  const a = parseAddr(values.addr ?? `${SERVER_DEFAULTS.host}:${SERVER_DEFAULTS.port}`);
  const server = await startServer({
    host: a.host,
    port: a.port,
    idleTimeoutMs: intOption('idle-timeout', values['idle-timeout'], 1) ?? SERVER_DEFAULTS.idleTimeoutMs,
    maxConnections: intOption('max-connections', values['max-connections'], 1) ?? SERVER_DEFAULTS.maxConnections,
    log: stderrLogger(),
  });
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.stop();
  stderrLogger()(`stopped (${server.stats.served} served, ${server.stats.refused} refused, ${server.stats.evicted} closed to make room)`);
  return ExitCode.Ok;
}

async function clientCommand(argv: string[]): Promise<number> {
  const { values } = parseOrUsage({ args: argv, options: { help: { type: 'boolean', short: 'h' }, addr: { type: 'string' }, ...PROGRAM_OPTS } }, 'repro client');
  if (values.help) {
    process.stdout.write(REPRO_HELP);
    return ExitCode.Ok;
  }
  const a = parseAddr(values.addr ?? `${CLIENT_DEFAULTS.host}:${CLIENT_DEFAULTS.port}`);
  const program = programFrom(values);
  const r = await runClient({
    host: a.host,
    port: a.port,
    program,
    closeDelayMs: intOption('close-delay', values['close-delay']) ?? 0,
    timeoutMs: intOption('timeout', values.timeout, 1) ?? defaultTimeoutMs(program),
    out: process.stdout,
    log: stderrLogger(),
  });
  return r.code;
}

async function runCommand(argv: string[]): Promise<number> {
  const { values } = parseOrUsage(
    {
      args: argv,
      options: {
        help: { type: 'boolean', short: 'h' },
        addr: { type: 'string' },
        iface: { type: 'string', short: 'i' },
        write: { type: 'string', short: 'w' },
        format: { type: 'string', short: 'f' },
        'no-color': { type: 'boolean' },
        fault: { type: 'string', multiple: true },
        capture: { type: 'string' },
        snaplen: { type: 'string' },
        ...PROGRAM_OPTS,
      },
    },
    'repro run',
  );
  if (values.help) {
    process.stdout.write(REPRO_HELP);
    return ExitCode.Ok;
  }
  const format = (values.format ?? 'text') as Format;
  if (!['text', 'json', 'summary'].includes(format)) throw new UserError(`--format must be text, json or summary`, ExitCode.Usage);
  if (values.fault !== undefined) {
    if (values.addr !== undefined || values.iface !== undefined) throw new UserError('--fault runs in the lab at fixed addresses: --addr and --iface do not apply', ExitCode.Usage);
    const { runLab } = await import('./repro-lab.js');
    return runLab({
      faults: values.fault,
      capture: values.capture ?? 'server',
      snaplen: intOption('snaplen', values.snaplen, 1),
      format,
      color: useColor(process.stdout, values['no-color'] ? false : undefined),
      write: values.write,
      clientArgs: programArgs(values),
    });
  }
  if (values.capture !== undefined || values.snaplen !== undefined) throw new UserError('--capture and --snaplen go with --fault', ExitCode.Usage);
  const a = parseAddr(values.addr ?? '127.0.0.1:0');
  const program = programFrom(values);
  const { openLive, listInterfaces } = await import('../capture/live.js');
  const { PcapngWriter } = await import('../capture/pcapng-writer.js');
  const loopback = a.host === '127.0.0.1' || a.host === '::1' || a.host === 'localhost' || a.host.startsWith('127.');
  const iface = values.iface ?? (loopback ? listInterfaces().find((i) => i.loopback)?.name ?? 'lo' : 'any');

  const log = (who: string) => (msg: string): void => void process.stderr.write(`${goTimestamp()} ${who}: ${msg}\n`);
  const server = await startServer({ host: a.host, port: a.port, idleTimeoutMs: SERVER_DEFAULTS.idleTimeoutMs, maxConnections: 4, log: log('server') });
  try {
    const live = await openLive({ iface, filter: `tcp port ${server.port}` });
    const writer = values.write !== undefined ? PcapngWriter.open(values.write) : null;
    const conns: ConnectionSummary[] = [];
    const tee = { name: live.name, run: (sink: Parameters<typeof live.run>[0]) => live.run((p) => (writer?.write(p), sink(p))) };
    const analysis = analyzeSource(tee, {
      format,
      color: useColor(process.stdout, values['no-color'] ? false : undefined),
      states: true,
      anomaliesOnly: false,
      allConnections: true,
      horizon: 1,
      onConnection: (s) => conns.push(s),
    });
    await new Promise((r) => setTimeout(r, 200)); // let libpcap settle before the first SYN
    const connectHost = a.host === '0.0.0.0' ? '127.0.0.1' : a.host;
    let result;
    try {
      result = await runClient({
        host: connectHost,
        port: server.port,
        program,
        closeDelayMs: intOption('close-delay', values['close-delay']) ?? 0,
        timeoutMs: intOption('timeout', values.timeout, 1) ?? defaultTimeoutMs(program),
        out: { write: (b: Uint8Array) => (process.stderr.write(`${goTimestamp()} client: received ${JSON.stringify(Buffer.from(b).toString('latin1'))}\n`), true) } as unknown as NodeJS.WritableStream,
        log: log('client'),
      });
    } finally {
      await new Promise((r) => setTimeout(r, 300)); // the last FIN/ACKs
      live.stop();
      await analysis;
      writer?.close();
    }
    const c = conns.find((s) => s.client.port !== server.port) ?? conns[0];
    const verdict = `repro: copied ${result.copied} bytes of ${result.expected} expected; ${c ? `${c.verdict} (${c.closed})` : 'no connection was captured'}`;
    process.stdout.write(`${verdict}\n`);
    return result.code;
  } finally {
    await server.stop();
  }
}
