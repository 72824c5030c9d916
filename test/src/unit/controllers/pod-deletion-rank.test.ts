import assert from 'node:assert/strict';
import { isoTime, type Pod } from '@kip/shared';
import { rankPodsForDeletion, podsToDelete, ANNOTATION_POD_DELETION_COST } from '@kip/controlplane';

const T0 = Date.parse('2026-01-01T00:00:00Z');

interface Shape {
  node?: string;
  phase?: 'Pending' | 'Running' | 'Unknown';
  /** seconds since Ready, or undefined for not ready */
  readyFor?: number;
  restarts?: number;
  /** seconds after T0 */
  created?: number;
  cost?: number;
}

function pod(name: string, s: Shape): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      creationTimestamp: isoTime(T0 + (s.created ?? 0) * 1000),
      ...(s.cost !== undefined ? { annotations: { [ANNOTATION_POD_DELETION_COST]: String(s.cost) } } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'pause' }], ...(s.node ? { nodeName: s.node } : {}) },
    status: {
      phase: s.phase ?? 'Running',
      conditions:
        s.readyFor !== undefined
          ? [{ type: 'Ready', status: 'True', lastTransitionTime: isoTime(T0 + 3_600_000 - s.readyFor * 1000) }]
          : [{ type: 'Ready', status: 'False' }],
      containerStatuses: [{ name: 'c', state: {}, lastState: {}, ready: s.readyFor !== undefined, restartCount: s.restarts ?? 0, image: 'pause', imageID: '' }],
    },
  };
}

const ready = { phase: 'Running' as const, readyFor: 100 };

const cases: { name: string; pods: Record<string, Shape>; first: string }[] = [
  { name: 'unscheduled before scheduled', pods: { scheduled: { node: 'n1', phase: 'Pending' }, unscheduled: { phase: 'Pending' } }, first: 'unscheduled' },
  { name: 'Pending before Running', pods: { running: { node: 'n1', ...ready }, pending: { node: 'n2', phase: 'Pending' } }, first: 'pending' },
  { name: 'Unknown before Running', pods: { running: { node: 'n1', phase: 'Running' }, unknown: { node: 'n2', phase: 'Unknown' } }, first: 'unknown' },
  { name: 'not ready before ready', pods: { ready: { node: 'n1', ...ready }, notready: { node: 'n2', phase: 'Running' } }, first: 'notready' },
  { name: 'lower pod-deletion-cost first', pods: { dear: { node: 'n1', ...ready, cost: 100 }, cheap: { node: 'n2', ...ready, cost: -5 } }, first: 'cheap' },
  {
    name: 'doubled up on a node before alone on one',
    pods: { alone: { node: 'n2', ...ready, created: 50 }, twinA: { node: 'n1', ...ready, created: 1 }, twinB: { node: 'n1', ...ready, created: 2 } },
    first: 'twinB',
  },
  {
    name: 'ready for a shorter time first',
    pods: { veteran: { node: 'n1', phase: 'Running', readyFor: 1000 }, rookie: { node: 'n2', phase: 'Running', readyFor: 5 } },
    first: 'rookie',
  },
  { name: 'more restarts first', pods: { steady: { node: 'n1', ...ready }, flappy: { node: 'n2', ...ready, restarts: 7 } }, first: 'flappy' },
  { name: 'newer before older', pods: { older: { node: 'n1', ...ready, created: 1 }, newer: { node: 'n2', ...ready, created: 9 } }, first: 'newer' },
  {
    name: 'scheduling outranks readiness',
    pods: { unscheduled: { phase: 'Pending', created: 0 }, notready: { node: 'n1', phase: 'Pending', created: 9 } },
    first: 'unscheduled',
  },
];

describe('controllers/pod-deletion-rank', () => {
  for (const c of cases) {
    it(c.name, () => {
      const list = Object.entries(c.pods).map(([n, s]) => pod(n, s));
      for (const order of [list, [...list].reverse()]) assert.equal(rankPodsForDeletion(order)[0]!.metadata.name, c.first);
    });
  }

  it('orders a mixed set completely', () => {
    const list = [
      pod('ready-old', { node: 'n2', ...ready, created: 1 }),
      pod('unscheduled', { phase: 'Pending' }),
      pod('ready-new', { node: 'n3', ...ready, created: 5 }),
      pod('pending', { node: 'n2', phase: 'Pending' }),
      pod('notready', { node: 'n3', phase: 'Running' }),
    ];
    // n2 and n3 each host two pods: among the ready pods, rank ties, so the newer goes first.
    assert.deepEqual(
      rankPodsForDeletion(list).map((p) => p.metadata.name),
      ['unscheduled', 'pending', 'notready', 'ready-new', 'ready-old'],
    );
    assert.deepEqual(
      podsToDelete(list, 2).map((p) => p.metadata.name),
      ['unscheduled', 'pending'],
    );
    assert.deepEqual(podsToDelete(list, 0), []);
  });
});
