// What must come through the chaos unharmed: the Deployment, the Service, the probe pod and every
// Node, each the same object (same uid) at the end as at the start, and the Deployment with all
// its replicas Running. A node that died and came back is the same Node; a Deployment or a Service
// deleted and made again, or a probe pod lost with its node, is not.

import {
  fromLabelSelector,
  resourceByKind,
  selectorToString,
  ApiStatusError,
  type Deployment,
  type KObject,
  type Node,
  type Pod,
  type ResourceType,
  type ApiClient,
} from '@kip/shared';

export interface Tracked {
  resource: ResourceType;
  namespace?: string;
  name: string;
}

/** "Deployment default/web", "Node node-3". */
export function describeTracked(t: Tracked): string {
  return `${t.resource.kind} ${t.namespace ? `${t.namespace}/` : ''}${t.name}`;
}

export interface ReplicaCount {
  /** "Deployment default/web" */
  what: string;
  want: number;
  running: number;
}

/**
 * The objects lost between two inventories (description -> uid; absent: gone), each with why,
 * and the Deployments short of Running replicas. `problems` are other end-state failures (a
 * probe pod that stopped), passed through.
 */
export function lostObjects(
  before: ReadonlyMap<string, string>,
  after: ReadonlyMap<string, string>,
  replicas: readonly ReplicaCount[],
  problems: readonly string[] = [],
): string[] {
  const out: string[] = [];
  for (const [what, uid] of before) {
    const now = after.get(what);
    if (now === undefined) out.push(`${what}: gone`);
    else if (now !== uid) out.push(`${what}: replaced by another object of the same name (uid ${uid}, now ${now})`);
  }
  for (const r of replicas) if (r.running < r.want) out.push(`${r.what}: ${r.running} of ${r.want} replicas Running`);
  return [...out, ...problems];
}

export class Inventory {
  private readonly tracked: Tracked[] = [];
  /** description -> uid at the start */
  readonly before = new Map<string, string>();

  constructor(private readonly api: ApiClient) {}

  /** Records the uids of these objects and of every Node there is now. */
  async take(objects: readonly Tracked[]): Promise<void> {
    const nodes = await this.api.list<Node>(resourceByKind('Node')!, undefined);
    this.tracked.push(...objects, ...nodes.items.map((n) => ({ resource: resourceByKind('Node')!, name: n.metadata.name })));
    for (const t of this.tracked) {
      const o = await this.api.get<KObject>(t.resource, t.namespace, t.name);
      this.before.set(describeTracked(t), o.metadata.uid ?? '');
    }
  }

  get size(): number {
    return this.tracked.length;
  }

  /** The tracked objects as they are now: description -> uid, and the live objects themselves. */
  private async now(): Promise<{ uids: Map<string, string>; live: Map<string, KObject> }> {
    const uids = new Map<string, string>();
    const live = new Map<string, KObject>();
    for (const t of this.tracked) {
      try {
        const o = await this.api.get<KObject>(t.resource, t.namespace, t.name);
        uids.set(describeTracked(t), o.metadata.uid ?? '');
        live.set(describeTracked(t), o);
      } catch (err) {
        if (!(err instanceof ApiStatusError && err.isNotFound)) throw err;
      }
    }
    return { uids, live };
  }

  /** Running (not terminating) pods of a Deployment, by its selector. */
  private async running(d: Deployment): Promise<number> {
    const selector = selectorToString(fromLabelSelector(d.spec.selector));
    const pods = await this.api.list<Pod>(resourceByKind('Pod')!, d.metadata.namespace, { labelSelector: selector });
    return pods.items.filter((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp).length;
  }

  /** Everything lost since take(), in words; empty when nothing was. */
  async lost(): Promise<string[]> {
    const { uids, live } = await this.now();
    const replicas: ReplicaCount[] = [];
    const problems: string[] = [];
    for (const [what, o] of live) {
      if (o.kind === 'Deployment') {
        const d = o as Deployment;
        replicas.push({ what, want: d.spec.replicas ?? 1, running: await this.running(d) });
      } else if (o.kind === 'Pod') {
        const p = o as Pod;
        if (p.status?.phase !== 'Running' || p.metadata.deletionTimestamp)
          problems.push(`${what}: ${p.metadata.deletionTimestamp ? 'being deleted' : (p.status?.phase ?? 'Pending')}, no longer Running`);
      }
    }
    return lostObjects(this.before, uids, replicas, problems);
  }
}
