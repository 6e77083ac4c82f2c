/**
 * Several captures: in turn (headed, JSON records carry `file`), and `--merge`d into one time line
 * in mergecap's order, each capture tracked on its own, with connections seen at both ends side by
 * side. Two-ended captures are made for real: client and server namespaces joined through a third
 * namespace running ackscope's lab wire (src/repro/wire.ts, dropping a chosen server segment; this
 * kernel has no netem), tcpdump at the client's and the server's interface. A hand-built pair adds
 * what the wire cannot do: an ACK rewritten in the middle.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PcapWriter } from '../src/capture/pcap-writer.js';
import { runCli } from './helpers/cli.js';
import { convoFrames, HANDSHAKE, type Step } from './helpers/convo.js';
import { ROOT, SAMPLES } from './helpers/paths.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ackscope-merge-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const records = (stdout: string): Record<string, unknown>[] => stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);

/** mergecap's order of the merged files, as (time since the first frame, sport, raw seq, raw ack, len) per TCP frame. */
function mergecapOrder(files: string[]): string[] {
  const merged = join(dir, `mergecap-${Date.now()}.pcapng`);
  const m = spawnSync('mergecap', ['-w', merged, ...files], { encoding: 'utf8' });
  assert.equal(m.status, 0, m.stderr);
  const t = spawnSync('tshark', ['-r', merged, '-Y', 'tcp', '-T', 'fields', '-e', 'frame.time_relative', '-e', 'tcp.srcport', '-e', 'tcp.seq_raw', '-e', 'tcp.ack_raw', '-e', 'tcp.len'], { encoding: 'utf8' });
  assert.equal(t.status, 0, t.stderr);
  return t.stdout.trim().split('\n').map((l) => {
    const [time, ...rest] = l.split('\t');
    return [Number(time).toFixed(6), ...rest].join(' ');
  });
}

const ourOrder = (recs: Record<string, unknown>[]): string[] =>
  recs.filter((r) => r.type === 'packet').map((r) => [(r.time as number).toFixed(6), r.sport, r.seqRaw, r.ackRaw, r.len].join(' '));

describe('several captures in turn', () => {
  const a = join(SAMPLES, 'vbox-broken.pcap');
  const b = join(SAMPLES, 'clean-half-close.pcap');
  it('heads each capture’s results with its name, and they equal the single-capture results', () => {
    const r = runCli(['analyze', a, b, '--no-color']);
    assert.equal(r.status, 0, r.stderr);
    const one = runCli(['analyze', a, '--no-color']).stdout;
    const two = runCli(['analyze', b, '--no-color']).stdout;
    assert.equal(r.stdout, `== ${a} ==\n${one}== ${b} ==\n${two}`);
  });
  it('stamps every JSON record with its file, each capture ending with its summary', () => {
    const recs = records(runCli(['analyze', a, b, '--format', 'json']).stdout);
    const solo = records(runCli(['analyze', a, '--format', 'json']).stdout);
    assert.deepEqual(recs.slice(0, solo.length), solo.map((r) => ({ v: r.v, type: r.type, file: a, ...r })));
    assert.deepEqual(recs.filter((r) => r.type === 'summary').map((r) => r.file), [a, b]);
  });
  it('reports a capture that cannot be opened and goes on with the next (exit 66)', () => {
    const r = runCli(['analyze', join(dir, 'missing.pcap'), b, '--format', 'summary']);
    assert.equal(r.status, 66);
    assert.match(r.stderr, /cannot open .*missing\.pcap/);
    assert.match(r.stdout, /clean-half-close\.pcap/);
  });
});

