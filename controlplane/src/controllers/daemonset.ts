// The DaemonSet controller: one pod of the template on every node where it belongs
// (daemonset-eligibility.ts). It claims pods as the ReplicaSet controller does, creates a pod for
// each node that lacks one, pinned to that node by a required node affinity so the scheduler
// places it with its usual checks (as Kubernetes does since 1.12), deletes pods on nodes they may
// no longer run on, replaces pods of an old template as the update strategy allows
// (daemonset-plan.ts), and writes status last. Pods carry the controller-revision-hash of the
// template they were made from, which is how old and new pods are told apart; each template is
// also kept as a ControllerRevision (daemonset-history.ts) for `kubectl rollout history`.

import {
  controllerOf,
  fromLabelSelector,
  isPodActive,
  LABEL_CONTROLLER_REVISION_HASH,
  ownerReferenceTo,
  splitKey,
  type DaemonSet,
  type Node,
  type Pod,
} from '@kip/shared';
import { ApiError } from '../api/errors.js';
import type { StoreEvent, Unsubscribe } from '../store/store.js';
import { claimObjects } from './claim.js';
import type { ControllerDeps, Enqueue, ReconcileResult } from './controller.js';
import { OwnerController } from './owner-controller.js';
import { nodeShouldRunDaemonPod, pinToNode, targetNodeName, withDaemonTolerations } from './daemonset-eligibility.js';
import { syncHistory } from './daemonset-history.js';
import {
  calculateDaemonSetStatus,
  daemonSetStatusEqual,
  isDaemonRollingUpdate,
  planManage,
  planRollingUpdate,
  resolveDaemonFenceposts,
  type DaemonPlan,
  type NodeDaemons,
} from './daemonset-plan.js';
import { computeTemplateHash } from './pod-template-hash.js';

export const DAEMONSET_COMPONENT = 'daemonset-controller';

const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** What of a node decides where daemons run: a change of anything else (its heartbeat) concerns no DaemonSet. */
function placementFacts(node: Node | undefined): string {
  return node ? JSON.stringify([node.metadata.labels ?? {}, node.spec.taints ?? []]) : '';
}

export class DaemonSetController extends OwnerController {
  constructor(deps: ControllerDeps) {
    super('daemonset', 'DaemonSet', { kind: 'Pod', adoptable: (o) => isPodActive(o as Pod) }, deps);
  }

  override register(enqueue: Enqueue): Unsubscribe[] {
    return [
      ...super.register(enqueue),
      // A node's labels and taints decide which nodes are eligible for every DaemonSet.
      this.store.watch({ kind: 'Node' }, (ev: StoreEvent) => {
        if (ev.type === 'MODIFIED' && placementFacts(ev.object as Node) === placementFacts(ev.oldObject as Node | undefined)) return;
        for (const key of this.resyncKeys()) enqueue(key);
      }),
    ];
  }

  reconcile(key: string): ReconcileResult {
    const { namespace, name } = splitKey(key);
    const ds = this.store.get<DaemonSet>('DaemonSet', namespace, name);
    if (!ds) return; // deleted: the garbage collector takes its pods
    const candidates = this.store.list<Pod>('Pod', { namespace }).items;
    const claim = claimObjects(this.registry, ds, fromLabelSelector(ds.spec.selector), candidates, isPodActive);
    if (claim.adopted.length) this.log.debug('adopted pods', { daemonset: key, pods: claim.adopted.join(',') });
    if (claim.released.length) this.log.debug('released pods', { daemonset: key, pods: claim.released.join(',') });

    const hash = computeTemplateHash(ds.spec.template, ds.status?.collisionCount ?? 0);
    let failure: unknown;
    if (!ds.metadata.deletionTimestamp) {
      try {
        syncHistory(this.store, this.registry, ds, hash, this.ownedPods(ds));
        const entries = this.nodeDaemons(ds);
        const desired = entries.filter((e) => e.placement.shouldRun).length;
        const surge = isDaemonRollingUpdate(ds) && resolveDaemonFenceposts(ds, desired).maxSurge > 0;
        this.carryOut(ds, planManage(entries, hash, surge), hash);
        if (isDaemonRollingUpdate(ds)) this.carryOut(ds, planRollingUpdate(ds, this.nodeDaemons(ds), hash, this.clock.now()), hash);
      } catch (err) {
        failure = err;
      }
    }
    const result = this.syncStatus(key, hash);
    if (failure !== undefined) throw failure;
    return result;
  }

