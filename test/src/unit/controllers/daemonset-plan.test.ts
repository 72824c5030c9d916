// What the DaemonSet controller does next, as pure plans over nodes and pods built in memory:
// the manage pass (create, prune, delete misplaced) and the rolling update with and without surge.

import assert from 'node:assert/strict';
import { isoTime, type DaemonSet, type Node, type Pod } from '@kip/shared';
import { calculateDaemonSetStatus, planManage, planRollingUpdate, resolveDaemonFenceposts, type NodeDaemons } from '@kip/controlplane';

const NOW = Date.parse('2026-01-01T00:10:00Z');
const NEW = 'new-hash';
const OLD = 'old-hash';

function ds(rollingUpdate: { maxUnavailable?: number | string; maxSurge?: number | string } = {}, minReadySeconds = 0): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default', generation: 2 },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'main', image: 'pause' }] } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate },
      minReadySeconds,
    },
  };
}

let seq = 0;
function pod(nodeName: string, hash: string, opts: { ready?: boolean; readyAgoMs?: number; deleting?: boolean; failed?: boolean; ageMs?: number } = {}): Pod {
  seq++;
  const ready = opts.ready ?? true;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `agent-${hash.slice(0, 3)}-${nodeName}-${seq}`,
      namespace: 'default',
      labels: { app: 'agent', 'controller-revision-hash': hash },
      creationTimestamp: isoTime(NOW - (opts.ageMs ?? 60_000)),
      ...(opts.deleting ? { deletionTimestamp: isoTime(NOW) } : {}),
    },
    spec: { nodeName, containers: [{ name: 'main', image: 'pause' }] },
    status: {
      phase: opts.failed ? 'Failed' : 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: isoTime(NOW - (opts.readyAgoMs ?? 30_000)) }],
    },
  };
}

function entry(name: string, pods: Pod[], placement = { shouldRun: true, shouldContinueRunning: true }): NodeDaemons {
  const node: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {} };
  return { node, placement, pods };
}

const names = (pods: Pod[]) => pods.map((p) => p.metadata.name);

describe('controllers/daemonset-plan: manage', () => {
  it('creates on nodes that should run a daemon and have none, and nowhere else', () => {
    const plan = planManage([entry('n1', []), entry('n2', [pod('n2', NEW)]), entry('n3', [], { shouldRun: false, shouldContinueRunning: true })], NEW, false);
    assert.deepEqual(plan, { create: ['n1'], delete: [] });
  });

  it('deletes every pod on a node it may no longer run on, leaving those already going', () => {
    const going = pod('n1', NEW, { deleting: true });
    const staying = pod('n1', NEW);
    const plan = planManage([entry('n1', [going, staying], { shouldRun: false, shouldContinueRunning: false })], NEW, false);
    assert.deepEqual(names(plan.delete), names([staying]));
  });

  it('waits for a pod being deleted to be gone before creating its replacement', () => {
    assert.deepEqual(planManage([entry('n1', [pod('n1', OLD, { deleting: true })])], NEW, false), { create: [], delete: [] });
  });

  it('deletes a failed pod, and all but the oldest of several', () => {
    const failed = pod('n1', NEW, { failed: true });
    const oldest = pod('n2', NEW, { ageMs: 90_000 });
    const younger = pod('n2', NEW, { ageMs: 10_000 });
    const plan = planManage([entry('n1', [failed]), entry('n2', [younger, oldest])], NEW, false);
    assert.deepEqual(names(plan.delete), names([failed, younger]));
  });

  it('with surge, keeps an old and a new pod together only while the new one is not Ready', () => {
    const old1 = pod('n1', OLD);
    const notReady = pod('n1', NEW, { ready: false });
    const old2 = pod('n2', OLD);
    const ready = pod('n2', NEW);
    const plan = planManage([entry('n1', [old1, notReady]), entry('n2', [old2, ready])], NEW, true);
    assert.deepEqual(names(plan.delete), names([old2]));
  });
});

