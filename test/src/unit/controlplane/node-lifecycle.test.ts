// The node lifecycle controller driven by a FakeClock and a fake view of the agents' connections:
// when a node is lost, what it writes (condition, taints, pod readiness, events), when it evicts
// (rate-limited per zone, slowed or stopped in a disruption), how a node that comes back is made
// Ready again, and that a controller that was itself stopped does not blame the nodes.

import assert from 'node:assert/strict';
import {
  FakeClock,
  isoTime,
  PROFILES,
  silentLogger,
  TAINT_NOT_READY,
  TAINT_UNREACHABLE,
  type Event,
  type Node,
  type Pod,
  type Taint,
  type Timing,
  type Toleration,
} from '@kip/shared';
import { NodeLifecycleController, TAINT_SHUTDOWN, tolerationMs, type NodeHealthView } from '@kip/controlplane';
import { LABEL_ZONE } from '@kip/controlplane';
import { StoreEventRecorder } from '@kip/controlplane';
import { MemoryStore } from '@kip/controlplane';

const TIMING: Timing = { ...PROFILES.kubernetes, nodeMonitorGracePeriodMs: 40_000, podEvictionTimeoutMs: 300_000 };

interface Env {
  clock: FakeClock;
  store: MemoryStore;
  health: Map<string, NodeHealthView>;
  ctl: NodeLifecycleController;
}

const BYSTANDER = 'bystander';

/**
 * With `bystander`, a node that is always healthy joins, as in any cluster of more than one node:
 * a cluster whose every node looks lost evicts nothing (master disruption).
 */
function makeEnv(timing: Timing = TIMING, opts: { bystander?: boolean } = {}): Env {
  const clock = new FakeClock();
  const store = new MemoryStore({ clock });
  const health = new Map<string, NodeHealthView>();
  const recorder = new StoreEventRecorder(store, { component: 'test', clock });
  const view = (n: string) => (n === BYSTANDER ? { connected: true, lastHeartbeatMs: clock.now() } : health.get(n));
  const ctl = new NodeLifecycleController({ store, recorder, log: silentLogger, clock, timing, health: view });
  const env = { clock, store, health, ctl };
  if (opts.bystander) addNode(env, BYSTANDER);
  return env;
}

