// Where pods go relative to each other, end to end on a 3-node cluster of real processes:
// required anti-affinity leaves the replica that has no node of its own Pending with
// kube-scheduler's message, a DoNotSchedule spread constraint overrides a preference for one node,
// a zone constraint counts the nodes of a zone together (zones from the launcher's --zones), and a
// high-priority pod that fits nowhere preempts a low-priority one.

import assert from 'node:assert/strict';
import type { Deployment, Event, Pod, PodCondition, PriorityClass } from '@kip/shared';
import { TestCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/wait.js';

function deployment(name: string, replicas: number, spec: Partial<Pod['spec']>, cpu = '10m'): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'main', image: 'pause', resources: { requests: { cpu, memory: '16Mi' } } }], ...spec },
      },
    },
  };
}

function pod(name: string, cpu: string, spec: Partial<Pod['spec']> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: name } },
    spec: { containers: [{ name: 'main', image: 'pause', resources: { requests: { cpu, memory: '16Mi' } } }], terminationGracePeriodSeconds: 1, ...spec },
  };
}

const live = (p: Pod) => !p.metadata.deletionTimestamp;
const isRunning = (p: Pod) => p.status?.phase === 'Running' && live(p);
const scheduled = (p: Pod): PodCondition | undefined => p.status?.conditions?.find((c) => c.type === 'PodScheduled');

/** A strong preference (weight 100) for node-1, which spreading must override. */
const preferNode1: NonNullable<Pod['spec']['affinity']> = {
  nodeAffinity: {
    preferredDuringSchedulingIgnoredDuringExecution: [
      { weight: 100, preference: { matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['node-1'] }] } },
    ],
  },
};

/** How many running pods each node has, by node name. */
function perNode(pods: Pod[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of pods) if (p.spec.nodeName) out[p.spec.nodeName] = (out[p.spec.nodeName] ?? 0) + 1;
  return out;
}

