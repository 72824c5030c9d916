// `kip describe` of a DaemonSet and a PodDisruptionBudget, laid out as kubectl's describers do.

import assert from 'node:assert/strict';
import type { DaemonSet, Pod, PodDisruptionBudget } from '@kip/shared';
import { describeText } from '@kip/scripts';
import { NOW, pod } from './fixtures.js';

const env = { now: NOW, offsetMinutes: 0 };

describe('cli describe: daemonset and poddisruptionbudget', () => {
  it('describes a DaemonSet: node counts, pod phases of its own pods, the template', () => {
    const ds: DaemonSet = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', namespace: 'default', uid: 'ds-uid', creationTimestamp: new Date(NOW - 60_000).toISOString() },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: { metadata: { labels: { app: 'agent' } }, spec: { nodeSelector: { disk: 'ssd' }, containers: [{ name: 'main', image: 'pause' }] } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      },
      status: { desiredNumberScheduled: 3, currentNumberScheduled: 2, numberReady: 1, updatedNumberScheduled: 2, numberAvailable: 1, numberMisscheduled: 1 },
    };
    const mine = (name: string, phase: 'Running' | 'Pending'): Pod => {
      const p = pod(name, { node: 'node-1' });
      p.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds-uid', controller: true }];
      p.status = { ...p.status, phase };
      return p;
    };
    const text = describeText(ds, { events: [], objects: { pods: [mine('agent-a', 'Running'), mine('agent-b', 'Pending'), pod('stranger', {})] } }, env);
    for (const line of [
      /^Name:\s+agent$/m,
      /^Selector:\s+app=agent$/m,
      /^Node-Selector:\s+disk=ssd$/m,
      /^Desired Number of Nodes Scheduled:\s+3$/m,
      /^Current Number of Nodes Scheduled:\s+2$/m,
      /^Number of Nodes Scheduled with Up-to-date Pods:\s+2$/m,
      /^Number of Nodes Scheduled with Available Pods:\s+1$/m,
      /^Number of Nodes Misscheduled:\s+1$/m,
      /^Pods Status:\s+1 Running \/ 1 Waiting \/ 0 Succeeded \/ 0 Failed$/m,
      /^Pod Template:$/m,
      /^Events:\s+<none>$/m,
    ])
      assert.match(text, line);
  });

  it('describes a PodDisruptionBudget: its bound, selector and status', () => {
    const pdb: PodDisruptionBudget = {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'web', namespace: 'default' },
      spec: { minAvailable: '50%', selector: { matchLabels: { app: 'web' } } },
      status: { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3 },
    };
    const text = describeText(pdb, { events: [] }, env);
    assert.match(text, /^Min available:\s+50%$/m);
    assert.match(text, /^Selector:\s+app=web$/m);
    assert.match(text, /^Status:\n\s+Allowed disruptions:\s+1\n\s+Current:\s+3\n\s+Desired:\s+2\n\s+Total:\s+3\n/m);
  });
});
