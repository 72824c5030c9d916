// The fault table: every action, network or node, is checked through the same doors the rest of
// kip uses (validation, the wire codec, the words, the agent's effects), so an action added to the
// table is tested without a test of its own.

import assert from 'node:assert/strict';
import {
  connectionEffect,
  decode,
  describeFault,
  describeParameters,
  encode,
  hasParams,
  NETWORK_ACTION_NAMES,
  NETWORK_ACTIONS,
  NetworkChaosSpecSchema,
  NODE_ACTION_NAMES,
  NODE_ACTIONS,
  NodeChaosSpecSchema,
  planNetworkFaults,
  trafficShape,
  UNSHAPED,
  validateChaosSpec,
  type NetworkChaosSpec,
  type NetworkFault,
  type NodeAction,
  type NodeChaosSpec,
} from '@kip/shared';

const literals = (schema: { anyOf?: { const?: unknown }[] }) => (schema.anyOf ?? []).map((s) => s.const);

describe('chaos: the fault table', () => {
  it('names every action once, and no action is both a network and a node action', () => {
    const names = [...NETWORK_ACTION_NAMES, ...NODE_ACTION_NAMES];
    assert.equal(new Set(names).size, names.length);
  });

  it('is the list the API schema and validation offer', () => {
    assert.deepEqual(literals(NetworkChaosSpecSchema.properties.action), NETWORK_ACTION_NAMES);
    assert.deepEqual(literals(NodeChaosSpecSchema.properties.action), NODE_ACTION_NAMES);
    const [err] = validateChaosSpec('NetworkChaos', { action: 'explode', mode: 'one' });
    assert.equal(err?.message, `Unsupported value: "explode": supported values: ${NETWORK_ACTION_NAMES.map((n) => `"${n}"`).join(', ')}`);
  });

  for (const a of NETWORK_ACTIONS) {
    describe(`network action ${a.name}`, () => {
      const spec = { action: a.name, selector: { nodes: ['node-1'] }, direction: 'both', duration: '30s', ...a.example } as NetworkChaosSpec;
      const faults = (): NetworkFault[] =>
        [...planNetworkFaults({ chaos: 'default/x', spec, nodes: ['node-1'], targets: ['node-2'], controlPlane: true, seed: 9 }).values()].flat();

      it('accepts its example, and its parameters only on itself', () => {
        assert.deepEqual(validateChaosSpec('NetworkChaos', spec), []);
        if (!hasParams(a)) return;
        assert.ok(NetworkChaosSpecSchema.properties[a.name as keyof typeof NetworkChaosSpecSchema.properties], 'its block is in the API schema');
        const other = NETWORK_ACTIONS.find((o) => o.name !== a.name)!;
        const errs = validateChaosSpec('NetworkChaos', { ...spec, action: other.name, ...other.example });
        assert.ok(
          errs.some((e) => e.field === `spec.${a.name}` && e.message.startsWith(`Forbidden: only action ${a.name} takes it`)),
          JSON.stringify(errs),
        );
        assert.ok(
          validateChaosSpec('NetworkChaos', { ...spec, [a.name]: undefined }).some((e) => e.field === `spec.${a.name}` && e.message === 'Required value'),
        );
      });

      it('goes to the agents with its parsed parameters and comes back from the wire the same', () => {
        const list = faults();
        assert.ok(list.length > 0);
        const own = new Set(Object.keys(a.wire.properties));
        for (const f of list) {
          assert.equal(f.action, a.name);
          for (const [k, v] of Object.entries(f))
            if (!['chaos', 'peer', 'controlPlane', 'direction', 'action', 'seed'].includes(k))
              assert.ok(own.has(k) && typeof v === 'number' && v >= 0, `${k}: ${String(v)}`);
        }
        assert.deepEqual(decode(encode({ type: 'faults', faults: list })), { type: 'faults', faults: list });
        for (const k of own)
          assert.throws(
            () => decode(encode({ type: 'faults', faults: [{ ...list[0]!, [k]: -1 }] })),
            new RegExp(`faults\\[0\\]\\.${k} must be a number of at least 0`),
          );
      });

      it('describes itself in words', () => {
        assert.match(describeFault(spec), new RegExp(`^${a.name}\\b`));
        const params = describeParameters(spec);
        if (hasParams(a)) assert.match(params ?? '', /^\w+=\S/);
        else assert.equal(params, undefined);
      });

      it('has an effect on the traffic of the links it is on', () => {
        const list = faults();
        if (a.enforce.scope === 'direction') assert.notDeepEqual(trafficShape(list), UNSHAPED);
        else assert.ok(connectionEffect(list).resets.length > 0);
      });
    });
  }

  it('adds up the faults on a link: delays sum, the tightest rate wins, a hold holds, resets are gathered', () => {
    const f = (action: NetworkFault['action'], more: Partial<NetworkFault>, seed = 1): NetworkFault => ({
      chaos: `default/${action}`,
      peer: 'node-2',
      direction: 'toPeer',
      action,
      seed,
      ...more,
    });
    const faults = [
      f('delay', { latencyMs: 100, jitterMs: 10, correlation: 0.25 }, 1),
      f('delay', { latencyMs: 50, correlation: 0.5 }, 2),
      f('bandwidth', { bytesPerSecond: 1000 }),
      f('bandwidth', { bytesPerSecond: 500 }),
      f('bandwidth', { bytesPerSecond: 0 }),
      f('reset', { probability: 0.5 }, 3),
      f('reset', { probability: 0 }, 4),
    ];
    assert.deepEqual(trafficShape(faults), { held: false, latencyMs: 150, jitterMs: 10, correlation: 0.5, bytesPerSecond: 500, delaySeeds: [1, 2] });
    assert.equal(trafficShape([...faults, f('partition', {})]).held, true);
    assert.deepEqual(connectionEffect(faults), { resets: [{ probability: 0.5, chaos: 'default/reset', seed: 3 }] });
  });

  for (const a of NODE_ACTIONS) {
    describe(`node action ${a.name}`, () => {
      const spec = { action: a.name, selector: { nodes: ['node-1'] }, ...a.example } as NodeChaosSpec;

      it('accepts its example, and its own fields only on itself', () => {
        assert.deepEqual(validateChaosSpec('NodeChaos', spec), []);
        for (const k of Object.keys(a.params.properties)) {
          const other = NODE_ACTIONS.find((o) => o.name !== a.name)!;
          const errs = validateChaosSpec('NodeChaos', { ...spec, action: other.name, ...other.example, [k]: spec[k as keyof NodeChaosSpec] });
          assert.ok(
            errs.some((e) => e.field === `spec.${k}` && e.message === `Forbidden: only action ${a.name} takes a ${k}`),
            JSON.stringify(errs),
          );
        }
      });

      it('goes to the agent and comes back from the wire the same', () => {
        const msg = { type: 'nodeAction', action: a.name, chaos: 'default/x', ...a.toWire(spec) } as NodeAction;
        assert.deepEqual(decode(encode(msg)), msg);
        for (const k of a.wire.required ?? []) {
          const without: Record<string, unknown> = { ...msg };
          delete without[k];
          assert.throws(() => decode(encode(without as NodeAction)), new RegExp(`${a.name} needs ${k}`));
        }
      });

      it('describes itself in words', () => {
        assert.match(describeFault(spec), new RegExp(`^${a.name}\\b`));
      });
    });
  }
});
