import assert from 'node:assert/strict';
import { createLogger, FakeClock, podCondition, silentLogger, type Event, type KObject, type Node, type Pod } from '@kip/shared';
import { MemoryStore, Scheduler, StoreError, StoreEventRecorder, type SchedulerOptions } from '@kip/controlplane';
import { eventually } from '../../helpers/wait.js';
import { makeNode, makePod } from './fixtures.js';

function setup(opts: Partial<SchedulerOptions> = {}, store?: MemoryStore) {
  const clock = new FakeClock();
  const s = store ?? new MemoryStore({ clock });
  const recorder = new StoreEventRecorder(s, { component: 'default-scheduler', clock });
  const scheduler = new Scheduler({ store: s, recorder, log: silentLogger, clock, seed: 1, ...opts });
  const drain = () => {
    let n = 0;
    while (scheduler.scheduleOne()) n++;
    return n;
  };
  const pod = (name: string) => s.get<Pod>('Pod', 'default', name)!;
  const nodeOf = (name: string) => pod(name).spec.nodeName;
  const events = (reason: string, podName?: string) =>
    s.list<Event>('Event').items.filter((e) => e.reason === reason && (podName === undefined || e.involvedObject.name === podName));
  return { clock, store: s, scheduler, drain, pod, nodeOf, events };
}

function placements(store: MemoryStore): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of store.list<Pod>('Pod').items) if (p.spec.nodeName) out[p.spec.nodeName] = (out[p.spec.nodeName] ?? 0) + 1;
  return out;
}

