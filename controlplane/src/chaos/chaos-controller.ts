// What NodeChaos and NetworkChaos controllers share: the life of a fault object. A run is due
// (at creation, or per schedule); the run chooses nodes and injects, or is skipped or fails, and
// says so in a record and an Event; an injection that lasts is watched until it heals (its
// duration ends, or the node it restarted is back); then the next run, until the schedule's
// count is used up. Deleting the object heals what it still holds.
//
// Level-triggered like every controller here: reconcile reads the object and its status, acts
// on what is due, writes the status first and only then sends anything to agents, so a failed
// write never leaves a fault injected twice.

import {
  jsonEqual,
  keyOf,
  realClock,
  splitKey,
  type ChaosRecord,
  type ChaosStatus,
  type Clock,
  type ControlPlaneMessage,
  type Logger,
  type ObjectReference,
} from '@kip/shared';
import type { Registry } from '../api/registry.js';
import type { Controller, ControllerDeps, Enqueue, ReconcileResult } from '../controllers/controller.js';
import type { EventRecorder } from '../events.js';
import type { Store, Unsubscribe } from '../store/store.js';
import {
  addRecord,
  attemptsOf,
  clearInjection,
  exhausted,
  isoMs,
  msOf,
  nextRunAt,
  phaseBetweenRuns,
  runAfter,
  scheduleOf,
  seedOf,
  type ChaosObject,
} from './runs.js';

export const CHAOS_COMPONENT = 'chaos-controller';

/** What the chaos controllers need of the agent endpoint. */
export interface ChaosAgents {
  /** The open session of a node, if its agent is connected. */
  session(node: string): { send(msg: ControlPlaneMessage): boolean; readonly connectedAtMs: number; readonly pid: number } | undefined;
}

export interface ChaosControllerDeps extends ControllerDeps {
  agents: ChaosAgents;
  /** ends the pause of the agent with this pid early; how many resumers it told (default: resume-early.ts) */
  resumeNow?: (agentPid: number) => number;
}

/** What one run did. */
export interface RunOutcome {
  result: 'Injected' | 'Skipped' | 'Failed';
  nodes: string[];
  /** nodes on the other side (network faults), as status.targets keeps them */
  targets?: string[];
  /** the other side as the record shows it (nodes, and "the control plane") */
  recordTargets?: string[];
  /** for the record and the Event on the chaos object */
  message: string;
  /** Injected and still in effect afterwards (pause, restart, network faults), until healed */
  lasting?: boolean;
  /** when a lasting injection heals by itself; undefined: when the controller sees it healed, or on delete */
  healAt?: number;
  /** what the Event on each chosen node says */
  nodeMessage?: string;
  /** sends to agents: done after the status is written */
  act?: () => void;
}

export interface HealCheck {
  healed: boolean;
  /** healed by failing: the record says Failed with this message */
  failed?: string;
  message?: string;
  /** look again after this long */
  recheckMs?: number;
}

/** What the controller remembers of an object under a lasting fault, to heal it when it is deleted. */
export interface ActiveFault {
  ref: ObjectReference;
  action: string;
  affected: string[];
  healAt?: number;
}

const TERMINAL = new Set(['Finished', 'Recovered', 'Failed']);

/** One reconcile's pending work: what to do once the status is written, and when to look again. */
class Pass {
  readonly after: (() => void)[] = [];
  recheck: number | undefined;
  wake(ms: number | undefined): void {
    if (ms === undefined) return;
    const at = Math.max(0, ms);
    this.recheck = this.recheck === undefined ? at : Math.min(this.recheck, at);
  }
}

export abstract class ChaosController<T extends ChaosObject> implements Controller {
  abstract readonly name: string;
  abstract readonly kind: 'NodeChaos' | 'NetworkChaos' | 'ControlPlaneChaos';
  protected readonly store: Store;
  protected readonly registry: Registry;
  protected readonly recorder: EventRecorder;
  protected readonly log: Logger;
  protected readonly clock: Clock;
  protected readonly agents: ChaosAgents;
  protected readonly active = new Map<string, ActiveFault>();

