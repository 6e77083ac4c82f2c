/**
 * `--zeek-log DIR`: the files read like Zeek's (a reader that follows only Zeek's own header
 * lines parses them), every sample's conn.log and weird.log are pinned by golden files, and each
 * history/conn_state rule taken from Zeek's source is pinned on a hand-built capture (one
 * connection per rule, all in one file so that the CLI runs once).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildTcpFrame, type TcpFrameSpec } from '../src/capture/frame-builder.js';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import type { TcpFlagName } from '../src/capture/tcp-packet.js';
import { analyzeJson, runCli } from './helpers/cli.js';
import { SAMPLES } from './helpers/paths.js';

interface ZeekLog {
  path: string;
  fields: string[];
  types: string[];
  rows: Record<string, string>[];
}

/** A reader that knows nothing but Zeek's header conventions: separator, #fields, #types, unset and empty markers. */
function readZeekLog(text: string): ZeekLog {
  const lines = text.split('\n');
  assert.equal(lines.pop(), '', 'file ends with a newline');
  const first = lines[0]!;
  assert.match(first, /^#separator \\x[0-9a-f]{2}$/);
  const sep = String.fromCharCode(parseInt(first.slice('#separator \\x'.length), 16));
  const meta: Record<string, string> = {};
  const rows: Record<string, string>[] = [];
  let fields: string[] = [];
  let types: string[] = [];
  for (const line of lines.slice(1)) {
    if (line.startsWith('#')) {
      const [key, ...rest] = line.slice(1).split(sep);
      if (key === 'fields') fields = rest;
      else if (key === 'types') types = rest;
      else meta[key!] = rest.join(sep);
      continue;
    }
    const vals = line.split(sep);
    assert.equal(vals.length, fields.length, `row has ${vals.length} fields, header ${fields.length}: ${line}`);
    const row: Record<string, string> = {};
    fields.forEach((f, i) => {
      const v = vals[i]!;
      const t = types[i]!;
      row[f] = v;
      if (v === meta.unset_field || v === meta.empty_field) return;
      const ok: Record<string, RegExp> = {
        time: /^\d+\.\d{6}$/,
        interval: /^\d+\.\d{6}$/,
        count: /^\d+$/,
        port: /^\d{1,5}$/,
        addr: /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]+)$/,
        bool: /^[TF]$/,
        enum: /^[a-z_]+$/,
        string: /^[^\t\n]*$/,
        'set[string]': /^[^\t\n]*$/,
      };
      assert.ok(ok[t], `unknown type ${t}`);
      assert.match(v, ok[t]!, `${f} (${t})`);
    });
    rows.push(row);
  }
  for (const k of ['set_separator', 'empty_field', 'unset_field', 'path', 'open', 'close']) assert.ok(k in meta, `#${k} header`);
  assert.equal(meta.set_separator, ',');
  assert.equal(meta.empty_field, '(empty)');
  assert.equal(meta.unset_field, '-');
  assert.match(meta.open!, /^\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$/);
  assert.match(meta.close!, /^\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d$/);
  assert.equal(fields.length, types.length);
  return { path: meta.path!, fields, types, rows };
}

const update = process.env.UPDATE_GOLDEN === '1';
const work = mkdtempSync(join(tmpdir(), 'ackscope-zeek-'));
after(() => rmSync(work, { recursive: true, force: true }));

function zeekLogs(pcap: string): { conn: ZeekLog; weird: ZeekLog; connText: string; weirdText: string } {
  const dir = mkdtempSync(join(work, 'out-'));
  const r = runCli(['analyze', pcap, '--format', 'summary', '--zeek-log', dir]);
  assert.equal(r.status, 0, r.stderr);
  const connText = readFileSync(join(dir, 'conn.log'), 'utf8');
  const weirdText = readFileSync(join(dir, 'weird.log'), 'utf8');
  return { conn: readZeekLog(connText), weird: readZeekLog(weirdText), connText, weirdText };
}

