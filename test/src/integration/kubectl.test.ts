// The real kubectl against a real cluster: discovery, the OpenAPI documents and server-side field
// validation, as a user meets them with `apply`, `explain` and `api-resources`.
//
// The control plane serves TLS: kubectl 1.32 sends no bearer token over plain HTTP (it drops it,
// whatever the kubeconfig says), and with TLS it authenticates with the admin token as any client.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TestCluster } from '../helpers/cluster.js';
import { requireKubectl, runKubectl, type KubectlRun } from '../helpers/kubectl.js';

describe('kubectl: discovery, OpenAPI and field validation', function () {
  let cluster: TestCluster;
  let dir: string;

  before(async function () {
    requireKubectl();
    dir = mkdtempSync(path.join(os.tmpdir(), 'kip-kubectl-'));
    cluster = await TestCluster.start({ nodes: 2, controlPlaneArgs: ['--tls'] });
  });

  after(async function () {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function kubectl(...args: string[]): Promise<KubectlRun> {
    // Its own discovery cache: another cluster on the same port earlier must not answer for this one.
    return runKubectl(args, { kubeconfig: cluster.kubeconfig, cacheDir: path.join(dir, 'cache') });
  }

  function manifest(name: string, extra = ''): string {
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(
      file,
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: 2
${extra}  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: main
        image: sleep
        command: ["sleep", "3600"]
`,
    );
    return file;
  }

  it('applies a Deployment manifest with validation on (no --validate=false)', async () => {
    const r = await kubectl('apply', '-f', manifest('web'));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /deployment\.apps\/web created/);
    assert.doesNotMatch(r.err, /error|openapi/i);
    const got = await kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}');
    assert.equal(got.out, '2', got.err);
    // Applied again unchanged, through the PATCH path.
    const again = await kubectl('apply', '-f', manifest('web'));
    assert.equal(again.code, 0, again.err);
  });

  it('applies a change to a list item: the patch kubectl computes from the schemas merges containers by name', async () => {
    const file = manifest('web');
    writeFileSync(file, readFileSync(file, 'utf8').replace('image: sleep', 'image: pause'));
    const r = await kubectl('apply', '-f', file);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /deployment\.apps\/web configured/);
    const got = await kubectl('get', 'deployment', 'web', '-o', 'jsonpath={.spec.template.spec}');
    const spec = JSON.parse(got.out) as Record<string, unknown> & { containers: unknown[] };
    assert.deepEqual(spec.containers[0], { name: 'main', image: 'pause', command: ['sleep', '3600'] });
    // No strategic-merge directive ($setElementOrder/containers) was stored as a field.
    assert.deepEqual(
      Object.keys(spec).filter((k) => k.startsWith('$')),
      [],
    );
  });

  it('refuses an unknown field with --validate=strict, naming it, and creates nothing', async () => {
    const r = await kubectl('apply', '--validate=strict', '-f', manifest('typo', '  replica: 3\n'));
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.err, /spec\.replica: field not declared in schema/);
    const got = await kubectl('get', 'deployment', 'typo');
    assert.notEqual(got.code, 0);
    assert.match(got.err, /not found/);
  });

  it('with --validate=warn, creates and warns about the unknown field', async () => {
    const r = await kubectl('apply', '--validate=warn', '-f', manifest('warned', '  replica: 3\n'));
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /Warning: unknown field "spec\.replica"/);
    assert.match(r.out, /deployment\.apps\/warned created/);
  });

  it('validates the items of a kind: List on its side, from /openapi/v2 in protobuf', async () => {
    const list = (extra: string) =>
      `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: listed}
  spec:
    containers:
    - name: main
      image: sleep
      command: ["sleep", "3600"]
${extra}`;
    const bad = path.join(dir, 'bad-list.yaml');
    writeFileSync(bad, list('      bogus: 1\n'));
    const r = await kubectl('apply', '-f', bad);
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.err, /unknown field "bogus"/);
    const good = path.join(dir, 'good-list.yaml');
    writeFileSync(good, list(''));
    const ok = await kubectl('apply', '-f', good);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /pod\/listed created/);
  });

  it('explains deployment.spec from the OpenAPI document', async () => {
    const r = await kubectl('explain', 'deployment.spec');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /KIND:\s+Deployment/);
    assert.match(r.out, /^\s+replicas\s+<integer>/m);
    assert.match(r.out, /^\s+template\s+<Object> -required-/m);
  });

  it('lists the resources from discovery, with no error printed', async () => {
    const r = await kubectl('api-resources');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    assert.match(r.out, /^pods\s+po\s+v1\s+true\s+Pod$/m);
    assert.match(r.out, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
  });

  it('discovers everything in two requests (aggregated discovery), and get all finds the deployments', async () => {
    // A fresh cache, so that kubectl asks the server rather than its disk.
    const cache = path.join(dir, 'fresh-cache');
    const r = await runKubectl(['api-resources', '-v=6'], { kubeconfig: cluster.kubeconfig, cacheDir: cache });
    assert.equal(r.code, 0, r.err);
    const asked = [...r.err.matchAll(/GET \S+?(\/apis?[^?\s]*)\?/g)].map((m) => m[1]);
    assert.deepEqual(asked, ['/api', '/apis']);
    const all = await kubectl('get', 'all');
    assert.equal(all.code, 0, all.err);
    assert.match(all.out, /deployment\.apps\/web/);
  });
});
