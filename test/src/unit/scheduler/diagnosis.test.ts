import assert from 'node:assert/strict';
import { seededRandom } from '@kip/shared';
import { decisionSeed, fitErrorMessage, NO_NODES_AVAILABLE_MESSAGE, selectHost, truncateMessage } from '@kip/controlplane';
import { numFeasibleNodesToFind } from '@kip/controlplane';

describe('scheduler FailedScheduling message', () => {
  const cases: { name: string; nodes: number; counts: [string, number][]; preFilter?: string; want: string }[] = [
    {
      name: 'counts each reason over nodes, sorted as strings like kube-scheduler',
      nodes: 5,
      counts: [
        ['Insufficient cpu', 3],
        ['node(s) were unschedulable', 2],
      ],
      want: '0/5 nodes are available: 2 node(s) were unschedulable, 3 Insufficient cpu.',
    },
    {
      name: 'sorting is by the whole "count reason" string, so 10 comes before 2',
      nodes: 12,
      counts: [
        ['node(s) were not ready', 2],
        ['Insufficient memory', 10],
      ],
      want: '0/12 nodes are available: 10 Insufficient memory, 2 node(s) were not ready.',
    },
    {
      name: 'one node that lacks two resources counts toward both',
      nodes: 1,
      counts: [
        ['Insufficient cpu', 1],
        ['Insufficient memory', 1],
      ],
      want: '0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.',
    },
    {
      name: 'a preFilter rejection replaces the per-node reasons',
      nodes: 3,
      counts: [['x', 3]],
      preFilter: 'pod has unbound immediate claims',
      want: '0/3 nodes are available: pod has unbound immediate claims.',
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(fitErrorMessage(c.nodes, new Map(c.counts), c.preFilter), c.want));

  it("uses kube-scheduler's ErrNoNodesAvailable text when there are no nodes", () => {
    assert.equal(NO_NODES_AVAILABLE_MESSAGE, 'no nodes available to schedule pods');
  });

  it('truncates long messages to the event note limit', () => {
    const long = 'x'.repeat(2000);
    const t = truncateMessage(long);
    assert.equal(t.length, 1024);
    assert.ok(t.endsWith(' ...'));
    assert.equal(truncateMessage('short'), 'short');
  });
});

describe('scheduler node search size (numFeasibleNodesToFind)', () => {
  const cases: { name: string; pct: number; nodes: number; want: number }[] = [
    { name: 'small clusters are searched whole', pct: 0, nodes: 50, want: 50 },
    { name: '100 nodes: 50% would be 50, raised to the 100 minimum', pct: 0, nodes: 100, want: 100 },
    { name: '1000 nodes: 50 - 8 = 42%', pct: 0, nodes: 1000, want: 420 },
    { name: '5000 nodes: 50 - 40 = 10%', pct: 0, nodes: 5000, want: 500 },
    { name: '6000 nodes: the adaptive percentage bottoms out at 5%', pct: 0, nodes: 6000, want: 300 },
    { name: 'an explicit percentage is used as given', pct: 10, nodes: 2000, want: 200 },
    { name: 'an explicit percentage still scores at least 100 nodes', pct: 30, nodes: 200, want: 100 },
    { name: '100% searches everything', pct: 100, nodes: 700, want: 700 },
  ];
  for (const c of cases) it(c.name, () => assert.equal(numFeasibleNodesToFind(c.pct, c.nodes), c.want));
});

describe('scheduler tie-breaking', () => {
  it('picks the highest total', () => {
    assert.equal(selectHost([10, 30, 20], seededRandom(1)), 1);
  });

  it('spreads choices evenly among equal totals', () => {
    const random = seededRandom(42);
    const hits = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) hits[selectHost([5, 9, 9, 9], random)]!++;
    assert.equal(hits[0], 0);
    for (const h of hits.slice(1)) assert.ok(h > 1100 && h < 1600, `uneven tie-breaking: ${hits.join(',')}`);
  });

  it('replays a decision from its seed alone', () => {
    const seed = decisionSeed(7, 'pod-uid', 3);
    assert.equal(seed, decisionSeed(7, 'pod-uid', 3));
    assert.notEqual(seed, decisionSeed(7, 'pod-uid', 4));
    assert.notEqual(seed, decisionSeed(8, 'pod-uid', 3));
    const totals = [50, 50, 50, 50, 50, 50];
    assert.equal(selectHost(totals, seededRandom(seed)), selectHost(totals, seededRandom(seed)));
  });
});
