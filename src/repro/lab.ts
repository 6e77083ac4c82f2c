/**
 * The middlebox lab: three network namespaces, joined by two veth pairs, with a wire between.
 *
 *   [client ns]  eth0 10.0.2.2/24 ──veth── c  [wire ns: lab-agent wire c s]  s ──veth── eth0 10.0.2.15/24  [server ns]
 *
 * The addresses are the seed's: the client on the host side of VirtualBox NAT (10.0.2.2, the
 * address the NAT gives the host), the server in the guest (10.0.2.15). No namespace has a route
 * anywhere else and none is linked to the host's, so no lab traffic can leave the lab.
 *
 * Names: every namespace is `ackscope-lab-PID-RAND-ROLE`, PID the process that built it. The veths
 * are created directly inside the namespaces (never in the host's), so deleting the namespaces
 * deletes them. A lab whose PID is no longer alive was left by a killed run: `removeStaleLabs()`
 * (called by every new lab) kills what still runs in it and deletes it. Two runs at once each
 * have their own namespaces, addresses and ports and do not meet.
 *
 * Checksum and segmentation offloads are turned off on every veth end (ethtool): the wire reads
 * frames with libpcap and sends them again, so they must carry complete checksums and be no
 * larger than the MTU.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ExitCode, UserError } from '../capture/errors.js';

export const LAB_PREFIX = 'ackscope-lab-';
const LAB_NAME = /^ackscope-lab-(\d+)-([0-9a-f]+)-(cli|srv|wire)$/;

export const LAB_ADDR = { client: '10.0.2.2', server: '10.0.2.15', prefix: 24, port: 19622 } as const;
export const LAB_IF = { client: 'eth0', server: 'eth0', wireClient: 'c', wireServer: 's' } as const;

export type LabRole = 'client' | 'server' | 'wire';
const ROLE_SUFFIX: Record<LabRole, string> = { client: 'cli', server: 'srv', wire: 'wire' };

export const AGENT = fileURLToPath(new URL('./lab-agent.js', import.meta.url));

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Fails with exit 77 without root, and says which tool is missing. */
export function checkLabPrerequisites(): void {
  if (typeof process.geteuid === 'function' && process.geteuid() !== 0) {
    throw new UserError('repro run --fault builds network namespaces, which needs root: run it as root (sudo)', ExitCode.NoPermission);
  }
  for (const [tool, pkg] of [
    ['ip', 'iproute2'],
    ['ethtool', 'ethtool'],
  ] as const) {
    try {
      execFileSync(tool, ['-V'], { stdio: 'ignore' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new UserError(`the lab needs ${tool}: apt-get install ${pkg}`, ExitCode.Failure);
    }
  }
}

export interface LabName {
  name: string;
  pid: number;
  id: string;
}

/** Every lab namespace on the machine, whoever made it. */
export function listLabNamespaces(): LabName[] {
  let text: string;
  try {
    text = ip(['netns', 'list']);
  } catch {
    return [];
  }
  const out: LabName[] = [];
  for (const line of text.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = LAB_NAME.exec(name);
    if (m) out.push({ name, pid: Number(m[1]), id: `${m[1]}-${m[2]}` });
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kills every process inside namespace `name` and deletes it; quiet if it is already gone. */
function deleteNamespace(name: string): void {
  let pids: number[] = [];
  try {
    pids = ip(['netns', 'pids', name]).split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // gone already
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
  try {
    ip(['netns', 'del', name]);
  } catch {
    // gone already (a concurrent cleanup)
  }
}

/** Removes labs whose building process is dead (a run killed with SIGKILL); returns their ids. */
export function removeStaleLabs(): string[] {
  const stale = listLabNamespaces().filter((l) => l.pid !== process.pid && !alive(l.pid));
  for (const l of stale) deleteNamespace(l.name);
  return [...new Set(stale.map((l) => l.id))];
}

export class Lab {
  readonly ns: Record<LabRole, string>;
  private readonly children = new Set<ChildProcess>();
  private torn = false;

  private constructor(readonly id: string) {
    this.ns = { client: `${LAB_PREFIX}${id}-cli`, server: `${LAB_PREFIX}${id}-srv`, wire: `${LAB_PREFIX}${id}-wire` };
  }

  /**
   * Builds a lab (removing stale ones first; their ids are passed to `onStale`). Throws a
   * UserError saying which step failed, after removing whatever it had built.
   */
  static build(onStale: (ids: string[]) => void = () => undefined): Lab {
    checkLabPrerequisites();
    const stale = removeStaleLabs();
    if (stale.length) onStale(stale);
    const lab = new Lab(`${process.pid}-${randomBytes(3).toString('hex')}`);
    const { client: C, server: S, wire: W } = lab.ns;
    const steps: string[][] = [
      ['netns', 'add', C],
      ['netns', 'add', S],
      ['netns', 'add', W],
      ['link', 'add', 'name', LAB_IF.client, 'netns', C, 'type', 'veth', 'peer', 'name', LAB_IF.wireClient, 'netns', W],
      ['link', 'add', 'name', LAB_IF.server, 'netns', S, 'type', 'veth', 'peer', 'name', LAB_IF.wireServer, 'netns', W],
      ['-n', C, 'addr', 'add', `${LAB_ADDR.client}/${LAB_ADDR.prefix}`, 'dev', LAB_IF.client],
      ['-n', S, 'addr', 'add', `${LAB_ADDR.server}/${LAB_ADDR.prefix}`, 'dev', LAB_IF.server],
    ];
    try {
      for (const s of steps) ip(s);
      const offload = ['-K', '', 'tx', 'off', 'rx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off'];
      for (const [ns, dev] of [
        [C, LAB_IF.client],
        [S, LAB_IF.server],
        [W, LAB_IF.wireClient],
        [W, LAB_IF.wireServer],
      ] as const) {
        offload[1] = dev;
        execFileSync('ip', ['netns', 'exec', ns, 'ethtool', ...offload], { stdio: 'ignore' });
        ip(['-n', ns, 'link', 'set', dev, 'up']);
      }
      for (const ns of [C, S, W]) ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    } catch (e) {
      lab.teardown();
      const err = e as { stderr?: string; message?: string };
      throw new UserError(`cannot build the lab: ${String(err.stderr || err.message || e).trim().split('\n')[0]}`, ExitCode.Failure);
    }
    return lab;
  }

  /**
   * Resolves when all four veth ends are operationally UP. The kernel reports a new carrier through
   * its link watcher, which may wait up to a second (longer on a loaded machine); until then the
   * veth drops what it is given, and the client's first ARP and SYN would be lost.
   */
  async linksUp(timeoutMs = 10_000): Promise<void> {
    const { execFile } = await import('node:child_process');
    const show = (ns: string): Promise<string> =>
      new Promise((resolve) => execFile('ip', ['-n', ns, '-o', 'link', 'show'], { encoding: 'utf8' }, (_e, out) => resolve(out ?? '')));
    const spaces = [this.ns.client, this.ns.server, this.ns.wire];
    const want: [number, string][] = [
      [0, LAB_IF.client],
      [1, LAB_IF.server],
      [2, LAB_IF.wireClient],
      [2, LAB_IF.wireServer],
    ];
    const until = Date.now() + timeoutMs;
    for (;;) {
      const outs = await Promise.all(spaces.map(show));
      const down = want.filter(([i, dev]) => !new RegExp(`^\\d+: ${dev}@\\S+ .* state UP `, 'm').test(outs[i]!));
      if (down.length === 0) return;
      if (Date.now() > until) throw new UserError(`the lab's links did not come up within ${timeoutMs} ms (${down.map((d) => d[1]).join(', ')})`, ExitCode.Failure);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Starts `node ARGS...` inside the namespace of `role`; killed by teardown() if still running. */
  spawnNode(role: LabRole, args: string[]): ChildProcess {
    if (this.torn) throw new Error('lab already torn down');
    const child = spawn('ip', ['netns', 'exec', this.ns[role], process.execPath, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    child.stdin?.on('error', () => undefined);
    return child;
  }

  /** Kills every process the lab started and everything else inside its namespaces, then deletes them. Idempotent, synchronous (usable from signal handlers). */
  teardown(): void {
    if (this.torn) return;
    this.torn = true;
    for (const c of this.children) {
      try {
        c.kill('SIGKILL');
      } catch {
        // exited
      }
    }
    this.children.clear();
    for (const ns of Object.values(this.ns)) deleteNamespace(ns);
  }

  get tornDown(): boolean {
    return this.torn;
  }
}
