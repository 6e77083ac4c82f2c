import { createWriteStream, openSync } from 'node:fs';
import { basename } from 'node:path';
import { ExitCode, UserError } from '../capture/errors.js';
import { openCapture } from '../capture/open.js';
import { Output } from '../render/output.js';
import { analyzeSource, type Format } from './analyze.js';
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
  --format text|json|summary|html
                               text (default): annotated trace + tables; json: JSON Lines, one
                               {"type":"packet"} per TCP packet, {"type":"connection"} per stream
                               (when it ends), then {"type":"summary"}; summary: the tables only;
                               html: one self-contained page (summary, ladder, time-sequence
                               graph, story, tables) of the worst 50 connections
  -o, --output FILE            write the output to FILE instead of standard output (- or none:
                               standard output)
  --anomalies-only             only packets with a tshark "Bad TCP" flag or a finding
  --stream N                   only TCP stream N (tshark's tcp.stream numbering)
  --host ADDR                  only packets to or from ADDR (IPv4 or IPv6)
  --port N                     only packets to or from port N
  --no-states                  hide the endpoint state changes under packets
  --all-connections            a full table for every connection, however many
  --color / --no-color         force colour on or off (default: on a terminal, off with NO_COLOR)

Live capture (needs root or CAP_NET_RAW, and libpcap):
  --iface IF                   capture from interface IF (see ackscope interfaces)
  --filter BPF                 capture filter, e.g. "tcp port 19622"
  --write FILE                 also save the packets as pcapng
  --count N                    stop after N packets
  --duration S                 stop after S seconds
  Live packets are timed when libpcap delivers them, on a clock anchored to wall time (the cap
  binding does not pass libpcap's capture timestamps); Ctrl-C stops and prints the summary.

Exit status: 0 ok, 2 bad or truncated capture (what came before is still reported), 64 usage,
66 cannot open input, 68 no such interface, 69 libpcap/cap missing, 73 cannot write the --output
file, 77 no capture permission.
`;

export async function analyzeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseOrUsage(
    {
      args: argv,
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        format: { type: 'string', short: 'f' },
        output: { type: 'string', short: 'o' },
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
      },
    },
    'analyze',
  );
  if (values.help) {
    process.stdout.write(ANALYZE_HELP);
    return ExitCode.Ok;
  }
  const format = (values.format ?? 'text') as Format;
  if (!['text', 'json', 'summary', 'html'].includes(format)) throw new UserError(`--format must be text, json, summary or html, not '${format}'`, ExitCode.Usage);
  const toFile = values.output !== undefined && values.output !== '-' ? values.output : null;
  const host = values.host !== undefined ? parseHost(values.host) : undefined;
  if (host === null) throw new UserError(`--host takes an IPv4 or IPv6 address, not '${values.host}'`, ExitCode.Usage);
  const options = {
    format,
    color: values['no-color'] ? false : values.color ? true : toFile ? false : useColor(process.stdout, undefined),
    states: !values['no-states'],
    stream: intOption('stream', values.stream),
    port: intOption('port', values.port, 0, 65535),
    host: host ?? undefined,
    anomaliesOnly: values['anomalies-only'] === true,
    allConnections: values['all-connections'] === true,
    title: positionals[0] === '-' ? 'standard input' : positionals[0] !== undefined ? basename(positionals[0]) : values.iface,
  };
  if (values.iface !== undefined) {
    if (positionals.length) throw new UserError('give either a FILE or --iface, not both', ExitCode.Usage);
    if (toFile) throw new UserError('--output goes with a FILE; with --iface, redirect standard output', ExitCode.Usage);
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
  const src = await openCapture(positionals[0]!);
  if (!toFile) return (await analyzeSource(src, options)).code;
  // Opened before reading, so that an unwritable path fails at once with one line.
  let fd: number;
  try {
    fd = openSync(toFile, 'w');
  } catch (e) {
    throw new UserError(`cannot write ${toFile}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, ExitCode.CantCreate);
  }
  const file = createWriteStream('', { fd });
  const run = await analyzeSource(src, options, new Output(file));
  await new Promise<void>((resolve, reject) => {
    file.once('error', reject);
    file.end(resolve);
  }).catch((e: NodeJS.ErrnoException) => {
    throw new UserError(`cannot write ${toFile}: ${e.code ?? String(e)}`, ExitCode.CantCreate);
  });
  return run.code;
}
