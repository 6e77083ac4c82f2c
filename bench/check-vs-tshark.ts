/**
 * Per-packet comparison with tshark on a slice of a big capture (the tests do it on every
 * fixture; this is for captures too big to keep in the repository):
 *
 *   node dist/bench/check-vs-tshark.js FILE [FIRST-LAST]     e.g. bench/data/bench.pcap 480001-760000
 *
 * Cuts frames FIRST..LAST with editcap, then compares tcp.stream, every tcp.analysis flag ackscope
 * reproduces and the dup-ACK numbers, frame by frame. tshark sets tcp.analysis.retransmission on
 * fast and spurious retransmissions too; ackscope names only the specific one (README), so that
 * case is not a difference. Prints the counts of differing frames and the first examples; exits 1
 * when there are any.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ANALYSIS_FIELDS, tsharkRows } from '../test/helpers/tshark.js';

const [file, range] = process.argv.slice(2);
if (!file) {
  console.error('usage: node dist/bench/check-vs-tshark.js FILE [FIRST-LAST]');
  process.exit(64);
}
const dir = mkdtempSync(join(tmpdir(), 'ackscope-check-'));
try {
  let slice = file;
  if (range) {
    slice = join(dir, 'slice.pcap');
    const e = spawnSync('editcap', ['-r', file, slice, range], { encoding: 'utf8' });
    if (e.status !== 0) throw new Error(`editcap: ${e.stderr}`);
  }
  const theirs = tsharkRows(slice);
  const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js');
  const r = spawnSync(process.execPath, [cli, 'analyze', slice, '--format', 'json'], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`ackscope: ${r.stderr}`);
  const ours = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{"type":"packet"'))
    .map((l) => JSON.parse(l) as { frame: number; stream: number; analysis: string[]; dupAckNum?: number });
  if (ours.length !== theirs.length) throw new Error(`${ours.length} packets from ackscope, ${theirs.length} from tshark`);
  const diff = { stream: 0, flags: 0, dupAck: 0 };
  const examples: string[] = [];
  theirs.forEach((t, i) => {
    const o = ours[i]!;
    const set = ANALYSIS_FIELDS.filter((f) => (t[`tcp.analysis.${f}`] ?? '') !== '');
    const specific = set.filter((f) => !(f === 'retransmission' && (set.includes('fast_retransmission') || set.includes('spurious_retransmission'))));
    const note = (what: keyof typeof diff, a: unknown, b: unknown): void => {
      diff[what]++;
      if (examples.length < 10) examples.push(`frame ${o.frame} ${what}: tshark ${String(a)}, ackscope ${String(b)}`);
    };
    if (Number(t['tcp.stream']) !== o.stream) note('stream', t['tcp.stream'], o.stream);
    if (specific.sort().join() !== [...o.analysis].sort().join()) note('flags', specific.join(), o.analysis.join());
    if ((Number(t['tcp.analysis.duplicate_ack_num']) || 0) !== (o.dupAckNum ?? 0)) note('dupAck', t['tcp.analysis.duplicate_ack_num'], o.dupAckNum);
  });
  console.log(`${theirs.length} TCP packets compared; frames differing in stream: ${diff.stream}, flags: ${diff.flags}, dup-ACK number: ${diff.dupAck}`);
  for (const e of examples) console.log(`  ${e}`);
  process.exitCode = diff.stream + diff.flags + diff.dupAck > 0 ? 1 : 0;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
