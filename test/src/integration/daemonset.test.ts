// DaemonSets and PodDisruptionBudgets on a real cluster: one Running daemon pod per eligible node,
// following a node labelled out and a node joining, a template change rolled out node by node (and
// `kubectl rollout status` following it); a budget that makes the eviction API answer 429, and
// `kip drain` and `kubectl drain` stopping short of breaking it.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bufferIO, main } from '@kip/scripts';
import { LABEL_CONTROLLER_REVISION_HASH, type DaemonSet, type Deployment, type Pod, type PodDisruptionBudget } from '@kip/shared';
import { TestCluster } from '../helpers/cluster.js';
import { requireKubectl, runKubectl, type KubectlRun } from '../helpers/kubectl.js';
import { eventually } from '../helpers/wait.js';

const DEADLINE = { timeoutMs: 60_000, intervalMs: 250 };

describe('DaemonSet and PodDisruptionBudget on a real cluster', function () {
  let cluster: TestCluster;
  let dir: string;

  before(async function () {
    requireKubectl();
    dir = mkdtempSync(path.join(os.tmpdir(), 'kip-daemonset-'));
    // TLS: kubectl sends its token only over TLS.
    cluster = await TestCluster.start({ nodes: 3, controlPlaneArgs: ['--tls'] });
  });

  after(async function () {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function kubectl(...args: string[]): Promise<KubectlRun> {
    return runKubectl(args, { kubeconfig: cluster.kubeconfig, cacheDir: path.join(dir, 'cache'), timeoutMs: 90_000 });
  }

  async function kip(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const io = bufferIO({ env: {}, cwd: dir });
    const code = await main([...argv, '--kubeconfig', cluster.kubeconfig], io);
    return { code, out: io.stdout.text(), err: io.stderr.text() };
  }

  const running = (p: Pod) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp;

  async function daemonPods(): Promise<Pod[]> {
    return (await cluster.api.list<Pod>('pods', { namespace: 'default', labelSelector: 'app=agent' })).filter((p) => !p.metadata.deletionTimestamp);
  }

  /** Waits until exactly these nodes each have one Running daemon pod, and no other node has one. */
  async function daemonsOn(nodes: string[], what: string): Promise<Pod[]> {
    let last: Pod[] = [];
    await eventually(
      what,
      async () => {
        last = await daemonPods();
        const on = last.filter(running).map((p) => p.spec.nodeName ?? '');
        return last.length === nodes.length && JSON.stringify([...on].sort()) === JSON.stringify([...nodes].sort());
      },
      DEADLINE,
    ).catch((err) => {
      throw new Error(
        `${(err as Error).message}; pods: ${last.map((p) => `${p.metadata.name}@${p.spec.nodeName}:${p.status?.phase}`).join(', ')}\n${cluster.dump()}`,
      );
    });
    return last;
  }

  async function dsStatus(): Promise<DaemonSet['status']> {
    return (await cluster.api.get<DaemonSet>('daemonsets', 'agent'))?.status;
  }

  it('runs one pod per node, follows a node labelled out and a node joining, and rolls a template change', async function () {
    const ds: DaemonSet = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: 'default' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: {
          metadata: { labels: { app: 'agent' } },
          spec: {
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [{ matchExpressions: [{ key: 'daemons', operator: 'NotIn', values: ['off'] }] }],
                },
              },
            },
            containers: [{ name: 'main', image: 'pause' }],
          },
        },
      },
    };
    await cluster.api.create(ds);
    const first = await daemonsOn(['node-1', 'node-2', 'node-3'], 'a Running daemon pod on each of the 3 nodes');
    for (const p of first) {
      assert.equal(p.metadata.ownerReferences?.[0]?.kind, 'DaemonSet');
      const pinned = p.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]?.matchFields?.[0];
      assert.deepEqual(pinned, { key: 'metadata.name', operator: 'In', values: [p.spec.nodeName] }, 'placed by the scheduler through node affinity');
      assert.ok(p.spec.tolerations?.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute' && t.tolerationSeconds === undefined));
    }
    await eventually('status counts 3 ready', async () => (await dsStatus())?.numberReady === 3, DEADLINE);
    const st = await dsStatus();
    assert.equal(st?.desiredNumberScheduled, 3);
    assert.equal(st?.currentNumberScheduled, 3);
    assert.equal(st?.numberMisscheduled, 0);

    await cluster.api.patch('nodes', 'node-2', { metadata: { labels: { daemons: 'off' } } }, '');
    await daemonsOn(['node-1', 'node-3'], 'node-2, labelled out, to lose its daemon pod');
    await eventually('desired to drop to 2', async () => (await dsStatus())?.desiredNumberScheduled === 2, DEADLINE);

    cluster.startAgent('node-4');
    await cluster.waitReady(4, 60_000);
    await daemonsOn(['node-1', 'node-3', 'node-4'], 'node-4, joining, to get a daemon pod');

    const before = new Set((await daemonPods()).map((p) => p.metadata.name));
    const oldHash = (await daemonPods())[0]?.metadata.labels?.[LABEL_CONTROLLER_REVISION_HASH];
    await cluster.api.patch('daemonsets', 'agent', { spec: { template: { metadata: { annotations: { rev: '2' } } } } });
    const [rollout, kipRollout] = await Promise.all([
      kubectl('rollout', 'status', 'daemonset/agent', '--timeout', '80s'),
      kip('rollout', 'status', 'ds/agent', '--timeout', '80s'),
    ]);
    assert.equal(rollout.code, 0, `kubectl rollout status: ${rollout.out}${rollout.err}`);
    assert.match(rollout.out, /daemon set "agent" successfully rolled out\n$/);
    assert.equal(kipRollout.code, 0, `kip rollout status: ${kipRollout.out}${kipRollout.err}`);
    assert.match(kipRollout.out, /daemon set "agent" successfully rolled out\n$/);
    const history = await kubectl('rollout', 'history', 'daemonset/agent');
    assert.equal(history.code, 0, history.err);
    assert.match(history.out, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n/);
    const after = await daemonsOn(['node-1', 'node-3', 'node-4'], 'the rolled pods to run');
    for (const p of after) {
      assert.ok(!before.has(p.metadata.name), `pod ${p.metadata.name} was replaced`);
      assert.notEqual(p.metadata.labels?.[LABEL_CONTROLLER_REVISION_HASH], oldHash);
      assert.equal(p.metadata.annotations?.rev, '2');
    }
    // Back to the first template, as kubectl does it: the saved revision, sent as a strategic merge patch.
    const undo = await kubectl('rollout', 'undo', 'daemonset/agent');
    assert.equal(undo.code, 0, undo.err);
    assert.match(undo.out, /daemonset.apps\/agent rolled back/);
    const undone = await kubectl('rollout', 'status', 'daemonset/agent', '--timeout', '80s');
    assert.equal(undone.code, 0, `${undone.out}${undone.err}`);
    const back = await daemonsOn(['node-1', 'node-3', 'node-4'], 'the pods of the first template to run');
    for (const p of back) {
      assert.equal(p.metadata.labels?.[LABEL_CONTROLLER_REVISION_HASH], oldHash, 'the first template’s hash again');
      assert.equal(p.metadata.annotations?.rev, undefined);
    }
    const done = await dsStatus();
    assert.equal(done?.updatedNumberScheduled, 3);
    assert.equal(done?.observedGeneration, (await cluster.api.get<DaemonSet>('daemonsets', 'agent'))?.metadata.generation);

    const described = await kubectl('describe', 'ds', 'agent');
    assert.equal(described.code, 0, described.err);
    assert.match(described.out, /Desired Number of Nodes Scheduled: 3\n/);
    assert.match(described.out, /Pods Status:\s+3 Running \/ 0 Waiting \/ 0 Succeeded \/ 0 Failed\n/);
    assert.match(described.out, /SuccessfulCreate/);
    const table = await kubectl('get', 'ds', 'agent');
    assert.match(table.out, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE\n/);
    assert.match(table.out, /\nagent\s+3\s+3\s+3\s+3\s+3\s+<none>\s+/);
  });

  it('refuses evictions a PodDisruptionBudget does not allow, with 429, and drain stops short', async function () {
    const web: Deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'pause' }] } },
      },
    };
    await cluster.api.create(web);
    // As the docs write one (the zookeeper example's budget), applied by kubectl with its validation on.
    const file = path.join(dir, 'pdb.yaml');
    writeFileSync(
      file,
      'apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata:\n  name: web\nspec:\n  minAvailable: 2\n  selector:\n    matchLabels:\n      app: web\n',
    );
    const applied = await kubectl('apply', '-f', file);
    assert.equal(applied.code, 0, applied.err);
    assert.equal(applied.out, 'poddisruptionbudget.policy/web created\n');
    await eventually(
      'the budget to see 2 healthy pods',
      async () => {
        const s = (await cluster.api.get<PodDisruptionBudget>('poddisruptionbudgets', 'web'))?.status;
        return s?.currentHealthy === 2 && s.desiredHealthy === 2 && s.expectedPods === 2;
      },
      DEADLINE,
    );
    const budget = (await cluster.api.get<PodDisruptionBudget>('poddisruptionbudgets', 'web'))!;
    assert.equal(budget.status?.disruptionsAllowed, 0);
    assert.deepEqual(
      budget.status?.conditions?.map((c) => [c.type, c.status, c.reason]),
      [['DisruptionAllowed', 'False', 'InsufficientPods']],
    );
    const pods = (await cluster.api.list<Pod>('pods', { namespace: 'default', labelSelector: 'app=web' })).filter(running);
    assert.equal(pods.length, 2);
    const victim = pods[0]!;
    const refused = await cluster.api.request<{ code: number; reason: string; message: string }>(
      'POST',
      `/api/v1/namespaces/default/pods/${victim.metadata.name}/eviction`,
      { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: victim.metadata.name, namespace: 'default' } },
    );
    assert.equal(refused.status, 429);
    assert.equal(refused.body.reason, 'TooManyRequests');
    assert.equal(refused.body.message, "Cannot evict pod as it would violate the pod's disruption budget.");

    const node = victim.spec.nodeName!;
    const kipDrain = await kip('drain', node, '--ignore-daemonsets', '--timeout', '5s');
    assert.notEqual(kipDrain.code, 0, `kip drain should stop short: ${kipDrain.out}${kipDrain.err}`);
    assert.match(kipDrain.err, /Cannot evict pod as it would violate the pod's disruption budget/);
    const kubectlDrain = await kubectl('drain', node, '--ignore-daemonsets', '--timeout', '5s');
    assert.notEqual(kubectlDrain.code, 0, `kubectl drain should stop short: ${kubectlDrain.out}${kubectlDrain.err}`);
    assert.match(kubectlDrain.err, /Cannot evict pod as it would violate the pod's disruption budget/);
    const still = await cluster.api.get<Pod>('pods', victim.metadata.name);
    assert.ok(still && !still.metadata.deletionTimestamp, 'the pod the budget protects is still there');
    await kip('uncordon', node);

    // Loosened, the budget allows one eviction, and spends it.
    await cluster.api.patch('poddisruptionbudgets', 'web', { spec: { minAvailable: 1 } });
    await eventually(
      'one disruption to be allowed',
      async () => (await cluster.api.get<PodDisruptionBudget>('poddisruptionbudgets', 'web'))?.status?.disruptionsAllowed === 1,
      DEADLINE,
    );
    const allowed = await cluster.api.request('POST', `/api/v1/namespaces/default/pods/${victim.metadata.name}/eviction`, {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: victim.metadata.name, namespace: 'default' },
    });
    assert.equal(allowed.status, 201, JSON.stringify(allowed.body));
    const evicted = await cluster.api.get<Pod>('pods', victim.metadata.name);
    assert.ok(!evicted || evicted.metadata.deletionTimestamp, 'the evicted pod is going');
    const described = await kubectl('describe', 'pdb', 'web');
    assert.equal(described.code, 0, described.err);
    assert.match(described.out, /Min available:\s+1\n/);
    assert.match(described.out, /Allowed disruptions:\s+\d\n/);
    const table = await kubectl('get', 'pdb', 'web');
    assert.match(table.out, /^NAME\s+MIN AVAILABLE\s+MAX UNAVAILABLE\s+ALLOWED DISRUPTIONS\s+AGE\n/);
    assert.match(table.out, /\nweb\s+1\s+N\/A\s+\d\s+/);
  });
});
