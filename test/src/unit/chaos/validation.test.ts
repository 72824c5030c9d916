// Validation of fault objects through validateObject, as the API server runs it: each bad field
// gets an error that names it and says why.

import assert from 'node:assert/strict';
import { CHAOS_API_VERSION, validateObject } from '@kip/shared';

function nodeChaos(spec: Record<string, unknown>) {
  return { apiVersion: CHAOS_API_VERSION, kind: 'NodeChaos', metadata: { name: 'x', namespace: 'default' }, spec };
}
function networkChaos(spec: Record<string, unknown>) {
  return { apiVersion: CHAOS_API_VERSION, kind: 'NetworkChaos', metadata: { name: 'x', namespace: 'default' }, spec };
}
const errorsOf = (o: unknown) => validateObject(o).map((e) => `${e.field}: ${e.message}`);

describe('chaos: validation', () => {
  it('accepts well-formed faults', () => {
    const good = [
      nodeChaos({ action: 'kill', selector: { nodes: ['node-3'] } }),
      nodeChaos({ action: 'kill', mode: 'one', schedule: { interval: '10s', count: 5 }, minReady: 3, seed: 42 }),
      nodeChaos({ action: 'pause', selector: { labelSelectors: { zone: 'a' } }, mode: 'fixed', value: '1', duration: '20s' }),
      nodeChaos({ action: 'restart', selector: { nodes: ['node-1'] }, restartDelay: '2s' }),
      networkChaos({
        action: 'delay',
        selector: { nodes: ['node-1'] },
        delay: { latency: '100ms', jitter: '20ms', correlation: '25' },
        direction: 'both',
        duration: '1m',
      }),
      networkChaos({ action: 'bandwidth', selector: { nodes: ['node-1'] }, bandwidth: { rate: '1mbps' }, target: { selector: { nodes: ['node-2'] } } }),
      networkChaos({ action: 'reset', selector: { nodes: ['node-1'] }, reset: { probability: '0.5' } }),
      networkChaos({ action: 'partition', selector: { nodes: ['node-4'] }, target: { mode: 'all', controlPlane: true }, direction: 'both' }),
      networkChaos({ action: 'timeout', mode: 'fixed-percent', value: '50', duration: '10s', schedule: { cron: '*/5 * * * *' } }),
    ];
    for (const o of good) assert.deepEqual(errorsOf(o), [], JSON.stringify(o.spec));
  });

  const bad: [string, unknown, RegExp][] = [
    ['a missing action', nodeChaos({ selector: { nodes: ['a'] } }), /^spec\.action: Required value: one of "kill", "pause", "restart"$/],
    [
      'an unknown action',
      nodeChaos({ action: 'explode', selector: { nodes: ['a'] } }),
      /^spec\.action: Unsupported value: "explode": supported values: "kill", "pause", "restart"$/,
    ],
    ['a network action on a NodeChaos', nodeChaos({ action: 'delay', selector: { nodes: ['a'] } }), /^spec\.action: Unsupported value: "delay"/],
    [
      'a bad mode',
      nodeChaos({ action: 'kill', mode: 'most' }),
      /^spec\.mode: Unsupported value: "most": supported values: "one", "all", "fixed", "fixed-percent", "random-max-percent"$/,
    ],
    ['fixed without a value', nodeChaos({ action: 'kill', mode: 'fixed' }), /^spec\.value: mode fixed needs a value/],
    ['a percentage over 100', nodeChaos({ action: 'kill', mode: 'fixed-percent', value: '150' }), /^spec\.value: must be a percentage from 1 to 100/],
    ['no selector and no mode', nodeChaos({ action: 'kill' }), /^spec\.selector: Required value: name nodes/],
    ['an empty node list', nodeChaos({ action: 'kill', selector: { nodes: [] } }), /^spec\.selector\.nodes: Required value/],
    ['a bad node name', nodeChaos({ action: 'kill', selector: { nodes: ['Node_1'] } }), /^spec\.selector\.nodes\[0\]: Invalid value: "Node_1"/],
    [
      'a negative duration',
      nodeChaos({ action: 'pause', selector: { nodes: ['a'] }, duration: '-5s' }),
      /^spec\.duration: Invalid value: "-5s": must not be negative$/,
    ],
    [
      'a duration that is not one',
      nodeChaos({ action: 'pause', selector: { nodes: ['a'] }, duration: 'a while' }),
      /^spec\.duration: Invalid value: "a while": must be a duration such as/,
    ],
    [
      'a zero duration',
      nodeChaos({ action: 'pause', selector: { nodes: ['a'] }, duration: '0s' }),
      /^spec\.duration: Invalid value: "0s": must be longer than 0s$/,
    ],
    ['a pause without a duration', nodeChaos({ action: 'pause', selector: { nodes: ['a'] } }), /^spec\.duration: Required value: a pause needs a duration/],
    ['a kill with a duration', nodeChaos({ action: 'kill', selector: { nodes: ['a'] }, duration: '5s' }), /^spec\.duration: Forbidden: kill happens at once/],
    [
      'a restartDelay on a kill',
      nodeChaos({ action: 'kill', selector: { nodes: ['a'] }, restartDelay: '5s' }),
      /^spec\.restartDelay: Forbidden: only action restart/,
    ],
    [
      'a negative minReady',
      nodeChaos({ action: 'kill', selector: { nodes: ['a'] }, minReady: -1 }),
      /^spec\.minReady: Invalid value: -1: must be greater than or equal to 0$/,
    ],
    [
      'a bad cron',
      nodeChaos({ action: 'kill', mode: 'one', schedule: { cron: '* * *' } }),
      /^spec\.schedule\.cron: Invalid value: "\* \* \*" has 3 field\(s\)/,
    ],
    [
      'a zero count',
      nodeChaos({ action: 'kill', mode: 'one', schedule: { interval: '10s', count: 0 } }),
      /^spec\.schedule\.count: Invalid value: 0: must be greater than or equal to 1$/,
    ],
    [
      'pauses that would overlap',
      nodeChaos({ action: 'pause', mode: 'one', duration: '20s', schedule: { interval: '10s' } }),
      /^spec\.schedule\.interval: Invalid value: "10s": must be longer than spec\.duration/,
    ],
    [
      'a delay without latency',
      networkChaos({ action: 'delay', selector: { nodes: ['a'] }, delay: { jitter: '5ms' } }),
      /^spec\.delay\.latency: Required value$/,
    ],
    ['a delay without its block', networkChaos({ action: 'delay', selector: { nodes: ['a'] } }), /^spec\.delay: Required value$/],
    [
      'a bad correlation',
      networkChaos({ action: 'delay', selector: { nodes: ['a'] }, delay: { latency: '1ms', correlation: '120' } }),
      /^spec\.delay\.correlation: Invalid value: "120": must be a percentage from 0 to 100/,
    ],
    [
      'a bad rate',
      networkChaos({ action: 'bandwidth', selector: { nodes: ['a'] }, bandwidth: { rate: 'fast' } }),
      /^spec\.bandwidth\.rate: Invalid value: "fast": must be a rate such as "1mbps"/,
    ],
    [
      'a probability over 1',
      networkChaos({ action: 'reset', selector: { nodes: ['a'] }, reset: { probability: '1.5' } }),
      /^spec\.reset\.probability: Invalid value: "1\.5": must be a probability from 0 to 1/,
    ],
    ['a missing probability', networkChaos({ action: 'reset', selector: { nodes: ['a'] }, reset: {} }), /^spec\.reset\.probability: Required value/],
    [
      'parameters of another action',
      networkChaos({ action: 'partition', selector: { nodes: ['a'] }, delay: { latency: '1ms' } }),
      /^spec\.delay: Forbidden: only action delay takes it \(this fault is partition\)$/,
    ],
    [
      'a bad direction',
      networkChaos({ action: 'partition', selector: { nodes: ['a'] }, direction: 'sideways' }),
      /^spec\.direction: Unsupported value: "sideways"/,
    ],
    [
      'a repeating fault without a duration',
      networkChaos({ action: 'partition', mode: 'one', schedule: { interval: '1m' } }),
      /^spec\.duration: Required value: a repeating network fault needs a duration/,
    ],
    [
      'a bad target mode',
      networkChaos({ action: 'partition', selector: { nodes: ['a'] }, target: { mode: 'fixed' } }),
      /^spec\.target\.value: mode fixed needs a value/,
    ],
    [
      'a controlPlane that is not a boolean',
      networkChaos({ action: 'partition', selector: { nodes: ['a'] }, target: { controlPlane: 'yes' } }),
      /^spec\.target\.controlPlane: must be true or false/,
    ],
    [
      'a minReady on a NetworkChaos',
      networkChaos({ action: 'partition', selector: { nodes: ['a'] }, minReady: 2 }),
      /^spec\.minReady: Forbidden: only a NodeChaos takes it$/,
    ],
    ['no spec', { apiVersion: CHAOS_API_VERSION, kind: 'NodeChaos', metadata: { name: 'x' } }, /^spec: Required value$/],
  ];
  for (const [what, obj, re] of bad) {
    it(`refuses ${what}`, () => {
      const errs = errorsOf(obj);
      assert.ok(
        errs.some((e) => re.test(e)),
        `expected ${re} in ${JSON.stringify(errs)}`,
      );
    });
  }
});
