// `--nodes N`: a cluster of its own for one experiment, started from the same LocalCluster the
// launcher uses, in a fresh temporary data dir, on a free port. It is stopped and its directory
// removed whatever happens to the run; the processes also watch a pipe from this one, so even a
// SIGKILL of the runner takes them down.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ApiClient } from '@kip/shared';
import { LocalCluster, isRunning } from '../cluster/local-cluster.js';

export interface PrivateClusterOptions {
  nodes: number;
  profile?: string;
  log: (line: string) => void;
  readyTimeoutMs?: number;
}

export class PrivateCluster {
  private stopped = false;

  private constructor(
    readonly dataDir: string,
    private readonly local: LocalCluster,
  ) {}

  /** A client with the cluster's admin credentials. */
  client(userAgent: string): ApiClient {
    return this.local.client(userAgent);
  }

  get url(): string {
    return this.local.url;
  }

  static async start(o: PrivateClusterOptions): Promise<PrivateCluster> {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'kip-experiment-'));
    const local = new LocalCluster({ dataDir, port: 0, ...(o.profile ? { profile: o.profile } : {}) });
    const c = new PrivateCluster(dataDir, local);
    try {
      const started = Date.now();
      await local.startControlPlane();
      for (let i = 1; i <= o.nodes; i++) local.startAgent(`node-${i}`);
      await local.waitReady(o.nodes, o.readyTimeoutMs ?? 60_000);
      o.log(`[setup] private cluster: ${o.nodes} node(s) Ready in ${((Date.now() - started) / 1000).toFixed(1)}s at ${local.url} (data dir ${dataDir})`);
    } catch (err) {
      const tail = [local.controlPlane, ...local.agents.values()]
        .filter((m) => m !== undefined)
        .map((m) => `--- ${m.name}\n${m.output.slice(-10).join('\n')}`)
        .join('\n');
      await c.stop();
      throw new Error(`the private cluster did not start: ${(err as Error).message}\n${tail}`);
    }
    return c;
  }

  /** Its control plane has exited: stopped by us, or by a signal that reached it too. */
  isDown(): boolean {
    const cp = this.local.controlPlane;
    return this.stopped || !cp || !isRunning(cp);
  }

  /** Stops every process of the cluster and removes its data dir; safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      await this.local.stop(10_000);
    } finally {
      rmSync(this.dataDir, { recursive: true, force: true });
    }
  }

  /** For a second Ctrl-C: no more waiting. */
  killAll(): void {
    this.local.killAll();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