describe('--zeek-log on every sample', () => {
  const samples = readdirSync(SAMPLES).filter((f) => /\.pcap(ng)?$/.test(f)).sort();
  for (const f of samples) {
    it(`${f}: conn.log and weird.log parse by Zeek's header, match the JSON records and the golden files`, () => {
      const { conn, weird, connText, weirdText } = zeekLogs(join(SAMPLES, f));
      assert.equal(conn.path, 'conn');
      assert.equal(weird.path, 'weird');
      assert.deepEqual(conn.fields.slice(0, 20), [
        'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'service', 'duration', 'orig_bytes', 'resp_bytes',
        'conn_state', 'local_orig', 'local_resp', 'missed_bytes', 'history', 'orig_pkts', 'orig_ip_bytes', 'resp_pkts', 'resp_ip_bytes',
      ]);
      // The tables and JSON carry the same Zeek values as the log.
      const json = analyzeJson(join(SAMPLES, f)).filter((r) => r.type === 'connection');
      assert.equal(conn.rows.length, json.length);
      for (const [i, row] of conn.rows.entries()) {
        assert.equal(row.conn_state, json[i]!.connState);
        assert.equal(row.history, json[i]!.history || '-');
        assert.equal(Number(row.orig_pkts) + Number(row.resp_pkts), (json[i]!.client as { packets: number }).packets + (json[i]!.server as { packets: number }).packets);
      }
      const base = join(SAMPLES, 'golden', f.replace(/\.pcap(ng)?$/, ''));
      if (update) {
        writeFileSync(`${base}.conn.log`, connText);
        writeFileSync(`${base}.weird.log`, weirdText);
      }
      assert.ok(existsSync(`${base}.conn.log`), 'golden file missing: UPDATE_GOLDEN=1 npm test');
      assert.equal(connText, readFileSync(`${base}.conn.log`, 'utf8'));
      assert.equal(weirdText, readFileSync(`${base}.weird.log`, 'utf8'));
    });
  }

  it('vbox-broken: sizes from sequence numbers, the 1-byte gap the bad ACK revealed, the RST after both FINs leaving SF', () => {
    const { conn, weird } = zeekLogs(join(SAMPLES, 'vbox-broken.pcap'));
    const row = conn.rows[0]!;
    assert.equal(row.conn_state, 'SF');
    assert.equal(row.history, 'ShADadFgtfR');
    assert.equal(row.orig_bytes, '40');
    assert.equal(row.resp_bytes, '79');
    assert.equal(row.missed_bytes, '1');
    // The duration ends at the second FIN (frame 18); the RST after it does not count.
    assert.equal(row.duration, '2.205112');
    assert.deepEqual(weird.rows.map((w) => [w.name, w.source]), [
      ['ack_unsent', 'ackscope'],
      ['real_retransmission', 'ackscope'],
      ['real_retransmission', 'ackscope'],
      ['real_retransmission', 'ackscope'],
      ['rst_after_fin', 'ackscope'],
    ]);
  });
});

// ---- hand-built connections, one per rule --------------------------------------------------

const C = '10.9.0.1';
const S = '10.9.0.2';
const ISN_C = 1000;
const ISN_S = 50000;

interface Pkt {
  /** 'c' client → server, 's' server → client. */
  from: 'c' | 's';
  flags: TcpFlagName[];
  /** Relative to the sender's ISN (0 = the SYN). */
  seq: number;
  /** Relative to the receiver's ISN. */
  ack?: number;
  len?: number;
  win?: number;
}

const p = (from: 'c' | 's', flags: string, seq: number, ack?: number, len = 0, win = 1000): Pkt => ({
  from,
  flags: flags.split(',').filter(Boolean) as TcpFlagName[],
  seq,
  ack,
  len,
  win,
});

