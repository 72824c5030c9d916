import assert from 'node:assert/strict';
import type { Pod } from '@kip/shared';
import { runScorePlugin } from '@kip/controlplane';
import { NodeInfo, ZONE_LABEL } from '@kip/controlplane';
import { OwnerSpread } from '@kip/controlplane';
import { makeNode, makePod } from './fixtures.js';

function siblings(node: string, n: number, owner = 'rs-1', extra: Partial<Parameters<typeof makePod>[1]> = {}): Pod[] {
  return Array.from({ length: n }, (_, i) => makePod(`${node}-${owner}-${i}`, { nodeName: node, owner, ...extra }));
}

describe('scheduler plugin OwnerSpread', () => {
  it('scores nodes with fewer of the same owner higher', () => {
    const nodes = [NodeInfo.of(makeNode('a')), NodeInfo.of(makeNode('b'), siblings('b', 1)), NodeInfo.of(makeNode('c'), siblings('c', 2))];
    assert.deepEqual(runScorePlugin(OwnerSpread, makePod('p', { owner: 'rs-1' }), nodes), [100, 50, 0]);
  });

  it('ignores pods of other owners', () => {
    const nodes = [NodeInfo.of(makeNode('a'), siblings('a', 3, 'rs-other')), NodeInfo.of(makeNode('b'), siblings('b', 1))];
    assert.deepEqual(runScorePlugin(OwnerSpread, makePod('p', { owner: 'rs-1' }), nodes), [100, 0]);
  });

  it('ignores siblings being deleted, as SelectorSpread does', () => {
    const nodes = [
      NodeInfo.of(makeNode('a'), siblings('a', 2, 'rs-1', { deletionTimestamp: '2026-01-01T00:00:00Z' })),
      NodeInfo.of(makeNode('b'), siblings('b', 1)),
    ];
    assert.deepEqual(runScorePlugin(OwnerSpread, makePod('p', { owner: 'rs-1' }), nodes), [100, 0]);
  });

  it('gives every node full marks to a pod without a controller', () => {
    const nodes = [NodeInfo.of(makeNode('a'), siblings('a', 2)), NodeInfo.of(makeNode('b'))];
    assert.deepEqual(runScorePlugin(OwnerSpread, makePod('p'), nodes), [100, 100]);
  });

  it('weighs zones 2/3 when nodes carry topology.kubernetes.io/zone', () => {
    const z = (zone: string) => ({ labels: { [ZONE_LABEL]: zone } });
    const nodes = [NodeInfo.of(makeNode('a1', z('a')), siblings('a1', 1)), NodeInfo.of(makeNode('a2', z('a'))), NodeInfo.of(makeNode('b1', z('b')))];
    // a1: node 0, zone 0 -> 0. a2: node 100 * 1/3 + zone 0 -> 33. b1: node 100 * 1/3 + zone 100 * 2/3 -> 100.
    assert.deepEqual(runScorePlugin(OwnerSpread, makePod('p', { owner: 'rs-1' }), nodes), [0, 33, 100]);
  });

  it('has weight 2', () => {
    assert.equal(OwnerSpread.weight, 2);
  });
});
