// Lists and watches as client-go asks for them: resourceVersionMatch checked as the API server's
// ValidateListOptions, periodic bookmarks, sendInitialEvents (the state, then a bookmark marking its
// end), and the field selectors kubectl and informers send. The parsing alone, then a real
// ControlPlane on a real port.

import assert from 'node:assert/strict';
import http from 'node:http';
import {
  ApiError,
  ControlPlane,
  INITIAL_EVENTS_END_ANNOTATION,
  bookmarkObject,
  checkListVersion,
  fieldsMatch,
  parseFieldSelector,
  parseListOptions,
} from '@kip/controlplane';
import { RESOURCES, silentLogger, type KObject, type Status } from '@kip/shared';

const invalid = (query: string, watch: boolean, message: RegExp) =>
  assert.throws(
    () => parseListOptions(new URLSearchParams(query), watch),
    (e: unknown) => e instanceof ApiError && e.code === 422 && /^ListOptions.meta.k8s.io "" is invalid: /.test(e.message) && message.test(e.message),
    query,
  );

describe('controlplane/api/list-options', () => {
  it('reads the options of a list and of a watch', () => {
    assert.deepEqual(parseListOptions(new URLSearchParams('resourceVersion=5&resourceVersionMatch=Exact'), false), {
      resourceVersion: '5',
      resourceVersionMatch: 'Exact',
      sendInitialEvents: undefined,
      allowWatchBookmarks: false,
      continue: undefined,
    });
    const w = parseListOptions(new URLSearchParams('sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true'), true);
    assert.equal(w.sendInitialEvents, true);
    assert.equal(w.allowWatchBookmarks, true);
    assert.equal(parseListOptions(new URLSearchParams('watch=1'), true).sendInitialEvents, undefined);
  });

  it('refuses the combinations the API server refuses, in its words', () => {
    invalid('resourceVersionMatch=Exact', false, /resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided/);
    invalid(
      'resourceVersion=3&resourceVersionMatch=Newest',
      false,
      /resourceVersionMatch: Unsupported value: "Newest": supported values: "Exact", "NotOlderThan", ""/,
    );
    invalid('resourceVersion=0&resourceVersionMatch=Exact', false, /resourceVersionMatch "exact" is forbidden for resourceVersion "0"/);
    invalid('resourceVersion=3&resourceVersionMatch=Exact&continue=abc', false, /resourceVersionMatch is forbidden when continue is provided/);
    invalid('sendInitialEvents=true', false, /sendInitialEvents: Forbidden: sendInitialEvents is forbidden for list/);
    invalid('sendInitialEvents=true&allowWatchBookmarks=true', true, /sendInitialEvents requires setting resourceVersionMatch to NotOlderThan/);
    invalid(
      'sendInitialEvents=true&resourceVersionMatch=NotOlderThan',
      true,
      /allowWatchBookmarks: Forbidden: sendInitialEvents requires setting allowWatchBookmarks to true/,
    );
    invalid('resourceVersionMatch=NotOlderThan', true, /resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided/);
    invalid(
      'sendInitialEvents=false&allowWatchBookmarks=true&resourceVersionMatch=Exact',
      true,
      /Unsupported value: "Exact": supported values: "NotOlderThan"/,
    );
    assert.throws(() => parseListOptions(new URLSearchParams('allowWatchBookmarks=maybe'), true), /invalid boolean value "maybe"/);
  });

  it('serves a list at the version asked for, or says why not', () => {
    const at = (q: string) => parseListOptions(new URLSearchParams(q), false);
    checkListVersion(at(''), '10');
    checkListVersion(at('resourceVersion=0'), '10');
    checkListVersion(at('resourceVersion=7'), '10');
    checkListVersion(at('resourceVersion=10&resourceVersionMatch=Exact'), '10');
    checkListVersion(at('resourceVersion=7&resourceVersionMatch=NotOlderThan'), '10');
    assert.throws(
      () => checkListVersion(at('resourceVersion=7&resourceVersionMatch=Exact'), '10'),
      (e: unknown) => e instanceof ApiError && e.code === 410 && e.reason === 'Expired',
    );
    assert.throws(
      () => checkListVersion(at('resourceVersion=11&resourceVersionMatch=NotOlderThan'), '10'),
      (e: unknown) => e instanceof ApiError && e.code === 504 && e.reason === 'Timeout' && /Too large resource version: 11, current: 10/.test(e.message),
    );
    assert.throws(() => checkListVersion(at('resourceVersion=x'), '10'), /resourceVersion: Invalid value: "x"/);
  });

  it('makes bookmarks of only the kind, its apiVersion and the version', () => {
    const deployments = RESOURCES.find((r) => r.plural === 'deployments')!;
    assert.deepEqual(bookmarkObject(deployments, '42'), { kind: 'Deployment', apiVersion: 'apps/v1', metadata: { resourceVersion: '42' } });
    const pods = RESOURCES.find((r) => r.plural === 'pods' && r.group === '')!;
    assert.deepEqual(bookmarkObject(pods, '7', { [INITIAL_EVENTS_END_ANNOTATION]: 'true' }), {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { resourceVersion: '7', annotations: { 'k8s.io/initial-events-end': 'true' } },
    });
  });

  it('selects by the fields kubectl and informers send', () => {
    const event = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'e', namespace: 'ns' },
      involvedObject: { kind: 'Pod', name: 'web-1', namespace: 'ns', uid: 'u1' },
      reason: 'Started',
    } as unknown as KObject;
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web-1', namespace: 'ns' },
      spec: { nodeName: 'node-1' },
      status: { phase: 'Running' },
    } as unknown as KObject;
    const sel = (text: string, o: KObject) => fieldsMatch(parseFieldSelector(text), o);
    assert.ok(sel('involvedObject.kind=Pod,involvedObject.name=web-1,involvedObject.namespace=ns,involvedObject.uid=u1', event));
    assert.ok(!sel('involvedObject.name=web-2', event));
    assert.ok(sel('metadata.name=web-1,metadata.namespace=ns', pod));
    assert.ok(sel('spec.nodeName=node-1,status.phase!=Succeeded,status.phase!=Failed', pod));
    assert.ok(!sel('spec.nodeName=', pod), 'an empty value selects the unscheduled');
    assert.ok(sel('spec.nodeName==node-1', pod));
  });
});

