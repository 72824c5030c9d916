// Everyday kubectl verbs beyond get and apply, with the real kubectl: top (metrics.k8s.io from the
// agents' samples), get in chunks (limit/continue), cp (tar over exec) and logs -f.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Pod } from '@kip/shared';
import { TestCluster } from '../helpers/cluster.js';
import { requireKubectl, runKubectl, type KubectlRun } from '../helpers/kubectl.js';
import { eventually } from '../helpers/wait.js';

describe('kubectl top, chunked get, cp and logs -f', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  let dir: string;

  before(async function () {
    requireKubectl();
    dir = mkdtempSync(path.join(os.tmpdir(), 'kip-kubectl-verbs-'));
    cluster = await TestCluster.start({ nodes: 2, controlPlaneArgs: ['--tls'] });
    for (const name of ['a', 'b', 'c'])
      await cluster.api.create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, labels: { app: 'verbs' } },
        spec: { containers: [{ name: 'main', image: 'busybox', command: ['sleep', '3600'] }] },
      } as Pod);
    await eventually(
      'the pods to run',
      async () => (await cluster.api.list<Pod>('pods', { labelSelector: 'app=verbs' })).filter((p) => p.status?.phase === 'Running').length === 3,
      { timeoutMs: 60_000 },
    );
  });

  after(async () => {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const kubectl = (...args: string[]): Promise<KubectlRun> => runKubectl(args, { kubeconfig: cluster.kubeconfig });

  it("top nodes and top pods show the agents' samples", async () => {
    const nodes = await eventually('kubectl top nodes', async () => {
      const r = await kubectl('top', 'nodes');
      return r.code === 0 ? r.out : undefined;
    });
    assert.match(nodes, /^NAME\s+CPU\(cores\)\s+CPU\(%\)\s+MEMORY\(bytes\)\s+MEMORY\(%\)/);
    assert.match(nodes, /^node-1\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%/m);
    assert.match(nodes, /^node-2\s+/m);
    const pods = await eventually('kubectl top pods', async () => {
      const r = await kubectl('top', 'pods', '-l', 'app=verbs');
      // Each node reports its own pods' usage with its own samples: wait until every node's have come.
      return r.code === 0 && ['a', 'b', 'c'].every((p) => new RegExp(`^${p}\\s`, 'm').test(r.out)) ? r.out : undefined;
    });
    assert.match(pods, /^a\s+\d+m\s+\d+Mi/m);
  });

  it('get --chunk-size=1 pages through every pod, one request per pod', async () => {
    const r = await kubectl('get', 'pods', '-l', 'app=verbs', '--chunk-size=1', '-v=6');
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(
      r.out
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/\s+/)[0]),
      ['a', 'b', 'c'],
    );
    const requests = r.err.split('\n').filter((l) => /GET .*\/pods\?.*limit=1/.test(l));
    assert.equal(requests.length, 3, r.err);
    assert.equal(requests.filter((l) => l.includes('continue=')).length, 2);
  });

  it('cp copies a file into a pod and back out (tar over exec)', async () => {
    const src = path.join(dir, 'in.txt');
    writeFileSync(src, 'copied through kubectl cp\n');
    const into = await kubectl('cp', src, 'a:in.txt');
    assert.equal(into.code, 0, into.err);
    const back = path.join(dir, 'back.txt');
    const out = await kubectl('cp', 'a:in.txt', back);
    assert.equal(out.code, 0, out.err);
    assert.equal(readFileSync(back, 'utf8'), 'copied through kubectl cp\n');
  });

  it('logs -f follows a container until it exits', async () => {
    await cluster.api.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'counter' },
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'for i in 1 2 3; do echo line $i; sleep 1; done'] }],
      },
    } as Pod);
    await eventually('counter to start', async () => ['Running', 'Succeeded'].includes((await cluster.api.get<Pod>('pods', 'counter'))?.status?.phase ?? ''), {
      timeoutMs: 30_000,
    });
    const r = await kubectl('logs', '-f', 'counter');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'line 1\nline 2\nline 3\n');
  });
});
