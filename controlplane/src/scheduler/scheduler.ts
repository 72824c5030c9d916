// The scheduler (kube-scheduler's stand-in): watches Pods and Nodes, keeps the incremental cache and
// the scheduling queue, and places one pod per cycle: the decision itself is placement.ts's pure
// findPlacement; this file is the shell around it that assumes and binds, or records
// kube-scheduler's FailedScheduling message and parks the pod until a cluster change could help.
// Watch handlers only update the cache and queue; every store write happens in the loop, which runs
// from setImmediate in short batches so the API server stays responsive.

import {
  isoTime,
  podCondition,
  realClock,
  setCondition,
  type Clock,
  type Logger,
  type Namespace,
  type Node,
  type PersistentVolumeClaim,
  type Pod,
  type PodDisruptionBudget,
  type PodCondition,
  type PodStatus,
  type StorageClass,
} from '@kip/shared';
import type { EventRecorder } from '../events.js';
import { StoreError, type Store, type StoreEvent, type Unsubscribe } from '../store/store.js';
import { SchedulerCache } from './cache.js';
import { defaultPlugins } from './default-plugins.js';
import { decisionSeed, truncateMessage, type Diagnosis } from './diagnosis.js';
import { ClusterEvents, Framework, type Plugin } from './framework.js';
import type { NodeInfo } from './node-info.js';
import { findPlacement } from './placement.js';
import { needsScheduling, podKey } from './pod-resources.js';
import { DISRUPTED_BY, markedDisrupted } from '../api/disruption-target.js';
import { findPreemption, type PreemptionCandidate } from './preemption.js';
import { SchedulingQueue, type QueuedPod } from './queue.js';
import { expandScored, type ScoreSummary } from './score-summary.js';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
const EVENT_SOURCE = { component: DEFAULT_SCHEDULER_NAME };

export interface SchedulerOptions {
  store: Store;
  recorder: EventRecorder;
  log: Logger;
  clock?: Clock;
  /** 0..100; 0 or unset adapts to cluster size, as kube-scheduler does. */
  percentageOfNodesToScore?: number;
  /** Seeds tie-breaking so a decision can be replayed; random when unset. */
  seed?: number;
  /** The plugins to run, filters in order; the default profile when unset. */
  plugins?: readonly Plugin[];
  /** Backoff after a failed attempt: 1 s doubling to 10 s unless set. */
  podInitialBackoffMs?: number;
  podMaxBackoffMs?: number;
  /** Parked pods are checked this often (30 s) and retried after podMaxInUnschedulableMs (5 min). */
  unschedulableFlushIntervalMs?: number;
  podMaxInUnschedulableMs?: number;
  /** The loop yields to the event loop after running this long (default 5 ms). */
  batchMs?: number;
  /** How many filtered and scored nodes one Diagnosis lists (default 10 each); counts are always complete. */
  diagnosisNodeLimit?: number;
  /**
   * Deletes a preemption victim. The API server passes its graceful delete (the victim's node stops
   * it first); unset, the victim leaves the store at once.
   */
  deletePod?: (pod: Pod) => void;
}

function optionError(field: string, why: string, got: unknown): Error {
  return new Error(`scheduler: ${field} ${why}, got ${JSON.stringify(got)}`);
}

export class Scheduler {
  /** The seed in use; pass it back as `seed` to replay decisions. */
  readonly seed: number;
  private readonly store: Store;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly framework: Framework;
  private readonly percentage: number;
  private readonly batchMs: number;
  private readonly diagnosisNodeLimit: number;
  private cache!: SchedulerCache;
  private queue!: SchedulingQueue;
  private nextStartNodeIndex = 0;
  /**
   * Pods that preempted others, by uid, with the node they wait for (status.nominatedNodeName).
   * Other pods of no higher priority see them there as if bound, so they do not take the room
   * the preemption made (kube-scheduler's nominator).
   */
  private readonly nominations = new Map<string, { pod: Pod; node: string }>();
  private unsubscribes: Unsubscribe[] = [];
  private connected = false;
  private running = false;
  private immediate: NodeJS.Immediate | undefined;
  /** isoNow() has whole seconds: the text is made once per second, not once per decision. */
  private timeSecond = NaN;
  private timeText = '';