describe('controllers/daemonset-plan: rolling update', () => {
  it('resolves maxUnavailable and maxSurge against the nodes that should run a daemon, rounding up', () => {
    assert.deepEqual(resolveDaemonFenceposts(ds({ maxUnavailable: '25%' }), 10), { maxSurge: 0, maxUnavailable: 3 });
    assert.deepEqual(resolveDaemonFenceposts(ds({ maxUnavailable: 0, maxSurge: '10%' }), 15), { maxSurge: 2, maxUnavailable: 0 });
    assert.deepEqual(resolveDaemonFenceposts(ds({ maxUnavailable: '0%', maxSurge: '0%' }), 4), { maxSurge: 0, maxUnavailable: 1 });
  });

  it('without surge, replaces one available old pod at a time (maxUnavailable 1)', () => {
    const olds = ['n1', 'n2', 'n3'].map((n) => pod(n, OLD));
    const plan = planRollingUpdate(
      ds({ maxUnavailable: 1 }),
      olds.map((p) => entry(p.spec.nodeName!, [p])),
      NEW,
      NOW,
    );
    assert.deepEqual(plan, { create: [], delete: [olds[0]] });
  });

  it('without surge, deletes nothing more while a node is already without an available pod', () => {
    const entries = [entry('n1', [pod('n1', OLD, { deleting: true })]), entry('n2', [pod('n2', OLD)]), entry('n3', [pod('n3', NEW, { ready: false })])];
    assert.deepEqual(planRollingUpdate(ds({ maxUnavailable: 2 }), entries, NEW, NOW).delete, []);
  });

  it('without surge, replaces unavailable old pods whatever the budget', () => {
    const broken = pod('n1', OLD, { ready: false });
    const entries = [entry('n1', [broken]), entry('n2', [pod('n2', NEW, { ready: false })]), entry('n3', [pod('n3', OLD)])];
    assert.deepEqual(names(planRollingUpdate(ds({ maxUnavailable: 1 }), entries, NEW, NOW).delete), names([broken]));
  });

  it('counts a pod Ready for less than minReadySeconds as unavailable', () => {
    const entries = [entry('n1', [pod('n1', NEW, { readyAgoMs: 2000 })]), entry('n2', [pod('n2', OLD)])];
    assert.deepEqual(planRollingUpdate(ds({ maxUnavailable: 1 }, 10), entries, NEW, NOW).delete, []);
    assert.equal(planRollingUpdate(ds({ maxUnavailable: 1 }, 1), entries, NEW, NOW).delete.length, 1);
  });

  it('with surge, starts new pods beside old ones on maxSurge nodes, and deletes an old pod once its new one is available', () => {
    const e = [
      entry('n1', [pod('n1', OLD), pod('n1', NEW)]),
      entry('n2', [pod('n2', OLD), pod('n2', NEW, { ready: false })]),
      entry('n3', [pod('n3', OLD)]),
      entry('n4', [pod('n4', OLD)]),
      entry('n5', [pod('n5', OLD, { ready: false })]),
    ];
    const plan = planRollingUpdate(ds({ maxUnavailable: 0, maxSurge: 2 }), e, NEW, NOW);
    assert.deepEqual(names(plan.delete), names([e[0]!.pods[0]!]), 'the old pod beside an available new one');
    // n2 is surging already: one more surge slot, for n3; n5's old pod is unavailable and is replaced anyway.
    assert.deepEqual(plan.create, ['n5', 'n3']);
  });
});

describe('controllers/daemonset-plan: status', () => {
  it('counts per node from the oldest pod there, and misscheduled pods on nodes they should not be on', () => {
    const e = [
      entry('n1', [pod('n1', NEW)]),
      entry('n2', [pod('n2', OLD, { ready: false })]),
      entry('n3', []),
      entry('n4', [pod('n4', NEW)], { shouldRun: false, shouldContinueRunning: true }),
    ];
    const { status } = calculateDaemonSetStatus(ds(), e, NEW, NOW);
    assert.deepEqual(status, {
      currentNumberScheduled: 2,
      numberMisscheduled: 1,
      desiredNumberScheduled: 3,
      numberReady: 1,
      observedGeneration: 2,
      updatedNumberScheduled: 1,
      numberAvailable: 1,
      numberUnavailable: 2,
    });
  });

  it('asks to look again when a Ready pod will become available', () => {
    const { status, recheckInMs } = calculateDaemonSetStatus(ds({}, 10), [entry('n1', [pod('n1', NEW, { readyAgoMs: 4000 })])], NEW, NOW);
    assert.equal(status.numberReady, 1);
    assert.equal(status.numberAvailable, 0);
    assert.equal(recheckInMs, 6000);
  });
});
