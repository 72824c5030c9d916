// A real cluster for integration tests: the control plane and N agents as separate OS processes,
// started by the same LocalCluster the launcher uses, in a private data dir. stop() tears it all
// down and fails if any process of the cluster is left.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalCluster, isRunning, type Member } from '@kip/scripts';
import type { Node } from '@kip/shared';
import { TestApi } from './api.js';
import { processesUnder } from './processes.js';
import { eventually } from './wait.js';

export { AGENT_MAIN, CONTROLPLANE_MAIN, ROOT } from '@kip/scripts';

export interface TestClusterOptions {
  nodes?: number;
  nodeCpu?: string;
  nodeMemory?: string;
  /** Zones node-1, node-2, ... are put in, round-robin (the launcher's --zones). */
  zones?: string[];
  controlPlaneArgs?: string[];
  /** How many control planes (default 1; more need a shared store: --store etcd://). */
  controlPlanes?: number;
  /** extra agent flags per node index (1-based) */
  agentArgs?: (i: number) => string[];
  /** how long every node may take to be Ready (default 30 s) */
  readyTimeoutMs?: number;
}

export class TestCluster {
  api!: TestApi;
  private readonly local: LocalCluster;

  private constructor(
    readonly dataDir: string,
    opts: TestClusterOptions,
  ) {
    this.local = new LocalCluster({
      dataDir,
      port: 0,
      nodeCpu: opts.nodeCpu,
      nodeMemory: opts.nodeMemory,
      zones: opts.zones,
      controlPlaneArgs: opts.controlPlaneArgs,
      controlPlanes: opts.controlPlanes,
    });
  }

  static async start(opts: TestClusterOptions = {}): Promise<TestCluster> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kip-test-'));
    const c = new TestCluster(dir, opts);
    try {
      c.api = TestApi.fromKubeconfig(c.local.kubeconfigFile, await c.local.startControlPlanes());
      const n = opts.nodes ?? 3;
      for (let i = 1; i <= n; i++) c.startAgent(`node-${i}`, opts.agentArgs?.(i) ?? []);
      await c.waitReady(n, opts.readyTimeoutMs);
    } catch (err) {
      console.log(c.dump());
      await c.stop().catch(() => {});
      throw err;
    }
    return c;
  }

  get url(): string {
    return this.local.url;
  }
  /** The kubeconfig the control plane wrote: its URL and admin token. */
  get kubeconfig(): string {
    return this.local.kubeconfigFile;
  }
  get agentUrl(): string {
    return this.local.agentUrl;
  }
  get agents(): Map<string, Member> {
    return this.local.agents;
  }
  get controlPlane(): Member {
    return this.local.controlPlane!;
  }
  /** Every control plane's process and API URL, by index. */
  get controlPlanes(): readonly Member[] {
    return this.local.controlPlanes;
  }
  get controlPlaneUrls(): readonly string[] {
    return this.local.urls;
  }
  /** A client of the control plane at this index, with the admin credentials. */
  apiOf(index: number): TestApi {
    return TestApi.fromKubeconfig(this.local.kubeconfigFile, this.local.urls[index]);
  }
  get token(): string {
    return readFileSync(this.local.tokenFile, 'utf8').trim();
  }

  /** Starts an agent process for a node (a new one, or one coming back). */
  startAgent(name: string, extra: string[] = []): Member {
    return this.local.startAgent(name, extra);
  }

  async waitReady(count: number, timeoutMs = 30_000): Promise<Node[]> {
    return this.local.waitReady(count, timeoutMs);
  }

  async node(name: string): Promise<Node | undefined> {
    return this.api.get<Node>('nodes', name);
  }

  agentPid(name: string): number {
    const pid = this.agents.get(name)?.child.pid;
    if (!pid) throw new Error(`no agent ${name}`);
    return pid;
  }

  /** Kills an agent process as a failing machine would; resolves once it has exited. */
  async killAgent(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const m = this.agents.get(name);
    if (!m) throw new Error(`no agent ${name}`);
    m.child.kill(signal);
    await m.exited;
  }

  /** Kills the control plane process (SIGKILL by default); resolves once it has exited. */
  async killControlPlane(signal: NodeJS.Signals = 'SIGKILL', index = 0): Promise<void> {
    const m = this.local.controlPlanes[index]!;
    m.child.kill(signal);
    await m.exited;
  }

  /** Starts the control plane again from the data dir, on the port it had, where the agents look for it. */
  async restartControlPlane(): Promise<void> {
    await this.local.startControlPlane();
  }

  /** What this cluster's processes wrote lately, for a failing test's message. */
  dump(): string {
    const parts = this.local.controlPlanes.map((m) => `--- ${m.name}\n${m.output.slice(-60).join('\n')}`);
    for (const [n, m] of this.agents) parts.push(`--- ${n}\n${m.output.slice(-40).join('\n')}`);
    return parts.join('\n');
  }

  /**
   * Stops every agent and the control plane, then checks that no process of this cluster is left
   * (pods included). Leftovers are killed and reported as a failure.
   */
  async stop(): Promise<void> {
    await this.local.stop();
    const running = [...this.agents.values()].filter(isRunning);
    if (running.length) throw new Error(`agents still running: ${running.map((m) => m.name).join(', ')}`);
    // Pods die within a second of their agent; give them that second.
    await eventually('pod processes to exit', () => processesUnder(this.dataDir).length === 0, { timeoutMs: 3000 }).catch(() => {});
    const left = processesUnder(this.dataDir);
    for (const p of left) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(this.dataDir, { recursive: true, force: true });
    if (left.length > 0) throw new Error(`processes left after teardown:\n${left.map((p) => `${p.pid} ${p.cmdline}`).join('\n')}`);
  }
}
