// Lease (coordination.k8s.io/v1): a named, time-bounded claim. Kubernetes uses Leases for two
// things and so does kip: leader election among control planes (kube-system/kip-controller-manager,
// held by the elected control plane) and node heartbeats (kube-node-lease/<node>, renewed by the
// control plane the node's agent is connected to), so that whichever control plane leads judges
// every node by its lease, not by a connection it may not hold.

import { Type, type Static } from '@sinclair/typebox';
import { withCheck } from '../validation/schema.js';
import type { Obj } from '../validation/errors.js';
import { ageSince } from './age.js';
import { defineKind } from './kind.js';
import { ObjectMeta } from './meta.js';

export const LeaseSpec = Type.Object({
  holderIdentity: Type.Optional(Type.String()),
  leaseDurationSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
  /** RFC 3339 with microseconds (Kubernetes' MicroTime). */
  acquireTime: Type.Optional(Type.String()),
  renewTime: Type.Optional(Type.String()),
  leaseTransitions: Type.Optional(Type.Integer({ minimum: 0 })),
});
export type LeaseSpec = Static<typeof LeaseSpec>;

export const Lease = withCheck(
  Type.Object({
    apiVersion: Type.Literal('coordination.k8s.io/v1'),
    kind: Type.Literal('Lease'),
    metadata: ObjectMeta,
    spec: Type.Optional(LeaseSpec),
  }),
  (lease: Obj, _field, errors) => {
    const spec = lease.spec as Record<string, unknown> | undefined;
    for (const f of ['acquireTime', 'renewTime'] as const) {
      const v = spec?.[f];
      if (typeof v === 'string' && Number.isNaN(Date.parse(v))) errors.invalid(`spec.${f}`, v, 'must be an RFC 3339 time');
    }
  },
);
export type Lease = Static<typeof Lease>;

/** The namespace of node heartbeat leases, as Kubernetes'. */
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export const leaseKind = defineKind<Lease>({
  resource: { kind: 'Lease', plural: 'leases', singular: 'lease', shortNames: [], group: 'coordination.k8s.io', version: 'v1', namespaced: true },
  schema: Lease,
  status: { subresource: false, onCreate: 'keep' },
  columns: {
    nameColumn: true,
    headers: ['HOLDER', 'AGE'],
    wideHeaders: [],
    cells: (l, now) => [l.spec?.holderIdentity ?? '', ageSince(l.metadata.creationTimestamp, now)],
    wideCells: () => [],
  },
});
