// The ControlPlaneChaos controller: kills the control plane it runs in. A run records the
// injection in the object's status (the store has it before anything else happens), leaves a
// RestartRequest in the data dir for the launcher (restart after spec.restartAfter), and SIGKILLs
// its own process. The control plane the launcher starts again from the durable store finds the
// object Injected, before its own start: it is healed, and the downtime is the time from the
// injection to that start.
//
// It refuses (the run Fails, the status says why) when nothing would bring the control plane back
// with its state: a memory store, or a control plane whose starter did not say (in its
// environment, CONTROL_PLANE_SUPERVISOR_ENV) that it restarts it.

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  CONTROL_PLANE_SUPERVISOR_ENV,
  humanDuration,
  restartAfterMs,
  RESTART_REQUEST_FILE,
  type ChaosStatus,
  type ControlPlaneChaos,
  type RestartRequest,
} from '@kip/shared';
import { ChaosController, type ActiveFault, type ChaosControllerDeps, type HealCheck, type RunOutcome } from './chaos-controller.js';
import { msOf } from './runs.js';

/** What the controller needs to know of, and do to, its own process. */
export interface ControlPlaneProcess {
  /** the store keeps the state across a restart (sqlite, etcd), unlike memory */
  durable: boolean;
  /** where the launcher looks for a RestartRequest */
  dataDir?: string;
  /** this process's pid */
  pid: number;
  /** when this process started (ms since epoch) */
  startedAtMs: number;
  /** whoever started this process starts it again when it dies (the launcher, an experiment's private cluster) */
  supervised(): boolean;
  /** writes the RestartRequest (default: into dataDir) */
  requestRestart(req: RestartRequest): void;
  /** SIGKILLs this process, once the reconcile that asked has written its Events */
  kill(): void;
}

/** This process, as the control plane's main runs it. */
export function thisProcess(opts: { durable: boolean; dataDir?: string }): ControlPlaneProcess {
  return {
    ...opts,
    pid: process.pid,
    startedAtMs: Date.now() - Math.round(process.uptime() * 1000),
    supervised: () => Boolean(process.env[CONTROL_PLANE_SUPERVISOR_ENV]),
    requestRestart: (req) => writeFileSync(path.join(opts.dataDir ?? process.cwd(), RESTART_REQUEST_FILE), JSON.stringify(req) + '\n'),
    // The ChaosInjected Event is written right after the act: die on the next turn of the loop.
    kill: () => setImmediate(() => process.kill(process.pid, 'SIGKILL')),
  };
}

/** Why this control plane must not be killed, or undefined when it may. */
export function refusal(proc: Pick<ControlPlaneProcess, 'durable' | 'supervised'>): string | undefined {
  if (!proc.durable)
    return 'the control plane keeps its state in memory only (--store memory): killing it would lose the cluster; run it with --store sqlite or etcd';
  if (!proc.supervised())
    return "the control plane was not started by kip's launcher (npm run cluster) or an experiment's private cluster: nothing would start it again";
  return undefined;
}

export class ControlPlaneChaosController extends ChaosController<ControlPlaneChaos> {
  readonly name = 'controlplanechaos';
  readonly kind = 'ControlPlaneChaos' as const;
  private readonly proc: ControlPlaneProcess;

  constructor(deps: ChaosControllerDeps, proc: ControlPlaneProcess) {
    super(deps);
    this.proc = proc;
  }

  protected run(obj: ControlPlaneChaos, status: ChaosStatus, now: number): RunOutcome {
    const why = refusal(this.proc);
    if (why) return { result: 'Failed', nodes: [], message: `not injected: ${why}` };
    status.killedPid = this.proc.pid;
    const delayMs = restartAfterMs(obj.spec);
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    return {
      result: 'Injected',
      nodes: [],
      recordTargets: ['the control plane'],
      lasting: true,
      message: `killing the control plane (pid ${this.proc.pid}) with SIGKILL; the launcher restarts it ${delayMs ? `after ${humanDuration(delayMs)}` : 'at once'}`,
      // After the status is written: the restarted control plane reads it from the store.
      act: () => {
        this.log.warn('killing the control plane, as a ControlPlaneChaos asks', { chaos: key, restartAfterMs: delayMs });
        this.proc.requestRestart({ delayMs, chaos: `ControlPlaneChaos ${key}`, requestedAt: now });
        this.proc.kill();
      },
    };
  }

  /**
   * Healed once another control plane process sees it: the killed one restarted (the downtime
   * runs to its start), or one that shares the store (etcd) took over (to when it sees it).
   */
  protected checkHeal(_obj: ControlPlaneChaos, status: ChaosStatus, now: number): HealCheck {
    const injected = msOf(status.injectedTime);
    if (injected === undefined) return { healed: false };
    if (this.proc.startedAtMs > injected) {
      const downtimeMs = this.proc.startedAtMs - injected;
      status.downtimeMs = downtimeMs;
      return { healed: true, message: `the control plane is back (pid ${this.proc.pid}) after ${(downtimeMs / 1000).toFixed(1)}s down` };
    }
    if (status.killedPid === undefined || status.killedPid === this.proc.pid) return { healed: false };
    const downtimeMs = Math.max(0, now - injected);
    status.downtimeMs = downtimeMs;
    return { healed: true, message: `another control plane (pid ${this.proc.pid}) took over ${(downtimeMs / 1000).toFixed(1)}s after the kill` };
  }

  protected healDeleted(_fault: ActiveFault): string {
    return 'deleted while the control plane was down: nothing to undo';
  }
}