  private ownedPods(ds: DaemonSet): Pod[] {
    const uid = ds.metadata.uid;
    return this.store.list<Pod>('Pod', { namespace: ds.metadata.namespace, filter: (o) => controllerOf(o)?.uid === uid }).items;
  }

  /** Every node with where the DaemonSet's pod belongs and the DaemonSet's pods meant for it. */
  private nodeDaemons(ds: DaemonSet): NodeDaemons[] {
    const byNode = new Map<string, Pod[]>();
    for (const p of this.ownedPods(ds)) {
      const node = targetNodeName(p.spec);
      if (node === undefined) continue;
      byNode.set(node, [...(byNode.get(node) ?? []), p]);
    }
    return this.store.list<Node>('Node').items.map((node) => ({
      node,
      placement: nodeShouldRunDaemonPod(ds.spec.template.spec, node),
      pods: byNode.get(node.metadata.name) ?? [],
    }));
  }

  /**
   * Pods the scheduler will never place: pinned to a node that no longer exists (Kubernetes'
   * getUnscheduledPodsWithoutNode). Bound pods on a vanished node are the pod GC's.
   */
  private strandedPods(ds: DaemonSet, entries: readonly NodeDaemons[]): Pod[] {
    const nodes = new Set(entries.map((e) => e.node.metadata.name));
    return this.ownedPods(ds).filter((p) => {
      // An adopted pod pinned nowhere is the scheduler's to place, not stranded.
      const target = targetNodeName(p.spec);
      return !p.spec.nodeName && !p.metadata.deletionTimestamp && target !== undefined && !nodes.has(target);
    });
  }

  private carryOut(ds: DaemonSet, plan: DaemonPlan, hash: string): void {
    const victims = [...plan.delete, ...this.strandedPods(ds, this.nodeDaemons(ds))];
    let firstError: unknown;
    for (const node of plan.create) {
      try {
        this.createPod(ds, node, hash);
      } catch (err) {
        firstError ??= err;
      }
    }
    for (const pod of victims) {
      try {
        this.deletePod(ds, pod);
      } catch (err) {
        firstError ??= err;
      }
    }
    if (firstError !== undefined) throw firstError;
  }

  private createPod(ds: DaemonSet, nodeName: string, hash: string): void {
    const tpl = ds.spec.template;
    const spec = structuredClone(tpl.spec);
    spec.tolerations = withDaemonTolerations(spec.tolerations);
    spec.affinity = pinToNode(spec.affinity, nodeName);
    const meta: Pod['metadata'] = {
      name: '',
      generateName: `${ds.metadata.name}-`,
      namespace: ds.metadata.namespace,
      labels: { ...(tpl.metadata?.labels ?? {}), [LABEL_CONTROLLER_REVISION_HASH]: hash },
      ownerReferences: [ownerReferenceTo(ds)],
    };
    if (tpl.metadata?.annotations) meta.annotations = { ...tpl.metadata.annotations };
    let created: Pod;
    try {
      created = this.registry.create<Pod>({ apiVersion: 'v1', kind: 'Pod', metadata: meta, spec });
    } catch (err) {
      this.recorder.record(ds, 'Warning', 'FailedCreate', `Error creating: ${errorMessage(err)}`, { component: DAEMONSET_COMPONENT });
      throw err;
    }
    this.recorder.record(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`, { component: DAEMONSET_COMPONENT });
  }

  private deletePod(ds: DaemonSet, pod: Pod): void {
    try {
      this.registry.delete('Pod', pod.metadata.namespace, pod.metadata.name, { preconditions: { uid: pod.metadata.uid } });
    } catch (err) {
      if (err instanceof ApiError && err.reason === 'NotFound') return;
      this.recorder.record(ds, 'Warning', 'FailedDelete', `Error deleting: ${errorMessage(err)}`, { component: DAEMONSET_COMPONENT });
      throw err;
    }
    this.recorder.record(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`, { component: DAEMONSET_COMPONENT });
  }

  private syncStatus(key: string, hash: string): ReconcileResult {
    const { namespace, name } = splitKey(key);
    const ds = this.store.get<DaemonSet>('DaemonSet', namespace, name);
    if (!ds) return;
    const { status, recheckInMs } = calculateDaemonSetStatus(ds, this.nodeDaemons(ds), hash, this.clock.now());
    if (!daemonSetStatusEqual(ds.status, status)) {
      const next = structuredClone(ds);
      next.status = status;
      this.registry.updateStatus(next);
    }
    return recheckInMs === undefined ? undefined : { requeueAfterMs: Math.max(1, recheckInMs) };
  }
}
