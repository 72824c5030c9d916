import assert from 'node:assert/strict';
import {
  controllerOf,
  isNodeReady,
  isPodActive,
  isPodReady,
  isPodTerminal,
  keyOf,
  ownerReferenceTo,
  randomSuffix,
  seededRandom,
  setCondition,
  splitKey,
  type KObject,
  type Node,
  type NodeCondition,
  type Pod,
} from '@kip/shared';

const T1 = '2026-01-01T00:00:00Z';
const T2 = '2026-01-01T00:01:00Z';

describe('shared/api/meta', () => {
  describe('keyOf and splitKey', () => {
    const cases: { name: string; obj: KObject; key: string; split: { namespace?: string; name: string } }[] = [
      {
        name: 'a namespaced object',
        obj: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web', namespace: 'default' } },
        key: 'default/web',
        split: { namespace: 'default', name: 'web' },
      },
      { name: 'a cluster-scoped object', obj: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' } }, key: 'node-1', split: { name: 'node-1' } },
      {
        name: 'a dotted name',
        obj: { apiVersion: 'v1', kind: 'Event', metadata: { name: 'web.17a', namespace: 'team-a' } },
        key: 'team-a/web.17a',
        split: { namespace: 'team-a', name: 'web.17a' },
      },
    ];
    for (const c of cases) {
      it(`${c.name}: ${c.key}`, () => {
        assert.equal(keyOf(c.obj), c.key);
        assert.deepEqual(splitKey(c.key), c.split);
        assert.deepEqual(splitKey(keyOf(c.obj)), c.split);
      });
    }

    it('splits at the first slash only', () => {
      assert.deepEqual(splitKey('ns/a/b'), { namespace: 'ns', name: 'a/b' });
    });
  });

  describe('setCondition', () => {
    const ready = (status: NodeCondition['status'], extra: Partial<NodeCondition> = {}): NodeCondition => ({ type: 'Ready', status, ...extra });

    it('adds a condition that is not there yet, stamped now', () => {
      const out = setCondition<NodeCondition>(undefined, ready('True', { reason: 'KubeletReady' }), T1);
      assert.deepEqual(out, [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastTransitionTime: T1 }]);
    });

    it('keeps lastTransitionTime while the status stays the same', () => {
      const first = setCondition<NodeCondition>([], ready('True', { message: 'a' }), T1);
      const second = setCondition(first, ready('True', { message: 'b', lastHeartbeatTime: T2 }), T2);
      assert.deepEqual(second, [{ type: 'Ready', status: 'True', message: 'b', lastHeartbeatTime: T2, lastTransitionTime: T1 }]);
    });

    it('moves lastTransitionTime when the status changes', () => {
      const first = setCondition<NodeCondition>([], ready('True'), T1);
      const second = setCondition(first, ready('Unknown'), T2);
      assert.equal(second[0]!.status, 'Unknown');
      assert.equal(second[0]!.lastTransitionTime, T2);
    });

    it('replaces in place and leaves other conditions and the input alone', () => {
      const before: NodeCondition[] = [
        { type: 'MemoryPressure', status: 'False', lastTransitionTime: T1 },
        { type: 'Ready', status: 'True', lastTransitionTime: T1 },
      ];
      const frozen = Object.freeze(before.map((c) => Object.freeze({ ...c })));
      const after = setCondition(frozen, ready('False'), T2);
      assert.deepEqual(
        after.map((c) => [c.type, c.status, c.lastTransitionTime]),
        [
          ['MemoryPressure', 'False', T1],
          ['Ready', 'False', T2],
        ],
      );
      assert.equal(frozen[1]!.status, 'True', 'the input list is not changed');
      assert.notEqual(after, frozen);
    });
  });

  describe('owner references', () => {
    const rs: KObject = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-abc', namespace: 'default', uid: 'u-1' } };

    it('ownerReferenceTo makes a controller reference', () => {
      assert.deepEqual(ownerReferenceTo(rs), {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        name: 'web-abc',
        uid: 'u-1',
        controller: true,
        blockOwnerDeletion: true,
      });
    });

    it('controllerOf finds the controlling owner only', () => {
      const pod: KObject = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', ownerReferences: [{ apiVersion: 'v1', kind: 'Other', name: 'x', uid: 'u-0' }, ownerReferenceTo(rs)] },
      };
      assert.equal(controllerOf(pod)?.uid, 'u-1');
      assert.equal(controllerOf({ ...pod, metadata: { name: 'p', ownerReferences: [{ apiVersion: 'v1', kind: 'Other', name: 'x', uid: 'u-0' }] } }), undefined);
      assert.equal(controllerOf({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } }), undefined);
    });
  });

  describe('randomSuffix', () => {
    it("draws from Kubernetes' alphabet without vowels", () => {
      const random = seededRandom(1);
      for (let i = 0; i < 200; i++) assert.match(randomSuffix(5, random), /^[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.equal(randomSuffix(8).length, 8);
    });

    it('is reproducible with a seeded source', () => {
      assert.equal(randomSuffix(5, seededRandom(42)), randomSuffix(5, seededRandom(42)));
    });
  });

  describe('readiness predicates', () => {
    const node = (status?: NodeCondition['status']): Node => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n' },
      spec: {},
      status: status ? { conditions: [{ type: 'Ready', status }] } : undefined,
    });
    const pod = (phase?: NonNullable<Pod['status']>['phase'], ready?: 'True' | 'False', deleting = false): Pod => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', ...(deleting ? { deletionTimestamp: T1 } : {}) },
      spec: { containers: [] },
      status: { phase, conditions: ready ? [{ type: 'Ready', status: ready }] : [] },
    });

    it('isNodeReady is Ready=True only', () => {
      assert.equal(isNodeReady(node('True')), true);
      assert.equal(isNodeReady(node('Unknown')), false);
      assert.equal(isNodeReady(node('False')), false);
      assert.equal(isNodeReady(node()), false);
    });

    it('isPodReady, isPodTerminal and isPodActive', () => {
      assert.equal(isPodReady(pod('Running', 'True')), true);
      assert.equal(isPodReady(pod('Running', 'False')), false);
      assert.equal(isPodReady(pod('Running')), false);
      assert.equal(isPodTerminal(pod('Succeeded')), true);
      assert.equal(isPodTerminal(pod('Failed')), true);
      assert.equal(isPodTerminal(pod('Running')), false);
      assert.equal(isPodActive(pod('Running')), true);
      assert.equal(isPodActive(pod('Pending')), true);
      assert.equal(isPodActive(pod('Failed')), false);
      assert.equal(isPodActive(pod('Running', 'True', true)), false, 'a pod being deleted is not active');
    });
  });
});
