import assert from 'node:assert/strict';
import {
  podDisplayStatus,
  podRequests,
  podRestarts,
  type ContainerState,
  type Pod,
  type PodCondition,
  type PodStatus,
  type ResourceRequirements,
} from '@kip/shared';

const Mi = 2 ** 20;

function podWith(resources: (ResourceRequirements | undefined)[]): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: { containers: resources.map((r, i) => ({ name: `c${i}`, image: 'pause', resources: r })) },
  };
}

/** A container status in a given state; `ready` only matters for running ones. */
function cs(state: ContainerState, ready = false, name = 'c') {
  return { name, state, lastState: {}, ready, restartCount: 0, image: 'pause', imageID: '' };
}

function pod(status: PodStatus | undefined, deleting = false): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:30Z' } : {}) },
    spec: { containers: [{ name: 'c', image: 'pause' }] },
    status,
  };
}

const readyCond: PodCondition[] = [{ type: 'Ready', status: 'True' }];
const notReadyCond: PodCondition[] = [{ type: 'Ready', status: 'False' }];

describe('shared/api/pod', () => {
  describe('podRequests', () => {
    const cases: { name: string; res: (ResourceRequirements | undefined)[]; want: { cpu: number; memory: number } }[] = [
      { name: 'a container without resources asks nothing', res: [undefined], want: { cpu: 0, memory: 0 } },
      { name: 'requests in millicores and bytes', res: [{ requests: { cpu: '250m', memory: '64Mi' } }], want: { cpu: 250, memory: 64 * Mi } },
      {
        name: 'containers add up',
        res: [{ requests: { cpu: '250m', memory: '64Mi' } }, { requests: { cpu: '1', memory: '1Gi' } }],
        want: { cpu: 1250, memory: 1088 * Mi },
      },
      { name: 'a limit alone is also the request', res: [{ limits: { cpu: '2', memory: '128Mi' } }], want: { cpu: 2000, memory: 128 * Mi } },
      {
        name: 'a request wins over its limit',
        res: [{ requests: { cpu: '100m' }, limits: { cpu: '2', memory: '128Mi' } }],
        want: { cpu: 100, memory: 128 * Mi },
      },
      { name: 'other resources are not counted', res: [{ requests: { 'ephemeral-storage': '1Gi' } }], want: { cpu: 0, memory: 0 } },
    ];
    for (const c of cases) it(c.name, () => assert.deepEqual(podRequests(podWith(c.res).spec), c.want));
  });

  describe('podDisplayStatus, the STATUS column of kubectl get pods', () => {
    const running = { running: { startedAt: '2026-01-01T00:00:00Z' } };
    const cases: { name: string; pod: Pod; want: string }[] = [
      { name: 'a pod without status is Pending', pod: pod(undefined), want: 'Pending' },
      { name: 'the phase, when nothing says more', pod: pod({ phase: 'Running', containerStatuses: [cs(running, true)] }), want: 'Running' },
      { name: 'a pod reason wins over the phase', pod: pod({ phase: 'Failed', reason: 'Evicted' }), want: 'Evicted' },
      {
        name: 'a pod held by its scheduling gates',
        pod: pod({ phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }),
        want: 'SchedulingGated',
      },
      {
        name: 'a waiting reason',
        pod: pod({ phase: 'Pending', containerStatuses: [cs({ waiting: { reason: 'ContainerCreating' } })] }),
        want: 'ContainerCreating',
      },
      { name: 'a crash loop', pod: pod({ phase: 'Running', containerStatuses: [cs({ waiting: { reason: 'CrashLoopBackOff' } })] }), want: 'CrashLoopBackOff' },
      { name: 'an unknown image', pod: pod({ phase: 'Pending', containerStatuses: [cs({ waiting: { reason: 'ErrImagePull' } })] }), want: 'ErrImagePull' },
      {
        name: 'a terminated reason',
        pod: pod({ phase: 'Failed', containerStatuses: [cs({ terminated: { exitCode: 137, reason: 'OOMKilled' } })] }),
        want: 'OOMKilled',
      },
      {
        name: 'a completed pod',
        pod: pod({ phase: 'Succeeded', containerStatuses: [cs({ terminated: { exitCode: 0, reason: 'Completed' } })] }),
        want: 'Completed',
      },
      {
        name: 'a signal without a reason',
        pod: pod({ phase: 'Failed', containerStatuses: [cs({ terminated: { exitCode: 137, signal: 9 } })] }),
        want: 'Signal:9',
      },
      { name: 'an exit code without a reason', pod: pod({ phase: 'Failed', containerStatuses: [cs({ terminated: { exitCode: 3 } })] }), want: 'ExitCode:3' },
      { name: 'a waiting reason that is empty says nothing', pod: pod({ phase: 'Pending', containerStatuses: [cs({ waiting: {} })] }), want: 'Pending' },
      {
        name: 'the first container wins, as kubectl walks them from the last',
        pod: pod({
          phase: 'Running',
          containerStatuses: [cs({ waiting: { reason: 'CrashLoopBackOff' } }, false, 'a'), cs({ terminated: { exitCode: 1, reason: 'Error' } }, false, 'b')],
        }),
        want: 'CrashLoopBackOff',
      },
      {
        name: 'Completed with a ready container still running is Running when the pod is Ready',
        pod: pod({
          phase: 'Running',
          conditions: readyCond,
          containerStatuses: [cs({ terminated: { exitCode: 0, reason: 'Completed' } }, false, 'a'), cs(running, true, 'b')],
        }),
        want: 'Running',
      },
      {
        name: 'Completed with a ready container still running is NotReady when the pod is not Ready',
        pod: pod({
          phase: 'Running',
          conditions: notReadyCond,
          containerStatuses: [cs({ terminated: { exitCode: 0, reason: 'Completed' } }, false, 'a'), cs(running, true, 'b')],
        }),
        want: 'NotReady',
      },
      {
        name: 'Completed with a running but unready container stays Completed',
        pod: pod({ phase: 'Running', containerStatuses: [cs({ terminated: { exitCode: 0, reason: 'Completed' } }, false, 'a'), cs(running, false, 'b')] }),
        want: 'Completed',
      },
      { name: 'a running pod being deleted is Terminating', pod: pod({ phase: 'Running', containerStatuses: [cs(running, true)] }, true), want: 'Terminating' },
      { name: 'a pending pod being deleted is Terminating', pod: pod({ phase: 'Pending' }, true), want: 'Terminating' },
      { name: 'a pod on a lost node being deleted is Unknown', pod: pod({ phase: 'Running', reason: 'NodeLost' }, true), want: 'Unknown' },
      {
        name: 'a finished pod being deleted keeps its status (kubectl 1.27+)',
        pod: pod({ phase: 'Succeeded', containerStatuses: [cs({ terminated: { exitCode: 0, reason: 'Completed' } })] }, true),
        want: 'Completed',
      },
      {
        name: 'a failed pod being deleted keeps its status',
        pod: pod({ phase: 'Failed', containerStatuses: [cs({ terminated: { exitCode: 1, reason: 'Error' } })] }, true),
        want: 'Error',
      },
    ];
    for (const c of cases) it(`${c.name}: ${c.want}`, () => assert.equal(podDisplayStatus(c.pod), c.want));
  });
});

