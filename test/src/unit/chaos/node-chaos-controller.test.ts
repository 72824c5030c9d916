// The NodeChaos controller against a MemoryStore and a FakeClock: what it sends to agents, what
// it writes in status (phase, runs, records, nextRunTime) and which Events it records.

import assert from 'node:assert/strict';
import type { NodeChaos } from '@kip/shared';
import { addNode, events, get, makeChaosEnv, nodeChaos, sentTo, type ChaosEnv } from './fixtures.js';

const key = (name: string) => `default/${name}`;

function reconcile(env: ChaosEnv, name: string) {
  return env.chaos.nodeChaos.reconcile(key(name));
}

describe('chaos: the NodeChaos controller', () => {
  it('kills a named node: tells its agent, records it, and finishes', () => {
    const env = makeChaosEnv();
    env.registry.create(nodeChaos('k', { action: 'kill', selector: { nodes: ['node-3'] } }));
    assert.equal(reconcile(env, 'k'), undefined);
    assert.deepEqual(sentTo(env, 'node-3', 'nodeAction'), [{ type: 'nodeAction', action: 'kill', chaos: 'default/k' }]);
    assert.deepEqual(sentTo(env, 'node-1', 'nodeAction'), []);
    const st = get<NodeChaos>(env, 'NodeChaos', 'k').status!;
    assert.equal(st.phase, 'Finished');
    assert.equal(st.runs, 1);
    assert.deepEqual(
      st.records?.map((r) => [r.result, r.nodes.join(','), r.message]),
      [['Injected', 'node-3', 'killed node-3']],
    );
    const injected = events(env, 'ChaosInjected');
    assert.deepEqual(
      injected.map((e) => [e.involvedObject.kind, e.involvedObject.name, e.type]),
      [
        ['NodeChaos', 'k', 'Normal'],
        ['Node', 'node-3', 'Warning'],
      ],
    );
    const rv = env.store.resourceVersion();
    reconcile(env, 'k');
    assert.equal(env.store.resourceVersion(), rv, 'a second reconcile writes nothing');
    assert.equal(sentTo(env, 'node-3', 'nodeAction').length, 1, 'and kills nothing more');
  });

  it('fails clearly on a node that does not exist', () => {
    const env = makeChaosEnv();
    env.registry.create(nodeChaos('k', { action: 'kill', selector: { nodes: ['node-9'] } }));
    reconcile(env, 'k');
    const st = get<NodeChaos>(env, 'NodeChaos', 'k').status!;
    assert.equal(st.phase, 'Failed');
    assert.equal(st.records?.[0]?.message, 'node node-9 not found (nodes: node-1, node-2, node-3)');
    const failed = events(env, 'ChaosFailed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0]!.type, 'Warning');
    assert.equal(failed[0]!.message, 'node node-9 not found (nodes: node-1, node-2, node-3)');
  });

  it('skips a kill that would leave fewer Ready nodes than minReady, and says why', () => {
    const env = makeChaosEnv();
    env.registry.create(nodeChaos('k', { action: 'kill', mode: 'fixed', value: '2', minReady: 2, seed: 1 }));
    reconcile(env, 'k');
    const st = get<NodeChaos>(env, 'NodeChaos', 'k').status!;
    assert.equal(st.records?.[0]?.result, 'Skipped');
    assert.match(st.records![0]!.message!, /would leave 1 Ready node\(s\), fewer than minReady 2/);
    assert.equal(st.skippedRuns, 1);
    assert.equal(st.runs ?? 0, 0);
    assert.equal(events(env, 'ChaosSkipped').length, 1);
    for (const n of ['node-1', 'node-2', 'node-3']) assert.deepEqual(sentTo(env, n, 'nodeAction'), []);
  });

  it('picks only among Ready nodes with a connected agent', () => {
    const env = makeChaosEnv(['node-1']);
    addNode(env, 'node-2', false);
    env.registry.create(nodeChaos('k', { action: 'kill', mode: 'all' }));
    reconcile(env, 'k');
    const rec = get<NodeChaos>(env, 'NodeChaos', 'k').status!.records![0]!;
    assert.deepEqual(rec.nodes, ['node-1']);
    assert.match(rec.message!, /skipped node-2 \(not Ready\)/);
  });

  it('repeats on an interval until its count, with seeded choices', () => {
    const env = makeChaosEnv();
    env.registry.create(nodeChaos('k', { action: 'kill', mode: 'one', schedule: { interval: '10s', count: 3 }, seed: 42 }));
    const r1 = reconcile(env, 'k');
    assert.deepEqual(r1, { requeueAfterMs: 10_000 });
    let st = get<NodeChaos>(env, 'NodeChaos', 'k').status!;
    assert.equal(st.phase, 'Running');
    assert.equal(st.nextRunTime, new Date(env.clock.now() + 10_000).toISOString());
    // Before it is due, nothing happens.
    env.clock.advance(5000);
    assert.deepEqual(reconcile(env, 'k'), { requeueAfterMs: 5000 });
    assert.equal(get<NodeChaos>(env, 'NodeChaos', 'k').status!.runs, 1);
    for (let i = 0; i < 2; i++) {
      env.clock.advance(5000);
      // Each run draws again from the seed (the fake agents stay connected).
      reconcile(env, 'k');
      env.clock.advance(5000);
    }
    st = get<NodeChaos>(env, 'NodeChaos', 'k').status!;
    assert.equal(st.runs, 3);
    assert.equal(st.phase, 'Finished');
    assert.equal(st.nextRunTime, undefined);
    assert.equal(st.seed, 42);
    const killed = ['node-1', 'node-2', 'node-3'].flatMap((n) => sentTo(env, n, 'nodeAction').map(() => n));
    assert.equal(killed.length, 3);
    // The same seed on a fresh cluster picks the same nodes in the same order.
    const again = makeChaosEnv();
    again.registry.create(nodeChaos('k', { action: 'kill', mode: 'one', schedule: { interval: '10s', count: 3 }, seed: 42 }));
    for (let i = 0; i < 3; i++) {
      reconcile(again, 'k');
      again.clock.advance(10_000);
    }
    assert.deepEqual(
      get<NodeChaos>(again, 'NodeChaos', 'k').status!.records!.map((r) => r.nodes.join()),
      st.records!.map((r) => r.nodes.join()),
    );
  });

  it('pauses for the duration, then records the recovery', () => {
    const env = makeChaosEnv();
    env.registry.create(nodeChaos('p', { action: 'pause', selector: { nodes: ['node-2'] }, duration: '20s' }));
    assert.deepEqual(reconcile(env, 'p'), { requeueAfterMs: 20_000 });
    assert.deepEqual(sentTo(env, 'node-2', 'nodeAction'), [{ type: 'nodeAction', action: 'pause', chaos: 'default/p', durationMs: 20_000 }]);
    let st = get<NodeChaos>(env, 'NodeChaos', 'p').status!;
    assert.equal(st.phase, 'Injected');
    assert.deepEqual(st.affected, ['node-2']);
    assert.equal(st.healTime, new Date(env.clock.now() + 20_000).toISOString());
    env.clock.advance(20_000);
    assert.equal(reconcile(env, 'p'), undefined);
    st = get<NodeChaos>(env, 'NodeChaos', 'p').status!;
    assert.equal(st.phase, 'Recovered');
    assert.deepEqual(st.affected, []);
    assert.deepEqual(
      st.records!.map((r) => r.result),
      ['Injected', 'Recovered'],
    );
    assert.deepEqual(
      events(env, 'ChaosRecovered').map((e) => e.involvedObject.name),
      ['p', 'node-2'],
    );
  });

  it('a restart is over when the node has connected again, or fails saying who restarts agents', () => {
    const env = makeChaosEnv();
    env.registry.create(nodeChaos('r', { action: 'restart', selector: { nodes: ['node-1'] }, restartDelay: '2s' }));
    reconcile(env, 'r');
    assert.deepEqual(sentTo(env, 'node-1', 'nodeAction'), [{ type: 'nodeAction', action: 'restart', chaos: 'default/r', restartDelayMs: 2000 }]);
    env.clock.advance(1000);
    assert.deepEqual(reconcile(env, 'r'), { requeueAfterMs: 500 });
    env.clock.advance(2000);
    env.agents.sessions.get('node-1')!.connectedAtMs = env.clock.now();
    reconcile(env, 'r');
    assert.equal(get<NodeChaos>(env, 'NodeChaos', 'r').status!.phase, 'Recovered');

    env.registry.create(nodeChaos('r2', { action: 'restart', selector: { nodes: ['node-2'] } }));
    reconcile(env, 'r2');
    env.clock.advance(40_000);
    reconcile(env, 'r2');
    const st = get<NodeChaos>(env, 'NodeChaos', 'r2').status!;
    assert.equal(st.phase, 'Failed');
    assert.match(st.records!.at(-1)!.message!, /node-2 did not come back within 33s: only agents started by kip's launcher/);
  });

  it('ends a pause early when its object is deleted, and records the heal', () => {
    const env = makeChaosEnv();
    env.registry.create(nodeChaos('p', { action: 'pause', selector: { nodes: ['node-2'] }, duration: '1m' }));
    reconcile(env, 'p');
    env.registry.delete('NodeChaos', 'default', 'p');
    reconcile(env, 'p');
    assert.deepEqual(env.resumed, [env.agents.session('node-2')!.pid], "node-2's resumer was told");
    const healed = events(env, 'ChaosRecovered');
    assert.deepEqual(
      healed.map((e) => e.involvedObject.name),
      ['p', 'node-2'],
    );
    assert.match(healed[0]!.message, /deleted while the pause held: node-2 continued now/);
  });

  it('says so when a deleted pause has nobody left to continue', () => {
    const env = makeChaosEnv();
    env.registry.create(nodeChaos('p', { action: 'pause', selector: { nodes: ['node-2'] }, duration: '1m' }));
    reconcile(env, 'p');
    env.agents.sessions.delete('node-2');
    env.registry.delete('NodeChaos', 'default', 'p');
    reconcile(env, 'p');
    assert.deepEqual(env.resumed, []);
    assert.match(events(env, 'ChaosRecovered')[0]!.message, /no pause found to end for node-2 \(its agent is gone, or it continues at /);
  });

  it('does not touch a pause that is already over when its object is deleted', () => {
    const env = makeChaosEnv();
    env.registry.create(nodeChaos('p', { action: 'pause', selector: { nodes: ['node-2'] }, duration: '10s' }));
    reconcile(env, 'p');
    env.clock.advance(11_000);
    env.registry.delete('NodeChaos', 'default', 'p');
    reconcile(env, 'p');
    assert.deepEqual(env.resumed, []);
  });
});
