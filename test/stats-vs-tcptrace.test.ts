/**
 * tcptrace's per-connection numbers (stats.ts) equal `tcptrace -n -l -r`'s (Debian's 6.6.7) on every
 * sample and every capture fixture tcptrace can read, connection by connection and direction by
 * direction, except for the differences written down in DELIBERATE and in the README.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, SAMPLES } from './helpers/paths.js';
import { compareFile, tcptraceAvailable } from './helpers/tcptrace.js';

/**
 * Captures tcptrace 6.6.7 cannot read (whole or in part): nothing to compare.
 */
const UNREADABLE: Record<string, string> = {
  'any-sll2.pcap': 'Linux cooked v2 (link type 276) is unknown to tcptrace',
  'multi-iface.pcapng': "libpcap refuses a pcapng whose interfaces' link types differ",
  'two-sections.pcapng': 'libpcap stops at the second section header block; tcptrace sees only the first section',
};

/**
 * Where ackscope deliberately differs from tcptrace, by "file#connection dir field", with the reason.
 */
const EPOCH_FRAME =
  'frame 3 has no timestamp (a pcapng Simple Packet Block: time 0, the epoch). tcptrace takes a time of 0 for ' +
  '"no packet yet" and starts a new connection at the RST that answers it; ackscope keeps the 4-tuple one connection, ' +
  'so the SYN/RST-ACK pair gives an RTT sample 56 years long';
const DELIBERATE: Record<string, string> = {
  'packet-kinds.pcapng#2 a2b rtt.samples': EPOCH_FRAME,
  'packet-kinds.pcapng#2 a2b handshakeRtt': EPOCH_FRAME,
  'packet-kinds.pcapng#2 b2a packets': EPOCH_FRAME,
  'packet-kinds.pcapng#3 connection': EPOCH_FRAME,
  'packet-kinds.pcapng connections': EPOCH_FRAME,
};

/**
 * Folders of captures tcptrace cannot follow: the tunnels and link types of test/fixtures/encap
 * (tcptrace opens neither VXLAN/GRE/MPLS/... nor most of those link types; it would see other
 * connections or none). tshark is their oracle (capture-encap.test.ts).
 */
const UNREADABLE_DIRS = new Set(['malformed', 'encap']);

function captures(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && !UNREADABLE_DIRS.has(e.name)) out.push(...captures(p));
    else if (/\.(pcap|pcapng|cap)(\.gz)?$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

describe('tcptrace numbers', { skip: tcptraceAvailable() ? false : 'tcptrace not installed' }, () => {
  const files = [...captures(SAMPLES), ...captures(FIXTURES)].filter((f) => !UNREADABLE[basename(f)]);

  for (const file of files) {
    it(`match tcptrace -l -r per connection and direction on ${basename(file)}`, () => {
      const { checked, diffs } = compareFile(file, DELIBERATE);
      assert.deepEqual(diffs, []);
      assert.ok(checked > 0, 'no connection compared');
    });
  }

  it('knows why it cannot compare the captures tcptrace cannot read', () => {
    for (const f of Object.keys(UNREADABLE)) {
      const p = captures(FIXTURES).find((x) => basename(x) === f);
      assert.ok(p, `${f} is still a fixture`);
    }
  });
});

