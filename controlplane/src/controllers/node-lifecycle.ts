// The node lifecycle controller, as Kubernetes' is: it judges each node by its lease (the agent's
// heartbeats, as the control plane observed them), marks a silent node Ready=Unknown with the
// unreachable NoSchedule taint and its pods not ready, and queues it, per zone and rate-limited,
// for the NoExecute taint that evicts its pods once their toleration runs out. A node that speaks
// again is Ready and untainted, and leaves the queue.
//
// Three things keep load from looking like failure (a busy cluster must not evict itself):
// - silence is counted only in time the controller was watching (Attention): a control plane that
//   was stopped or starved does not blame the nodes for its own absence;
// - evictions are rate-limited per zone, and slowed or stopped when much of a zone, or every
//   zone, looks unhealthy at once (zone-disruption.ts);
// - only a node whose agent process is known to have exited is lost at once (it ran on this host
//   and is gone, and its pods with it): it also gets the shutdown taint, so that the pod garbage
//   collector frees what it still holds.

import {
  Attention,
  TAINT_NOT_READY,
  TAINT_UNREACHABLE,
  everyWithAttention,
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
import { DISRUPTED_BY, markedDisrupted } from '../api/disruption-target.js';
import type { EventRecorder } from '../events.js';
import { StoreError, type Store } from '../store/store.js';
import { EvictionQueue } from './eviction-queue.js';
import { judgeDisruption, zoneOf, type ZoneCount, type ZoneState } from './zone-disruption.js';

/** Kip puts this on a node whose agent process has exited, as a cloud provider marks a VM that is shut down. */
export const TAINT_SHUTDOWN = 'node.cloudprovider.kubernetes.io/shutdown';
/** An administrator puts this on a node known to be down for good (Kubernetes' non-graceful node shutdown). */
export const TAINT_OUT_OF_SERVICE = 'node.kubernetes.io/out-of-service';

export interface NodeHealthView {
  connected: boolean;
  /** when the control plane last heard from the agent (its lease renewal) */
  lastHeartbeatMs: number;
  disconnectedAtMs?: number;
  /** its agent ran on this host and has exited: the node is down, and every process of its pods with it */
  agentGone?: boolean;
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
  private stopLoop?: () => void;
  private startedAt: number;
  readonly tickMs: number;
  private readonly attention: Attention;
  private zoneStates = new Map<string, ZoneState>();
  private readonly queues = new Map<string, EvictionQueue>();

  constructor(private readonly opts: NodeLifecycleOptions) {
    this.startedAt = opts.clock.now();
    // Kubernetes' node-monitor-period is 5 s against a 40-50 s grace; the fast profile keeps the ratio.
    this.tickMs = Math.min(5000, Math.max(100, Math.floor(opts.timing.nodeMonitorGracePeriodMs / 8)));
    // A pass later than this missed time it cannot vouch for.
    this.attention = new Attention(Math.max(this.tickMs, 1000));
  }

  start(): void {
    // A controller that starts (again: a control plane that became leader) gives the agents the
    // startup grace to be heard from before it judges any node.
    this.startedAt = this.opts.clock.now();
    this.stopLoop = everyWithAttention(this.opts.clock, this.tickMs, this.attention, () => {
      try {
        this.tick();
      } catch (err) {
        this.opts.log.error('node lifecycle pass failed', { error: err });
      }
    });
  }

  stop(): void {
    this.stopLoop?.();
  }

  /** One pass over every node; exposed so tests can drive it with a FakeClock. */
  tick(): void {
    const counts = new Map<string, ZoneCount>();
    const nodes = this.opts.store.list<Node>('Node').items;
    const zones = new Map<string, string>();
    for (const node of nodes) {
      const name = node.metadata.name;
      const zone = zoneOf(node);
      zones.set(name, zone);
      const c = counts.get(zone) ?? { ready: 0, notReady: 0 };
      counts.set(zone, c);
      const h = this.opts.health(name);
      const verdict = this.judge(node, h);
      if (verdict === 'alive') this.markReady(node, h);
      else if (verdict === 'lost') this.markUnreachable(node, !!h?.agentGone);
      const current = this.get(name) ?? node;
      if (nodeCondition(current, 'Ready')?.status === 'True') {
        this.queues.get(zone)?.remove(name);
        c.ready++;
      } else {
        if (!hasEvictionTaint(current)) this.queue(zone).add(name);
        c.notReady++;
      }
    }
    this.handleDisruption(counts, nodes);
    for (const [zone, q] of this.queues) {
      if (!counts.has(zone)) this.queues.delete(zone);
      else q.process((name) => this.taintForEviction(name));
    }
    for (const node of this.opts.store.list<Node>('Node').items) this.evict(node);
  }

  private queue(zone: string): EvictionQueue {
    let q = this.queues.get(zone);
    if (!q) this.queues.set(zone, (q = new EvictionQueue(this.opts.timing.nodeEvictionRate, this.opts.clock)));
    return q;
  }

  private get(name: string): Node | undefined {
    return this.opts.store.get<Node>('Node', undefined, name);
  }

  /**
   * alive: heard from within the grace period; lost: silent for the grace period in time this
   * controller was watching (or its agent is gone); unsure: silent only because this controller
   * was away, or it just started: the node keeps the condition it has.
   */
  private judge(node: Node, h: NodeHealthView | undefined): 'alive' | 'lost' | 'unsure' {
    const grace = this.opts.timing.nodeMonitorGracePeriodMs;
    const now = this.opts.clock.now();
    if (!h) {
      // Never connected to this control plane (it restarted, or the Node was created by hand): the
      // startup grace for the agent to come back before calling the node lost.
      const startupGrace = Math.max(grace, this.opts.timing.nodeStartupGracePeriodMs);
      const waiting = this.attention.silence(this.startedAt, now) < startupGrace && nodeCondition(node, 'Ready')?.status === 'True';
      return waiting ? 'unsure' : 'lost';
    }
    if (h.agentGone) return 'lost';
    if (now - h.lastHeartbeatMs < grace) return 'alive';
    return this.attention.silence(h.lastHeartbeatMs, now) < grace ? 'unsure' : 'lost';
  }

  /** Sets each zone's eviction rate; in master disruption, lifts the eviction taints and evicts nothing. */
  private handleDisruption(counts: Map<string, ZoneCount>, nodes: Node[]): void {
    const d = judgeDisruption(counts, this.zoneStates, this.opts.timing);
    for (const [zone, state] of d.states) {
      if (this.zoneStates.get(zone) !== state)
        this.opts.log.info('zone state changed', { zone: zone === ':\u0000:' ? '(none)' : zone.replace(':\u0000:', '/'), state, ...counts.get(zone) });
    }
    if (d.masterDisruption && !this.allFullyDisrupted()) {
      this.opts.log.warn('every node looks unhealthy: the fault is likelier the control plane’s or the network’s; evicting nothing until some node is Ready', {
        nodes: nodes.length,
      });
      for (const node of nodes) this.liftEvictionTaint(node.metadata.name);
    }
    if (d.leftMasterDisruption) {
      this.opts.log.info('some nodes are Ready again: evicting as usual, after a fresh grace period for every node');
      this.attention.resume(this.opts.clock.now());
    }
    this.zoneStates = d.states;
    for (const [zone, rate] of d.rates) this.queue(zone).setRate(rate);
  }

  private allFullyDisrupted(): boolean {
    return this.zoneStates.size > 0 && [...this.zoneStates.values()].every((s) => s === 'FullDisruption');
  }

  private markReady(node: Node, h: NodeHealthView | undefined): void {
    const ready = nodeCondition(node, 'Ready');
    const now = isoNow(this.opts.clock);
    // The heartbeat is the agent's own: a node healthy only by grace has sent none, and its status must not say it has.
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
      conditions: setCondition(
        next.status?.conditions,
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kip agent is posting ready status', lastHeartbeatTime: heartbeat ?? now },
        now,
      ),
    };
    if (!this.write(next)) return;
    if (ready?.status !== 'True') {
      this.opts.log.info('node is ready again', { node: node.metadata.name });
      this.opts.recorder.record(next, 'Normal', 'NodeReady', `Node ${node.metadata.name} status is now: NodeReady`, { component: 'node-controller' });
    }
  }

  /** Ready=Unknown, the NoSchedule taint (and the shutdown taint if its agent is gone), pods not ready. */
  private markUnreachable(node: Node, gone: boolean): void {
    const ready = nodeCondition(node, 'Ready');
    const now = isoNow(this.opts.clock);
    const taints = node.spec.taints ?? [];
    const has = (key: string, effect: Taint['effect']) => taints.some((t) => t.key === key && t.effect === effect);
    const newlyLost = ready?.status !== 'Unknown';
    if (!newlyLost && has(TAINT_UNREACHABLE, 'NoSchedule') && (!gone || has(TAINT_SHUTDOWN, 'NoSchedule'))) return;
    const next = structuredClone(node);
    next.spec.taints = [...taints];
    if (!has(TAINT_UNREACHABLE, 'NoSchedule')) next.spec.taints.push({ key: TAINT_UNREACHABLE, effect: 'NoSchedule', timeAdded: now });
    if (gone && !has(TAINT_SHUTDOWN, 'NoSchedule')) next.spec.taints.push({ key: TAINT_SHUTDOWN, effect: 'NoSchedule', timeAdded: now });
    next.status = {
      ...next.status,
      conditions: setCondition(
        next.status?.conditions,
        {
          type: 'Ready',
          status: 'Unknown',
          reason: 'NodeStatusUnknown',
          message: 'Kubelet stopped posting node status.',
          lastHeartbeatTime: ready?.lastHeartbeatTime,
        },
        now,
      ),
    };
    if (!this.write(next)) return;
    if (!newlyLost) return;
    this.opts.log.info('node is not ready', { node: node.metadata.name, reason: gone ? 'its agent process has exited' : 'agent stopped posting status' });
    this.opts.recorder.record(next, 'Normal', 'NodeNotReady', `Node ${node.metadata.name} status is now: NodeNotReady`, { component: 'node-controller' });
    this.markPodsNotReady(node.metadata.name);
  }

  /** Its turn in the zone's queue has come: the NoExecute taint, from which its pods' tolerations count. */
  private taintForEviction(name: string): void {
    const node = this.get(name);
    if (!node || hasEvictionTaint(node) || nodeCondition(node, 'Ready')?.status === 'True') return;
    const next = structuredClone(node);
    next.spec.taints = [...(node.spec.taints ?? []), { key: TAINT_UNREACHABLE, effect: 'NoExecute', timeAdded: isoNow(this.opts.clock) }];
    this.write(next);
  }

  private liftEvictionTaint(name: string): void {
    this.queues.forEach((q) => q.remove(name));
    const node = this.get(name);
    if (!node || !hasEvictionTaint(node)) return;
    const next = structuredClone(node);
    next.spec.taints = (node.spec.taints ?? []).filter((t) => !(isLifecycleTaint(t) && t.effect === 'NoExecute'));
    this.write(next);
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
        conditions: setCondition(
          setCondition(next.status?.conditions, { type: 'Ready', status: 'False', reason: 'NodeNotReady' }, now),
          { type: 'ContainersReady', status: 'False', reason: 'NodeNotReady' },
          now,
        ),
      };
      this.write(next);
    }
  }

  /** Deletes the node's pods whose toleration of the NoExecute taint has run out. */
  private evict(node: Node): void {
    const taint = (node.spec.taints ?? []).find((t) => t.key === TAINT_UNREACHABLE && t.effect === 'NoExecute');
    if (!taint?.timeAdded) return;
    const since = Date.parse(taint.timeAdded);
    const now = this.opts.clock.now();
    for (const pod of this.podsOn(node.metadata.name)) {
      const tolerated = tolerationMs(pod, taint, this.opts.timing.podEvictionTimeoutMs);
      if (now < since + tolerated) continue;
      try {
        const marked = markedDisrupted(pod, DISRUPTED_BY.taint, now);
        if (marked) this.opts.store.update(marked);
        this.opts.store.delete('Pod', pod.metadata.namespace, pod.metadata.name, { uid: pod.metadata.uid });
      } catch (err) {
        if (err instanceof StoreError) continue;
        throw err;
      }
      this.opts.log.info('evicted pod from lost node', { node: node.metadata.name, pod: `${pod.metadata.namespace}/${pod.metadata.name}` });
      this.opts.recorder.record(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${pod.metadata.namespace}/${pod.metadata.name}`, {
        component: 'taint-eviction-controller',
      });
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

/** The taints this controller owns: it adds them, and removes them when the node is Ready. */
function isLifecycleTaint(t: Taint): boolean {
  return t.key === TAINT_UNREACHABLE || t.key === TAINT_NOT_READY || t.key === TAINT_SHUTDOWN;
}

function hasEvictionTaint(node: Node): boolean {
  return (node.spec.taints ?? []).some((t) => (t.key === TAINT_UNREACHABLE || t.key === TAINT_NOT_READY) && t.effect === 'NoExecute');
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
