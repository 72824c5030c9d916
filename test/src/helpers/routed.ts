// Waiting until a node's proxy routes an address. Routes reach agents in batches a little after
// the Endpoints change (as kube-proxy syncs after its minSyncPeriod), so a test that needs every
// request of a client to succeed first lets a one-request client pod retry until one gets through.

import type { KObject, Pod } from '@kip/shared';
import type { TestApi } from './api.js';
import { eventually } from './wait.js';

let runs = 0;

/** Resolves once a one-request client pod on `node` gets an answer from `url`; its pods are deleted. */
export async function untilRouted(api: TestApi, node: string, url: string, namespace = 'default'): Promise<void> {
  await eventually(
    `${node} to route ${url}`,
    async () => {
      const name = `routed-${process.pid}-${runs++}`;
      await api.create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name, namespace },
        spec: {
          nodeName: node,
          restartPolicy: 'Never',
          containers: [{ name: 'client', image: 'client', args: ['--url', url, '--count', '1', '--timeout', '1s'] }],
        },
      } as KObject);
      const done = await eventually(`${name} to finish`, async () => {
        const p = await api.get<Pod>('pods', name, namespace);
        return p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed' ? p : undefined;
      });
      await api.delete('pods', name, namespace, 0);
      return done.status?.phase === 'Succeeded';
    },
    { timeoutMs: 30_000 },
  );
}