describe('scheduler end to end (MemoryStore)', () => {
  it('spreads a 6-replica owner 2/2/2 over 3 equal nodes', () => {
    const t = setup();
    for (const n of ['node-1', 'node-2', 'node-3']) t.store.create(makeNode(n));
    for (let i = 0; i < 6; i++) t.store.create(makePod(`web-${i}`, { owner: 'rs-web', cpu: '100m', memory: '128Mi' }));
    assert.equal(t.drain(), 6);
    assert.deepEqual(placements(t.store), { 'node-1': 2, 'node-2': 2, 'node-3': 2 });
  });

  it('binds with spec.nodeName, PodScheduled=True and a Scheduled event', () => {
    const t = setup();
    t.store.create(makeNode('node-2'));
    t.store.create(makePod('web-abc', { cpu: '100m' }));
    t.drain();
    const p = t.pod('web-abc');
    assert.equal(p.spec.nodeName, 'node-2');
    assert.equal(podCondition(p, 'PodScheduled')?.status, 'True');
    const [ev] = t.events('Scheduled', 'web-abc');
    assert.ok(ev, 'a Scheduled event');
    assert.equal(ev.type, 'Normal');
    assert.equal(ev.message, 'Successfully assigned default/web-abc to node-2');
    assert.equal(ev.source?.component, 'default-scheduler');
  });

  it('puts nothing on a cordoned node', () => {
    const t = setup();
    t.store.create(makeNode('open'));
    t.store.create(makeNode('cordoned', { unschedulable: true }));
    for (let i = 0; i < 8; i++) t.store.create(makePod(`p${i}`, { owner: 'rs', cpu: '100m' }));
    t.drain();
    assert.deepEqual(placements(t.store), { open: 8 });
  });

  it('counts the pods it just placed, so a burst does not overfill a node', () => {
    const t = setup();
    t.store.create(makeNode('small', { cpu: '1' }));
    for (let i = 0; i < 3; i++) t.store.create(makePod(`p${i}`, { cpu: '500m' }));
    t.drain();
    assert.deepEqual(placements(t.store), { small: 2 });
    assert.equal(t.scheduler.pending().unschedulable, 1);
    assert.equal(t.scheduler.nodeInfo('small')?.requestedCpu, 1000);
  });

  it('reports a pod that fits nowhere in kube-scheduler words, then places it once a node is added', () => {
    const t = setup();
    for (let i = 1; i <= 3; i++) t.store.create(makeNode(`small-${i}`, { cpu: '1' }));
    for (let i = 1; i <= 2; i++) t.store.create(makeNode(`cordoned-${i}`, { unschedulable: true }));
    t.store.create(makePod('big', { cpu: '2' }));
    t.drain();

    const want =
      '0/5 nodes are available: 2 node(s) were unschedulable, 3 Insufficient cpu. preemption: 0/5 nodes are available: 2 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.';
    const failed = t.events('FailedScheduling', 'big');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.type, 'Warning');
    assert.equal(failed[0]!.message, want);
    assert.equal(failed[0]!.source?.component, 'default-scheduler');
    const cond = podCondition(t.pod('big'), 'PodScheduled');
    assert.deepEqual({ status: cond?.status, reason: cond?.reason, message: cond?.message }, { status: 'False', reason: 'Unschedulable', message: want });
    assert.equal(t.nodeOf('big'), undefined);
    assert.deepEqual(t.scheduler.pending(), { active: 0, backoff: 0, unschedulable: 1, inflight: 0 });

    // A node that could take it arrives: the pod leaves the parked set, waits out its 1 s backoff, and lands.
    t.store.create(makeNode('large', { cpu: '8' }));
    assert.equal(t.scheduler.pending().backoff, 1);
    assert.equal(t.scheduler.scheduleOne(), false);
    t.clock.advance(1000);
    t.drain();
    assert.equal(t.nodeOf('big'), 'large');
    assert.equal(podCondition(t.pod('big'), 'PodScheduled')?.status, 'True');
    assert.equal(t.events('Scheduled', 'big')[0]?.message, 'Successfully assigned default/big to large');
  });

  it('says there are no nodes, and places the pod when the first node joins', () => {
    const t = setup();
    t.store.create(makePod('lonely'));
    t.drain();
    assert.equal(t.events('FailedScheduling', 'lonely')[0]?.message, 'no nodes available to schedule pods');
    t.store.create(makeNode('first'));
    t.clock.advance(1000);
    t.drain();
    assert.equal(t.nodeOf('lonely'), 'first');
  });

  it('preempts a lower-priority pod for a pod that fits nowhere: the victim goes, the pod is nominated, then bound there', () => {
    const deleted: string[] = [];
    const t = setup({
      // The API server deletes gracefully; here the victim leaves the store at once, and is recorded.
      deletePod: (p) => {
        deleted.push(p.metadata.name);
        t.store.delete('Pod', p.metadata.namespace, p.metadata.name);
      },
    });
    t.store.create(makeNode('only', { cpu: '1' }));
    t.store.create(makePod('low', { cpu: '800m', nodeName: 'only', priority: 1, phase: 'Running' }));
    const high = t.store.create(makePod('high', { cpu: '500m', priority: 100 }));
    t.drain();
    assert.deepEqual(deleted, ['low']);
    const [ev] = t.events('Preempted', 'low');
    assert.equal(ev?.message, `Preempted by pod ${high.metadata.uid} on node only`);
    assert.equal(t.pod('high').status?.nominatedNodeName, 'only');
    t.clock.advance(1000);
    t.drain();
    assert.equal(t.nodeOf('high'), 'only');
    assert.equal(t.pod('high').status?.nominatedNodeName, undefined, 'the nomination is spent once bound');
  });

  it('keeps zone-spread, anti-affine replicas apart and says why the one left over fits nowhere', () => {
    const t = setup();
    const zones: Record<string, string> = { 'node-1': 'a', 'node-2': 'b', 'node-3': 'a' };
    for (const [n, zone] of Object.entries(zones)) t.store.create(makeNode(n, { labels: { 'topology.kubernetes.io/zone': zone } }));
    const sel = { matchLabels: { app: 'spread' } };
    for (let i = 0; i < 4; i++) {
      const p = makePod(`spread-${i}`, {
        owner: 'rs-spread',
        labels: { app: 'spread' },
        affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: sel, topologyKey: 'kubernetes.io/hostname' }] } },
      });
      p.spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: sel }];
      t.store.create(p);
    }
    t.drain();
    assert.deepEqual(placements(t.store), { 'node-1': 1, 'node-2': 1, 'node-3': 1 });
    const pending = t.store.list<Pod>('Pod').items.find((p) => !p.spec.nodeName)!;
    assert.equal(
      t.events('FailedScheduling', pending.metadata.name)[0]?.message,
      "0/3 nodes are available: 1 node(s) didn't match pod anti-affinity rules, 2 node(s) didn't match pod topology spread constraints. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.",
    );
  });

  it('keeps the room a preemption made for the pod that made it, from pods of lower priority', () => {
    const t = setup();
    t.store.create(makeNode('only', { cpu: '1' }));
    t.store.create(makePod('low', { cpu: '800m', nodeName: 'only', priority: 1, phase: 'Running' }));
    t.store.create(makePod('high', { cpu: '500m', priority: 100 }));
    t.drain();
    assert.equal(t.store.get('Pod', 'default', 'low'), undefined, 'the victim is gone at once (no graceful delete here)');
    // While high waits out its backoff, a pod of middle priority arrives: the room is high's.
    t.store.create(makePod('mid', { cpu: '600m', priority: 50 }));
    t.drain();
    assert.equal(t.nodeOf('mid'), undefined);
    t.clock.advance(1000);
    t.drain();
    assert.equal(t.nodeOf('high'), 'only');
    assert.equal(t.nodeOf('mid'), undefined);
  });

  it('does not preempt for a pod with preemptionPolicy Never, and says so', () => {
    const t = setup();
    t.store.create(makeNode('only', { cpu: '1' }));
    t.store.create(makePod('low', { cpu: '800m', nodeName: 'only', priority: 1, phase: 'Running' }));
    const p = makePod('polite', { cpu: '500m', priority: 100 });
    p.spec.preemptionPolicy = 'Never';
    t.store.create(p);
    t.drain();
    assert.ok(t.pod('low'), 'the low pod stays');
    assert.equal(
      t.events('FailedScheduling', 'polite')[0]?.message,
      '0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.',
    );
  });

  it('retries a parked pod when an assigned pod is deleted and frees room', () => {
    const t = setup();
    t.store.create(makeNode('only', { cpu: '1' }));
    t.store.create(makePod('holder', { cpu: '1', nodeName: 'only' }));
    t.store.create(makePod('waiter', { cpu: '1' }));
    t.drain();
    assert.equal(
      t.events('FailedScheduling', 'waiter')[0]?.message,
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    );
    t.store.delete('Pod', 'default', 'holder');
    t.clock.advance(1000);
    t.drain();
    assert.equal(t.nodeOf('waiter'), 'only');
  });

  it('leaves a parked pod parked on changes that cannot help it', () => {
    const t = setup();
    t.store.create(makeNode('only', { cpu: '1' }));
    t.store.create(makePod('waiter', { cpu: '2' }));
    t.drain();
    const node = structuredClone(t.store.get<Node>('Node', undefined, 'only')!);
    node.metadata.labels = { ...node.metadata.labels, disk: 'ssd' };
    t.store.update(node);
    t.clock.advance(60_000);
    assert.equal(t.drain(), 0);
    assert.equal(t.scheduler.pending().unschedulable, 1);
  });

  it('honours nodeSelector', () => {
    const t = setup();
    t.store.create(makeNode('plain-1'));
    t.store.create(makeNode('ssd-1', { labels: { disk: 'ssd' } }));
    t.store.create(makeNode('plain-2'));
    for (let i = 0; i < 4; i++) t.store.create(makePod(`db-${i}`, { owner: 'rs-db', nodeSelector: { disk: 'ssd' } }));
    t.store.create(makePod('gpu', { nodeSelector: { gpu: 'true' } }));
    t.drain();
    assert.deepEqual(placements(t.store), { 'ssd-1': 4 });
    assert.equal(
      t.events('FailedScheduling', 'gpu')[0]?.message,
      "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
  });

  it('keeps pods off tainted nodes unless they tolerate the taint', () => {
    const t = setup();
    t.store.create(makeNode('gpu', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }));
    t.store.create(makePod('plain'));
    t.store.create(makePod('trainer', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] }));
    t.drain();
    assert.equal(t.nodeOf('trainer'), 'gpu');
    assert.equal(t.nodeOf('plain'), undefined);
    assert.equal(
      t.events('FailedScheduling', 'plain')[0]?.message,
      '0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.',
    );

    // Removing the taint is an event TaintToleration registered for: the plain pod lands.
    const node = structuredClone(t.store.get<Node>('Node', undefined, 'gpu')!);
    node.spec.taints = [];
    t.store.update(node);
    t.clock.advance(1000);
    t.drain();
    assert.equal(t.nodeOf('plain'), 'gpu');
  });

  it('prefers a node without PreferNoSchedule taints', () => {
    const t = setup();
    t.store.create(makeNode('spot', { taints: [{ key: 'spot', value: 'true', effect: 'PreferNoSchedule' }] }));
    t.store.create(makeNode('regular'));
    t.store.create(makePod('p'));
    t.drain();
    assert.equal(t.nodeOf('p'), 'regular');
  });

  it('skips NotReady nodes', () => {
    const t = setup();
    t.store.create(makeNode('down', { ready: 'Unknown' }));
    t.store.create(makeNode('up'));
    for (let i = 0; i < 3; i++) t.store.create(makePod(`p${i}`, { owner: 'rs' }));
    t.drain();
    assert.deepEqual(placements(t.store), { up: 3 });
  });

  it('leaves alone pods for other schedulers, bound pods, finished pods and pods being deleted', () => {
    const t = setup();
    t.store.create(makeNode('n1', { cpu: '2' }));
    t.store.create(makePod('other', { schedulerName: 'my-scheduler' }));
    t.store.create(makePod('prebound', { nodeName: 'n1', cpu: '1' }));
    t.store.create(makePod('finished', { phase: 'Succeeded' }));
    t.store.create(makePod('going', { deletionTimestamp: '2026-01-01T00:00:00Z' }));
    assert.equal(t.drain(), 0);
    for (const name of ['other', 'finished', 'going']) assert.equal(t.nodeOf(name), undefined);
    assert.equal(t.scheduler.nodeInfo('n1')?.requestedCpu, 1000, 'a pre-bound pod still uses its node');
  });

  it('leaves a pod with scheduling gates alone, and places it once the last gate is removed', () => {
    const t = setup();
    t.store.create(makeNode('n1'));
    t.store.create({ ...makePod('gated'), spec: { ...makePod('gated').spec, schedulingGates: [{ name: 'example.com/foo' }, { name: 'example.com/bar' }] } });
    assert.equal(t.drain(), 0);
    const one = structuredClone(t.pod('gated'));
    one.spec.schedulingGates = [{ name: 'example.com/bar' }];
    t.store.update(one);
    assert.equal(t.drain(), 0);
    assert.equal(t.nodeOf('gated'), undefined);
    const none = structuredClone(t.pod('gated'));
    delete none.spec.schedulingGates;
    t.store.update(none);
    assert.equal(t.drain(), 1);
    assert.equal(t.nodeOf('gated'), 'n1');
  });

  it('explains each decision at --verbose: the best nodes and their totals, the seed', () => {
    const lines: string[] = [];
    const t = setup({ log: createLogger('scheduler', 'debug', (l) => lines.push(l)) });
    t.store.create(makeNode('a'));
    t.store.create(makeNode('b'));
    t.store.create(makeNode('c', { unschedulable: true }));
    t.store.create(makePod('p', { cpu: '1' }));
    t.drain();
    const bound = lines.find((l) => l.includes('bound pod') && l.includes('pod=default/p'));
    assert.ok(bound, lines.join('\n'));
    assert.match(bound, new RegExp(`node=${t.nodeOf('p')} evaluated=3 feasible=2 best=${t.nodeOf('p')}:\\d+,[ab]:\\d+ start=\\d+ seed=\\d+`));
  });

  it('makes the same placements from the same seed', () => {
    const run = (seed: number) => {
      const t = setup({ seed });
      for (let i = 0; i < 10; i++) t.store.create(makeNode(`n${i}`));
      for (let i = 0; i < 10; i++) t.store.create(makePod(`p${i}`));
      t.drain();
      return Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`p${i}`, t.nodeOf(`p${i}`)]));
    };
    assert.deepEqual(run(99), run(99));
  });

  it('stops after enough feasible nodes and starts the next search where the last one stopped', () => {
    const lines: string[] = [];
    const t = setup({ percentageOfNodesToScore: 50, log: createLogger('scheduler', 'debug', (l) => lines.push(l)) });
    for (let i = 0; i < 250; i++) t.store.create(makeNode(`n${i}`));
    t.store.create(makePod('a'));
    t.store.create(makePod('b'));
    t.drain();
    const bound = (name: string) => lines.find((l) => l.includes('bound pod') && l.includes(`pod=default/${name} `)) ?? '';
    assert.match(bound('a'), / evaluated=125 .* start=0( |$)/);
    assert.match(bound('b'), / evaluated=125 .* start=125( |$)/);
  });

  it('retries after a conflicting write instead of reporting a failure', () => {
    class ConflictOnce extends MemoryStore {
      conflicts = 1;
      override update<T extends KObject>(obj: T): T {
        if (obj.kind === 'Pod' && (obj as unknown as Pod).spec.nodeName && this.conflicts-- > 0)
          throw new StoreError('Conflict', 'the object has been modified');
        return super.update(obj);
      }
    }
    const clock = new FakeClock();
    const t = setup({}, new ConflictOnce({ clock }));
    t.store.create(makeNode('n1'));
    t.store.create(makePod('p'));
    t.drain();
    assert.equal(t.nodeOf('p'), undefined);
    assert.equal(t.events('FailedScheduling').length, 0);
    assert.equal(t.scheduler.nodeInfo('n1')?.podCount, 0, 'the assumed pod was forgotten');
    t.clock.advance(1000);
    t.drain();
    assert.equal(t.nodeOf('p'), 'n1');
  });

  it('rejects a bad percentageOfNodesToScore with a clear message', () => {
    assert.throws(() => setup({ percentageOfNodesToScore: 150 }), /percentageOfNodesToScore must be a number from 0 to 100, got 150/);
  });

  it('runs by itself after start() and stops cleanly', async () => {
    const store = new MemoryStore();
    const recorder = new StoreEventRecorder(store, { component: 'default-scheduler' });
    const scheduler = new Scheduler({ store, recorder, log: silentLogger, seed: 3 });
    try {
      scheduler.start();
      for (let i = 0; i < 3; i++) store.create(makeNode(`n${i}`));
      for (let i = 0; i < 30; i++) store.create(makePod(`p${i}`, { owner: 'rs', cpu: '100m' }));
      await eventually('all 30 pods bound', () => store.list<Pod>('Pod').items.every((p) => p.spec.nodeName), { timeoutMs: 10_000, intervalMs: 10 });
      assert.deepEqual(placements(store), { n0: 10, n1: 10, n2: 10 });
    } finally {
      scheduler.stop();
    }
    store.create(makePod('after-stop'));
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    assert.equal(store.get<Pod>('Pod', 'default', 'after-stop')?.spec.nodeName, undefined);
  });
});
