import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CliError } from '@kip/scripts';
import { bufferIO } from '@kip/scripts';
import { loadManifests, prepareManifest } from '@kip/scripts';

const POD = (name: string) => `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  containers:\n  - name: c\n    image: pause\n`;

describe('cli manifests', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kip-cli-manifests-'));
    await writeFile(path.join(dir, 'b.yaml'), `${POD('b1')}---\n${POD('b2')}---\n`);
    await writeFile(
      path.join(dir, 'a.json'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a1' }, spec: { containers: [{ name: 'c', image: 'pause' }] } }],
      }),
    );
    await writeFile(path.join(dir, 'notes.txt'), 'not a manifest');
    await mkdir(path.join(dir, 'nested'));
    await writeFile(path.join(dir, 'nested', 'c.yml'), POD('c1'));
    await writeFile(path.join(dir, 'broken.yaml.txt'), ':::');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const names = (docs: { object: Record<string, unknown> }[]) => docs.map((d) => (d.object.metadata as { name: string }).name);

  it('reads a directory: its *.yaml, *.yml and *.json in name order, lists flattened, other files ignored', async () => {
    const docs = await loadManifests([dir], bufferIO({ cwd: '/' }));
    assert.deepEqual(names(docs), ['a1', 'b1', 'b2']);
    assert.match(docs[1]!.source, /b\.yaml \(document 1\)$/);
  });

  it('descends into subdirectories with --recursive', async () => {
    const docs = await loadManifests([dir], bufferIO(), true);
    assert.deepEqual(names(docs), ['a1', 'b1', 'b2', 'c1']);
  });

  it('reads a relative file against the working directory, and - from standard input', async () => {
    const io = bufferIO({ cwd: dir, stdin: POD('from-stdin') });
    const docs = await loadManifests(['nested/c.yml', '-'], io);
    assert.deepEqual(names(docs), ['c1', 'from-stdin']);
    assert.equal(docs[0]!.source, 'nested/c.yml');
    assert.equal(docs[1]!.source, 'STDIN');
  });

  it('names a missing path and a document that does not parse', async () => {
    await assert.rejects(
      loadManifests(['nope.yaml'], bufferIO({ cwd: dir })),
      (e: unknown) => e instanceof CliError && e.message === 'the path "nope.yaml" does not exist',
    );
    await assert.rejects(
      loadManifests(['-'], bufferIO({ stdin: 'kind: [unclosed' })),
      (e: unknown) => e instanceof CliError && /^error parsing STDIN: /.test(e.message),
    );
  });

  describe('prepareManifest', () => {
    const doc = (object: Record<string, unknown>) => ({ source: 'web.yaml', object });
    const opts = { namespace: 'demo', namespaceGiven: false, validate: true };

    it('fills the namespace of namespaced objects and drops it from cluster-scoped ones', () => {
      const p = prepareManifest(doc({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [{ name: 'c', image: 'pause' }] } }), opts);
      assert.equal(p.namespace, 'demo');
      assert.equal(p.object.metadata.namespace, 'demo');
      const n = prepareManifest(doc({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n', namespace: 'x' } }), opts);
      assert.equal(n.namespace, undefined);
      assert.equal(n.object.metadata.namespace, undefined);
    });

    it('refuses an object in another namespace than the one given with -n', () => {
      const m = doc({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', namespace: 'other' }, spec: { containers: [{ name: 'c', image: 'pause' }] } });
      assert.equal(prepareManifest(m, opts).namespace, 'other');
      assert.throws(
        () => prepareManifest(m, { ...opts, namespaceGiven: true }),
        /the namespace from the provided object "other" does not match the namespace "demo"/,
      );
    });

    it('names the file and the field of an invalid object', () => {
      const bad = doc({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          replicas: -1,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'pause' }] } },
        },
      });
      assert.throws(
        () => prepareManifest(bad, opts),
        (e: unknown) => e instanceof CliError && /^error validating "web\.yaml": Deployment "web" is invalid: spec\.replicas: /.test(e.message),
      );
      assert.doesNotThrow(() => prepareManifest(bad, { ...opts, validate: false }));
    });

    it('refuses an empty list item (a stray "-" in YAML) by its field, instead of storing a null the server and agents trip on', async () => {
      const yaml = [
        'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  tolerations:\n  -\n  containers:\n  - name: c\n    image: pause\n    command: ["sh", null]\n    env:\n    -\n    ports:\n    -\n  -\n',
        'apiVersion: v1\nkind: Service\nmetadata:\n  name: s\nspec:\n  selector: {app: web}\n  ports:\n  -\n',
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\nspec:\n  selector:\n    matchLabels: {app: web}\n    matchExpressions:\n    -\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: c\n        image: pause\n',
      ].join('---\n');
      const file = path.join(dir, 'stray.yaml.txt');
      await writeFile(file, yaml);
      const docs = await loadManifests([file], bufferIO({ cwd: '/' }));
      const errorOf = (i: number) => {
        try {
          prepareManifest(docs[i]!, opts);
        } catch (e) {
          assert.ok(e instanceof CliError);
          return e.message;
        }
        assert.fail(`document ${i + 1} was accepted`);
      };
      const pod = errorOf(0);
      for (const field of [
        'spec.tolerations[0]: Required value',
        'spec.containers[0].command[1]: must be a string, not null',
        'spec.containers[0].env[0]: Required value',
        'spec.containers[0].ports[0]: Required value',
        'spec.containers[1]: Required value',
      ])
        assert.ok(pod.includes(field), `${field} in: ${pod}`);
      assert.match(errorOf(1), /spec\.ports\[0\]: Required value/);
      assert.match(errorOf(2), /spec\.selector\.matchExpressions\[0\]: Required value/);
    });

    it('names a kind kip does not serve', () => {
      assert.throws(
        () => prepareManifest(doc({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'c' } }), opts),
        /no matches for kind "Widget" in version "example\.com\/v1"/,
      );
    });
  });
});