/** One watch: the events until `until` says stop (or the server ends it). */
function watchEvents(
  port: number,
  path: string,
  until: (events: { type: string; object: KObject }[]) => boolean,
): Promise<{ status: number; events: { type: string; object: KObject }[]; body: string }> {
  return new Promise((resolve, reject) => {
    const events: { type: string; object: KObject }[] = [];
    const req = http.get({ host: '127.0.0.1', port, path }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      const done = () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, events, body: buf });
      };
      res.on('data', (d: string) => {
        buf += d;
        if (res.statusCode !== 200) return;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, nl)) as { type: string; object: KObject });
          buf = buf.slice(nl + 1);
        }
        if (until(events)) done();
      });
      res.on('end', done);
    });
    req.on('error', reject);
    req.setTimeout(30_000, () => req.destroy(new Error(`no end of the watch ${path} in 30 s; events so far: ${JSON.stringify(events)}`)));
  });
}

describe('controlplane: watches and lists as client-go asks', () => {
  let cp: ControlPlane;
  let port: number;
  const cms = '/api/v1/namespaces/default/configmaps';

  before(async () => {
    cp = new ControlPlane({ joinToken: 'test', log: silentLogger, port: 0, watchBookmarkIntervalMs: 200 });
    port = (await cp.start()).port;
    for (const name of ['a', 'b']) cp.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: {} } as KObject);
  });
  after(() => cp.stop());

  it('sends the current state, then a bookmark marking its end, then changes', async () => {
    const path = `${cms}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`;
    const rv = cp.store.resourceVersion();
    const w = watchEvents(port, path, (evs) => evs.some((e) => e.object.metadata.name === 'c'));
    setTimeout(() => cp.store.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, data: {} } as KObject), 300);
    const { events } = await w;
    assert.deepEqual(
      events.slice(0, 3).map((e) => [e.type, e.object.metadata.name]),
      [
        ['ADDED', 'a'],
        ['ADDED', 'b'],
        ['BOOKMARK', undefined],
      ],
    );
    assert.deepEqual(events[2]!.object, {
      kind: 'ConfigMap',
      apiVersion: 'v1',
      metadata: { resourceVersion: rv, annotations: { [INITIAL_EVENTS_END_ANNOTATION]: 'true' } },
    });
    const last = events[events.length - 1]!;
    assert.deepEqual([last.type, last.object.metadata.name], ['ADDED', 'c']);
  });

  it('sends periodic bookmarks only to a watch that allows them', async () => {
    const rv = cp.store.resourceVersion();
    const { events } = await watchEvents(port, `${cms}?watch=1&allowWatchBookmarks=true&resourceVersion=${rv}`, (evs) => evs.length >= 2);
    for (const e of events) assert.deepEqual(e, { type: 'BOOKMARK', object: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: rv } } });
    const plain = await watchEvents(port, `${cms}?watch=1&timeoutSeconds=1&resourceVersion=${rv}`, () => false);
    assert.deepEqual(plain.events, []);
  });

  it('answers 422 for invalid options and 504 for a version from the future', async () => {
    const bad = await watchEvents(port, `${cms}?watch=1&resourceVersionMatch=NotOlderThan`, () => false);
    assert.equal(bad.status, 422);
    assert.match((JSON.parse(bad.body) as Status).message, /resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided/);
    const future = await watchEvents(port, `${cms}?resourceVersion=999999&resourceVersionMatch=NotOlderThan`, () => false);
    assert.equal(future.status, 504);
    const exact = await watchEvents(port, `${cms}?resourceVersion=${cp.store.resourceVersion()}&resourceVersionMatch=Exact`, () => false);
    assert.equal(exact.status, 200);
    assert.equal((JSON.parse(exact.body) as { items: KObject[] }).items.length, 3);
  });
});
