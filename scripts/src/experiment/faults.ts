// Faults as the timeline injects them: NodeChaos, NetworkChaos and ControlPlaneChaos objects
// created through the API, for the chaos controller to enforce, and deleted to heal them. The
// runner enforces nothing itself; it only remembers what it created, so that whatever happens
// every fault of the run is deleted at the end, and it reads back their status for the report.
//
// A ControlPlaneChaos takes the API away for a while: every request here is tried again while the
// control plane cannot be reached, until it is back (or CONTROL_PLANE_WAIT_MS have passed).

import { CHAOS_API_VERSION, resourceByKind, ApiStatusError, ConnectionError, type ChaosStatus, type KObject, type ApiClient } from '@kip/shared';
import { CliError } from '../kip/errors.js';
import { sleep } from './sleep.js';
import type { FaultKind, FaultStep, TimelineStep } from './timeline.js';

/** How long a request waits for an unreachable control plane to come back. */
export const CONTROL_PLANE_WAIT_MS = 60_000;
const RETRY_EVERY_MS = 500;

/**
 * `fn`, tried again while the control plane cannot be reached (a ConnectionError), up to `waitMs`;
 * not when `gone()` says it will not come back (a private cluster that was stopped).
 */
export async function whileUnreachable<T>(fn: (attempt: number) => Promise<T>, opts: { waitMs?: number; gone?: () => boolean } = {}): Promise<T> {
  const deadline = Date.now() + (opts.waitMs ?? CONTROL_PLANE_WAIT_MS);
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (!(err instanceof ConnectionError) || Date.now() + RETRY_EVERY_MS > deadline || opts.gone?.()) throw err;
    }
    await sleep(RETRY_EVERY_MS);
  }
}

export interface FaultObject extends KObject {
  spec: Record<string, unknown>;
  status?: ChaosStatus;
}

/** The object a fault step creates. */
export function faultObject(step: FaultStep, namespace: string, runLabels: Record<string, string>): FaultObject {
  return {
    apiVersion: CHAOS_API_VERSION,
    kind: step.kind,
    metadata: { name: step.name, namespace, labels: { ...(step.labels ?? {}), ...runLabels } },
    spec: structuredClone(step.spec),
  };
}

function resource(kind: FaultKind) {
  const r = resourceByKind(kind);
  if (!r) throw new CliError(`this kip does not know the kind ${kind}`);
  return r;
}

export class FaultInjector {
  /** name -> kind of every fault this run created and has not deleted */
  private readonly live = new Map<string, FaultKind>();
  private readonly kinds = new Map<string, FaultKind>();
  /** the status each fault had when last read: just before it was deleted, or at the end */
  private readonly lastStatus = new Map<string, ChaosStatus>();

  constructor(
    private readonly api: ApiClient,
    private readonly namespace: string,
    private readonly runLabels: Record<string, string>,
    /** the cluster is gone for good: requests are not tried again */
    private readonly clusterGone?: () => boolean,
  ) {}

  private retrying<T>(fn: (attempt: number) => Promise<T>): Promise<T> {
    return whileUnreachable(fn, { gone: this.clusterGone });
  }

  /**
   * Before anything runs: the server must serve the fault kinds the timeline uses, and no fault
   * of the same name may exist already (a leftover would be mistaken for this run's).
   */
  async preflight(steps: readonly TimelineStep[]): Promise<void> {
    const faults = steps.filter((s): s is FaultStep => s.type === 'fault');
    for (const kind of new Set(faults.map((f) => f.kind))) {
      try {
        await this.api.list(resource(kind), this.namespace);
      } catch (err) {
        if (err instanceof ApiStatusError && err.isNotFound)
          throw new CliError(`the server does not serve ${kind} (${CHAOS_API_VERSION}); is it a kip cluster with the chaos API?`);
        throw err;
      }
    }
    for (const f of faults) {
      try {
        await this.api.get(resource(f.kind), this.namespace, f.name);
      } catch (err) {
        if (err instanceof ApiStatusError && err.isNotFound) continue;
        throw err;
      }
      throw new CliError(
        `a ${f.kind} named "${f.name}" already exists in namespace ${this.namespace} (left by an earlier run?); ` +
          `delete it first: npm run kip -- delete ${resource(f.kind).plural} ${f.name} -n ${this.namespace}`,
      );
    }
  }

  async inject(step: FaultStep): Promise<void> {
    try {
      await this.retrying(async (attempt) => {
        try {
          await this.api.create(resource(step.kind), this.namespace, faultObject(step, this.namespace, this.runLabels));
        } catch (err) {
          // A retry finding it there: the first try was written, its answer lost (preflight saw none).
          if (attempt > 0 && err instanceof ApiStatusError && err.isAlreadyExists) return;
          throw err;
        }
      });
    } catch (err) {
      if (err instanceof ApiStatusError) throw new CliError(err.message);
      throw err;
    }
    this.live.set(step.name, step.kind);
    this.kinds.set(step.name, step.kind);
  }

  /** Deletes the named faults; a fault already gone (healed by its controller's GC) is fine. */
  async heal(names: readonly string[]): Promise<void> {
    const failures: string[] = [];
    for (const name of names) {
      const kind = this.live.get(name);
      if (!kind) continue;
      await this.readStatus(name, kind);
      try {
        await this.retrying(() => this.api.delete(resource(kind), this.namespace, name));
      } catch (err) {
        if (!(err instanceof ApiStatusError && err.isNotFound)) {
          failures.push(`${name}: ${(err as Error).message}`);
          continue;
        }
      }
      this.live.delete(name);
    }
    if (failures.length > 0) throw new CliError(failures.join('; '));
  }

  private async readStatus(name: string, kind: FaultKind): Promise<void> {
    try {
      const o = await this.retrying(() => this.api.get<FaultObject>(resource(kind), this.namespace, name));
      this.lastStatus.set(name, o.status ?? {});
    } catch {
      // gone already, or the server is busy: the report goes without it
    }
  }

  /**
   * The last status read of each fault of this run, by name (read now for those still there).
   * Throws when the server cannot be asked, so that no status is not mistaken for no controller.
   */
  async statuses(): Promise<Record<string, ChaosStatus>> {
    for (const [name, kind] of this.live) {
      try {
        const o = await this.retrying(() => this.api.get<FaultObject>(resource(kind), this.namespace, name));
        this.lastStatus.set(name, o.status ?? {});
      } catch (err) {
        if (!(err instanceof ApiStatusError && err.isNotFound)) throw err;
      }
    }
    const out: Record<string, ChaosStatus> = {};
    for (const name of this.kinds.keys()) {
      const st = this.lastStatus.get(name);
      if (st) out[name] = st;
    }
    return out;
  }

  /** Deletes every fault of this run that is still there; returns their names. */
  async cleanup(): Promise<string[]> {
    const names = [...this.live.keys()];
    await this.heal(names);
    return names;
  }
}
