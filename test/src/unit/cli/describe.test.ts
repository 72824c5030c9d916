import assert from 'node:assert/strict';
import { qosClass, splitReplicaSets, type Deployment, type Endpoints, type Event, type Node, type Pod, type ReplicaSet, type Service } from '@kip/shared';
import { describeText, type DescribeEnv } from '@kip/scripts';
import { ago, deployment, event, node, NOW, pod, replicaSet, running } from './fixtures.js';

const env = { now: NOW, offsetMinutes: 0 };

// The describers live with their kinds; these call them as `kip describe` does, with the related objects it fetched.
const describePod = (p: Pod, events: Event[], e: DescribeEnv) => describeText(p, { events }, e);
const describeNode = (n: Node, pods: Pod[], events: Event[], e: DescribeEnv) => describeText(n, { events, objects: { pods } }, e);
const describeDeployment = (d: Deployment, replicaSets: ReplicaSet[], events: Event[], e: DescribeEnv) =>
  describeText(d, { events, objects: { replicaSets } }, e);
const describeService = (svc: Service, endpoints: Endpoints | undefined, events: Event[], e: DescribeEnv) =>
  describeText(svc, { events, objects: { endpoints: endpoints ? [endpoints] : [] } }, e);

/** The lines of a section, from its title to the next line that starts at column 0. */
function section(text: string, title: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`${title}:`));
  assert.ok(start >= 0, `no "${title}:" section in:\n${text}`);
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => l !== '' && !l.startsWith(' '));
  return [lines[start]!, ...(end < 0 ? rest : rest.slice(0, end))];
}

function richPod(): Pod {
  const p = pod('web-1', { node: 'node-1', ip: '10.244.1.5', labels: { app: 'web', 'pod-template-hash': 'abc' }, owner: 'web-abc' });
  p.spec.containers[0] = {
    name: 'web',
    image: 'http-echo',
    ports: [{ containerPort: 8080, protocol: 'TCP' }],
    resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } },
    livenessProbe: {
      httpGet: { path: '/healthz', port: 8080 },
      initialDelaySeconds: 1,
      periodSeconds: 5,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
    },
    readinessProbe: { exec: { command: ['cat', '/tmp/ready'] } },
    env: [
      { name: 'MODE', value: 'fast' },
      { name: 'MY_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    ],
  };
  const cs = running('web', true, 2);
  cs.lastState = { terminated: { exitCode: 137, reason: 'Error', startedAt: ago(90_000), finishedAt: ago(61_000) } };
  p.status!.containerStatuses = [cs];
  p.status!.conditions = [
    { type: 'PodScheduled', status: 'True' },
    { type: 'Ready', status: 'True' },
  ];
  p.status!.kipHostPorts = { 'web/8080': 41234 };
  p.status!.startTime = ago(120_000);
  p.spec.tolerations = [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }];
  return p;
}

