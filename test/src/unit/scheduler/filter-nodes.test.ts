import assert from 'node:assert/strict';
import type { Pod } from '@kip/shared';
import {
  CycleState,
  defaultPlugins,
  findPlacement,
  Framework,
  isFilterPlugin,
  SchedulerCache,
  SUCCESS,
  unschedulable,
  type FilterPlugin,
  type NodeInfo,
  type PluginStatus,
  type Status,
  type Verdicts,
} from '@kip/controlplane';
import { makeNode, makePod } from './fixtures.js';

/** Nodes that each trip a different filter: cordoned, not ready, tainted, full, unlabelled, and fitting ones between. */
function cluster(): SchedulerCache {
  const c = new SchedulerCache();
  for (let i = 0; i < 24; i++) {
    const kind = i % 6;
    c.upsertNode(
      makeNode(`n${i}`, {
        unschedulable: kind === 1,
        ready: kind === 2 ? 'False' : 'True',
        taints: kind === 3 ? [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] : undefined,
        cpu: kind === 4 ? '1' : '4',
        labels: kind === 5 ? {} : { disk: 'ssd' },
      }),
    );
  }
  for (let i = 0; i < 24; i += 6) c.updatePod(makePod(`hog-${i}`, { nodeName: `n${i + 4}`, cpu: '900m' }));
  return c;
}

