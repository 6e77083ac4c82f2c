import { spawnSync } from 'node:child_process';

let available: boolean | undefined;

/** tshark on PATH (CI installs it); tests compare live against it when it is. */
export function tsharkAvailable(): boolean {
  if (available === undefined) {
    const r = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
    available = r.status === 0;
  }
  return available;
}

/** The tcp.analysis fields of tshark 4.0 that ackscope reproduces. */
export const ANALYSIS_FIELDS = [
  'ack_lost_segment',
  'lost_segment',
  'duplicate_ack',
  'retransmission',
  'fast_retransmission',
  'spurious_retransmission',
  'out_of_order',
  'window_update',
  'window_full',
  'zero_window',
  'zero_window_probe',
  'zero_window_probe_ack',
  'keep_alive',
  'keep_alive_ack',
  'reused_ports',
] as const;

export const PER_PACKET_FIELDS = [
  'frame.number',
  'tcp.stream',
  'tcp.seq',
  'tcp.ack',
  'tcp.len',
  'tcp.window_size',
  'tcp.analysis.duplicate_ack_num',
  'tcp.analysis.duplicate_ack_frame',
  ...ANALYSIS_FIELDS.map((f) => `tcp.analysis.${f}`),
];

/** Run `tshark -r FILE -T fields -E header=y` with the given fields; rows keyed by field name. */
export function tsharkRows(file: string, fields: readonly string[] = PER_PACKET_FIELDS, extra: string[] = []): Record<string, string>[] {
  const args = ['-r', file, '-T', 'fields', '-E', 'header=y', '-E', 'separator=/t', '-E', 'occurrence=f', ...extra];
  for (const f of fields) args.push('-e', f);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`tshark failed on ${file}: ${r.stderr}`);
  return parseTsv(r.stdout);
}

/** Parse a header=y TSV (as stored next to fixtures) into rows keyed by column name. */
export function parseTsv(text: string): Record<string, string>[] {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const head = (lines.shift() ?? '').split('\t');
  return lines.map((l) => {
    const cells = l.split('\t');
    const row: Record<string, string> = {};
    head.forEach((h, i) => (row[h] = cells[i] ?? ''));
    return row;
  });
}
