// The pod network and the service range are the control plane's settings (--pod-cidr,
// --service-cidr): nodes get /24s out of the one, Services addresses out of the other, and a
// requested cluster IP outside the range is refused by the allocator.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Node, Service } from '@kip/shared';
import { ApiError, ClusterIPAllocator, MemoryStore, PodCidrAllocator } from '@kip/controlplane';
import { CONTROLPLANE_MAIN } from '../../helpers/cluster.js';

function node(name: string, podCIDR?: string): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: podCIDR ? { podCIDR } : {} };
}

function service(name: string, clusterIP?: string): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { ports: [{ port: 80 }], ...(clusterIP ? { clusterIP } : {}) },
  } as Service;
}

describe('controlplane: the cluster address plan', () => {
  it('carves /24s for nodes out of the pod network, numbered like the node where it can', () => {
    const store = new MemoryStore();
    const cidrs = new PodCidrAllocator(store, '10.50.0.0/22');
    assert.equal(cidrs.allocate('node-2'), '10.50.2.0/24');
    store.create(node('node-2', '10.50.2.0/24'));
    assert.equal(cidrs.allocate('node-2'), '10.50.2.0/24', 'a node keeps its range');
    assert.equal(cidrs.allocate('node-9'), '10.50.1.0/24', 'beyond the range, the lowest free one');
    for (const [n, c] of [
      ['a', '10.50.1.0/24'],
      ['b', '10.50.3.0/24'],
      ['c', '10.50.0.0/24'],
    ])
      store.create(node(n!, c));
    assert.throws(() => cidrs.allocate('node-5'), /no pod CIDR left in 10\.50\.0\.0\/22: 4 nodes is the limit/);
  });

  it('gives Services addresses from the service range and refuses one outside it', () => {
    const store = new MemoryStore();
    const ips = new ClusterIPAllocator(store, '10.60.0.0/20');
    const s = service('web');
    ips.admit('create', s, undefined);
    assert.match(s.spec.clusterIP!, /^10\.60\.0\.\d+$/);
    assert.throws(
      () => ips.admit('create', service('pinned', '10.96.0.50'), undefined),
      (err: unknown) => err instanceof ApiError && /spec\.clusterIP: Invalid value: "10\.96\.0\.50": must be in 10\.60\.0\.0\/20/.test(err.message),
    );
  });

  it('refuses ranges that are not CIDRs, too small, or overlapping, naming the flag', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'kip-plan-'));
    try {
      const start = (...args: string[]) =>
        spawnSync(process.execPath, [CONTROLPLANE_MAIN, '--port', '0', '--data-dir', dir, ...args], { encoding: 'utf8', timeout: 30_000 });
      for (const [args, want] of [
        [['--pod-cidr', 'ten'], /--pod-cidr: "ten" must be a CIDR from \/8 to \/24/],
        [['--service-cidr', '10.96.0.0/28'], /--service-cidr: "10\.96\.0\.0\/28" must be a CIDR from \/12 to \/24/],
        [['--pod-cidr', '10.0.0.0/8'], /--pod-cidr 10\.0\.0\.0\/8 and --service-cidr 10\.96\.0\.0\/16 overlap/],
      ] as [string[], RegExp][]) {
        const r = start(...args);
        assert.equal(r.status, 2, r.stderr);
        assert.match(r.stderr, want);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
