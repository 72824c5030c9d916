import assert from 'node:assert/strict';
import type { ScoreResult } from '@kip/controlplane';
import { NodeInfo } from '@kip/controlplane';
import { expandScored, summarizeScores } from '@kip/controlplane';
import { makeNode } from './fixtures.js';

function result(totals: number[], plugins: Record<string, number[] | undefined>): ScoreResult {
  return {
    totals: Float64Array.from(totals),
    byPlugin: Object.entries(plugins).map(([plugin, s]) => ({ plugin, weight: 1, scores: s && Float64Array.from(s) })),
  };
}

const nodes = ['n0', 'n1', 'n2', 'n3', 'n4'].map((n) => NodeInfo.of(makeNode(n)));

describe('scheduler score summary', () => {
  const cases: { name: string; totals: number[]; chosen: number; limit: number; want: string[] }[] = [
    { name: 'lists the chosen node first, then the rest best first', totals: [10, 50, 30, 40, 20], chosen: 1, limit: 10, want: ['n1', 'n3', 'n2', 'n4', 'n0'] },
    { name: 'keeps only the best up to the limit', totals: [10, 50, 30, 40, 20], chosen: 1, limit: 3, want: ['n1', 'n3', 'n2'] },
    {
      name: 'keeps the chosen node first even when a tie-break picked it among equals',
      totals: [50, 50, 50, 10, 10],
      chosen: 2,
      limit: 3,
      want: ['n2', 'n0', 'n1'],
    },
    { name: 'keeps the earlier node among equal totals', totals: [5, 9, 9, 9, 9], chosen: 4, limit: 3, want: ['n4', 'n1', 'n2'] },
    { name: 'a limit of one is the chosen node alone', totals: [1, 2, 3, 4, 5], chosen: 4, limit: 1, want: ['n4'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const s = summarizeScores(nodes, result(c.totals, {}), c.chosen, c.limit);
      assert.deepEqual(s?.nodes, c.want);
    });
  }

  it('keeps nothing when the limit is 0', () => {
    assert.equal(summarizeScores(nodes, result([1, 2, 3, 4, 5], {}), 4, 0), undefined);
    assert.deepEqual(expandScored(undefined), []);
  });

  it('expands to Diagnosis.scored, with 0 for a plugin that skipped the cycle', () => {
    const s = summarizeScores(nodes.slice(0, 2), result([130, 250], { fit: [30, 50], skipped: undefined, spread: [100, 100] }), 1, 10);
    assert.deepEqual(expandScored(s), [
      { node: 'n1', total: 250, scores: { fit: 50, skipped: 0, spread: 100 } },
      { node: 'n0', total: 130, scores: { fit: 30, skipped: 0, spread: 100 } },
    ]);
  });
});
