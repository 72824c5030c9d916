import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ExperimentSpecError, parseExperiment } from '@kip/scripts';
import { loadWorkload } from '@kip/scripts';

const GOOD = `
name: node-failure
duration: 20s
warmup: 1s
workload:
  - web.yaml
  - apiVersion: v1
    kind: Service
    metadata: {name: web}
    spec:
      selector: {app: web}
      ports: [{port: 80, targetPort: http}]
probe:
  url: http://web/
  rate: 10
  timeout: 500ms
  nodeName: node-1
timeline:
  - at: 5s
    fault:
      name: kill-node-3
      kind: NodeChaos
      spec: {action: kill, selector: {nodes: [node-3]}}
`;

/** The problems of a file, as "field: message" lines. */
function problems(text: string): string[] {
  try {
    parseExperiment(text, 'x.yaml');
  } catch (err) {
    assert.ok(err instanceof ExperimentSpecError, `not an ExperimentSpecError: ${String(err)}`);
    return err.problems.map((p) => `${p.field}: ${p.message}`);
  }
  return [];
}

const MINIMAL = (extra: string) => `name: t\nduration: 10s\nworkload: [w.yaml]\nprobe: {url: "http://web/", rate: 5}\n${extra}`;

describe('experiment file: parsing', () => {
  it('reads a complete file', () => {
    const s = parseExperiment(GOOD, 'x.yaml');
    assert.equal(s.name, 'node-failure');
    assert.equal(s.namespace, 'default');
    assert.equal(s.durationMs, 20_000);
    assert.equal(s.warmupMs, 1000);
    assert.equal(s.sustainMs, 3000);
    assert.deepEqual(s.probe, { url: 'http://web/', rate: 10, timeoutMs: 500, nodeName: 'node-1' });
    assert.equal(s.workload.length, 2);
    assert.deepEqual(s.workload[0], { kind: 'file', path: 'web.yaml', field: 'workload[0]' });
    assert.equal(s.workload[1]!.kind, 'inline');
    assert.equal(s.timeline.length, 1);
    const step = s.timeline[0]!;
    assert.equal(step.type, 'fault');
    assert.equal(step.atMs, 5000);
  });

  it('defaults warmup, sustain and the probe timeout', () => {
    const s = parseExperiment(MINIMAL(''), 'x.yaml');
    assert.equal(s.warmupMs, 2000);
    assert.equal(s.sustainMs, 3000);
    assert.equal(s.probe.timeoutMs, 1000);
    assert.deepEqual(s.timeline, []);
  });

  it('reports YAML that does not parse, naming the file', () => {
    assert.throws(
      () => parseExperiment('name: [unclosed', 'broken.yaml'),
      (err: unknown) => err instanceof ExperimentSpecError && /broken\.yaml/.test(err.message) && /not valid YAML/.test(err.message),
    );
  });

  const cases: { name: string; text: string; want: RegExp[] }[] = [
    { name: 'a document that is not an object', text: '- a\n- b\n', want: [/^: Invalid value: must be an object, not a list/] },
    {
      name: 'the required fields missing',
      text: 'description: nothing\n',
      want: [/^name: Required value/, /^duration: Required value/, /^workload: Required value/, /^probe: Required value/],
    },
    { name: 'a misspelt field', text: MINIMAL('warmpu: 2s\n'), want: [/^warmpu: Unknown field: known fields here are name, namespace/] },
    {
      name: 'a name that cannot name objects',
      text: MINIMAL('').replace('name: t', 'name: Node_Failure'),
      want: [/^name: Invalid value: "Node_Failure": must be a lowercase RFC 1123 label/],
    },
    {
      name: 'a duration that is not one',
      text: MINIMAL('').replace('duration: 10s', 'duration: ten'),
      want: [/^duration: Invalid value: "ten": must be a duration/],
    },
    { name: 'a zero duration', text: MINIMAL('').replace('duration: 10s', 'duration: 0s'), want: [/^duration: Invalid value: must be longer than 0s/] },
    { name: 'a negative warmup', text: MINIMAL('warmup: -3\n'), want: [/^warmup: Invalid value: -3: must not be negative/] },
    { name: 'an empty workload', text: MINIMAL('').replace('workload: [w.yaml]', 'workload: []'), want: [/^workload: Required value: at least one manifest/] },
    {
      name: 'a workload URL',
      text: MINIMAL('').replace('[w.yaml]', '["https://example.com/w.yaml"]'),
      want: [/^workload\[0\]: Invalid value: "https:\/\/example.com\/w.yaml": manifests are read from files/],
    },
    {
      name: 'an inline manifest without a kind',
      text: MINIMAL('').replace('[w.yaml]', '[{metadata: {name: a}}]'),
      want: [/^workload\[0\]\.kind: Required value/],
    },
    {
      name: 'a probe URL that is not http',
      text: MINIMAL('').replace('http://web/', 'https://web/'),
      want: [/^probe\.url: Invalid value: "https:\/\/web\/": only http:\/\/ URLs/],
    },
    {
      name: 'a probe URL that is not a URL',
      text: MINIMAL('').replace('http://web/', 'web'),
      want: [/^probe\.url: Invalid value: "web": must be a URL such as http:\/\/web\//],
    },
    {
      name: 'a probe rate of zero',
      text: MINIMAL('').replace('rate: 5', 'rate: 0'),
      want: [/^probe\.rate: Invalid value: 0: must be a number of requests per second above 0/],
    },
    { name: 'a probe rate too high', text: MINIMAL('').replace('rate: 5', 'rate: 5000'), want: [/^probe\.rate: .*at most 200/] },
    { name: 'a probe rate missing', text: MINIMAL('').replace(', rate: 5', ''), want: [/^probe\.rate: Required value/] },
    {
      name: 'a probe with nodeName and nodeSelector',
      text: MINIMAL('').replace('rate: 5', 'rate: 5, nodeName: a, nodeSelector: {zone: b}'),
      want: [/^probe: Invalid value: give nodeName or nodeSelector, not both/],
    },
    { name: 'an unknown probe field', text: MINIMAL('').replace('rate: 5', 'rate: 5, nodename: a'), want: [/^probe\.nodename: Unknown field/] },
  ];
  for (const c of cases) {
    it(`names the field for ${c.name}`, () => {
      const got = problems(c.text);
      for (const w of c.want)
        assert.ok(
          got.some((g) => w.test(g)),
          `expected ${w} among:\n${got.join('\n')}`,
        );
    });
  }

  it('reports every problem at once', () => {
    const got = problems('name: X\nduration: 0s\nworkload: []\nprobe: {url: "ftp://a", rate: -1}\n');
    assert.equal(got.length, 5, got.join('\n'));
  });
});

describe('experiment file: the workload', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kip-exp-spec-'));
    await writeFile(
      path.join(dir, 'web.yaml'),
      `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: http-echo}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80}]
`,
    );
    await writeFile(
      path.join(dir, 'elsewhere.yaml'),
      'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: other}\nspec: {containers: [{name: c, image: pause}]}\n',
    );
    await writeFile(path.join(dir, 'bad-pod.yaml'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: []}\n');
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const load = (workload: string, extra = '') =>
    loadWorkload(parseExperiment(`name: t\nduration: 5s\nprobe: {url: "http://web/", rate: 1}\nworkload: ${workload}\n${extra}`, 'x.yaml'), dir, 'x.yaml');

  it('reads files relative to the experiment file, with every document, in the experiment namespace', async () => {
    const objs = await load(
      '[web.yaml, {apiVersion: v1, kind: Pod, metadata: {name: extra}, spec: {containers: [{name: c, image: pause}]}}]',
      'namespace: demo',
    );
    assert.deepEqual(
      objs.map((o) => `${o.resource.kind}/${o.object.metadata.name}@${o.namespace}`),
      ['Deployment/web@demo', 'Service/web@demo', 'Pod/extra@demo'],
    );
  });

  it('names a missing file', async () => {
    await assert.rejects(
      load('[nope.yaml]'),
      (err: unknown) => err instanceof ExperimentSpecError && /workload\[0\]: Invalid value: "nope.yaml": no such file/.test(err.message),
    );
  });

  it('refuses an object in another namespace than the experiment', async () => {
    await assert.rejects(
      load('[elsewhere.yaml]'),
      (err: unknown) =>
        err instanceof ExperimentSpecError && /metadata\.namespace: Invalid value: "other": the experiment runs in namespace "default"/.test(err.message),
    );
  });

  it('refuses faults in the workload: they belong in the timeline', async () => {
    await assert.rejects(
      load('[{apiVersion: chaos.kip.dev/v1alpha1, kind: NodeChaos, metadata: {name: k}, spec: {action: kill}}]'),
      (err: unknown) => err instanceof ExperimentSpecError && /not a workload kind; faults go in the timeline/.test(err.message),
    );
  });

  it('validates manifests as kip apply does, naming the file', async () => {
    await assert.rejects(
      load('[bad-pod.yaml]'),
      (err: unknown) => err instanceof ExperimentSpecError && /bad-pod\.yaml/.test(err.message) && /containers/.test(err.message),
    );
  });
});