  constructor(private readonly opts: SchedulerOptions) {
    this.store = opts.store;
    this.recorder = opts.recorder;
    this.log = opts.log;
    this.clock = opts.clock ?? realClock;
    const pct = opts.percentageOfNodesToScore ?? 0;
    if (typeof pct !== 'number' || !(pct >= 0 && pct <= 100)) throw optionError('percentageOfNodesToScore', 'must be a number from 0 to 100', pct);
    this.percentage = pct;
    if (opts.seed !== undefined && !Number.isInteger(opts.seed)) throw optionError('seed', 'must be an integer', opts.seed);
    this.seed = (opts.seed ?? Math.floor(Math.random() * 2 ** 32)) >>> 0;
    this.batchMs = opts.batchMs ?? 5;
    this.diagnosisNodeLimit = opts.diagnosisNodeLimit ?? 10;
    this.framework = new Framework(opts.plugins ?? defaultPlugins());
    this.reset();
  }

  private reset(): void {
    this.nominations.clear();
    this.cache = new SchedulerCache((name) => this.store.get<Namespace>('Namespace', undefined, name)?.metadata.labels);
    this.queue = new SchedulingQueue({
      pluginEvents: this.framework.pluginEvents(),
      clock: this.clock,
      initialBackoffMs: this.opts.podInitialBackoffMs,
      maxBackoffMs: this.opts.podMaxBackoffMs,
      flushIntervalMs: this.opts.unschedulableFlushIntervalMs,
      maxUnschedulableMs: this.opts.podMaxInUnschedulableMs,
      onReady: () => this.wake(),
    });
    this.nextStartNodeIndex = 0;
  }

  /**
   * Lists Nodes and Pods into the cache and queue and watches both from that version on, without
   * starting the loop; scheduleOne() calls it on first use, so tests can drive cycles by hand.
   */
  connect(): void {
    if (this.connected) return;
    this.connected = true;
    const nodes = this.store.list<Node>('Node');
    for (const n of nodes.items) this.cache.upsertNode(n);
    const pods = this.store.list<Pod>('Pod');
    for (const p of pods.items) {
      if (p.spec.nodeName) this.cache.updatePod(p);
      else if (needsScheduling(p)) {
        this.queue.add(p);
        // A nomination made before a restart still holds.
        const nominated = p.status?.nominatedNodeName;
        if (nominated && p.metadata.uid) this.nominations.set(p.metadata.uid, { pod: p, node: nominated });
      }
    }
    this.unsubscribes.push(this.store.watch({ kind: 'Node', resourceVersion: nodes.resourceVersion }, this.onNodeEvent));
    this.unsubscribes.push(this.store.watch({ kind: 'Pod', resourceVersion: pods.resourceVersion }, this.onPodEvent));
    const claims = this.store.list<PersistentVolumeClaim>('PersistentVolumeClaim');
    for (const c of claims.items) this.cache.upsertClaim(c);
    this.unsubscribes.push(this.store.watch({ kind: 'PersistentVolumeClaim', resourceVersion: claims.resourceVersion }, this.onClaimEvent));
    const classes = this.store.list<StorageClass>('StorageClass');
    for (const sc of classes.items) this.cache.upsertStorageClass(sc);
    this.unsubscribes.push(
      this.store.watch({ kind: 'StorageClass', resourceVersion: classes.resourceVersion }, (ev) =>
        ev.type === 'DELETED' ? this.cache.removeStorageClass(ev.object as StorageClass) : this.cache.upsertStorageClass(ev.object as StorageClass),
      ),
    );
  }

  start(): void {
    if (this.running) return;
    this.connect();
    this.running = true;
    this.queue.run();
    this.log.info('scheduler started', { nodes: this.cache.numNodes(), pending: this.queue.stats().active, seed: this.seed });
    this.wake();
  }

  /** Stops the loop and the watches; a later start() lists everything afresh. */
  stop(): void {
    this.running = false;
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = undefined;
    for (const u of this.unsubscribes) u();
    this.unsubscribes = [];
    this.connected = false;
    this.queue.close();
    this.reset();
  }

