/**
 * One run in the lab: the wire with its faults, the repro server, captures on the chosen sides,
 * then the repro client. The caller analyses the captures while the run goes on (they are pcap
 * streams from capture agents inside the namespaces) and calls `finish()` at the end, which
 * stops the captures cleanly and tears the lab down. If the wire or the server dies during the
 * run, `broken` resolves with what happened, and the client is stopped.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { captureFromStream, type CaptureSource } from '../capture/open.js';
import { ExitCode, UserError } from '../capture/errors.js';
import { AGENT, Lab, LAB_ADDR, LAB_IF, type LabRole } from './lab.js';

export type CaptureSide = 'server' | 'client';

export interface LabRunOptions {
  faults: readonly string[];
  captures: readonly CaptureSide[];
  snaplen?: number | undefined;
  /** `repro client` options after --addr (the program, --close-delay, --timeout). */
  clientArgs: readonly string[];
  /** A log line from one of the lab's processes (who: wire, server, client, lab). */
  log: (who: string, msg: string) => void;
  /** Bytes the client received. */
  received: (b: Buffer) => void;
  /** Called as soon as the lab exists (before its processes start), for signal handlers that must remove it. */
  onLab?: (lab: Lab) => void;
}

export interface ClientOutcome {
  code: number;
  copied: number;
  expected: number;
}

export interface LabRun {
  lab: Lab;
  captures: { side: CaptureSide; source: CaptureSource }[];
  /** Pids of the lab processes, for tests that kill them. */
  pids: Record<'wire' | 'server', number>;
  /** Resolves with a reason when the wire or the server stops on its own. */
  broken: Promise<string>;
  runClient(): Promise<ClientOutcome>;
  finish(): Promise<void>;
}

const CLI = fileURLToPath(new URL('../cli.js', import.meta.url));
const GO_TS = /^(\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d) /;

/** Calls `line` for each line `stream` writes. */
function lines(stream: NodeJS.ReadableStream, line: (l: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (c: string) => {
    rest += c;
    let i;
    while ((i = rest.indexOf('\n')) >= 0) {
      line(rest.slice(0, i));
      rest = rest.slice(i + 1);
    }
  });
  stream.on('end', () => rest && line(rest));
}

/** An agent's exit status worth passing on (no libpcap, no permission, no such interface), else Failure. */
function agentCode(code: number | null): ExitCode {
  return code === ExitCode.NoPermission || code === ExitCode.NoLibpcap || code === ExitCode.NoSuchInterface ? code : ExitCode.Failure;
}

/** Waits for the `ready` line an agent prints, or its exit (then rejects with its last stderr line). */
function ready(child: ChildProcess, what: string, stderrTail: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (c: Buffer): void => {
      out += c.toString('latin1');
      if (out.includes('ready\n')) {
        child.stdout!.off('data', onData);
        child.off('exit', onExit);
        resolve();
      }
    };
    const onExit = (code: number | null, sig: string | null): void => {
      reject(new UserError(`the lab's ${what} did not start (${sig ?? `exit ${code}`}): ${stderrTail() || 'no message'}`, agentCode(code)));
    };
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
}

function exitText(code: number | null, sig: string | null): string {
  return sig ? `killed by ${sig}` : `exit status ${code}`;
}

