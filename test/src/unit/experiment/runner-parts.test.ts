import assert from 'node:assert/strict';
import { ConnectionError, type Deployment, type Endpoints, type Event, type Node } from '@kip/shared';
import { observeEvent, observeNode } from '@kip/scripts';
import { parseExperimentCommandLine as parseCommandLine, RunnerUsageError as UsageError } from '@kip/scripts';
import { probePodManifest } from '@kip/scripts';
import { chooseProbeNode, recoveredAt, whileUnreachable } from '@kip/scripts';
import { parseExperiment } from '@kip/scripts';
import { deploymentProgress, serviceProgress } from '@kip/scripts';

function node(name: string, ready: 'True' | 'False' | 'Unknown', unschedulable = false): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: unschedulable ? { unschedulable: true } : {},
    status: { conditions: [{ type: 'Ready', status: ready, reason: ready === 'True' ? 'KubeletReady' : 'NodeStatusUnknown' }] },
  } as Node;
}

const spec = (probe: string, timeline = '') =>
  parseExperiment(
    `name: t\nduration: 30s\nworkload: [w.yaml]\nprobe: {url: "http://web/", rate: 5${probe}}\n${timeline ? `timeline:\n${timeline}` : ''}`,
    'x.yaml',
  );
const KILL3 = '  - at: 1s\n    fault: {name: k, kind: NodeChaos, spec: {action: kill, selector: {nodes: [node-1, node-3]}}}\n';

describe('experiment runner: where the probe runs', () => {
  const nodes = [node('node-3', 'True'), node('node-1', 'True'), node('node-2', 'True')];

  it('uses the node the file names', () => assert.equal(chooseProbeNode(spec(', nodeName: node-3'), nodes), 'node-3'));
  it('refuses a node that does not exist, listing those that do', () =>
    assert.throws(
      () => chooseProbeNode(spec(', nodeName: node-9'), nodes),
      /probe\.nodeName: node "node-9" does not exist; the nodes are node-1, node-2, node-3/,
    ));
  it('refuses a node that is not Ready', () =>
    assert.throws(() => chooseProbeNode(spec(', nodeName: node-2'), [node('node-2', 'Unknown')]), /node "node-2" is not Ready/));
  it('leaves a nodeSelector to the scheduler', () => assert.equal(chooseProbeNode(spec(', nodeSelector: {zone: a}'), nodes), undefined));
  it('otherwise keeps off the nodes a NodeChaos names', () => assert.equal(chooseProbeNode(spec('', KILL3), nodes), 'node-2'));
  it('and off nodes that are not Ready or not schedulable', () =>
    assert.equal(chooseProbeNode(spec(''), [node('node-1', 'Unknown'), node('node-2', 'True', true), node('node-3', 'True')]), 'node-3'));

  it('runs the client image at the probe rate, once, on that node', () => {
    const pod = probePodManifest('t-probe-x', 'demo', spec(', timeout: 750ms').probe, 'node-2', { a: 'b' });
    assert.equal(pod.metadata.namespace, 'demo');
    assert.equal(pod.spec.nodeName, 'node-2');
    assert.equal(pod.spec.restartPolicy, 'Never');
    assert.deepEqual(pod.spec.containers[0]!.args, ['--url=http://web/', '--rate=5', '--timeout=750ms']);
    assert.equal(pod.spec.containers[0]!.image, 'client');
  });
});

describe('experiment runner: when a fault ended by itself', () => {
  it('takes the first Recovered record after the injection', () => {
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
    const status = {
      records: [
        { time: at(1), action: 'restart', nodes: ['node-3'], result: 'Recovered' as const },
        { time: at(5), action: 'restart', nodes: ['node-3'], result: 'Injected' as const },
        { time: at(9), action: 'restart', nodes: ['node-3'], result: 'Recovered' as const },
      ],
    };
    assert.equal(recoveredAt(status, Date.parse(at(5))), Date.parse(at(9)));
    assert.equal(recoveredAt(status, Date.parse(at(10))), undefined);
    assert.equal(recoveredAt({}, 0), undefined);
  });
});

describe('experiment runner: waiting for the workload', () => {
  const dep = (status: Deployment['status'], replicas = 3, generation = 2): Deployment =>
    ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', generation },
      spec: { replicas, selector: {}, template: {} },
      status,
    }) as unknown as Deployment;

  const cases: { name: string; d: Deployment; want: string | undefined }[] = [
    { name: 'a spec not yet seen', d: dep({ observedGeneration: 1 }), want: 'waiting for the deployment spec update to be observed' },
    { name: 'too few updated', d: dep({ observedGeneration: 2, updatedReplicas: 1, replicas: 3 }), want: '1 of 3 updated replicas' },
    {
      name: 'old replicas left',
      d: dep({ observedGeneration: 2, updatedReplicas: 3, replicas: 4, availableReplicas: 3 }),
      want: '1 old replicas pending termination',
    },
    {
      name: 'too few available',
      d: dep({ observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 2 }),
      want: '2 of 3 updated replicas available',
    },
    { name: 'all available', d: dep({ observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 3 }), want: undefined },
  ];
  for (const c of cases) it(`says why a deployment is not serving: ${c.name}`, () => assert.equal(deploymentProgress(c.d), c.want));

  it('wants an endpoint for every ready pod of a service', () => {
    const ep = (n: number) =>
      ({
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: 'web' },
        subsets: [{ addresses: Array.from({ length: n }, (_, i) => ({ ip: `10.244.1.${i}` })) }],
      }) as Endpoints;
    assert.equal(serviceProgress(undefined, 3), 'no ready endpoints');
    assert.equal(serviceProgress(ep(0), 0), 'no ready endpoints');
    assert.equal(serviceProgress(ep(2), 3), '2 of 3 ready pods in its endpoints');
    assert.equal(serviceProgress(ep(3), 3), undefined);
  });
});

