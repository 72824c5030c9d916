// Server-side printing: Tables built from each kind's columns, the wide ones at priority 1, rows
// carrying metadata, the whole object or nothing, and the REST API answering a list, one object
// and a watch as Tables when the Accept header asks, as kubectl get does.

import assert from 'node:assert/strict';
import { KINDS, kindDefinition, type KObject, type Pod } from '@kip/shared';
import { columnDefinitions, parseIncludeObject, tableVersionAccepted, toTable, type Table } from '@kip/controlplane';
import { deployment, node, pod } from './fixtures.js';
import { isStatus, RestServer } from './rest-harness.js';

const KUBECTL_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const NOW = Date.parse('2026-01-01T00:10:00Z');

function runningPod(): Pod {
  const p = pod('web-1', { namespace: 'default', nodeName: 'node-1', labels: { app: 'web' } });
  p.metadata.creationTimestamp = '2026-01-01T00:00:00Z';
  p.metadata.resourceVersion = '7';
  p.status = {
    phase: 'Running',
    podIP: '10.244.1.5',
    containerStatuses: [{ name: 'main', ready: true, restartCount: 0, image: 'pause', imageID: '', state: { running: {} }, lastState: {} }],
  };
  return p;
}

describe('controlplane/api/table', function () {
  describe('tableVersionAccepted', function () {
    it('takes the first media type it can answer', function () {
      assert.equal(tableVersionAccepted(KUBECTL_ACCEPT), 'meta.k8s.io/v1');
      assert.equal(tableVersionAccepted('application/json;as=Table;g=meta.k8s.io;v=v1beta1, application/json'), 'meta.k8s.io/v1beta1');
      assert.equal(tableVersionAccepted('application/json'), undefined);
      assert.equal(tableVersionAccepted('application/json, application/json;as=Table;v=v1;g=meta.k8s.io'), undefined);
      assert.equal(tableVersionAccepted(undefined), undefined);
      // A Table of another group is not one the server prints; the plain JSON after it is.
      assert.equal(tableVersionAccepted('application/json;as=Table;v=v1;g=example.com,application/json'), undefined);
      // Protobuf first (typed clients) falls through to what follows.
      assert.equal(tableVersionAccepted('application/vnd.kubernetes.protobuf,application/json'), undefined);
    });
  });

  describe('columns', function () {
    it('pods: NAME READY STATUS RESTARTS AGE, then the wide ones at priority 1', function () {
      const cols = columnDefinitions(kindDefinition('Pod')!);
      assert.deepEqual(
        cols.map((c) => `${c.name}:${c.priority}`),
        ['NAME:0', 'READY:0', 'STATUS:0', 'RESTARTS:0', 'AGE:0', 'IP:1', 'NODE:1', 'NOMINATED NODE:1', 'READINESS GATES:1'],
      );
      assert.equal(cols[0]!.format, 'name');
      for (const c of cols) {
        assert.equal(c.type, 'string');
        assert.ok(c.description);
      }
    });

    it('nodes, deployments, services and events print the columns kubectl users know', function () {
      const names = (kind: string, priority = 0) =>
        columnDefinitions(kindDefinition(kind)!)
          .filter((c) => c.priority === priority)
          .map((c) => c.name);
      assert.deepEqual(names('Node'), ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION']);
      assert.equal(names('Node', 1)[0], 'INTERNAL-IP');
      assert.deepEqual(names('Deployment'), ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE']);
      assert.deepEqual(names('ReplicaSet'), ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE']);
      assert.deepEqual(names('Service'), ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
      assert.deepEqual(names('Endpoints'), ['NAME', 'ENDPOINTS', 'AGE']);
      assert.deepEqual(names('Namespace'), ['NAME', 'STATUS', 'AGE']);
      assert.deepEqual(names('Event'), ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
      assert.deepEqual(names('NodeChaos'), ['NAME', 'ACTION', 'MODE', 'DURATION', 'PHASE', 'RUNS', 'AGE']);
    });

    it('every kind served has a row as wide as its columns', function () {
      for (const def of KINDS) {
        const obj = { apiVersion: 'v1', kind: def.resource.kind, metadata: { name: 'x', creationTimestamp: '2026-01-01T00:00:00Z' } } as unknown as KObject;
        const t = toTable(def, [obj], {}, { apiVersion: 'meta.k8s.io/v1', includeObject: 'None', now: NOW });
        assert.ok(t.columnDefinitions.length >= 2, def.resource.kind);
        assert.equal(t.rows[0]!.cells.length, t.columnDefinitions.length, def.resource.kind);
      }
    });
  });

  describe('toTable', function () {
    it('fills the cells and carries PartialObjectMetadata by default', function () {
      const p = runningPod();
      const t = toTable(kindDefinition('Pod')!, [p], { resourceVersion: '9' }, { apiVersion: 'meta.k8s.io/v1', includeObject: 'Metadata', now: NOW });
      assert.equal(t.kind, 'Table');
      assert.equal(t.apiVersion, 'meta.k8s.io/v1');
      assert.equal(t.metadata.resourceVersion, '9');
      assert.deepEqual(t.rows[0]!.cells, ['web-1', '1/1', 'Running', '0', '10m', '10.244.1.5', 'node-1', '<none>', '<none>']);
      assert.deepEqual(t.rows[0]!.object, { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: p.metadata });
    });

    it('includeObject=Object carries the object, None nothing', function () {
      const p = runningPod();
      const def = kindDefinition('Pod')!;
      const opts = { apiVersion: 'meta.k8s.io/v1', now: NOW };
      assert.deepEqual(toTable(def, [p], {}, { ...opts, includeObject: 'Object' }).rows[0]!.object, p);
      assert.ok(!('object' in toTable(def, [p], {}, { ...opts, includeObject: 'None' }).rows[0]!));
      assert.equal(parseIncludeObject(null), 'Metadata');
      assert.equal(parseIncludeObject('Object'), 'Object');
      assert.throws(() => parseIncludeObject('All'), /includeObject: Unsupported value: "All"/);
    });

    it('noHeaders leaves the column definitions out', function () {
      const t = toTable(kindDefinition('Pod')!, [runningPod()], {}, { apiVersion: 'meta.k8s.io/v1', includeObject: 'None', now: NOW, noHeaders: true });
      assert.deepEqual(t.columnDefinitions, []);
      assert.equal(t.rows.length, 1);
    });
  });

  describe('REST', function () {
    this.timeout(10_000);
    let api: RestServer;
    beforeEach(async () => {
      api = await new RestServer().start();
    });
    afterEach(async () => {
      await api.stop();
    });

    it('answers a list, one object and a watch as Tables when asked, and plain objects otherwise', async () => {
      await api.call('POST', '/api/v1/nodes', node('node-1'));
      await api.call('POST', '/apis/apps/v1/namespaces/default/deployments', deployment('web'));
      const list = await api.call<Table>('GET', '/apis/apps/v1/namespaces/default/deployments', undefined, { Accept: KUBECTL_ACCEPT });
      assert.equal(list.status, 200);
      assert.equal(list.body.kind, 'Table');
      assert.ok(list.body.metadata.resourceVersion);
      assert.deepEqual(list.body.rows[0]!.cells.slice(0, 4), ['web', '0/2', '0', '0']);
      assert.equal((list.body.rows[0]!.object as KObject).kind, 'PartialObjectMetadata');

      const one = await api.call<Table>('GET', '/api/v1/nodes/node-1?includeObject=Object', undefined, { Accept: KUBECTL_ACCEPT });
      assert.equal(one.body.kind, 'Table');
      assert.equal(one.body.rows.length, 1);
      assert.equal((one.body.rows[0]!.object as KObject).kind, 'Node');

      const plain = await api.call('GET', '/api/v1/nodes', undefined, { Accept: 'application/json' });
      assert.equal(plain.body.kind, 'NodeList');
      const proto = await api.call('GET', '/api/v1/nodes', undefined, { Accept: 'application/vnd.kubernetes.protobuf' });
      assert.equal(proto.status, 200);
      assert.equal(proto.body.kind, 'NodeList');

      isStatus(await api.call('GET', '/api/v1/nodes?includeObject=Everything', undefined, { Accept: KUBECTL_ACCEPT }), 400, 'BadRequest', /includeObject/);
    });

    it('a watch as a Table sends one row per event, with the columns only in the first', async () => {
      const w = await api.watch('/api/v1/namespaces/default/pods?watch=true', { Accept: KUBECTL_ACCEPT });
      await api.call('POST', '/api/v1/namespaces/default/pods', pod('a'));
      await api.call('POST', '/api/v1/namespaces/default/pods', pod('b'));
      await w.waitForLines(2);
      const events = w.lines.map((l) => JSON.parse(l) as { type: string; object: Table });
      w.close();
      assert.deepEqual(
        events.map((e) => `${e.type} ${e.object.kind} ${e.object.rows[0]!.cells[0]}`),
        ['ADDED Table a', 'ADDED Table b'],
      );
      assert.equal(events[0]!.object.columnDefinitions[1]!.name, 'READY');
      assert.deepEqual(events[1]!.object.columnDefinitions, []);
      assert.ok(events[1]!.object.metadata.resourceVersion);
    });
  });
});