describe('cli describe', () => {
  describe('pod', () => {
    const events = [
      event('Scheduled', { kind: 'Pod', name: 'web-1' }, 120_000, { message: 'Successfully assigned default/web-1 to node-1' }),
      event('BackOff', { kind: 'Pod', name: 'web-1' }, 10_000, { type: 'Warning', count: 4, first: 100_000 }),
    ];
    const text = describePod(richPod(), events, env);

    // A line without a tab (IPs:, Containers:) ends an alignment run, as in kubectl's output.
    it('starts with the object and where it runs, aligned', () => {
      const head = text.split('\n').slice(0, 5);
      assert.deepEqual(head, [
        'Name:         web-1',
        'Namespace:    default',
        'Node:         node-1/',
        'Start Time:   Wed, 01 May 2024 11:58:00 +0000',
        'Labels:       app=web',
      ]);
      assert.match(text, /^ {14}pod-template-hash=abc$/m);
      assert.match(text, /^Controlled By: {2}ReplicaSet\/web-abc$/m);
      assert.match(text, /^IPs:\n {2}IP: +10\.244\.1\.5$/m);
    });

    it('shows each container with state, last state, resources, probes and environment', () => {
      const c = section(text, 'Containers').join('\n');
      assert.match(c, /^ {2}web:$/m);
      assert.match(c, /^ {4}Port: +8080\/TCP$/m);
      assert.match(c, /^ {4}Host Port: +41234\/TCP$/m, 'the host port kip allocated');
      assert.match(c, /^ {4}State: +Running\n {6}Started: +Wed, 01 May 2024 11:59:00 \+0000$/m);
      assert.match(c, /^ {4}Last State: +Terminated\n {6}Reason: +Error\n {6}Exit Code: +137$/m);
      assert.match(c, /^ {4}Ready: +True\n {4}Restart Count: +2$/m);
      assert.match(c, /^ {4}Limits:\n {6}cpu: +500m\n {6}memory: +128Mi$/m);
      assert.match(c, /^ {4}Requests:\n {6}cpu: +250m\n {6}memory: +64Mi$/m);
      assert.match(c, /^ {4}Liveness: +http-get http:\/\/:8080\/healthz delay=1s timeout=1s period=5s #success=1 #failure=3$/m);
      assert.match(c, /^ {4}Readiness: +exec \[cat \/tmp\/ready\] delay=0s timeout=1s period=10s #success=1 #failure=3$/m);
      assert.match(c, /^ {4}Environment:\n {6}MODE: +fast\n {6}MY_IP: +\(v1:status\.podIP\)$/m);
    });

    it('lists conditions, QoS and tolerations', () => {
      assert.deepEqual(section(text, 'Conditions'), ['Conditions:', '  Type           Status', '  PodScheduled   True ', '  Ready          True ']);
      assert.match(text, /^QoS Class: +Burstable$/m);
      assert.match(text, /^Tolerations: +node\.kubernetes\.io\/unreachable:NoExecute op=Exists for 300s$/m);
    });

    it('ends with the events table, repeated events as (xN over ...)', () => {
      assert.deepEqual(section(text, 'Events'), [
        'Events:',
        '  Type     Reason     Age                 From               Message',
        '  ----     ------     ----                ----               -------',
        '  Normal   Scheduled  2m                  default-scheduler  Successfully assigned default/web-1 to node-1',
        '  Warning  BackOff    10s (x4 over 100s)  default-scheduler  BackOff happened',
        '',
      ]);
    });

    it('shows the priority, its class and the node a preemption nominated, as kubectl does', () => {
      const p = pod('waiting');
      p.spec.priority = 1000;
      p.spec.priorityClassName = 'high';
      p.status = { ...p.status, nominatedNodeName: 'node-2' };
      const t = describePod(p, [], env);
      assert.match(t, /^Priority: +1000\nPriority Class Name: +high$/m);
      assert.match(t, /^NominatedNodeName: +node-2$/m);
    });

    it('says Events: <none> and Terminating when so', () => {
      const t = describePod(pod('gone', { deleting: true }), [], env);
      assert.match(t, /^Events: +<none>$/m);
      assert.match(t, /^Status: +Terminating \(lasts 1s\)$/m);
    });
  });

  it('derives the QoS class as Kubernetes does', () => {
    const p = pod('p');
    assert.equal(qosClass(p), 'BestEffort');
    p.spec.containers[0]!.resources = { limits: { cpu: '1', memory: '1Gi' } };
    assert.equal(qosClass(p), 'Guaranteed');
    p.spec.containers[0]!.resources = { requests: { cpu: '500m' }, limits: { cpu: '1', memory: '1Gi' } };
    assert.equal(qosClass(p), 'Burstable');
  });

  describe('node', () => {
    const n = node('node-1', { pid: 31337 });
    const p = richPod();
    const text = describeNode(n, [p], [event('NodeReady', { kind: 'Node', name: 'node-1' }, 1_000)], env);

    it('shows the agent pid in System Info, and capacity and allocatable', () => {
      assert.match(section(text, 'System Info').join('\n'), /Agent PID: +31337/);
      assert.deepEqual(section(text, 'Capacity'), ['Capacity:', '  cpu:     4', '  memory:  8Gi', '  pods:    110']);
      assert.match(text, /^Unschedulable: +false$/m);
    });

    it('lists the non-terminated pods with their share of allocatable, and the totals', () => {
      assert.match(text, /^Non-terminated Pods: +\(1 in total\)$/m);
      assert.match(text, /^ {2}default +web-1 +250m \(6%\) +500m \(12%\) +64Mi \(0%\) +128Mi \(1%\) +5s$/m);
      const alloc = section(text, 'Allocated resources');
      assert.match(alloc.join('\n'), /^ {2}cpu +250m \(6%\) +500m \(12%\)$/m);
      assert.match(alloc.join('\n'), /^ {2}memory +64Mi \(0%\) +128Mi \(1%\)$/m);
    });
  });

  describe('deployment', () => {
    const d = deployment('web');
    const current = replicaSet('web-new22', d, 'http-echo:2', 3, '2');
    const old = replicaSet('web-old11', d, 'http-echo:1', 1, '1');
    const drained = replicaSet('web-old00', d, 'http-echo:0', 0, '0');
    drained.status = { replicas: 0 };
    const stranger = replicaSet('other-xyz', d, 'http-echo:2', 1, '2');
    stranger.metadata.ownerReferences = [];

    it('finds the new replica set by template and the old ones that still have pods', () => {
      const { newRS, oldRSs } = splitReplicaSets(d, [old, current, drained, stranger]);
      assert.equal(newRS?.metadata.name, 'web-new22');
      assert.deepEqual(
        oldRSs.map((r) => r.metadata.name),
        ['web-old11'],
      );
    });

    it('shows replicas, strategy, template and the replica sets', () => {
      const text = describeDeployment(d, [old, current], [], env);
      assert.match(text, /^Replicas: +3 desired \| 3 updated \| 3 total \| 2 available \| 1 unavailable$/m);
      assert.match(text, /^RollingUpdateStrategy: +25% max unavailable, 25% max surge$/m);
      assert.match(text, /^Pod Template:\n {2}Labels: +app=web\n {2}Containers:\n {3}web:\n {4}Image: +http-echo:2$/m);
      assert.match(text, /^OldReplicaSets: +web-old11 \(1\/1 replicas created\)$/m);
      assert.match(text, /^NewReplicaSet: +web-new22 \(3\/3 replicas created\)$/m);
      assert.match(text, /^Events: +<none>$/m);
    });
  });

  it('service: ports with target ports and the endpoints behind each', () => {
    const svc: Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'default' },
      spec: { selector: { app: 'web' }, clusterIP: '10.96.0.10', ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
    };
    const text = describeService(
      svc,
      {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: 'web' },
        subsets: [{ addresses: [{ ip: '10.244.1.5' }], ports: [{ name: 'http', port: 8080 }] }],
      },
      [],
      env,
    );
    assert.match(text, /^Port: +http +80\/TCP$/m);
    assert.match(text, /^TargetPort: +8080\/TCP$/m);
    assert.match(text, /^Endpoints: +10\.244\.1\.5:8080$/m);
    assert.match(text, /^IP: +10\.96\.0\.10$/m);
  });
});
