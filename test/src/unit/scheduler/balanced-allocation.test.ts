import assert from 'node:assert/strict';
import { runScorePlugin } from '@kip/controlplane';
import { NodeInfo } from '@kip/controlplane';
import { BalancedAllocation, balancedCpuMemoryScore, balancedResourceScore } from '@kip/controlplane';
import { makeNode, makePod } from './fixtures.js';

const GI = 2 ** 30;

describe('scheduler plugin NodeResourcesBalancedAllocation', () => {
  const table: { name: string; requested: number[]; allocatable: number[]; want: number }[] = [
    { name: 'equal fractions score 100', requested: [2000, 4 * GI], allocatable: [4000, 8 * GI], want: 100 },
    { name: 'fractions 0.75 and 0.25 deviate by 0.25 and score 75', requested: [3000, 2 * GI], allocatable: [4000, 8 * GI], want: 75 },
    { name: 'a fraction over 1 counts as 1', requested: [8000, 0], allocatable: [4000, 8 * GI], want: 50 },
    { name: 'a resource the node lacks is left out', requested: [1000, GI], allocatable: [4000, 0], want: 100 },
    { name: 'three resources use the standard deviation', requested: [1, 2, 3], allocatable: [4, 4, 4], want: 79 },
  ];
  for (const c of table) it(c.name, () => assert.equal(balancedResourceScore(c.requested, c.allocatable), c.want));
  for (const c of table.filter((t) => t.requested.length === 2))
    it(`the cpu/memory fast path agrees: ${c.name}`, () =>
      assert.equal(balancedCpuMemoryScore(c.requested[0]!, c.allocatable[0]!, c.requested[1]!, c.allocatable[1]!), c.want));

  it('prefers the node where the pod evens out cpu and memory use', () => {
    const cpuHeavy = NodeInfo.of(makeNode('cpu-heavy'), [makePod('e', { nodeName: 'cpu-heavy', cpu: '2' })]);
    const memHeavy = NodeInfo.of(makeNode('mem-heavy'), [makePod('f', { nodeName: 'mem-heavy', memory: '4Gi' })]);
    // A memory-hungry pod balances the cpu-heavy node: 0.5 / 0.5 -> 100; on the other 0 / 1 -> 50.
    assert.deepEqual(runScorePlugin(BalancedAllocation, makePod('p', { memory: '4Gi' }), [cpuHeavy, memHeavy]), [100, 50]);
  });

  it('does not score best-effort pods, as kube-scheduler skips them', () => {
    const nodes = [NodeInfo.of(makeNode('a')), NodeInfo.of(makeNode('b'), [makePod('e', { nodeName: 'b', cpu: '3' })])];
    assert.deepEqual(runScorePlugin(BalancedAllocation, makePod('p'), nodes), [0, 0]);
  });

  it('has weight 1 and no events (scoring never rejects)', () => {
    assert.equal(BalancedAllocation.weight, 1);
    assert.deepEqual([...BalancedAllocation.events], []);
  });
});
