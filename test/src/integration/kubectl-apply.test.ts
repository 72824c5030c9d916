// `kubectl apply` the three ways against a real cluster with the real kubectl: client-side (the
// last-applied annotation and a strategic merge patch that merges containers, env and ports by
// their keys), server-side (managed fields, conflicts between managers, --force-conflicts), and
// the dry runs `kubectl diff` and `--dry-run=server`, which must store nothing; with them
// `kubectl patch` in its three types and `kubectl replace`.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Deployment, ManagedFieldsEntry, Pod } from '@kip/shared';
import { TestCluster } from '../helpers/cluster.js';
import { requireKubectl, runKubectl, type KubectlRun } from '../helpers/kubectl.js';
import { eventually } from '../helpers/wait.js';

describe('kubectl apply: client-side, server-side, patches and dry runs', function () {
  let cluster: TestCluster;
  let dir: string;

  before(async function () {
    requireKubectl();
    dir = mkdtempSync(path.join(os.tmpdir(), 'kip-kubectl-apply-'));
    cluster = await TestCluster.start({ nodes: 2, controlPlaneArgs: ['--tls'] });
  });

  after(async function () {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function kubectl(...args: string[]): Promise<KubectlRun> {
    return runKubectl(args, { kubeconfig: cluster.kubeconfig, cacheDir: path.join(dir, 'cache') });
  }

  function kubectlWith(env: Record<string, string>, ...args: string[]): Promise<KubectlRun> {
    return runKubectl(args, { kubeconfig: cluster.kubeconfig, cacheDir: path.join(dir, 'cache'), env });
  }

  async function ok(...args: string[]): Promise<string> {
    const r = await kubectl(...args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.err}`);
    return r.out;
  }

  async function deployment(name: string): Promise<Deployment> {
    return JSON.parse(await ok('get', 'deployment', name, '-o', 'json', '--show-managed-fields')) as Deployment;
  }

  /** A Deployment manifest written to a file; `opts` are the parts the tests change. */
  function manifest(name: string, opts: { image?: string; env?: string[]; ports?: number[]; replicas?: number; labels?: Record<string, string> } = {}): string {
    const file = path.join(dir, `${name}-${Math.random().toString(36).slice(2)}.yaml`);
    const env = (opts.env ?? []).map((e) => `        - {name: ${e}, value: "${e.toLowerCase()}"}\n`).join('');
    const ports = (opts.ports ?? []).map((p) => `        - {containerPort: ${p}}\n`).join('');
    const labels = Object.entries(opts.labels ?? {})
      .map(([k, v]) => `    ${k}: ${v}\n`)
      .join('');
    writeFileSync(
      file,
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
${labels ? `  labels:\n${labels}` : ''}spec:
  replicas: ${opts.replicas ?? 1}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: main
        image: ${opts.image ?? 'sleep'}
        command: ["sleep", "3600"]
${env ? `        env:\n${env}` : ''}${ports ? `        ports:\n${ports}` : ''}`,
    );
    return file;
  }

  it('applies, then applies a change: the image lands, a removed env var and port go, a field set by another stays', async () => {
    const first = manifest('web', { env: ['KEEP', 'DROP'], ports: [8080, 9090] });
    assert.match(await ok('apply', '-f', first), /deployment\.apps\/web created/);
    const created = await deployment('web');
    assert.ok(created.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']);
    // Someone else's change, which the next apply must not undo: it is in no applied configuration.
    await ok('annotate', 'deployment', 'web', 'team=blue');
    const second = manifest('web', { image: 'pause', env: ['KEEP'], ports: [8080] });
    assert.match(await ok('apply', '-f', second), /deployment\.apps\/web configured/);
    const d = await deployment('web');
    const c = d.spec.template.spec.containers[0]!;
    assert.equal(c.image, 'pause');
    assert.deepEqual(c.env, [{ name: 'KEEP', value: 'keep' }]);
    assert.deepEqual(
      c.ports?.map((p) => p.containerPort),
      [8080],
    );
    assert.equal(d.metadata.annotations?.team, 'blue');
    // The writes are recorded as their managers' Updates.
    const managers = (d.metadata.managedFields ?? []).map((m: ManagedFieldsEntry) => `${m.manager}/${m.operation}`);
    assert.ok(managers.includes('kubectl-client-side-apply/Update'), managers.join(' '));
    assert.ok(managers.includes('kubectl-annotate/Update'), managers.join(' '));
    // And the change rolls out: a pod runs the new image.
    await eventually(
      'a pod of web with image pause',
      async () => {
        const pods = JSON.parse(await ok('get', 'pods', '-l', 'app=web', '-o', 'json')) as { items: Pod[] };
        return pods.items.some((p) => !p.metadata.deletionTimestamp && p.spec.containers[0]?.image === 'pause');
      },
      { timeoutMs: 60_000 },
    );
  });

  it('kubectl diff shows the change and stores nothing', async () => {
    const before = await deployment('web');
    const r = await kubectl('diff', '-f', manifest('web', { image: 'sleeper', env: ['KEEP'], ports: [8080] }));
    // diff exits 1 when there are differences.
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /^-\s+image: pause$/m);
    assert.match(r.out, /^\+\s+image: sleeper$/m);
    const after = await deployment('web');
    assert.equal(after.spec.template.spec.containers[0]!.image, 'pause');
    // Nothing written to the object: the Deployment controller may still be writing its status
    // (a new resourceVersion), but the spec and its generation are as they were.
    assert.equal(after.metadata.generation, before.metadata.generation);
    assert.deepEqual(after.spec, before.spec);
  });

  it('kubectl apply --dry-run=server answers as for real and stores nothing, for a change and for a new object', async () => {
    const before = await deployment('web');
    const changed = await ok('apply', '--dry-run=server', '-f', manifest('web', { image: 'sleeper', env: ['KEEP'], ports: [8080] }));
    assert.match(changed, /deployment\.apps\/web configured \(server dry run\)/);
    const after = await deployment('web');
    assert.equal(after.metadata.generation, before.metadata.generation);
    assert.deepEqual(after.spec, before.spec);
    assert.equal(after.spec.template.spec.containers[0]!.image, 'pause');
    const created = await ok('apply', '--dry-run=server', '-f', manifest('ghost'));
    assert.match(created, /deployment\.apps\/ghost created \(server dry run\)/);
    const got = await kubectl('get', 'deployment', 'ghost');
    assert.notEqual(got.code, 0);
    assert.match(got.err, /not found/);
    // A dry run is still validated: an invalid object is refused.
    const bad = await kubectl('apply', '--dry-run=server', '-f', manifest('web', { replicas: -1 }));
    assert.notEqual(bad.code, 0);
    assert.match(bad.err, /spec\.replicas/);
  });

  it('server-side apply: managers own fields, a conflicting apply is refused until forced, a dropped field goes', async () => {
    const alice = manifest('shared', { replicas: 0, labels: { owner: 'alice', tier: 'web' } });
    assert.match(await ok('apply', '--server-side', '--field-manager=alice', '-f', alice), /deployment\.apps\/shared serverside-applied/);
    const created = await deployment('shared');
    const entry = created.metadata.managedFields?.find((m: ManagedFieldsEntry) => m.manager === 'alice');
    assert.equal(entry?.operation, 'Apply');
    assert.equal(entry?.apiVersion, 'apps/v1');
    assert.deepEqual(((entry?.fieldsV1 ?? {}) as Record<string, Record<string, unknown>>)['f:spec']?.['f:replicas'], {});

    // Bob applies another value of a field alice owns: a conflict, as kubectl words it.
    const bob = manifest('shared', { replicas: 1, labels: { owner: 'alice', tier: 'web' } });
    const refused = await kubectl('apply', '--server-side', '--field-manager=bob', '-f', bob);
    assert.notEqual(refused.code, 0);
    // Only the replicas differ: the labels bob applies too have alice's values, and are shared.
    assert.match(refused.err, /Apply failed with 1 conflict: conflict with "alice" using apps\/v1: \.spec\.replicas/);
    assert.equal((await deployment('shared')).spec.replicas, 0);

    // Forced, bob takes the field.
    await ok('apply', '--server-side', '--field-manager=bob', '--force-conflicts', '-f', bob);
    const forced = await deployment('shared');
    assert.equal(forced.spec.replicas, 1);
    const owners = (field: string) =>
      (forced.metadata.managedFields ?? [])
        .filter((m: ManagedFieldsEntry) => (m.fieldsV1 as Record<string, Record<string, unknown>>)['f:spec']?.[field] !== undefined)
        .map((m: ManagedFieldsEntry) => m.manager);
    assert.deepEqual(owners('f:replicas'), ['bob']);

    // Alice stops applying a label she alone owns: it goes; the one bob applies too stays.
    const bobOnly = manifest('shared', { replicas: 1, labels: { tier: 'web' } });
    await ok('apply', '--server-side', '--field-manager=bob', '-f', bobOnly);
    const aliceLess = manifest('shared', { replicas: 1, labels: { tier: 'web' } });
    await ok('apply', '--server-side', '--field-manager=alice', '--force-conflicts', '-f', aliceLess);
    const labels = (await deployment('shared')).metadata.labels ?? {};
    assert.equal(labels.owner, undefined);
    assert.equal(labels.tier, 'web');
  });

  it('kubectl patch: strategic (containers by name), JSON patch (with "-" and a failing test), and replace', async () => {
    await ok('patch', 'deployment', 'shared', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"main","env":[{"name":"ADDED","value":"1"}]}]}}}}');
    let d = await deployment('shared');
    assert.equal(d.spec.template.spec.containers.length, 1);
    assert.equal(d.spec.template.spec.containers[0]!.image, 'sleep');
    assert.deepEqual(d.spec.template.spec.containers[0]!.env, [{ name: 'ADDED', value: '1' }]);

    await ok(
      'patch',
      'deployment',
      'shared',
      '--type=json',
      '-p',
      '[{"op":"test","path":"/spec/replicas","value":1},{"op":"add","path":"/spec/template/spec/containers/0/env/-","value":{"name":"MORE","value":"2"}},{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"pause"}]',
    );
    d = await deployment('shared');
    assert.deepEqual(
      d.spec.template.spec.containers[0]!.env?.map((e) => e.name),
      ['ADDED', 'MORE'],
    );
    assert.equal(d.spec.template.spec.containers[0]!.image, 'pause');

    const failed = await kubectl(
      'patch',
      'deployment',
      'shared',
      '--type=json',
      '-p',
      '[{"op":"test","path":"/spec/replicas","value":7},{"op":"remove","path":"/spec/template"}]',
    );
    assert.notEqual(failed.code, 0);
    assert.match(failed.err, /test failed/);
    assert.ok((await deployment('shared')).spec.template, 'a failed JSON patch changes nothing');

    // replace: the whole object from a file, as kubectl replace sends it.
    const replaced = manifest('shared', { replicas: 0, image: 'sleeper' });
    assert.match(await ok('replace', '-f', replaced), /deployment\.apps\/shared replaced/);
    d = await deployment('shared');
    assert.equal(d.spec.replicas, 0);
    assert.equal(d.spec.template.spec.containers[0]!.image, 'sleeper');
  });

  it('kubectl edit: the edited object is patched in', async () => {
    // The editor kubectl runs, on the file it wrote: a change of the image.
    const r = await kubectlWith({ EDITOR: "sed -i -e 's/image: sleeper/image: edited/'" }, 'edit', 'deployment', 'shared');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /deployment\.apps\/shared edited/);
    assert.equal((await deployment('shared')).spec.template.spec.containers[0]!.image, 'edited');
  });

  it('moves from client-side to server-side apply: a change conflicts with the client-side fields, the same values hand them over', async () => {
    const sameAsApplied = manifest('web', { image: 'pause', env: ['KEEP'], ports: [8080] });
    const changed = manifest('web', { image: 'sleeper', env: ['KEEP'], ports: [8080] });
    // web was applied client-side: its fields belong to kubectl-client-side-apply.
    const refused = await kubectl('apply', '--server-side', '-f', changed);
    assert.notEqual(refused.code, 0);
    assert.match(
      refused.err,
      /Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps\/v1: \.spec\.template\.spec\.containers\[name="main"\]\.image/,
    );
    // Applied with the values it has, kubectl takes the client-side fields over (its managed-fields upgrade, a JSON patch).
    await ok('apply', '--server-side', '-f', sameAsApplied);
    const managers = (await deployment('web')).metadata.managedFields?.map((m: ManagedFieldsEntry) => `${m.manager}/${m.operation}`) ?? [];
    assert.ok(managers.includes('kubectl/Apply'), managers.join(' '));
    assert.ok(!managers.includes('kubectl-client-side-apply/Update'), managers.join(' '));
    // Now the change is kubectl's to make.
    await ok('apply', '--server-side', '-f', changed);
    assert.equal((await deployment('web')).spec.template.spec.containers[0]!.image, 'sleeper');
    const other = await kubectl(
      'apply',
      '--server-side',
      '--field-manager=other',
      '-f',
      manifest('web', { replicas: 2, image: 'sleeper', env: ['KEEP'], ports: [8080] }),
    );
    assert.notEqual(other.code, 0);
    assert.match(other.err, /Apply failed with 1 conflict: conflict with "kubectl" using apps\/v1: \.spec\.replicas/);
    // kubectl diff --server-side shows what an apply would change, and stores nothing.
    const diff = await kubectl('diff', '--server-side', '-f', manifest('web', { replicas: 3, image: 'sleeper', env: ['KEEP'], ports: [8080] }));
    assert.equal(diff.code, 1, diff.err);
    assert.match(diff.out, /^-\s+replicas: 1$/m);
    assert.match(diff.out, /^\+\s+replicas: 3$/m);
    assert.equal((await deployment('web')).spec.replicas, 1);
  });
});
