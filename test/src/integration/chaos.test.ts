// Chaos with real processes: a 4-node cluster started by TestCluster, faults created through the
// API as `kip apply` would, traffic through the agents' HTTP proxies to http-echo pods. Network
// faults act on the links they name and no others and heal by deletion or by their duration; a
// pause stops a node without closing its connection; cutting a node off the control plane is the
// split-brain case; restart brings a node back under its name; kill takes a node's processes down
// and its pods come back elsewhere. Bad specs get clear errors.

import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CHAOS_API_VERSION,
  isNodeReady,
  type Deployment,
  type Event,
  type NetworkChaos,
  type NetworkChaosSpec,
  type Node,
  type NodeChaos,
  type NodeChaosSpec,
  type Pod,
} from '@kip/shared';
import { readProcStat } from '@kip/agent';
import { TestCluster } from '../helpers/cluster.js';
import { processesUnder } from '../helpers/processes.js';
import { eventually, isAlive } from '../helpers/wait.js';

interface Hit {
  status: number;
  ms: number;
  pod?: string;
}

/** GET through an agent's HTTP proxy, as a pod would with HTTP_PROXY; status 0 when it times out. */
function viaProxy(proxy: string, url: string, timeoutMs = 5000): Promise<Hit> {
  const [host, port] = proxy.split(':');
  const start = performance.now();
  return new Promise((resolve) => {
    const req = http.request({ host, port: Number(port), path: url, headers: { host: new URL(url).host }, agent: false });
    const timer = setTimeout(() => {
      req.destroy();
      resolve({ status: 0, ms: performance.now() - start });
    }, timeoutMs);
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        clearTimeout(timer);
        let pod: string | undefined;
        try {
          pod = (JSON.parse(body) as { pod?: string }).pod;
        } catch {
          // a refusal from the proxy is plain text
        }
        resolve({ status: res.statusCode ?? 0, ms: performance.now() - start, pod });
      });
    });
    req.on('error', () => {
      clearTimeout(timer);
      resolve({ status: -1, ms: performance.now() - start });
    });
    req.end();
  });
}

async function median(f: () => Promise<Hit>, n = 5): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const h = await f();
    assert.equal(h.status, 200);
    times.push(h.ms);
  }
  return times.sort((a, b) => a - b)[Math.floor(n / 2)]!;
}

const echoPod = (name: string, node: string): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels: { app: 'target' } },
  spec: {
    nodeName: node,
    containers: [{ name: 'echo', image: 'http-echo', ports: [{ name: 'http', containerPort: 8080 }], resources: { requests: { cpu: '50m', memory: '32Mi' } } }],
  },
});

const networkChaos = (name: string, spec: NetworkChaosSpec): NetworkChaos => ({
  apiVersion: CHAOS_API_VERSION,
  kind: 'NetworkChaos',
  metadata: { name },
  spec,
});
const nodeChaos = (name: string, spec: NodeChaosSpec): NodeChaos => ({ apiVersion: CHAOS_API_VERSION, kind: 'NodeChaos', metadata: { name }, spec });

