/**
 * Live capture on loopback (CI runs as root with libpcap): repro run end to end, --write read back
 * equal to what was shown, SIGINT leaving a complete file, and the errors users meet.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { ExitCode } from '../src/capture/errors.js';
import { runClient } from '../src/repro/client.js';
import { startServer } from '../src/repro/server.js';
import { runCli } from './helpers/cli.js';
import { CLI } from './helpers/paths.js';
import { tsharkAvailable, tsharkRows } from './helpers/tshark.js';

function capBuilt(): boolean {
  try {
    createRequire(import.meta.url)('cap');
    return true;
  } catch {
    return false;
  }
}
const isRoot = process.getuid?.() === 0;
const skip = !isRoot ? 'live capture needs root' : !capBuilt() ? 'the cap binding is not built (libpcap-dev missing)' : false;
const FAST = ['--burst-delay', '50', '--initial-delay', '20'];
type Rec = Record<string, any>;
const jsonLines = (s: string): Rec[] => s.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Rec);

describe('live capture', { skip }, () => {
  it('repro run on loopback shows a clean half-close: copied 10 bytes of 10 expected, no finding', () => {
    const r = runCli(['repro', 'run', '--format', 'json', ...FAST], { timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr);
    const recs = jsonLines(r.stdout);
    const conn = recs.find((x) => x.type === 'connection')!;
    assert.ok(conn, 'no connection record');
    assert.equal(conn.connState, 'SF');
    assert.deepEqual(conn.findings, {});
    assert.equal(conn.health, 'ok');
    assert.match(conn.closed, /^client half-closed at .*, server kept sending \(10 bytes\), server closed at .*, closed cleanly$/);
    const fins = recs.filter((x) => x.type === 'packet' && x.flags.includes('FIN'));
    assert.equal(fins.length, 2);
    assert.equal(fins[0]!.side, 'client', 'the client half-closes first');
    assert.match(r.stdout, /^repro: copied 10 bytes of 10 expected; OK/m);
    assert.match(r.stderr, /client: closed write end of connection/);
  });

  it('--write saves what was shown; SIGINT mid-capture still leaves a complete pcapng', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ackscope-live-'));
    const file = join(dir, 'live.pcapng');
    const server = await startServer({ host: '127.0.0.1', port: 0, idleTimeoutMs: 2000, maxConnections: 4, log: () => undefined });
    try {
      const child = spawn(process.execPath, [CLI, 'analyze', '--iface', 'lo', '--filter', `tcp port ${server.port}`, '--write', file, '--format', 'json'], { env: { ...process.env, NO_COLOR: '1' } });
      let out = '';
      let err = '';
      child.stdout.on('data', (c) => (out += c));
      child.stderr.on('data', (c) => (err += c));
      await new Promise((r) => setTimeout(r, 700));
      const sinkOut = new Writable({ write: (_c, _e, cb) => cb() });
      const res = await runClient({ host: '127.0.0.1', port: server.port, program: { burstSize: 5, burstDelay: 30, burstCount: 2, initialDelay: 10, preambleSize: 69 }, closeDelayMs: 0, timeoutMs: 5000, out: sinkOut, log: () => undefined });
      assert.equal(res.code, 0);
      await new Promise((r) => setTimeout(r, 300));
      child.kill('SIGINT');
      const code = await new Promise((r) => child.on('close', r));
      assert.equal(code, 0, err);
      assert.match(err, /packets captured/);
      const shown = jsonLines(out).filter((x) => x.type === 'packet');
      assert.ok(shown.length >= 10, `only ${shown.length} packets shown`);
      assert.ok(jsonLines(out).some((x) => x.type === 'summary'), 'no summary after SIGINT');
      assert.ok(existsSync(file));
      const back = runCli(['analyze', file, '--format', 'json']);
      assert.equal(back.status, 0, back.stderr);
      const read = jsonLines(back.stdout).filter((x) => x.type === 'packet');
      const key = (x: Rec): string => JSON.stringify([x.frame, x.seqRaw, x.ackRaw, x.len, x.flags, x.analysis, x.src, x.sport]);
      assert.deepEqual(read.map(key), shown.map(key));
      if (tsharkAvailable()) assert.equal(tsharkRows(file).length, shown.length, 'tshark reads every frame');
    } finally {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names a missing interface, lists those there are, and exits 68', () => {
    const r = runCli(['analyze', '--iface', 'nosuchif0']);
    assert.equal(r.status, ExitCode.NoSuchInterface);
    assert.match(r.stderr, /^ackscope: no such interface: nosuchif0 \(interfaces here: .*\blo\b.*\)\n$/);
  });

  it('rejects a bad capture filter as a usage error (64)', () => {
    const r = runCli(['analyze', '--iface', 'lo', '--filter', 'tcp port banana']);
    assert.equal(r.status, ExitCode.Usage);
    assert.match(r.stderr, /^ackscope: bad capture filter 'tcp port banana': /);
  });

  it('says what to install when the cap binding is missing (69)', () => {
    const r = runCli(['analyze', '--iface', 'lo'], { env: { ACKSCOPE_CAP_MODULE: '/nonexistent/cap' } });
    assert.equal(r.status, ExitCode.NoLibpcap);
    assert.match(r.stderr, /apt-get install libpcap-dev.*npm rebuild cap/);
  });

  it('explains missing capture permission with the setcap line (77)', { skip: !existsSync('/usr/bin/setpriv') && 'setpriv not installed' }, () => {
    const { spawnSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
    const r = spawnSync('/usr/bin/setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, CLI, 'analyze', '--iface', 'lo', '--count', '1'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, ExitCode.NoPermission, r.stderr);
    assert.match(r.stderr, /^ackscope: no permission to capture on lo .*setcap cap_net_raw,cap_net_admin=eip/);
  });
});

describe('live capture errors without root', () => {
  it('still analyses files when cap cannot be loaded', () => {
    const r = runCli(['analyze', join(CLI, '..', '..', '..', 'samples', 'vbox-working.pcap'), '--format', 'summary'], { env: { ACKSCOPE_CAP_MODULE: '/nonexistent/cap' } });
    assert.equal(r.status, 0, r.stderr);
  });
});
