/**
 * Wiring for text traces (tshark or tcpdump lines): each trace of the text is analysed on its own,
 * after the header saying what was rebuilt and which conclusions are weaker; unreadable lines are
 * warnings on stderr, or exit 2 when no line could be read.
 */
import { ExitCode, UserError } from '../capture/errors.js';
import type { Input, InputKind } from '../capture/input.js';
import { INPUT_KINDS } from '../capture/input.js';
import { Output } from '../render/output.js';
import { textInputFacts, textInputHeader, textInputRecord, textInputWarnings, type TextInputFacts } from '../render/text-input.js';
import { analyzeSource, type AnalyzeOptions } from './analyze.js';

export function inputKindOption(v: string | undefined): InputKind {
  const k = (v ?? 'auto') as InputKind;
  if (!INPUT_KINDS.includes(k)) throw new UserError(`--input must be ${INPUT_KINDS.join(', ')}, not '${v}'`, ExitCode.Usage);
  return k;
}

/** The facts of every trace of a text; throws (exit 2) when no TCP line could be read at all. */
export function checkedFacts(input: Extract<Input, { kind: 'text' }>): TextInputFacts[] {
  const facts = input.text.traces.map((t) => textInputFacts(t, input.text.dialect));
  const tcp = facts.reduce((a, f) => a + f.tcpPackets, 0);
  if (input.text.traces.length === 0 && input.text.bad.length === 0) {
    throw new UserError(`${input.name}: no line reads as ${input.text.dialect} output`, ExitCode.BadInput);
  }
  if (tcp === 0 && input.text.bad.length > 0) {
    for (const b of input.text.bad.slice(0, 20)) process.stderr.write(`ackscope: ${input.name}: line ${b.line}: ${b.reason}\n`);
    const first = input.text.bad[0]!;
    throw new UserError(`${input.name}: no ${input.text.dialect} line could be read (${input.text.bad.length} tried; line ${first.line}: ${first.reason})`, ExitCode.BadInput);
  }
  return facts;
}

export async function analyzeText(input: Extract<Input, { kind: 'text' }>, options: AnalyzeOptions, out = new Output()): Promise<number> {
  const facts = checkedFacts(input);
  let code: number = ExitCode.Ok;
  for (const [i, t] of input.text.traces.entries()) {
    const f = facts[i]!;
    for (const w of textInputWarnings(f)) process.stderr.write(`ackscope: warning: ${w}\n`);
    if (options.quiet) {
      /* errors only */
    } else if (options.format === 'json') out.line(textInputRecord(f));
    else for (const l of textInputHeader(f)) out.line(l);
    const run = await analyzeSource(t, options, out);
    if (run.code !== ExitCode.Ok) code = run.code;
    if (!options.quiet && options.format !== 'json' && i + 1 < input.text.traces.length) out.line('');
  }
  await out.end();
  return code;
}
