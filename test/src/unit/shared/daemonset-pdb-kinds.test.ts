// The DaemonSet and PodDisruptionBudget kinds: their field errors in Kubernetes' words, their
// defaults, and the table columns kubectl prints for them.

import assert from 'node:assert/strict';
import { applyDefaults, kindDefinition, validateObject, type DaemonSet, type KObject, type PodDisruptionBudget } from '@kip/shared';

function daemonSet(spec: Record<string, unknown> = {}): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'main', image: 'pause' }] } },
      ...spec,
    },
  } as DaemonSet;
}

function pdb(spec: Record<string, unknown>): PodDisruptionBudget {
  return { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: 'default' }, spec } as PodDisruptionBudget;
}

describe('kinds/daemonset and kinds/pdb', () => {
  it('accepts the docs’ fluentd-style DaemonSet and defaults its update strategy as Kubernetes does', () => {
    const ds = daemonSet();
    assert.deepEqual(validateObject(ds), []);
    applyDefaults(ds as unknown as KObject, true);
    assert.deepEqual(ds.spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    assert.equal(ds.spec.revisionHistoryLimit, 10);
  });

  const invalidDaemonSets: [string, Record<string, unknown>, { field: string; message: string }[]][] = [
    [
      'maxUnavailable and maxSurge both 0',
      { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0 } } },
      [{ field: 'spec.updateStrategy.rollingUpdate.maxUnavailable', message: 'Invalid value: 0: may not be 0 when `maxSurge` is 0' }],
    ],
    [
      'a percentage over 100%',
      { updateStrategy: { rollingUpdate: { maxUnavailable: '150%' } } },
      [{ field: 'spec.updateStrategy.rollingUpdate.maxUnavailable', message: 'Invalid value: "150%": must not be greater than 100%' }],
    ],
    [
      'rollingUpdate with OnDelete',
      { updateStrategy: { type: 'OnDelete', rollingUpdate: { maxUnavailable: 1 } } },
      [{ field: 'spec.updateStrategy.rollingUpdate', message: "Forbidden: may not be specified when strategy `type` is 'OnDelete'" }],
    ],
    [
      'an unknown strategy',
      { updateStrategy: { type: 'Recreate' } },
      [{ field: 'spec.updateStrategy.type', message: 'Unsupported value: "Recreate": supported values: "RollingUpdate", "OnDelete"' }],
    ],
  ];
  for (const [name, spec, want] of invalidDaemonSets) it(`refuses a DaemonSet: ${name}`, () => assert.deepEqual(validateObject(daemonSet(spec)), want));

  it('refuses a DaemonSet whose selector does not select its template', () => {
    assert.deepEqual(validateObject(daemonSet({ selector: { matchLabels: { app: 'other' } } })), [
      { field: 'spec.template.metadata.labels', message: '`selector` does not match template `labels`' },
    ]);
  });

  it('refuses a change of a DaemonSet’s selector: it is immutable in apps/v1', () => {
    const def = kindDefinition('DaemonSet')!;
    const old = daemonSet();
    const next = daemonSet({ selector: { matchLabels: { app: 'agent', tier: 'x' } } });
    assert.deepEqual(def.validateUpdate!(next as unknown as KObject, old as unknown as KObject), [
      { field: 'spec.selector', message: 'Invalid value: {"matchLabels":{"app":"agent","tier":"x"}}: field is immutable' },
    ]);
    assert.deepEqual(def.validateUpdate!(daemonSet({ minReadySeconds: 5 }) as unknown as KObject, old as unknown as KObject), []);
  });

  it('refuses a budget with both minAvailable and maxUnavailable, or a bad amount', () => {
    assert.deepEqual(validateObject(pdb({ minAvailable: 1, maxUnavailable: 1 })), [
      { field: 'spec', message: 'Invalid value: minAvailable and maxUnavailable cannot be both set' },
    ]);
    assert.deepEqual(validateObject(pdb({ minAvailable: '120%' })), [
      { field: 'spec.minAvailable', message: 'Invalid value: "120%": must not be greater than 100%' },
    ]);
    assert.deepEqual(validateObject(pdb({ maxUnavailable: -1 })), [
      { field: 'spec.maxUnavailable', message: 'Invalid value: -1: must be a non-negative integer or a percentage such as "25%"' },
    ]);
    assert.deepEqual(validateObject(pdb({ minAvailable: '50%', selector: { matchLabels: { app: 'web' } } })), []);
  });

  it('prints kubectl’s columns', () => {
    const ds = daemonSet({
      template: { metadata: { labels: { app: 'agent' } }, spec: { nodeSelector: { disk: 'ssd', a: 'b' }, containers: [{ name: 'main', image: 'pause' }] } },
    });
    ds.status = { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 1, numberAvailable: 2, numberMisscheduled: 0 };
    const dsCols = kindDefinition('DaemonSet')!.columns!;
    assert.deepEqual(dsCols.headers, ['DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE']);
    assert.deepEqual(dsCols.cells(ds as unknown as KObject, 0).slice(0, 6), ['3', '3', '2', '1', '2', 'a=b,disk=ssd']);
    const budget = pdb({ maxUnavailable: '10%' });
    budget.status = { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3 };
    const pdbCols = kindDefinition('PodDisruptionBudget')!.columns!;
    assert.deepEqual(pdbCols.headers, ['MIN AVAILABLE', 'MAX UNAVAILABLE', 'ALLOWED DISRUPTIONS', 'AGE']);
    assert.deepEqual(pdbCols.cells(budget as unknown as KObject, 0).slice(0, 3), ['N/A', '10%', '1']);
  });
});
