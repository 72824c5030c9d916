// Managed fields and server-side apply: the field set of an object in FieldsV1, ownership moved by
// ordinary writes, conflicts between appliers (409, kubectl's words) and --force, fields dropped
// from an applied configuration, and the registry's apply and dry runs.

import assert from 'node:assert/strict';
import { kindDefinition, type Deployment, type ManagedFieldsEntry } from '@kip/shared';
import { ApiError, fieldSetOf, fromFieldsV1, recordUpdate, serverSideApply, toFieldsV1, trackedPart, type SchemaNode } from '@kip/controlplane';
import { checkApiError, throwsApi } from './api-assert.js';
import { copy, deployment, makeEnv, type Env } from './fixtures.js';

const schema = kindDefinition('Deployment')!.schema as unknown as SchemaNode;

function owners(entries: ManagedFieldsEntry[] | undefined, ...path: string[]): string[] {
  return (entries ?? [])
    .filter((e) => {
      let node: unknown = e.fieldsV1;
      for (const p of path) node = (node as Record<string, unknown> | undefined)?.[p];
      return node !== undefined;
    })
    .map((e) => `${e.manager}/${e.operation}`);
}

function web(replicas = 2, image = 'pause'): Deployment {
  const d = deployment('web', replicas);
  d.spec.template.spec.containers[0]!.image = image;
  d.spec.template.spec.containers[0]!.env = [{ name: 'A', value: '1' }];
  return d;
}

