/**
 * Live capture on loopback (CI runs as root with libpcap): repro run end to end, --write read back
 * equal to what was shown, SIGINT leaving a complete file, and the errors users meet.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Decoder } from '../src/capture/decode.js';
import { ExitCode, UserError } from '../src/capture/errors.js';
import { listInterfaces } from '../src/capture/interfaces.js';
import { openLive, SETCAP_LINE, type LiveSource } from '../src/capture/live.js';
import { openCapture } from '../src/capture/open.js';
import type { CapturedPacket } from '../src/capture/packet.js';
import { PcapngWriter } from '../src/capture/pcapng-writer.js';
import { TcpFlag, TcpPacket } from '../src/capture/tcp-packet.js';
import { runClient } from '../src/repro/client.js';
import { startServer } from '../src/repro/server.js';
import { assertMatchesTshark, collect, snapshot, tsharkLive, type FrameRecord } from './helpers/capture-records.js';
import { runCli } from './helpers/cli.js';
import { CHILD_ENV } from './helpers/live-writer-child.js';
import { CLIENT_DATA, SERVER_AFTER_FIN, SERVER_DATA, startTalkServer, waitFor, type TalkServer } from './helpers/loopback-talk.js';
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

/** One captured TCP segment, decoded by the project's Decoder, with a copy of the frame. */
interface Seg {
  record: FrameRecord;
  bytes: Buffer;
  sport: number;
  dport: number;
  seq: number;
  ack: number;
  len: number;
  flags: number;
  payload: string;
}

/** A sink keeping every frame (copied: the live buffer is reused) and its decoded TCP fields. */
function segmentCollector(): { segs: Seg[]; sink: (p: CapturedPacket) => void } {
  const decoder = new Decoder();
  const tcp = new TcpPacket();
  const segs: Seg[] = [];
  return {
    segs,
    sink: (p) => {
      decoder.decode(p, tcp);
      assert.equal(tcp.status, 'tcp', `frame ${p.frame}: ${tcp.reason}`);
      segs.push({
        record: snapshot(p),
        bytes: Buffer.from(p.data.subarray(p.offset, p.offset + p.caplen)),
        sport: tcp.sport,
        dport: tcp.dport,
        seq: tcp.seq,
        ack: tcp.ack,
        len: tcp.len,
        flags: tcp.flags,
        payload: p.data.toString('latin1', tcp.payloadOffset, tcp.payloadOffset + tcp.payloadCaptured),
      });
    },
  };
}

const has = (s: Seg, f: number): boolean => (s.flags & f) !== 0;
const plus = (a: number, n: number): number => (a + n) >>> 0;

/** Opens lo for `talk`'s port, runs one conversation, waits for the last ACK, stops. */
async function captureTalk(talk: TalkServer, extra: { snaplen?: number } = {}): Promise<{ live: LiveSource; segs: Seg[]; clientPort: number; before: number; after: number }> {
  const live = await openLive({ iface: 'lo', filter: `tcp port ${talk.port}`, ...extra });
  const { segs, sink } = segmentCollector();
  const before = Date.now();
  const run = live.run(sink);
  try {
    const { clientPort, clientGot } = await talk.talk();
    assert.equal(clientGot, SERVER_DATA + SERVER_AFTER_FIN);
    // The client's ACK of the server's FIN is the last segment of the conversation.
    await waitFor(() => segs.filter((s) => has(s, TcpFlag.FIN)).length === 2 && has(segs[segs.length - 1]!, TcpFlag.ACK) && !has(segs[segs.length - 1]!, TcpFlag.FIN) && segs[segs.length - 1]!.sport === clientPort, 5000, 'the last ACK');
    const after = Date.now();
    return { live, segs, clientPort, before, after };
  } finally {
    live.stop();
    await run;
  }
}

