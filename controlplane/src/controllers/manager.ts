// The controller manager (kube-controller-manager's stand-in): one runner per controller, each
// with its own work queue, started and stopped together with the control plane.

import { realClock, type Clock, type Logger } from '@kip/shared';
import type { Registry } from '../api/registry.js';
import type { EventRecorder } from '../events.js';
import type { Store } from '../store/store.js';
import { ControllerRunner, type Controller, type ControllerDeps } from './controller.js';
import { CronJobController } from './cronjob.js';
import { DaemonSetController } from './daemonset.js';
import { DeploymentController } from './deployment.js';
import { DisruptionController } from './disruption.js';
import { GarbageCollector } from './garbage-collector.js';
import { JobController } from './job.js';
import { JobTTLController } from './job-ttl.js';
import { PodGarbageCollector } from './pod-gc.js';
import { ReplicaSetController } from './replicaset.js';
import { StatefulSetController } from './statefulset.js';

export interface ControllerManagerOptions {
  store: Store;
  registry: Registry;
  recorder: EventRecorder;
  log: Logger;
  clock?: Clock;
  /** Full resync period of every controller; 30 s by default. */
  resyncMs?: number;
}

export class ControllerManager {
  private readonly runners: ControllerRunner[] = [];
  private readonly clock: Clock;
  private started = false;

  constructor(private readonly opts: ControllerManagerOptions) {
    this.clock = opts.clock ?? realClock;
  }

  /** Adds a controller; one added after start() starts at once. */
  add(c: Controller): void {
    if (this.runners.some((r) => r.controller.name === c.name)) throw new Error(`a controller named "${c.name}" is already registered`);
    const runner = new ControllerRunner(c, { clock: this.clock, log: this.opts.log, resyncMs: this.opts.resyncMs });
    this.runners.push(runner);
    if (this.started) runner.start();
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const r of this.runners) r.start();
  }

  stop(): void {
    if (!this.started) return;
    this.started = false;
    for (const r of this.runners) r.stop();
  }

  /** The runner of a controller by name, for diagnostics and tests. */
  runner(name: string): ControllerRunner | undefined {
    return this.runners.find((r) => r.controller.name === name);
  }

  get controllers(): readonly Controller[] {
    return this.runners.map((r) => r.controller);
  }
}

/** The workload controllers every control plane runs. */
export function defaultControllers(opts: ControllerDeps): Controller[] {
  return [
    new ReplicaSetController(opts),
    new StatefulSetController(opts),
    new DeploymentController(opts),
    new JobController(opts),
    new JobTTLController(opts),
    new CronJobController(opts),
    new DaemonSetController(opts),
    new DisruptionController(opts),
    new GarbageCollector(opts),
    new PodGarbageCollector(opts),
  ];
}
