import assert from 'node:assert/strict';
import { FieldChecker } from '@kip/scripts';
import { faultObject } from '@kip/scripts';
import { describeFaultSpec, describeStep, parseTimeline, type FaultStep, type TimelineStep } from '@kip/scripts';
import { parse } from 'yaml';

function timeline(yaml: string, durationMs = 60_000): { steps: TimelineStep[]; problems: string[] } {
  const c = new FieldChecker();
  const steps = parseTimeline(c, parse(yaml), 'timeline', durationMs);
  return { steps, problems: c.problems.map((p) => `${p.field}: ${p.message}`) };
}

const KILL = (name: string, at: string) => `- at: ${at}\n  fault: {name: ${name}, kind: NodeChaos, spec: {action: kill, selector: {nodes: [node-3]}}}\n`;
const DELAY = (name: string, at: string) =>
  `- at: ${at}\n  fault: {name: ${name}, kind: NetworkChaos, spec: {action: delay, selector: {nodes: [node-1]}, target: {selector: {nodes: [node-2]}}, delay: {latency: 100ms}, duration: 5s}}\n`;

describe('experiment timeline', () => {
  it('orders steps by time, keeping the file order among equal times', () => {
    const { steps, problems } = timeline(KILL('late', '20s') + KILL('early', '1s') + DELAY('same-a', '10s') + KILL('same-b', '10s'));
    assert.deepEqual(problems, []);
    assert.deepEqual(
      steps.map((s) => [s.type === 'fault' ? s.name : s.names.join(','), s.atMs]),
      [
        ['early', 1000],
        ['same-a', 10_000],
        ['same-b', 10_000],
        ['late', 20_000],
      ],
    );
  });

  it('accepts durations as strings, compound strings and bare seconds', () => {
    const { steps } = timeline(KILL('a', '1m30s') + KILL('b', '2.5') + KILL('c', '750ms'), 120_000);
    assert.deepEqual(
      steps.map((s) => s.atMs),
      [750, 2500, 90_000],
    );
  });

  it('resolves heals by name, by list, and "all" to the faults active then', () => {
    const { steps, problems } = timeline(DELAY('a', '1s') + DELAY('b', '2s') + DELAY('c', '3s') + '- at: 4s\n  heal: b\n- at: 5s\n  heal: all\n');
    assert.deepEqual(problems, []);
    const heals = steps.filter((s) => s.type === 'heal');
    assert.deepEqual(
      heals.map((h) => (h.type === 'heal' ? [h.atMs, h.names, h.all] : [])),
      [
        [4000, ['b'], false],
        [5000, ['a', 'c'], true],
      ],
    );
    const list = timeline(DELAY('a', '1s') + DELAY('b', '2s') + '- at: 4s\n  heal: [a, b]\n');
    assert.deepEqual(list.problems, []);
    assert.deepEqual(list.steps[2]!.type === 'heal' && list.steps[2]!.names, ['a', 'b']);
  });

  it('accepts a fault written as a full manifest', () => {
    const { steps, problems } = timeline(
      '- at: 1s\n  fault:\n    apiVersion: chaos.kip.dev/v1alpha1\n    kind: NodeChaos\n    metadata: {name: k, labels: {team: sre}}\n    spec: {action: kill, selector: {nodes: [node-2]}}\n',
    );
    assert.deepEqual(problems, []);
    const f = steps[0] as FaultStep;
    assert.equal(f.name, 'k');
    assert.deepEqual(f.labels, { team: 'sre' });
    const obj = faultObject(f, 'demo', { 'experiment.kip.dev/run': 'abc' });
    assert.deepEqual(obj, {
      apiVersion: 'chaos.kip.dev/v1alpha1',
      kind: 'NodeChaos',
      metadata: { name: 'k', namespace: 'demo', labels: { team: 'sre', 'experiment.kip.dev/run': 'abc' } },
      spec: { action: 'kill', selector: { nodes: ['node-2'] } },
    });
  });

  const bad: { name: string; yaml: string; want: RegExp }[] = [
    {
      name: 'a step past the end',
      yaml: KILL('a', '90s'),
      want: /^timeline\[0\]\.at: Invalid value: "90s": must be before the end of the experiment \(duration 60s\)/,
    },
    {
      name: 'a step with no time',
      yaml: '- fault: {name: a, kind: NodeChaos, spec: {action: kill, selector: {nodes: [n]}}}\n',
      want: /^timeline\[0\]\.at: Required value/,
    },
    {
      name: 'a step with both fault and heal',
      yaml: '- at: 1s\n  heal: a\n  fault: {name: a}\n',
      want: /^timeline\[0\]: Invalid value: each step needs exactly one of fault \(inject\) or heal/,
    },
    { name: 'a step with neither', yaml: '- at: 1s\n', want: /^timeline\[0\]: Invalid value: each step needs exactly one of fault/ },
    { name: 'an unknown step field', yaml: '- at: 1s\n  heal: all\n  after: 2s\n', want: /^timeline\[0\]\.after: Unknown field/ },
    {
      name: 'an unknown fault kind',
      yaml: '- at: 1s\n  fault: {name: a, kind: PodChaos, spec: {action: kill}}\n',
      want: /^timeline\[0\]\.fault\.kind: Unsupported value: "PodChaos": supported values: "NodeChaos", "NetworkChaos", "ControlPlaneChaos"/,
    },
    {
      name: 'an action of the other kind',
      yaml: '- at: 1s\n  fault: {name: a, kind: NodeChaos, spec: {action: delay, selector: {nodes: [n]}}}\n',
      want: /^timeline\[0\]\.fault\.spec\.action: Unsupported value: "delay": supported values for NodeChaos: "kill", "pause", "restart"/,
    },
    {
      name: 'a fault without a name',
      yaml: '- at: 1s\n  fault: {kind: NodeChaos, spec: {action: kill, selector: {nodes: [n]}}}\n',
      want: /^timeline\[0\]\.fault\.name: Required value/,
    },
    {
      name: 'a fault name that is not a label',
      yaml: '- at: 1s\n  fault: {name: Kill_It, kind: NodeChaos, spec: {action: kill, selector: {nodes: [n]}}}\n',
      want: /^timeline\[0\]\.fault\.name: Invalid value: "Kill_It"/,
    },
    { name: 'a fault without a spec', yaml: '- at: 1s\n  fault: {name: a, kind: NodeChaos}\n', want: /^timeline\[0\]\.fault\.spec: Required value/ },
    {
      name: 'a wrong apiVersion',
      yaml: '- at: 1s\n  fault: {apiVersion: chaos-mesh.org/v1alpha1, name: a, kind: NodeChaos, spec: {action: kill, selector: {nodes: [n]}}}\n',
      want: /^timeline\[0\]\.fault\.apiVersion: Invalid value: "chaos-mesh.org\/v1alpha1"/,
    },
    {
      name: 'a bad fault duration',
      yaml: '- at: 1s\n  fault: {name: a, kind: NetworkChaos, spec: {action: partition, selector: {nodes: [n]}, duration: soon}}\n',
      want: /^timeline\[0\]\.fault\.spec\.duration: Invalid value: "soon"/,
    },
    { name: 'two faults of one name', yaml: KILL('a', '1s') + KILL('a', '2s'), want: /^timeline\[1\]\.fault\.name: Duplicate value: "a"/ },
    {
      name: 'a heal of an unknown fault',
      yaml: '- at: 1s\n  heal: ghost\n',
      want: /^timeline\[0\]\.heal: Invalid value: "ghost": no fault of that name is injected before this step/,
    },
    {
      name: 'a heal before its fault',
      yaml: '- at: 1s\n  heal: a\n' + KILL('a', '2s'),
      want: /^timeline\[0\]\.heal: Invalid value: "a": no fault of that name is injected before this step/,
    },
    {
      name: 'a second heal of one fault',
      yaml: DELAY('a', '1s') + '- at: 2s\n  heal: a\n- at: 3s\n  heal: a\n',
      want: /^timeline\[2\]\.heal: Invalid value: "a": that fault is healed already/,
    },
    { name: '"all" with nothing active', yaml: '- at: 1s\n  heal: all\n', want: /^timeline\[0\]\.heal: Invalid value: "all": no fault is active/ },
    {
      name: 'a heal that is not a name',
      yaml: '- at: 1s\n  heal: 3\n',
      want: /^timeline\[0\]\.heal: Invalid value: 3: must be the name of a fault injected earlier/,
    },
    { name: 'a timeline that is not a list', yaml: 'at: 1s\n', want: /^timeline: Invalid value: must be a list, not an object/ },
  ];
  for (const c of bad) {
    it(`reports ${c.name}`, () => {
      const { problems } = timeline(c.yaml);
      assert.ok(
        problems.some((p) => c.want.test(p)),
        `expected ${c.want} among:\n${problems.join('\n')}`,
      );
    });
  }

  it('describes steps in a line', () => {
    const { steps } = timeline(KILL('k', '1s') + DELAY('d', '2s') + '- at: 3s\n  heal: all\n');
    assert.deepEqual(steps.map(describeStep), [
      'inject NodeChaos k (kill node-3)',
      'inject NetworkChaos d (delay 100ms node-1 -> node-2 for 5s)',
      'heal all (k, d)',
    ]);
    assert.equal(describeFaultSpec({ action: 'partition', selector: { nodes: ['node-3'] }, direction: 'both' }), 'partition node-3 <-> others');
    assert.equal(describeFaultSpec({ action: 'kill', mode: 'one', selector: { labelSelectors: { zone: 'b' } } }), 'kill zone=b (one)');
  });
});

