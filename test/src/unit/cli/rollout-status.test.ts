// kubectl's rollout status viewers for Deployments and DaemonSets: each state of the status and
// the message kubectl prints for it.

import assert from 'node:assert/strict';
import type { DaemonSet, Deployment } from '@kip/shared';
import { daemonSetRolloutStatus, deploymentRolloutStatus, RolloutStatusError } from '@kip/scripts';

function ds(generation: number, status: Partial<NonNullable<DaemonSet['status']>>, type: 'RollingUpdate' | 'OnDelete' = 'RollingUpdate'): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', generation },
    spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [] } }, updateStrategy: { type } },
    status: { currentNumberScheduled: 3, numberMisscheduled: 0, desiredNumberScheduled: 3, numberReady: 3, ...status },
  } as DaemonSet;
}

function deploy(generation: number, status: NonNullable<Deployment['status']>): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', generation },
    spec: { replicas: 3, selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [] } } },
    status,
  } as Deployment;
}

describe('cli/rollout-status', () => {
  const daemonCases: [string, DaemonSet, string, boolean][] = [
    ['spec not yet observed', ds(2, { observedGeneration: 1 }), 'Waiting for daemon set spec update to be observed...\n', false],
    [
      'pods still to update',
      ds(2, { observedGeneration: 2, updatedNumberScheduled: 1, numberAvailable: 3 }),
      'Waiting for daemon set "agent" rollout to finish: 1 out of 3 new pods have been updated...\n',
      false,
    ],
    [
      'updated, not all available',
      ds(2, { observedGeneration: 2, updatedNumberScheduled: 3, numberAvailable: 2 }),
      'Waiting for daemon set "agent" rollout to finish: 2 of 3 updated pods are available...\n',
      false,
    ],
    ['done', ds(2, { observedGeneration: 2, updatedNumberScheduled: 3, numberAvailable: 3 }), 'daemon set "agent" successfully rolled out\n', true],
  ];
  for (const [name, obj, message, done] of daemonCases) it(`daemon set: ${name}`, () => assert.deepEqual(daemonSetRolloutStatus(obj), { message, done }));

  it('daemon set: OnDelete has no rollout to follow', () => {
    assert.throws(() => daemonSetRolloutStatus(ds(1, {}, 'OnDelete')), RolloutStatusError);
  });

  it('deployment: each state in kubectl’s words', () => {
    assert.equal(deploymentRolloutStatus(deploy(2, { observedGeneration: 1 })).message, 'Waiting for deployment spec update to be observed...\n');
    assert.equal(
      deploymentRolloutStatus(deploy(2, { observedGeneration: 2, updatedReplicas: 1, replicas: 4 })).message,
      'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...\n',
    );
    assert.equal(
      deploymentRolloutStatus(deploy(2, { observedGeneration: 2, updatedReplicas: 3, replicas: 4 })).message,
      'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...\n',
    );
    assert.deepEqual(deploymentRolloutStatus(deploy(2, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 3 })), {
      message: 'deployment "web" successfully rolled out\n',
      done: true,
    });
    assert.throws(
      () =>
        deploymentRolloutStatus(
          deploy(1, { observedGeneration: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }),
        ),
      /exceeded its progress deadline/,
    );
  });
});
