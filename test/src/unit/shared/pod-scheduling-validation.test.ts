import assert from 'node:assert/strict';
import { validateObject } from '@kip/shared';
import { goodPod, setPath } from './fixtures.js';

type Obj = Record<string, unknown>;

/** The errors of goodPod() with spec fields set, as [field, message]. */
function errorsWith(set: Record<string, unknown>): [string, string][] {
  const obj = goodPod() as Obj;
  for (const [path, value] of Object.entries(set)) setPath(obj, path, value);
  return validateObject(obj).map((e) => [e.field, e.message]);
}

const TSC = 'spec.topologySpreadConstraints';
const ANTI = 'spec.affinity.podAntiAffinity';

describe('pod spec: inter-pod affinity, topology spread and preemption policy', () => {
  it('accepts the documentation’s examples', () => {
    assert.deepEqual(
      errorsWith({
        'spec.topologySpreadConstraints': [
          {
            maxSkew: 1,
            topologyKey: 'topology.kubernetes.io/zone',
            whenUnsatisfiable: 'DoNotSchedule',
            labelSelector: { matchLabels: { app: 'web' } },
            minDomains: 2,
          },
          {
            maxSkew: 2,
            topologyKey: 'kubernetes.io/hostname',
            whenUnsatisfiable: 'ScheduleAnyway',
            matchLabelKeys: ['pod-template-hash'],
            labelSelector: { matchLabels: { app: 'web' } },
          },
        ],
        'spec.affinity.podAffinity': {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchExpressions: [{ key: 'security', operator: 'In', values: ['S1'] }] }, topologyKey: 'topology.kubernetes.io/zone' },
          ],
        },
        'spec.affinity.podAntiAffinity': {
          preferredDuringSchedulingIgnoredDuringExecution: [
            {
              weight: 100,
              podAffinityTerm: { labelSelector: { matchLabels: { security: 'S2' } }, topologyKey: 'topology.kubernetes.io/zone', namespaceSelector: {} },
            },
          ],
        },
        'spec.preemptionPolicy': 'Never',
      }),
      [],
    );
  });

  const cases: { name: string; set: Record<string, unknown>; want: [string, RegExp][] }[] = [
    {
      name: 'maxSkew must be positive',
      set: { [TSC]: [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }] },
      want: [[`${TSC}[0].maxSkew`, /^Invalid value: 0: must be greater than zero$/]],
    },
    {
      name: 'topologyKey may not be empty',
      set: { [TSC]: [{ maxSkew: 1, topologyKey: '', whenUnsatisfiable: 'DoNotSchedule' }] },
      want: [[`${TSC}[0].topologyKey`, /^Required value: can not be empty$/]],
    },
    {
      name: 'whenUnsatisfiable is one of two',
      set: { [TSC]: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'Sometimes' }] },
      want: [[`${TSC}[0].whenUnsatisfiable`, /^Unsupported value: "Sometimes": supported values: "DoNotSchedule", "ScheduleAnyway"$/]],
    },
    {
      name: 'minDomains only with DoNotSchedule',
      set: { [TSC]: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'ScheduleAnyway', minDomains: 2 }] },
      want: [[`${TSC}[0].minDomains`, /^Invalid value: 2: can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway$/]],
    },
    {
      name: 'no two constraints on the same key and action',
      set: {
        [TSC]: [
          { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' },
          { maxSkew: 2, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' },
        ],
      },
      want: [[`${TSC}[1]`, /^Duplicate value: "\{zone DoNotSchedule\}"$/]],
    },
    {
      name: 'matchLabelKeys may not repeat a labelSelector key',
      set: {
        [TSC]: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'x' } }, matchLabelKeys: ['app'] }],
      },
      want: [[`${TSC}[0].matchLabelKeys[0]`, /exists in both matchLabelKeys and labelSelector/]],
    },
    {
      name: 'an affinity term needs a topologyKey',
      set: { [ANTI]: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: {}, topologyKey: '' }] } },
      want: [[`${ANTI}.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey`, /^Required value: can not be empty$/]],
    },
    {
      name: 'a weighted term has weight 1-100',
      set: { [ANTI]: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, podAffinityTerm: { topologyKey: 'zone' } }] } },
      want: [[`${ANTI}.preferredDuringSchedulingIgnoredDuringExecution[0].weight`, /^Invalid value: 0: must be in the range 1-100$/]],
    },
    {
      name: 'preemptionPolicy is one of two',
      set: { 'spec.preemptionPolicy': 'Sometimes' },
      want: [['spec.preemptionPolicy', /^Unsupported value: "Sometimes"/]],
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const got = errorsWith(c.set);
      assert.equal(got.length, c.want.length, JSON.stringify(got));
      c.want.forEach(([field, message], i) => {
        assert.equal(got[i]![0], field);
        assert.match(got[i]![1], message);
      });
    });
});
