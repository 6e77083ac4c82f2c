/**
 * `ackscope convert TRACE -w out.pcapng`: the packets rebuilt from a text trace, written as pcapng
 * (one interface, LINKTYPE_RAW: IPv4/IPv6 packets without a link header) so that tshark and
 * Wireshark can analyse them. A text holding several traces gives one file per trace.
 */
import { ExitCode, UserError } from '../capture/errors.js';
import { openInput } from '../capture/input.js';
import type { CapturedPacket } from '../capture/packet.js';
import { PcapngWriter } from '../capture/pcapng-writer.js';
import { textInputFacts, textInputWarnings } from '../render/text-input.js';
import { parseOrUsage } from './args.js';
import { checkedFacts, inputKindOption } from './text-input.js';

export const CONVERT_HELP = `Usage: ackscope convert TRACE|- -w OUT.pcapng [--input tshark-text|tcpdump-text]

Rebuilds the packets of a text trace (tshark one-line summaries or tcpdump -nn lines, as accepted by
ackscope analyze) and writes them as pcapng: one interface of link type RAW (101: IP packets without
a link-layer header), nanosecond time stamps. tshark and Wireshark open it and give the same TCP
analysis flags as ackscope analyze gives on the text. What the text does not say is made up as in
analyze: relative sequence numbers on a synthetic ISN, zero-filled payload, times from the best
column (1 µs apart when there is none).

A text holding several traces (frame numbers starting again at 1) gives one file per trace:
OUT-1.pcapng, OUT-2.pcapng, ...

Options:
  -w, --write FILE      the pcapng file to write (required)
  --input KIND          auto (default), tshark-text or tcpdump-text

Exit status: 0 written, 2 no line of the text could be read (or not a text trace), 64 usage,
66 cannot open the input or create the output.
`;

export async function convertCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseOrUsage(
    { args: argv, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' }, write: { type: 'string', short: 'w' }, input: { type: 'string' } } },
    'convert',
  );
  if (values.help) {
    process.stdout.write(CONVERT_HELP);
    return ExitCode.Ok;
  }
  if (positionals.length !== 1) throw new UserError('convert takes one TRACE (or - for standard input); see ackscope convert --help', ExitCode.Usage);
  if (values.write === undefined) throw new UserError('convert needs -w OUT.pcapng; see ackscope convert --help', ExitCode.Usage);
  const kind = inputKindOption(values.input);
  if (kind === 'capture') throw new UserError('convert reads text traces; --input capture makes no sense here', ExitCode.Usage);
  const input = await openInput(positionals[0]!, kind);
  if (input.kind !== 'text') throw new UserError(`${positionals[0]}: already a capture (convert rebuilds text traces)`, ExitCode.Usage);
  checkedFacts(input);
  const traces = input.text.traces;
  const out = values.write;
  for (const [i, t] of traces.entries()) {
    for (const w of textInputWarnings(textInputFacts(t, input.text.dialect))) process.stderr.write(`ackscope: warning: ${w}\n`);
    const path = traces.length === 1 ? out : numbered(out, i + 1);
    const w = PcapngWriter.open(path);
    await t.run((pkt: CapturedPacket) => w.write(pkt));
    w.close();
    process.stderr.write(`ackscope: wrote ${path}: ${t.frames.length} frames (${t.stats.tcp} TCP) from ${t.name}, lines ${t.firstLine}-${t.lastLine}\n`);
  }
  return ExitCode.Ok;
}

function numbered(path: string, n: number): string {
  const m = /^(.*?)(\.pcapng|\.pcap|\.[^./]*)?$/.exec(path)!;
  return `${m[1]}-${n}${m[2] ?? ''}`;
}
