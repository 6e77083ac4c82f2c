#!/usr/bin/env node
// Stores tshark's per-packet analysis of every sample next to it (NAME.tshark.tsv), the
// expectation test/analysis-vs-tshark.test.ts compares against when tshark is not installed.
// Run after a build: `npm run build && node samples/tshark-expect.mjs`.
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
const here = dirname(fileURLToPath(import.meta.url));
const { PER_PACKET_FIELDS } = await import(join(here, '..', 'dist', 'test', 'helpers', 'tshark.js'));
for (const f of readdirSync(here).filter((n) => /\.pcap(ng)?$/.test(n)).sort()) {
  const args = ['-r', join(here, f), '-T', 'fields', '-E', 'header=y', '-E', 'separator=/t', '-E', 'occurrence=f'];
  for (const x of PER_PACKET_FIELDS) args.push('-e', x);
  const r = spawnSync('tshark', args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`tshark failed on ${f}: ${r.stderr}`);
  writeFileSync(join(here, f.replace(/\.pcap(ng)?$/, '.tshark.tsv')), r.stdout);
  const txt = spawnSync('tshark', ['-r', join(here, f)], { encoding: 'utf8', maxBuffer: 1 << 28 });
  writeFileSync(join(here, f.replace(/\.pcap(ng)?$/, '.tshark.txt')), txt.stdout);
  console.error(`${f}: ${r.stdout.split('\n').length - 2} packets`);
}
