// Watches over HTTP: newline-delimited JSON events streamed from a resourceVersion, filtered by
// namespace, labels and fields, with objects moving in and out of a selector shown as ADDED and
// DELETED, as the Kubernetes API server shows them.

import assert from 'node:assert/strict';
import type { Pod, Status } from '@kip/shared';
import { eventually } from '../../helpers/wait.js';
import { pod } from './fixtures.js';
import { RestServer } from './rest-harness.js';

const PODS = '/api/v1/namespaces/default/pods';

describe('controlplane/api/rest: watch', function () {
  this.timeout(10_000);
  let api: RestServer;
  beforeEach(async () => {
    api = await new RestServer({ historySize: 5 }).start();
  });
  afterEach(async () => {
    await api.stop();
  });

  const create = async (name: string, labels?: Record<string, string>, ns = 'default') =>
    (await api.call<Pod>('POST', `/api/v1/namespaces/${ns}/pods`, pod(name, { labels }))).body;
  const relabel = async (name: string, labels: Record<string, string | null>) =>
    (await api.call<Pod>('PATCH', `${PODS}/${name}`, { metadata: { labels } })).body;

  it('streams ADDED, MODIFIED and DELETED from the resourceVersion of a list', async () => {
    await create('before');
    const rv = (await api.call('GET', PODS)).body.metadata.resourceVersion as string;
    const w = await api.watch(`${PODS}?watch=true&resourceVersion=${rv}`);
    assert.equal(w.status, 200);
    await create('web');
    await relabel('web', { app: 'web' });
    await api.call('DELETE', `${PODS}/web`);
    assert.deepEqual(await w.waitFor(3), ['ADDED web', 'MODIFIED web', 'DELETED web']);
    const [added, modified, deleted] = w.events;
    assert.equal(added!.object.kind, 'Pod');
    assert.deepEqual(modified!.object.metadata.labels, { app: 'web' });
    assert.ok(Number(deleted!.object.metadata.resourceVersion) > Number(modified!.object.metadata.resourceVersion));
    w.close();
  });

  it('replays what happened after an older resourceVersion first', async () => {
    const a = await create('a');
    await create('b');
    await api.call('DELETE', `${PODS}/b`);
    const w = await api.watch(`${PODS}?watch=1&resourceVersion=${a.metadata.resourceVersion}`);
    assert.deepEqual(await w.waitFor(2), ['ADDED b', 'DELETED b']);
    await create('c');
    assert.deepEqual(await w.waitFor(3), ['ADDED b', 'DELETED b', 'ADDED c']);
    w.close();
  });

  it('without a resourceVersion sends only what changes from now on', async () => {
    await create('old');
    const w = await api.watch(`${PODS}?watch=true`);
    await create('new');
    assert.deepEqual(await w.waitFor(1), ['ADDED new']);
    w.close();
  });

  it('with resourceVersion "0" sends the current state as ADDED first, then the changes', async () => {
    await create('old', { app: 'web' });
    await create('other');
    const w = await api.watch(`${PODS}?watch=true&resourceVersion=0&labelSelector=app%3Dweb`);
    await create('new', { app: 'web' });
    assert.deepEqual(await w.waitFor(2), ['ADDED old', 'ADDED new']);
    w.close();
  });

  it('sees only its namespace, and every namespace from the cluster-wide path', async () => {
    const mine = await api.watch(`${PODS}?watch=true`);
    const all = await api.watch('/api/v1/pods?watch=true');
    await create('elsewhere', undefined, 'other');
    await create('here');
    assert.deepEqual(await mine.waitFor(1), ['ADDED here']);
    assert.deepEqual(await all.waitFor(2), ['ADDED elsewhere', 'ADDED here']);
    assert.equal(mine.lines.length, 1);
    mine.close();
    all.close();
  });

  it('shows objects moving into and out of a label selector as ADDED and DELETED', async () => {
    await create('a');
    await create('noise');
    const w = await api.watch(`${PODS}?watch=true&labelSelector=${encodeURIComponent('app=web')}`);
    await relabel('noise', { other: 'x' });
    await relabel('a', { app: 'web' });
    await relabel('a', { app: 'web', tier: 'front' });
    await relabel('a', { app: 'db' });
    await create('b', { app: 'web' });
    await api.call('DELETE', `${PODS}/b`);
    assert.deepEqual(await w.waitFor(5), ['ADDED a', 'MODIFIED a', 'DELETED a', 'ADDED b', 'DELETED b']);
    assert.deepEqual(w.events[2]!.object.metadata.labels, { app: 'db', tier: 'front' }, 'the DELETED for a pod leaving the selector carries it as it is now');
    w.close();
  });

  it('filters by field selector, with the same transitions', async () => {
    const created = await create('web');
    const w = await api.watch(`${PODS}?watch=true&fieldSelector=${encodeURIComponent('status.phase=Running')}`);
    await api.call('PUT', `${PODS}/web/status`, { ...created, status: { phase: 'Running' } });
    const running = (await api.call<Pod>('GET', `${PODS}/web`)).body;
    await api.call('PUT', `${PODS}/web/status`, { ...running, status: { phase: 'Failed' } });
    assert.deepEqual(await w.waitFor(2), ['ADDED web', 'DELETED web']);
    w.close();
  });

  it('answers a resourceVersion older than the kept history with 410 Expired, as Kubernetes does', async () => {
    for (let i = 0; i < 8; i++) await create(`p${i}`);
    const res = await api.call('GET', `${PODS}?watch=true&resourceVersion=1`);
    assert.equal(res.status, 410);
    const s = res.body as Status;
    assert.equal(s.reason, 'Expired');
    assert.equal(s.code, 410);
    assert.match(s.message, /^too old resource version: 1 \(\d+\)$/);
    assert.equal(api.store.watching, 0);
  });

  it('answers a bad resourceVersion or selector with 400', async () => {
    const bad = async (q: string, message: RegExp) => {
      const res = await api.call('GET', `${PODS}?watch=true&${q}`);
      assert.equal(res.status, 400, res.text);
      assert.match((res.body as Status).message, message);
    };
    await bad('resourceVersion=abc', /resourceVersion "abc" is not a number/);
    await bad(`labelSelector=${encodeURIComponent('a in (b')}`, /invalid label selector/);
    await bad('fieldSelector=spec', /invalid field selector/);
    assert.equal(api.store.watching, 0);
  });

  it('ends its store watch when the client goes away', async () => {
    const w1 = await api.watch(`${PODS}?watch=true`);
    const w2 = await api.watch('/apis/apps/v1/deployments?watch=true');
    await eventually('two watches', () => api.store.watching === 2, { timeoutMs: 5000, intervalMs: 5 });
    w1.close();
    await eventually('one watch left', () => api.store.watching === 1, { timeoutMs: 5000, intervalMs: 5 });
    w2.close();
    await eventually('no watch left', () => api.store.watching === 0, { timeoutMs: 5000, intervalMs: 5 });
    await create('after');
    assert.equal(w1.lines.length, 0);
  });
});