  constructor(deps: ChaosControllerDeps) {
    this.store = deps.store;
    this.registry = deps.registry;
    this.recorder = deps.recorder;
    this.log = deps.log.child('chaos');
    this.clock = deps.clock ?? realClock;
    this.agents = deps.agents;
  }

  /** One run: choose nodes and inject (or say why not). `attempt` numbers runs from 0 for seeded choices. */
  protected abstract run(obj: T, status: ChaosStatus, now: number, attempt: number): RunOutcome;
  /** Whether the injection in progress is over. */
  protected abstract checkHeal(obj: T, status: ChaosStatus, now: number): HealCheck;
  /** Undoes what a deleted (or replaced) object still held; answers the message of its Recovered events. */
  protected abstract healDeleted(fault: ActiveFault): string;
  /** After any reconcile (network faults publish the agents' fault sets here). */
  protected afterReconcile(): void {}

  register(enqueue: Enqueue): Unsubscribe[] {
    return [this.store.watch({ kind: this.kind }, (ev) => enqueue(keyOf(ev.object)))];
  }

  resyncKeys(): string[] {
    const keys = this.store.list(this.kind).items.map((o) => keyOf(o));
    // Objects deleted while the controller looked away still hold faults to heal.
    for (const k of this.active.keys()) if (!keys.includes(k)) keys.push(k);
    return keys;
  }

  reconcile(key: string): ReconcileResult {
    try {
      return this.reconcileKey(key);
    } finally {
      this.afterReconcile();
    }
  }

  private reconcileKey(key: string): ReconcileResult {
    const { namespace, name } = splitKey(key);
    const obj = this.store.get<T>(this.kind, namespace, name);
    const held = this.active.get(key);
    if (held && (!obj || obj.metadata.uid !== held.ref.uid)) {
      this.active.delete(key);
      this.deleted(held);
    }
    if (!obj) return;
    const now = this.clock.now();
    const status: ChaosStatus = structuredClone(obj.status ?? {});
    status.seed = seedOf(obj);
    const pass = new Pass();
    if (status.phase === 'Injected') this.healIfOver(key, obj, status, now, pass);
    if (status.phase !== 'Injected' && !TERMINAL.has(status.phase ?? '')) this.runIfDue(key, obj, status, now, pass);
    // Status first: what is sent to agents afterwards is already on record.
    this.writeStatus(obj, status);
    if (status.phase === 'Injected')
      this.active.set(key, {
        ref: { apiVersion: obj.apiVersion, kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid },
        action: obj.spec.action,
        affected: status.affected ?? [],
        healAt: msOf(status.healTime),
      });
    else this.active.delete(key);
    for (const f of pass.after) f();
    return pass.recheck === undefined ? undefined : { requeueAfterMs: pass.recheck };
  }

  /** The injection in progress: healed now (a record, Events), or look again later. */
  private healIfOver(key: string, obj: T, status: ChaosStatus, now: number, pass: Pass): void {
    const h = this.checkHeal(obj, status, now);
    if (!h.healed) return pass.wake(h.recheckMs);
    const nodes = status.affected ?? [];
    const record: ChaosRecord = {
      time: isoMs(now),
      action: obj.spec.action,
      nodes,
      result: h.failed ? 'Failed' : 'Recovered',
      message: h.failed ?? h.message ?? 'healed',
    };
    if (status.targets?.length) record.targets = status.targets;
    addRecord(status, record);
    clearInjection(status);
    status.phase = h.failed && !scheduleOf(obj.spec) ? 'Failed' : phaseBetweenRuns(obj, status, true);
    pass.after.push(() => {
      if (h.failed) return this.event(obj, 'Warning', 'ChaosFailed', h.failed);
      this.event(obj, 'Normal', 'ChaosRecovered', record.message!);
      for (const n of nodes) this.nodeEvent(n, 'Normal', 'ChaosRecovered', `${this.kind} ${key}: ${record.message}`);
    });
  }