const handshake = [p('c', 'SYN', 0), p('s', 'SYN,ACK', 0, 1), p('c', 'ACK', 1, 1)];
const repeat = <T>(n: number, x: T): T[] => Array.from({ length: n }, () => x);

/** name → [client port, server port, packets, expected history, expected conn_state]. */
const CASES: Record<string, [number, number, Pkt[], string, string]> = {
  'normal open, data both ways, clean close': [
    40001, 7001,
    [...handshake, p('c', 'ACK,PSH', 1, 1, 10), p('s', 'ACK', 1, 11), p('s', 'ACK,PSH', 1, 11, 20), p('c', 'ACK', 11, 21), p('c', 'FIN,ACK', 11, 21), p('s', 'FIN,ACK', 21, 12), p('c', 'ACK', 12, 22)],
    'ShADadFf', 'SF',
  ],
  'a RST after both FINs leaves SF (a closed endpoint stays closed)': [
    40002, 7002,
    [...handshake, p('c', 'FIN,ACK', 1, 1), p('s', 'FIN,ACK', 1, 2), p('c', 'RST', 2)],
    'ShAFfR', 'SF',
  ],
  'first seen at the SYN-ACK from a likely server port: flipped at creation, S1': [
    40003, 80,
    [p('s', 'SYN,ACK', 0, 1), p('c', 'ACK', 1, 1), p('c', 'ACK,PSH', 1, 1, 5), p('s', 'ACK', 1, 6)],
    '^hADa', 'S1',
  ],
  'first seen at the SYN-ACK from another port: flipped at the first ACK, the history restarts as ^h': [
    40004, 7004,
    [p('s', 'SYN,ACK', 0, 1), p('c', 'ACK', 1, 1), p('c', 'ACK,PSH', 1, 1, 5), p('s', 'ACK', 1, 6)],
    '^hADa', 'OTH',
  ],
  'retransmissions on a log scale: T at the 1st and the 10th': [
    40005, 7005,
    [...handshake, p('c', 'ACK,PSH', 1, 1, 10), ...repeat(12, p('c', 'ACK,PSH', 1, 1, 10)), p('s', 'ACK', 1, 11)],
    'ShADTTa', 'S1',
  ],
  'zero windows from the server: w': [
    40006, 7006,
    [...handshake, p('c', 'ACK,PSH', 1, 1, 10), p('s', 'ACK', 1, 11, 0, 0), p('s', 'ACK', 1, 11, 0, 0)],
    'ShADaw', 'S1',
  ],
  "an ACK past bytes never captured is a gap in the client's data: G, missed_bytes": [
    40007, 7007,
    [...handshake, p('c', 'ACK,PSH', 1, 1, 100), p('c', 'ACK,PSH', 201, 1, 100), p('s', 'ACK', 1, 301)],
    // The flag letter comes first, the gap the ACK revealed after it.
    'ShADaG', 'S1',
  ],
  'SYN answered by RST-ACK: REJ': [40008, 7008, [p('c', 'SYN', 0), p('s', 'RST,ACK', 0, 1)], 'Sr', 'REJ'],
  'SYN then the client resets: RSTOS0': [40009, 7009, [p('c', 'SYN', 0), p('c', 'RST', 1)], 'SR', 'RSTOS0'],
  'a lone SYN: S0': [40010, 7010, [p('c', 'SYN', 0)], 'S', 'S0'],
  'SYN+FIN is Q, FIN+RST is I, once each': [
    40011, 7011,
    [p('c', 'SYN,FIN', 0), p('s', 'SYN,ACK', 0, 2), p('c', 'FIN,RST,ACK', 1, 1), p('c', 'FIN,RST,ACK', 1, 1)],
    'QhI', 'RSTO',
  ],
  'FIN again at the same sequence is one F; a FIN that moved (data before it) is another': [
    40012, 7012,
    [...handshake, p('c', 'FIN,ACK', 1, 1), p('c', 'FIN,ACK', 1, 1), p('c', 'FIN,ACK', 1, 1, 5)],
    'ShAFF', 'S2',
  ],
  'SYN and SYN-ACK captured in reverse order: Hs^': [
    40013, 7013,
    [p('s', 'SYN,ACK', 0, 1), p('c', 'SYN', 0), p('c', 'ACK', 1, 1), p('s', 'ACK', 1, 1), p('c', 'FIN,ACK', 1, 1), p('s', 'FIN,ACK', 1, 2)],
    'Hs^AaFf', 'SF',
  ],
  'data after the sender reset: still a D, and the weird data_after_reset; RSTO': [
    40014, 7014,
    [...handshake, p('c', 'RST', 1), p('c', 'ACK,PSH', 1, 1, 5)],
    'ShARD', 'RSTO',
  ],
  'acking data of a peer never seen: possible_split_routing; the originator stays SYN_SENT, S0': [
    40015, 7015,
    [p('c', 'SYN', 0), p('c', 'ACK', 1, 1), p('c', 'ACK,PSH', 1, 1, 10)],
    'SAD', 'S0',
  ],
};

