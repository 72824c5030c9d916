// The foundation, end to end, with real processes: a 3-node cluster, a Deployment spread over it,
// scaling, a SIGKILLed node whose pods come back elsewhere, container restarts, OOM kills, image
// errors, bad input, and agents the control plane must refuse.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import WebSocket from 'ws';
import { AGENT_PATH, isNodeReady, type Deployment, type Event, type Pod, type ReplicaSet, type Status } from '@kip/shared';
import { AGENT_MAIN, TestCluster } from '../helpers/cluster.js';
import { eventually, isAlive } from '../helpers/wait.js';

function deployment(name: string, replicas: number, image = 'pause'): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'main', image, resources: { requests: { cpu: '100m', memory: '32Mi' } } }] },
      },
    },
  };
}

function pod(name: string, spec: Partial<Pod['spec']> & Pick<Pod['spec'], 'containers'>): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec };
}

const isRunning = (p: Pod) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp;
const containerPid = (p: Pod) => Number(p.status?.containerStatuses?.[0]?.containerID?.replace('kip://', '') ?? 0);

describe('a 3-node cluster of real processes', function () {
  let cluster: TestCluster;

  before(async function () {
    cluster = await TestCluster.start({ nodes: 3 });
  });

  after(async function () {
    await cluster?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cluster.dump());
  });

  async function runningPods(app: string, count: number, timeoutMs = 60_000): Promise<Pod[]> {
    return eventually(
      `${count} running ${app} pods`,
      async () => {
        const pods = await cluster.api.list<Pod>('pods', { namespace: 'default', labelSelector: `app=${app}` });
        const running = pods.filter(isRunning);
        return running.length === count && pods.filter((p) => !p.metadata.deletionTimestamp).length === count ? running : undefined;
      },
      { timeoutMs },
    );
  }

  it('has 3 Ready nodes whose agent pids are the real agent processes', async function () {
    const nodes = await cluster.waitReady(3);
    assert.deepEqual(nodes.map((n) => n.metadata.name).sort(), ['node-1', 'node-2', 'node-3']);
    for (const n of nodes) {
      assert.equal(n.status?.nodeInfo?.agentPid, cluster.agentPid(n.metadata.name));
      assert.equal(n.metadata.labels?.['kubernetes.io/hostname'], n.metadata.name);
      assert.match(n.spec.podCIDR ?? '', /^10\.244\.\d+\.0\/24$/);
      assert.equal(n.status?.capacity?.cpu, '4');
    }
  });

  it('runs a 6-replica Deployment on all 3 nodes, each pod a live process', async function () {
    await cluster.api.create(deployment('spread', 6));
    const pods = await runningPods('spread', 6);
    const perNode = new Map<string, number>();
    for (const p of pods) perNode.set(p.spec.nodeName!, (perNode.get(p.spec.nodeName!) ?? 0) + 1);
    assert.deepEqual([...perNode.keys()].sort(), ['node-1', 'node-2', 'node-3'], `placement: ${JSON.stringify([...perNode])}`);
    for (const p of pods) {
      assert.ok(isAlive(containerPid(p)), `pod ${p.metadata.name} process ${containerPid(p)} is running`);
      assert.match(p.status?.podIP ?? '', /^10\.244\.\d+\.\d+$/);
      assert.equal(p.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status, 'True');
    }
  });

  it('scales the Deployment up and down', async function () {
    await cluster.api.patch('deployments', 'spread', { spec: { replicas: 9 } });
    await runningPods('spread', 9);
    const before = await runningPods('spread', 9);
    await cluster.api.patch('deployments', 'spread', { spec: { replicas: 3 } });
    const after = await runningPods('spread', 3);
    const kept = new Set(after.map((p) => p.metadata.uid));
    const removed = before.filter((p) => !kept.has(p.metadata.uid));
    await eventually('the removed pods processes to exit', () => removed.every((p) => !isAlive(containerPid(p))));
    await cluster.api.patch('deployments', 'spread', { spec: { replicas: 6 } });
    await runningPods('spread', 6);
  });

  it('replaces the pods of a SIGKILLed agent on the other nodes, and its processes die with it', async function () {
    const pods = await runningPods('spread', 6);
    const victim = pods[0]!.spec.nodeName!;
    const doomed = pods.filter((p) => p.spec.nodeName === victim);
    const pids = doomed.map(containerPid);
    const killedAt = Date.now();
    await cluster.killAgent(victim, 'SIGKILL');
    await eventually('the killed node pod processes to exit', () => pids.every((pid) => !isAlive(pid)), { timeoutMs: 5000, intervalMs: 10 });
    const diedWithin = Date.now() - killedAt;
    // The promise: every pod process is gone within 1 s of its agent's death.
    assert.ok(diedWithin < 1000, `pod processes outlived their agent by ${diedWithin} ms`);
    await eventually(`${victim} to be not Ready`, async () => {
      const n = await cluster.node(victim);
      return n && !isNodeReady(n);
    });
    const replaced = await runningPods('spread', 6);
    for (const p of replaced) assert.notEqual(p.spec.nodeName, victim);
    const events = await cluster.api.list<Event>('events', { namespace: 'default' });
    assert.ok(
      events.some((e) => e.reason === 'TaintManagerEviction' && doomed.some((d) => d.metadata.name === e.involvedObject.name)),
      'an eviction event for the lost pods',
    );
  });

  it('brings a restarted node back to Ready', async function () {
    const down = ['node-1', 'node-2', 'node-3'].find((n) => !isAlive(cluster.agents.get(n)!.child.pid!));
    assert.ok(down, 'one node is down from the previous test');
    const p = cluster.startAgent(down);
    await eventually(`${down} to be Ready again with its new pid`, async () => {
      const n = await cluster.node(down);
      return n && isNodeReady(n) && n.status?.nodeInfo?.agentPid === p.child.pid;
    });
  });

  it('deletes a pod gracefully: it is Terminating until its node has stopped it', async function () {
    await cluster.api.create(pod('graceful', { containers: [{ name: 'main', command: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 0.1; done'] }] }));
    const running = await eventually('the pod to run', async () => {
      const p = await cluster.api.get<Pod>('pods', 'graceful');
      return p && isRunning(p) ? p : undefined;
    });
    const res = await cluster.api.delete('pods', 'graceful');
    assert.equal(res.status, 200);
    assert.ok((res.body as Pod).metadata.deletionTimestamp, 'the pod is marked for deletion, not removed at once');
    await eventually('the pod to be gone', async () => (await cluster.api.get<Pod>('pods', 'graceful')) === undefined);
    assert.ok(!isAlive(containerPid(running)), 'its process has exited');
  });

  it('serves container logs through the API', async function () {
    await cluster.api.create(pod('talker', { containers: [{ name: 'main', command: ['sh', '-c', 'echo hello from the talker; exec sleep 1000'] }] }));
    const text = await eventually('the log line', async () => {
      const res = await cluster.api.request<string>('GET', '/api/v1/namespaces/default/pods/talker/log');
      return res.status === 200 && String(res.body).includes('hello from the talker') ? String(res.body) : undefined;
    });
    assert.match(text, /hello from the talker/);
    const bad = await cluster.api.request<Status>('GET', '/api/v1/namespaces/default/pods/talker/log?container=nope');
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /nope/);
    await cluster.api.delete('pods', 'talker', 'default', 0);
  });

  it('shows restarts and CrashLoopBackOff in the pod status', async function () {
    await cluster.api.create(pod('crasher', { containers: [{ name: 'main', image: 'crasher', args: ['--after', '200ms', '--code', '3'] }] }));
    let sawBackOff = false;
    const p = await eventually(
      'two restarts and a CrashLoopBackOff',
      async () => {
        const p = await cluster.api.get<Pod>('pods', 'crasher');
        const cs = p?.status?.containerStatuses?.[0];
        if (cs?.state.waiting?.reason === 'CrashLoopBackOff') sawBackOff = true;
        return cs && cs.restartCount >= 2 && sawBackOff ? p : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 50 },
    );
    const cs = p!.status!.containerStatuses![0]!;
    assert.equal(cs.lastState.terminated?.exitCode, 3);
    assert.equal(cs.lastState.terminated?.reason, 'Error');
    await cluster.api.delete('pods', 'crasher', 'default', 0);
  });

  it('reports a container over its memory limit as OOMKilled with exit code 137', async function () {
    await cluster.api.create(
      pod('hog', {
        restartPolicy: 'Never',
        containers: [{ name: 'main', image: 'stress', args: ['--memory', '256Mi'], resources: { limits: { memory: '64Mi' } } }],
      }),
    );
    const term = await eventually(
      'the OOM kill',
      async () => {
        const p = await cluster.api.get<Pod>('pods', 'hog');
        return p?.status?.containerStatuses?.[0]?.state.terminated;
      },
      { timeoutMs: 60_000 },
    );
    assert.equal(term.reason, 'OOMKilled');
    assert.equal(term.exitCode, 137);
    assert.equal((await cluster.api.get<Pod>('pods', 'hog'))?.status?.phase, 'Failed');
    await cluster.api.delete('pods', 'hog', 'default', 0);
  });

  it('leaves a pod with an unknown image waiting in ErrImagePull, with an event', async function () {
    await cluster.api.create(pod('no-such-image', { containers: [{ name: 'main', image: 'example.com/no-such-image:1.0' }] }));
    const cs = await eventually('ErrImagePull', async () => {
      const p = await cluster.api.get<Pod>('pods', 'no-such-image');
      const cs = p?.status?.containerStatuses?.[0];
      return cs?.state.waiting?.reason === 'ErrImagePull' ? cs : undefined;
    });
    assert.match(cs.state.waiting?.message ?? '', /no-such-image/);
    await eventually('a Failed event', async () => {
      const events = await cluster.api.list<Event>('events', { namespace: 'default', fieldSelector: 'involvedObject.name=no-such-image' });
      return events.some((e) => e.type === 'Warning' && e.reason === 'Failed');
    });
    assert.equal((await cluster.api.get<Pod>('pods', 'no-such-image'))?.status?.phase, 'Pending');
    await cluster.api.delete('pods', 'no-such-image', 'default', 0);
  });

  it('answers a bad manifest with a 400 Status that names the fields', async function () {
    const bad = deployment('bad', -1);
    delete bad.spec.template.spec.containers[0]!.image;
    const res = await cluster.api.request<Status>('POST', '/apis/apps/v1/namespaces/default/deployments', bad);
    assert.equal(res.status, 400);
    assert.equal(res.body.kind, 'Status');
    assert.equal(res.body.reason, 'Invalid');
    assert.match(res.body.message, /spec\.replicas: .*greater than or equal to 0/);
    assert.match(res.body.message, /spec\.template\.spec\.containers\[0\]\.image: Required value/);
    const notJson = await cluster.api.request<Status>('POST', '/api/v1/namespaces/default/pods', '{"kind": "Pod",');
    assert.equal(notJson.status, 400);
    assert.match(notJson.body.message, /not valid JSON/);
  });

  it('refuses an agent with a wrong token; the agent says why and exits', async function () {
    const child = spawn(
      process.execPath,
      [AGENT_MAIN, '--name', 'intruder', '--server', cluster.agentUrl, '--token', 'wrong', '--data-dir', path.join(cluster.dataDir, 'intruder')],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    assert.equal(code, 2);
    assert.match(out, /join token is wrong/);
    assert.equal(await cluster.node('intruder'), undefined);
  });

  it('refuses a second live agent under a name already in use', async function () {
    const child = spawn(
      process.execPath,
      [
        AGENT_MAIN,
        '--name',
        'node-2',
        '--server',
        cluster.agentUrl,
        '--token-file',
        path.join(cluster.dataDir, 'token'),
        '--data-dir',
        path.join(cluster.dataDir, 'dup'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    assert.equal(code, 2);
    assert.match(out, /already connected/);
    const n = await cluster.node('node-2');
    assert.equal(n?.status?.nodeInfo?.agentPid, cluster.agentPid('node-2'));
  });

  it('closes a connection that sends a malformed frame, and carries on serving', async function () {
    const ws = new WebSocket(cluster.agentUrl + AGENT_PATH);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.send(Buffer.from([0xc1, 0xff, 0x00, 0x13]));
    const { code, reason } = await closed;
    assert.equal(code, 1002);
    assert.match(reason, /BadFrame|UnknownMessage/);
    assert.ok(isAlive(cluster.controlPlane.child.pid!));
    await cluster.waitReady(3);
  });

  it('deletes the ReplicaSets and pods of a deleted Deployment', async function () {
    const pods = await runningPods('spread', 6);
    const res = await cluster.api.delete('deployments', 'spread');
    assert.equal(res.status, 200);
    await eventually('the ReplicaSets and pods to be gone', async () => {
      const rs = await cluster.api.list<ReplicaSet>('replicasets', { namespace: 'default', labelSelector: 'app=spread' });
      const left = await cluster.api.list<Pod>('pods', { namespace: 'default', labelSelector: 'app=spread' });
      return rs.length === 0 && left.length === 0;
    });
    await eventually('their processes to exit', () => pods.every((p) => !isAlive(containerPid(p))));
  });

  it('runs pods in a namespace of their own, refuses a namespace that does not exist, and empties one that is deleted', async function () {
    const missing = await cluster.api.request<Status>(
      'POST',
      '/api/v1/namespaces/nowhere/pods',
      pod('lost', { containers: [{ name: 'main', image: 'pause' }] }),
    );
    assert.equal(missing.status, 404);
    assert.match(missing.body.message, /namespaces "nowhere" not found/);
    await cluster.api.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
    await cluster.api.create(pod('inside', { containers: [{ name: 'main', image: 'pause' }] }), 'team-a');
    const running = await eventually('the pod in team-a to run', async () => {
      const p = await cluster.api.get<Pod>('pods', 'inside', 'team-a');
      return p && isRunning(p) ? p : undefined;
    });
    const del = await cluster.api.request<{ status: { phase: string } }>('DELETE', '/api/v1/namespaces/team-a');
    assert.equal(del.body.status.phase, 'Terminating');
    await eventually(
      'the namespace and its pod to be gone',
      async () =>
        (await cluster.api.request('GET', '/api/v1/namespaces/team-a')).status === 404 &&
        (await cluster.api.get<Pod>('pods', 'inside', 'team-a')) === undefined,
    );
    await eventually('its process to exit', () => !isAlive(containerPid(running)));
  });
});
