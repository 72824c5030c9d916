import assert from 'node:assert/strict';
import type { PodMetrics } from '@kip/shared';
import { nodeTopTable, podTopTable } from '@kip/scripts';

const MI = 1024 * 1024;

function podMetrics(name: string, containers: [string, string, string][], namespace = 'default'): PodMetrics {
  return {
    apiVersion: 'metrics.k8s.io/v1beta1',
    kind: 'PodMetrics',
    metadata: { name, namespace },
    timestamp: '2024-01-01T00:00:00Z',
    window: '10s',
    containers: containers.map(([n, cpu, memory]) => ({ name: n, usage: { cpu, memory } })),
  };
}

describe('cli top tables', () => {
  it('nodes: usage in millicores and Mi with the share of allocatable, unknown ones last', () => {
    const out = nodeTopTable(
      [
        { name: 'node-2', allocCpu: 4000, allocMemory: 8192 * MI },
        { name: 'node-1', cpu: 250, memory: 512 * MI, allocCpu: 4000, allocMemory: 8192 * MI },
      ],
      { noHeaders: false },
    );
    assert.equal(
      out,
      [
        'NAME     CPU(cores)   CPU%        MEMORY(bytes)   MEMORY%',
        'node-1   250m         6%          512Mi           6%',
        'node-2   <unknown>    <unknown>   <unknown>       <unknown>',
        '',
      ].join('\n'),
    );
  });

  it('nodes: sorted by cpu, busiest first', () => {
    const out = nodeTopTable(
      [
        { name: 'a', cpu: 100, memory: 0, allocCpu: 1000 },
        { name: 'b', cpu: 900, memory: 0, allocCpu: 1000 },
      ],
      { noHeaders: true, sortBy: 'cpu' },
    );
    assert.deepEqual(
      out.split('\n').map((l) => l.split(/\s+/)[0]),
      ['b', 'a', ''],
    );
  });

  it('pods: by namespace and name unless sorted by usage, though the metrics come node by node', () => {
    const items = [
      podMetrics('web-2', [['web', '10m', '1Mi']]),
      podMetrics('api', [['a', '300m', '1Mi']], 'zeta'),
      podMetrics('web-1', [['web', '20m', '1Mi']]),
      podMetrics('client', [['c', '5m', '1Mi']]),
    ];
    const names = (out: string) =>
      out
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/).slice(0, 2).join(' '));
    assert.deepEqual(names(podTopTable(items, { allNamespaces: true, containers: false, noHeaders: true })), [
      'default client',
      'default web-1',
      'default web-2',
      'zeta api',
    ]);
    assert.deepEqual(names(podTopTable(items, { allNamespaces: true, containers: false, noHeaders: true, sortBy: 'cpu' })), [
      'zeta api',
      'default web-1',
      'default web-2',
      'default client',
    ]);
  });

  it('pods: summed over containers, or one line per container, with NAMESPACE for -A', () => {
    const items = [
      podMetrics('web-1', [
        ['web', '100m', '64Mi'],
        ['side', '50m', '16Mi'],
      ]),
    ];
    assert.equal(
      podTopTable(items, { allNamespaces: false, containers: false, noHeaders: false }),
      ['NAME    CPU(cores)   MEMORY(bytes)', 'web-1   150m         80Mi', ''].join('\n'),
    );
    const per = podTopTable(items, { allNamespaces: true, containers: true, noHeaders: false }).split('\n');
    assert.match(per[0]!, /^NAMESPACE +POD +NAME +CPU\(cores\) +MEMORY\(bytes\)$/);
    assert.match(per[1]!, /^default +web-1 +web +100m +64Mi$/);
    assert.match(per[2]!, /^default +web-1 +side +50m +16Mi$/);
  });
});
