import { ExitCode, UserError } from '../capture/errors.js';
import { openDecoded } from '../capture/pipelined.js';
import type { Format } from './analyze.js';
import { parseHost } from './filter.js';
import { intOption, parseOrUsage } from './args.js';
import { useColor } from './color.js';

export const ANALYZE_HELP = `Usage: ackscope analyze FILE|- [options]
       ackscope analyze --iface IF [--filter BPF] [--write FILE] [--count N] [--duration S] [options]

Reads a capture (pcap or pcapng, optionally gzip-compressed; - reads standard input), follows every
TCP connection and prints an annotated trace: tshark's analysis labels ([TCP Dup ACK 11#1] ...) plus
ackscope's findings (an ACK beyond the data sent, a reset after a half-close, ...) under the packet
they concern, endpoint state changes (RFC 9293 names), then a table per connection.

Output:
  --format text|json|summary   text (default): annotated trace + tables; json: JSON Lines, one
                               {"type":"packet"} per TCP packet, {"type":"connection"} per stream
                               (when it ends), then {"type":"summary"}; summary: the tables only
  --anomalies-only             only packets with a tshark "Bad TCP" flag or a finding
  --stream N                   only TCP stream N (tshark's tcp.stream numbering)
  --host ADDR                  only packets to or from ADDR (IPv4 or IPv6)
  --port N                     only packets to or from port N
  --no-states                  hide the endpoint state changes under packets
  --all-connections            a full table for every connection, however many
  --color / --no-color         force colour on or off (default: on a terminal, off with NO_COLOR)
  --threads 1|2                2: read and decode in a second thread while this one analyses;
                               1: one thread. Default: 2 when a core is idle (by the load average)
                               for files of 256 MiB or more, and standard input longer than 8 MiB
                               or slower than 250 ms to show it; 1 otherwise

Live capture (needs root or CAP_NET_RAW, and libpcap):
  --iface IF                   capture from interface IF (see ackscope interfaces)
  --filter BPF                 capture filter, e.g. "tcp port 19622"
  --write FILE                 also save the packets as pcapng
  --count N                    stop after N packets
  --duration S                 stop after S seconds
  Live packets are timed when libpcap delivers them, on a clock anchored to wall time (the cap
  binding does not pass libpcap's capture timestamps); Ctrl-C stops and prints the summary.

Exit status: 0 ok, 2 bad or truncated capture (what came before is still reported), 64 usage,
66 cannot open input, 68 no such interface, 69 libpcap/cap missing, 77 no capture permission.
`;

export async function analyzeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseOrUsage(
    {
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        format: { type: 'string', short: 'f' },
        'anomalies-only': { type: 'boolean' },
        stream: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'no-states': { type: 'boolean' },
        'all-connections': { type: 'boolean' },
        color: { type: 'boolean' },
        'no-color': { type: 'boolean' },
        iface: { type: 'string', short: 'i' },
        filter: { type: 'string' },
        write: { type: 'string', short: 'w' },
        count: { type: 'string', short: 'c' },
        duration: { type: 'string' },
        threads: { type: 'string' },
      },
    },
    'analyze',
  );
  if (values.help) {
    process.stdout.write(ANALYZE_HELP);
    return ExitCode.Ok;
  }
  const format = (values.format ?? 'text') as Format;
  if (!['text', 'json', 'summary'].includes(format)) throw new UserError(`--format must be text, json or summary, not '${format}'`, ExitCode.Usage);
  const host = values.host !== undefined ? parseHost(values.host) : undefined;
  if (host === null) throw new UserError(`--host takes an IPv4 or IPv6 address, not '${values.host}'`, ExitCode.Usage);
  const options = {
    format,
    color: useColor(process.stdout, values['no-color'] ? false : values.color ? true : undefined),
    states: !values['no-states'],
    stream: intOption('stream', values.stream),
    port: intOption('port', values.port, 0, 65535),
    host: host ?? undefined,
    anomaliesOnly: values['anomalies-only'] === true,
    allConnections: values['all-connections'] === true,
  };
  if (values.iface !== undefined) {
    if (positionals.length) throw new UserError('give either a FILE or --iface, not both', ExitCode.Usage);
    const { liveAnalyze } = await import('./live-analyze.js');
    return liveAnalyze(values.iface, { filter: values.filter, write: values.write, count: intOption('count', values.count, 1), duration: values.duration }, options);
  }
  for (const k of ['filter', 'write', 'count', 'duration'] as const) {
    if (values[k] !== undefined) throw new UserError(`--${k} goes with --iface`, ExitCode.Usage);
  }
  if (positionals.length !== 1) throw new UserError('analyze takes one FILE (or - for standard input, or --iface IF); see ackscope analyze --help', ExitCode.Usage);
  if (positionals[0] === '-' && process.stdin.isTTY) {
    throw new UserError('standard input is a terminal: pipe a capture in (… | ackscope analyze -) or give a FILE', ExitCode.Usage);
  }
  const threads = intOption('threads', values.threads, 1, 2) as 1 | 2 | undefined;
  const src = await openDecoded(positionals[0]!, { threads });
  // The analyser and the formats are loaded only now: a decoding worker, if any, boots meanwhile.
  const { analyzeSource } = await import('./analyze.js');
  const run = await analyzeSource(src, options);
  return run.code;
}