describe('experiment runner: what the cluster says', () => {
  const ev = (over: Partial<Event>): Event =>
    ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e1', namespace: 'default', uid: 'u1' },
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'default' },
      reason: 'Killing',
      message: 'Stopping container web',
      type: 'Normal',
      count: 1,
      ...over,
    }) as Event;

  it('keeps events of the experiment namespace and of nodes, each occurrence once', () => {
    const seen = new Map<string, number>();
    assert.deepEqual(observeEvent(ev({}), 'default', seen, 5), {
      at: 5,
      object: 'Pod/web-1',
      reason: 'Killing',
      message: 'Stopping container web',
      type: 'Normal',
      source: 'event',
    });
    assert.equal(observeEvent(ev({}), 'default', seen, 6), undefined, 'the same event again');
    assert.equal(observeEvent(ev({ count: 2 }), 'default', seen, 7)?.count, 2, 'a repeat folded into the event');
    assert.equal(
      observeEvent(
        ev({ metadata: { name: 'e2', namespace: 'other', uid: 'u2' }, involvedObject: { kind: 'Pod', name: 'x', namespace: 'other' } }),
        'default',
        seen,
        8,
      ),
      undefined,
    );
    const nodeEv = ev({
      metadata: { name: 'e3', namespace: 'default', uid: 'u3' },
      involvedObject: { kind: 'Node', name: 'node-3' },
      reason: 'NodeNotReady',
      type: 'Normal',
    });
    assert.equal(observeEvent(nodeEv, 'demo', seen, 9)?.object, 'Node/node-3');
  });

  it('turns a node Ready change into an observation, and no change into none', () => {
    const n = node('node-3', 'Unknown');
    assert.deepEqual(observeNode('MODIFIED', n, 'True', 10), {
      at: 10,
      object: 'Node/node-3',
      reason: 'Ready=Unknown',
      message: 'Ready True -> Unknown (NodeStatusUnknown)',
      type: 'Warning',
      source: 'node',
    });
    assert.equal(observeNode('MODIFIED', n, 'Unknown', 11), undefined);
    assert.equal(observeNode('ADDED', node('node-4', 'True'), undefined, 12)?.reason, 'NodeJoined');
    assert.equal(observeNode('DELETED', n, 'Unknown', 13)?.reason, 'NodeDeleted');
  });
});

describe('experiment command line', () => {
  const env = { KIP_SERVER: 'http://127.0.0.1:9999', KIP_TOKEN: 'tok' };

  it('takes the file and the server from the environment', () => {
    const c = parseCommandLine(['e.yaml'], env);
    assert.equal(c.file, 'e.yaml');
    assert.equal(c.server, 'http://127.0.0.1:9999');
    assert.equal(c.token, 'tok');
    assert.equal(c.nodes, undefined);
    assert.equal(c.readyTimeoutMs, 120_000);
  });

  it('takes flags', () => {
    const c = parseCommandLine(['e.yaml', '--nodes', '3', '--out', '/tmp/x', '--keep', '--profile', 'kubernetes', '--ready-timeout', '90s', '--quiet'], {});
    assert.deepEqual(
      { nodes: c.nodes, out: c.out, keep: c.keep, profile: c.profile, ready: c.readyTimeoutMs, quiet: c.quiet },
      { nodes: 3, out: '/tmp/x', keep: true, profile: 'kubernetes', ready: 90_000, quiet: true },
    );
  });

  const bad: [string[], RegExp][] = [
    [[], /an experiment file is required/],
    [['a.yaml', 'b.yaml'], /one experiment file at a time/],
    [['a.yaml', '--nodes', 'three'], /--nodes: "three" must be a whole number from 1 to 64/],
    [['a.yaml', '--nodes', '0'], /--nodes: "0"/],
    [['a.yaml', '--nodes', '3', '--server', 'http://x'], /cannot be combined with --server/],
    [['a.yaml', '--profile', 'fast'], /--profile applies to the private cluster of --nodes/],
    [['a.yaml', '--nodes', '2', '--profile', 'slow'], /--profile: "slow" is not a profile/],
    [['a.yaml', '--ready-timeout', 'later'], /--ready-timeout: "later" is not a duration/],
    [['a.yaml', '--bogus'], /Unknown option '--bogus'/],
  ];
  for (const [argv, want] of bad)
    it(`refuses ${argv.join(' ') || 'no arguments'}`, () =>
      assert.throws(
        () => parseCommandLine(argv, {}),
        (err: unknown) => err instanceof UsageError && want.test(err.message),
      ));

  it('answers --help without a file', () => assert.equal(parseCommandLine(['--help'], {}).help, true));
});

describe('experiment: requests while the control plane is unreachable', () => {
  it('are tried again until it answers', async () => {
    let calls = 0;
    const got = await whileUnreachable(async () => {
      if (++calls < 3) throw new ConnectionError('The connection to the server 127.0.0.1:1 was refused', true);
      return 'ok';
    });
    assert.equal(got, 'ok');
    assert.equal(calls, 3);
  });

  it('are not tried again for an API error, nor once the cluster is gone for good', async () => {
    let calls = 0;
    await assert.rejects(
      whileUnreachable(async () => {
        calls++;
        throw new Error('Forbidden');
      }),
      /Forbidden/,
    );
    assert.equal(calls, 1);
    await assert.rejects(
      whileUnreachable(
        async () => {
          calls++;
          throw new ConnectionError('refused', true);
        },
        { gone: () => true },
      ),
      /refused/,
    );
    assert.equal(calls, 2);
  });
});
