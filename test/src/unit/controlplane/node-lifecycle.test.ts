// The node lifecycle controller driven by a FakeClock and a fake view of the agents' connections:
// when a node is lost, what it writes (condition, taints, pod readiness, events), when it evicts,
// and how a node that comes back is made Ready again.

import assert from 'node:assert/strict';
import { FakeClock, isoTime, PROFILES, silentLogger, TAINT_NOT_READY, TAINT_UNREACHABLE, type Event, type Node, type Pod, type Taint, type Timing, type Toleration } from '@kip/shared';
import { NodeLifecycleController, tolerationMs, type NodeHealthView } from '@kip/controlplane/controllers/node-lifecycle';
import { StoreEventRecorder } from '@kip/controlplane/events';
import { MemoryStore } from '@kip/controlplane/store/memory';

const TIMING: Timing = { ...PROFILES.kubernetes, nodeMonitorGracePeriodMs: 40_000, disconnectGraceMs: 20_000, podEvictionTimeoutMs: 300_000 };

interface Env {
  clock: FakeClock;
  store: MemoryStore;
  health: Map<string, NodeHealthView>;
  ctl: NodeLifecycleController;
}

function makeEnv(timing: Timing = TIMING): Env {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  const health = new Map<string, NodeHealthView>();
  const recorder = new StoreEventRecorder(store, { component: 'test', clock });
  const ctl = new NodeLifecycleController({ store, recorder, log: silentLogger, clock, timing, health: (n) => health.get(n) });
  return { clock, store, health, ctl };
}

function addNode(env: Env, name: string, taints?: Taint[]): Node {
  const now = isoTime(env.clock.now());
  return env.store.create<Node>({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: taints ? { taints } : {},
    status: { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now }] },
  });
}

function addPod(env: Env, name: string, nodeName: string, tolerations?: Toleration[]): Pod {
  return env.store.create<Pod>({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName, containers: [{ name: 'c', image: 'pause' }], ...(tolerations ? { tolerations } : {}) },
    status: {
      phase: 'Running',
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'ContainersReady', status: 'True' },
      ],
    },
  });
}

const getNode = (env: Env, name: string) => env.store.get<Node>('Node', undefined, name)!;
const ready = (env: Env, name: string) => getNode(env, name).status!.conditions!.find((c) => c.type === 'Ready')!;
const taints = (env: Env, name: string) => (getNode(env, name).spec.taints ?? []).map((t) => `${t.key}:${t.effect}`);
const podNames = (env: Env) => env.store.list<Pod>('Pod').items.map((p) => p.metadata.name).sort();
const events = (env: Env, reason: string) =>
  env.store
    .list<Event>('Event')
    .items.filter((e) => e.reason === reason)
    .map((e) => `${e.involvedObject.kind}/${e.involvedObject.name}: ${e.message} (${e.source?.component})`);

/** Connected, heartbeating now. */
const alive = (env: Env): NodeHealthView => ({ connected: true, lastHeartbeatMs: env.clock.now() });

