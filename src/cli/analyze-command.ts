import { basename } from 'node:path';
import { ExitCode, UserError } from '../capture/errors.js';
import { FAIL_ON, type FailOn } from '../analyze/fail-on.js';
import { openInput } from '../capture/input.js';
import type { Threads } from '../capture/pipelined.js';
import { openOutputFile } from './output-file.js';
import { analyzeSource, type Format } from './analyze.js';
import { parseHost } from './filter.js';
import { intOption, parseOrUsage } from './args.js';
import { useColor } from './color.js';
import { analyzeText, inputKindOption } from './text-input.js';

export const ANALYZE_HELP = `Usage: ackscope analyze FILE|- [options]
       ackscope analyze FILE FILE... [--merge] [options]
       ackscope analyze --iface IF [--filter BPF] [--write FILE] [--count N] [--duration S] [options]

Reads a capture (pcap or pcapng, optionally gzip-compressed; - reads standard input) or a text trace
(tshark or tcpdump -nn lines, as pasted into tickets; see Text input below), follows every
TCP connection and prints an annotated trace: tshark's analysis labels ([TCP Dup ACK 11#1] ...) plus
ackscope's findings (an ACK beyond the data sent, a reset after a half-close, ...) under the packet
they concern, endpoint state changes (RFC 9293 names), then a table per connection.

Output:
  --format text|json|summary|ladder|html
                               text (default): annotated trace + tables; json: JSON Lines, one
                               {"type":"packet"} per TCP packet, {"type":"connection"} per stream
                               (when it ends), then {"type":"summary"}; summary: the tables only;
                               ladder: a sequence diagram per connection (client and server
                               columns with RFC 9293 states, one arrow per packet, marks for
                               anomalies; every connection when there are up to 5, else the 5
                               worst; --stream N picks one); html: one self-contained page
                               (summary, ladder, time-sequence graph, story, tables) of the worst
                               50 connections
  -o, --output FILE            write the output to FILE instead of standard output (- or none:
                               standard output)
  --explain                    after text, summary or ladder: each connection's story in numbered
                               sentences (who opened, who half-closed, what each side could still
                               do, bad ACKs, resets, what was lost) with the RFC 9293 rule
  --ascii                      plain ASCII instead of Unicode box drawing (ladder, --explain)
  --anomalies-only             only packets with a tshark "Bad TCP" flag or a finding
  --stream N                   only TCP stream N (tshark's tcp.stream numbering)
  --host ADDR                  only packets to or from ADDR (IPv4 or IPv6)
  --port N                     only packets to or from port N
  --no-states                  hide the endpoint state changes under packets
  --all-connections            a full table for every connection, however many
  --color / --no-color         force colour on or off (default: on a terminal, off with NO_COLOR)
  --zeek-log DIR               also write Zeek's conn.log and weird.log (Zeek's TSV form, Zeek's
                               rules for history, conn_state, sizes; see README "Zeek logs") into DIR
  -q, --quiet                  print nothing but errors (for --fail-on checks)
  --threads auto|1|2           2: a worker thread reads and decodes the capture file while this
                               one tracks and renders (same output); 1: one thread; auto
                               (default): one thread, because the pipeline measured no faster
                               (README "Speed"). Standard input, pipes, text traces and several
                               captures: always one thread
  --no-progress                no progress line; by default one shows on stderr when it is a
                               terminal, reading a file takes over a second, and stdout is not the
                               same terminal receiving a trace (--format summary, or redirected)

Checks (CI, monitoring):
  --fail-on broken|degraded|reset|any
                               exit status 3, after the normal output, when a connection (after
                               the filters) reaches the verdict: broken = verdict broken;
                               degraded = degraded or broken; reset = ended by a RST (sent before
                               both FINs); any = any verdict but ok (incomplete ones too)

Several captures:
  ackscope analyze A B ...     each in turn, its results headed by its name (JSON records carry
                               "file")
  --merge                      one time line, in time-stamp order as mergecap merges them (e.g.
                               captures from both ends of a path): each capture tracked on its own,
                               trace lines tagged A, B, ...; then each capture's tables, and every
                               connection seen in two consecutive captures side by side: packets
                               seen at one end only, or rewritten (what a middlebox did)

Text input:
  --input auto|capture|tshark-text|tcpdump-text
                               what FILE holds (default auto: recognised by its content)
  tshark's one-line summaries (any -t format, with or without frame numbers and analysis labels,
  relative or absolute numbers) and tcpdump -nn lines (-t/-tt/-ttt/-tttt, -S, -v) are rebuilt into
  packets: relative numbers on a synthetic ISN, zero payload, raw IP frames. A header says what was
  rebuilt and which conclusions are weaker (no times: no RTT or timing-based labels). Prose between
  the lines is skipped; a text with several traces (frame numbers starting again) is analysed trace
  by trace. Lines that start like packet lines but cannot be read are warnings; none read: exit 2.
  Lines tshark decoded above TCP (HTTP, SSH: no ports or numbers) are counted and not analysed;
  tshark --disable-protocol NAME keeps their TCP fields. ackscope convert writes the packets as pcapng.

Live capture (needs root or CAP_NET_RAW, and libpcap):
  --iface IF                   capture from interface IF (see ackscope interfaces)
  --filter BPF                 capture filter, e.g. "tcp port 19622"
  --write FILE                 also save the packets as pcapng
  --count N                    stop after N packets
  --duration S                 stop after S seconds
  Live packets are timed when libpcap delivers them, on a clock anchored to wall time (the cap
  binding does not pass libpcap's capture timestamps); Ctrl-C stops and prints the summary.

Exit status: 0 ok, 2 bad or truncated capture (what came before is still reported; wins over 3)
or a text of which no line could be read, 3 a --fail-on verdict was reached, 64 usage, 66 cannot
open input, 68 no such interface, 69 libpcap/cap missing, 73 cannot create the --zeek-log files or
write the --output file, 77 no capture permission.
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
        'zeek-log': { type: 'string' },
        'fail-on': { type: 'string' },
        quiet: { type: 'boolean', short: 'q' },
        'no-progress': { type: 'boolean' },
        merge: { type: 'boolean' },
        explain: { type: 'boolean' },
        ascii: { type: 'boolean' },
        color: { type: 'boolean' },
        'no-color': { type: 'boolean' },
        iface: { type: 'string', short: 'i' },
        filter: { type: 'string' },
        write: { type: 'string', short: 'w' },
        count: { type: 'string', short: 'c' },
        duration: { type: 'string' },
        input: { type: 'string' },
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
  if (!['text', 'json', 'summary', 'ladder', 'html'].includes(format)) throw new UserError(`--format must be text, json, summary, ladder or html, not '${format}'`, ExitCode.Usage);
  if (values.explain && (format === 'json' || format === 'html')) throw new UserError(`--explain goes with --format text, summary or ladder (html has the stories already), not ${format}`, ExitCode.Usage);
  const toFile = values.output !== undefined && values.output !== '-' ? values.output : null;
  const host = values.host !== undefined ? parseHost(values.host) : undefined;
  if (host === null) throw new UserError(`--host takes an IPv4 or IPv6 address, not '${values.host}'`, ExitCode.Usage);
  const failOn = values['fail-on'] as FailOn | undefined;
  if (failOn !== undefined && !FAIL_ON.includes(failOn)) throw new UserError(`--fail-on must be ${FAIL_ON.join(', ')}, not '${failOn}'`, ExitCode.Usage);
  const options = {
    format,
    // Colour follows the terminal; an --output file is no terminal (but --color still forces it, and NO_COLOR still wins).
    color: useColor(process.stdout, values['no-color'] ? false : values.color ? true : toFile ? false : undefined),
    states: !values['no-states'],
    stream: intOption('stream', values.stream),
    port: intOption('port', values.port, 0, 65535),
    host: host ?? undefined,
    anomaliesOnly: values['anomalies-only'] === true,
    allConnections: values['all-connections'] === true,
    zeekLog: values['zeek-log'],
    failOn,
    quiet: values.quiet === true,
    // A progress line and a trace streaming to the same terminal would garble each other.
    progress: !values['no-progress'] && process.stderr.isTTY === true && !(process.stdout.isTTY === true && format !== 'summary'),
    explain: values.explain === true,
    ascii: values.ascii === true,
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
  const threadsArg = values.threads ?? 'auto';
  if (!['auto', '1', '2'].includes(threadsArg)) throw new UserError(`--threads must be auto, 1 or 2, not '${threadsArg}'`, ExitCode.Usage);
  const threads = (threadsArg === 'auto' ? 'auto' : Number(threadsArg)) as Threads;
  if (positionals.length === 0) throw new UserError('analyze takes a FILE (or - for standard input, or --iface IF); see ackscope analyze --help', ExitCode.Usage);
  if (positionals.includes('-') && process.stdin.isTTY) {
    throw new UserError('standard input is a terminal: pipe a capture in (… | ackscope analyze -) or give a FILE', ExitCode.Usage);
  }
  if (positionals.filter((p) => p === '-').length > 1) throw new UserError('standard input (-) can be read only once', ExitCode.Usage);
  if (values.merge && positionals.length < 2) throw new UserError('--merge takes two or more captures', ExitCode.Usage);
  if (positionals.length > 1) {
    if (toFile) throw new UserError('--output goes with one FILE; with several, redirect standard output', ExitCode.Usage);
    const { analyzeInTurn, analyzeMerged } = await import('./several.js');
    return values.merge ? analyzeMerged(positionals, options) : analyzeInTurn(positionals, options);
  }
  const input = await openInput(positionals[0]!, inputKindOption(values.input));
  const file = toFile ? openOutputFile(toFile) : null;
  // --threads 2: a worker reads and decodes (loaded only then; auto is one thread, see pipelined.ts).
  const source = input.kind === 'capture' && threads === 2 ? await (await import('../capture/pipelined.js')).pipelined(input.source) : null;
  const code = input.kind === 'text' ? await analyzeText(input, options, file?.output) : (await analyzeSource(source ?? input.source, options, file?.output)).code;
  await file?.close();
  return code;
}