  /** Runs once if a run is due (recording what it did), or says when the next one is. */
  private runIfDue(key: string, obj: T, status: ChaosStatus, now: number, pass: Pass): void {
    const due = nextRunAt(obj, status);
    if (due === undefined) {
      status.phase = 'Finished';
      delete status.nextRunTime;
      return;
    }
    if (due > now) {
      status.phase = attemptsOf(status) === 0 ? 'Pending' : 'Running';
      status.nextRunTime = isoMs(due);
      return pass.wake(due - now);
    }
    const outcome = this.run(obj, status, now, attemptsOf(status));
    const record: ChaosRecord = { time: isoMs(now), action: obj.spec.action, nodes: outcome.nodes, result: outcome.result, message: outcome.message };
    const shown = outcome.recordTargets ?? outcome.targets;
    if (shown?.length) record.targets = shown;
    addRecord(status, record);
    if (outcome.result === 'Injected') {
      status.runs = (status.runs ?? 0) + 1;
      if (outcome.lasting) {
        status.phase = 'Injected';
        status.affected = outcome.nodes;
        if (outcome.targets) status.targets = outcome.targets;
        status.injectedTime = isoMs(now);
        if (outcome.healAt !== undefined) status.healTime = isoMs(outcome.healAt);
        pass.wake(this.checkHeal(obj, status, now).recheckMs);
      } else {
        clearInjection(status);
        status.phase = phaseBetweenRuns(obj, status, false);
      }
    } else {
      status.skippedRuns = (status.skippedRuns ?? 0) + 1;
      clearInjection(status);
      status.phase = outcome.result === 'Failed' && !scheduleOf(obj.spec) ? 'Failed' : phaseBetweenRuns(obj, status, false);
    }
    const next = exhausted(obj.spec, status) ? undefined : runAfter(obj.spec, due, now);
    if (next === undefined) delete status.nextRunTime;
    else {
      status.nextRunTime = isoMs(next);
      // While injected, the next run waits for the heal, which wakes the controller anyway.
      if (status.phase !== 'Injected') pass.wake(next - now);
    }
    pass.after.push(() => {
      outcome.act?.();
      const reason = outcome.result === 'Injected' ? 'ChaosInjected' : outcome.result === 'Skipped' ? 'ChaosSkipped' : 'ChaosFailed';
      this.event(obj, outcome.result === 'Failed' ? 'Warning' : 'Normal', reason, outcome.message);
      if (outcome.result === 'Injected')
        for (const n of outcome.nodes) this.nodeEvent(n, 'Warning', 'ChaosInjected', `${this.kind} ${key}: ${outcome.nodeMessage ?? outcome.message}`);
    });
  }

  private deleted(fault: ActiveFault): void {
    const message = this.healDeleted(fault);
    this.recorder.record(fault.ref, 'Normal', 'ChaosRecovered', message, { component: CHAOS_COMPONENT });
    for (const n of fault.affected) this.nodeEvent(n, 'Normal', 'ChaosRecovered', `${this.kind} ${fault.ref.namespace}/${fault.ref.name}: ${message}`);
  }

  private writeStatus(obj: T, status: ChaosStatus): void {
    if (jsonEqual(obj.status ?? {}, status)) return;
    const next = structuredClone(obj) as T;
    next.status = status;
    delete next.metadata.resourceVersion;
    this.registry.updateStatus(next);
  }

  protected event(obj: T, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.recorder.record(obj, type, reason, message, { component: CHAOS_COMPONENT });
  }

  protected nodeEvent(node: string, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.recorder.record({ apiVersion: 'v1', kind: 'Node', name: node, uid: this.store.get('Node', undefined, node)?.metadata.uid }, type, reason, message, {
      component: CHAOS_COMPONENT,
    });
  }
}