describe('experiment timeline: ControlPlaneChaos steps', () => {
  it('accepts one, describes it, and makes the object the chaos controller acts on', () => {
    const { steps, problems } = timeline('- at: 5s\n  fault: {name: cp-down, kind: ControlPlaneChaos, spec: {action: kill, restartAfter: 2s}}\n');
    assert.deepEqual(problems, []);
    const step = steps[0] as FaultStep;
    assert.equal(step.kind, 'ControlPlaneChaos');
    assert.equal(describeStep(step), 'inject ControlPlaneChaos cp-down (kill the control plane, restart after 2s)');
    const obj = faultObject(step, 'default', { run: 'r1' });
    assert.equal(obj.kind, 'ControlPlaneChaos');
    assert.deepEqual(obj.spec, { action: 'kill', restartAfter: '2s' });
  });

  it('reports a bad ControlPlaneChaos spec before the run, naming the field', () => {
    const { problems } = timeline('- at: 5s\n  fault: {name: cp-down, kind: ControlPlaneChaos, spec: {action: pause, restartAfter: soon}}\n');
    assert.deepEqual(problems, [
      'timeline[0].fault.spec.action: Unsupported value: "pause": supported values for ControlPlaneChaos: "kill"',
      'timeline[0].fault.spec.restartAfter: Invalid value: "soon": must be a duration such as 500ms, 30s, 5m or 1h',
    ]);
  });
});
