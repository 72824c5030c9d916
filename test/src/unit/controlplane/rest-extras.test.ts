// Subresources and the rest of the API surface through a real server on port 0: scale,
// namespaces, discovery, health, metrics and logs from an in-memory NodeAccess, and the API token.

import assert from 'node:assert/strict';
import type { Deployment, Pod } from '@kip/shared';
import { eventually } from '../../helpers/wait.js';
import { deployment, pod, replicaSet } from './fixtures.js';
import { isStatus, RestServer } from './rest-harness.js';

const PODS = '/api/v1/namespaces/default/pods';
const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments';

describe('controlplane/api/rest: subresources, discovery and auth', function () {
  this.timeout(10_000);
  let api: RestServer;
  beforeEach(async () => {
    api = await new RestServer().start();
  });
  afterEach(async () => {
    await api.stop();
  });

  describe('subresources and extras', () => {
    it('scales a Deployment through /scale', async () => {
      await api.call('POST', DEPLOYS, deployment('web', 2));
      const scale = await api.call('GET', `${DEPLOYS}/web/scale`);
      assert.equal(scale.status, 200);
      assert.equal(scale.body.apiVersion, 'autoscaling/v1');
      assert.equal(scale.body.kind, 'Scale');
      assert.deepEqual(scale.body.spec, { replicas: 2 });
      assert.deepEqual(scale.body.status, { replicas: 0, selector: 'app=web' });
      const put = await api.call('PUT', `${DEPLOYS}/web/scale`, { ...scale.body, spec: { replicas: 5 } });
      assert.equal(put.status, 200);
      assert.equal(put.body.spec.replicas, 5);
      const d = (await api.call<Deployment>('GET', `${DEPLOYS}/web`)).body;
      assert.equal(d.spec.replicas, 5);
      assert.equal(d.metadata.generation, 2);
      isStatus(await api.call('PUT', `${DEPLOYS}/web/scale`, { ...scale.body, spec: { replicas: 6 } }), 409, 'Conflict', /the object has been modified/);
      const patched = await api.call('PATCH', `${DEPLOYS}/web/scale`, { spec: { replicas: 1 } });
      assert.equal(patched.body.spec.replicas, 1);
      isStatus(
        await api.call('PATCH', `${DEPLOYS}/web/scale`, { spec: { replicas: -1 } }),
        400,
        'Invalid',
        /^Scale "web" is invalid: spec.replicas: Invalid value: -1: must be a non-negative integer$/,
      );
      isStatus(await api.call('PATCH', `${DEPLOYS}/web/scale`, { spec: { replicas: '3' } }), 400, 'Invalid', /spec.replicas: Invalid value: "3"/);
      isStatus(await api.call('POST', `${DEPLOYS}/web/scale`, { spec: { replicas: 1 } }), 405, 'MethodNotAllowed');
      isStatus(await api.call('GET', `${DEPLOYS}/ghost/scale`), 404, 'NotFound', /^deployments.apps "ghost" not found$/);
    });

    it('scales a ReplicaSet through /scale', async () => {
      await api.call('POST', '/apis/apps/v1/namespaces/default/replicasets', replicaSet('web-abc', 3));
      const res = await api.call('PATCH', '/apis/apps/v1/namespaces/default/replicasets/web-abc/scale', { spec: { replicas: 0 } });
      assert.equal(res.status, 200);
      assert.equal(res.body.spec.replicas, 0);
      assert.equal(res.body.status.selector, 'app=web-abc');
    });

    it('serves Namespaces as objects: create, list, get, and deletion that turns them Terminating', async () => {
      for (const name of ['default', 'team-a'])
        assert.equal((await api.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } })).status, 201);
      const list = await api.call('GET', '/api/v1/namespaces');
      assert.equal(list.status, 200);
      assert.equal(list.body.kind, 'NamespaceList');
      assert.deepEqual(
        list.body.items.map((n: { metadata: { name: string } }) => n.metadata.name),
        ['default', 'team-a'],
      );
      const one = await api.call('GET', '/api/v1/namespaces/team-a');
      assert.deepEqual(one.body.status, { phase: 'Active' });
      isStatus(await api.call('GET', '/api/v1/namespaces/nobody'), 404, 'NotFound', /^namespaces "nobody" not found$/);
      isStatus(
        await api.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'Bad_Name' } }),
        400,
        'Invalid',
        /metadata\.name/,
      );
      const gone = await api.call('DELETE', '/api/v1/namespaces/team-a');
      assert.equal(gone.status, 200);
      assert.equal(gone.body.status.phase, 'Terminating');
      assert.ok(gone.body.metadata.deletionTimestamp);
      isStatus(await api.call('DELETE', '/api/v1/namespaces/default'), 403, 'Forbidden', /may not be deleted/);
    });

    it('serves discovery as kubectl reads it', async () => {
      assert.deepEqual((await api.call('GET', '/api')).body, { kind: 'APIVersions', versions: ['v1'] });
      const groups = (await api.call('GET', '/apis')).body;
      assert.equal(groups.kind, 'APIGroupList');
      const listed = groups.groups.map((g: { name: string; preferredVersion: { groupVersion: string } }) => `${g.name} ${g.preferredVersion.groupVersion}`);
      for (const gv of [
        'apps apps/v1',
        'batch batch/v1',
        'chaos.kip.dev chaos.kip.dev/v1alpha1',
        'metrics.k8s.io metrics.k8s.io/v1beta1',
        'policy policy/v1',
        'scheduling.k8s.io scheduling.k8s.io/v1',
      ])
        assert.ok(listed.includes(gv), `${gv} in ${listed}`);
      const metrics = (await api.call('GET', '/apis/metrics.k8s.io/v1beta1')).body;
      assert.deepEqual(
        metrics.resources.map((r: { name: string; verbs: string[] }) => `${r.name} ${r.verbs}`),
        ['nodes get,list', 'pods get,list'],
      );
      const core = (await api.call('GET', '/api/v1')).body;
      assert.equal(core.kind, 'APIResourceList');
      assert.equal(core.groupVersion, 'v1');
      const pods = core.resources.find((r: { name: string }) => r.name === 'pods');
      assert.deepEqual(
        { ...pods, verbs: undefined },
        { name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', shortNames: ['po'], categories: ['all'], verbs: undefined },
      );
      assert.ok(pods.verbs.includes('watch'));
      assert.ok(!core.resources.some((r: { name: string }) => r.name === 'deployments'));
      const apps = (await api.call('GET', '/apis/apps/v1')).body;
      const top = (list: { resources: { name: string }[] }) => list.resources.map((r) => r.name).filter((n) => !n.includes('/'));
      assert.deepEqual(top(apps).sort(), ['controllerrevisions', 'daemonsets', 'deployments', 'replicasets', 'statefulsets']);
      // kubectl drain evicts only where discovery lists pods/eviction, with its group and version.
      const eviction = core.resources.find((r: { name: string }) => r.name === 'pods/eviction');
      assert.deepEqual({ group: eviction?.group, version: eviction?.version, kind: eviction?.kind }, { group: 'policy', version: 'v1', kind: 'Eviction' });
      const policy = (await api.call('GET', '/apis/policy/v1')).body;
      assert.deepEqual(top(policy), ['poddisruptionbudgets']);
      // Every subresource kip serves is listed, as the API server lists them.
      const subs = core.resources
        .filter((r: { name: string }) => /^(pods|services)\//.test(r.name))
        .map((r: { name: string; kind: string }) => `${r.name} ${r.kind}`);
      assert.deepEqual(subs.sort(), [
        'pods/attach PodAttachOptions',
        'pods/binding Binding',
        'pods/eviction Eviction',
        'pods/exec PodExecOptions',
        'pods/log Pod',
        'pods/portforward PodPortForwardOptions',
        'pods/proxy PodProxyOptions',
        'pods/status Pod',
        'services/proxy ServiceProxyOptions',
        'services/status Service',
      ]);
      assert.ok(apps.resources.some((r: { name: string }) => r.name === 'deployments/scale'));
    });

    it('binds a pod through pods/binding, once, refusing a second binding and a Binding without a node', async () => {
      const unbound = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'b' },
        spec: { schedulerName: 'my-scheduler', containers: [{ name: 'c', image: 'pause' }] },
      };
      assert.equal((await api.call('POST', PODS, unbound)).status, 201);
      const binding = { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'b' }, target: { apiVersion: 'v1', kind: 'Node', name: 'node-1' } };
      isStatus(
        await api.call('POST', `${PODS}/b/binding`, { ...binding, target: { kind: 'Node' } }),
        422,
        'Invalid',
        /^Binding "b" is invalid: target.name: Required value$/,
      );
      const res = await api.call('POST', `${PODS}/b/binding`, binding);
      assert.equal(res.status, 201);
      assert.equal(res.body.status, 'Success');
      const bound = (await api.call<Pod>('GET', `${PODS}/b`)).body;
      assert.equal(bound.spec.nodeName, 'node-1');
      assert.equal(bound.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status, 'True');
      isStatus(
        await api.call('POST', `${PODS}/b/binding`, { ...binding, target: { kind: 'Node', name: 'node-2' } }),
        409,
        'Conflict',
        /^Operation cannot be fulfilled on pods\/binding "b": pod b is already assigned to node "node-1"$/,
      );
      isStatus(await api.call('POST', `${PODS}/ghost/binding`, binding), 404, 'NotFound');
    });

    it('answers health and version', async () => {
      for (const p of ['/healthz', '/readyz', '/livez']) {
        const res = await api.call('GET', p);
        assert.equal(res.status, 200);
        assert.equal(res.text, 'ok');
      }
      const v = await api.call('GET', '/version');
      assert.match(v.body.gitVersion, /^v\d+\.\d+\.\d+-kip$/);
    });

    it('serves metrics from the nodes', async () => {
      api.nodes.metrics.nodes = [
        {
          apiVersion: 'metrics.k8s.io/v1beta1',
          kind: 'NodeMetrics',
          metadata: { name: 'n1' },
          timestamp: '2026-01-01T00:00:00Z',
          window: '10s',
          usage: { cpu: '100m', memory: '64Mi' },
        },
      ];
      api.nodes.metrics.pods = [
        {
          apiVersion: 'metrics.k8s.io/v1beta1',
          kind: 'PodMetrics',
          metadata: { name: 'web', namespace: 'default' },
          timestamp: '2026-01-01T00:00:00Z',
          window: '10s',
          containers: [],
        },
        {
          apiVersion: 'metrics.k8s.io/v1beta1',
          kind: 'PodMetrics',
          metadata: { name: 'db', namespace: 'other' },
          timestamp: '2026-01-01T00:00:00Z',
          window: '10s',
          containers: [],
        },
      ];
      const nodes = await api.call('GET', '/apis/metrics.k8s.io/v1beta1/nodes');
      assert.equal(nodes.body.kind, 'NodeMetricsList');
      assert.equal(nodes.body.items.length, 1);
      assert.equal((await api.call('GET', '/apis/metrics.k8s.io/v1beta1/nodes/n1')).body.usage.cpu, '100m');
      isStatus(await api.call('GET', '/apis/metrics.k8s.io/v1beta1/nodes/n9'), 404, 'NotFound', /^nodemetrics "n9" not found$/);
      const pods = await api.call('GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods');
      assert.deepEqual(
        pods.body.items.map((p: { metadata: { name: string } }) => p.metadata.name),
        ['web'],
      );
      isStatus(await api.call('GET', '/apis/metrics.k8s.io/v1beta1/widgets'), 404, 'NotFound');
    });
  });

  describe('logs', () => {
    async function runningPod(containers = ['web'], scheduled = true) {
      const p = pod('web', { nodeName: scheduled ? 'n1' : undefined });
      p.spec.containers = containers.map((name) => ({ name, image: 'pause' }));
      const created = (await api.call<Pod>('POST', PODS, p)).body;
      await api.call('PUT', `${PODS}/web/status`, {
        ...created,
        status: {
          phase: 'Running',
          containerStatuses: containers.map((name) => ({
            name,
            ready: true,
            restartCount: 0,
            image: 'pause',
            imageID: '',
            state: { running: {} },
            lastState: {},
          })),
        },
      });
    }

    it('streams a container log from its node', async () => {
      await runningPod();
      api.nodes.logs.set('default/web/web', { chunks: ['line 1\n', 'line 2\n'] });
      const res = await api.call('GET', `${PODS}/web/log?tailLines=2`);
      assert.equal(res.status, 200);
      assert.equal(res.text, 'line 1\nline 2\n');
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      assert.deepEqual(api.nodes.requests, [
        { node: 'n1', opts: { namespace: 'default', pod: 'web', container: 'web', follow: false, previous: false, tailLines: 2, limitBytes: undefined } },
      ]);
    });

    it('needs a container name when the pod has several', async () => {
      await runningPod(['a', 'b']);
      isStatus(await api.call('GET', `${PODS}/web/log`), 400, 'BadRequest', /^a container name must be specified for pod web, choose one of: \[a b\]$/);
      isStatus(await api.call('GET', `${PODS}/web/log?container=c`), 400, 'BadRequest', /^container c is not valid for pod web$/);
      api.nodes.logs.set('default/web/b', { chunks: ['from b\n'] });
      assert.equal((await api.call('GET', `${PODS}/web/log?container=b`)).text, 'from b\n');
    });

    it('refuses what cannot have logs', async () => {
      await runningPod(['web'], false);
      isStatus(await api.call('GET', `${PODS}/web/log`), 400, 'BadRequest', /^pod web is not scheduled to a node yet; it has no logs$/);
      isStatus(await api.call('GET', `${PODS}/ghost/log`), 404, 'NotFound');
    });

    it('checks its numeric options and the previous instance', async () => {
      await runningPod();
      isStatus(await api.call('GET', `${PODS}/web/log?tailLines=-1`), 400, 'BadRequest', /^tailLines: Invalid value: "-1": must be a non-negative integer$/);
      isStatus(await api.call('GET', `${PODS}/web/log?limitBytes=x`), 400, 'BadRequest', /^limitBytes: Invalid value: "x"/);
      isStatus(await api.call('GET', `${PODS}/web/log?previous=true`), 400, 'BadRequest', /^previous terminated container "web" in pod "web" not found$/);
    });

    it('turns a node error before any data into a 400, and an unreachable node into a 503', async () => {
      await runningPod();
      isStatus(await api.call('GET', `${PODS}/web/log`), 400, 'BadRequest', /^no log for container web$/);
      api.nodes.unreachable.add('n1');
      isStatus(await api.call('GET', `${PODS}/web/log`), 503, 'ServiceUnavailable', /^node n1 is not connected$/);
    });

    it('cancels a followed log when the client goes away', async () => {
      await runningPod();
      api.nodes.logs.set('default/web/web', { chunks: ['first\n'] });
      const w = await api.watch(`${PODS}/web/log?follow=true`);
      assert.equal(w.status, 200);
      assert.deepEqual(await w.waitForLines(1), ['first']);
      w.close();
      await eventually('the node stream to be cancelled', () => api.nodes.cancelled === 1, { timeoutMs: 5000, intervalMs: 5 });
    });
  });

  describe('with an API token', () => {
    let secured: RestServer;
    beforeEach(async () => {
      secured = await new RestServer({ apiToken: 's3cret' }).start();
    });
    afterEach(async () => {
      await secured.stop();
    });

    const requests: [string, string, unknown][] = [
      ['GET', PODS, undefined],
      ['GET', `${PODS}/web`, undefined],
      ['POST', PODS, pod('web')],
      ['PUT', `${PODS}/web`, pod('web')],
      ['PATCH', `${PODS}/web`, { metadata: { labels: { a: 'b' } } }],
      ['DELETE', `${PODS}/web`, undefined],
      ['PUT', `${DEPLOYS}/web/scale`, { spec: { replicas: 1 } }],
    ];
    for (const [method, path, body] of requests) {
      it(`refuses ${method} ${path} without the token, or with another: 401`, async () => {
        isStatus(await secured.call(method, path, body), 401, 'Unauthorized', /this API needs "Authorization: Bearer <token>"/);
        isStatus(await secured.call(method, path, body, { Authorization: 'Bearer wrong' }), 401, 'Unauthorized');
        isStatus(await secured.call(method, path, body, { Authorization: 's3cret' }), 401, 'Unauthorized');
      });
    }

    it('serves reads and writes with the token, and health and version to anyone', async () => {
      const auth = { Authorization: 'Bearer s3cret' };
      assert.equal((await secured.call('POST', PODS, pod('web'), auth)).status, 201);
      assert.equal((await secured.call('GET', `${PODS}/web`, undefined, auth)).status, 200);
      assert.equal((await secured.call('GET', PODS, undefined, auth)).status, 200);
      assert.equal((await secured.call('DELETE', `${PODS}/web`, undefined, auth)).status, 200);
      assert.equal(secured.store.list('Pod').items.length, 0);
      for (const open of ['/healthz', '/readyz', '/livez', '/version']) assert.equal((await secured.call('GET', open)).status, 200, open);
    });

    it('lets the join token read fault objects only (an agent), as the Node authorizer limits kubelets', async () => {
      const node = { Authorization: 'Bearer join' };
      assert.equal((await secured.call('GET', '/apis/chaos.kip.dev/v1alpha1/networkchaos', undefined, node)).status, 200);
      isStatus(await secured.call('GET', PODS, undefined, node), 403, 'Forbidden', /pods is forbidden: User "system:node" cannot get it/);
      isStatus(await secured.call('POST', PODS, pod('web'), node), 403, 'Forbidden');
      isStatus(await secured.call('POST', '/apis/chaos.kip.dev/v1alpha1/namespaces/default/networkchaos', {}, node), 403, 'Forbidden');
    });
  });
});
