// A cluster of local processes: the control plane and one agent per node, started from their
// bundles (one file each, built by `npm run build`: see scripts/build-bundles.mjs). The launcher,
// the benchmarks and the integration tests all start clusters through this one class, so they
// start them the same way.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ApiClient,
  DEFAULT_RESTART_DELAY_MS,
  KUBECONFIG_FILE,
  readKubeconfig,
  RESTART_REQUEST_FILE,
  SUPERVISOR_ENV,
  CONTROL_PLANE_SUPERVISOR_ENV,
  isNodeReady,
  parseRestartRequest,
  type List,
  type Node,
  type RestartRequest,
} from '@kip/shared';

export const ROOT = path.resolve(fileURLToPath(import.meta.url), '../../../..');
// An agent from its bundle joins for half the cpu time it takes as ~150 modules (about 0.34 s against
// 0.67 s here), and loading is most of what 100 agents cost to start on a small machine.
export const CONTROLPLANE_MAIN = path.join(ROOT, 'controlplane/dist/bundle/main.js');
export const AGENT_MAIN = path.join(ROOT, 'agent/dist/bundle/main.cjs');

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
  /** Labels every node gets ("K=V,..."), passed to each agent's --labels. */
  nodeLabels?: string;
  /** Zones the nodes are spread over by their number (node-1 in the first, ...), as topology.kubernetes.io/zone. */
  zones?: readonly string[];
  verbose?: boolean;
  controlPlaneArgs?: string[];
  /**
   * How many control planes to run (default 1). More than one needs a shared store
   * (controlPlaneArgs with --store etcd://...): they elect a leader, and every agent is given
   * every control plane's address. The first writes the kubeconfig.
   */
  controlPlanes?: number;
  /** Every line a process writes, with its name; lines are also kept in Member.output. */
  onLine?: (name: string, line: string) => void;
  /**
   * Who starts the control plane again when it dies, if anyone (the launcher, a private cluster):
   * said in its environment, so that a ControlPlaneChaos knows it may kill it.
   */
  controlPlaneSupervisor?: string;
  /** Bring back a node whose agent dies, whatever killed it (the launcher's --restart-nodes). */
  restartNodes?: boolean;
  /** How long a node stays down before it is brought back (default 3 s). */
  restartDelayMs?: number;
  /** An agent exited (not during stop()); `restartInMs` is set when it will be started again. */
  onNodeExit?: (m: Member, how: string, restartInMs: number | undefined, reason: string | undefined) => void;
  /** An agent was started again under the same name. */
  onNodeRestart?: (m: Member) => void;
}

const KEEP_LINES = 300;

/**
 * How many agents may be starting (started, not yet Ready) at once in startAgents: enough per core
 * to keep every core busy while some wait on the control plane, with a bound, so that a cluster of
 * hundreds does not make the control plane one runnable process among hundreds. Measured with
 * today's agents (about 0.15 s of CPU to start), 100 nodes on 2 cores, three runs each, seconds to
 * Ready: 16 at a time 9.4-10.0, 32 8.7-9.3, 64 8.9-9.8, all 100 8.5-9.2; 50 nodes: 16 at a time
 * 3.8-5.1, 64 3.9-4.5. The control plane's CPU falls as the bound rises (0.9 s at 16, 0.7 at 32),
 * as it answers fewer polls for Ready nodes. (When an agent took 0.4 s to start and the control
 * plane choked on joins, 8 to 16 at a time had been best.)
 */
const START_CONCURRENCY = Math.max(4, 16 * os.availableParallelism());
/** An agent not Ready this long after its start no longer holds back the next ones. */
const START_SLOT_MS = 5_000;

/**
 * The address of node-N: 127.0.1.N, a loopback address of its own (all of 127.0.0.0/8 answers on
 * Linux without setup), so that every node can listen on the same NodePort, as machines do.
 * Undefined for names without a number from 1 to 254: such a node listens on no NodePort.
 */