describe('openLive on loopback', { skip }, () => {
  it('delivers the handshake, data both ways, the client half-close, data after it and the closing FINs, in order', async () => {
    const talk = await startTalkServer();
    try {
      const { live, segs, clientPort, before, after } = await captureTalk(talk);
      assert.equal(live.linktype, 1, 'lo is Ethernet to libpcap');
      const c2s = (s: Seg): boolean => s.sport === clientPort && s.dport === talk.port;
      assert.ok(segs.every((s) => c2s(s) || (s.sport === talk.port && s.dport === clientPort)), 'only the filtered conversation is captured');
      const [syn, synAck, ack] = segs;
      assert.ok(syn && c2s(syn) && syn.flags === TcpFlag.SYN, 'first: the client SYN');
      assert.ok(synAck && !c2s(synAck) && synAck.flags === (TcpFlag.SYN | TcpFlag.ACK) && synAck.ack === plus(syn.seq, 1), 'second: SYN-ACK acknowledging it');
      assert.ok(ack && c2s(ack) && ack.flags === TcpFlag.ACK && ack.seq === plus(syn.seq, 1) && ack.ack === plus(synAck.seq, 1), 'third: the ACK');
      const cIsn = syn.seq;
      const sIsn = synAck.seq;
      const data = segs.filter((s) => s.len > 0);
      assert.deepEqual(data.map((s) => [c2s(s), s.payload, s.seq]), [
        [true, CLIENT_DATA, plus(cIsn, 1)],
        [false, SERVER_DATA, plus(sIsn, 1)],
        [false, SERVER_AFTER_FIN, plus(sIsn, 1 + SERVER_DATA.length)],
      ]);
      const fins = segs.filter((s) => has(s, TcpFlag.FIN));
      assert.equal(fins.length, 2);
      const [cFin, sFin] = fins as [Seg, Seg];
      assert.ok(c2s(cFin) && cFin.seq === plus(cIsn, 1 + CLIENT_DATA.length), 'the client half-closes first, after its 5 bytes');
      const bye = data[2]!;
      assert.ok(segs.indexOf(cFin) < segs.indexOf(bye), 'the server sends after the client FIN (half-close)');
      assert.equal(bye.ack, plus(cFin.seq, 1), "the server's late data acknowledges the client FIN");
      assert.ok(!c2s(sFin) && sFin.seq === plus(sIsn, 1 + SERVER_DATA.length + SERVER_AFTER_FIN.length), 'then the server FIN');
      const last = segs[segs.length - 1]!;
      assert.ok(c2s(last) && last.flags === TcpFlag.ACK && last.ack === plus(sFin.seq, 1), 'the client acknowledges the server FIN last');
      assert.deepEqual(segs.map((s) => s.record.frame), segs.map((_, i) => i + 1), 'frames numbered from 1');
      assert.deepEqual(live.stats(), { received: segs.length, truncated: 0 });
      for (const s of segs) {
        assert.equal(s.record.caplen, s.bytes.length);
        assert.equal(s.record.origlen, s.record.caplen, `frame ${s.record.frame}: nothing cut, wire length = captured length`);
        assert.equal(s.record.interfaceId, 0);
        assert.equal(s.record.linktype, 1);
      }
      const t = segs.map((s) => s.record.tsSec * 1000 + s.record.tsNsec / 1e6);
      assert.ok(t.every((x, i) => i === 0 || x >= t[i - 1]!), 'time stamps never go backwards');
      assert.ok(t[0]! >= before - 1 && t[t.length - 1]! <= after + 1, `time stamps ${t[0]}..${t[t.length - 1]} within the test's wall-clock span ${before}..${after}`);
    } finally {
      await talk.close();
    }
  });

  it("time stamps follow the kernel's (tcpdump on the same packets): never earlier, and close behind", { skip: spawnSync('tcpdump', ['--version']).status !== 0 && 'tcpdump not installed' }, async (t) => {
    const talk = await startTalkServer();
    const dir = mkdtempSync(join(tmpdir(), 'ackscope-live-'));
    const file = join(dir, 'kernel.pcap');
    const tcpdump = spawn('tcpdump', ['-i', 'lo', '-n', '-U', '--immediate-mode', '--time-stamp-precision=nano', '-Z', 'root', '-w', file, `tcp port ${talk.port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      let err = '';
      tcpdump.stderr.on('data', (c) => (err += c));
      await waitFor(() => err.includes('listening on'), 5000, `tcpdump to start (${err})`);
      const { segs } = await captureTalk(talk);
      await new Promise((r) => setTimeout(r, 200));
      tcpdump.kill('SIGINT');
      await once(tcpdump, 'close');
      const kernel = await collect(await openCapture(file));
      assert.equal(kernel.error, undefined);
      const byBytes = new Map(kernel.frames.map((f) => [f.md5, f]));
      const lags: number[] = [];
      for (const s of segs) {
        const k = byBytes.get(s.record.md5);
        assert.ok(k, `frame ${s.record.frame} is not in tcpdump's capture`);
        lags.push((s.record.tsSec - k.tsSec) * 1e9 + (s.record.tsNsec - k.tsNsec));
      }
      lags.sort((a, b) => a - b);
      t.diagnostic(`delivery lag behind the kernel time stamp: min ${(lags[0]! / 1e3).toFixed(1)} µs, median ${(lags[lags.length >> 1]! / 1e3).toFixed(1)} µs, max ${(lags[lags.length - 1]! / 1e3).toFixed(1)} µs over ${lags.length} packets`);
      // The anchor to the wall clock is good to a few µs; a millisecond-truncated anchor would be up to 1 ms early.
      assert.ok(lags[0]! > -250e3, `a packet was stamped ${-lags[0]! / 1e3} µs before the kernel saw it`);
      assert.ok(lags[lags.length - 1]! < 1e9, `a packet was stamped ${lags[lags.length - 1]! / 1e6} ms after the kernel saw it`);
    } finally {
      if (tcpdump.exitCode === null) tcpdump.kill('SIGKILL');
      await talk.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stops after N packets when the sink calls stop(), as --count does', async () => {
    const talk = await startTalkServer();
    try {
      const live = await openLive({ iface: 'lo', filter: `tcp port ${talk.port}` });
      const frames: number[] = [];
      const run = live.run((p) => {
        frames.push(p.frame);
        if (frames.length === 3) live.stop();
      });
      await talk.talk();
      await run;
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(frames, [1, 2, 3]);
      assert.equal(live.stats().received, 3);
    } finally {
      await talk.close();
    }
  });

  it('stop() ends run() when no packet comes; stop() before run() makes run() resolve at once', async () => {
    const idle = await openLive({ iface: 'lo', filter: 'tcp port 9 and host 192.0.2.77' });
    let delivered = 0;
    const run = idle.run(() => delivered++);
    setTimeout(() => idle.stop(), 50);
    await run;
    idle.stop();
    assert.equal(delivered, 0);
    const early = await openLive({ iface: 'lo', filter: 'tcp port 9 and host 192.0.2.77' });
    early.stop();
    await early.run(() => delivered++);
    await assert.rejects(early.run(() => undefined), /already called/);
  });

  it('ends run() with the error a sink throws, and delivers nothing after it', async () => {
    const talk = await startTalkServer();
    try {
      const live = await openLive({ iface: 'lo', filter: `tcp port ${talk.port}` });
      let calls = 0;
      const outcome = live.run(() => {
        calls++;
        throw new Error('sink failed');
      }).then(() => 'resolved', (e: unknown) => e);
      await talk.talk();
      assert.match(String(await outcome), /sink failed/);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(calls, 1);
    } finally {
      await talk.close();
    }
  });

  it('cuts frames at snaplen, counts them truncated, and takes the wire length from the IP header', async () => {
    const talk = await startTalkServer();
    try {
      const { live, segs, clientPort } = await captureTalk(talk, { snaplen: 60 });
      assert.equal(live.snaplen, 60);
      const full = segs.filter((s) => s.record.caplen < 60);
      const cut = segs.filter((s) => s.record.caplen === 60);
      assert.ok(cut.length > 0 && full.length === 0, 'every TCP frame on lo is longer than 60 bytes');
      assert.equal(live.stats().truncated, segs.length);
      // Independent of the IP header: a pure ACK's length plus the bytes the test sent.
      const pureAck = (from: number): number => {
        const s = segs.find((x) => x.sport === from && x.flags === TcpFlag.ACK && x.len === 0);
        assert.ok(s);
        return s.record.origlen;
      };
      const hello = segs.find((s) => s.sport === clientPort && s.len === CLIENT_DATA.length)!;
      assert.equal(hello.record.origlen, pureAck(clientPort) + CLIENT_DATA.length);
      const bye = segs.find((s) => s.sport === talk.port && s.len === SERVER_AFTER_FIN.length)!;
      assert.equal(bye.record.origlen, pureAck(talk.port) + SERVER_AFTER_FIN.length);
    } finally {
      await talk.close();
    }
  });

  it('the pcapng written from a live capture reads back, in tshark and in our reader, as the frames delivered', async () => {
    const talk = await startTalkServer();
    const dir = mkdtempSync(join(tmpdir(), 'ackscope-live-'));
    const file = join(dir, 'live.pcapng');
    try {
      const live = await openLive({ iface: 'lo', filter: `tcp port ${talk.port}` });
      const writer = PcapngWriter.open(file, { snaplen: live.snaplen, ifName: 'lo' });
      const { segs, sink } = segmentCollector();
      const run = live.run((p) => {
        writer.write(p);
        sink(p);
      });
      await talk.talk();
      await waitFor(() => segs.filter((s) => has(s, TcpFlag.FIN)).length === 2 && segs[segs.length - 1]!.flags === TcpFlag.ACK, 5000, 'the last ACK');
      live.stop();
      await run;
      writer.close();
      const back = await collect(await openCapture(file));
      assert.equal(back.error, undefined);
      assert.deepEqual(back.frames, segs.map((s) => s.record));
      if (tsharkAvailable()) {
        assertMatchesTshark(segs.map((s) => s.record), tsharkLive(file), 'live.pcapng');
        const rows = tsharkRows(file, ['frame.number', 'tcp.seq_raw', 'tcp.ack_raw', 'tcp.len', 'tcp.flags']);
        assert.deepEqual(
          rows.map((r) => [Number(r['frame.number']), Number(r['tcp.seq_raw']), Number(r['tcp.ack_raw']), Number(r['tcp.len']), Number(r['tcp.flags'])]),
          segs.map((s) => [s.record.frame, s.seq, s.ack, s.len, s.flags]),
        );
      }
    } finally {
      await talk.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lists the interfaces tcpdump -D lists, lo flagged as loopback with 127.0.0.1', { skip: spawnSync('tcpdump', ['--version']).status !== 0 && 'tcpdump not installed' }, () => {
    const ifs = listInterfaces();
    const lo = ifs.find((i) => i.name === 'lo');
    assert.ok(lo);
    assert.equal(lo.flags, 'PCAP_IF_LOOPBACK');
    assert.equal(lo.loopback, true);
    assert.ok(lo.addresses.includes('127.0.0.1'), lo.addresses.join(' '));
    const d = spawnSync('tcpdump', ['-D'], { encoding: 'utf8' });
    const names = d.stdout.split('\n').map((l) => /^\d+\.(\S+)/.exec(l)?.[1]).filter((n): n is string => n !== undefined);
    assert.deepEqual(new Set(ifs.map((i) => i.name)), new Set(names));
  });

  it('rejects an unknown interface with NoSuchInterface, naming those there are', async () => {
    await assert.rejects(openLive({ iface: 'nosuchif0' }), (e: unknown) => {
      assert.ok(e instanceof UserError);
      assert.equal(e.exitCode, ExitCode.NoSuchInterface);
      assert.match(e.message, /^no such interface: nosuchif0 \(interfaces here: .*\blo\b.*\)$/);
      return true;
    });
  });

  it("rejects bad filters as usage errors with libpcap's message", async () => {
    for (const [filter, says] of [['tcp port', /syntax error/], ['tcp port banana', /unknown port 'banana'/], ['host 300.1.1.1', /./]] as const) {
      await assert.rejects(openLive({ iface: 'lo', filter }), (e: unknown) => {
        assert.ok(e instanceof UserError, String(e));
        assert.equal(e.exitCode, ExitCode.Usage, e.message);
        assert.ok(e.message.startsWith(`bad capture filter '${filter}': `), e.message);
        assert.match(e.message, says);
        return true;
      });
    }
  });

  it('survives garbage collection of many opened, stopped and failed captures (cap cannot free its handles safely)', () => {
    const live = new URL('../src/capture/live.js', import.meta.url).href;
    const script = `
      const { openLive } = await import(${JSON.stringify(live)});
      for (let i = 0; i < 40; i++) {
        const ok = await openLive({ iface: 'lo', filter: 'tcp port 9 and host 192.0.2.77' });
        const run = ok.run(() => undefined);
        ok.stop();
        await run;
        await openLive({ iface: 'lo', filter: 'tcp port' }).catch(() => undefined);
        globalThis.gc();
        await new Promise((r) => setTimeout(r, 1));
      }
      process.stdout.write('done');`;
    const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.signal, null, `killed by ${r.signal}: ${r.stderr}`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'done');
  });

  it('rejects a snaplen or buffer size out of range as usage errors', async () => {
    for (const o of [{ snaplen: 0 }, { snaplen: 65536 }, { snaplen: 1.5 }, { bufferSize: 0 }, { bufferSize: 2 ** 31 }]) {
      await assert.rejects(openLive({ iface: 'lo', ...o }), (e: unknown) => e instanceof UserError && e.exitCode === ExitCode.Usage);
    }
  });
});

const CHILD = fileURLToPath(new URL('./helpers/live-writer-child.js', import.meta.url));

describe('a capturing child process', { skip, timeout: 60_000 }, () => {
  const children = new Set<ReturnType<typeof spawn>>();
  // A child left capturing would keep this test file (and CI) waiting: end every one, pass or fail.
  afterEach(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    children.clear();
  });
  async function startChild(file: string, port: number): Promise<{ child: ReturnType<typeof spawn>; out: () => string; err: () => string }> {
    const child = spawn(process.execPath, [CHILD, 'lo', `tcp port ${port}`, file], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...CHILD_ENV } });
    children.add(child);
    let out = '';
    let err = '';
    child.stdout!.on('data', (c) => (out += c));
    child.stderr!.on('data', (c) => (err += c));
    await waitFor(() => out.includes('"ready"') || child.exitCode !== null, 10_000, 'the child to open lo');
    assert.ok(out.includes('"ready"'), err);
    return { child, out: () => out, err: () => err };
  }

  it('leaves a complete pcapng when SIGINT arrives mid-capture', async () => {
    const talk = await startTalkServer();
    const dir = mkdtempSync(join(tmpdir(), 'ackscope-live-'));
    const file = join(dir, 'sigint.pcapng');
    try {
      const { child, out, err } = await startChild(file, talk.port);
      let talking = true;
      const traffic = (async () => {
        while (talking) await talk.talk();
      })();
      await new Promise((r) => setTimeout(r, 300));
      child.kill('SIGINT');
      const [code] = (await once(child, 'close')) as [number | null];
      talking = false;
      await traffic;
      assert.equal(code, 0, err());
      const packets = (JSON.parse(out().split('\n').find((l) => l.includes('"packets"'))!) as { packets: number }).packets;
      assert.ok(packets >= 10, `only ${packets} packets before SIGINT`);
      const back = await collect(await openCapture(file));
      assert.equal(back.error, undefined);
      assert.equal(back.frames.length, packets);
      if (tsharkAvailable()) {
        const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        assert.doesNotMatch(r.stderr, /cut short|damaged|corrupt|error/i);
        assert.equal(r.stdout.trim().split('\n').length, packets);
      }
    } finally {
      await talk.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves a readable pcapng of whole blocks even when killed outright (SIGKILL)', async () => {
    const talk = await startTalkServer();
    const dir = mkdtempSync(join(tmpdir(), 'ackscope-live-'));
    const file = join(dir, 'sigkill.pcapng');
    try {
      const { child } = await startChild(file, talk.port);
      for (let i = 0; i < 20; i++) await talk.talk();
      await new Promise((r) => setTimeout(r, 400)); // past the writer's 200 ms flush timer
      child.kill('SIGKILL');
      await once(child, 'close');
      const back = await collect(await openCapture(file));
      assert.equal(back.error, undefined, 'the file ends on a block boundary');
      assert.ok(back.frames.length >= 20 * 10, `${back.frames.length} frames on disk`);
      if (tsharkAvailable()) {
        const r = spawnSync('tshark', ['-r', file, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        assert.doesNotMatch(r.stderr, /cut short|damaged|corrupt|error/i);
        assert.equal(r.stdout.trim().split('\n').length, back.frames.length);
      }
    } finally {
      await talk.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('as root without CAP_NET_RAW, fails with NoPermission and the setcap line', { skip: !existsSync('/usr/bin/setpriv') && 'setpriv not installed' }, (t) => {
    const drop = ['--inh-caps=-all', '--bounding-set=-net_raw,-net_admin'];
    if (spawnSync('/usr/bin/setpriv', [...drop, process.execPath, '-e', '0']).status !== 0) {
      t.skip('setpriv cannot drop capabilities here (no CAP_SETPCAP)');
      return;
    }
    const r = spawnSync('/usr/bin/setpriv', [...drop, process.execPath, CHILD, 'lo', '', join(tmpdir(), 'ackscope-never-written.pcapng')], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, ...CHILD_ENV } });
    assert.equal(r.status, ExitCode.NoPermission, r.stderr);
    assert.ok(r.stderr.includes(SETCAP_LINE), r.stderr);
    assert.match(r.stderr, /^no permission to capture on lo \(.*Operation not permitted.*\)/);
  });
});

describe('live capture without the cap binding', () => {
  it('openLive and listInterfaces fail with NoLibpcap and the install commands', async () => {
    const saved = process.env.ACKSCOPE_CAP_MODULE;
    process.env.ACKSCOPE_CAP_MODULE = '/nonexistent/cap';
    try {
      const check = (e: unknown): boolean => {
        assert.ok(e instanceof UserError, String(e));
        assert.equal(e.exitCode, ExitCode.NoLibpcap);
        assert.match(e.message, /could not be loaded \(\/nonexistent\/cap is not installed\).*apt-get install libpcap-dev.*npm rebuild cap/);
        assert.ok(!e.message.includes('\n'), 'one line');
        return true;
      };
      await assert.rejects(openLive({ iface: 'lo' }), check);
      assert.throws(() => listInterfaces(), check);
    } finally {
      if (saved === undefined) delete process.env.ACKSCOPE_CAP_MODULE;
      else process.env.ACKSCOPE_CAP_MODULE = saved;
    }
  });

  it('says the binding was never built when cap is installed without its native part (libpcap-dev was missing at install)', async (t) => {
    let capDir: string;
    try {
      capDir = dirname(createRequire(import.meta.url).resolve('cap/package.json'));
    } catch {
      t.skip('cap is not installed');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'ackscope-unbuilt-cap-'));
    const saved = process.env.ACKSCOPE_CAP_MODULE;
    try {
      cpSync(join(capDir, 'package.json'), join(dir, 'package.json'));
      cpSync(join(capDir, 'lib'), join(dir, 'lib'), { recursive: true });
      process.env.ACKSCOPE_CAP_MODULE = dir;
      await assert.rejects(openLive({ iface: 'lo' }), (e: unknown) => {
        assert.ok(e instanceof UserError, String(e));
        assert.equal(e.exitCode, ExitCode.NoLibpcap);
        assert.match(e.message, /\(cap is installed but was never built\).*apt-get install libpcap-dev.*npm rebuild cap/);
        return true;
      });
    } finally {
      if (saved === undefined) delete process.env.ACKSCOPE_CAP_MODULE;
      else process.env.ACKSCOPE_CAP_MODULE = saved;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