describe('scheduling: pod affinity, topology spread, priority and preemption', function () {
  let cluster: TestCluster;

  before(async function () {
    // Zones a, b, a: node-1 and node-3 share zone a.
    cluster = await TestCluster.start({ nodes: 3, nodeCpu: '1', zones: ['a', 'b'], readyTimeoutMs: 60_000 });
  });

  after(async function () {
    await cluster?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cluster.dump());
  });

  async function podsOf(app: string): Promise<Pod[]> {
    return (await cluster.api.list<Pod>('pods', { namespace: 'default', labelSelector: `app=${app}` })).filter(live);
  }

  /** Deletes a deployment and waits until none of its pods is left. */
  async function removeDeployment(name: string): Promise<void> {
    await cluster.api.delete('deployments', name);
    await eventually(
      `${name}'s pods gone`,
      async () => ((await cluster.api.list<Pod>('pods', { labelSelector: `app=${name}` })).length === 0 ? true : undefined),
      {
        timeoutMs: 60_000,
      },
    );
  }

  it('required anti-affinity by hostname: 4 replicas on 3 nodes leave exactly one Pending, with the reason', async function () {
    const anti = {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'anti' } }, topologyKey: 'kubernetes.io/hostname' }],
      },
    };
    await cluster.api.create(deployment('anti', 4, { affinity: anti }));
    const want =
      "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.";
    const pods = await eventually(
      '3 running anti pods on distinct nodes and 1 pending with the anti-affinity message',
      async () => {
        const all = await podsOf('anti');
        const running = all.filter(isRunning);
        const pending = all.filter((p) => !p.spec.nodeName);
        if (all.length !== 4 || running.length !== 3 || pending.length !== 1) return undefined;
        return scheduled(pending[0]!)?.message === want ? { running, pending: pending[0]! } : undefined;
      },
      { timeoutMs: 60_000 },
    );
    assert.deepEqual(Object.values(perNode(pods.running)), [1, 1, 1], 'one per node');
    assert.equal(scheduled(pods.pending)?.reason, 'Unschedulable');
    const events = await cluster.api.list<Event>('events', { namespace: 'default', fieldSelector: `involvedObject.name=${pods.pending.metadata.name}` });
    assert.ok(
      events.some((e) => e.reason === 'FailedScheduling' && e.message === want),
      `a FailedScheduling event: ${JSON.stringify(events.map((e) => e.message))}`,
    );
    await removeDeployment('anti');
  });

  it('DoNotSchedule spread with maxSkew 1 places 6 replicas 2/2/2, though every pod prefers node-1', async function () {
    const spec: Partial<Pod['spec']> = {
      // Without the constraint this preference (weight 100) would put every replica on node-1.
      affinity: preferNode1,
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'spread' } } },
      ],
    };
    await cluster.api.create(deployment('spread', 6, spec));
    const running = await eventually(
      '6 running spread pods',
      async () => {
        const all = await podsOf('spread');
        const r = all.filter(isRunning);
        return r.length === 6 && all.length === 6 ? r : undefined;
      },
      { timeoutMs: 60_000 },
    );
    assert.deepEqual(perNode(running), { 'node-1': 2, 'node-2': 2, 'node-3': 2 });
    await removeDeployment('spread');
  });

  it('a zone spread counts the nodes a zone has together: 4 replicas go 2 to zone a, 2 to zone b', async function () {
    const spec: Partial<Pod['spec']> = {
      // Every replica would go to node-1 (zone a) but for the constraint.
      affinity: preferNode1,
      topologySpreadConstraints: [
        { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'zonal' } } },
      ],
    };
    await cluster.api.create(deployment('zonal', 4, spec));
    const running = await eventually(
      '4 running zonal pods',
      async () => {
        const all = await podsOf('zonal');
        const r = all.filter(isRunning);
        return r.length === 4 && all.length === 4 ? r : undefined;
      },
      { timeoutMs: 60_000 },
    );
    // Zone a's two on the node they prefer, zone b's two on its only node.
    assert.deepEqual(perNode(running), { 'node-1': 2, 'node-2': 2 });
    await removeDeployment('zonal');
  });

  it('a pod naming an unknown PriorityClass is refused as Kubernetes refuses it', async function () {
    const res = await cluster.api.request('POST', '/api/v1/namespaces/default/pods', pod('nameless', '10m', { priorityClassName: 'no-such-class' }));
    assert.equal(res.status, 403);
    assert.match(JSON.stringify(res.body), /pods \\"nameless\\" is forbidden: no PriorityClass with name no-such-class was found/);
    const system = await cluster.api.get<PriorityClass>('priorityclasses', 'system-cluster-critical');
    assert.equal(system?.value, 2_000_000_000, 'the system classes exist');
  });

  it('a high-priority pod that fits nowhere evicts a low-priority one and takes its place', async function () {
    await cluster.api.create({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000 } as PriorityClass);
    // 700m of each 1-cpu node taken by pods of priority 0.
    for (const i of [1, 2, 3]) await cluster.api.create(pod(`low-${i}`, '700m'));
    await eventually(
      'the low pods running, one per node',
      async () => {
        const lows = (await cluster.api.list<Pod>('pods', { namespace: 'default' })).filter((p) => p.metadata.name.startsWith('low-') && isRunning(p));
        return lows.length === 3 && Object.keys(perNode(lows)).length === 3 ? true : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const high = await cluster.api.create<Pod>(pod('high', '500m', { priorityClassName: 'high' }));
    assert.equal(high.spec.priority, 1000, 'admission resolved the class to its value');
    assert.equal(high.spec.preemptionPolicy, 'PreemptLowerPriority');
    const placed = await eventually(
      'the high pod running',
      async () => {
        const p = await cluster.api.get<Pod>('pods', 'high');
        return p && isRunning(p) ? p : undefined;
      },
      { timeoutMs: 90_000 },
    );
    const lows = (await cluster.api.list<Pod>('pods', { namespace: 'default' })).filter((p) => p.metadata.name.startsWith('low-'));
    const survivors = lows.filter(live);
    assert.equal(survivors.length, 2, `exactly one victim: ${lows.map((p) => p.metadata.name).join(',')}`);
    assert.ok(!survivors.some((p) => p.spec.nodeName === placed.spec.nodeName), 'the victim was on the node the high pod took');
    const events = (await cluster.api.list<Event>('events', { namespace: 'default' })).filter((e) => e.reason === 'Preempted');
    assert.ok(
      events.some((e) => e.message === `Preempted by pod ${high.metadata.uid} on node ${placed.spec.nodeName}` && e.involvedObject.name.startsWith('low-')),
      `a Preempted event on the victim: ${JSON.stringify(events.map((e) => [e.involvedObject.name, e.message]))}`,
    );
  });
});
