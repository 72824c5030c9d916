// Holding steady under load, at a scale CI can afford: 20 real agents and a 300-pod burst. What
// must hold is a property, not a time: every pod Running and staying Running, exactly as many
// pods created as asked for, no node ever NotReady, no eviction; the same after scaling to 0 and
// back; and a control plane stopped longer than the grace period (SIGSTOP) evicts nothing when it
// runs again.

import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { isNodeReady, type Deployment, type Event, type Node, type Pod } from '@kip/shared';
import { TestCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/wait.js';
import { WatchRecorder } from '../helpers/watch.js';

const NODES = 20;
const REPLICAS = 300;

function burst(replicas: number): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'burst' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'burst' } },
      template: {
        metadata: { labels: { app: 'burst' } },
        spec: { containers: [{ name: 'pause', image: 'pause', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] },
      },
    },
  };
}

const live = (p: Pod) => !p.metadata.deletionTimestamp;
const running = (p: Pod) => live(p) && p.status?.phase === 'Running';

describe(`under load: ${NODES} nodes and a ${REPLICAS}-pod burst`, function () {
  this.timeout(300_000);
  let cluster: TestCluster;
  let pods: WatchRecorder<Pod>;
  let nodes: WatchRecorder<Node>;

  before(async function () {
    cluster = await TestCluster.start({ nodes: NODES, readyTimeoutMs: 120_000 });
    pods = WatchRecorder.start<Pod>(cluster.api, '/api/v1/pods');
    nodes = WatchRecorder.start<Node>(cluster.api, '/api/v1/nodes');
  });

  after(async function () {
    await pods?.stop();
    await nodes?.stop();
    await cluster?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cluster.dump());
  });

  /** Pods created since the watch began (each uid once). */
  const created = () => new Set(pods.events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata.uid)).size;
  /** Every node that was seen not Ready at any moment. */
  const everNotReady = () => [...new Set(nodes.events.filter((e) => e.type !== 'DELETED' && !isNodeReady(e.object)).map((e) => e.object.metadata.name))];
  const eventsOf = async (reason: string) =>
    (await cluster.api.list<Event>('events')).filter((e) => e.reason === reason).map((e) => `${e.involvedObject.name}: ${e.message}`);

  async function allRunning(count: number): Promise<Pod[]> {
    return eventually(
      `${count} burst pods Running`,
      async () => {
        const list = (await cluster.api.list<Pod>('pods', { labelSelector: 'app=burst' })).filter(live);
        return list.length === count && list.every(running) ? list : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 1000 },
    );
  }

  async function assertSteady(what: string, wantCreated: number): Promise<void> {
    assert.deepEqual(everNotReady(), [], `${what}: no node was ever NotReady`);
    assert.deepEqual(await eventsOf('NodeNotReady'), [], `${what}: no NodeNotReady event`);
    assert.deepEqual(await eventsOf('TaintManagerEviction'), [], `${what}: no eviction`);
    assert.equal(created(), wantCreated, `${what}: exactly the pods asked for were created`);
  }

  it(`runs ${REPLICAS} pause replicas: all Running, exactly ${REPLICAS} created, no node NotReady, no eviction`, async function () {
    await cluster.api.create(burst(REPLICAS));
    const list = await allRunning(REPLICAS);
    const perNode = new Map<string, number>();
    for (const p of list) perNode.set(p.spec.nodeName!, (perNode.get(p.spec.nodeName!) ?? 0) + 1);
    assert.equal(perNode.size, NODES, 'spread over every node');
    await assertSteady('the burst', REPLICAS);
  });

  it(`scales to 0 and back to ${REPLICAS}: the same`, async function () {
    await cluster.api.patch('deployments', 'burst', { spec: { replicas: 0 } });
    await eventually('every burst pod gone', async () => (await cluster.api.list<Pod>('pods', { labelSelector: 'app=burst' })).length === 0, {
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    await cluster.api.patch('deployments', 'burst', { spec: { replicas: REPLICAS } });
    await allRunning(REPLICAS);
    await assertSteady('scaled to 0 and back', 2 * REPLICAS);
  });

  it('a control plane stopped (SIGSTOP) for three grace periods evicts nothing and replaces nothing when it runs again', async function () {
    const before = new Map(
      (await cluster.api.list<Pod>('pods', { labelSelector: 'app=burst' })).map((p) => [p.metadata.uid!, p.status?.containerStatuses?.[0]?.containerID]),
    );
    const cp = cluster.controlPlane.child;
    cp.kill('SIGSTOP');
    try {
      // Longer than the 4 s grace period and the agents' 10 s silence limit: they dial again too.
      await sleep(12_000);
    } finally {
      cp.kill('SIGCONT');
    }
    // Give it more than a grace period of watching, then look.
    await eventually('every node heartbeating again', async () => (await cluster.api.list<Node>('nodes')).filter(isNodeReady).length === NODES, {
      timeoutMs: 30_000,
    });
    // What must hold is an absence (no node lost, nothing evicted), so it is watched for a while:
    // longer than the grace period plus a pass of the node lifecycle controller.
    await sleep(6000);
    const after = await allRunning(REPLICAS);
    assert.deepEqual(
      after.filter((p) => before.get(p.metadata.uid!) !== p.status?.containerStatuses?.[0]?.containerID).map((p) => p.metadata.name),
      [],
      'the same pods, with the same processes',
    );
    await assertSteady('after the stop', 2 * REPLICAS);
  });
});
