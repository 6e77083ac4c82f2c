/**
 * The JSON Lines output keeps the form schema/ackscope-jsonl.schema.json promises: every record of
 * every sample and capture fixture (truncated and malformed frames included) validates, carries
 * the version, and the schema's name lists are the code's catalogues, so neither drifts alone.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { FLAG_CATALOGUE } from '../src/analyze/flags.js';
import { ENCAP_NAMES } from '../src/capture/encap/hop.js';
import { FINDING_CATALOGUE } from '../src/analyze/findings.js';
import { HEALTH_ORDER } from '../src/analyze/summary.js';
import { TCP_FLAG_NAMES } from '../src/capture/tcp-packet.js';
import { JSONL_VERSION } from '../src/render/json.js';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import { runCli } from './helpers/cli.js';
import { convoFrames, HANDSHAKE } from './helpers/convo.js';
import { fixture, ROOT, SAMPLES } from './helpers/paths.js';

const schema = JSON.parse(readFileSync(join(ROOT, 'schema', 'ackscope-jsonl.schema.json'), 'utf8')) as {
  $defs: Record<string, { enum?: string[]; const?: unknown }>;
};
const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
const validate = ajv.compile(schema);

function check(lines: string[], where: string): Set<string> {
  const types = new Set<string>();
  for (const [i, line] of lines.entries()) {
    const rec = JSON.parse(line) as { type: string; v: number };
    assert.equal(rec.v, JSONL_VERSION, `${where} line ${i + 1}: version`);
    const ok = validate(rec);
    assert.ok(ok, `${where} line ${i + 1} (${rec.type}): ${ajv.errorsText(validate.errors)}\n${line}`);
    types.add(rec.type);
  }
  return types;
}

const captures = [
  ...readdirSync(SAMPLES).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => join(SAMPLES, f)),
  ...readdirSync(fixture('capture')).filter((f) => /\.pcap(ng)?(\.gz)?$/.test(f)).map((f) => fixture('capture', f)),
  fixture('many', 'many-connections.pcap'),
  // Tunnels and other link types: packets with `encap`, summaries with fragments and undecoded link types.
  ...readdirSync(fixture('encap')).filter((f) => /\.pcap(ng)?$/.test(f)).map((f) => fixture('encap', f)),
];

describe('every record of --format json validates against the schema', () => {
  const seen = new Set<string>();
  for (const file of captures) {
    it(file.slice(ROOT.length + 1), () => {
      const r = runCli(['analyze', file, '--format', 'json']);
      assert.equal(r.status, 0, r.stderr);
      for (const t of check(r.stdout.split('\n').filter(Boolean), file)) seen.add(t);
    });
  }
  it('a text trace (the seed report: two traces, prose, glued numbers) validates, input records included', () => {
    const r = runCli(['analyze', fixture('text', 'vbox-portforward-report.txt'), '--format', 'json']);
    assert.equal(r.status, 0, r.stderr);
    const types = check(r.stdout.split('\n').filter(Boolean), 'vbox-portforward-report.txt');
    assert.ok(types.has('input') && types.has('packet') && types.has('connection') && types.has('summary'), [...types].join(','));
  });
  it('frames cut by the snaplen and with a bad TCP header validate too', () => {
    // A conversation, then one frame cut inside its TCP header and one whose data offset is 3 (< 5).
    const frames = convoFrames([...HANDSHAKE, { from: 'c', flags: ['PSH', 'ACK'], len: 20, t: 0.01 }, { from: 's', flags: ['ACK'], t: 0.02 }]);
    const w = new PcapWriter(1, { nanos: true });
    for (const [sec, ns, f] of frames.slice(0, 3)) w.add(sec, ns, f);
    const [s3, n3, data] = frames[3]!;
    w.add(s3, n3, data.subarray(0, 14 + 20 + 10), data.length);
    const bad = Buffer.from(frames[4]![2]);
    bad[14 + 20 + 12] = (3 << 4) | (bad[14 + 20 + 12]! & 0x0f);
    w.add(frames[4]![0], frames[4]![1], bad);
    const r = runCli(['analyze', '-', '--format', 'json'], { input: w.toBuffer() });
    assert.equal(r.status, 0, r.stderr);
    for (const t of check(r.stdout.split('\n').filter(Boolean), 'hand-built')) seen.add(t);
  });
  it('the captures above produce every record type the schema names', () => {
    assert.deepEqual([...seen].sort(), ['connection', 'malformed', 'packet', 'summary', 'truncated']);
  });
});

describe('the schema is strict enough to catch a change', () => {
  const line = runCli(['analyze', join(SAMPLES, 'vbox-broken.pcap'), '--format', 'json']).stdout.split('\n')[0]!;
  const good = JSON.parse(line) as Record<string, unknown>;
  it('accepts the record as printed', () => assert.ok(validate(good)));
  it('rejects a record without the version', () => {
    const { v: _v, ...rest } = good;
    assert.equal(validate(rest), false);
  });
  it('rejects another version', () => assert.equal(validate({ ...good, v: 2 }), false));
  it('rejects a field the schema does not describe', () => assert.equal(validate({ ...good, surprise: 1 }), false));
  it('rejects an unknown analysis flag', () => assert.equal(validate({ ...good, analysis: ['made_up'] }), false));
});

describe("the schema's name lists are the code's catalogues", () => {
  const d = schema.$defs;
  it('tshark analysis flags', () => assert.deepEqual(d.analysisFlag!.enum, FLAG_CATALOGUE.map((f) => f.name)));
  it('finding kinds', () => assert.deepEqual(d.findingKind!.enum, Object.keys(FINDING_CATALOGUE)));
  it('verdicts', () => assert.deepEqual(d.health!.enum, [...HEALTH_ORDER]));
  it('TCP flags', () => assert.deepEqual(d.tcpFlag!.enum, [...TCP_FLAG_NAMES]));
  it('encapsulation layers', () => assert.deepEqual((schema.$defs.packet as unknown as EncapDef).properties.encap.items.properties.type.enum, ENCAP_NAMES.slice(1)));
  it('version', () => assert.equal(d.v!.const as unknown, JSONL_VERSION));
});

interface EncapDef {
  properties: { encap: { items: { properties: { type: { enum: string[] } } } } };
}
