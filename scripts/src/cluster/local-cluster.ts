// A cluster of local processes: the control plane and one agent per node, started from their
// compiled entry points. The launcher, the benchmarks and the integration tests all start clusters
// through this one class, so they start them the same way.

import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isNodeReady, type List, type Node } from '@kip/shared';

export const ROOT = path.resolve(fileURLToPath(import.meta.url), '../../../..');
export const CONTROLPLANE_MAIN = path.join(ROOT, 'controlplane/dist/main.js');
export const AGENT_MAIN = path.join(ROOT, 'agent/dist/main.js');

export interface Member {
  name: string;
  child: ChildProcess;
  /** the last lines the process wrote (stdout and stderr) */
  output: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface LocalClusterOptions {
  dataDir: string;
  /** 0 picks a free port */
  port?: number;
  profile?: string;
  nodeCpu?: string;
  nodeMemory?: string;
  verbose?: boolean;
  controlPlaneArgs?: string[];
  /** Every line a process writes, with its name; lines are also kept in Member.output. */
  onLine?: (name: string, line: string) => void;
}

const KEEP_LINES = 300;

export class LocalCluster {
  readonly agents = new Map<string, Member>();
  controlPlane?: Member;
  url = '';
  agentUrl = '';

  constructor(readonly opts: LocalClusterOptions) {}

  get tokenFile(): string {
    return path.join(this.opts.dataDir, 'token');
  }

  private spawnMember(name: string, args: string[]): Member {
    // stdin is a pipe the child watches (--exit-with-parent): if this process dies, however it
    // dies, the pipe closes and the child stops too.
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const output: string[] = [];
    for (const stream of [child.stdout!, child.stderr!]) {
      let rest = '';
      stream.on('data', (chunk: Buffer) => {
        const lines = (rest + chunk.toString()).split('\n');
        rest = lines.pop() ?? '';
        for (const l of lines) {
          output.push(l);
          this.opts.onLine?.(name, l);
        }
        if (output.length > KEEP_LINES) output.splice(0, output.length - KEEP_LINES);
      });
    }
    child.stdin!.on('error', () => {});
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    return { name, child, output, exited };
  }

  /** Starts the control plane and resolves with its URL once it listens. */
  async startControlPlane(): Promise<string> {
    const o = this.opts;
    const args = [CONTROLPLANE_MAIN, '--port', String(o.port ?? 0), '--data-dir', o.dataDir, '--exit-with-parent'];
    if (o.profile) args.push('--profile', o.profile);
    if (o.verbose) args.push('--verbose');
    const m = this.spawnMember('controlplane', [...args, ...(o.controlPlaneArgs ?? [])]);
    this.controlPlane = m;
    this.url = await new Promise<string>((resolve, reject) => {
      const onData = () =>
        setImmediate(() => {
          const url = m.output.map((l) => /listening on (http:\/\/[\d.:]+)/.exec(l)?.[1]).find(Boolean);
          if (!url) return;
          m.child.stdout!.off('data', onData);
          resolve(url);
        });
      m.child.stdout!.on('data', onData);
      void m.exited.then(({ code, signal }) => reject(new Error(`the control plane exited (${signal ?? `code ${code}`}) before it was ready:\n${m.output.slice(-20).join('\n')}`)));
    });
    this.agentUrl = this.url.replace(/^http/, 'ws');
    return this.url;
  }

  /** Starts (or restarts) the agent of a node. */
  startAgent(name: string, extra: string[] = []): Member {
    const o = this.opts;
    const args = [AGENT_MAIN, '--name', name, '--server', this.agentUrl, '--token-file', this.tokenFile, '--data-dir', o.dataDir, '--exit-with-parent'];
    args.push('--cpu', o.nodeCpu ?? '4', '--memory', o.nodeMemory ?? '8Gi');
    if (o.verbose) args.push('--verbose');
    const m = this.spawnMember(name, [...args, ...extra]);
    this.agents.set(name, m);
    return m;
  }

  async readyNodes(): Promise<Node[]> {
    const res = await fetch(`${this.url}/api/v1/nodes`);
    const list = (await res.json()) as List<Node>;
    return list.items.filter(isNodeReady);
  }

  /** Resolves once `count` nodes are Ready; `progress` is told each time the count changes. */
  async waitReady(count: number, timeoutMs = 60_000, progress?: (ready: number) => void): Promise<Node[]> {
    const deadline = Date.now() + timeoutMs;
    let shown = -1;
    for (;;) {
      let nodes: Node[] = [];
      try {
        nodes = await this.readyNodes();
      } catch {
        // not answering yet
      }
      if (nodes.length !== shown) {
        shown = nodes.length;
        progress?.(shown);
      }
      if (nodes.length >= count) return nodes;
      if (this.controlPlane && this.controlPlane.child.exitCode !== null) throw new Error('the control plane exited');
      if (Date.now() > deadline) throw new Error(`only ${nodes.length} of ${count} nodes were Ready after ${timeoutMs / 1000}s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops agents (gracefully, SIGKILL after graceMs), then the control plane. */
  async stop(graceMs = 15_000): Promise<void> {
    await Promise.all([...this.agents.values()].map((m) => stopMember(m, 'SIGTERM', graceMs)));
    if (this.controlPlane) await stopMember(this.controlPlane, 'SIGTERM', 10_000);
  }

  /** Kills everything at once, for a second Ctrl-C. */
  killAll(): void {
    for (const m of [...this.agents.values(), ...(this.controlPlane ? [this.controlPlane] : [])]) if (isRunning(m)) m.child.kill('SIGKILL');
  }
}

export function isRunning(m: Member): boolean {
  return m.child.exitCode === null && m.child.signalCode === null;
}

export async function stopMember(m: Member, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (!isRunning(m)) return;
  const t = setTimeout(() => m.child.kill('SIGKILL'), graceMs);
  m.child.kill(signal);
  await m.exited;
  clearTimeout(t);
}
