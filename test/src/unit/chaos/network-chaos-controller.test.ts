// The NetworkChaos controller and the fault publisher against a MemoryStore and a FakeClock: the
// nodes and targets it records, the fault set each agent is sent (and sent again only when it
// changes), what a connecting agent gets, and healing by duration and by deletion.

import assert from 'node:assert/strict';
import type { NetworkChaos } from '@kip/shared';
import { events, get, makeChaosEnv, networkChaos, sentTo, type ChaosEnv } from './fixtures.js';

function reconcile(env: ChaosEnv, name: string) {
  return env.chaos.networkChaos.reconcile(`default/${name}`);
}

describe('chaos: the NetworkChaos controller', () => {
  it('partitions two sets: records them, and sends the first set its faults', () => {
    const env = makeChaosEnv();
    env.registry.create(
      networkChaos('part', { action: 'partition', selector: { nodes: ['node-1', 'node-2'] }, target: { selector: { nodes: ['node-3'] } }, direction: 'both' }),
    );
    assert.equal(reconcile(env, 'part'), undefined, 'no duration: nothing to wake up for');
    const st = get<NetworkChaos>(env, 'NetworkChaos', 'part').status!;
    assert.equal(st.phase, 'Injected');
    assert.deepEqual(st.affected, ['node-1', 'node-2']);
    assert.deepEqual(st.targets, ['node-3']);
    assert.equal(st.records![0]!.message, 'partition on node-1, node-2 <-> node-3 until deleted');
    for (const n of ['node-1', 'node-2']) {
      const f = sentTo(env, n, 'faults');
      assert.equal(f.length, 1);
      assert.deepEqual(
        f[0]!.faults.map((x) => [x.peer, x.direction, x.action, x.chaos]),
        [['node-3', 'both', 'partition', 'default/part']],
      );
    }
    assert.deepEqual(sentTo(env, 'node-3', 'faults'), [], 'the other side enforces nothing');
    reconcile(env, 'part');
    assert.equal(sentTo(env, 'node-1', 'faults').length, 1, 'an unchanged set is not sent again');
    assert.deepEqual(env.chaos.initialMessages('node-1'), [sentTo(env, 'node-1', 'faults')[0]], 'a reconnecting agent gets its set again');
    assert.deepEqual(env.chaos.initialMessages('node-3'), [{ type: 'faults', faults: [] }]);
  });

  it('heals by itself when its duration ends', () => {
    const env = makeChaosEnv();
    env.registry.create(networkChaos('d', { action: 'delay', selector: { nodes: ['node-1'] }, delay: { latency: '100ms', jitter: '10ms' }, duration: '30s' }));
    assert.deepEqual(reconcile(env, 'd'), { requeueAfterMs: 30_000 });
    const f = sentTo(env, 'node-1', 'faults')[0]!.faults;
    assert.deepEqual(
      f.map((x) => [x.peer, x.direction, x.latencyMs, x.jitterMs]),
      [
        ['node-2', 'toPeer', 100, 10],
        ['node-3', 'toPeer', 100, 10],
      ],
    );
    env.clock.advance(30_000);
    reconcile(env, 'd');
    const st = get<NetworkChaos>(env, 'NetworkChaos', 'd').status!;
    assert.equal(st.phase, 'Recovered');
    assert.deepEqual(sentTo(env, 'node-1', 'faults').at(-1), { type: 'faults', faults: [] });
    assert.deepEqual(
      events(env, 'ChaosRecovered').map((e) => e.involvedObject.name),
      ['d', 'node-1'],
    );
  });

  it('heals when deleted', () => {
    const env = makeChaosEnv();
    env.registry.create(
      networkChaos('iso', { action: 'partition', selector: { nodes: ['node-2'] }, target: { mode: 'all', controlPlane: true }, direction: 'both' }),
    );
    reconcile(env, 'iso');
    const faults = sentTo(env, 'node-2', 'faults')[0]!.faults;
    assert.deepEqual(
      faults.map((x) => (x.controlPlane ? 'control plane' : x.peer)),
      ['control plane', 'node-1', 'node-3'],
    );
    env.registry.delete('NetworkChaos', 'default', 'iso');
    reconcile(env, 'iso');
    assert.deepEqual(sentTo(env, 'node-2', 'faults').at(-1), { type: 'faults', faults: [] });
    assert.deepEqual(
      events(env, 'ChaosRecovered').map((e) => e.involvedObject.name),
      ['iso', 'node-2'],
    );
  });

  it('fails clearly when a target node does not exist', () => {
    const env = makeChaosEnv();
    env.registry.create(networkChaos('p', { action: 'partition', selector: { nodes: ['node-1'] }, target: { selector: { nodes: ['node-9'] } } }));
    reconcile(env, 'p');
    const st = get<NetworkChaos>(env, 'NetworkChaos', 'p').status!;
    assert.equal(st.phase, 'Failed');
    assert.equal(st.records![0]!.message, 'node node-9 not found (nodes: node-1, node-2, node-3)');
    assert.deepEqual(sentTo(env, 'node-1', 'faults'), []);
  });

  it('a node that is not connected gets its set when it connects', () => {
    const env = makeChaosEnv();
    env.agents.sessions.delete('node-1');
    env.registry.create(networkChaos('p', { action: 'timeout', selector: { nodes: ['node-1'] }, target: { selector: { nodes: ['node-2'] } } }));
    reconcile(env, 'p');
    const [msg] = env.chaos.initialMessages('node-1');
    assert.equal(msg?.type, 'faults');
    assert.deepEqual(
      (msg as { faults: { action: string }[] }).faults.map((f) => f.action),
      ['timeout'],
    );
  });
});
