// The node lifecycle controller: watches each node's liveness (its agent's connection and
// heartbeats), marks a silent node Ready=Unknown with the unreachable taints, marks its pods not
// ready, and evicts them once their toleration runs out so that their owners replace them elsewhere.
// A node that speaks again is Ready and untainted.

import {
  TAINT_NOT_READY,
  TAINT_UNREACHABLE,
  isoNow,
  isoTime,
  nodeCondition,
  setCondition,
  type Clock,
  type Logger,
  type Node,
  type Pod,
  type Taint,
  type Timing,
} from '@kip/shared';
import type { EventRecorder } from '../events.js';
import { StoreError, type Store } from '../store/store.js';

export interface NodeHealthView {
  connected: boolean;
  lastHeartbeatMs: number;
  disconnectedAtMs?: number;
}

export interface NodeLifecycleOptions {
  store: Store;
  recorder: EventRecorder;
  log: Logger;
  clock: Clock;
  timing: Timing;
  /** What the agent endpoint knows of a node's connection; undefined if it never connected. */
  health(nodeName: string): NodeHealthView | undefined;
}

/** How often lastHeartbeatTime is refreshed on a healthy node (kubelet's status update frequency). */
const STATUS_REFRESH_MS = 10_000;

export class NodeLifecycleController {
  private timer?: ReturnType<Clock['setTimeout']>;
  private readonly startedAt: number;
  private readonly tickMs: number;

  constructor(private readonly opts: NodeLifecycleOptions) {
    this.startedAt = opts.clock.now();
    // Kubernetes' node-monitor-period is 5 s; the fast profile looks four times per disconnect grace.
    this.tickMs = Math.min(5000, Math.max(100, Math.floor(opts.timing.disconnectGraceMs / 4)));
  }

  start(): void {
    const loop = () => {
      try {
        this.tick();
      } catch (err) {
        this.opts.log.error('node lifecycle pass failed', { error: err });
      }
      this.timer = this.opts.clock.setTimeout(loop, this.tickMs);
    };
    this.timer = this.opts.clock.setTimeout(loop, this.tickMs);
  }

  stop(): void {
    this.opts.clock.clearTimeout(this.timer);
  }

  /** One pass over every node; exposed so tests can drive it with a FakeClock. */
  tick(): void {
    for (const node of this.opts.store.list<Node>('Node').items) {
      if (this.healthy(node)) this.markReady(node);
      else this.markUnreachable(node);
    }
  }

  private healthy(node: Node): boolean {
    const { timing, clock } = this.opts;
    const now = clock.now();
    const h = this.opts.health(node.metadata.name);
    if (!h) {
      // Never connected to this control plane (it restarted, or the Node was created by hand):
      // give the agent one grace period to come back before calling the node lost.
      return now - this.startedAt < timing.nodeMonitorGracePeriodMs && nodeCondition(node, 'Ready')?.status === 'True';
    }
    if (!h.connected) return now - (h.disconnectedAtMs ?? 0) < timing.disconnectGraceMs;
    return now - h.lastHeartbeatMs < timing.nodeMonitorGracePeriodMs;
  }