export async function startLabRun(o: LabRunOptions): Promise<LabRun> {
  const lab = Lab.build((ids) => o.log('lab', `removed ${ids.length} stale lab${ids.length === 1 ? '' : 's'} left by killed runs (${ids.join(', ')})`));
  o.onLab?.(lab);
  let finishing = false;
  try {
    o.log('lab', `namespaces ${lab.ns.client} (${LAB_ADDR.client}), ${lab.ns.server} (${LAB_ADDR.server}), wire in ${lab.ns.wire}; faults: ${o.faults.length ? o.faults.join(', ') : 'none'}`);
    const agent = (role: LabRole, who: string, args: string[]): { child: ChildProcess; tail: () => string } => {
      const child = lab.spawnNode(role, [AGENT, ...args]);
      let last = '';
      lines(child.stderr!, (l) => {
        // libpcap's note when a filter is compiled on an interface without an address (the wire's ends have none, by design).
        if (/^Warning: \S+: no IPv4 address assigned/.test(l)) return;
        last = l;
        const m = GO_TS.exec(l);
        o.log(who, m ? l.slice(m[0].length) : l);
      });
      return { child, tail: () => last.replace(/^ackscope lab: /, '') };
    };
    let brokenResolve: (why: string) => void = () => undefined;
    const broken = new Promise<string>((r) => (brokenResolve = r));
    const watch = (child: ChildProcess, what: string): void => {
      child.once('exit', (code, sig) => {
        if (!finishing) brokenResolve(`the ${what} stopped during the run (${exitText(code, sig)})`);
      });
    };

    // All agents start at once (each is a Node process: starting them one by one costs seconds).
    const wire = agent('wire', 'wire', ['wire', LAB_IF.wireClient, LAB_IF.wireServer, ...o.faults]);
    const server = agent('server', 'server', ['server', LAB_ADDR.server, String(LAB_ADDR.port)]);
    const caps = o.captures.map((side) => {
      const cap = agent(side, `capture ${side}`, ['capture', side === 'server' ? LAB_IF.server : LAB_IF.client, ...(o.snaplen ? [String(o.snaplen)] : [])]);
      const it = cap.child.stdout![Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      // The agent writes its pcap header once libpcap is open: that first chunk means ready.
      const first = Promise.race([
        it.next(),
        new Promise<never>((_, reject) =>
          cap.child.once('exit', (code, sig) => reject(new UserError(`the ${side}-side capture did not start (${exitText(code, sig)}): ${cap.tail()}`, agentCode(code)))),
        ),
      ]);
      return { side, cap, it, first };
    });
    await Promise.all([lab.linksUp(), ready(wire.child, 'wire', wire.tail), ready(server.child, 'server', server.tail), ...caps.map((c) => c.first)]);
    watch(wire.child, 'wire');
    watch(server.child, 'server');

    const captures: LabRun['captures'] = [];
    const capChildren: ChildProcess[] = [];
    for (const { side, cap, it, first } of caps) {
      const head = await first;
      const stream = (async function* () {
        if (!head.done) yield head.value;
        for (;;) {
          const n = await it.next();
          if (n.done) return;
          yield n.value;
        }
      })();
      capChildren.push(cap.child);
      captures.push({ side, source: captureFromStream(`${side}-side capture (${lab.ns[side]} ${side === 'server' ? LAB_IF.server : LAB_IF.client})`, stream) });
    }

    let clientChild: ChildProcess | null = null;
    void broken.then((why) => {
      o.log('lab', why);
      clientChild?.kill('SIGTERM');
    });

    return {
      lab,
      captures,
      pids: { wire: wire.child.pid!, server: server.child.pid! },
      broken,
      runClient: () =>
        new Promise<ClientOutcome>((resolve, reject) => {
          const child = lab.spawnNode('client', [CLI, 'repro', 'client', '--addr', `${LAB_ADDR.server}:${LAB_ADDR.port}`, ...o.clientArgs]);
          clientChild = child;
          child.stdin!.end();
          let copied = -1;
          let expected = -1;
          let usage = '';
          lines(child.stderr!, (l) => {
            const m = GO_TS.exec(l);
            const msg = m ? l.slice(m[0].length) : l;
            const c = /^copied (\d+) bytes of (\d+) expected$/.exec(msg);
            if (c) [copied, expected] = [Number(c[1]), Number(c[2])];
            if (!m) usage = msg;
            o.log('client', msg);
          });
          child.stdout!.on('data', (b: Buffer) => o.received(b));
          child.once('exit', (code, sig) => {
            clientChild = null;
            if (code === ExitCode.Usage) reject(new UserError(usage.replace(/^ackscope: /, ''), ExitCode.Usage));
            else resolve({ code: code ?? ExitCode.Failure, copied: Math.max(copied, 0), expected: Math.max(expected, 0) });
            void sig;
          });
        }),
      finish: async () => {
        finishing = true;
        // Stop the captures cleanly (they flush what they hold), then remove everything.
        await Promise.all(
          capChildren.map(
            (c) =>
              new Promise<void>((r) => {
                if (c.exitCode !== null || c.signalCode !== null) return r();
                const t = setTimeout(() => c.kill('SIGKILL'), 2000);
                c.once('exit', () => (clearTimeout(t), r()));
                c.kill('SIGTERM');
              }),
          ),
        );
        lab.teardown();
      },
    };
  } catch (e) {
    finishing = true;
    lab.teardown();
    throw e;
  }
}
