// ControlPlaneChaos: its validation as the API server runs it, and the controller's decisions
// against a MemoryStore, a FakeClock and a fake of its own process (whose kill is only counted):
// it records the injection before it kills, asks the launcher for the restart, refuses when
// nothing would bring the state back, and a control plane started afterwards heals it with the
// downtime.

import assert from 'node:assert/strict';
import { CHAOS_API_VERSION, silentLogger, validateObject, type ControlPlaneChaos, type ControlPlaneChaosSpec } from '@kip/shared';
import { Chaos, StoreEventRecorder } from '@kip/controlplane';
import { durableStore } from '@kip/scripts';
import { events, FakeControlPlane, makeChaosEnv, type ChaosEnv } from './fixtures.js';

function cpChaos(name: string, spec: Record<string, unknown>): ControlPlaneChaos {
  return { apiVersion: CHAOS_API_VERSION, kind: 'ControlPlaneChaos', metadata: { name, namespace: 'default' }, spec: spec as unknown as ControlPlaneChaosSpec };
}

const errorsOf = (spec: unknown) => validateObject(cpChaos('x', spec as Record<string, unknown>)).map((e) => `${e.field}: ${e.message}`);

const get = (env: ChaosEnv, name: string) => env.store.get<ControlPlaneChaos>('ControlPlaneChaos', 'default', name)!;

/** The same store seen by a control plane started `afterMs` after the first one's clock now. */
function restarted(env: ChaosEnv, afterMs: number, startedBefore = false): { chaos: Chaos; proc: FakeControlPlane } {
  const proc = new FakeControlPlane();
  proc.pid = env.controlPlane.pid + 1;
  if (startedBefore) proc.startedAtMs = env.controlPlane.startedAtMs;
  env.clock.advance(afterMs);
  if (!startedBefore) proc.startedAtMs = env.clock.now();
  const recorder = new StoreEventRecorder(env.store, { component: 'test', clock: env.clock });
  const chaos = new Chaos(
    { store: env.store, registry: env.registry, recorder, log: silentLogger, clock: env.clock, agents: env.agents, resumeNow: () => 0 },
    proc,
  );
  return { chaos, proc };
}

describe('chaos: ControlPlaneChaos validation', () => {
  it('accepts kill, with or without restartAfter (0s included)', () => {
    assert.deepEqual(errorsOf({ action: 'kill' }), []);
    assert.deepEqual(errorsOf({ action: 'kill', restartAfter: '2s' }), []);
    assert.deepEqual(errorsOf({ action: 'kill', restartAfter: '0s' }), []);
  });

  it('names the field and the reason of each mistake', () => {
    assert.deepEqual(errorsOf({}), ['spec.action: Required value']);
    assert.deepEqual(errorsOf({ action: 'pause' }), ['spec.action: Unsupported value: "pause": supported values: "kill"']);
    assert.deepEqual(errorsOf({ action: 'kill', restartAfter: 'soon' }), [
      'spec.restartAfter: Invalid value: "soon": must be a duration such as 500ms, 30s, 5m or 1h',
    ]);
    assert.deepEqual(errorsOf({ action: 'kill', restartAfter: '-2s' }), ['spec.restartAfter: Invalid value: "-2s": must not be negative']);
    assert.deepEqual(errorsOf({ action: 'kill', duration: '10s' }), [
      'spec.duration: Forbidden: a ControlPlaneChaos takes only action and restartAfter (there is one control plane to act on, once)',
    ]);
    assert.ok(errorsOf(undefined).includes('spec: Required value'), String(errorsOf(undefined)));
  });
});

