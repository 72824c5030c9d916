// A cluster started with its own address plan (--pod-cidr, --service-cidr): pods get addresses in
// the pod network, Services in the service range, and a pod reaches a Service by its cluster IP
// and another pod by its pod IP through the agents' proxies, which resolve the plan they are sent.

import assert from 'node:assert/strict';
import type { KObject, Pod, Service } from '@kip/shared';
import { TestCluster } from '../helpers/cluster.js';
import { untilRouted } from '../helpers/routed.js';
import { eventually } from '../helpers/wait.js';

describe('a cluster with its own pod network and service range', function () {
  this.timeout(120_000);
  let cluster: TestCluster | undefined;

  after(async () => {
    await cluster?.stop();
  });

  it('addresses pods and Services from them, and routes traffic to both', async () => {
    cluster = await TestCluster.start({ nodes: 2, controlPlaneArgs: ['--pod-cidr', '10.50.0.0/16', '--service-cidr', '10.60.0.0/20'] });
    const api = cluster.api;
    await api.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'echo', labels: { app: 'echo' } },
      spec: { nodeName: 'node-2', containers: [{ name: 'echo', image: 'http-echo', ports: [{ name: 'http', containerPort: 8080 }] }] },
    } as KObject);
    const svc = await api.create<Service>({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'echo' },
      spec: { selector: { app: 'echo' }, ports: [{ port: 80, targetPort: 'http' }] },
    } as KObject);
    assert.match(svc.spec.clusterIP ?? '', /^10\.60\.\d+\.\d+$/);
    const echo = await eventually('the echo pod to run', async () => {
      const p = await api.get<Pod>('pods', 'echo');
      return p?.status?.phase === 'Running' && p.status.podIP ? p : undefined;
    });
    assert.match(echo.status!.podIP!, /^10\.50\.2\.\d+$/, 'node-2 has 10.50.2.0/24');
    // Running is not ready: the Service routes once the pod is among its ready endpoints.
    await eventually("the echo pod among the Service's ready endpoints", async () => {
      const ep = await api.get<KObject & { subsets?: { addresses?: { ip: string }[] }[] }>('endpoints', 'echo');
      return ep?.subsets?.some((s) => s.addresses?.some((a) => a.ip === echo.status!.podIP)) ? ep : undefined;
    });

    for (const [name, url] of [
      ['by-cluster-ip', `http://${svc.spec.clusterIP}/`],
      ['by-pod-ip', `http://${echo.status!.podIP}:8080/`],
    ]) {
      // Every request must succeed, so first wait for node-1's proxy to have the route.
      await untilRouted(api, 'node-1', url!);
      await api.create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: name! },
        spec: {
          nodeName: 'node-1',
          restartPolicy: 'Never',
          containers: [{ name: 'client', image: 'client', args: ['--url', url!, '--count', '3', '--rate', '10'] }],
        },
      } as KObject);
      const done = await eventually(`${name} to finish`, async () => {
        const p = await api.get<Pod>('pods', name!);
        return p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed' ? p : undefined;
      });
      const log = (await api.request<string>('GET', `/api/v1/namespaces/default/pods/${name}/log`)).body;
      assert.equal(done.status?.phase, 'Succeeded', `${name}: ${String(log)}`);
      assert.match(String(log), /status=200/);
    }
  });
});