function addNode(env: Env, name: string, taints?: Taint[], labels?: Record<string, string>): Node {
  const now = isoTime(env.clock.now());
  return env.store.create<Node>({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, ...(labels ? { labels } : {}) },
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
const podNames = (env: Env) =>
  env.store
    .list<Pod>('Pod')
    .items.map((p) => p.metadata.name)
    .sort();
const events = (env: Env, reason: string) =>
  env.store
    .list<Event>('Event')
    .items.filter((e) => e.reason === reason)
    .map((e) => `${e.involvedObject.kind}/${e.involvedObject.name}: ${e.message} (${e.source?.component})`);
/** Nodes carrying the NoExecute unreachable taint, which starts their pods' eviction. */
const tainted = (env: Env) =>
  env.store
    .list<Node>('Node')
    .items.filter((n) => (n.spec.taints ?? []).some((t) => t.key === TAINT_UNREACHABLE && t.effect === 'NoExecute'))
    .map((n) => n.metadata.name)
    .sort();

/** Connected, heartbeating now. */
const alive = (env: Env): NodeHealthView => ({ connected: true, lastHeartbeatMs: env.clock.now() });
/** Its connection closed and its agent process has exited (it ran on this host). */
const gone = (env: Env): NodeHealthView => ({ connected: false, lastHeartbeatMs: env.clock.now(), disconnectedAtMs: env.clock.now(), agentGone: true });
/** Silent since now: a closed connection from an agent the control plane cannot see, or a paused one. */
const silent = (env: Env, connected = false): NodeHealthView => ({
  connected,
  lastHeartbeatMs: env.clock.now(),
  ...(connected ? {} : { disconnectedAtMs: env.clock.now() }),
});

/** n nodes named prefix-1..n, all heartbeating. */
function addNodes(env: Env, n: number, prefix = 'n', labels?: Record<string, string>): string[] {
  const names = Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`);
  for (const name of names) {
    addNode(env, name, undefined, labels);
    env.health.set(name, alive(env));
  }
  return names;
}

/** Advances the clock and renews the heartbeats of every node not in `quiet`, then runs a pass. */
function pass(env: Env, ms: number, quiet: Set<string>): void {
  env.clock.advance(ms);
  for (const [name, h] of env.health) if (!quiet.has(name) && h.connected) env.health.set(name, alive(env));
  env.ctl.tick();
}

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

  it('calls a node whose agent process has exited Unknown at once, shut down, and taints it for eviction', () => {
    const env = makeEnv(TIMING, { bystander: true });
    const n = addNode(env, 'n1');
    env.health.set('n1', gone(env));
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
      { key: TAINT_SHUTDOWN, effect: 'NoSchedule', timeAdded: isoTime(env.clock.now()) },
      { key: TAINT_UNREACHABLE, effect: 'NoExecute', timeAdded: isoTime(env.clock.now()) },
    ]);
    assert.deepEqual(events(env, 'NodeNotReady'), ['Node/n1: Node n1 status is now: NodeNotReady (node-controller)']);
  });

  it(`a node whose connection closed, with an agent it cannot see, is Unknown after the grace period (${TIMING.nodeMonitorGracePeriodMs} ms), not before`, () => {
    const env = makeEnv(TIMING, { bystander: true });
    addNode(env, 'n1');
    env.health.set('n1', silent(env));
    env.clock.advance(TIMING.nodeMonitorGracePeriodMs - 1);
    env.ctl.tick();
    assert.equal(ready(env, 'n1').status, 'True', 'still within the grace period');
    assert.deepEqual(taints(env, 'n1'), []);
    env.clock.advance(1);
    env.ctl.tick();
    assert.equal(ready(env, 'n1').status, 'Unknown');
    assert.deepEqual(
      taints(env, 'n1'),
      [`${TAINT_UNREACHABLE}:NoSchedule`, `${TAINT_UNREACHABLE}:NoExecute`],
      'no shutdown taint: its agent may still run elsewhere',
    );
  });

  it(`a connected node whose heartbeats stop is Ready=Unknown after the grace period (${TIMING.nodeMonitorGracePeriodMs} ms)`, () => {
    const env = makeEnv(TIMING, { bystander: true });
    addNode(env, 'n1');
    env.health.set('n1', silent(env, true));
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
    env.health.set('n1', silent(env));
    for (let t = 0; t < TIMING.nodeMonitorGracePeriodMs - 1000; t += 1000) {
      env.clock.advance(1000);
      env.ctl.tick();
    }
    assert.equal(getNode(env, 'n1').metadata.resourceVersion, n.metadata.resourceVersion, 'nothing written');
    assert.equal(ready(env, 'n1').lastHeartbeatTime, n.status!.conditions![0]!.lastHeartbeatTime);
  });

  it('writes a lost node once, however many passes follow, and records one event', () => {
    const env = makeEnv();
    addNode(env, 'n1');
    env.health.set('n1', gone(env));
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
    env.health.set('n1', gone(env));
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
    const env = makeEnv(TIMING, { bystander: true });
    addNode(env, 'n1');
    addPod(env, 'a', 'n1');
    addPod(env, 'b', 'n1');
    env.health.set('n1', gone(env));
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
    const env = makeEnv(TIMING, { bystander: true });
    addNode(env, 'n1');
    addPod(env, 'default-toleration', 'n1');
    addPod(env, 'one-minute', 'n1', [{ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }]);
    addPod(env, 'forever', 'n1', [{ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' }]);
    addPod(env, 'at-once', 'n1', [{ operator: 'Exists', tolerationSeconds: 0 }]);
    addPod(env, 'other-taint', 'n1', [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1 }]);
    env.health.set('n1', gone(env));
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
    const env = makeEnv(PROFILES.fast, { bystander: true });
    addNode(env, 'n1');
    addPod(env, 'a', 'n1');
    env.health.set('n1', gone(env));
    env.ctl.tick();
    assert.equal(ready(env, 'n1').status, 'Unknown');
    assert.deepEqual(podNames(env), []);
  });

  it('makes a node that comes back Ready and untainted, keeping taints it did not add', () => {
    const env = makeEnv(TIMING, { bystander: true });
    addNode(env, 'n1', [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }]);
    env.health.set('n1', gone(env));
    env.ctl.tick();
    assert.deepEqual(taints(env, 'n1'), [
      'dedicated:NoSchedule',
      `${TAINT_UNREACHABLE}:NoSchedule`,
      `${TAINT_SHUTDOWN}:NoSchedule`,
      `${TAINT_UNREACHABLE}:NoExecute`,
    ]);
    env.clock.advance(5000);
    env.health.set('n1', alive(env));
    env.ctl.tick();
    const r = ready(env, 'n1');
    assert.deepEqual(
      [r.status, r.reason, r.lastTransitionTime, r.lastHeartbeatTime],
      ['True', 'KubeletReady', isoTime(env.clock.now()), isoTime(env.clock.now())],
    );
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

  it('gives a node that never connected to this control plane the startup grace period after start', () => {
    const env = makeEnv();
    addNode(env, 'n1');
    env.clock.advance(TIMING.nodeStartupGracePeriodMs - 1000);
    env.ctl.tick();
    assert.equal(ready(env, 'n1').status, 'True');
    env.clock.advance(1000);
    env.ctl.tick();
    assert.equal(ready(env, 'n1').status, 'Unknown');
  });

  it('evicts nothing in a cluster of one node that is lost: every node looks unhealthy', () => {
    const env = makeEnv(PROFILES.fast);
    addNode(env, 'n1');
    addPod(env, 'a', 'n1');
    env.health.set('n1', gone(env));
    env.ctl.tick();
    assert.equal(ready(env, 'n1').status, 'Unknown');
    assert.deepEqual(podNames(env), ['a']);
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
    env.health.set('n1', silent(env));
    env.ctl.start();
    // The pass period is an eighth of the grace period, at most 5 s: here 5 s.
    assert.equal(env.ctl.tickMs, 5000);
    env.clock.advance(TIMING.nodeMonitorGracePeriodMs - 1);
    assert.equal(ready(env, 'n1').status, 'True');
    env.clock.advance(5000);
    assert.equal(ready(env, 'n1').status, 'Unknown');
    env.ctl.stop();
    assert.equal(env.clock.pendingTimers(), 0);
    env.health.set('n1', alive(env));
    env.clock.advance(60_000);
    assert.equal(ready(env, 'n1').status, 'Unknown', 'no passes after stop');
  });

  describe('survives its own stalls and mass failures', () => {
    it('a controller that was stopped longer than the grace period calls no node lost for it, and judges again after a grace period of watching', () => {
      const env = makeEnv(PROFILES.fast);
      const names = addNodes(env, 3);
      addPod(env, 'a', 'n-1');
      env.ctl.start();
      env.clock.advance(2000);
      // SIGSTOP: no timer fires, no heartbeat is read, for three grace periods.
      env.clock.stall(3 * PROFILES.fast.nodeMonitorGracePeriodMs);
      env.clock.advance(env.ctl.tickMs);
      for (const n of names) assert.equal(ready(env, n).status, 'True', `${n} stays Ready: the controller was away, not the node`);
      assert.deepEqual(podNames(env), ['a'], 'nothing evicted');
      // Heartbeats come in again for two nodes; n-3 stays silent, in time the controller watches.
      const quiet = new Set(['n-3']);
      for (let t = 0; t < PROFILES.fast.nodeMonitorGracePeriodMs; t += env.ctl.tickMs) pass(env, env.ctl.tickMs, quiet);
      assert.deepEqual(
        ['n-1', 'n-2', 'n-3'].map((n) => ready(env, n).status),
        ['True', 'True', 'Unknown'],
      );
      env.ctl.stop();
    });

    it('taints the nodes of a healthy zone for eviction one at a time, at --node-eviction-rate', () => {
      const env = makeEnv({ ...TIMING, nodeEvictionRate: 0.1 });
      const names = addNodes(env, 10);
      const lost = new Set(names.slice(0, 4));
      for (const n of lost) env.health.set(n, gone(env));
      env.ctl.tick();
      assert.deepEqual(
        names.slice(0, 4).map((n) => ready(env, n).status),
        ['Unknown', 'Unknown', 'Unknown', 'Unknown'],
      );
      assert.deepEqual(tainted(env), ['n-1'], 'one token: one node now');
      pass(env, 9_999, lost);
      assert.deepEqual(tainted(env), ['n-1']);
      pass(env, 1, lost);
      assert.deepEqual(tainted(env), ['n-1', 'n-2'], 'the next after 1/rate = 10 s');
      pass(env, 20_000, lost);
      assert.deepEqual(tainted(env), ['n-1', 'n-2', 'n-3'], 'a token does not pile up: burst 1');
    });

    it('drops a node that recovers from the eviction queue', () => {
      const env = makeEnv({ ...TIMING, nodeEvictionRate: 0.1 });
      const names = addNodes(env, 10);
      for (const n of names.slice(0, 2)) env.health.set(n, silent(env, true));
      pass(env, TIMING.nodeMonitorGracePeriodMs, new Set(names.slice(0, 2)));
      assert.deepEqual(tainted(env), ['n-1']);
      pass(env, 5000, new Set(['n-1']));
      assert.equal(ready(env, 'n-2').status, 'True', 'n-2 speaks again');
      pass(env, 30_000, new Set(['n-1']));
      assert.deepEqual(tainted(env), ['n-1'], 'n-2 was never tainted');
    });

    it('in a small zone mostly unhealthy (partial disruption), marks nodes NotReady but evicts nothing', () => {
      const env = makeEnv(PROFILES.fast);
      const names = addNodes(env, 10);
      for (const n of names) addPod(env, `p-${n}`, n);
      for (const n of names.slice(0, 6)) env.health.set(n, gone(env));
      env.ctl.tick();
      assert.equal(names.filter((n) => ready(env, n).status === 'Unknown').length, 6);
      assert.deepEqual(tainted(env), [], '6 of 10 >= 55%, and 10 nodes is a small cluster: no evictions');
      assert.equal(podNames(env).length, 10);
      pass(env, 60_000, new Set(names.slice(0, 6)));
      assert.deepEqual(tainted(env), []);
    });

    it('in a large zone mostly unhealthy, evicts at --secondary-node-eviction-rate', () => {
      const env = makeEnv({ ...TIMING, nodeEvictionRate: 0.1, secondaryNodeEvictionRate: 0.01 });
      const names = addNodes(env, 60);
      const lost = new Set(names.slice(0, 40));
      for (const n of lost) env.health.set(n, gone(env));
      env.ctl.tick();
      const first = tainted(env).length;
      assert.ok(first <= 1, `at most the one token there was (${first})`);
      pass(env, 10_000, lost);
      assert.equal(tainted(env).length, first, 'not at the normal rate');
      pass(env, 90_000, lost);
      assert.equal(tainted(env).length, first + 1, 'one node per 100 s');
    });

    it('when every node looks unhealthy, evicts nothing and lifts eviction taints (master disruption), and resumes when one is back', () => {
      const env = makeEnv(PROFILES.fast);
      const names = addNodes(env, 3);
      for (const n of names) addPod(env, `p-${n}`, n);
      env.health.set('n-1', gone(env));
      env.ctl.tick();
      assert.deepEqual(tainted(env), ['n-1'], 'one node lost: normal eviction');
      assert.deepEqual(podNames(env), ['p-n-2', 'p-n-3']);
      for (const n of names) env.health.set(n, silent(env, true));
      pass(env, PROFILES.fast.nodeMonitorGracePeriodMs, new Set(names));
      assert.deepEqual(
        names.map((n) => ready(env, n).status),
        ['Unknown', 'Unknown', 'Unknown'],
      );
      assert.deepEqual(tainted(env), [], 'the taint already placed is lifted');
      pass(env, 60_000, new Set(names));
      assert.deepEqual(podNames(env), ['p-n-2', 'p-n-3'], 'nothing more evicted');
      env.health.set('n-3', alive(env));
      pass(env, 500, new Set(['n-1', 'n-2']));
      assert.equal(ready(env, 'n-3').status, 'True');
      assert.deepEqual(tainted(env), [], 'a fresh grace period first');
      pass(env, PROFILES.fast.nodeMonitorGracePeriodMs, new Set(['n-1', 'n-2']));
      assert.deepEqual(tainted(env), ['n-1'], 'then eviction as usual, one node per second');
      pass(env, 1000, new Set(['n-1', 'n-2']));
      assert.deepEqual(tainted(env), ['n-1', 'n-2']);
      assert.deepEqual(podNames(env), ['p-n-3']);
    });

    it('a fully disrupted zone evicts at the normal rate while another zone is healthy', () => {
      const env = makeEnv(PROFILES.fast);
      const a = addNodes(env, 3, 'a', { [LABEL_ZONE]: 'a' });
      addNodes(env, 3, 'b', { [LABEL_ZONE]: 'b' });
      for (const n of a) env.health.set(n, gone(env));
      env.ctl.tick();
      assert.deepEqual(tainted(env), ['a-1']);
      pass(env, 1000, new Set(a));
      pass(env, 1000, new Set(a));
      assert.deepEqual(tainted(env), ['a-1', 'a-2', 'a-3']);
    });
  });

  describe('tolerationMs', () => {
    const unreachable: Taint = { key: TAINT_UNREACHABLE, effect: 'NoExecute' };
    const pod = (tolerations?: Toleration[]): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [], tolerations } });
    const cases: { name: string; tolerations?: Toleration[]; taint?: Taint; want: number }[] = [
      { name: 'no tolerations: the default', want: 300_000 },
      {
        name: 'a matching toleration with seconds',
        tolerations: [{ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }],
        want: 30_000,
      },
      {
        name: 'a matching toleration without seconds: forever',
        tolerations: [{ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoExecute' }],
        want: Infinity,
      },
      { name: 'Exists without a key matches every taint', tolerations: [{ operator: 'Exists', tolerationSeconds: 5 }], want: 5000 },
      {
        name: 'a toleration without effect matches every effect',
        tolerations: [{ key: TAINT_UNREACHABLE, operator: 'Exists', tolerationSeconds: 7 }],
        want: 7000,
      },
      {
        name: 'another effect does not match',
        tolerations: [{ key: TAINT_UNREACHABLE, operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 7 }],
        want: 300_000,
      },
      { name: 'another key does not match', tolerations: [{ key: 'other', operator: 'Exists', tolerationSeconds: 7 }], want: 300_000 },
      { name: 'Equal matches key and (empty) value', tolerations: [{ key: TAINT_UNREACHABLE, operator: 'Equal', tolerationSeconds: 9 }], want: 9000 },
      {
        name: 'Equal with another value does not match',
        tolerations: [{ key: TAINT_UNREACHABLE, operator: 'Equal', value: 'x', tolerationSeconds: 9 }],
        want: 300_000,
      },
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
        tolerations: [{ key: TAINT_UNREACHABLE, operator: 'Exists', tolerationSeconds: 45 }, { operator: 'Exists' }],
        want: 45_000,
      },
    ];
    for (const c of cases) it(c.name, () => assert.equal(tolerationMs(pod(c.tolerations), c.taint ?? unreachable, 300_000), c.want));
  });
});
