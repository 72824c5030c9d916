import assert from 'node:assert/strict';
import { podRequests, type Container, type PodSpec } from '@kip/shared';
import { DEFAULT_MEMORY_REQUEST, DEFAULT_MILLI_CPU_REQUEST, podResources } from '@kip/controlplane';

const MI = 2 ** 20;
const c = (resources?: Container['resources']): Container => ({ name: 'c', image: 'pause', ...(resources ? { resources } : {}) });
const spec = (...containers: Container[]): PodSpec => ({ containers });

describe('scheduler pod resources', () => {
  const cases: { name: string; spec: PodSpec; want: { cpu: number; memory: number; nonZeroCpu: number; nonZeroMemory: number } }[] = [
    {
      name: 'sums requests over containers',
      spec: spec(c({ requests: { cpu: '100m', memory: '128Mi' } }), c({ requests: { cpu: '1', memory: '1Gi' } })),
      want: { cpu: 1100, memory: 1152 * MI, nonZeroCpu: 1100, nonZeroMemory: 1152 * MI },
    },
    {
      name: 'a limit stands in for a missing request',
      spec: spec(c({ limits: { cpu: '500m', memory: '64Mi' } })),
      want: { cpu: 500, memory: 64 * MI, nonZeroCpu: 500, nonZeroMemory: 64 * MI },
    },
    {
      name: 'a container asking nothing costs the scoring defaults only',
      spec: spec(c()),
      want: { cpu: 0, memory: 0, nonZeroCpu: DEFAULT_MILLI_CPU_REQUEST, nonZeroMemory: DEFAULT_MEMORY_REQUEST },
    },
    {
      name: 'defaults apply per resource',
      spec: spec(c({ requests: { cpu: '250m' } })),
      want: { cpu: 250, memory: 0, nonZeroCpu: 250, nonZeroMemory: DEFAULT_MEMORY_REQUEST },
    },
    {
      name: 'an explicit zero is a request, not a default',
      spec: spec(c({ requests: { cpu: '0', memory: '0' } })),
      want: { cpu: 0, memory: 0, nonZeroCpu: 0, nonZeroMemory: 0 },
    },
    {
      name: 'decimal and exponent forms parse as Kubernetes does',
      spec: spec(c({ requests: { cpu: '0.5', memory: '1e3' } })),
      want: { cpu: 500, memory: 1000, nonZeroCpu: 500, nonZeroMemory: 1000 },
    },
  ];
  for (const k of cases) {
    it(k.name, () => {
      // Twice: the second answer comes from the parsed-quantity memo and must be the same.
      assert.deepEqual(podResources(k.spec), k.want);
      assert.deepEqual(podResources(k.spec), k.want);
      const { cpu, memory } = podRequests(k.spec);
      assert.deepEqual({ cpu, memory }, { cpu: k.want.cpu, memory: k.want.memory }, 'agrees with podRequests');
    });
  }

  it('stays right when many distinct quantities pass through the memo', () => {
    for (let i = 1; i <= 3000; i++) assert.equal(podResources(spec(c({ requests: { cpu: `${i}m` } }))).cpu, i);
  });
});