describe('pods with init containers', () => {
  function initPod(inits: ContainerState[], restartCount = 0): Pod {
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { initContainers: inits.map((_, i) => ({ name: `i${i}`, image: 'pause' })), containers: [{ name: 'c', image: 'pause' }] },
      status: {
        phase: 'Pending',
        initContainerStatuses: inits.map((state, i) => ({ ...cs(state, false, `i${i}`), restartCount })),
        containerStatuses: [cs({ waiting: { reason: 'PodInitializing' } })],
      },
    };
  }
  const done: ContainerState = { terminated: { exitCode: 0, reason: 'Completed' } };

  it('counts a started sidecar as initialized, as kubectl does', () => {
    const p = initPod([{ running: { startedAt: '2026-01-01T00:00:00Z' } }, { waiting: { reason: 'PodInitializing' } }]);
    p.spec.initContainers![0]!.restartPolicy = 'Always';
    p.status!.initContainerStatuses![0]!.started = true;
    assert.equal(podDisplayStatus(p), 'Init:1/2');
    p.status!.initContainerStatuses![0]!.started = false;
    assert.equal(podDisplayStatus(p), 'Init:0/2');
    // A Job's pod whose sidecar was stopped at its end shows its container, once Initialized.
    p.status = {
      phase: 'Succeeded',
      conditions: [{ type: 'Initialized', status: 'True' }],
      initContainerStatuses: [
        cs({ terminated: { exitCode: 143, reason: 'Error' } }, false, 'i0'),
        cs({ terminated: { exitCode: 0, reason: 'Completed' } }, false, 'i1'),
      ],
      containerStatuses: [cs({ terminated: { exitCode: 0, reason: 'Completed' } })],
    };
    assert.equal(podDisplayStatus(p), 'Completed');
  });

  it('shows Init:N/M, Init:<reason> and then the containers, as kubectl does', () => {
    assert.equal(podDisplayStatus(initPod([{ waiting: { reason: 'PodInitializing' } }, { waiting: { reason: 'PodInitializing' } }])), 'Init:0/2');
    assert.equal(podDisplayStatus(initPod([done, { running: {} }])), 'Init:1/2');
    assert.equal(podDisplayStatus(initPod([done, { terminated: { exitCode: 1, reason: 'Error' } }])), 'Init:Error');
    assert.equal(podDisplayStatus(initPod([{ waiting: { reason: 'CrashLoopBackOff' } }, { waiting: {} }])), 'Init:CrashLoopBackOff');
    assert.equal(podDisplayStatus(initPod([{ terminated: { exitCode: 2 } }])), 'Init:ExitCode:2');
    assert.equal(podDisplayStatus(initPod([done, done])), 'PodInitializing');
  });

  it('counts init container restarts, and requests the most of one init container or all containers', () => {
    assert.equal(podRestarts(initPod([{ running: {} }], 3), Date.now()), '3');
    const p = podWith([{ requests: { cpu: '100m', memory: '64Mi' } }]);
    p.spec.initContainers = [{ name: 'big', image: 'pause', resources: { requests: { cpu: '500m', memory: '32Mi' } } }];
    assert.deepEqual(podRequests(p.spec), { cpu: 500, memory: 64 * Mi });
  });
});
