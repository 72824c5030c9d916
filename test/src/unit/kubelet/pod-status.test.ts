import assert from 'node:assert/strict';
import type { ContainerState, ContainerStatus, Pod, PodSpec } from '@kip/shared';
import { jsonEqual } from '@kip/shared';
import { computePodStatus, podPhase, qosClass } from '@kip/agent';

const running: ContainerState = { running: { startedAt: '2026-01-01T00:00:00Z' } };
const exited = (exitCode: number): ContainerState => ({ terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' } });
const waiting = (reason: string): ContainerState => ({ waiting: { reason } });

function cs(name: string, state: ContainerState, lastState: ContainerState = {}, ready = !!state.running): ContainerStatus {
  return { name, state, lastState, ready, restartCount: 0, image: 'pause', imageID: 'kip://pause', started: !!state.running };
}

function spec(policy: PodSpec['restartPolicy'], names = ['a', 'b']): PodSpec {
  return { restartPolicy: policy, containers: names.map((name) => ({ name, image: 'pause' })) };
}

describe('kubelet pod status', () => {
  it('computes the phase as the kubelet does', () => {
    const table: [string, PodSpec, ContainerStatus[], boolean, string][] = [
      ['all creating', spec('Always'), [cs('a', waiting('ContainerCreating')), cs('b', waiting('ContainerCreating'))], false, 'Pending'],
      ['one image pull error', spec('Always'), [cs('a', running), cs('b', waiting('ErrImagePull'))], false, 'Pending'],
      ['all running', spec('Always'), [cs('a', running), cs('b', running)], false, 'Running'],
      ['crash loop counts as stopped', spec('Always'), [cs('a', waiting('CrashLoopBackOff'), exited(1)), cs('b', running)], false, 'Running'],
      ['Always, all exited', spec('Always'), [cs('a', exited(0)), cs('b', exited(1))], false, 'Running'],
      ['Never, all exited 0', spec('Never'), [cs('a', exited(0)), cs('b', exited(0))], false, 'Succeeded'],
      ['Never, one failed', spec('Never'), [cs('a', exited(0)), cs('b', exited(2))], false, 'Failed'],
      ['OnFailure, all exited 0', spec('OnFailure'), [cs('a', exited(0)), cs('b', exited(0))], false, 'Succeeded'],
      ['OnFailure, one failed (restarting)', spec('OnFailure'), [cs('a', exited(0)), cs('b', exited(1))], false, 'Running'],
      ['deleted, all exited 0', spec('Always'), [cs('a', exited(0)), cs('b', exited(0))], true, 'Succeeded'],
      ['deleted, killed', spec('Always'), [cs('a', exited(143)), cs('b', exited(0))], true, 'Failed'],
      ['deleted, one still stopping', spec('Always'), [cs('a', running), cs('b', exited(0))], true, 'Running'],
      ['missing status', spec('Always'), [cs('a', running)], false, 'Running'],
      ['missing status, rest exited', spec('Never'), [cs('a', exited(0))], false, 'Pending'],
    ];
    for (const [name, s, statuses, terminal, want] of table) assert.equal(podPhase(s, statuses, terminal), want, name);
  });

  it('computes the QoS class', () => {
    const c = (resources?: { requests?: Record<string, string>; limits?: Record<string, string> }) => ({
      name: 'c',
      image: 'pause',
      ...(resources ? { resources } : {}),
    });
    assert.equal(qosClass({ containers: [c()] }), 'BestEffort');
    assert.equal(qosClass({ containers: [c({ limits: { cpu: '1', memory: '1Gi' } })] }), 'Guaranteed');
    assert.equal(qosClass({ containers: [c({ requests: { cpu: '1000m', memory: '1Gi' }, limits: { cpu: '1', memory: '1024Mi' } })] }), 'Guaranteed');
    assert.equal(qosClass({ containers: [c({ requests: { cpu: '500m' }, limits: { cpu: '1', memory: '1Gi' } })] }), 'Burstable');
    assert.equal(qosClass({ containers: [c({ limits: { cpu: '1', memory: '1Gi' } }), c()] }), 'Burstable');
    assert.equal(qosClass({ containers: [c({ requests: { memory: '10Mi' } })] }), 'Burstable');
  });

  const pod: Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'u' },
    spec: spec('Always'),
    status: { conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
  };

  it('builds conditions, addresses and host ports, keeping transition times while unchanged', () => {
    const first = computePodStatus({
      pod,
      containerStatuses: [cs('a', running), cs('b', running, {}, false)],
      podIP: '10.244.1.5',
      hostIP: '127.0.0.1',
      startTime: '2026-01-01T00:00:01Z',
      hostPorts: { 'a/80': 40000 },
      terminal: false,
      now: '2026-01-01T00:00:02Z',
    });
    assert.equal(first.phase, 'Running');
    assert.deepEqual(first.conditions, [
      { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:02Z' },
      {
        type: 'Ready',
        status: 'False',
        reason: 'ContainersNotReady',
        message: 'containers with unready status: [b]',
        lastProbeTime: null,
        lastTransitionTime: '2026-01-01T00:00:02Z',
      },
      {
        type: 'ContainersReady',
        status: 'False',
        reason: 'ContainersNotReady',
        message: 'containers with unready status: [b]',
        lastProbeTime: null,
        lastTransitionTime: '2026-01-01T00:00:02Z',
      },
      { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' },
    ]);
    assert.equal(first.podIP, '10.244.1.5');
    assert.deepEqual(first.podIPs, [{ ip: '10.244.1.5' }]);
    assert.equal(first.hostIP, '127.0.0.1');
    assert.deepEqual(first.kipHostPorts, { 'a/80': 40000 });
    assert.equal(first.qosClass, 'BestEffort');

    const same = computePodStatus({
      pod,
      containerStatuses: [cs('a', running), cs('b', running, {}, false)],
      podIP: '10.244.1.5',
      hostIP: '127.0.0.1',
      startTime: '2026-01-01T00:00:01Z',
      hostPorts: { 'a/80': 40000 },
      terminal: false,
      previous: first,
      now: '2026-01-01T00:00:09Z',
    });
    assert.ok(jsonEqual(first, same), 'nothing changed, so nothing is reported');

    const ready = computePodStatus({
      pod,
      containerStatuses: [cs('a', running), cs('b', running)],
      podIP: '10.244.1.5',
      hostIP: '127.0.0.1',
      terminal: false,
      previous: first,
      now: '2026-01-01T00:00:09Z',
    });
    const readyCond = ready.conditions!.find((c) => c.type === 'Ready')!;
    assert.equal(readyCond.status, 'True');
    assert.equal(readyCond.lastTransitionTime, '2026-01-01T00:00:09Z');
    assert.equal(ready.conditions!.find((c) => c.type === 'Initialized')!.lastTransitionTime, '2026-01-01T00:00:02Z');
  });

  it('says PodCompleted for a finished pod and carries a pod-level reason', () => {
    const done = computePodStatus({
      pod: { ...pod, spec: spec('Never') },
      containerStatuses: [cs('a', exited(0)), cs('b', exited(0))],
      hostIP: '127.0.0.1',
      terminal: false,
      now: 'T',
    });
    assert.equal(done.phase, 'Succeeded');
    assert.equal(done.conditions!.find((c) => c.type === 'Ready')!.reason, 'PodCompleted');
    const shut = computePodStatus({
      pod,
      containerStatuses: [cs('a', exited(143)), cs('b', exited(0))],
      hostIP: '127.0.0.1',
      terminal: true,
      reason: 'Terminated',
      message: 'Pod was terminated in response to imminent node shutdown.',
      now: 'T',
    });
    assert.equal(shut.phase, 'Failed');
    assert.equal(shut.reason, 'Terminated');
    assert.equal(shut.podIP, undefined);
  });

  it('an evicted pod is Failed with the reason Evicted while its containers still run', () => {
    const evicted = computePodStatus({
      pod,
      containerStatuses: [cs('a', running), cs('b', running)],
      hostIP: '127.0.0.1',
      terminal: false,
      phase: 'Failed',
      reason: 'Evicted',
      message: 'Usage of EmptyDir volume "cache" exceeds the limit "1Mi". ',
      now: 'T',
    });
    assert.equal(evicted.phase, 'Failed');
    assert.equal(evicted.reason, 'Evicted');
    assert.equal(evicted.conditions!.find((c) => c.type === 'Ready')!.reason, 'PodCompleted');
  });

  it('compares plain JSON structurally', () => {
    assert.ok(jsonEqual({ a: [1, { b: 2 }], c: undefined }, { a: [1, { b: 2 }] }));
    assert.ok(!jsonEqual({ a: [1, 2] }, { a: [2, 1] }));
    assert.ok(!jsonEqual({ a: null }, { a: {} }));
    assert.ok(!jsonEqual([1], { 0: 1 }));
  });

  it('counts a sidecar as initialized once started, and never as a failed init container', () => {
    const withSidecar = (policy: PodSpec['restartPolicy']): PodSpec => ({
      ...spec(policy, ['a']),
      initContainers: [{ name: 'side', image: 'pause', restartPolicy: 'Always' }],
    });
    const app = [cs('a', waiting('PodInitializing'))];
    assert.equal(podPhase(withSidecar('Always'), app, false, [cs('side', waiting('ContainerCreating'))]), 'Pending');
    assert.equal(podPhase(withSidecar('Always'), [cs('a', running)], false, [cs('side', running)]), 'Running');
    // Stopped once the Job's container is done: the pod succeeds all the same.
    assert.equal(podPhase(withSidecar('Never'), [cs('a', exited(0))], false, [cs('side', exited(143))]), 'Succeeded');
  });

  it('keeps a pod Pending while init containers run, Failed when one fails under Never, and says which are incomplete', () => {
    const withInit = (policy: PodSpec['restartPolicy']): PodSpec => ({
      ...spec(policy, ['a']),
      initContainers: [
        { name: 'i0', image: 'pause' },
        { name: 'i1', image: 'pause' },
      ],
    });
    const app = [cs('a', waiting('PodInitializing'))];
    assert.equal(podPhase(withInit('Always'), app, false, [cs('i0', exited(0)), cs('i1', running)]), 'Pending');
    assert.equal(podPhase(withInit('Always'), app, false, [cs('i0', waiting('CrashLoopBackOff'), exited(1))]), 'Pending');
    assert.equal(podPhase(withInit('Never'), app, false, [cs('i0', exited(1)), cs('i1', waiting('PodInitializing'))]), 'Failed');
    assert.equal(podPhase(withInit('Always'), [cs('a', running)], false, [cs('i0', exited(0)), cs('i1', exited(0))]), 'Running');
    const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: withInit('Always') };
    const st = computePodStatus({
      pod,
      containerStatuses: app,
      initContainerStatuses: [cs('i0', exited(0)), cs('i1', running)],
      hostIP: '127.0.0.1',
      terminal: false,
      now: '2026-01-01T00:00:00Z',
    });
    assert.deepEqual(st.conditions?.[0] && { ...st.conditions[0], lastTransitionTime: undefined }, {
      type: 'Initialized',
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: 'containers with incomplete status: [i1]',
      lastProbeTime: null,
      lastTransitionTime: undefined,
    });
    assert.equal(st.initContainerStatuses?.length, 2);
  });
});