describe('chaos on a real cluster', function () {
  this.timeout(60_000);
  let cluster: TestCluster;
  const ip: Record<string, string> = {};

  before(async function () {
    cluster = await TestCluster.start({ nodes: 4 });
    for (const [name, node] of [
      ['e2', 'node-2'],
      ['e3', 'node-3'],
    ])
      await cluster.api.create(echoPod(name!, node!));
    for (const name of ['e2', 'e3']) {
      const pod = await eventually(`pod ${name} running with an IP`, async () => {
        const p = await cluster.api.get<Pod>('pods', name);
        return p?.status?.podIP && p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? p : undefined;
      });
      ip[name] = pod.status!.podIP!;
    }
    // Ready without a readiness probe means started, as in Kubernetes, not yet listening: wait
    // until node-1's proxy gets an answer from each pod before any test times a request.
    for (const name of ['e2', 'e3']) {
      await eventually(`pod ${name} to answer through node-1's proxy`, async () => (await viaProxy(proxyOf('node-1'), url(name), 2000)).status === 200);
    }
  });

  after(async function () {
    await cluster?.stop();
  });

  afterEach(function () {
    if (this.currentTest?.state === 'failed') console.log(cluster.dump());
  });

  /** host:port of a node's HTTP proxy, from its agent's log. */
  function proxyOf(node: string): string {
    const line = cluster.agents.get(node)!.output.find((l) => l.includes('network proxy listening'));
    const m = line && /http=(127\.0\.0\.1:\d+)/.exec(line);
    if (!m) throw new Error(`no proxy address in ${node}'s log`);
    return m[1]!;
  }

  const url = (pod: string) => `http://${ip[pod]}:8080/`;

  async function status<T extends NodeChaos | NetworkChaos>(kind: 'nodechaos' | 'networkchaos', name: string): Promise<NonNullable<T['status']>> {
    return (await cluster.api.get<T>(kind, name))?.status ?? {};
  }

  async function nodeReady(name: string): Promise<boolean> {
    const n = await cluster.api.get<Node>('nodes', name);
    return n !== undefined && isNodeReady(n);
  }

  it('refuses bad specs with the field and the reason, and reports an unknown node in status and events', async () => {
    const badMode = await cluster.api.request<{ message: string; reason: string }>(
      'POST',
      '/apis/chaos.kip.dev/v1alpha1/namespaces/default/nodechaos',
      nodeChaos('bad-mode', { action: 'kill', mode: 'most' as never }),
    );
    assert.equal(badMode.status, 400);
    assert.equal(badMode.body.reason, 'Invalid');
    assert.match(badMode.body.message, /spec\.mode: Unsupported value: "most"/);
    const negative = await cluster.api.request<{ message: string }>(
      'POST',
      '/apis/chaos.kip.dev/v1alpha1/namespaces/default/nodechaos',
      nodeChaos('neg', { action: 'pause', selector: { nodes: ['node-1'] }, duration: '-5s' }),
    );
    assert.equal(negative.status, 400);
    assert.match(negative.body.message, /spec\.duration: Invalid value: "-5s": must not be negative/);
    await cluster.api.create(nodeChaos('ghost', { action: 'kill', selector: { nodes: ['node-9'] } }));
    const st = await eventually('the unknown node to be reported', async () => {
      const s = await status<NodeChaos>('nodechaos', 'ghost');
      return s.phase === 'Failed' ? s : undefined;
    });
    assert.equal(st.records?.[0]?.message, 'node node-9 not found (nodes: node-1, node-2, node-3, node-4)');
    const events = await cluster.api.list<Event>('events', { namespace: 'default', fieldSelector: 'involvedObject.name=ghost' });
    assert.ok(events.some((e) => e.reason === 'ChaosFailed' && e.type === 'Warning' && /node node-9 not found/.test(e.message)));
  });

  it('delay slows requests across the delayed link only, and heals by itself when its duration ends', async () => {
    const p1 = proxyOf('node-1');
    const before2 = await median(() => viaProxy(p1, url('e2')));
    await cluster.api.create(
      networkChaos('slow-1-2', {
        action: 'delay',
        selector: { nodes: ['node-1'] },
        target: { selector: { nodes: ['node-2'] } },
        delay: { latency: '500ms' },
        duration: '8s',
      }),
    );
    await eventually('the delay to act', async () => (await viaProxy(p1, url('e2'))).ms >= 500, { intervalMs: 50 });
    const slow = await median(() => viaProxy(p1, url('e2')), 3);
    const other = await median(() => viaProxy(p1, url('e3')), 3);
    assert.ok(slow >= 500, `node-1 -> node-2 takes ${slow.toFixed(0)} ms`);
    // The undelayed link answers in its usual time; a margin of 200 ms absorbs a loaded machine.
    assert.ok(other < slow - 300, `node-1 -> node-3 takes ${other.toFixed(0)} ms, node-1 -> node-2 ${slow.toFixed(0)} ms`);
    const st = await eventually(
      'the delay to heal by itself',
      async () => {
        const s = await status<NetworkChaos>('networkchaos', 'slow-1-2');
        return s.phase === 'Recovered' ? s : undefined;
      },
      { timeoutMs: 15_000 },
    );
    assert.deepEqual(
      st.records?.map((r) => r.result),
      ['Injected', 'Recovered'],
    );
    await eventually('node-1 -> node-2 to be fast again', async () => (await viaProxy(p1, url('e2'))).ms < before2 + 150);
  });

  it('a partition stops traffic across its link while other links work, and deleting it lets the held request through', async () => {
    const p1 = proxyOf('node-1');
    const p4 = proxyOf('node-4');
    await cluster.api.create(
      networkChaos('cut-1-2', { action: 'partition', selector: { nodes: ['node-1'] }, target: { selector: { nodes: ['node-2'] } }, direction: 'both' }),
    );
    await eventually('node-1 -> node-2 to stall', async () => (await viaProxy(p1, url('e2'), 800)).status === 0);
    assert.equal((await viaProxy(p1, url('e3'))).status, 200, 'node-1 -> node-3 works');
    assert.equal((await viaProxy(p4, url('e2'))).status, 200, 'node-4 -> node-2 works');
    const held = viaProxy(p1, url('e2'), 20_000);
    await sleep(500);
    const del = await cluster.api.delete('networkchaos', 'cut-1-2');
    assert.equal(del.status, 200);
    const h = await held;
    assert.equal(h.status, 200, 'the request held by the partition completes after the heal');
    assert.equal(h.pod, 'e2');
    const events = await cluster.api.list<Event>('events', { namespace: 'default', fieldSelector: 'involvedObject.name=node-1' });
    assert.ok(events.some((e) => e.reason === 'ChaosInjected') && events.some((e) => e.reason === 'ChaosRecovered'), 'events on the node');
  });

  it('pause stops a node without closing its connection: NotReady, then Ready again', async () => {
    const pid = cluster.agentPid('node-4');
    const marks = cluster.controlPlane.output.length;
    await cluster.api.create(nodeChaos('nap', { action: 'pause', selector: { nodes: ['node-4'] }, duration: '6s' }));
    await eventually('the agent to be stopped', () => readProcStat(pid)?.state === 'T', { intervalMs: 50 });
    await eventually('node-4 to be NotReady', async () => !(await nodeReady('node-4')), { timeoutMs: 15_000 });
    assert.equal(readProcStat(pid)?.state, 'T', 'still stopped, still there');
    assert.ok(
      !cluster.controlPlane.output.slice(marks).some((l) => l.includes('node disconnected') && l.includes('node=node-4')),
      'its connection stayed open',
    );
    await eventually('node-4 to be Ready again', () => nodeReady('node-4'), { timeoutMs: 20_000 });
    assert.ok(isAlive(pid) && readProcStat(pid)?.state !== 'T', 'the same agent process continued');
    assert.equal((await status<NodeChaos>('nodechaos', 'nap')).phase, 'Recovered');
  });

  it('deleting a pause ends it at once: the agent and its pods continue, and the node is Ready again', async () => {
    const pid = cluster.agentPid('node-4');
    await cluster.api.create(nodeChaos('long-pause', { action: 'pause', selector: { nodes: ['node-4'] }, duration: '5m' }));
    await eventually('the agent to be stopped', () => readProcStat(pid)?.state === 'T', { intervalMs: 50 });
    const line = await eventually('the pause to be logged', () =>
      cluster.agents.get('node-4')!.output.find((l) => l.includes('paused by chaos default/long-pause')),
    );
    const resumer = Number(/resumer=(\d+)/.exec(line)?.[1]);
    assert.equal((await cluster.api.delete('nodechaos', 'long-pause')).status, 200);
    await eventually('the agent to run again', () => readProcStat(pid)?.state !== 'T', { timeoutMs: 10_000, intervalMs: 50 });
    await eventually('the resumer to be gone', () => !isAlive(resumer), { timeoutMs: 5000 });
    await eventually('node-4 to be Ready', () => nodeReady('node-4'), { timeoutMs: 15_000 });
    const events = await cluster.api.list<Event>('events', { namespace: 'default', fieldSelector: 'involvedObject.name=long-pause' });
    assert.ok(
      events.some((e) => e.reason === 'ChaosRecovered' && /node-4 continued now/.test(e.message)),
      JSON.stringify(events.map((e) => e.message)),
    );
  });

  it('split brain: a node cut off the control plane keeps its pods, they are replaced elsewhere, and on heal it stops them', async () => {
    const web: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 4,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [{ name: 'echo', image: 'http-echo', ports: [{ containerPort: 8080 }], resources: { requests: { cpu: '50m', memory: '32Mi' } } }],
          },
        },
      },
    };
    await cluster.api.create(web);
    const webPods = async () =>
      (await cluster.api.list<Pod>('pods', { namespace: 'default', labelSelector: 'app=web' })).filter((p) => !p.metadata.deletionTimestamp);
    const onNode3 = await eventually(
      'a running web pod on node-3',
      async () => (await webPods()).find((p) => p.spec.nodeName === 'node-3' && p.status?.phase === 'Running'),
      { timeoutMs: 30_000 },
    );
    const podDir = path.join(cluster.dataDir, 'nodes', 'node-3', 'pods');
    const running = () => processesUnder(podDir).length;
    assert.ok(running() > 0);
    await cluster.api.create(
      networkChaos('isolate-3', { action: 'partition', selector: { nodes: ['node-3'] }, target: { mode: 'all', controlPlane: true }, direction: 'both' }),
    );
    await eventually('node-3 to be NotReady', async () => !(await nodeReady('node-3')), { timeoutMs: 20_000 });
    await eventually(
      'its pod to be replaced on another node',
      async () => {
        const pods = await webPods();
        return (
          !pods.some((p) => p.metadata.name === onNode3.metadata.name) &&
          pods.filter((p) => p.spec.nodeName !== 'node-3' && p.status?.phase === 'Running').length >= 4
        );
      },
      { timeoutMs: 20_000 },
    );
    assert.ok(running() > 0, 'the cut-off node still runs its pods');
    await cluster.api.delete('networkchaos', 'isolate-3');
    await eventually('node-3 to be Ready again', () => nodeReady('node-3'), { timeoutMs: 20_000 });
    await eventually('node-3 to stop the pods it no longer owns', () => running() === 0, { timeoutMs: 20_000 });
  });

  it('restart brings a node back under its name with a new agent', async () => {
    const old = cluster.agentPid('node-2');
    await cluster.api.create(nodeChaos('bounce', { action: 'restart', selector: { nodes: ['node-2'] }, restartDelay: '1s' }));
    await eventually('the old agent to be gone', () => !isAlive(old), { timeoutMs: 10_000 });
    const st = await eventually(
      'the restart to be over',
      async () => {
        const s = await status<NodeChaos>('nodechaos', 'bounce');
        return s.phase === 'Recovered' ? s : undefined;
      },
      { timeoutMs: 20_000 },
    );
    assert.match(st.records!.at(-1)!.message!, /node-2 restarted and Ready again/);
    const node = (await cluster.api.get<Node>('nodes', 'node-2'))!;
    assert.ok(isNodeReady(node));
    assert.notEqual(node.status!.nodeInfo!.agentPid, old);
    assert.equal(cluster.agentPid('node-2'), node.status!.nodeInfo!.agentPid);
  });

  it('a paused node that is SIGKILLed does not leave its pods frozen until the pause would end', async () => {
    const frozen: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'frozen' },
      spec: { nodeName: 'node-1', containers: [{ name: 'c', image: 'pause' }] },
    };
    await cluster.api.create(frozen);
    await eventually('the pod to run', async () => (await cluster.api.get<Pod>('pods', 'frozen'))?.status?.phase === 'Running');
    const podDir = path.join(cluster.dataDir, 'nodes', 'node-1', 'pods');
    const pid = cluster.agentPid('node-1');
    await cluster.api.create(nodeChaos('long-nap', { action: 'pause', selector: { nodes: ['node-1'] }, duration: '5m' }));
    await eventually('the agent to be stopped', () => readProcStat(pid)?.state === 'T', { intervalMs: 50 });
    await cluster.killAgent('node-1', 'SIGKILL');
    await eventually('its pod processes to be gone long before the pause ends', () => processesUnder(podDir).length === 0, { timeoutMs: 10_000 });
    assert.equal((await cluster.api.delete('nodechaos', 'long-nap')).status, 200);
  });

  it('kill takes a node and its pods down, and the pods come back elsewhere', async () => {
    const webPods = async () =>
      (await cluster.api.list<Pod>('pods', { namespace: 'default', labelSelector: 'app=web' })).filter((p) => !p.metadata.deletionTimestamp);
    const victim = await eventually(
      'a running web pod on node-4',
      async () => (await webPods()).find((p) => p.spec.nodeName === 'node-4' && p.status?.phase === 'Running'),
      { timeoutMs: 30_000 },
    );
    const pid = cluster.agentPid('node-4');
    const podDir = path.join(cluster.dataDir, 'nodes', 'node-4', 'pods');
    await cluster.api.create(nodeChaos('kill-4', { action: 'kill', selector: { nodes: ['node-4'] } }));
    await eventually('the agent to be gone', () => !isAlive(pid), { timeoutMs: 10_000 });
    await eventually('its pod processes to be gone', () => processesUnder(podDir).length === 0, { timeoutMs: 10_000 });
    await eventually(
      'the pods to come back elsewhere',
      async () => {
        const pods = await webPods();
        return (
          !pods.some((p) => p.metadata.name === victim.metadata.name) &&
          pods.filter((p) => p.spec.nodeName !== 'node-4' && p.status?.phase === 'Running').length >= 4
        );
      },
      { timeoutMs: 30_000 },
    );
    const st = await status<NodeChaos>('nodechaos', 'kill-4');
    assert.equal(st.phase, 'Finished');
    assert.equal(st.records?.[0]?.message, 'killed node-4');
  });
});
