// The pod garbage collector: removes pods no node will ever report on. A pod being deleted leaves
// the store when its node confirms it stopped; if the node never does (it died, or lost the
// pod), the pod is force-deleted once its deletion deadline is more than a slack in the past.
// A pod bound to a node that no longer exists as a Node object is deleted at once (Kubernetes'
// PodGC "orphaned" case), so its controller can replace it. So is a pod being deleted on a node
// known to be down (not Ready, with the out-of-service taint as in Kubernetes, or the shutdown
// taint kip puts on a node whose agent process has exited): nothing of it runs any more, and
// it must stop counting against that node at once.

import { nodeCondition, realClock, splitKey, keyOf, type Clock, type Logger, type Node, type Pod } from '@kip/shared';
import { ApiError } from '../api/errors.js';
import type { Registry } from '../api/registry.js';
import type { EventRecorder } from '../events.js';
import type { Store, StoreEvent, Unsubscribe } from '../store/store.js';
import type { Controller, ControllerDeps, Enqueue, ReconcileResult } from './controller.js';
import { TAINT_OUT_OF_SERVICE, TAINT_SHUTDOWN } from './node-lifecycle.js';

export const POD_GC_COMPONENT = 'pod-garbage-collector';
/** How long past its deletion deadline a pod may wait for its node before it is force-deleted. */
export const DEFAULT_TERMINATING_SLACK_MS = 10_000;
export const REASON_DELETION_BY_POD_GC = 'DeletionByPodGC';

/** Node keys cannot be mistaken for pod keys ("namespace/name"): ':' is in no name. */
const NODE_KEY_PREFIX = 'node:';

export interface PodGCOptions {
  terminatingSlackMs?: number;
}

export class PodGarbageCollector implements Controller {
  readonly name = 'pod-gc';
  private readonly store: Store;
  private readonly registry: Registry;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly slackMs: number;

  constructor(deps: ControllerDeps, opts: PodGCOptions = {}) {
    this.store = deps.store;
    this.registry = deps.registry;
    this.recorder = deps.recorder;
    this.log = deps.log.child('pod-gc');
    this.clock = deps.clock ?? realClock;
    this.slackMs = opts.terminatingSlackMs ?? DEFAULT_TERMINATING_SLACK_MS;
  }

  register(enqueue: Enqueue): Unsubscribe[] {
    return [
      this.store.watch({ kind: 'Pod' }, (ev) => {
        const pod = ev.object as Pod;
        if (ev.type === 'DELETED') return;
        const old = ev.oldObject as Pod | undefined;
        const newlyBound = !!pod.spec.nodeName && pod.spec.nodeName !== old?.spec.nodeName;
        const newlyDeleting = !!pod.metadata.deletionTimestamp && pod.metadata.deletionTimestamp !== old?.metadata.deletionTimestamp;
        if (newlyBound || newlyDeleting) enqueue(keyOf(pod));
      }),
      this.store.watch({ kind: 'Node' }, (ev: StoreEvent) => {
        if (ev.type === 'DELETED' || (isDown(ev.object as Node) && !isDown(ev.oldObject as Node | undefined)))
          enqueue(NODE_KEY_PREFIX + ev.object.metadata.name);
      }),
    ];
  }

  resyncKeys(): string[] {
    const nodes = new Set(this.store.list<Node>('Node').items.map((n) => n.metadata.name));
    return this.store
      .list<Pod>('Pod', { filter: (o) => !!o.metadata.deletionTimestamp || (!!(o as Pod).spec.nodeName && !nodes.has((o as Pod).spec.nodeName!)) })
      .items.map(keyOf);
  }

  private nodeIsDown(name: string): boolean {
    return isDown(this.store.get<Node>('Node', undefined, name));
  }

  reconcile(key: string): ReconcileResult {
    if (key.startsWith(NODE_KEY_PREFIX)) return this.reconcileNode(key.slice(NODE_KEY_PREFIX.length));
    const { namespace, name } = splitKey(key);
    const pod = this.store.get<Pod>('Pod', namespace, name);
    if (!pod) return;
    return this.collect(pod);
  }

  private reconcileNode(nodeName: string): ReconcileResult {
    if (this.store.get('Node', undefined, nodeName) && !this.nodeIsDown(nodeName)) return;
    let soonest: number | undefined;
    for (const pod of this.store.list<Pod>('Pod', { filter: (o) => (o as Pod).spec.nodeName === nodeName }).items) {
      const r = this.collect(pod);
      if (r) soonest = Math.min(soonest ?? Infinity, r.requeueAfterMs);
    }
    return soonest === undefined ? undefined : { requeueAfterMs: soonest };
  }

  private collect(pod: Pod): { requeueAfterMs: number } | undefined {
    const nodeName = pod.spec.nodeName;
    if (nodeName && !this.store.get('Node', undefined, nodeName)) {
      this.forceDelete(pod, `node "${nodeName}" no longer exists`);
      return;
    }
    if (!pod.metadata.deletionTimestamp) return;
    if (nodeName && this.nodeIsDown(nodeName)) {
      this.forceDelete(pod, `node "${nodeName}" is down`);
      return;
    }
    const deadline = Date.parse(pod.metadata.deletionTimestamp);
    if (Number.isNaN(deadline)) return;
    const due = deadline + this.slackMs;
    const now = this.clock.now();
    if (now < due) return { requeueAfterMs: due - now };
    const where = nodeName ? `node "${nodeName}"` : 'no node';
    this.forceDelete(pod, `${where} did not confirm termination within ${Math.round(this.slackMs / 1000)}s of the deletion deadline`);
    return;
  }

  private forceDelete(pod: Pod, why: string): void {
    try {
      this.registry.delete('Pod', pod.metadata.namespace, pod.metadata.name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
    } catch (err) {
      if (err instanceof ApiError && (err.reason === 'NotFound' || err.reason === 'Conflict')) return; // gone, or replaced by a new pod of that name
      throw err;
    }
    this.log.info('force-deleted pod', { pod: keyOf(pod), reason: why });
    this.recorder.record(pod, 'Warning', REASON_DELETION_BY_POD_GC, `Force-deleted by the pod garbage collector: ${why}`, { component: POD_GC_COMPONENT });
  }
}

/** Not Ready, and known to be down: out of service (an administrator says so) or shut down (its agent exited). */
function isDown(node: Node | undefined): boolean {
  if (!node || nodeCondition(node, 'Ready')?.status === 'True') return false;
  return (node.spec.taints ?? []).some((t) => t.key === TAINT_OUT_OF_SERVICE || t.key === TAINT_SHUTDOWN);
}