describe('chaos: the ControlPlaneChaos controller', () => {
  it('records the injection in the store, asks the launcher for a restart after restartAfter, then kills its process', () => {
    const env = makeChaosEnv([]);
    let phaseAtKill: string | undefined;
    env.controlPlane.kill = function (this: FakeControlPlane) {
      phaseAtKill = get(env, 'down').status?.phase;
      this.kills++;
    };
    env.registry.create(cpChaos('down', { action: 'kill', restartAfter: '2s' }));
    const injectedAt = env.clock.now();
    env.chaos.controlPlaneChaos.reconcile('default/down');
    assert.equal(env.controlPlane.kills, 1);
    assert.equal(phaseAtKill, 'Injected', 'the status was written before the kill');
    assert.deepEqual(env.controlPlane.restartRequests, [{ delayMs: 2000, chaos: 'ControlPlaneChaos default/down', requestedAt: injectedAt }]);
    const st = get(env, 'down').status!;
    assert.equal(st.phase, 'Injected');
    assert.equal(st.injectedTime, new Date(injectedAt).toISOString());
    assert.deepEqual(
      st.records?.map((r) => [r.result, r.targets?.join(',')]),
      [['Injected', 'the control plane']],
    );
    assert.match(events(env, 'ChaosInjected')[0]!.message, /^killing the control plane \(pid \d+\) with SIGKILL; the launcher restarts it after 2s$/);

    // Looked at again by the same (about to die) process: nothing more is done.
    env.chaos.controlPlaneChaos.reconcile('default/down');
    assert.equal(env.controlPlane.kills, 1);
    assert.equal(get(env, 'down').status?.phase, 'Injected');
  });

  it('restarts at once when restartAfter is not given', () => {
    const env = makeChaosEnv([]);
    env.registry.create(cpChaos('down', { action: 'kill' }));
    env.chaos.controlPlaneChaos.reconcile('default/down');
    assert.equal(env.controlPlane.restartRequests[0]?.delayMs, 0);
    assert.match(events(env, 'ChaosInjected')[0]!.message, /restarts it at once$/);
  });

  it('the control plane started afterwards heals it, with the downtime in the status and an Event', () => {
    const env = makeChaosEnv([]);
    env.registry.create(cpChaos('down', { action: 'kill', restartAfter: '2s' }));
    env.chaos.controlPlaneChaos.reconcile('default/down');
    const next = restarted(env, 2500);
    next.chaos.controlPlaneChaos.reconcile('default/down');
    const st = get(env, 'down').status!;
    assert.equal(st.phase, 'Recovered');
    assert.equal(st.downtimeMs, 2500);
    assert.deepEqual(
      st.records?.map((r) => r.result),
      ['Injected', 'Recovered'],
    );
    const recovered = events(env, 'ChaosRecovered');
    assert.equal(recovered.length, 1);
    assert.match(recovered[0]!.message, /^the control plane is back \(pid 4243\) after 2\.5s down$/);
    assert.equal(next.proc.kills, 0, 'a healed fault is not injected again');
    next.chaos.controlPlaneChaos.reconcile('default/down');
    assert.equal(next.proc.kills, 0);
  });

  it('a control plane that shares the store and was running already heals it when it takes over', () => {
    const env = makeChaosEnv([]);
    env.registry.create(cpChaos('down', { action: 'kill' }));
    env.chaos.controlPlaneChaos.reconcile('default/down');
    assert.equal(get(env, 'down').status?.killedPid, 4242);
    const other = restarted(env, 1500, true);
    other.chaos.controlPlaneChaos.reconcile('default/down');
    const st = get(env, 'down').status!;
    assert.equal(st.phase, 'Recovered');
    assert.equal(st.downtimeMs, 1500);
    assert.equal(events(env, 'ChaosRecovered')[0]?.message, 'another control plane (pid 4243) took over 1.5s after the kill');
    assert.equal(other.proc.kills, 0);
  });

  it('refuses with a memory store, and says why', () => {
    const env = makeChaosEnv([]);
    env.controlPlane.durable = false;
    env.registry.create(cpChaos('down', { action: 'kill' }));
    env.chaos.controlPlaneChaos.reconcile('default/down');
    assert.equal(env.controlPlane.kills, 0);
    assert.deepEqual(env.controlPlane.restartRequests, []);
    const st = get(env, 'down').status!;
    assert.equal(st.phase, 'Failed');
    assert.match(st.records![0]!.message!, /^not injected: the control plane keeps its state in memory only \(--store memory\)/);
    assert.equal(events(env, 'ChaosFailed')[0]?.type, 'Warning');
  });

  it("refuses a control plane not started by kip's launcher, and says why", () => {
    const env = makeChaosEnv([]);
    env.controlPlane.launcher = false;
    env.registry.create(cpChaos('down', { action: 'kill' }));
    env.chaos.controlPlaneChaos.reconcile('default/down');
    assert.equal(env.controlPlane.kills, 0);
    const st = get(env, 'down').status!;
    assert.equal(st.phase, 'Failed');
    assert.match(
      st.records![0]!.message!,
      /not started by kip's launcher \(npm run cluster\) or an experiment's private cluster: nothing would start it again$/,
    );
  });
});

describe('chaos: kill-control-plane', () => {
  it('knows sqlite and etcd keep the state across a restart, and memory does not', () => {
    assert.equal(durableStore('sqlite'), true);
    assert.equal(durableStore('etcd'), true);
    assert.equal(durableStore('memory'), false);
    assert.equal(durableStore(undefined), false);
  });
});
