// The fuzzers' inputs are a function of (seed, target, case number): a failing case is replayed
// from those numbers. And whatever a mutation does, no fuzzed body asks a node to run a command.

import assert from 'node:assert/strict';
import { Gen } from '@kip/scripts';
import { httpPlan } from '@kip/scripts';
import { basePod, baseDeployment, makeSafe, mutate } from '@kip/scripts';
import { caseFor } from '@kip/scripts';
import { TARGETS, type FuzzEnv } from '@kip/scripts';
import { parseFuzzCommandLine, renderSummary } from '@kip/scripts';

const env: FuzzEnv = {
  host: '127.0.0.1',
  port: 7070,
  joinToken: 'a'.repeat(48),
  nodes: [
    { name: 'node-1', tunnel: '127.0.0.1:4001', pid: 101 },
    { name: 'node-2', tunnel: '127.0.0.1:4002', pid: 102 },
  ],
  witnesses: [{ namespace: 'default', name: 'witness-node-1', uid: 'u-1', node: 'node-1' }],
};

/** A case as data: what it is and what it sends, without its runner. */
const shape = (seed: number, target: (typeof TARGETS)[number], index: number) => {
  const c = caseFor(seed, target, index, env);
  return JSON.stringify({ kind: c.kind, input: c.input, deadlineMs: c.deadlineMs, waits: c.waits });
};

describe('scripts/fuzz: generator', function () {
  // Thousands of cases, some with bodies of megabytes: seconds on a loaded machine.
  this.timeout(60_000);
  it('draws the same numbers from the same seed, and others from another', () => {
    const draw = (seed: number) => {
      const g = new Gen(seed);
      return [g.int(1000), g.string(), g.json(3), g.bytes(8).toString('hex'), g.pick(['a', 'b', 'c'])];
    };
    assert.deepEqual(draw(42), draw(42));
    assert.notDeepEqual(draw(42), draw(43));
  });

  for (const target of TARGETS)
    it(`makes the same ${target} cases from the same seed and case number, in any order`, () => {
      const forward = Array.from({ length: 300 }, (_, i) => shape(7, target, i));
      const backward = Array.from({ length: 300 }, (_, i) => shape(7, target, 299 - i)).reverse();
      assert.deepEqual(forward, backward);
      const other = Array.from({ length: 300 }, (_, i) => shape(8, target, i));
      assert.ok(other.filter((s, i) => s !== forward[i]).length > 250, 'another seed makes other cases');
      assert.ok(new Set(forward.map((s) => JSON.parse(s).kind)).size >= 6, 'cases of many kinds');
    });

  it('never sends a command or args to a node, whatever the mutation', () => {
    for (let i = 0; i < 1000; i++) {
      const p = httpPlan(Gen.forCase(11, 'http', i), env);
      for (const piece of p.plan.pieces) {
        const text = (typeof piece.data === 'function' ? piece.data() : piece.data).toString('latin1');
        assert.doesNotMatch(text, /"(command|args)"\s*:|^\s*-?\s*(command|args)\s*:/m, `http case ${i} (${p.kind})`);
      }
    }
  });

  it('makeSafe removes commands at any depth, makes every image pause, and caps replicas', () => {
    const obj: Record<string, unknown> = {
      spec: {
        replicas: 1000,
        template: { spec: { containers: [{ image: 'stress', command: ['sh'], args: ['-c', 'x'], livenessProbe: { exec: { command: ['true'] } } }] } },
      },
      deep: [[[{ image: 'client', args: [] }]]],
    };
    makeSafe(obj);
    assert.deepEqual(obj, {
      spec: { replicas: 2, template: { spec: { containers: [{ image: 'pause', livenessProbe: { exec: {} } }] } } },
      deep: [[[{ image: 'pause' }]]],
    });
    for (let i = 0; i < 500; i++) {
      const g = new Gen(i);
      const text = JSON.stringify(makeSafe(mutate(g, i % 2 ? basePod(g) : baseDeployment(g))));
      assert.doesNotMatch(text ?? '', /"(command|args)":/);
    }
  });
});

describe('scripts/fuzz: command line', () => {
  it('has defaults', () => {
    assert.deepEqual(parseFuzzCommandLine([]), {
      help: false,
      durationMs: 60_000,
      seed: undefined,
      nodes: 2,
      targets: ['http', 'agent', 'tunnel'],
      concurrency: 2,
    });
  });
  it('reads every flag', () => {
    assert.deepEqual(parseFuzzCommandLine(['--duration', '2m', '--seed', '9', '--nodes', '3', '--targets', 'tunnel,http', '--concurrency', '4']), {
      help: false,
      durationMs: 120_000,
      seed: 9,
      nodes: 3,
      targets: ['tunnel', 'http'],
      concurrency: 4,
    });
  });
  const bad: [string[], RegExp][] = [
    [['--duration', 'soon'], /^--duration: "soon"/],
    [['--seed=-1'], /^--seed: "-1"/],
    [['--nodes', '0'], /^--nodes: "0"/],
    [['--targets', 'http,dns'], /^--targets: "dns" is not one of http, agent, tunnel/],
    [['--frobnicate'], /frobnicate/],
  ];
  for (const [argv, message] of bad) it(`refuses ${argv.join(' ')}`, () => assert.throws(() => parseFuzzCommandLine(argv), { message }));
});

describe('scripts/fuzz: summary', () => {
  const report = {
    seed: 9,
    durationMs: 120_000,
    nodes: 2,
    targets: { http: { tried: 10, kinds: { 'post-json': 10 }, answers: { 'HTTP 400': 10 }, slowest: { index: 3, kind: 'post-json', ms: 1500 } } },
    failures: [] as {
      type: 'crash' | 'hang' | 'violation';
      what: string;
      cases?: { target: 'http'; index: number; kind: string; input: unknown }[];
      output?: string[];
    }[],
    serverErrors: { count: 0, examples: [] },
    maxRss: { controlPlane: 100 * 2 ** 20, agent: 50 * 2 ** 20 },
    slowestHealthzMs: 12,
    slowestTunnelProbeMs: 3,
    leftovers: 0,
  };

  it('gives the figures and says OK when nothing failed', () => {
    const text = renderSummary(report);
    assert.match(text, /^ {2}http +10 cases$/m);
    assert.match(text, /^ {2}crashes {6}0$/m);
    assert.match(text, /max RSS {6}control plane 100\.0 MiB, agent 50\.0 MiB/);
    assert.match(text, /slowest answer: 1\.5 s \(case 3, post-json\)/);
    assert.match(text, /^OK: no crash, no hang, no violation$/m);
  });

  it("gives every failure with its input, the dying process's last lines and how to replay it", () => {
    const text = renderSummary({
      ...report,
      failures: [
        {
          type: 'crash',
          what: 'controlplane (pid 1) exited with code 1',
          cases: [{ target: 'http', index: 71, kind: 'yaml-nasty', input: 'POST /x' }],
          output: ['RangeError: x'],
        },
      ],
    });
    assert.match(text, /^ {2}crashes {6}1$/m);
    assert.match(text, /^FAILED \(seed 9/m);
    assert.match(text, /http case 71 \(yaml-nasty\): "POST \/x"/);
    assert.match(text, /\| RangeError: x/);
    assert.match(text, /npm run fuzz -- --seed 9 --case http:71$/m);
  });
});