describe('controlplane/controllers/node-lifecycle', () => {
  it('leaves a healthy node alone, refreshing its heartbeat time every 10 s', () => {
    const env = makeEnv();
    const n = addNode(env, 'n1');
    env.health.set('n1', alive(env));
    env.ctl.tick();
    assert.equal(getNode(env, 'n1').metadata.resourceVersion, n.metadata.resourceVersion, 'nothing to write');
    env.clock.advance(11_000);
    env.health.set('n1', alive(env));
    env.ctl.tick();
    const r = ready(env, 'n1');
    assert.equal(r.status, 'True');
    assert.equal(r.lastHeartbeatTime, isoTime(env.clock.now()));
    assert.equal(r.lastTransitionTime, n.status!.conditions![0]!.lastTransitionTime, 'no transition');
    assert.deepEqual(events(env, 'NodeReady'), [], 'no event for a node that was Ready');
  });

  it(`a node whose connection closed is Ready=Unknown after disconnectGraceMs (${TIMING.disconnectGraceMs} ms), not before`, () => {
    const env = makeEnv();
    const n = addNode(env, 'n1');
    const closedAt = env.clock.now();
    env.health.set('n1', { connected: false, lastHeartbeatMs: closedAt, disconnectedAtMs: closedAt });
    env.clock.advance(TIMING.disconnectGraceMs - 1);
    env.ctl.tick();
    assert.equal(ready(env, 'n1').status, 'True', 'still within the grace period');
    assert.deepEqual(taints(env, 'n1'), []);
    env.clock.advance(1);
    env.ctl.tick();
    const r = ready(env, 'n1');
    assert.deepEqual(
      { status: r.status, reason: r.reason, message: r.message, lastHeartbeatTime: r.lastHeartbeatTime, lastTransitionTime: r.lastTransitionTime },
      {
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
        message: 'Kubelet stopped posting node status.',
        lastHeartbeatTime: n.status!.conditions![0]!.lastHeartbeatTime,
        lastTransitionTime: isoTime(env.clock.now()),
      },
    );
    assert.deepEqual(getNode(env, 'n1').spec.taints, [
      { key: TAINT_UNREACHABLE, effect: 'NoSchedule', timeAdded: isoTime(env.clock.now()) },
      { key: TAINT_UNREACHABLE, effect: 'NoExecute', timeAdded: isoTime(env.clock.now()) },
    ]);
    assert.deepEqual(events(env, 'NodeNotReady'), ['Node/n1: Node n1 status is now: NodeNotReady (node-controller)']);
  });

  it(`a connected node whose heartbeats stop is Ready=Unknown after nodeMonitorGracePeriodMs (${TIMING.nodeMonitorGracePeriodMs} ms)`, () => {
    const env = makeEnv();
    addNode(env, 'n1');
    env.health.set('n1', { connected: true, lastHeartbeatMs: env.clock.now() });
    env.clock.advance(TIMING.nodeMonitorGracePeriodMs - 1);
    env.ctl.tick();
    assert.equal(ready(env, 'n1').status, 'True');
    env.clock.advance(1);
    env.ctl.tick();
    assert.equal(ready(env, 'n1').status, 'Unknown');
    assert.deepEqual(taints(env, 'n1'), [`${TAINT_UNREACHABLE}:NoSchedule`, `${TAINT_UNREACHABLE}:NoExecute`]);
  });

  it('does not invent heartbeats for a node whose connection closed, while it waits out the grace period', () => {
    const env = makeEnv();
    const n = addNode(env, 'n1');
    env.health.set('n1', { connected: false, lastHeartbeatMs: env.clock.now(), disconnectedAtMs: env.clock.now() });
    for (let t = 0; t < TIMING.disconnectGraceMs - 1000; t += 1000) {
      env.clock.advance(1000);
      env.ctl.tick();
    }
    assert.equal(getNode(env, 'n1').metadata.resourceVersion, n.metadata.resourceVersion, 'nothing written');
    assert.equal(ready(env, 'n1').lastHeartbeatTime, n.status!.conditions![0]!.lastHeartbeatTime);
  });

  it('writes a lost node once, however many passes follow, and records one event', () => {
    const env = makeEnv();
    addNode(env, 'n1');
    env.health.set('n1', { connected: false, lastHeartbeatMs: 0, disconnectedAtMs: env.clock.now() });
    env.clock.advance(TIMING.disconnectGraceMs);
    env.ctl.tick();
    const rv = env.store.resourceVersion();
    for (let i = 0; i < 5; i++) {
      env.clock.advance(1000);
      env.ctl.tick();
    }
    assert.equal(env.store.resourceVersion(), rv);
    assert.equal(events(env, 'NodeNotReady').length, 1);
  });

  it("marks the lost node's pods not ready at once, and only those", () => {
    const env = makeEnv();
    addNode(env, 'n1');
    addNode(env, 'n2');
    addPod(env, 'on-n1', 'n1');
    const other = addPod(env, 'on-n2', 'n2');
    env.health.set('n1', { connected: false, lastHeartbeatMs: 0, disconnectedAtMs: env.clock.now() });
    env.health.set('n2', alive(env));
    env.clock.advance(TIMING.disconnectGraceMs);
    env.health.set('n2', alive(env));
    env.ctl.tick();
    const p = env.store.get<Pod>('Pod', 'default', 'on-n1')!;
    assert.deepEqual(
      p.status!.conditions!.map((c) => [c.type, c.status, c.reason, c.lastTransitionTime]),
      [
        ['Ready', 'False', 'NodeNotReady', isoTime(env.clock.now())],
        ['ContainersReady', 'False', 'NodeNotReady', isoTime(env.clock.now())],
      ],
    );
    assert.equal(p.status!.phase, 'Running', 'the phase is the kubelet’s to say');
    assert.equal(env.store.get<Pod>('Pod', 'default', 'on-n2')!.metadata.resourceVersion, other.metadata.resourceVersion);
  });

  it(`evicts the pods of a lost node after podEvictionTimeoutMs (${TIMING.podEvictionTimeoutMs} ms), not before`, () => {
    const env = makeEnv();
    addNode(env, 'n1');
    addPod(env, 'a', 'n1');
    addPod(env, 'b', 'n1');
    env.health.set('n1', { connected: false, lastHeartbeatMs: 0, disconnectedAtMs: env.clock.now() });
    env.clock.advance(TIMING.disconnectGraceMs);
    env.ctl.tick();
    env.clock.advance(TIMING.podEvictionTimeoutMs - 1000);
    env.ctl.tick();
    assert.deepEqual(podNames(env), ['a', 'b']);
    env.clock.advance(1000);
    env.ctl.tick();
    assert.deepEqual(podNames(env), []);
    assert.deepEqual(events(env, 'TaintManagerEviction').sort(), [
      'Pod/a: Marking for deletion Pod default/a (taint-eviction-controller)',
      'Pod/b: Marking for deletion Pod default/b (taint-eviction-controller)',
    ]);
  });

  it("honours a pod's own toleration of the unreachable taint", () => {
    const env = makeEnv();
    addNode(env, 'n1');
    addPod(env, 'default-toleration', 'n1');
    addPod(env, 'one-minute', 'n1', [{ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }]);
    addPod(env, 'forever', 'n1', [{ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' }]);
    addPod(env, 'at-once', 'n1', [{ operator: 'Exists', tolerationSeconds: 0 }]);
    addPod(env, 'other-taint', 'n1', [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1 }]);
    env.health.set('n1', { connected: false, lastHeartbeatMs: 0, disconnectedAtMs: env.clock.now() });
    env.clock.advance(TIMING.disconnectGraceMs);
    env.ctl.tick();
    assert.deepEqual(podNames(env), ['default-toleration', 'forever', 'one-minute', 'other-taint']);
    env.clock.advance(59_000);
    env.ctl.tick();
    assert.deepEqual(podNames(env), ['default-toleration', 'forever', 'one-minute', 'other-taint']);
    env.clock.advance(1000);
    env.ctl.tick();
    assert.deepEqual(podNames(env), ['default-toleration', 'forever', 'other-taint']);
    env.clock.advance(TIMING.podEvictionTimeoutMs);
    env.ctl.tick();
    assert.deepEqual(podNames(env), ['forever']);
    env.clock.advance(3_600_000);
    env.ctl.tick();
    assert.deepEqual(podNames(env), ['forever']);
  });

  it('evicts at once under the fast profile, whose eviction timeout is 0', () => {
    const env = makeEnv(PROFILES.fast);
    addNode(env, 'n1');
    addPod(env, 'a', 'n1');
    env.health.set('n1', { connected: false, lastHeartbeatMs: 0, disconnectedAtMs: env.clock.now() });
    env.clock.advance(PROFILES.fast.disconnectGraceMs);
    env.ctl.tick();
    assert.equal(ready(env, 'n1').status, 'Unknown');
    assert.deepEqual(podNames(env), []);
  });

  it('makes a node that comes back Ready and untainted, keeping taints it did not add', () => {
    const env = makeEnv();
    addNode(env, 'n1', [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }]);
    env.health.set('n1', { connected: false, lastHeartbeatMs: 0, disconnectedAtMs: env.clock.now() });
    env.clock.advance(TIMING.disconnectGraceMs);
    env.ctl.tick();
    assert.deepEqual(taints(env, 'n1'), ['dedicated:NoSchedule', `${TAINT_UNREACHABLE}:NoSchedule`, `${TAINT_UNREACHABLE}:NoExecute`]);
    env.clock.advance(5000);
    env.health.set('n1', alive(env));
    env.ctl.tick();
    const r = ready(env, 'n1');
    assert.deepEqual([r.status, r.reason, r.lastTransitionTime, r.lastHeartbeatTime], ['True', 'KubeletReady', isoTime(env.clock.now()), isoTime(env.clock.now())]);
    assert.deepEqual(getNode(env, 'n1').spec.taints, [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }]);
    assert.deepEqual(events(env, 'NodeReady'), ['Node/n1: Node n1 status is now: NodeReady (node-controller)']);
  });

  it('removes a not-ready taint too, and drops an empty taint list', () => {
    const env = makeEnv();
    addNode(env, 'n1', [{ key: TAINT_NOT_READY, effect: 'NoSchedule' }]);
    env.health.set('n1', alive(env));
    env.ctl.tick();
    assert.ok(!('taints' in getNode(env, 'n1').spec));
  });

  it('gives a node that never connected to this control plane one grace period after start', () => {
    const env = makeEnv();
    addNode(env, 'n1');
    env.clock.advance(TIMING.nodeMonitorGracePeriodMs - 1000);
    env.ctl.tick();
    assert.equal(ready(env, 'n1').status, 'True');
    env.clock.advance(1000);
    env.ctl.tick();
    assert.equal(ready(env, 'n1').status, 'Unknown');
  });

  it('calls a never-connected node that was not Ready lost at once', () => {
    const env = makeEnv();
    env.store.create<Node>({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: {} });
    env.ctl.tick();
    assert.equal(ready(env, 'n1').status, 'Unknown');
  });

  it('runs on its clock once started, and stops', () => {
    const env = makeEnv();
    addNode(env, 'n1');
    env.health.set('n1', { connected: false, lastHeartbeatMs: 0, disconnectedAtMs: env.clock.now() });
    env.ctl.start();
    // The pass period is a quarter of the disconnect grace, at most 5 s: here 5 s.
    env.clock.advance(TIMING.disconnectGraceMs - 1);
    assert.equal(ready(env, 'n1').status, 'True');
    env.clock.advance(5000);
    assert.equal(ready(env, 'n1').status, 'Unknown');
    env.ctl.stop();
    assert.equal(env.clock.pendingTimers(), 0);
    env.health.set('n1', alive(env));
    env.clock.advance(60_000);
    assert.equal(ready(env, 'n1').status, 'Unknown', 'no passes after stop');
  });

  describe('tolerationMs', () => {
    const unreachable: Taint = { key: TAINT_UNREACHABLE, effect: 'NoExecute' };
    const pod = (tolerations?: Toleration[]): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [], tolerations } });
    const cases: { name: string; tolerations?: Toleration[]; taint?: Taint; want: number }[] = [
      { name: 'no tolerations: the default', want: 300_000 },
      { name: 'a matching toleration with seconds', tolerations: [{ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }], want: 30_000 },
      { name: 'a matching toleration without seconds: forever', tolerations: [{ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' }], want: Infinity },
      { name: 'Exists without a key matches every taint', tolerations: [{ operator: 'Exists', tolerationSeconds: 5 }], want: 5000 },
      { name: 'a toleration without effect matches every effect', tolerations: [{ key: TAINT_UNREACHABLE, operator: 'Exists', tolerationSeconds: 7 }], want: 7000 },
      { name: 'another effect does not match', tolerations: [{ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 7 }], want: 300_000 },
      { name: 'another key does not match', tolerations: [{ key: 'other', operator: 'Exists', tolerationSeconds: 7 }], want: 300_000 },
      { name: 'Equal matches key and (empty) value', tolerations: [{ key: TAINT_UNREACHABLE, operator: 'Equal', tolerationSeconds: 9 }], want: 9000 },
      { name: 'Equal with another value does not match', tolerations: [{ key: TAINT_UNREACHABLE, operator: 'Equal', value: 'x', tolerationSeconds: 9 }], want: 300_000 },
      { name: 'the default operator is Equal', tolerations: [{ key: TAINT_UNREACHABLE, tolerationSeconds: 11 }], want: 11_000 },
      { name: 'negative seconds are none', tolerations: [{ key: TAINT_UNREACHABLE, operator: 'Exists', tolerationSeconds: -5 }], want: 0 },
      {
        name: 'of several matching tolerations the shortest wins, as in Kubernetes',
        tolerations: [
          { operator: 'Exists' },
          { key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 120 },
          { key: TAINT_UNREACHABLE, operator: 'Exists', tolerationSeconds: 60 },
        ],
        want: 60_000,
      },
      {
        name: 'a forever toleration does not outlast a bounded one',
        tolerations: [
          { key: TAINT_UNREACHABLE, operator: 'Exists', tolerationSeconds: 45 },
          { operator: 'Exists' },
        ],
        want: 45_000,
      },
    ];
    for (const c of cases) it(c.name, () => assert.equal(tolerationMs(pod(c.tolerations), c.taint ?? unreachable, 300_000), c.want));
  });
});
