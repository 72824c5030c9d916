// Node selection: selectors by name and label, each mode with its value, percentages rounded down
// as Chaos Mesh rounds them, and seeds that make every choice repeatable.

import assert from 'node:assert/strict';
import { chooseForNetworkChaos, chooseForNodeChaos, matchNodes, modeValueError, pickNodes, seededRandom, selectionRandom, type NodeFacts } from '@kip/shared';

const nodes: NodeFacts[] = ['node-1', 'node-2', 'node-3', 'node-4', 'node-5'].map((name, i) => ({ name, labels: { zone: i < 2 ? 'a' : 'b' }, ready: true }));
const names = nodes.map((n) => n.name);

describe('chaos: node selection', () => {
  it('matches nodes by name and by label, and reports names that do not exist', () => {
    assert.deepEqual(matchNodes(undefined, nodes), { nodes: names, missing: [] });
    assert.deepEqual(matchNodes({ nodes: ['node-3', 'node-1', 'node-9'] }, nodes), { nodes: ['node-1', 'node-3'], missing: ['node-9'] });
    assert.deepEqual(matchNodes({ labelSelectors: { zone: 'a' } }, nodes).nodes, ['node-1', 'node-2']);
    assert.deepEqual(matchNodes({ nodes: ['node-1', 'node-3'], labelSelectors: { zone: 'b' } }, nodes).nodes, ['node-3']);
  });

  const cases: { name: string; mode: Parameters<typeof pickNodes>[1]; value?: string; size: number | [number, number] }[] = [
    { name: 'one takes one', mode: 'one', size: 1 },
    { name: 'all takes all (and is the default)', mode: undefined, size: 5 },
    { name: 'fixed 2 takes two', mode: 'fixed', value: '2', size: 2 },
    { name: 'fixed 9 takes what there is', mode: 'fixed', value: '9', size: 5 },
    { name: 'fixed-percent 50 of 5 rounds down to 2', mode: 'fixed-percent', value: '50', size: 2 },
    { name: 'fixed-percent 10 of 5 rounds down to 0', mode: 'fixed-percent', value: '10', size: 0 },
    { name: 'fixed-percent 100 takes all', mode: 'fixed-percent', value: '100%', size: 5 },
    { name: 'random-max-percent 60 takes 0 to 3', mode: 'random-max-percent', value: '60', size: [0, 3] },
  ];
  for (const c of cases) {
    it(`mode: ${c.name}`, () => {
      for (let seed = 0; seed < 50; seed++) {
        const got = pickNodes(names, c.mode, c.value, seededRandom(seed));
        if (Array.isArray(c.size)) assert.ok(got.length >= c.size[0] && got.length <= c.size[1], `${got.length} nodes`);
        else assert.equal(got.length, c.size);
        assert.deepEqual(got, [...new Set(got)].sort(), 'distinct and sorted');
        for (const n of got) assert.ok(names.includes(n));
      }
    });
  }

  it('the same seed picks the same nodes; different seeds spread over all of them', () => {
    const a = pickNodes(names, 'fixed', '2', selectionRandom(42, 0, 'nodes'));
    const b = pickNodes(names, 'fixed', '2', selectionRandom(42, 0, 'nodes'));
    assert.deepEqual(a, b);
    const seen = new Set<string>();
    for (let seed = 0; seed < 200; seed++) seen.add(pickNodes(names, 'one', undefined, selectionRandom(seed, 0, 'nodes'))[0]!);
    assert.deepEqual([...seen].sort(), names);
    // Each run of a schedule draws anew.
    const runs = new Set([0, 1, 2, 3, 4, 5, 6, 7].map((run) => pickNodes(names, 'one', undefined, selectionRandom(7, run, 'nodes'))[0]));
    assert.ok(runs.size > 1, 'runs differ');
  });

  it('random-max-percent reaches every size from 0 to its maximum', () => {
    const sizes = new Set<number>();
    for (let seed = 0; seed < 300; seed++) sizes.add(pickNodes(names, 'random-max-percent', '60', seededRandom(seed)).length);
    assert.deepEqual([...sizes].sort(), [0, 1, 2, 3]);
  });

  it('says why a mode and value do not go together', () => {
    assert.equal(modeValueError('one', undefined), undefined);
    assert.match(modeValueError('one', '2')!, /mode one takes no value/);
    assert.match(modeValueError('fixed', undefined)!, /needs a value/);
    assert.match(modeValueError('fixed', '0')!, /at least 1/);
    assert.match(modeValueError('fixed', 'two')!, /whole number/);
    assert.match(modeValueError('fixed-percent', '150')!, /from 1 to 100/);
    assert.equal(modeValueError('random-max-percent', '30%'), undefined);
    assert.match(modeValueError('sometimes' as never, undefined)!, /unknown mode/);
  });

  it('a node fault picks among Ready nodes and keeps minReady', () => {
    const facts = nodes.map((n) => ({ ...n, ready: n.name !== 'node-2' }));
    const all = chooseForNodeChaos({ action: 'kill', selector: { nodes: ['node-1', 'node-2'] } }, facts, 1, 0);
    assert.equal(all.result, 'Chosen');
    if (all.result === 'Chosen') {
      assert.deepEqual(all.nodes, ['node-1']);
      assert.deepEqual(all.unavailable, ['node-2']);
    }
    const guarded = chooseForNodeChaos({ action: 'kill', mode: 'fixed', value: '2', minReady: 3 }, facts, 1, 0);
    assert.equal(guarded.result, 'Skipped');
    if (guarded.result === 'Skipped') assert.match(guarded.message, /would leave 2 Ready node\(s\), fewer than minReady 3/);
    const missing = chooseForNodeChaos({ action: 'kill', selector: { nodes: ['node-9'] } }, facts, 1, 0);
    assert.deepEqual(missing, { result: 'Failed', nodes: [], message: 'node node-9 not found (nodes: node-1, node-2, node-3, node-4, node-5)' });
    const down = chooseForNodeChaos({ action: 'pause', selector: { nodes: ['node-2'] }, duration: '5s' }, facts, 1, 0);
    assert.equal(down.result, 'Skipped');
  });

  it('a network fault finds the other side: the target, every other node, or the control plane', () => {
    const toAll = chooseForNetworkChaos({ action: 'delay', selector: { nodes: ['node-1'] }, delay: { latency: '1s' } }, nodes, 1, 0);
    assert.ok(toAll.result === 'Chosen' && JSON.stringify(toAll.targets) === JSON.stringify(['node-2', 'node-3', 'node-4', 'node-5']) && !toAll.controlPlane);
    const toCp = chooseForNetworkChaos({ action: 'partition', selector: { nodes: ['node-1'] }, target: { controlPlane: true } }, nodes, 1, 0);
    assert.ok(toCp.result === 'Chosen' && toCp.targets.length === 0 && toCp.controlPlane);
    const isolate = chooseForNetworkChaos({ action: 'partition', selector: { nodes: ['node-1'] }, target: { mode: 'all', controlPlane: true } }, nodes, 1, 0);
    assert.ok(isolate.result === 'Chosen' && isolate.targets.length === 4 && !isolate.targets.includes('node-1'));
    const missing = chooseForNetworkChaos({ action: 'partition', selector: { nodes: ['node-1'] }, target: { selector: { nodes: ['node-7'] } } }, nodes, 1, 0);
    assert.equal(missing.result, 'Failed');
    const self = chooseForNetworkChaos({ action: 'partition', selector: { nodes: ['node-1'] }, target: { selector: { nodes: ['node-1'] } } }, nodes, 1, 0);
    assert.equal(self.result, 'Skipped');
  });
});
