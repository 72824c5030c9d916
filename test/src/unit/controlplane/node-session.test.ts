// What one agent's session may change: its own pods, never another node's, whatever it sends.

import assert from 'node:assert/strict';
import { PROTOCOL_VERSION, silentLogger, type AgentMessage, type Channel, type ControlPlaneMessage, type Event, type Hello, type Pod } from '@kip/shared';
import { MAX_EVENT_MESSAGE, MAX_EVENT_REASON, NodeSession } from '@kip/controlplane';
import { StoreEventRecorder } from '@kip/controlplane';
import { makeEnv, pod, type Env } from './fixtures.js';

function hello(name: string): Hello {
  return { type: 'hello', protocol: PROTOCOL_VERSION, token: 't', node: { name, capacity: {}, labels: {}, pid: 1, version: '0' }, pods: [] };
}

/** A channel that only counts what the session does with it: the dispatcher is what is tested. */
function fakeChannel(): Channel<AgentMessage, ControlPlaneMessage> {
  return { send: () => true, close: () => undefined } as unknown as Channel<AgentMessage, ControlPlaneMessage>;
}

describe('controlplane/api/node-session', () => {
  let env: Env;
  const session = (node: string) =>
    new NodeSession(fakeChannel(), hello(node), {
      store: env.store,
      registry: env.registry,
      recorder: new StoreEventRecorder(env.store, { component: 'test', clock: env.clock }),
      log: silentLogger,
      clock: env.clock,
      now: () => env.clock.now(),
    });
  const stored = () => env.store.get<Pod>('Pod', 'default', 'p');

  beforeEach(() => {
    env = makeEnv();
    env.terminating.add('node-a');
    env.registry.create(pod('p', { namespace: 'default', nodeName: 'node-a' }));
    env.registry.delete('Pod', 'default', 'p');
    assert.ok(stored()?.metadata.deletionTimestamp, 'the pod is terminating on node-a');
  });

  it("a node reporting that another node's terminating pod stopped changes nothing", () => {
    const ref = { namespace: 'default', name: 'p', uid: stored()!.metadata.uid! };
    session('node-b').handle({ type: 'podTerminated', ...ref });
    assert.ok(stored(), 'the pod stays until its own node has stopped it');
    session('node-a').handle({ type: 'podTerminated', ...ref });
    assert.equal(stored(), undefined, 'its own node finalizes it');
  });

  it("a node reporting the status of another node's pod changes nothing", () => {
    const before = structuredClone(stored());
    session('node-b').handle({
      type: 'podStatus',
      updates: [{ namespace: 'default', name: 'p', uid: before!.metadata.uid!, status: { phase: 'Failed', message: 'not yours' } }],
    });
    assert.deepEqual(stored(), before);
  });

  it("keeps an event's message and reason short, however long the agent sent them", () => {
    const ref = { kind: 'Pod', namespace: 'default', name: 'p', uid: stored()!.metadata.uid! };
    session('node-a').handle({
      type: 'events',
      events: [{ involvedObject: ref, reason: 'R'.repeat(10_000), message: 'm'.repeat(1_000_000), type: 'Warning' }],
    });
    const events = env.store.list<Event>('Event', { namespace: 'default' }).items.filter((e) => e.reason?.startsWith('R'));
    assert.equal(events.length, 1);
    assert.equal(events[0]!.message!.length, MAX_EVENT_MESSAGE);
    assert.ok(events[0]!.message!.endsWith('...'));
    assert.equal(events[0]!.reason!.length, MAX_EVENT_REASON);
  });
});
