// Node heartbeat Leases (kube-node-lease/<node>), for control planes that share a store. An agent
// talks to one control plane; the leader, which judges every node, may be another one. So, as the
// kubelet renews its node's Lease in Kubernetes, the control plane holding an agent's connection
// renews the node's Lease on the agent's heartbeats, and every control plane watches the Leases.
// A Lease's age is measured from when THIS process saw it change (its own clock), as leader
// election measures its lease, never from the renewTime another process wrote.
//
// A single control plane does without: it hears every heartbeat itself (no Lease writes, as before).

import { NODE_LEASE_NAMESPACE, type Clock, type Lease, type Logger } from '@kip/shared';
import { StoreError, type Store } from '../store/store.js';

export interface NodeLeasesOptions {
  store: Store;
  clock: Clock;
  log: Logger;
  /** Renew a node's Lease at most this often (the agent heartbeats about as often). */
  renewEveryMs: number;
  /** The leaseDurationSeconds written: the node monitor grace period. */
  leaseDurationMs: number;
}

export class NodeLeases {
  /** When this process last saw each node's Lease change. */
  private readonly seen = new Map<string, { resourceVersion: string; atMs: number }>();
  private readonly written = new Map<string, number>();
  private unwatch?: () => void;

  constructor(private readonly opts: NodeLeasesOptions) {}

  start(): void {
    this.unwatch = this.opts.store.watch({ kind: 'Lease', namespace: NODE_LEASE_NAMESPACE }, (ev) => {
      const name = ev.object.metadata.name;
      if (ev.type === 'DELETED') this.seen.delete(name);
      else this.seen.set(name, { resourceVersion: ev.object.metadata.resourceVersion ?? '', atMs: this.opts.clock.now() });
    });
  }

  stop(): void {
    this.unwatch?.();
  }

  /** When (by this clock) the node's Lease was last seen renewed, by any control plane. */
  lastRenewMs(node: string): number | undefined {
    return this.seen.get(node)?.atMs;
  }

  /** Renews a node's Lease (throttled): its agent just spoke to this control plane. */
  renew(node: string): void {
    const { store, clock } = this.opts;
    const now = clock.now();
    if (now - (this.written.get(node) ?? 0) < this.opts.renewEveryMs) return;
    this.written.set(node, now);
    const spec = {
      holderIdentity: node,
      leaseDurationSeconds: Math.max(1, Math.ceil(this.opts.leaseDurationMs / 1000)),
      renewTime: new Date(now).toISOString().replace('Z', '000Z'),
    };
    try {
      const current = store.get<Lease>('Lease', NODE_LEASE_NAMESPACE, node);
      if (current) store.update<Lease>({ ...current, spec: { ...current.spec, ...spec } });
      else store.create<Lease>({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: node, namespace: NODE_LEASE_NAMESPACE }, spec });
    } catch (err) {
      // A Conflict is another writer's renewal: the Lease is fresh either way.
      if (!(err instanceof StoreError && err.code === 'Conflict')) this.opts.log.warn('could not renew the node lease', { node, error: err });
    }
  }
}