  private markReady(node: Node): void {
    const ready = nodeCondition(node, 'Ready');
    const now = isoNow(this.opts.clock);
    // The heartbeat is the agent's own: a node healthy only by grace (its connection just closed)
    // has sent none since, and its status must not say it has.
    const h = this.opts.health(node.metadata.name);
    const heartbeat = h ? isoTime(h.lastHeartbeatMs) : ready?.lastHeartbeatTime;
    const tainted = (node.spec.taints ?? []).some(isLifecycleTaint);
    const stale =
      heartbeat !== ready?.lastHeartbeatTime && (!ready?.lastHeartbeatTime || this.opts.clock.now() - Date.parse(ready.lastHeartbeatTime) > STATUS_REFRESH_MS);
    if (ready?.status === 'True' && !tainted && !stale) return;
    const next = structuredClone(node);
    next.spec.taints = (node.spec.taints ?? []).filter((t) => !isLifecycleTaint(t));
    if (next.spec.taints.length === 0) delete next.spec.taints;
    next.status = {
      ...next.status,
      conditions: setCondition(next.status?.conditions, { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kip agent is posting ready status', lastHeartbeatTime: heartbeat ?? now }, now),
    };
    if (!this.write(next)) return;
    if (ready?.status !== 'True') {
      this.opts.log.info('node is ready again', { node: node.metadata.name });
      this.opts.recorder.record(next, 'Normal', 'NodeReady', `Node ${node.metadata.name} status is now: NodeReady`, { component: 'node-controller' });
    }
  }

  private markUnreachable(node: Node): void {
    const ready = nodeCondition(node, 'Ready');
    const now = isoNow(this.opts.clock);
    let current = node;
    if (ready?.status !== 'Unknown' || !(node.spec.taints ?? []).some((t) => t.key === TAINT_UNREACHABLE && t.effect === 'NoExecute')) {
      const next = structuredClone(node);
      const kept = (node.spec.taints ?? []).filter((t) => !isLifecycleTaint(t));
      next.spec.taints = [...kept, { key: TAINT_UNREACHABLE, effect: 'NoSchedule', timeAdded: now }, { key: TAINT_UNREACHABLE, effect: 'NoExecute', timeAdded: now }];
      next.status = {
        ...next.status,
        conditions: setCondition(
          next.status?.conditions,
          { type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastHeartbeatTime: ready?.lastHeartbeatTime },
          now,
        ),
      };
      if (!this.write(next)) return;
      current = this.opts.store.get<Node>('Node', undefined, node.metadata.name) ?? next;
      this.opts.log.info('node is not ready', { node: node.metadata.name, reason: 'agent stopped posting status' });
      this.opts.recorder.record(next, 'Normal', 'NodeNotReady', `Node ${node.metadata.name} status is now: NodeNotReady`, { component: 'node-controller' });
      this.markPodsNotReady(node.metadata.name);
    }
    this.evict(current);
  }

  /** Pods on a lost node stop counting as ready at once, so services stop sending them traffic. */
  private markPodsNotReady(nodeName: string): void {
    const now = isoNow(this.opts.clock);
    for (const pod of this.podsOn(nodeName)) {
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status === 'False') continue;
      const next = structuredClone(pod);
      next.status = {
        ...next.status,
        conditions: setCondition(setCondition(next.status?.conditions, { type: 'Ready', status: 'False', reason: 'NodeNotReady' }, now), { type: 'ContainersReady', status: 'False', reason: 'NodeNotReady' }, now),
      };
      this.write(next);
    }
  }

  /** Deletes the node's pods whose toleration of the unreachable taint has run out. */
  private evict(node: Node): void {
    const taint = (node.spec.taints ?? []).find((t) => t.key === TAINT_UNREACHABLE && t.effect === 'NoExecute');
    if (!taint?.timeAdded) return;
    const since = Date.parse(taint.timeAdded);
    const now = this.opts.clock.now();
    for (const pod of this.podsOn(node.metadata.name)) {
      const tolerated = tolerationMs(pod, taint, this.opts.timing.podEvictionTimeoutMs);
      if (now < since + tolerated) continue;
      try {
        this.opts.store.delete('Pod', pod.metadata.namespace, pod.metadata.name, { uid: pod.metadata.uid });
      } catch (err) {
        if (err instanceof StoreError) continue;
        throw err;
      }
      this.opts.log.info('evicted pod from lost node', { node: node.metadata.name, pod: `${pod.metadata.namespace}/${pod.metadata.name}` });
      this.opts.recorder.record(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${pod.metadata.namespace}/${pod.metadata.name}`, { component: 'taint-eviction-controller' });
    }
  }

  private podsOn(nodeName: string): Pod[] {
    return this.opts.store.list<Pod>('Pod', { filter: (p) => (p as Pod).spec.nodeName === nodeName }).items;
  }

  private write<T extends Node | Pod>(obj: T): boolean {
    try {
      this.opts.store.update(obj);
      return true;
    } catch (err) {
      if (err instanceof StoreError) return false;
      throw err;
    }
  }
}

function isLifecycleTaint(t: Taint): boolean {
  return t.key === TAINT_UNREACHABLE || t.key === TAINT_NOT_READY;
}

/**
 * How long a pod stays bound to an unreachable node: the shortest of its own tolerations of the
 * taint if it has any (no tolerationSeconds means forever), as Kubernetes' taint manager takes
 * the minimum; else the profile's default (Kubernetes adds 300 s).
 */
export function tolerationMs(pod: Pod, taint: Taint, defaultMs: number): number {
  let shortest: number | undefined;
  for (const t of pod.spec.tolerations ?? []) {
    const keyOk = t.operator === 'Exists' ? !t.key || t.key === taint.key : t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
    const effectOk = !t.effect || t.effect === taint.effect;
    if (!keyOk || !effectOk) continue;
    const ms = t.tolerationSeconds === undefined ? Infinity : Math.max(0, t.tolerationSeconds) * 1000;
    shortest = Math.min(shortest ?? Infinity, ms);
  }
  return shortest ?? defaultMs;
}
