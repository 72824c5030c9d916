// Who enforces what: every byte between two nodes crosses two links, so each fault is enforced on
// exactly one side of each affected link, in the right direction seen from that side.

import assert from 'node:assert/strict';
import { planNetworkFaults, type NetworkChaosSpec, type NetworkFault } from '@kip/shared';

function plan(spec: NetworkChaosSpec, nodes: string[], targets: string[], controlPlane = false): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [node, faults] of planNetworkFaults({ chaos: 'default/x', spec, nodes, targets, controlPlane, seed: 1 })) out[node] = faults.map(show);
  return out;
}
const show = (f: NetworkFault) => `${f.controlPlane ? 'control-plane' : f.peer}:${f.direction}`;

describe('chaos: fault planning', () => {
  it('direction "to" shapes what the chosen nodes send, at their side', () => {
    assert.deepEqual(plan({ action: 'delay', delay: { latency: '10ms' } }, ['n1'], ['n2', 'n3']), { n1: ['n2:toPeer', 'n3:toPeer'] });
  });

  it('direction "from" shapes what the chosen nodes receive, still at their side', () => {
    assert.deepEqual(plan({ action: 'delay', direction: 'from', delay: { latency: '10ms' } }, ['n1'], ['n2']), { n1: ['n2:fromPeer'] });
  });

  it('a partition of two sets is enforced by the first set only, both ways', () => {
    assert.deepEqual(plan({ action: 'partition', direction: 'both' }, ['n1', 'n2'], ['n3']), { n1: ['n3:both'], n2: ['n3:both'] });
  });

  it('chosen nodes among their own targets each shape what they send, once per direction', () => {
    const p = plan({ action: 'delay', direction: 'both', delay: { latency: '10ms' } }, ['n1', 'n2'], ['n1', 'n2', 'n3']);
    // n1->n2 at n1, n2->n1 at n2; n3's traffic to them is shaped at their side.
    assert.deepEqual(p, { n1: ['n2:toPeer', 'n3:both'], n2: ['n1:toPeer', 'n3:both'] });
  });

  it('resets act on connections: one side per pair, the first chosen node by name', () => {
    assert.deepEqual(plan({ action: 'reset', direction: 'both', reset: { probability: '0.5' } }, ['n2', 'n1'], ['n1', 'n2', 'n3']), {
      n1: ['n2:both', 'n3:both'],
      n2: ['n3:both'],
    });
  });

  it('the control plane is always shaped at the agent side', () => {
    assert.deepEqual(plan({ action: 'partition', direction: 'both' }, ['n4'], ['n1'], true), { n4: ['control-plane:both', 'n1:both'] });
    assert.deepEqual(plan({ action: 'delay', direction: 'from', delay: { latency: '5ms' } }, ['n4'], [], true), { n4: ['control-plane:fromPeer'] });
  });

  it('carries parsed parameters and a seed per link', () => {
    const faults = planNetworkFaults({
      chaos: 'default/x',
      spec: { action: 'delay', delay: { latency: '100ms', jitter: '20ms', correlation: '25' } },
      nodes: ['n1'],
      targets: ['n2', 'n3'],
      controlPlane: false,
      seed: 9,
    }).get('n1')!;
    assert.equal(faults[0]!.latencyMs, 100);
    assert.equal(faults[0]!.jitterMs, 20);
    assert.equal(faults[0]!.correlation, 0.25);
    assert.notEqual(faults[0]!.seed, faults[1]!.seed);
    const bw = planNetworkFaults({
      chaos: 'd/b',
      spec: { action: 'bandwidth', bandwidth: { rate: '1mbps' } },
      nodes: ['n1'],
      targets: ['n2'],
      controlPlane: false,
      seed: 9,
    }).get('n1')!;
    assert.equal(bw[0]!.bytesPerSecond, 125_000);
  });
});
