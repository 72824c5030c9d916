import assert from 'node:assert/strict';
import { formatEndpoints, nodeRoles, nodeStatus, podReady, podRestarts, servicePorts, sortEvents, type Endpoints, type Event, type Service } from '@kip/shared';
import { columnsFor } from '@kip/scripts';
import { ago, deployment, event, node, NOW, pod, running } from './fixtures.js';

describe('cli get columns', () => {
  describe('pods', () => {
    it('counts ready containers among all containers', () => {
      const p = pod('web', { containers: ['a', 'b'], statuses: [running('a'), running('b', false)] });
      assert.equal(podReady(p), '1/2');
    });

    it('shows restarts with how long ago the last one was', () => {
      const cs = running('web', true, 3);
      cs.lastState = { terminated: { exitCode: 1, finishedAt: ago(125_000) } };
      assert.equal(podRestarts(pod('web', { statuses: [cs] }), NOW), '3 (2m5s ago)');
      assert.equal(podRestarts(pod('web'), NOW), '0');
    });

    it('fills NAME-less columns and wide columns, with <none> for what is missing', () => {
      const cols = columnsFor('Pod');
      assert.deepEqual(cols.headers, ['READY', 'STATUS', 'RESTARTS', 'AGE']);
      assert.deepEqual(cols.wideHeaders, ['IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES']);
      const p = pod('web', { node: 'node-1', ip: '10.244.1.5', age: 65_000 });
      assert.deepEqual(cols.cells(p, NOW), ['1/1', 'Running', '0', '65s']);
      assert.deepEqual(cols.wideCells(p, NOW), ['10.244.1.5', 'node-1', '<none>', '<none>']);
      assert.deepEqual(cols.wideCells(pod('p', { phase: 'Pending', statuses: [] }), NOW).slice(0, 2), ['<none>', '<none>']);
    });

    it('shows a waiting reason and Terminating through the shared status rule', () => {
      const waiting = pod('w', { statuses: [{ ...running('web', false), state: { waiting: { reason: 'CrashLoopBackOff' } } }] });
      assert.equal(columnsFor('Pod').cells(waiting, NOW)[1], 'CrashLoopBackOff');
      assert.equal(columnsFor('Pod').cells(pod('t', { deleting: true }), NOW)[1], 'Terminating');
    });
  });

  describe('nodes', () => {
    const cases: [string, Parameters<typeof node>[1], string][] = [
      ['Ready', { ready: 'True' }, 'Ready'],
      ['NotReady when the condition is False', { ready: 'False' }, 'NotReady'],
      ['NotReady when the condition is Unknown', { ready: 'Unknown' }, 'NotReady'],
      ['Unknown without a Ready condition', { ready: 'none' }, 'Unknown'],
      ['SchedulingDisabled when cordoned', { unschedulable: true }, 'Ready,SchedulingDisabled'],
    ];
    for (const [name, opts, want] of cases) it(`status: ${name}`, () => assert.equal(nodeStatus(node('n', opts)), want));

    it('reads roles from node-role labels', () => {
      assert.equal(nodeRoles(node('n')), '<none>');
      assert.equal(nodeRoles(node('n', { labels: { 'node-role.kubernetes.io/worker': '', 'node-role.kubernetes.io/edge': 'true' } })), 'edge,worker');
    });

    it('shows the agent pid in the wide columns', () => {
      const cols = columnsFor('Node');
      assert.deepEqual(cols.cells(node('node-1'), NOW), ['Ready', '<none>', '3m2s', 'v0.1.0']);
      const wide = cols.wideCells(node('node-1', { pid: 31337 }), NOW);
      assert.equal(cols.wideHeaders.at(-1), 'AGENT-PID');
      assert.equal(wide.at(-1), '31337');
      assert.equal(wide[0], '127.0.0.1');
    });
  });

  it('deployments: ready of desired, up-to-date, available, and wide containers/images/selector', () => {
    const cols = columnsFor('Deployment');
    const d = deployment('web');
    assert.deepEqual(cols.cells(d, NOW), ['2/3', '3', '2', '60s']);
    assert.deepEqual(cols.wideCells(d, NOW), ['web', 'http-echo:2', 'app=web']);
  });

  it('services: ports with protocol and <none> for the external IP', () => {
    const svc: Service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', creationTimestamp: ago(1000) },
      spec: {
        type: 'ClusterIP',
        clusterIP: '10.96.0.10',
        ports: [
          { name: 'http', port: 80, protocol: 'TCP' },
          { name: 'admin', port: 9090 },
        ],
        selector: { app: 'web' },
      },
    };
    assert.equal(servicePorts(svc), '80/TCP,9090/TCP');
    assert.deepEqual(columnsFor('Service').cells(svc, NOW), ['ClusterIP', '10.96.0.10', '<none>', '80/TCP,9090/TCP', '1s']);
  });

  it('endpoints: up to three addresses, then how many more', () => {
    const ep: Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'web' },
      subsets: [{ addresses: ['10.244.1.2', '10.244.1.3', '10.244.2.2', '10.244.3.2'].map((ip) => ({ ip })), ports: [{ port: 8080 }] }],
    };
    assert.equal(formatEndpoints(ep), '10.244.1.2:8080,10.244.1.3:8080,10.244.2.2:8080 + 1 more...');
    assert.equal(formatEndpoints({ ...ep, subsets: [] }), '<none>');
  });

  it('events: no NAME column, the object as kind/name, oldest first', () => {
    const cols = columnsFor('Event');
    assert.equal(cols.nameColumn, false);
    assert.deepEqual(cols.headers, ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
    const late = event('Started', { kind: 'Pod', name: 'web-1' }, 5_000);
    const early = event('Scheduled', { kind: 'Pod', name: 'web-1' }, 50_000);
    const sorted: Event[] = sortEvents([late, early]);
    assert.deepEqual(
      sorted.map((e) => e.reason),
      ['Scheduled', 'Started'],
    );
    assert.deepEqual(cols.cells(early, NOW), ['50s', 'Normal', 'Scheduled', 'pod/web-1', 'Scheduled happened']);
  });

  it('events of the same second keep the order the store wrote them, whatever their names', () => {
    // Names carry a random suffix, so a list sorted by name mixes one second's events up.
    const [scheduled, pulled, created, started] = ['Scheduled', 'Pulled', 'Created', 'Started'].map((reason, i) => {
      const e = event(reason, { kind: 'Pod', name: 'web-1' }, 3_000);
      e.metadata.resourceVersion = String(100 + i);
      return e;
    });
    const sorted = sortEvents([started!, created!, scheduled!, pulled!]);
    assert.deepEqual(
      sorted.map((e) => e.reason),
      ['Scheduled', 'Pulled', 'Created', 'Started'],
    );
    const older = event('Killing', { kind: 'Pod', name: 'web-1' }, 60_000);
    older.metadata.resourceVersion = '500';
    assert.equal(sortEvents([scheduled!, older])[0], older, 'time still comes first');
  });

  it('kinds without columns of their own show NAME and AGE', () => {
    const cols = columnsFor('Widget');
    assert.deepEqual(cols.headers, ['AGE']);
  });
});

describe('namespace columns', function () {
  it('shows STATUS and AGE, as kubectl get ns does', function () {
    const ns = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'team-a', creationTimestamp: '2026-01-01T00:00:00Z' },
      status: { phase: 'Terminating' },
    };
    const cols = columnsFor('Namespace');
    assert.deepEqual(cols.headers, ['STATUS', 'AGE']);
    assert.deepEqual(cols.cells(ns as never, Date.parse('2026-01-01T00:00:05Z')), ['Terminating', '5s']);
  });
});
