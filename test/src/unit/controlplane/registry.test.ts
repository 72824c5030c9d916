import assert from 'node:assert/strict';
import { parseSelector, type Deployment, type Event, type KObject, type Node, type Pod, type Service } from '@kip/shared';
import { ApiError } from '@kip/controlplane';
import { throwsApi } from './api-assert.js';
import { copy, deployment, makeEnv, node, pod, replicaSet, service, type Env } from './fixtures.js';

describe('controlplane/api/registry: create, get, list, update', () => {
  let env: Env;
  beforeEach(() => {
    env = makeEnv();
  });

  describe('create', () => {
    it('refuses an invalid object with a 400 naming every field', () => {
      const bad = pod('web');
      (bad.spec as { containers: unknown }).containers = [];
      bad.spec.restartPolicy = 'Sometimes' as never;
      const err = throwsApi(() => env.registry.create(bad), {
        reason: 'Invalid',
        code: 400,
        message:
          /^Pod "web" is invalid: spec.containers: Required value: a pod needs at least one container, spec.restartPolicy: Unsupported value: "Sometimes"/,
        causes: [
          ['spec.containers', /a pod needs at least one container/],
          ['spec.restartPolicy', /Unsupported value/],
        ],
      });
      assert.deepEqual({ name: err.details?.name, kind: err.details?.kind }, { name: 'web', kind: 'pod' });
      const status = err.toStatus();
      assert.equal(status.code, 400);
      assert.equal(status.reason, 'Invalid');
      assert.equal(env.store.resourceVersion(), '0', 'nothing was written');
    });

    it('names an object without a name by its generateName, or as unnamed', () => {
      throwsApi(() => env.registry.create({ apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'web-' }, spec: {} }), {
        reason: 'Invalid',
        code: 400,
        message: /^Pod "web-" is invalid: spec.containers: Required value$/,
      });
      throwsApi(() => env.registry.create({ apiVersion: 'v1', kind: 'Pod', spec: {} }), {
        reason: 'Invalid',
        code: 400,
        message: /^Pod "<unnamed>" is invalid: metadata: Required value/,
      });
      throwsApi(() => env.registry.create('pod'), {
        reason: 'Invalid',
        code: 400,
        message: /^Object "<unnamed>" is invalid: the body must be a JSON or YAML object, not string "pod"$/,
      });
    });

    it('applies defaults and the namespace of the request', () => {
      const created = env.registry.create<Pod>(pod('web'), 'team');
      assert.equal(created.metadata.namespace, 'team');
      assert.equal(created.spec.restartPolicy, 'Always');
      assert.equal(created.spec.terminationGracePeriodSeconds, 30);
      assert.equal(env.registry.create<Pod>(pod('other')).metadata.namespace, 'default');
      const svc = env.registry.create<Service>(service('web'));
      assert.deepEqual(svc.spec.ports, [{ port: 80, protocol: 'TCP', targetPort: 80 }]);
    });

    it('refuses a body namespace that differs from the request namespace', () => {
      throwsApi(() => env.registry.create(pod('web', { namespace: 'a' }), 'b'), {
        reason: 'BadRequest',
        code: 400,
        message: /^the namespace of the provided object \(a\) does not match the namespace sent on the request \(b\)$/,
      });
    });

    it('drops a namespace given to a cluster-scoped object', () => {
      const n = env.registry.create<Node>({ ...node('n1'), metadata: { name: 'n1', namespace: 'default' } }, 'default');
      assert.ok(!('namespace' in n.metadata));
      assert.ok(env.registry.get('Node', undefined, 'n1'));
    });

    it('owns the server fields: uid, resourceVersion, creationTimestamp, deletion', () => {
      const body = pod('web');
      body.metadata = {
        ...body.metadata,
        uid: 'mine',
        resourceVersion: '99',
        creationTimestamp: '2001-01-01T00:00:00Z',
        deletionTimestamp: '2001-01-01T00:00:00Z',
        deletionGracePeriodSeconds: 5,
      };
      const created = env.registry.create<Pod>(body);
      assert.notEqual(created.metadata.uid, 'mine');
      assert.equal(created.metadata.resourceVersion, '1');
      assert.equal(created.metadata.creationTimestamp, '2026-01-01T00:00:00Z', 'the server stamps the creation time');
      assert.equal(created.metadata.deletionTimestamp, undefined);
      assert.equal(created.metadata.deletionGracePeriodSeconds, undefined);
    });

    it('starts a pod Pending whatever status it was sent with', () => {
      const body = { ...pod('web'), status: { phase: 'Running', podIP: '10.244.0.9' } } as Pod;
      assert.deepEqual(env.registry.create<Pod>(body).status, { phase: 'Pending', conditions: [] });
    });

    it('drops the status of kinds only their controller writes, and starts generation at 1', () => {
      const body = { ...deployment('web'), status: { replicas: 10 } } as Deployment;
      body.metadata.generation = 7;
      const created = env.registry.create<Deployment>(body);
      assert.equal(created.status, undefined);
      assert.equal(created.metadata.generation, 1);
      const rs = env.registry.create(replicaSet('web-abc'));
      assert.equal(rs.metadata.generation, 1);
    });

    it('generates a name from generateName, unique each time', () => {
      const names = new Set<string>();
      for (let i = 0; i < 30; i++) {
        const created = env.registry.create<Pod>({ ...pod(''), metadata: { name: '', generateName: 'web-' } });
        assert.match(created.metadata.name, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
        assert.equal(created.metadata.generateName, 'web-');
        names.add(created.metadata.name);
      }
      assert.equal(names.size, 30);
    });

    it('refuses a second object of the same name: 409 AlreadyExists', () => {
      env.registry.create(pod('web'));
      throwsApi(() => env.registry.create(pod('web')), { reason: 'AlreadyExists', code: 409, message: /^pods "web" already exists$/ });
      env.registry.create(deployment('web'));
      throwsApi(() => env.registry.create(deployment('web')), { reason: 'AlreadyExists', code: 409, message: /^deployments.apps "web" already exists$/ });
    });

    it('runs admission hooks, which may change or refuse the object', () => {
      const seen: string[] = [];
      env.registry.addAdmission((op, obj, old) => {
        seen.push(`${op} ${obj.metadata.name} ${old ? 'with old' : 'new'}`);
        if (obj.metadata.name === 'forbidden') throw new ApiError('BadRequest', 'admission says no');
        obj.metadata.labels = { ...obj.metadata.labels, admitted: 'yes' };
      });
      const created = env.registry.create<Pod>(pod('web'));
      assert.deepEqual(created.metadata.labels, { admitted: 'yes' });
      throwsApi(() => env.registry.create(pod('forbidden')), { reason: 'BadRequest', code: 400, message: /admission says no/ });
      env.registry.update(copy(created));
      assert.deepEqual(seen, ['create web new', 'create forbidden new', 'update web with old']);
    });

    it('does not change the body it was given', () => {
      const body = pod('web');
      const before = structuredClone(body);
      env.registry.create(body);
      assert.deepEqual(body, before);
    });
  });

  describe('get', () => {
    it('finds an object, and says which is missing', () => {
      const created = env.registry.create(pod('web'));
      assert.deepEqual(env.registry.get('Pod', 'default', 'web'), created);
      throwsApi(() => env.registry.get('Pod', 'other', 'web'), { reason: 'NotFound', code: 404, message: /^pods "web" not found$/ });
      throwsApi(() => env.registry.get('Deployment', 'default', 'web'), { reason: 'NotFound', code: 404, message: /^deployments.apps "web" not found$/ });
    });

    it('ignores a namespace for cluster-scoped kinds', () => {
      env.registry.create(node('n1'));
      assert.ok(env.registry.get('Node', 'whatever', 'n1'));
    });

    it('refuses a kind it does not serve', () => {
      throwsApi(() => env.registry.get('Widget', 'default', 'x'), {
        reason: 'NotFound',
        code: 404,
        message: /could not find the requested resource \(kind Widget\)/,
      });
    });
  });

  describe('list', () => {
    beforeEach(() => {
      for (const [ns, name, app, nodeName] of [
        ['b', 'web-2', 'web', 'n1'],
        ['a', 'web-1', 'web', 'n2'],
        ['b', 'db-1', 'db', undefined],
        ['a', 'db-2', 'db', 'n1'],
        ['b', 'Web-3'.toLowerCase(), 'web', undefined],
      ] as const)
        env.registry.create(pod(name, { namespace: ns, labels: { app }, nodeName }));
    });
    const names = (l: { items: KObject[] }) => l.items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);

    it('sorts by namespace, then name, as the Kubernetes API does', () => {
      const l = env.registry.list('Pod');
      assert.deepEqual(names(l), ['a/db-2', 'a/web-1', 'b/db-1', 'b/web-2', 'b/web-3']);
      assert.equal(l.kind, 'PodList');
      assert.equal(l.apiVersion, 'v1');
      assert.equal(l.metadata.resourceVersion, env.store.resourceVersion());
    });

    const cases: { name: string; q: Parameters<Env['registry']['list']>[1]; want: string[] }[] = [
      { name: 'one namespace', q: { namespace: 'a' }, want: ['a/db-2', 'a/web-1'] },
      { name: 'a label selector string', q: { labelSelector: 'app=web' }, want: ['a/web-1', 'b/web-2', 'b/web-3'] },
      { name: 'a compiled label selector', q: { labelSelector: parseSelector('app!=web') }, want: ['a/db-2', 'b/db-1'] },
      { name: 'a field selector on spec.nodeName', q: { fieldSelector: 'spec.nodeName=n1' }, want: ['a/db-2', 'b/web-2'] },
      { name: 'unscheduled pods by an empty field value', q: { fieldSelector: 'spec.nodeName=' }, want: ['b/db-1', 'b/web-3'] },
      { name: 'a negated field selector', q: { fieldSelector: 'metadata.namespace!=a' }, want: ['b/db-1', 'b/web-2', 'b/web-3'] },
      { name: 'labels, fields and namespace together', q: { namespace: 'b', labelSelector: 'app=web', fieldSelector: 'spec.nodeName=n1' }, want: ['b/web-2'] },
      { name: 'an empty label selector', q: { labelSelector: '' }, want: ['a/db-2', 'a/web-1', 'b/db-1', 'b/web-2', 'b/web-3'] },
    ];
    for (const c of cases) it(`filters by ${c.name}`, () => assert.deepEqual(names(env.registry.list('Pod', c.q)), c.want));

    it('refuses a bad label selector with a 400', () => {
      throwsApi(() => env.registry.list('Pod', { labelSelector: 'app=web,,' }), {
        reason: 'BadRequest',
        code: 400,
        message: /^invalid label selector "app=web,,"/,
      });
    });

    it('refuses a bad field selector with a 400', () => {
      throwsApi(() => env.registry.list('Pod', { fieldSelector: 'spec.nodeName' }), {
        reason: 'BadRequest',
        code: 400,
        message: /^invalid field selector "spec.nodeName"/,
      });
    });

    it('names a group kind with its group version', () => {
      env.registry.create(deployment('web'));
      const l = env.registry.list('Deployment');
      assert.equal(l.apiVersion, 'apps/v1');
      assert.equal(l.kind, 'DeploymentList');
      assert.equal(l.items.length, 1);
    });

    it('lists cluster-scoped kinds whatever namespace is asked', () => {
      env.registry.create(node('n2'));
      env.registry.create(node('n1'));
      assert.deepEqual(
        env.registry.list('Node', { namespace: 'default' }).items.map((n) => n.metadata.name),
        ['n1', 'n2'],
      );
    });
  });

  describe('update', () => {
    it('replaces spec and metadata, keeping the status (it has its own subresource)', () => {
      const created = env.registry.create<Pod>(pod('web'));
      env.registry.updateStatus({ ...copy(created), status: { phase: 'Running' } });
      const body = copy(created);
      delete body.metadata.resourceVersion;
      body.metadata.labels = { app: 'web' };
      body.status = { phase: 'Failed' };
      const updated = env.registry.update<Pod>(body);
      assert.deepEqual(updated.metadata.labels, { app: 'web' });
      assert.equal(updated.status?.phase, 'Running');
    });

    it('keeps the status of a Deployment on update', () => {
      const d = env.registry.create<Deployment>(deployment('web'));
      env.registry.updateStatus({ ...copy(d), status: { replicas: 2, observedGeneration: 1 } });
      const body = copy(env.registry.get<Deployment>('Deployment', 'default', 'web'));
      body.status = { replicas: 99 };
      assert.deepEqual(env.registry.update<Deployment>(body).status, { replicas: 2, observedGeneration: 1 });
    });

    it('bumps generation only when the spec changes', () => {
      const d = env.registry.create<Deployment>(deployment('web'));
      const labelled = copy(d);
      labelled.metadata.labels = { app: 'web', extra: 'x' };
      const afterLabels = env.registry.update<Deployment>(labelled);
      assert.equal(afterLabels.metadata.generation, 1, 'a label change is no spec change');
      const withStatus = env.registry.updateStatus<Deployment>({ ...copy(afterLabels), status: { replicas: 1 } });
      assert.equal(withStatus.metadata.generation, 1, 'a status change is no spec change');
      const scaled = copy(withStatus);
      scaled.spec.replicas = 5;
      const afterScale = env.registry.update<Deployment>(scaled);
      assert.equal(afterScale.metadata.generation, 2);
      const same = env.registry.update<Deployment>(copy(afterScale));
      assert.equal(same.metadata.generation, 2, 'writing the same spec again is no change');
      const bodyGeneration = copy(same);
      bodyGeneration.metadata.generation = 40;
      assert.equal(env.registry.update<Deployment>(bodyGeneration).metadata.generation, 2, 'the body cannot set it');
    });

    it('does not count defaulting as a spec change', () => {
      const d = env.registry.create<Deployment>(deployment('web'));
      const body = copy(d);
      delete body.spec.strategy;
      delete body.spec.revisionHistoryLimit;
      assert.equal(env.registry.update<Deployment>(body).metadata.generation, 1);
    });

    it('refuses a stale resourceVersion: 409 Conflict', () => {
      const created = env.registry.create<Pod>(pod('web'));
      env.registry.update(copy(created));
      throwsApi(() => env.registry.update(copy(created)), {
        reason: 'Conflict',
        code: 409,
        message: /^Operation cannot be fulfilled on pods "web": the object has been modified/,
      });
    });

    it('refuses an object that does not exist: 404', () => {
      throwsApi(() => env.registry.update(pod('ghost')), { reason: 'NotFound', code: 404, message: /^pods "ghost" not found$/ });
    });

    it('refuses a name or namespace that differs from the URL: 400', () => {
      env.registry.create(pod('web'));
      throwsApi(() => env.registry.update(pod('web'), { name: 'other' }), {
        reason: 'BadRequest',
        code: 400,
        message: /^the name of the object \(web\) does not match the name on the URL \(other\)$/,
      });
      throwsApi(() => env.registry.update(pod('web', { namespace: 'a' }), { namespace: 'b', name: 'web' }), {
        reason: 'BadRequest',
        code: 400,
        message: /^the namespace of the provided object \(a\) does not match the namespace sent on the request \(b\)$/,
      });
    });

    it('validates the new object', () => {
      const created = env.registry.create<Pod>(pod('web'));
      const body = copy(created);
      body.metadata.labels = { app: '-bad' };
      throwsApi(() => env.registry.update(body), { reason: 'Invalid', code: 400, causes: [['metadata.labels.app', /a label value/]] });
    });

    it('keeps deletionTimestamp, which only deletion sets', () => {
      env.terminating.add('n1');
      env.registry.create(pod('web', { nodeName: 'n1' }));
      const terminating = env.registry.delete<Pod>('Pod', 'default', 'web');
      const body = copy(terminating);
      delete body.metadata.deletionTimestamp;
      delete body.metadata.deletionGracePeriodSeconds;
      const updated = env.registry.update<Pod>(body);
      assert.equal(updated.metadata.deletionTimestamp, terminating.metadata.deletionTimestamp);
      assert.equal(updated.metadata.deletionGracePeriodSeconds, 30);
      const plain = env.registry.create<Pod>(pod('plain'));
      const forged = copy(plain);
      forged.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
      assert.equal(env.registry.update<Pod>(forged).metadata.deletionTimestamp, undefined);
    });

    it('replaces the whole of a kind without a status subresource', () => {
      const ev: Event = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'e1', namespace: 'default' },
        involvedObject: { kind: 'Pod', name: 'web' },
        reason: 'A',
        message: 'one',
        type: 'Normal',
      };
      const created = env.registry.create<Event>(ev);
      const body = copy(created);
      body.message = 'two';
      body.count = 2;
      const updated = env.registry.update<Event>(body);
      assert.equal(updated.message, 'two');
      assert.equal(updated.count, 2);
    });
  });

  describe('updateStatus', () => {
    it('replaces only the status', () => {
      const created = env.registry.create<Pod>(pod('web', { labels: { app: 'web' } }));
      const body = copy(created);
      body.metadata.labels = { app: 'changed' };
      body.spec.containers[0]!.image = 'other';
      body.status = { phase: 'Running', podIP: '10.244.1.2' };
      const updated = env.registry.updateStatus<Pod>(body);
      assert.deepEqual(updated.status, { phase: 'Running', podIP: '10.244.1.2' });
      assert.deepEqual(updated.metadata.labels, { app: 'web' });
      assert.equal(updated.spec.containers[0]!.image, 'pause');
      assert.equal(updated.metadata.resourceVersion, '2');
    });

    it('refuses a stale resourceVersion, and accepts none', () => {
      const created = env.registry.create<Pod>(pod('web'));
      env.registry.updateStatus({ ...copy(created), status: { phase: 'Running' } });
      throwsApi(() => env.registry.updateStatus({ ...copy(created), status: { phase: 'Failed' } }), {
        reason: 'Conflict',
        code: 409,
        message: /^Operation cannot be fulfilled on pods "web"/,
      });
      const blind = { ...copy(created), status: { phase: 'Failed' as const } };
      delete blind.metadata.resourceVersion;
      assert.equal(env.registry.updateStatus<Pod>(blind).status?.phase, 'Failed');
    });

    it('refuses an object that does not exist', () => {
      throwsApi(() => env.registry.updateStatus({ ...pod('ghost'), metadata: { name: 'ghost', namespace: 'default' } }), { reason: 'NotFound', code: 404 });
    });
  });

  describe('pod spec immutability', () => {
    let created: Pod;
    beforeEach(() => {
      created = env.registry.create<Pod>({ ...pod('web'), spec: { ...pod('web').spec, tolerations: [{ key: 'a', operator: 'Exists' }] } });
    });

    it('allows a new container image', () => {
      const body = copy(created);
      body.spec.containers[0]!.image = 'http-echo';
      assert.equal(env.registry.update<Pod>(body).spec.containers[0]!.image, 'http-echo');
    });

    it('allows an added toleration', () => {
      const body = copy(created);
      body.spec.tolerations!.push({ key: 'b', operator: 'Exists' });
      assert.equal(env.registry.update<Pod>(body).spec.tolerations!.length, 2);
    });

    /** Binds as the scheduler does: a write to the store, not an update through the API. */
    const bind = (p: Pod, nodeName: string) => env.store.update<Pod>({ ...copy(p), spec: { ...copy(p).spec, nodeName } });

    const forbidden: { name: string; change: (p: Pod) => void }[] = [
      { name: 'a new command', change: (p) => (p.spec.containers[0]!.command = ['sleep']) },
      { name: 'another restart policy', change: (p) => (p.spec.restartPolicy = 'Never') },
      { name: 'an added container', change: (p) => p.spec.containers.push({ name: 'two', image: 'pause' }) },
      { name: 'new resources', change: (p) => (p.spec.containers[0]!.resources = { requests: { cpu: '1' } }) },
      { name: 'a node selector', change: (p) => (p.spec.nodeSelector = { zone: 'a' }) },
      { name: "a node name on an unbound pod (binding is the scheduler's)", change: (p) => (p.spec.nodeName = 'n1') },
    ];
    for (const f of forbidden) {
      it(`refuses ${f.name} with a 400 on spec`, () => {
        const body = copy(created);
        f.change(body);
        throwsApi(() => env.registry.update(body), {
          reason: 'Invalid',
          code: 400,
          message: /^Pod "web" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image` or `spec.tolerations`/,
          causes: [['spec', /^Forbidden: pod updates may not change fields/]],
        });
      });
    }

    it('refuses moving a bound pod to another node, naming spec.nodeName', () => {
      const b = bind(created, 'n1');
      const moved = copy(b);
      moved.spec.nodeName = 'n2';
      throwsApi(() => env.registry.update(moved), {
        reason: 'Invalid',
        code: 400,
        causes: [['spec.nodeName', /^Forbidden: a pod bound to a node cannot move$/]],
      });
    });

    it('marks a gated pod SchedulingGated at create, lets its gates be removed and refuses adding one', () => {
      const gated = env.registry.create<Pod>({
        ...pod('gated'),
        spec: { ...pod('gated').spec, schedulingGates: [{ name: 'example.com/foo' }, { name: 'example.com/bar' }] },
      });
      const cond = gated.status?.conditions?.find((c) => c.type === 'PodScheduled');
      assert.deepEqual([cond?.status, cond?.reason, cond?.message], ['False', 'SchedulingGated', 'Scheduling is blocked due to non-empty scheduling gates']);
      const more = copy(gated);
      more.spec.schedulingGates!.push({ name: 'example.com/baz' });
      throwsApi(() => env.registry.update(more), {
        reason: 'Invalid',
        code: 400,
        causes: [['spec.schedulingGates', /^Forbidden: only deletion is allowed, but found new scheduling gate 'example.com\/baz'$/]],
      });
      const fewer = copy(gated);
      fewer.spec.schedulingGates = [{ name: 'example.com/bar' }];
      assert.deepEqual(env.registry.update<Pod>(fewer).spec.schedulingGates, [{ name: 'example.com/bar' }]);
      const none = copy(env.registry.get<Pod>('Pod', 'default', 'gated')!);
      delete none.spec.schedulingGates;
      assert.equal(env.registry.update<Pod>(none).spec.schedulingGates, undefined);
    });

    it('refuses a pod with both scheduling gates and a node name', () => {
      throwsApi(() => env.registry.create<Pod>({ ...pod('both'), spec: { ...pod('both').spec, nodeName: 'n1', schedulingGates: [{ name: 'g' }] } }), {
        reason: 'Invalid',
        code: 400,
        causes: [['spec.nodeName', /^Forbidden: cannot be set until all schedulingGates have been cleared$/]],
      });
    });

    it('keeps a bound pod on its node when a replace leaves nodeName out', () => {
      const b = bind(created, 'n1');
      const body = copy(b);
      delete body.spec.nodeName;
      body.metadata.labels = { touched: 'yes' };
      const updated = env.registry.update<Pod>(body);
      assert.equal(updated.spec.nodeName, 'n1');
      assert.deepEqual(updated.metadata.labels, { touched: 'yes' });
    });
  });
});
