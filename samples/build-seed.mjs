#!/usr/bin/env node
// Rebuilds samples/vbox-broken.pcap and samples/vbox-working.pcap from the seed's tshark tables.
// Run after a build: `npm run build && node samples/build-seed.mjs`.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
const here = dirname(fileURLToPath(import.meta.url));
const m = await import(join(here, '..', 'dist', 'src', 'repro', 'seed-traces.js'));
const { broken, working } = m.splitSeedTables(readFileSync(join(here, 'vbox-seed-tables.txt'), 'utf8'));
writeFileSync(join(here, 'vbox-broken.pcap'), m.buildFromTable(broken, m.BROKEN_SPEC));
writeFileSync(join(here, 'vbox-working.pcap'), m.buildFromTable(working, m.WORKING_SPEC));
console.error(`wrote vbox-broken.pcap (${broken.length} frames) and vbox-working.pcap (${working.length} frames)`);