const pods: { name: string; pod: Pod }[] = [
  { name: 'a plain pod', pod: makePod('plain', { cpu: '200m', memory: '128Mi' }) },
  { name: 'a pod with a nodeSelector', pod: makePod('sel', { cpu: '200m', nodeSelector: { disk: 'ssd' } }) },
  {
    name: 'a pod tolerating the taint and the cordon',
    pod: makePod('tol', {
      cpu: '200m',
      tolerations: [
        { key: 'dedicated', operator: 'Exists' },
        { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
      ],
    }),
  },
  { name: 'a pod too big for every node', pod: makePod('big', { cpu: '8' }) },
];

describe('filter plugins: filterNodes agrees with filter', () => {
  for (const plugin of defaultPlugins().filter(isFilterPlugin)) {
    const filterNodes = plugin.filterNodes?.bind(plugin);
    if (!filterNodes) continue;
    for (const c of pods) {
      it(`${plugin.name}, ${c.name}`, () => {
        const cache = cluster();
        const nodes = cache.nodeList();
        const state = new CycleState(cache);
        if (plugin.preFilter?.(c.pod, state).code === 'Skip') return;
        // Every third node arrives rejected already: filterNodes must leave it alone.
        const earlier = unschedulable('rejected by an earlier filter');
        const verdicts: Verdicts = nodes.map((_, i) => (i % 3 === 0 ? earlier : undefined));
        const set = filterNodes(c.pod, nodes, state, verdicts);
        const want = nodes.map((ni, i) => {
          if (i % 3 === 0) return earlier;
          const s = plugin.filter(c.pod, ni, state);
          return s.code === 'Success' ? undefined : s;
        });
        assert.deepEqual(verdicts, want);
        assert.equal(set, want.filter((s, i) => s !== undefined && i % 3 !== 0).length, 'returns how many it rejected');
      });
    }
  }
});

/** A filter without filterNodes that records what it was asked, rejecting the nodes named. */
function nodeByNode(name: string, reject: string[], seen: string[] = []): FilterPlugin {
  return {
    name,
    events: [],
    filter(_pod: Pod, ni: NodeInfo): Status {
      seen.push(ni.name);
      return reject.includes(ni.name) ? unschedulable(`${name} says no`) : SUCCESS;
    },
  };
}

/** The same, with a filterNodes that throws after setting its first verdict, as a buggy plugin might. */
function throwingBatch(name: string, reject: string[]): FilterPlugin {
  return {
    ...nodeByNode(name, reject),
    filterNodes(_pod: Pod, nodes: readonly NodeInfo[], _state: CycleState, verdicts: Verdicts): number {
      verdicts[0] = unschedulable('half-done');
      throw new Error(`${nodes.length} nodes are too many`);
    },
  };
}

function rejections(fw: Framework, n: number): (PluginStatus | undefined)[] {
  return Array.from({ length: n }, (_, i) => fw.rejectionAt(i));
}

describe('Framework.filterNodes', () => {
  const cache = cluster();
  const nodes = cache.nodeList().slice(0, 6);
  const pod = makePod('p', { cpu: '200m' });

  it('names, per node, the first filter that rejects it, as runFilters does', () => {
    const fw = new Framework([...defaultPlugins(), nodeByNode('Last', ['n0', 'n1'])]);
    const state = new CycleState(cache);
    assert.equal(fw.runPreFilter(pod, state), undefined);
    const rejected = fw.filterNodes(pod, nodes, state);
    const want = nodes.map((ni) => fw.runFilters(pod, ni, state));
    assert.deepEqual(rejections(fw, nodes.length), want);
    assert.equal(rejected, want.filter((ps) => ps !== undefined).length);
    assert.deepEqual(
      want.map((ps) => ps?.plugin),
      ['Last', 'NodeUnschedulable', 'NodeReady', 'TaintToleration', 'NodeResourcesFit', undefined],
    );
  });

  it('does not show a rejected node to the filters after the one that rejected it', () => {
    const seen: string[] = [];
    const fw = new Framework([nodeByNode('First', ['n1', 'n3']), nodeByNode('Second', [], seen)]);
    const state = new CycleState(cache);
    fw.runPreFilter(pod, state);
    assert.equal(fw.filterNodes(pod, nodes, state), 2);
    assert.deepEqual(seen, ['n0', 'n2', 'n4', 'n5']);
  });

  it('starts each batch afresh', () => {
    const fw = new Framework([nodeByNode('First', ['n0'])]);
    const state = new CycleState(cache);
    fw.runPreFilter(pod, state);
    assert.equal(fw.filterNodes(pod, nodes, state), 1);
    assert.equal(fw.filterNodes(pod, nodes.slice(1), state), 0);
    assert.deepEqual(rejections(fw, 5), [undefined, undefined, undefined, undefined, undefined]);
  });

  it('asks a throwing filterNodes again node by node, so only the nodes it rejects carry its verdict', () => {
    const fw = new Framework([throwingBatch('Buggy', ['n2'])]);
    const state = new CycleState(cache);
    fw.runPreFilter(pod, state);
    assert.equal(fw.filterNodes(pod, nodes, state), 1);
    assert.deepEqual(
      rejections(fw, nodes.length).map((ps) => ps?.status.reasons),
      [undefined, undefined, ['Buggy says no'], undefined, undefined, undefined],
    );
  });

  it('turns a filter that throws into an Error for that node', () => {
    const boom: FilterPlugin = {
      name: 'Boom',
      events: [],
      filter(_pod: Pod, ni: NodeInfo): Status {
        if (ni.name === 'n3') throw new Error('no labels to read');
        return SUCCESS;
      },
    };
    const fw = new Framework([boom]);
    const state = new CycleState(cache);
    fw.runPreFilter(pod, state);
    assert.equal(fw.filterNodes(pod, nodes, state), 1);
    const ps = fw.rejectionAt(3);
    assert.equal(ps?.plugin, 'Boom');
    assert.equal(ps?.status.code, 'Error');
    assert.match(ps!.status.reasons[0]!, /running "Boom" filter plugin: no labels to read/);
  });
});

/** findPlacement's search, node by node with runFilters: what the batched search must reproduce. */
function referenceSearch(fw: Framework, pod: Pod, nodes: readonly NodeInfo[], start: number, toFind: number, cache: SchedulerCache) {
  const state = new CycleState(cache);
  fw.runPreFilter(pod, state);
  const feasible: string[] = [];
  const filtered: { node: string; plugin: string }[] = [];
  let i = 0;
  for (; i < nodes.length && feasible.length < toFind; i++) {
    const ni = nodes[(start + i) % nodes.length]!;
    const ps = fw.runFilters(pod, ni, state);
    if (ps) filtered.push({ node: ni.name, plugin: ps.plugin });
    else feasible.push(ni.name);
  }
  return { evaluated: i, feasible: feasible.length, filtered, nextStartIndex: (start + i) % nodes.length };
}

describe('findPlacement searches in batches exactly as node by node', () => {
  // 200 nodes: above the 100-node floor, so the search stops early (100 feasible to find).
  const cache = new SchedulerCache();
  for (let i = 0; i < 200; i++)
    cache.upsertNode(makeNode(`m${i}`, { unschedulable: i % 7 === 0, ready: i % 11 === 0 ? 'False' : 'True', cpu: i % 5 === 0 ? '1' : '4' }));
  for (let i = 0; i < 200; i += 5) cache.updatePod(makePod(`hog-${i}`, { nodeName: `m${i}`, cpu: '900m' }));
  for (const start of [0, 37, 150, 199]) {
    for (const c of [
      { name: 'few rejections', pod: makePod('small', { cpu: '50m' }) },
      { name: 'many rejections', pod: makePod('mid', { cpu: '200m' }) },
      { name: 'every node rejected', pod: makePod('huge', { cpu: '64' }) },
    ]) {
      it(`${c.name}, starting at ${start}`, () => {
        const fw = new Framework(defaultPlugins());
        const p = findPlacement({
          pod: c.pod,
          uid: c.pod.metadata.uid!,
          attempt: 1,
          time: '2026-01-01T00:00:00Z',
          nodes: cache.nodeList(),
          framework: fw,
          snapshot: cache,
          seed: 1,
          startIndex: start,
          percentageOfNodesToScore: 0,
          diagnosisNodeLimit: 1000,
        });
        const ref = referenceSearch(new Framework(defaultPlugins()), c.pod, cache.nodeList(), start, p.diag.numNodesToFind, cache);
        assert.equal(p.diag.evaluatedNodes, ref.evaluated);
        assert.equal(p.diag.feasibleNodes, ref.feasible);
        assert.equal(p.nextStartIndex, ref.nextStartIndex);
        assert.deepEqual(
          p.diag.filtered.map((f) => ({ node: f.node, plugin: f.plugin })),
          ref.filtered,
        );
      });
    }
  }
});