  /** Runs one scheduling cycle synchronously if a pod is ready; returns false if the queue is empty (for tests/bench). */
  scheduleOne(): boolean {
    this.connect();
    const qp = this.queue.pop();
    if (!qp) return false;
    try {
      this.runCycle(qp);
    } catch (err) {
      // A bug in the scheduler itself: keep the loop alive and retry the pod later.
      this.log.error('scheduling cycle failed', { pod: podKey(qp.pod), err: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      this.cache.forget(qp.uid);
      this.queue.addBackoff(qp);
    }
    return true;
  }

  /** How many pods wait in each part of the queue. */
  pending(): { active: number; backoff: number; unschedulable: number; inflight: number } {
    return this.queue.stats();
  }

  /** The cache's view of a node, for tests and tools; do not modify. */
  nodeInfo(name: string): NodeInfo | undefined {
    return this.cache.getNode(name);
  }

  // --- watch handlers: cache and queue only, never a store write ------------------------------

  private readonly onNodeEvent = (ev: StoreEvent): void => {
    const node = ev.object as Node;
    if (ev.type === 'DELETED') {
      this.cache.removeNode(node.metadata.name);
      return;
    }
    for (const e of this.cache.upsertNode(node)) this.queue.moveOnEvent(e);
  };

  private readonly onClaimEvent = (ev: StoreEvent): void => {
    const claim = ev.object as PersistentVolumeClaim;
    if (ev.type === 'DELETED') {
      this.cache.removeClaim(claim);
      return;
    }
    this.cache.upsertClaim(claim);
    this.queue.moveOnEvent(ClusterEvents.PvcChange);
  };

  private readonly onPodEvent = (ev: StoreEvent): void => {
    const pod = ev.object as Pod;
    const uid = pod.metadata.uid;
    if (!uid) return;
    if (ev.type === 'DELETED') {
      this.queue.delete(uid);
      this.nominations.delete(uid);
      if (this.cache.removePod(uid)) this.queue.moveOnEvent(ClusterEvents.PodDelete);
      return;
    }
    if (pod.spec.nodeName) {
      // Bound, by this scheduler (confirming an assumed pod) or by anyone else.
      this.queue.delete(uid);
      this.nominations.delete(uid);
      const isNew = this.cache.nodeOf(uid) === undefined;
      if (this.cache.updatePod(pod)) this.queue.moveOnEvent(ClusterEvents.PodDelete);
      // A new pod on a node (or new labels on one) may satisfy a parked pod's affinity.
      if (isNew || (ev.type === 'MODIFIED' && !sameLabels(pod, ev.oldObject as Pod | undefined))) this.queue.moveOnEvent(ClusterEvents.AssignedPodAdd);
      return;
    }
    if (this.cache.removePod(uid)) this.queue.moveOnEvent(ClusterEvents.PodDelete);
    if (needsScheduling(pod)) this.queue.update(pod);
    else {
      this.queue.delete(uid);
      this.nominations.delete(uid);
    }
  };

  // --- the loop -------------------------------------------------------------------------------

  private wake(): void {
    if (!this.running || this.immediate) return;
    this.immediate = setImmediate(this.pump);
  }

  private readonly pump = (): void => {
    this.immediate = undefined;
    if (!this.running) return;
    const deadline = performance.now() + this.batchMs;
    while (this.running) {
      if (!this.scheduleOne()) return; // idle until the queue calls onReady
      if (performance.now() >= deadline) break;
    }
    this.wake();
  };

  // --- one cycle ------------------------------------------------------------------------------

  private isoNow(): string {
    const ms = this.clock.now();
    const second = Math.floor(ms / 1000);
    if (second !== this.timeSecond) {
      this.timeSecond = second;
      this.timeText = isoTime(ms);
    }
    return this.timeText;
  }

  private runCycle(qp: QueuedPod): void {
    if (!needsScheduling(qp.pod)) {
      this.queue.delete(qp.uid);
      this.nominations.delete(qp.uid);
      return;
    }
    // Pods nominated by preemption count on their nodes for this decision, if they rank as high.
    const reserved = this.reserveNominated(qp);
    let placement: ReturnType<typeof findPlacement>;
    try {
      placement = findPlacement({
        pod: qp.pod,
        uid: qp.uid,
        attempt: qp.attempts,
        time: this.isoNow(),
        nodes: this.cache.nodeList(),
        framework: this.framework,
        snapshot: this.cache,
        seed: decisionSeed(this.seed, qp.uid, qp.attempts),
        startIndex: this.nextStartNodeIndex,
        percentageOfNodesToScore: this.percentage,
        diagnosisNodeLimit: this.diagnosisNodeLimit,
        // Only a --verbose log line reads a fit's best nodes: other runs do not rank them.
        scoreSummaryLimit: this.log.level === 'debug' ? this.diagnosisNodeLimit : 0,
      });
    } finally {
      for (const uid of reserved) this.cache.forget(uid);
    }
    this.nextStartNodeIndex = placement.nextStartIndex;
    switch (placement.kind) {
      case 'fit':
        this.bind(qp, placement.node, placement.diag, placement.scores);
        return;
      case 'unschedulable':
        this.postFilter(qp, placement.diag, placement.plugins);
        return;
      case 'error':
        this.queue.addBackoff(qp);
        this.fail(qp, placement.diag, 'SchedulerError');
        return;
    }
  }

  /** Assumes the nominated pods of at least qp's priority onto their nodes; returns their uids, to forget after. */
  private reserveNominated(qp: QueuedPod): string[] {
    if (this.nominations.size === 0) return [];
    const out: string[] = [];
    for (const [uid, n] of this.nominations) {
      if (uid === qp.uid || (n.pod.spec.priority ?? 0) < qp.priority || !this.cache.getNode(n.node)?.node) continue;
      if (this.cache.nodeOf(uid) !== undefined) continue; // bound meanwhile
      this.cache.assume(n.pod, n.node);
      out.push(uid);
    }
    return out;
  }

  /**
   * No node fits: try preemption (kube-scheduler's PostFilter). With victims chosen, they are
   * deleted, the pod is nominated to their node and retried after backoff; otherwise it is parked.
   */
  private postFilter(qp: QueuedPod, diag: Diagnosis, plugins: ReadonlySet<string>): void {
    const pod = qp.pod;
    if (diag.numAllNodes > 0) {
      const outcome = findPreemption({
        pod,
        nodes: this.cache.nodeList(),
        framework: this.framework,
        snapshot: this.cache,
        withoutPods: (uids, fn) => this.cache.withoutPods(uids, fn),
        getNode: (name) => this.cache.getNode(name),
        anyLowerPriority: this.cache.hasPodsBelow(pod.spec.priority ?? 0),
        // The search looked at every node (none was feasible), so its count is complete.
        unresolvableNodes: diag.unresolvableNodes,
        budgets: this.store.list<PodDisruptionBudget>('PodDisruptionBudget').items,
      });
      if (outcome.kind === 'preempt') {
        this.preempt(qp, outcome.candidate);
        this.nominations.set(qp.uid, { pod, node: outcome.candidate.node.name });
        this.queue.addBackoff(qp);
        this.fail(qp, diag, 'Unschedulable', outcome.candidate.node.name);
        return;
      }
      diag.message = `${diag.message} preemption: ${outcome.message}`;
    }
    this.queue.addUnschedulable(qp, plugins);
    this.fail(qp, diag, 'Unschedulable');
  }

  /** Deletes the victims, each with a Preempted event, as kube-scheduler's prepareCandidate. */
  private preempt(qp: QueuedPod, c: PreemptionCandidate): void {
    const deletePod = this.opts.deletePod ?? ((p: Pod) => this.store.delete('Pod', p.metadata.namespace, p.metadata.name, { uid: p.metadata.uid }));
    for (const v of c.victims) {
      try {
        // Marked first, so that a Job's pod failure policy can tell a preempted pod from a failed one.
        const marked = markedDisrupted(v.pod, DISRUPTED_BY.preemption, this.clock.now());
        if (marked) this.store.update(marked);
        deletePod(v.pod);
      } catch (err) {
        // Gone already, or changed: the next attempt looks again.
        this.log.debug('preemption victim not deleted', { pod: podKey(v.pod), err: err instanceof Error ? err.message : String(err) });
        continue;
      }
      this.recorder.record(v.pod, 'Normal', 'Preempted', `Preempted by pod ${qp.uid} on node ${c.node.name}`, EVENT_SOURCE);
    }
    this.log.info('preempted pods', { pod: podKey(qp.pod), node: c.node.name, victims: c.victims.map((v) => podKey(v.pod)).join(',') });
  }

  private bind(qp: QueuedPod, ni: NodeInfo, diag: Diagnosis, scores: ScoreSummary | undefined): void {
    // A shallow copy is enough: only spec.nodeName and the conditions change (structuredClone of
    // the whole pod cost more than the rest of the bind). The new parts are frozen here, over the
    // frozen parts of the stored pod they hold, so the store keeps them as they are instead of
    // copying them again (see frozenCopy).
    const pod = qp.pod;
    const conditions = setCondition<PodCondition>(pod.status?.conditions, { type: 'PodScheduled', status: 'True', lastProbeTime: null }, diag.time);
    for (const c of conditions) Object.freeze(c);
    const status: PodStatus = { ...pod.status, conditions: Object.freeze(conditions) as PodCondition[] };
    // Placed: the nomination from an earlier preemption is spent.
    if (status.nominatedNodeName !== undefined) delete status.nominatedNodeName;
    const copy: Pod = { ...pod, spec: Object.freeze({ ...pod.spec, nodeName: ni.name }), status: Object.freeze(status) };
    // Count the pod on its node before the write, so the store event that follows (synchronously,
    // from inside update) and the next cycle both see it exactly once.
    this.cache.assume(copy, ni.name);
    let bound: Pod;
    try {
      bound = this.store.update(copy);
    } catch (err) {
      this.cache.forget(qp.uid);
      this.bindFailed(qp, diag, err);
      return;
    }
    this.queue.done(qp.uid);
    this.nominations.delete(qp.uid);
    this.queue.moveOnEvent(ClusterEvents.AssignedPodAdd);
    diag.result = 'Scheduled';
    diag.node = ni.name;
    diag.message = `Successfully assigned ${podKey(bound)} to ${ni.name}`;
    // The decision's reasons, for --verbose: the best nodes with their totals, chosen node first.
    if (this.log.level === 'debug') {
      const best = scores
        ? expandScored(scores)
            .slice(0, 3)
            .map((s) => `${s.node}:${s.total}`)
            .join(',')
        : ni.name;
      this.log.debug('bound pod', {
        pod: diag.pod,
        node: ni.name,
        evaluated: diag.evaluatedNodes,
        feasible: diag.feasibleNodes,
        best,
        start: diag.startIndex,
        seed: diag.seed,
      });
    }
    this.recorder.record(bound, 'Normal', 'Scheduled', diag.message, EVENT_SOURCE);
  }

  private bindFailed(qp: QueuedPod, diag: Diagnosis, err: unknown): void {
    if (err instanceof StoreError && (err.code === 'Conflict' || err.code === 'NotFound')) {
      // The pod changed or went away since we read it: look again rather than report a failure.
      const cur = this.store.get<Pod>('Pod', qp.pod.metadata.namespace, qp.pod.metadata.name);
      if (!cur || cur.metadata.uid !== qp.uid || !needsScheduling(cur)) {
        this.queue.delete(qp.uid);
        return;
      }
      this.log.debug('pod changed while binding; retrying', { pod: diag.pod, reason: err.message });
      this.queue.update(cur);
      this.queue.addBackoff(qp);
      return;
    }
    this.queue.addBackoff(qp);
    diag.result = 'Error';
    diag.message = `binding rejected: ${err instanceof Error ? err.message : String(err)}`;
    this.fail(qp, diag, 'SchedulerError');
  }

  /** Records the FailedScheduling event and the PodScheduled=False condition (the pod is already requeued). */
  private fail(qp: QueuedPod, diag: Diagnosis, reason: 'Unschedulable' | 'SchedulerError', nominatedNodeName?: string): void {
    if (reason === 'SchedulerError') this.log.error('error scheduling pod; retrying', { pod: diag.pod, err: diag.message });
    else this.log.debug('unable to schedule pod; waiting', { pod: diag.pod, message: diag.message });
    this.recorder.record(qp.pod, 'Warning', 'FailedScheduling', truncateMessage(diag.message), EVENT_SOURCE);
    this.setUnscheduledCondition(qp, reason, diag.message, diag.time, nominatedNodeName);
  }

  private setUnscheduledCondition(qp: QueuedPod, reason: string, message: string, now: string, nominatedNodeName?: string): void {
    const { namespace, name } = qp.pod.metadata;
    for (let attempt = 0; attempt < 3; attempt++) {
      const cur = this.store.get<Pod>('Pod', namespace, name);
      if (!cur || cur.metadata.uid !== qp.uid || !needsScheduling(cur)) return;
      const prev = podCondition(cur, 'PodScheduled');
      // Unchanged: skip the write, so a pod retried on every event does not churn the store.
      const nominate = nominatedNodeName !== undefined && cur.status?.nominatedNodeName !== nominatedNodeName;
      if (prev && prev.status === 'False' && prev.reason === reason && prev.message === message && !nominate) return;
      const copy = structuredClone(cur);
      copy.status = {
        ...copy.status,
        conditions: setCondition<PodCondition>(copy.status?.conditions, { type: 'PodScheduled', status: 'False', reason, message, lastProbeTime: null }, now),
        ...(nominatedNodeName !== undefined ? { nominatedNodeName } : {}),
      };
      try {
        this.store.update(copy);
        return;
      } catch (err) {
        if (err instanceof StoreError && err.code === 'Conflict') continue;
        if (err instanceof StoreError && err.code === 'NotFound') return;
        throw err;
      }
    }
  }
}

/** Whether a pod's labels are unchanged; runs on every bound pod's update, so it allocates nothing. */
function sameLabels(a: Pod, b: Pod | undefined): boolean {
  const x = a.metadata.labels;
  const y = b?.metadata.labels;
  if (x === y) return true;
  if (!x || !y) return false;
  let n = 0;
  for (const k in x) {
    if (x[k] !== y[k]) return false;
    n++;
  }
  for (const _ in y) n--;
  return n === 0;
}