describe('Zeek history and conn_state rules on hand-built connections', () => {
  let conn: ZeekLog;
  let weird: ZeekLog;
  before(() => {
    const w = new PcapWriter(1);
    let t = 0;
    for (const [cport, sport, pkts] of Object.values(CASES)) {
      for (const k of pkts) {
        const c = k.from === 'c';
        const spec: TcpFrameSpec = {
          linktype: 1,
          src: c ? C : S,
          dst: c ? S : C,
          sport: c ? cport : sport,
          dport: c ? sport : cport,
          seq: (c ? ISN_C : ISN_S) + k.seq,
          ack: k.ack === undefined ? 0 : (c ? ISN_S : ISN_C) + k.ack,
          flags: k.flags,
          win: k.win ?? 1000,
          payload: k.len ? Buffer.alloc(k.len, 0x61) : undefined,
        };
        w.add(1_700_000_000, (t += 1000) * 1000, buildTcpFrame(spec));
      }
    }
    const file = join(work, 'rules.pcap');
    writeFileSync(file, w.toBuffer());
    ({ conn, weird } = zeekLogs(file));
  });

  for (const [name, [cport, , , history, state]] of Object.entries(CASES)) {
    it(name, () => {
      const row = conn.rows.find((r) => r['id.orig_p'] === String(cport) || r['id.resp_p'] === String(cport));
      assert.ok(row, `no conn.log row for port ${cport}`);
      assert.equal(row.history, history);
      assert.equal(row.conn_state, state);
    });
  }

  it('a flipped connection logs the server as the responder', () => {
    const row = conn.rows.find((r) => r['id.orig_p'] === '40003')!;
    assert.deepEqual([row['id.orig_h'], row['id.resp_h'], row['id.resp_p']], [C, S, '80']);
  });

  it('sizes and gaps: missed_bytes counts the uncaptured 100 bytes; a lone SYN has no duration or sizes', () => {
    const gap = conn.rows.find((r) => r['id.orig_p'] === '40007')!;
    assert.equal(gap.missed_bytes, '100');
    assert.equal(gap.orig_bytes, '300');
    const s0 = conn.rows.find((r) => r['id.orig_p'] === '40010')!;
    assert.deepEqual([s0.duration, s0.orig_bytes, s0.resp_bytes, s0.orig_pkts, s0.orig_ip_bytes], ['-', '-', '-', '1', '40']);
  });

  it("weird.log names Zeek's anomalies once per connection", () => {
    const names = (port: string): string[] => weird.rows.filter((r) => r['id.orig_p'] === port && r.source !== 'ackscope').map((r) => r.name!);
    assert.deepEqual(names('40014'), ['data_after_reset']);
    assert.deepEqual(names('40015'), ['possible_split_routing', 'data_before_established']);
  });
});
