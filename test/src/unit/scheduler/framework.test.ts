import assert from 'node:assert/strict';
import type { Pod } from '@kip/shared';
import { CycleState, Framework, SKIP, stateKey, SUCCESS, unschedulable, type FilterPlugin, type ScorePlugin, type Status } from '@kip/controlplane';
import { NodeInfo } from '@kip/controlplane';
import { makeNode, makePod } from './fixtures.js';

/** A filter that records the nodes it was asked about and rejects those named in `reject`. */
function recordingFilter(name: string, pre: Status | undefined, reject: string[] = []): FilterPlugin & { seen: string[] } {
  const seen: string[] = [];
  return {
    name,
    events: [],
    seen,
    ...(pre ? { preFilter: () => pre } : {}),
    filter(_pod: Pod, ni: NodeInfo): Status {
      seen.push(ni.name);
      return reject.includes(ni.name) ? unschedulable(`${name} says no`) : SUCCESS;
    },
  };
}

function constantScorer(name: string, weight: number, score: (ni: NodeInfo) => number, pre?: Status): ScorePlugin {
  return { name, weight, events: [], score: (_p, ni) => score(ni), ...(pre ? { preScore: () => pre } : {}) };
}

const nodes = ['a', 'b', 'c'].map((n) => NodeInfo.of(makeNode(n)));
const pod = makePod('p');

describe('scheduler framework', () => {
  describe('state keys', () => {
    it('reads back what a plugin wrote, per cycle', () => {
      const key = stateKey<number>('test/reads-back');
      const a = new CycleState();
      const b = new CycleState();
      a.write(key, 7);
      assert.equal(a.read(key), 7);
      assert.equal(b.read(key), undefined, 'a new cycle starts empty');
    });

    it('refuses a key name defined twice', () => {
      stateKey('test/twice');
      assert.throws(() => stateKey('test/twice'), /state key "test\/twice" is defined twice/);
    });
  });

  describe('preFilter Skip (kube-scheduler SkipFilterPlugins)', () => {
    const cases: { name: string; pres: (Status | undefined)[]; wantRun: string[] }[] = [
      { name: 'every filter runs when no preFilter skips', pres: [undefined, SUCCESS, undefined], wantRun: ['f0', 'f1', 'f2'] },
      { name: 'a filter whose preFilter says Skip is not called', pres: [undefined, SKIP, undefined], wantRun: ['f0', 'f2'] },
      { name: 'the first filter can skip too', pres: [SKIP, undefined, SUCCESS], wantRun: ['f1', 'f2'] },
      { name: 'all filters can skip', pres: [SKIP, SKIP, SKIP], wantRun: [] },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const filters = c.pres.map((pre, i) => recordingFilter(`f${i}`, pre));
        const fw = new Framework(filters);
        const state = new CycleState();
        assert.equal(fw.runPreFilter(pod, state), undefined);
        assert.equal(fw.runFilters(pod, nodes[0]!, state), undefined);
        assert.deepEqual(
          filters.filter((f) => f.seen.length > 0).map((f) => f.name),
          c.wantRun,
        );
      });
    }

    it('runs the right filters when the skipping plugins change from one cycle to the next', () => {
      let skipFirst = true;
      const f0: FilterPlugin & { seen: string[] } = { ...recordingFilter('f0', undefined), preFilter: () => (skipFirst ? SKIP : SUCCESS) };
      const f1 = recordingFilter('f1', undefined);
      const f2: FilterPlugin & { seen: string[] } = { ...recordingFilter('f2', undefined), preFilter: () => (skipFirst ? SUCCESS : SKIP) };
      const fw = new Framework([f0, f1, f2]);
      const names = () => {
        const state = new CycleState();
        fw.runPreFilter(pod, state);
        return state.filters!.map((f) => f.name);
      };
      assert.deepEqual(names(), ['f1', 'f2']);
      skipFirst = false;
      assert.deepEqual(names(), ['f0', 'f1']);
      skipFirst = true;
      assert.deepEqual(names(), ['f1', 'f2']);
    });

    it('an Unschedulable preFilter still rejects the pod, naming the plugin', () => {
      const fw = new Framework([recordingFilter('f0', SKIP), recordingFilter('f1', unschedulable('no way'))]);
      assert.deepEqual(fw.runPreFilter(pod, new CycleState()), { plugin: 'f1', status: unschedulable('no way') });
    });

    it('stops at the first rejecting filter and names it', () => {
      const f0 = recordingFilter('f0', undefined, ['b']);
      const f1 = recordingFilter('f1', undefined);
      const fw = new Framework([f0, f1]);
      const state = new CycleState();
      fw.runPreFilter(pod, state);
      const ps = fw.runFilters(pod, nodes[1]!, state);
      assert.equal(ps?.plugin, 'f0');
      assert.deepEqual(ps?.status.reasons, ['f0 says no']);
      assert.deepEqual(f1.seen, [], 'later filters are not asked');
    });
  });

  describe('runScore', () => {
    it('adds weighted scores, and a plugin whose preScore says Skip adds nothing', () => {
      const fw = new Framework([
        constantScorer('byName', 2, (ni) => ({ a: 10, b: 20, c: 30 })[ni.name]!),
        constantScorer('skipped', 5, () => 100, SKIP),
        constantScorer('flat', 1, () => 50),
      ]);
      const r = fw.runScore(pod, nodes, new CycleState());
      assert.deepEqual(Array.from(r.totals), [70, 90, 110]);
      assert.deepEqual(
        r.byPlugin.map((p) => [p.plugin, p.scores && Array.from(p.scores)]),
        [
          ['byName', [10, 20, 30]],
          ['skipped', undefined],
          ['flat', [50, 50, 50]],
        ],
      );
    });

    it('reuses its buffers: a later, longer cycle gets fresh totals', () => {
      const fw = new Framework([constantScorer('flat', 1, () => 1)]);
      fw.runScore(pod, nodes.slice(0, 2), new CycleState());
      const r = fw.runScore(pod, nodes, new CycleState());
      assert.deepEqual(Array.from(r.totals), [1, 1, 1]);
    });

    const bad: { name: string; plugin: ScorePlugin; want: RegExp }[] = [
      { name: 'a score above 100', plugin: constantScorer('big', 1, () => 101), want: /plugin "big" returned score 101 for node "a", outside 0..100/ },
      { name: 'a negative score', plugin: constantScorer('neg', 1, () => -1), want: /plugin "neg" returned score -1/ },
      { name: 'NaN', plugin: constantScorer('nan', 1, () => NaN), want: /plugin "nan" returned score NaN/ },
      {
        name: 'a normalize that leaves the range',
        plugin: { ...constantScorer('norm', 1, () => 1), normalize: (s) => s.fill(200) },
        want: /plugin "norm" returned score 200/,
      },
      { name: 'an Unschedulable preScore', plugin: constantScorer('pre', 1, () => 1, unschedulable('broken')), want: /plugin "pre" preScore: broken/ },
    ];
    for (const c of bad)
      it(`throws on ${c.name}, as a bug`, () => assert.throws(() => new Framework([c.plugin]).runScore(pod, nodes, new CycleState()), c.want));
  });
});