export function nodeAddress(name: string): string | undefined {
  const n = Number(/^node-(\d+)$/.exec(name)?.[1]);
  return Number.isInteger(n) && n >= 1 && n <= 254 ? `127.0.1.${n}` : undefined;
}

export class LocalCluster {
  readonly agents = new Map<string, Member>();
  /** The first control plane (the one the kubeconfig names). */
  controlPlane?: Member;
  /** Every control plane by its index; the first is controlPlane. */
  readonly controlPlanes: Member[] = [];
  /** Each control plane's API URL by index; url is the first's. */
  readonly urls: string[] = [];
  url = '';
  /** The agents' --server: every control plane's agent URL, comma-separated. */
  agentUrl = '';
  /** The pin of the control plane's CA, when it serves TLS. */
  caCertHash: string | undefined;
  private stopping = false;
  private readonly restartTimers = new Map<string, NodeJS.Timeout>();
  private readonly agentArgs = new Map<string, string[]>();

  constructor(readonly opts: LocalClusterOptions) {}

  get tokenFile(): string {
    return path.join(this.opts.dataDir, 'token');
  }

  private spawnMember(name: string, args: string[], env?: Record<string, string>): Member {
    // stdin is a pipe the child watches (--exit-with-parent): if this process dies, however it
    // dies, the pipe closes and the child stops too.
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(env ? { env: { ...process.env, ...env } } : {}) });
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
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    return { name, child, output, exited };
  }

  /**
   * Node's own flags for the control plane and the agents. Verbose runs are for debugging, so their
   * stack traces point at the .ts lines through the bundles' source maps; other runs do without,
   * as mapping costs each agent about 80 ms of cpu and 2 MiB at start.
   * (NODE_OPTIONS=--enable-source-maps does the same for every process.)
   */
  private nodeFlags(): string[] {
    return this.opts.verbose ? ['--enable-source-maps'] : [];
  }

  /**
   * Starts the control plane and resolves with its URL once it listens. Started again (after it
   * died), it takes the port it had, where the agents are looking for it.
   */
  async startControlPlane(index = 0): Promise<string> {
    const o = this.opts;
    const several = (o.controlPlanes ?? 1) > 1;
    const port = this.urls[index] ? new URL(this.urls[index]).port : String(index === 0 ? (o.port ?? 0) : 0);
    const args = [...this.nodeFlags(), CONTROLPLANE_MAIN, '--port', port, '--data-dir', o.dataDir, '--exit-with-parent'];
    // Control planes past the first say where they listen in a file of their own, and leave the kubeconfig to the first.
    const infoFile = index === 0 ? 'controlplane.json' : `controlplane-${index + 1}.json`;
    // A stable identity: a control plane restarted in its place takes its own leader Lease back at once.
    args.push('--id', `cp-${index + 1}`);
    if (index > 0) args.push('--info-file', infoFile, '--skip-kubeconfig');
    if (o.profile) args.push('--profile', o.profile);
    if (o.verbose) args.push('--verbose');
    const name = several ? `controlplane-${index + 1}` : 'controlplane';
    const env = o.controlPlaneSupervisor ? { [CONTROL_PLANE_SUPERVISOR_ENV]: o.controlPlaneSupervisor } : undefined;
    const m = this.spawnMember(name, [...args, ...(o.controlPlaneArgs ?? [])], env);
    this.controlPlanes[index] = m;
    if (index === 0) this.controlPlane = m;
    const url = await new Promise<string>((resolve, reject) => {
      const onData = () =>
        setImmediate(() => {
          const url = m.output.map((l) => /listening on (https?:\/\/[^\s]+)/.exec(l)?.[1]).find(Boolean);
          if (!url) return;
          m.child.stdout!.off('data', onData);
          resolve(url);
        });
      m.child.stdout!.on('data', onData);
      void m.exited.then(({ code, signal }) =>
        reject(new Error(`the control plane exited (${signal ?? `code ${code}`}) before it was ready:\n${m.output.slice(-20).join('\n')}`)),
      );
    });
    this.urls[index] = url;
    if (index === 0) this.url = url;
    this.agentUrl = this.urls.map((u) => u.replace(/^http/, 'ws')).join(',');
    // With TLS the agents pin the control plane's CA by the hash it wrote beside its URL.
    this.caCertHash = (JSON.parse(readFileSync(path.join(o.dataDir, infoFile), 'utf8')) as { caCertHash?: string }).caCertHash;
    return url;
  }

  /** Starts every control plane (opts.controlPlanes), one after the other; resolves with the first's URL. */
  async startControlPlanes(): Promise<string> {
    for (let i = 0; i < (this.opts.controlPlanes ?? 1); i++) await this.startControlPlane(i);
    return this.url;
  }

  /** The --labels of a node: the common ones and its zone, which node-N takes from the zones round-robin. */
  private labelsOf(name: string): string | undefined {
    const parts = this.opts.nodeLabels ? [this.opts.nodeLabels] : [];
    const zones = this.opts.zones ?? [];
    if (zones.length > 0) {
      const n = Number(/(\d+)$/.exec(name)?.[1] ?? 1);
      parts.push(`topology.kubernetes.io/zone=${zones[(Math.max(n, 1) - 1) % zones.length]}`);
    }
    return parts.length > 0 ? parts.join(',') : undefined;
  }

  /** Starts (or restarts) the agent of a node. */
  startAgent(name: string, extra: string[] = []): Member {
    const o = this.opts;
    const args = [
      ...this.nodeFlags(),
      AGENT_MAIN,
      '--name',
      name,
      '--server',
      this.agentUrl,
      '--token-file',
      this.tokenFile,
      '--data-dir',
      o.dataDir,
      '--exit-with-parent',
    ];
    if (this.caCertHash) args.push('--discovery-token-ca-cert-hash', this.caCertHash);
    // The user's own images, when they have written some.
    const images = path.join(o.dataDir, 'images.yaml');
    if (existsSync(images)) args.push('--images', images);
    args.push('--cpu', o.nodeCpu ?? '4', '--memory', o.nodeMemory ?? '8Gi');
    const labels = this.labelsOf(name);
    if (labels) args.push('--labels', labels);
    const nodeIP = nodeAddress(name);
    if (nodeIP && !extra.includes('--node-ip')) args.push('--node-ip', nodeIP);
    if (o.verbose) args.push('--verbose');
    const m = this.spawnMember(name, [...args, ...extra], { [SUPERVISOR_ENV]: 'kip local cluster' });
    this.agents.set(name, m);
    this.agentArgs.set(name, extra);
    void m.exited.then(({ code, signal }) => this.agentExited(m, signal ? `killed by ${signal}` : `exited with code ${code}`));
    return m;
  }

  /**
   * Starts the agents of many nodes, at most `concurrency` of them starting at a time: the next one
   * starts when an earlier one is Ready, has exited, or has had START_SLOT_MS. Resolves once every
   * agent is started (waitReady says when they are Ready); agents not yet started when stop() is
   * called are not started.
   */
  async startAgents(names: readonly string[], concurrency = START_CONCURRENCY): Promise<Member[]> {
    const started: Member[] = [];
    const starting = new Map<Member, number>();
    for (const name of names) {
      while (starting.size >= concurrency && !this.stopping) {
        await sleep(50);
        const ready = new Set((await this.readyNodes().catch(() => [])).map((n) => n.metadata.name));
        for (const [m, at] of starting) if (ready.has(m.name) || !isRunning(m) || Date.now() - at > START_SLOT_MS) starting.delete(m);
      }
      if (this.stopping) break;
      const m = this.startAgent(name);
      starting.set(m, Date.now());
      started.push(m);
    }
    return started;
  }

  /** The restart an agent asked for before it went (chaos restart), read and consumed. */
  private restartRequest(name: string): RestartRequest | undefined {
    return consumeRestartRequest(path.join(this.opts.dataDir, 'nodes', name, RESTART_REQUEST_FILE));
  }

  /** An agent that died with a restart request (or any, with restartNodes) comes back after its delay. */
  private agentExited(m: Member, how: string): void {
    if (this.stopping || this.agents.get(m.name) !== m) return;
    const request = this.restartRequest(m.name);
    const delayMs = request?.delayMs ?? (this.opts.restartNodes ? (this.opts.restartDelayMs ?? DEFAULT_RESTART_DELAY_MS) : undefined);
    const reason = request
      ? `restart requested${request.chaos ? ` by chaos ${request.chaos}` : ''}`
      : delayMs !== undefined
        ? 'restart-nodes is on'
        : undefined;
    this.opts.onNodeExit?.(m, how, delayMs, reason);
    if (delayMs === undefined) return;
    clearTimeout(this.restartTimers.get(m.name));
    this.restartTimers.set(
      m.name,
      setTimeout(() => {
        this.restartTimers.delete(m.name);
        if (this.stopping || this.agents.get(m.name) !== m) return;
        const next = this.startAgent(m.name, this.agentArgs.get(m.name) ?? []);
        this.opts.onNodeRestart?.(next);
      }, delayMs),
    );
  }

  /** Nodes waiting to be started again, by name. */
  get pendingRestarts(): string[] {
    return [...this.restartTimers.keys()];
  }

  /** The kubeconfig the control plane wrote: its URL, the admin token and, with TLS, its CA. */
  get kubeconfigFile(): string {
    return path.join(this.opts.dataDir, KUBECONFIG_FILE);
  }

  /** An API client with the cluster's admin credentials, of the first control plane or the one at `index`. */
  client(userAgent = 'kip', index = 0): ApiClient {
    const kc = readKubeconfig(this.kubeconfigFile);
    return new ApiClient({ server: this.urls[index] ?? this.url, ...(kc.token ? { token: kc.token } : {}), ...(kc.caPem ? { ca: kc.caPem } : {}), userAgent });
  }

  async readyNodes(): Promise<Node[]> {
    const list = await this.client('kip-cluster').call<List<Node>>('GET', '/api/v1/nodes');
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
      await sleep(100);
    }
  }

  /**
   * Stops the control plane, then the agents (gracefully, SIGKILL after graceMs). In that order a
   * stored cluster keeps its pods as they were, as a whole cluster powered off does: the agents
   * stop their pods without the control plane hearing of it, so a cluster started again from the
   * same store runs the same pods again rather than replacing pods it was told had ended.
   */
  async stop(graceMs = 15_000): Promise<void> {
    this.cancelRestarts();
    await Promise.all(this.controlPlanes.map((m) => stopMember(m, 'SIGTERM', 10_000)));
    await Promise.all([...this.agents.values()].map((m) => stopMember(m, 'SIGTERM', graceMs)));
  }

  private cancelRestarts(): void {
    this.stopping = true;
    for (const t of this.restartTimers.values()) clearTimeout(t);
    this.restartTimers.clear();
  }

  /** Kills everything at once, for a second Ctrl-C. */
  killAll(): void {
    this.cancelRestarts();
    for (const m of [...this.agents.values(), ...this.controlPlanes]) if (isRunning(m)) m.child.kill('SIGKILL');
  }
}

/** The restart request left in `file` (by chaos, before a process went), read and removed. */
export function consumeRestartRequest(file: string): RestartRequest | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  rmSync(file, { force: true });
  return parseRestartRequest(text);
}

export function isRunning(m: Member): boolean {
  return m.child.exitCode === null && m.child.signalCode === null;
}

export async function stopMember(m: Member, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (!isRunning(m)) return;
  const t = setTimeout(() => m.child.kill('SIGKILL'), graceMs);
  m.child.kill(signal);
  // A node paused by chaos is SIGSTOPped: continue it, or the signal waits for the pause to end
  // and a SIGKILL after the grace would leave its frozen pods behind.
  m.child.kill('SIGCONT');
  await m.exited;
  clearTimeout(t);
}