describe('--merge of hand-built captures from both ends of a rewriting, dropping middlebox', () => {
  // A: the client's end; B: the server's end, 0.5 ms further along the path. The middlebox drops
  // the client's second data segment (the client retransmits it) and rewrites one ACK (76 → 75).
  const steps = (end: 'A' | 'B'): Step[] => [
    ...HANDSHAKE,
    { from: 'c', flags: ['PSH', 'ACK'], len: 40, t: 0.01 },
    { from: 'c', flags: ['PSH', 'ACK'], len: 10, t: 0.011, unseen: end === 'B' },
    { from: 's', flags: ['ACK'], t: 0.012, ack: 1041 },
    { from: 'c', flags: ['PSH', 'ACK'], len: 10, t: 0.3, seq: 1041 },
    { from: 's', flags: ['PSH', 'ACK'], len: 75, t: 0.31 },
    { from: 'c', flags: ['ACK'], t: 0.32, ack: end === 'A' ? 5077 : 5076 },
    { from: 'c', flags: ['FIN', 'ACK'], t: 0.4 },
    { from: 's', flags: ['FIN', 'ACK'], t: 0.41 },
    { from: 'c', flags: ['ACK'], t: 0.42 },
  ];
  let fa = '';
  let fb = '';
  before(() => {
    const write = (name: string, end: 'A' | 'B', shift: number): string => {
      const w = new PcapWriter(1, { nanos: true });
      for (const [s, ns, f] of convoFrames(steps(end), undefined, 1_700_000_000)) {
        const t = ns + shift;
        w.add(s + Math.floor(t / 1e9), t % 1e9, f);
      }
      writeFileSync(join(dir, name), w.toBuffer());
      return join(dir, name);
    };
    fa = write('client-end.pcap', 'A', 0);
    fb = write('server-end.pcap', 'B', 500_000);
  });
  it('orders packets as mergecap does, on one time line', () => {
    const r = runCli(['analyze', fa, fb, '--merge', '--format', 'json']);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(ourOrder(records(r.stdout)), mergecapOrder([fa, fb]));
  });
  it('puts the capture listed later first when time stamps are equal, as mergecap does (both orders)', () => {
    // The same conversation at both ends with no delay: every frame's time stamp has a twin.
    const same = (name: string, end: 'A' | 'B'): string => {
      const w = new PcapWriter(1, { nanos: true });
      for (const [sec, ns, f] of convoFrames(steps(end), undefined, 1_700_000_000)) w.add(sec, ns, f);
      writeFileSync(join(dir, name), w.toBuffer());
      return join(dir, name);
    };
    const ta = same('tie-a.pcap', 'A');
    const tb = same('tie-b.pcap', 'B');
    for (const files of [[ta, tb], [tb, ta]]) {
      const r = runCli(['analyze', ...files, '--merge', '--format', 'json']);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(ourOrder(records(r.stdout)), mergecapOrder(files));
    }
  });
  it('tracks each capture on its own: a packet seen at both ends is no retransmission', () => {
    const merged = records(runCli(['analyze', fa, fb, '--merge', '--format', 'json']).stdout);
    for (const f of [fa, fb]) {
      const solo = records(runCli(['analyze', f, '--format', 'json']).stdout).filter((x) => x.type === 'packet');
      const mine = merged.filter((x) => x.type === 'packet' && x.file === f);
      assert.deepEqual(mine.map((x) => [x.frame, x.analysis, x.stream]), solo.map((x) => [x.frame, x.analysis, x.stream]));
    }
  });
  it('shows the dropped segment and the rewritten ACK side by side', () => {
    const r = runCli(['analyze', fa, fb, '--merge', '--format', 'summary']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /A stream 0 \(10\.9\.0\.1:40000 → 10\.9\.0\.2:8080\) ↔ B stream 0 .*: 10 packets seen at both ends, 1 only at A, 0 only at B, 1 rewritten/);
    assert.match(r.stdout, /│ 5 +│ 0\.011000 │ client → server \[PSH, ACK\] Seq=41 Ack=1 Len=10 +│ +│ +│ only at A/);
    assert.match(r.stdout, /client → server \[ACK\] Seq=51 Ack=77\/76 Len=0 .*Ack rewritten \(A 77, B 76\)/);
  });
  it('tags the merged trace lines with their capture', () => {
    const r = runCli(['analyze', fa, fb, '--merge', '--no-color']);
    const lines = r.stdout.split('\n');
    assert.match(lines[0]!, /^== merged in time order: A = .*client-end\.pcap, B = .*server-end\.pcap ==$/);
    assert.match(lines[1]!, /^A +1 +0\.000000 /);
    assert.match(lines.find((l) => /^B +1 /.test(l))!, /^B +1 +0\.000500 /);
  });
});

