// The real kubectl against a real cluster: `kubectl get` prints the columns users know, from the
// Tables the server prints, and `get -w` streams rows; `kubectl drain` and `kubectl create` get
// through the protobuf bodies they send. Compared as a person reads them: headers
// and cell values, not spacing or ages.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { Pod } from '@kip/shared';
import { TestCluster } from '../helpers/cluster.js';
import { KUBECTL, requireKubectl, runKubectl, type KubectlRun } from '../helpers/kubectl.js';
import { eventually } from '../helpers/wait.js';

/** A printed table as rows of cells: kubectl separates columns by at least three spaces. */
function parseTable(out: string): string[][] {
  return out
    .trimEnd()
    .split('\n')
    .map((l) => l.trim().split(/ {3,}/));
}

describe('kubectl get against kip', function () {
  this.timeout(120_000);
  let cluster: TestCluster;

  before(async function () {
    requireKubectl();
    // kubectl sends its bearer token only over TLS.
    cluster = await TestCluster.start({ nodes: 2, controlPlaneArgs: ['--tls'] });
    await cluster.api.create({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'http-echo', ports: [{ name: 'http', containerPort: 8080 }] }] },
        },
      },
    } as never);
    await cluster.api.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] },
    } as never);
    await eventually(
      'two running pods',
      async () => {
        const pods = await cluster.api.list<Pod>('pods', { namespace: 'default', labelSelector: 'app=web' });
        return pods.length === 2 && pods.every((p) => p.status?.phase === 'Running' && p.status.podIP);
      },
      { timeoutMs: 60_000 },
    );
  });

  after(async function () {
    await cluster?.stop();
  });

  function kubectl(args: string[]): Promise<KubectlRun> {
    return runKubectl(args, { kubeconfig: cluster.kubeconfig, timeoutMs: 30_000 });
  }

  async function table(args: string[]): Promise<string[][]> {
    const r = await kubectl(args);
    assert.equal(r.code, 0, r.err);
    return parseTable(r.out);
  }

  it('get pods: NAME READY STATUS RESTARTS AGE, with Running rows', async function () {
    const [header, ...rows] = await table(['get', 'pods']);
    assert.deepEqual(header, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
    assert.equal(rows.length, 2);
    for (const row of rows) {
      assert.match(row[0]!, /^web-/);
      assert.equal(row[1], '1/1');
      assert.equal(row[2], 'Running');
      assert.equal(row[3], '0');
    }
  });

  it('get pods -o wide: IP and NODE', async function () {
    const pods = await cluster.api.list<Pod>('pods', { namespace: 'default' });
    const [header, ...rows] = await table(['get', 'pods', '-o', 'wide']);
    assert.deepEqual(header, ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
    for (const row of rows) {
      const pod = pods.find((p) => p.metadata.name === row[0])!;
      assert.equal(row[5], pod.status!.podIP);
      assert.equal(row[6], pod.spec.nodeName);
      assert.match(row[6]!, /^node-[12]$/);
    }
  });

  it('get nodes: STATUS Ready and VERSION', async function () {
    const [header, ...rows] = await table(['get', 'nodes']);
    assert.deepEqual(header, ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
    assert.deepEqual(
      rows.map((r) => r[0]),
      ['node-1', 'node-2'],
    );
    for (const row of rows) {
      assert.equal(row[1], 'Ready');
      assert.match(row[4]!, /\S/);
    }
    const [wide] = await table(['get', 'nodes', '-o', 'wide']);
    assert.deepEqual(wide!.slice(0, 6), ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION', 'INTERNAL-IP']);
  });

  it('get deploy, rs, svc, endpoints, namespaces, events', async function () {
    await eventually('the deployment is available', async () => {
      const [, row] = await table(['get', 'deploy']);
      return row?.[1] === '2/2';
    });
    const [dh, drow] = await table(['get', 'deployments']);
    assert.deepEqual(dh, ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
    assert.deepEqual(drow!.slice(0, 4), ['web', '2/2', '2', '2']);

    const [rh, rrow] = await table(['get', 'rs']);
    assert.deepEqual(rh, ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']);
    assert.deepEqual(rrow!.slice(1, 4), ['2', '2', '2']);

    const svc = await table(['get', 'svc']);
    assert.deepEqual(svc[0], ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    const web = svc.find((r) => r[0] === 'web')!;
    assert.equal(web[1], 'ClusterIP');
    assert.match(web[2]!, /^\d+\.\d+\.\d+\.\d+$/);
    assert.equal(web[4], '80/TCP');

    const [eh] = await table(['get', 'endpoints', 'web']);
    assert.deepEqual(eh, ['NAME', 'ENDPOINTS', 'AGE']);
    const ns = await table(['get', 'namespaces']);
    assert.deepEqual(ns[0], ['NAME', 'STATUS', 'AGE']);
    assert.ok(ns.some((r) => r[0] === 'default' && r[1] === 'Active'));
    const [evh] = await table(['get', 'events']);
    assert.deepEqual(evh, ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
  });

  it('get one object, and --show-labels and -A from the row metadata', async function () {
    const [header, row] = await table(['get', 'deploy', 'web', '--show-labels']);
    assert.deepEqual(header, ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE', 'LABELS']);
    assert.equal(row![0], 'web');
    const all = await table(['get', 'pods', '-A']);
    assert.deepEqual(all[0]!.slice(0, 2), ['NAMESPACE', 'NAME']);
    assert.ok(all.slice(1).every((r) => r[0] === 'default'));
    // -o json still answers the objects themselves.
    const r = await kubectl(['get', 'pods', '-o', 'json']);
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(r.out).items.length, 2);
  });

  it('drain and create namespace|deployment, which send protobuf bodies', async function () {
    const r = await kubectl(['drain', 'node-1', '--ignore-daemonsets', '--timeout=60s']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /node\/node-1 drained/);
    await eventually('no web pod left on node-1', async () => {
      const pods = await cluster.api.list<Pod>('pods', { namespace: 'default', labelSelector: 'app=web' });
      return pods.length > 0 && pods.every((p) => p.spec.nodeName !== 'node-1');
    });
    const [, row] = await table(['get', 'node', 'node-1']);
    assert.equal(row![1], 'Ready,SchedulingDisabled');
    assert.equal((await kubectl(['uncordon', 'node-1'])).code, 0);
    // kubectl's typed create sends protobuf too.
    const ns = await kubectl(['create', 'namespace', 'team-a']);
    assert.equal(ns.code, 0, ns.err);
    const created = await kubectl(['create', 'deployment', 'other', '--image=pause', '--replicas=1']);
    assert.equal(created.code, 0, created.err);
    const [, other] = await table(['get', 'deploy', 'other']);
    assert.equal(other![0], 'other');
  });

  it('get -w streams a row per change, under one header', async function () {
    const child = spawn(KUBECTL, ['get', 'pods', '-w'], { env: { ...process.env, KUBECONFIG: cluster.kubeconfig } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    try {
      await eventually('the listed pods', async () => out.trim().split('\n').length >= 3);
      await cluster.api.create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'watched' },
        spec: { containers: [{ name: 'c', image: 'pause' }] },
      } as never);
      await eventually('a row for the new pod', async () => /^watched\s/m.test(out));
      const rows = parseTable(out);
      assert.deepEqual(rows[0], ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']);
      assert.equal(rows.filter((r) => r[0] === 'NAME').length, 1, out);
    } finally {
      child.kill();
    }
  });

  it('get NAME -w -o wide prints the object, then a wide row per change', async function () {
    const child = spawn(KUBECTL, ['get', 'pod', 'watched', '-w', '-o', 'wide'], { env: { ...process.env, KUBECONFIG: cluster.kubeconfig } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    try {
      await eventually('the object', async () => /^watched\s/m.test(out));
      await cluster.api.patch('pods', 'watched', { metadata: { labels: { changed: 'yes' } } });
      await eventually('a row for the change', async () => (out.match(/^watched\s/gm) ?? []).length >= 2);
      const rows = parseTable(out);
      assert.equal(rows[0]!.length, 9, out);
      assert.equal(rows.filter((r) => r[0] === 'NAME').length, 1, out);
      for (const row of rows.slice(1)) assert.equal(row.length, 9, out);
    } finally {
      child.kill();
    }
  });
});
