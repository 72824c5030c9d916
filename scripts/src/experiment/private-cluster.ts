// `--nodes N`: a cluster of its own for one experiment, started from the same LocalCluster the
// launcher uses, in a fresh temporary data dir, on a free port. It is stopped and its directory
// removed whatever happens to the run; the processes also watch a pipe from this one, so even a
// SIGKILL of the runner takes them down.
//
// Its state is in SQLite in that data dir, so that a ControlPlaneChaos step is survivable: the
// control plane it kills is started again from the store after the delay the fault asked for
// (the RestartRequest it left), as the launcher does, while the pods run on.

import { mkdtempSync, rmSync } from 'node:fs';
import { RESTART_REQUEST_FILE } from '@kip/shared';
import os from 'node:os';
import path from 'node:path';
import type { ApiClient } from '@kip/shared';
import { LocalCluster, consumeRestartRequest, isRunning } from '../cluster/local-cluster.js';

export interface PrivateClusterOptions {
  nodes: number;
  profile?: string;
  log: (line: string) => void;
  readyTimeoutMs?: number;
}

export class PrivateCluster {
  private stopped = false;
  /** the control plane is down on request, and will be started again */
  private restarting = false;

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
    const local = new LocalCluster({
      dataDir,
      port: 0,
      ...(o.profile ? { profile: o.profile } : {}),
      controlPlaneArgs: ['--store', 'sqlite'],
      controlPlaneSupervisor: 'kip experiment private cluster',
    });
    const c = new PrivateCluster(dataDir, local);
    try {
      const started = Date.now();
      await local.startControlPlane();
      c.restartOnRequest(o.log);
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

  /**
   * When the control plane exits having asked for a restart (a ControlPlaneChaos), starts it
   * again from its store after the delay asked. Any other exit leaves it down: the run sees the
   * cluster gone, as before.
   */
  private restartOnRequest(log: (line: string) => void): void {
    const cp = this.local.controlPlane;
    void cp?.exited.then(async ({ code, signal }) => {
      if (this.stopped) return;
      const requested = consumeRestartRequest(path.join(this.dataDir, RESTART_REQUEST_FILE));
      if (!requested) return;
      this.restarting = true;
      log(
        `[cluster] the control plane exited (${signal ?? `code ${code}`}); restarting it in ${requested.delayMs / 1000}s, as ${requested.chaos ?? 'a restart request'} asked`,
      );
      await new Promise((r) => setTimeout(r, requested.delayMs));
      try {
        if (this.stopped) return;
        await this.local.startControlPlane();
        log(`[cluster] control plane restarted (pid ${this.local.controlPlane?.child.pid}) at ${this.local.url}`);
        this.restartOnRequest(log);
      } catch (err) {
        log(`[cluster] the control plane did not come back: ${(err as Error).message}`);
      } finally {
        this.restarting = false;
      }
    });
  }

  /** Its control plane has exited (stopped by us, or by a signal that reached it too), and is not being restarted. */
  isDown(): boolean {
    const cp = this.local.controlPlane;
    return this.stopped || (!this.restarting && (!cp || !isRunning(cp)));
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
