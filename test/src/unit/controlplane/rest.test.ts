// The HTTP API through a real server on port 0: what a kubectl-like client sends and gets back,
// and the Status it gets for each way a request can be wrong.

import assert from 'node:assert/strict';
import http from 'node:http';
import type { Deployment, Pod, Status } from '@kip/shared';
import { MAX_BODY_BYTES } from '@kip/controlplane';
import { deployment, pod, replicaSet } from './fixtures.js';
import { isStatus, RestServer } from './rest-harness.js';

const PODS = '/api/v1/namespaces/default/pods';
const DEPLOYS = '/apis/apps/v1/namespaces/default/deployments';

describe('controlplane/api/rest', function () {
  this.timeout(10_000);
  let api: RestServer;
  beforeEach(async () => {
    api = await new RestServer().start();
  });
  afterEach(async () => {
    await api.stop();
  });

  describe('resources', () => {
    it('creates with POST (201), reads with GET, lists sorted', async () => {
      const created = await api.call<Pod>('POST', PODS, pod('web-b'));
      assert.equal(created.status, 201);
      assert.equal(created.body.metadata.namespace, 'default');
      assert.equal(created.body.status?.phase, 'Pending');
      await api.call('POST', PODS, pod('web-a'));
      await api.call('POST', '/api/v1/namespaces/other/pods', pod('web-c'));
      const got = await api.call<Pod>('GET', `${PODS}/web-b`);
      assert.equal(got.status, 200);
      assert.deepEqual(got.body, created.body);
      const list = await api.call('GET', PODS);
      assert.equal(list.status, 200);
      assert.equal(list.body.kind, 'PodList');
      assert.equal(list.body.apiVersion, 'v1');
      assert.equal(list.body.metadata.resourceVersion, '3');
      assert.deepEqual(
        list.body.items.map((p: Pod) => p.metadata.name),
        ['web-a', 'web-b'],
      );
      const all = await api.call('GET', '/api/v1/pods');
      assert.deepEqual(
        all.body.items.map((p: Pod) => `${p.metadata.namespace}/${p.metadata.name}`),
        ['default/web-a', 'default/web-b', 'other/web-c'],
      );
    });

    it('filters lists by label and field selectors', async () => {
      await api.call('POST', PODS, pod('a', { labels: { app: 'web' }, nodeName: 'n1' }));
      await api.call('POST', PODS, pod('b', { labels: { app: 'db' } }));
      const byLabel = await api.call('GET', `${PODS}?labelSelector=${encodeURIComponent('app in (web)')}`);
      assert.deepEqual(
        byLabel.body.items.map((p: Pod) => p.metadata.name),
        ['a'],
      );
      const byField = await api.call('GET', `${PODS}?fieldSelector=${encodeURIComponent('spec.nodeName=')}`);
      assert.deepEqual(
        byField.body.items.map((p: Pod) => p.metadata.name),
        ['b'],
      );
      isStatus(await api.call('GET', `${PODS}?labelSelector=${encodeURIComponent('app=(')}`), 400, 'BadRequest', /invalid label selector/);
      isStatus(await api.call('GET', `${PODS}?fieldSelector=nodeName`), 400, 'BadRequest', /invalid field selector/);
    });

    it('accepts a YAML body', async () => {
      const yaml = 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: from-yaml\nspec:\n  containers:\n    - name: c\n      image: pause\n';
      const res = await api.call<Pod>('POST', PODS, yaml, { 'Content-Type': 'application/yaml' });
      assert.equal(res.status, 201);
      assert.equal(res.body.metadata.name, 'from-yaml');
    });

    it('answers an invalid object with 400 and one cause per field', async () => {
      const bad = pod('Bad_Name');
      (bad.spec as { containers: unknown }).containers = [{ name: 'c' }];
      const s = isStatus(await api.call('POST', PODS, bad), 400, 'Invalid', /^Pod "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"/);
      assert.deepEqual(
        s.details?.causes?.map((c) => c.field),
        ['metadata.name', 'spec.containers[0].image'],
      );
      assert.equal(s.details?.kind, 'pod');
      assert.equal(s.details?.name, 'Bad_Name');
    });

    it('answers a duplicate with 409 AlreadyExists', async () => {
      await api.call('POST', PODS, pod('web'));
      isStatus(await api.call('POST', PODS, pod('web')), 409, 'AlreadyExists', /^pods "web" already exists$/);
    });

    it('refuses a body of another kind, or for another namespace', async () => {
      isStatus(await api.call('POST', PODS, deployment('web')), 400, 'BadRequest', /^the body is a Deployment, but the request is for Pod$/);
      isStatus(
        await api.call('POST', PODS, pod('web', { namespace: 'other' })),
        400,
        'BadRequest',
        /does not match the namespace sent on the request \(default\)/,
      );
    });

    it('refuses a create without a namespace in the path: 405', async () => {
      isStatus(await api.call('POST', '/api/v1/pods', pod('web')), 405, 'MethodNotAllowed', /needs a namespace in the path/);
    });

    it('replaces with PUT, and answers a stale resourceVersion with 409', async () => {
      const created = (await api.call<Pod>('POST', PODS, pod('web'))).body;
      const next = structuredClone(created);
      next.metadata.labels = { app: 'web' };
      const put = await api.call<Pod>('PUT', `${PODS}/web`, next);
      assert.equal(put.status, 200);
      assert.deepEqual(put.body.metadata.labels, { app: 'web' });
      isStatus(await api.call('PUT', `${PODS}/web`, next), 409, 'Conflict', /the object has been modified/);
      isStatus(await api.call('PUT', `${PODS}/other`, put.body), 400, 'BadRequest', /does not match the name on the URL \(other\)/);
      isStatus(await api.call('PUT', `${PODS}/ghost`, { ...pod('ghost') }), 404, 'NotFound', /^pods "ghost" not found$/);
    });

    it('merges a PATCH in', async () => {
      await api.call('POST', PODS, pod('web', { labels: { a: '1', b: '2' } }));
      const res = await api.call<Pod>(
        'PATCH',
        `${PODS}/web`,
        { metadata: { labels: { a: null, c: '3' } } },
        { 'Content-Type': 'application/merge-patch+json' },
      );
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.metadata.labels, { b: '2', c: '3' });
      isStatus(await api.call('PATCH', `${PODS}/web`, '[1]'), 400, 'BadRequest', /a merge patch must be a JSON object/);
    });

    it('writes status only through /status, with PUT or PATCH', async () => {
      const created = (await api.call<Pod>('POST', PODS, pod('web'))).body;
      const put = await api.call<Pod>('PUT', `${PODS}/web/status`, {
        ...created,
        metadata: { ...created.metadata, labels: { ignored: 'yes' } },
        status: { phase: 'Running' },
      });
      assert.equal(put.status, 200);
      assert.equal(put.body.status?.phase, 'Running');
      assert.equal(put.body.metadata.labels, undefined, 'PUT /status changes only the status');
      const patched = await api.call<Pod>('PATCH', `${PODS}/web/status`, { metadata: { labels: { ignored: 'yes' } }, status: { podIP: '10.244.1.2' } });
      assert.equal(patched.status, 200);
      assert.deepEqual(patched.body.status, { phase: 'Running', podIP: '10.244.1.2' });
      assert.equal(patched.body.metadata.labels, undefined);
      isStatus(
        await api.call('PUT', `${PODS}/web/status`, { ...created, metadata: { ...created.metadata, name: 'other' } }),
        400,
        'BadRequest',
        /does not match the name on the URL/,
      );
    });

    it('a PATCH of /status without a status leaves the status alone', async () => {
      const created = (await api.call<Pod>('POST', PODS, pod('web'))).body;
      await api.call('PUT', `${PODS}/web/status`, { ...created, status: { phase: 'Running', podIP: '10.244.1.2' } });
      const res = await api.call<Pod>('PATCH', `${PODS}/web/status`, { metadata: { labels: { a: 'b' } } });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.status, { phase: 'Running', podIP: '10.244.1.2' });
      isStatus(await api.call('PATCH', `${PODS}/web/status`, 'null'), 400, 'BadRequest', /a merge patch must be a JSON object/);
    });

    it('deletes with DELETE, gracefully for a pod its node can stop', async () => {
      await api.call('POST', PODS, pod('now'));
      const gone = await api.call<Pod>('DELETE', `${PODS}/now`);
      assert.equal(gone.status, 200);
      assert.equal(gone.body.metadata.name, 'now');
      isStatus(await api.call('GET', `${PODS}/now`), 404, 'NotFound');

      api.terminating.add('n1');
      await api.call('POST', PODS, pod('graceful', { nodeName: 'n1' }));
      const marked = await api.call<Pod>('DELETE', `${PODS}/graceful?gracePeriodSeconds=10`);
      assert.equal(marked.body.metadata.deletionGracePeriodSeconds, 10);
      assert.equal((await api.call('GET', `${PODS}/graceful`)).status, 200, 'still there until its node stops it');
      await api.call('DELETE', `${PODS}/graceful`, { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 });
      isStatus(await api.call('GET', `${PODS}/graceful`), 404, 'NotFound');
    });

    it('checks delete options', async () => {
      const created = (await api.call<Pod>('POST', PODS, pod('web'))).body;
      isStatus(
        await api.call('DELETE', `${PODS}/web`, { preconditions: { uid: 'not-it' } }),
        409,
        'Conflict',
        /Precondition failed: UID in precondition: not-it/,
      );
      isStatus(await api.call('DELETE', `${PODS}/web?propagationPolicy=Sometimes`), 400, 'BadRequest', /propagationPolicy: Unsupported value: "Sometimes"/);
      isStatus(await api.call('DELETE', `${PODS}/web?gracePeriodSeconds=-3`), 400, 'BadRequest', /gracePeriodSeconds: Invalid value: -3/);
      assert.equal((await api.call('DELETE', `${PODS}/web`, { preconditions: { uid: created.metadata.uid } })).status, 200);
    });

    it('orphans dependents when asked', async () => {
      const d = (await api.call<Deployment>('POST', DEPLOYS, deployment('web'))).body;
      const rs = replicaSet('web-abc');
      rs.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata.uid!, controller: true }];
      await api.call('POST', '/apis/apps/v1/namespaces/default/replicasets', rs);
      await api.call('DELETE', `${DEPLOYS}/web?propagationPolicy=Orphan`);
      const left = await api.call('GET', '/apis/apps/v1/namespaces/default/replicasets/web-abc');
      assert.equal(left.status, 200);
      assert.equal(left.body.metadata.ownerReferences, undefined);
    });

    it('serves cluster-scoped kinds without a namespace', async () => {
      const created = await api.call('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: {} });
      assert.equal(created.status, 201);
      const cordoned = await api.call('PATCH', '/api/v1/nodes/n1', { spec: { unschedulable: true } });
      assert.equal(cordoned.body.spec.unschedulable, true);
      assert.equal((await api.call('GET', '/api/v1/namespaces/default/nodes/n1')).status, 404);
    });
  });

  describe('bad requests', () => {
    const notFound: [string, string][] = [
      ['GET', '/nope'],
      ['GET', '/api/v1/widgets'],
      ['GET', '/apis/apps/v1/pods'],
      ['GET', `${PODS}/web/exec`],
      ['GET', '/api/v1/namespaces/%E0%A4%A/pods'],
      ['GET', '/'],
    ];
    for (const [method, path] of notFound) {
      it(`${method} ${path} is 404 with a Status`, async () => {
        await api.call('POST', PODS, pod('web'));
        isStatus(await api.call(method, path), 404, 'NotFound', /the server could not find the requested resource/);
      });
    }

    it('answers bad JSON with 400', async () => {
      isStatus(await api.call('POST', PODS, '{"kind": "Pod",'), 400, 'BadRequest', /^the request body is not valid JSON: /);
      isStatus(await api.call('POST', PODS, 'kind: [', { 'Content-Type': 'application/yaml' }), 400, 'BadRequest', /^the request body is not valid YAML: /);
    });

    it('answers an empty body with 400', async () => {
      isStatus(await api.call('POST', PODS, ''), 400, 'BadRequest', /^the request body is empty; it must be a JSON object$/);
      isStatus(await api.call('POST', PODS, 'null'), 400, 'Invalid', /the body must be a JSON or YAML object, not null/);
    });

    it(`answers a body over ${MAX_BODY_BYTES} bytes with 413`, async () => {
      const big = Buffer.alloc(MAX_BODY_BYTES + 64 * 1024, 0x20);
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const u = new URL(api.url);
        const req = http.request(
          { host: u.hostname, port: u.port, method: 'POST', path: PODS, headers: { 'Content-Type': 'application/json', 'Content-Length': big.length } },
          (r) => {
            let body = '';
            r.setEncoding('utf8');
            r.on('data', (c: string) => (body += c));
            r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
          },
        );
        req.on('error', reject);
        req.end(big);
      });
      assert.equal(res.status, 413, res.body);
      const s = JSON.parse(res.body) as Status;
      assert.equal(s.reason, 'RequestEntityTooLarge');
      assert.equal(s.message, `request body larger than ${MAX_BODY_BYTES} bytes`);
      assert.equal((await api.call('GET', PODS)).status, 200, 'the server carries on');
    });

    it('answers an unsupported method with 405', async () => {
      await api.call('POST', PODS, pod('web'));
      isStatus(await api.call('DELETE', PODS), 405, 'MethodNotAllowed', /^DELETE is not supported on pods$/);
      isStatus(await api.call('POST', `${PODS}/web`, pod('web')), 405, 'MethodNotAllowed', /^POST is not supported on pods\/web$/);
    });
  });
});