describe('controlplane/api/managed-fields', () => {
  it('computes an object’s fields in FieldsV1: leaves, list items by key with ".", and not the server’s metadata', () => {
    const d = web();
    d.metadata.uid = 'u';
    d.metadata.resourceVersion = '7';
    const tree = toFieldsV1(fieldSetOf(trackedPart(d), schema));
    assert.deepEqual(tree, {
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': { 'f:matchLabels': { 'f:app': {} } },
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:containers': {
              'k:{"name":"main"}': { '.': {}, 'f:name': {}, 'f:image': {}, 'f:env': { 'k:{"name":"A"}': { '.': {}, 'f:name': {}, 'f:value': {} } } },
            },
          },
        },
      },
    });
    assert.deepEqual(fromFieldsV1(tree), fieldSetOf(trackedPart(d), schema), 'FieldsV1 decodes to the same set');
  });

  it('records a create as its manager’s Update of every field, and moves a changed field to whoever changed it', () => {
    const d = web();
    d.metadata.managedFields = recordUpdate(undefined, d, 'creator', schema, 0);
    assert.deepEqual(owners(d.metadata.managedFields, 'f:spec', 'f:replicas'), ['creator/Update']);
    const next = copy(d);
    next.spec.replicas = 5;
    next.metadata.managedFields = recordUpdate(d, next, 'scaler', schema, 0);
    assert.deepEqual(owners(next.metadata.managedFields, 'f:spec', 'f:replicas'), ['scaler/Update']);
    assert.deepEqual(owners(next.metadata.managedFields, 'f:spec', 'f:selector'), ['creator/Update'], 'unchanged fields stay');
    // A field removed by a write leaves every set.
    const removed = copy(next);
    delete removed.spec.template.spec.containers[0]!.env;
    removed.metadata.managedFields = recordUpdate(next, removed, 'editor', schema, 0);
    const main = (
      removed.metadata.managedFields![0]!.fieldsV1 as Record<string, Record<string, Record<string, Record<string, Record<string, Record<string, unknown>>>>>>
    )['f:spec']!['f:template']!['f:spec']!['f:containers']!['k:{"name":"main"}']!;
    assert.equal(main['f:env'], undefined);
  });

  describe('server-side apply', () => {
    const apply = (live: Deployment | undefined, config: Deployment, manager: string, force = false) =>
      serverSideApply(live, config as never, { manager, force, schema, now: 0 }) as Deployment;

    it('creates an object with the applier owning exactly what it applied', () => {
      const d = apply(undefined, web(), 'alice');
      assert.deepEqual(
        d.metadata.managedFields?.map((m) => `${m.manager}/${m.operation}/${m.apiVersion}`),
        ['alice/Apply/apps/v1'],
      );
      assert.deepEqual(owners(d.metadata.managedFields, 'f:spec', 'f:replicas'), ['alice/Apply']);
    });

    it('refuses to change a value another manager owns: 409, in kubectl’s words, with a cause per field', () => {
      const live = apply(undefined, web(2), 'alice');
      let err: ApiError | undefined;
      try {
        apply(live, web(3, 'sleep'), 'bob');
      } catch (e) {
        err = e as ApiError;
      }
      assert.ok(err instanceof ApiError);
      checkApiError(err, {
        reason: 'Conflict',
        code: 409,
        message: /^Apply failed with 2 conflicts: conflicts with "alice" using apps\/v1:\n- \.spec\.replicas\n- /,
      });
      assert.match(err.message, /\.spec\.template\.spec\.containers\[name="main"\]\.image/);
      assert.deepEqual(
        err.details?.causes?.map((c) => [c.reason, c.field]),
        [
          ['FieldManagerConflict', '.spec.replicas'],
          ['FieldManagerConflict', '.spec.template.spec.containers[name="main"].image'],
        ],
      );
      const one = (() => {
        try {
          apply(live, web(3), 'bob');
          return 'applied';
        } catch (e) {
          return (e as Error).message;
        }
      })();
      assert.equal(one, 'Apply failed with 1 conflict: conflict with "alice" using apps/v1: .spec.replicas');
    });

    it('shares a field applied with the same value, and forced, moves a conflicting field to the applier', () => {
      const live = apply(undefined, web(2), 'alice');
      const shared = apply(live, web(2), 'bob');
      assert.deepEqual(owners(shared.metadata.managedFields, 'f:spec', 'f:replicas'), ['alice/Apply', 'bob/Apply']);
      const forced = apply(shared, web(4), 'bob', true);
      assert.equal(forced.spec.replicas, 4);
      assert.deepEqual(owners(forced.metadata.managedFields, 'f:spec', 'f:replicas'), ['bob/Apply']);
    });

    it('removes what the applier applied before and no longer does, unless another manager owns it', () => {
      const first = web();
      first.metadata.labels = { app: 'web', gone: 'yes', kept: 'yes' };
      first.spec.template.spec.containers.push({ name: 'side', image: 'pause' });
      let live = apply(undefined, first, 'alice');
      // Bob applies the "kept" label too.
      const bob = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { kept: 'yes' } } };
      live = serverSideApply(live, bob, { manager: 'bob', force: false, schema, now: 0 }) as Deployment;
      const second = web();
      second.metadata.labels = { app: 'web' };
      const d = apply(live, second, 'alice');
      assert.deepEqual(d.metadata.labels, { app: 'web', kept: 'yes' });
      assert.deepEqual(
        d.spec.template.spec.containers.map((c) => c.name),
        ['main'],
        'a list item no longer applied goes',
      );
    });

    it('takes no ownership from a field it did not send, and leaves other managers’ fields (an Update) as they are', () => {
      const live = web();
      live.metadata.managedFields = recordUpdate(undefined, live, 'kubectl-client-side-apply', schema, 0);
      const d = apply(live, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', labels: { extra: 'x' } } } as never, 'kubectl');
      assert.equal(d.spec.replicas, 2);
      assert.deepEqual(d.metadata.labels, { app: 'web', extra: 'x' });
      assert.deepEqual(owners(d.metadata.managedFields, 'f:metadata', 'f:labels', 'f:extra'), ['kubectl/Apply']);
    });
  });

  describe('the registry: apply, field managers and dry runs', () => {
    let env: Env;
    beforeEach(() => {
      env = makeEnv();
    });

    it('applies: creates when absent, updates when present, and needs a field manager', () => {
      const created = env.registry.patch<Deployment>('Deployment', 'default', 'web', web(), { type: 'apply', fieldManager: 'alice' });
      assert.equal(created.metadata.uid !== undefined, true);
      assert.equal(env.registry.get<Deployment>('Deployment', 'default', 'web').spec.replicas, 2);
      env.registry.patch('Deployment', 'default', 'web', web(3), { type: 'apply', fieldManager: 'alice' });
      assert.equal(env.registry.get<Deployment>('Deployment', 'default', 'web').spec.replicas, 3);
      // The same configuration again, later, writes nothing.
      const rv = env.store.resourceVersion();
      env.clock.advance(60_000);
      env.registry.patch('Deployment', 'default', 'web', web(3), { type: 'apply', fieldManager: 'alice' });
      assert.equal(env.store.resourceVersion(), rv);
      throwsApi(() => env.registry.patch('Deployment', 'default', 'web', web(), { type: 'apply' }), {
        reason: 'Invalid',
        code: 422,
        message: /fieldManager: Required value/,
      });
      throwsApi(() => env.registry.patch('Deployment', 'default', 'web', { ...web(), kind: 'Pod' }, { type: 'apply', fieldManager: 'a' }), {
        reason: 'Invalid',
        code: 400,
        message: /kind: Invalid value: "Pod": must be Deployment/,
      });
    });

    it('records writes with a field manager, and keeps managedFields on writes without one (the controllers’)', () => {
      env.registry.create(web(), 'default', { fieldManager: 'kubectl-create' });
      const stored = env.registry.get<Deployment>('Deployment', 'default', 'web');
      assert.deepEqual(owners(stored.metadata.managedFields, 'f:spec', 'f:replicas'), ['kubectl-create/Update']);
      const next = copy(stored);
      next.spec.replicas = 1;
      delete next.metadata.managedFields;
      env.registry.update(next);
      assert.deepEqual(owners(env.registry.get('Deployment', 'default', 'web').metadata.managedFields, 'f:spec', 'f:replicas'), ['kubectl-create/Update']);
      env.registry.patch('Deployment', 'default', 'web', { spec: { replicas: 4 } }, { type: 'strategic', fieldManager: 'kubectl-scale' });
      assert.deepEqual(owners(env.registry.get('Deployment', 'default', 'web').metadata.managedFields, 'f:spec', 'f:replicas'), ['kubectl-scale/Update']);
    });

    it('records a status write in an entry of its own, subresource status, owning only status fields', () => {
      env.registry.create(web(), 'default', { fieldManager: 'kubectl-create' });
      const patched = env.registry.patch<Deployment>(
        'Deployment',
        'default',
        'web',
        { status: { observedGeneration: 5, replicas: 2 } },
        {
          type: 'merge',
          status: true,
          fieldManager: 'my-controller',
        },
      );
      const entry = patched.metadata.managedFields?.find((e) => e.manager === 'my-controller');
      assert.deepEqual(
        { ...entry, time: undefined },
        {
          manager: 'my-controller',
          operation: 'Update',
          apiVersion: 'apps/v1',
          time: undefined,
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:status': { 'f:observedGeneration': {}, 'f:replicas': {} } },
          subresource: 'status',
        },
      );
      // The main entry is untouched, and an ordinary write by the same manager is a separate entry.
      assert.deepEqual(owners(patched.metadata.managedFields, 'f:spec', 'f:replicas'), ['kubectl-create/Update']);
      const both = env.registry.patch<Deployment>('Deployment', 'default', 'web', { spec: { replicas: 3 } }, { type: 'merge', fieldManager: 'my-controller' });
      assert.deepEqual(
        both.metadata.managedFields?.filter((e) => e.manager === 'my-controller').map((e) => e.subresource ?? ''),
        ['status', ''],
      );
      // A status write without a manager (the in-process controllers') records nothing.
      const before = env.registry.get('Deployment', 'default', 'web').metadata.managedFields;
      env.registry.updateStatus({ ...copy(both), status: { replicas: 9 } } as Deployment);
      assert.deepEqual(env.registry.get('Deployment', 'default', 'web').metadata.managedFields, before);
    });

    it('dry runs validate and answer, but store nothing: create, update, patch, apply, delete', () => {
      const rv = () => env.store.resourceVersion();
      const answered = env.registry.create<Deployment>(web(), 'default', { dryRun: true });
      assert.equal(answered.metadata.name, 'web');
      assert.ok(answered.metadata.uid);
      assert.equal(rv(), '0');
      assert.equal(env.store.get('Deployment', 'default', 'web'), undefined);
      throwsApi(() => env.registry.create({ ...web(), spec: { ...web().spec, replicas: -1 } }, 'default', { dryRun: true }), { reason: 'Invalid', code: 400 });

      env.registry.create(web(), 'default');
      const before = rv();
      const changed = copy(env.registry.get<Deployment>('Deployment', 'default', 'web'));
      changed.spec.replicas = 9;
      assert.equal(env.registry.update<Deployment>(changed, undefined, { dryRun: true }).spec.replicas, 9);
      assert.equal(
        env.registry.patch<Deployment>('Deployment', 'default', 'web', [{ op: 'replace', path: '/spec/replicas', value: 7 }], { type: 'json', dryRun: true })
          .spec.replicas,
        7,
      );
      assert.equal(env.registry.patch<Deployment>('Deployment', 'default', 'web', web(5), { type: 'apply', fieldManager: 'a', dryRun: true }).spec.replicas, 5);
      assert.equal(
        env.registry.patch<Deployment>(
          'Deployment',
          'default',
          'ghost',
          { ...web(5), metadata: { name: 'ghost' } },
          { type: 'apply', fieldManager: 'a', dryRun: true },
        ).metadata.name,
        'ghost',
      );
      env.registry.delete('Deployment', 'default', 'web', { dryRun: true });
      assert.equal(rv(), before, 'no dry run wrote');
      assert.equal(env.registry.get<Deployment>('Deployment', 'default', 'web').spec.replicas, 2);
      assert.equal(env.store.get('Deployment', 'default', 'ghost'), undefined);
      // A dry run still fails where the real write would.
      throwsApi(() => env.registry.create(web(), 'default', { dryRun: true }), { reason: 'AlreadyExists', code: 409 });
      const stale = copy(changed);
      stale.metadata.resourceVersion = '1000';
      throwsApi(() => env.registry.update(stale, undefined, { dryRun: true }), { reason: 'Conflict', code: 409 });
    });
  });
});
