// A real Kubelet in a temp directory, with its hooks recorded, for tests that run real processes.
// Every harness checks at the end that no process it started is left (nothing with a cwd under
// its directory) and removes the directory.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROFILES, readProcStat, silentLogger } from '@kip/shared';
import type { Container, EventRecord, Pod, PodRef, PodSpec, PodStatus, Timing } from '@kip/shared';
import { Kubelet, type SandboxSupport } from '@kip/agent';
import { processesWithCwdUnder } from '@kip/agent';
import { eventually } from '../../helpers/wait.js';

export const NODE = 'node-1';

/** Fast enough for tests on a loaded 2-core machine. */
export const TEST_TIMING: Timing = {
  ...PROFILES.fast,
  crashLoopBackOffInitialMs: 300,
  crashLoopBackOffMaxMs: 1200,
  crashLoopBackOffResetMs: 60_000,
  resourceSampleIntervalMs: 250,
};

let seq = 0;

export function makePod(name: string, containers: Container[], spec: Partial<PodSpec> = {}, meta: Partial<Pod['metadata']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}-${++seq}`, ...meta },
    spec: { nodeName: NODE, restartPolicy: 'Always', terminationGracePeriodSeconds: 5, ...spec, containers },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
  };
}

export function deleted(pod: Pod, graceSeconds?: number): Pod {
  return {
    ...pod,
    metadata: {
      ...pod.metadata,
      deletionTimestamp: new Date().toISOString(),
      ...(graceSeconds !== undefined ? { deletionGracePeriodSeconds: graceSeconds } : {}),
    },
  };
}

/** shared's waitFor with the kubelet tests' shorter poll; null counts as not yet. */
export function waitFor<T>(what: string, fn: () => T | undefined | false | null, timeoutMs = 15_000, everyMs = 25): Promise<T> {
  return eventually(what, () => fn() ?? undefined, { timeoutMs, intervalMs: everyMs });
}

export function pidAlive(pid: number): boolean {
  const st = readProcStat(pid);
  return st !== undefined && st.state !== 'Z';
}

export function pgidOf(pid: number): number | undefined {
  return readProcStat(pid)?.pgid;
}

export function pidOf(containerID: string | undefined): number {
  const m = /^kip:\/\/(\d+)$/.exec(containerID ?? '');
  assert.ok(m, `not a kip container ID: ${String(containerID)}`);
  return Number(m[1]);
}

export class Harness {
  readonly dir: string;
  readonly kubelet: Kubelet;
  readonly statuses: { ref: PodRef; status: PodStatus }[] = [];
  readonly events: EventRecord[] = [];
  readonly terminated: PodRef[] = [];

  constructor(timing: Timing = TEST_TIMING, extraEnv?: (pod: Pod) => Record<string, string>, sandbox?: SandboxSupport) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kip-kubelet-'));
    this.kubelet = new Kubelet({
      nodeName: NODE,
      dataDir: path.join(this.dir, 'nodes', NODE),
      podCIDR: '10.244.1.0/24',
      timing,
      log: silentLogger,
      extraEnv,
      ...(sandbox ? { sandbox } : {}),
      hooks: {
        status: (u) => this.statuses.push({ ref: { namespace: u.namespace, name: u.name, uid: u.uid }, status: structuredClone(u.status) }),
        event: (e) => this.events.push(e),
        terminated: (r) => this.terminated.push(r),
      },
    });
  }

  /** The latest status reported for the pod. */
  status(pod: Pod): PodStatus | undefined {
    for (let i = this.statuses.length - 1; i >= 0; i--) if (this.statuses[i]!.ref.uid === pod.metadata.uid) return this.statuses[i]!.status;
    return undefined;
  }

  container(pod: Pod, name?: string) {
    const st = this.status(pod);
    return st?.containerStatuses?.find((c) => name === undefined || c.name === name);
  }

  waitStatus(pod: Pod, what: string, pred: (s: PodStatus) => boolean, timeoutMs?: number): Promise<PodStatus> {
    return waitFor(
      `${pod.metadata.name}: ${what}`,
      () => {
        const s = this.status(pod);
        return s && pred(s) ? s : undefined;
      },
      timeoutMs,
    );
  }

  waitEvent(pod: Pod, reason: string, match: RegExp = /.*/, timeoutMs?: number): Promise<EventRecord> {
    return waitFor(
      `${pod.metadata.name}: event ${reason} ${String(match)}`,
      () => this.events.find((e) => e.involvedObject.uid === pod.metadata.uid && e.reason === reason && match.test(e.message)),
      timeoutMs,
    );
  }

  podEvents(pod: Pod): EventRecord[] {
    return this.events.filter((e) => e.involvedObject.uid === pod.metadata.uid);
  }

  podDir(pod: Pod): string {
    return path.join(this.dir, 'nodes', NODE, 'pods', `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`);
  }

  /** Processes whose cwd is under the harness directory: what its pods are running. */
  processes(): number[] {
    return processesWithCwdUnder(this.dir);
  }

  /** Stops everything, checks that no process is left, removes the directory. */
  async close(): Promise<void> {
    try {
      await this.kubelet.shutdown();
      await waitFor('every pod process to be gone', () => this.processes().length === 0, 5000);
    } finally {
      this.kubelet.killAllNow();
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
