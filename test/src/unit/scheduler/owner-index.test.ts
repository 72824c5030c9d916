import assert from 'node:assert/strict';
import type { Pod } from '@kip/shared';
import { SchedulerCache } from '@kip/controlplane';
import { makeNode, makePod } from './fixtures.js';

/** The index as plain data: owner -> node name -> count. */
function indexOf(c: SchedulerCache, owners: string[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const o of owners) {
    const m = c.nodesOfOwner(o);
    if (m.size > 0) out[o] = Object.fromEntries([...m].map(([ni, n]) => [ni.name, n]));
  }
  return out;
}

/** The same, read from each node's own ownerCounts: the index must always agree with it. */
function fromNodes(c: SchedulerCache, nodes: string[], owners: string[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const o of owners)
    for (const n of nodes) {
      const k = c.getNode(n)?.ownerCounts.get(o);
      if (k) (out[o] ??= {})[n] = k;
    }
  return out;
}

const OWNERS = ['rs-1', 'rs-2'];
const NODES = ['n1', 'n2', 'gone'];

describe('scheduler cache owner index (nodesOfOwner)', () => {
  const steps: { name: string; apply: (c: SchedulerCache) => void; want: Record<string, Record<string, number>> }[] = [
    { name: 'counts bound pods per owner and node', apply: (c) => c.updatePod(makePod('a', { nodeName: 'n1', owner: 'rs-1' })), want: { 'rs-1': { n1: 1 } } },
    { name: 'adds a sibling on another node', apply: (c) => c.updatePod(makePod('b', { nodeName: 'n2', owner: 'rs-1' })), want: { 'rs-1': { n1: 1, n2: 1 } } },
    { name: 'counts an assumed pod', apply: (c) => c.assume(makePod('c', { owner: 'rs-1' }), 'n1'), want: { 'rs-1': { n1: 2, n2: 1 } } },
    {
      name: 'does not count the confirmation twice',
      apply: (c) => c.updatePod(makePod('c', { nodeName: 'n1', owner: 'rs-1' })),
      want: { 'rs-1': { n1: 2, n2: 1 } },
    },
    { name: 'moves a pod that changed nodes', apply: (c) => c.updatePod(makePod('b', { nodeName: 'n1', owner: 'rs-1' })), want: { 'rs-1': { n1: 3 } } },
    {
      name: 'stops counting a terminating pod',
      apply: (c) => c.updatePod(makePod('a', { nodeName: 'n1', owner: 'rs-1', deletionTimestamp: '2026-01-01T00:00:00Z' })),
      want: { 'rs-1': { n1: 2 } },
    },
    { name: 'keeps owners apart', apply: (c) => c.updatePod(makePod('d', { nodeName: 'n2', owner: 'rs-2' })), want: { 'rs-1': { n1: 2 }, 'rs-2': { n2: 1 } } },
    { name: 'forgets a deleted pod', apply: (c) => c.removePod('uid-d'), want: { 'rs-1': { n1: 2 } } },
    {
      name: 'forgets a finished pod',
      apply: (c) => c.updatePod(makePod('c', { nodeName: 'n1', owner: 'rs-1', phase: 'Succeeded' })),
      want: { 'rs-1': { n1: 1 } },
    },
    {
      name: 'forgets an assumed pod whose bind failed',
      apply: (c) => (c.assume(makePod('e', { owner: 'rs-1' }), 'n2'), c.forget('uid-e')),
      want: { 'rs-1': { n1: 1 } },
    },
    {
      name: 'counts pods on a node that is not known yet',
      apply: (c) => c.updatePod(makePod('f', { nodeName: 'gone', owner: 'rs-2' })),
      want: { 'rs-1': { n1: 1 }, 'rs-2': { gone: 1 } },
    },
  ];

  it('follows every change exactly as the nodes own counts do', () => {
    const c = new SchedulerCache();
    c.upsertNode(makeNode('n1'));
    c.upsertNode(makeNode('n2'));
    for (const s of steps) {
      s.apply(c);
      assert.deepEqual(indexOf(c, OWNERS), s.want, s.name);
      assert.deepEqual(fromNodes(c, NODES, OWNERS), s.want, `${s.name} (ownerCounts)`);
    }
  });

  it('drops an owner once none of its pods are left, so rollouts do not grow it', () => {
    const c = new SchedulerCache();
    c.upsertNode(makeNode('n1'));
    const pods: Pod[] = Array.from({ length: 3 }, (_, i) => makePod(`p${i}`, { nodeName: 'n1', owner: `rs-${i}` }));
    for (const p of pods) c.updatePod(p);
    assert.equal(c.owners.size, 3);
    for (const p of pods) c.removePod(p.metadata.uid!);
    assert.equal(c.owners.size, 0);
  });

  it('answers an empty map for an owner it never saw', () => {
    assert.equal(new SchedulerCache().nodesOfOwner('nobody').size, 0);
  });
});