const NS = `ackm${process.pid}`;
const ip = (...a: string[]): void => {
  const r = spawnSync('ip', a, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${a.join(' ')}: ${r.stderr}`);
};
const canNetns = process.getuid?.() === 0 && spawnSync('ip', ['netns', 'list']).status === 0 && spawnSync('which', ['tcpdump']).status === 0;

describe('--merge of real captures at both ends of a path through a dropping wire', { skip: canNetns ? false : 'needs root, ip netns and tcpdump' }, () => {
  const [C, S, M] = [`${NS}c`, `${NS}s`, `${NS}m`];
  const kids: ChildProcess[] = [];
  let fa = '';
  let fb = '';
  const cleanup = (): void => {
    for (const k of kids) k.kill('SIGKILL');
    for (const n of [C, S, M]) spawnSync('ip', ['netns', 'del', n]);
  };
  before(async () => {
    try {
      for (const n of [C, S, M]) ip('netns', 'add', n);
      ip('link', 'add', `${NS}a`, 'type', 'veth', 'peer', 'name', `${NS}wa`);
      ip('link', 'add', `${NS}b`, 'type', 'veth', 'peer', 'name', `${NS}wb`);
      ip('link', 'set', `${NS}a`, 'netns', C);
      ip('link', 'set', `${NS}b`, 'netns', S);
      ip('link', 'set', `${NS}wa`, 'netns', M);
      ip('link', 'set', `${NS}wb`, 'netns', M);
      for (const [n, i] of [[C, `${NS}a`], [S, `${NS}b`], [M, `${NS}wa`], [M, `${NS}wb`]] as const) {
        spawnSync('ip', ['netns', 'exec', n, 'ethtool', '-K', i, 'tx', 'off', 'rx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off']);
        ip('-n', n, 'link', 'set', i, 'up');
      }
      ip('-n', C, 'addr', 'add', '10.78.0.1/24', 'dev', `${NS}a`);
      ip('-n', S, 'addr', 'add', '10.78.0.2/24', 'dev', `${NS}b`);
      // The wire drops the 3rd server data segment: the server's end sees it, the client's does not.
      const wire = spawn('ip', ['netns', 'exec', M, process.execPath, join(ROOT, 'dist', 'src', 'repro', 'lab-agent.js'), 'wire', `${NS}wa`, `${NS}wb`, 'drop:server:3'], { stdio: ['ignore', 'pipe', 'ignore'] });
      kids.push(wire);
      // The wire says `ready` once both ends are open.
      await new Promise<void>((resolve, reject) => {
        wire.stdout!.on('data', (b: Buffer) => b.toString().includes('ready') && resolve());
        wire.once('exit', (c) => reject(new Error(`the lab wire exited (${c}) before it was ready`)));
      });
      fa = join(dir, 'client-side.pcap');
      fb = join(dir, 'server-side.pcap');
      const td = (n: string, i: string, f: string): ChildProcess => spawn('ip', ['netns', 'exec', n, 'tcpdump', '-i', i, '-U', '--immediate-mode', '-w', f, 'tcp'], { stdio: 'ignore' });
      const tds = [td(C, `${NS}a`, fa), td(S, `${NS}b`, fb)];
      kids.push(...tds);
      const server = spawn('ip', ['netns', 'exec', S, 'python3', '-c',
        'import socket\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(("10.78.0.2",19700));s.listen(1)\nc,_=s.accept();c.recv(100);c.sendall(b"x"*20000);c.shutdown(socket.SHUT_WR)\nwhile c.recv(100): pass\nc.close()'], { stdio: 'ignore' });
      kids.push(server);
      await new Promise((r) => setTimeout(r, 1000));
      const client = spawnSync('ip', ['netns', 'exec', C, 'python3', '-c',
        'import socket\ns=socket.create_connection(("10.78.0.2",19700),timeout=10);s.sendall(b"hello");n=0\nwhile True:\n  b=s.recv(65536)\n  if not b: break\n  n+=len(b)\ns.close();assert n==20000,n'], { encoding: 'utf8', timeout: 15_000 });
      assert.equal(client.status, 0, client.stderr);
      await new Promise((r) => setTimeout(r, 500));
      for (const t of tds) t.kill('SIGINT');
      await Promise.all(tds.map((t) => new Promise((r) => (t.exitCode !== null ? r(null) : t.once('exit', r)))));
    } catch (e) {
      cleanup();
      throw e;
    }
    cleanup();
  });
  after(cleanup);

  it('orders the two ends’ packets as mergecap does', () => {
    const r = runCli(['analyze', fa, fb, '--merge', '--format', 'json']);
    assert.equal(r.status, 0, r.stderr);
    const ours = ourOrder(records(r.stdout));
    assert.ok(ours.length > 20);
    assert.deepEqual(ours, mergecapOrder([fa, fb]));
  });
  it('finds the connection at both ends and the dropped segment only at the server end', () => {
    const r = runCli(['analyze', fa, fb, '--merge', '--format', 'summary']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /A stream 0 \(10\.78\.0\.1:\d+ → 10\.78\.0\.2:19700\) ↔ B stream 0 .*: \d+ packets seen at both ends, 0 only at A, 1 only at B, 0 rewritten/);
    assert.match(r.stdout, /server → client \[(PSH, )?ACK\] Seq=\d+ Ack=6 Len=\d+ .*only at B/);
  });
});
