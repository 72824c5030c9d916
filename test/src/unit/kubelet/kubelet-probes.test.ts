// Liveness, readiness and startup probes (exec, httpGet, tcpSocket) against real processes.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Probe } from '@kip/shared';
import { Harness, makePod } from './harness.js';

function probe(p: Partial<Probe>): Probe {
  return { initialDelaySeconds: 0, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 1, ...p };
}

const readyCondition = (s: { conditions?: { type: string; status: string }[] }) => s.conditions?.find((c) => c.type === 'Ready')?.status;

describe('kubelet: probes', function () {
  this.timeout(30_000);
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('restarts a container whose liveness probe fails, with Unhealthy and Killing events', async () => {
    const pod = makePod(
      'live-1',
      [
        {
          name: 'c',
          command: ['sh', '-c', 'touch healthy; sleep 0.5; rm -f healthy; exec sleep 1000'],
          livenessProbe: probe({ exec: { command: ['test', '-f', 'healthy'] } }),
        },
      ],
      { terminationGracePeriodSeconds: 1 },
    );
    h.kubelet.sync([pod]);
    const st = await h.waitStatus(pod, 'restarted', (s) => (s.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 20_000);
    assert.equal(st.containerStatuses![0]!.lastState.terminated?.exitCode, 143, 'ended by SIGTERM');
    const unhealthy = await h.waitEvent(pod, 'Unhealthy', /^Liveness probe failed: /);
    assert.equal(unhealthy.type, 'Warning');
    await h.waitEvent(pod, 'Killing', /^Container c failed liveness probe, will be restarted$/);
  });

  it('readiness gates the container ready flag and the pod Ready condition', async () => {
    const pod = makePod('ready-1', [{ name: 'c', image: 'pause', readinessProbe: probe({ exec: { command: ['test', '-f', 'ready'] } }) }]);
    h.kubelet.sync([pod]);
    let st = await h.waitStatus(pod, 'running', (s) => !!s.containerStatuses?.[0]?.state.running);
    await h.waitEvent(pod, 'Unhealthy', /^Readiness probe failed/);
    st = h.status(pod)!;
    assert.equal(st.phase, 'Running');
    assert.equal(readyCondition(st), 'False');
    assert.equal(st.containerStatuses![0]!.ready, false);
    fs.writeFileSync(`${h.podDir(pod)}/ready`, '');
    st = await h.waitStatus(pod, 'Ready', (s) => readyCondition(s) === 'True');
    assert.equal(st.containerStatuses![0]!.ready, true);
    assert.equal(st.conditions?.find((c) => c.type === 'ContainersReady')?.status, 'True');
    fs.rmSync(`${h.podDir(pod)}/ready`);
    st = await h.waitStatus(pod, 'not Ready again', (s) => readyCondition(s) === 'False');
    assert.equal(st.containerStatuses![0]!.restartCount, 0, 'readiness failures do not restart');
  });

  it('httpGet probes dial the host port behind a named port; tcpSocket reports a refused connection', async () => {
    const pod = makePod('http-probe', [
      {
        name: 'web',
        image: 'http-echo',
        ports: [{ name: 'http', containerPort: 8080 }],
        readinessProbe: probe({ httpGet: { port: 'http', path: '/health' } }),
      },
      { name: 'side', image: 'pause', ports: [{ containerPort: 9999 }], readinessProbe: probe({ tcpSocket: { port: 9999 } }) },
    ]);
    h.kubelet.sync([pod]);
    await h.waitStatus(pod, 'web ready', (s) => s.containerStatuses?.find((c) => c.name === 'web')?.ready === true);
    const ev = await h.waitEvent(pod, 'Unhealthy', /^Readiness probe failed: dial tcp 127\.0\.0\.1:\d+: connect: connection refused$/);
    assert.equal(ev.involvedObject.fieldPath, 'spec.containers{side}');
    assert.equal(readyCondition(h.status(pod)!), 'False');
    assert.equal(h.status(pod)!.conditions?.find((c) => c.type === 'Ready')?.message, 'containers with unready status: [side]');
  });

  it('a startup probe holds back liveness and readiness until it succeeds', async () => {
    const pod = makePod('startup-1', [
      {
        name: 'c',
        image: 'pause',
        startupProbe: probe({ exec: { command: ['test', '-f', 'started'] }, failureThreshold: 30 }),
        livenessProbe: probe({ exec: { command: ['test', '-f', 'started'] } }),
      },
    ]);
    h.kubelet.sync([pod]);
    await h.waitEvent(pod, 'Unhealthy', /^Startup probe failed/);
    let st = h.status(pod)!;
    assert.equal(st.containerStatuses![0]!.started, false);
    assert.equal(st.containerStatuses![0]!.ready, false);
    assert.ok(!h.podEvents(pod).some((e) => /^Liveness/.test(e.message)), 'liveness does not run before startup succeeds');
    fs.writeFileSync(`${h.podDir(pod)}/started`, '');
    st = await h.waitStatus(pod, 'started and ready', (s) => s.containerStatuses?.[0]?.started === true && s.containerStatuses[0].ready);
    assert.equal(st.containerStatuses![0]!.restartCount, 0);
  });
});
