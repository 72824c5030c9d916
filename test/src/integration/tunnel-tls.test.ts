// Agents reachable from other hosts take tunnels only inside TLS keyed by the join token. Here
// every agent is started as such a node (--tunnel-tls, on loopback so the test stays on
// 127.0.0.1): their Nodes advertise tls:// tunnel endpoints, pod traffic between nodes still
// flows (a request and its answer, which needs each direction to end on its own), and a plain
// tunnel hello is refused.

import assert from 'node:assert/strict';
import { dialTunnel, type Node, type Pod } from '@kip/shared';
import { TestCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/wait.js';

describe('tunnels inside TLS between agents', function () {
  this.timeout(120_000);
  let cluster: TestCluster;

  before(async () => {
    cluster = await TestCluster.start({ nodes: 2, agentArgs: () => ['--tunnel-tls'] });
  });

  after(async () => {
    await cluster?.stop();
  });

  it('advertises tls:// tunnel endpoints and refuses plain tunnels', async () => {
    const node = (await cluster.api.get<Node>('nodes', 'node-2', ''))!;
    const endpoint = node.status!.nodeInfo!.tunnelEndpoint!;
    // node-2 has its own loopback address, 127.0.1.2, which the launcher gives it.
    assert.match(endpoint, /^tls:\/\/127\.0\.1\.2:\d+$/);
    await assert.rejects(
      dialTunnel(endpoint.replace('tls://', ''), cluster.token, { podIP: '10.244.2.2', port: 8080 }, { from: 'node-1', secure: false }),
      /tunnel to /,
    );
  });

  it('carries pod traffic between nodes: a client on node-1 gets its answers from a pod on node-2', async () => {
    await cluster.api.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'echo' },
      spec: { nodeName: 'node-2', containers: [{ name: 'echo', image: 'http-echo', ports: [{ containerPort: 8080 }] }] },
    } as Pod);
    const echo = await eventually(
      'echo to run',
      async () => {
        const p = await cluster.api.get<Pod>('pods', 'echo');
        return p?.status?.phase === 'Running' && p.status.podIP ? p : undefined;
      },
      { timeoutMs: 60_000 },
    );
    await cluster.api.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'client' },
      spec: {
        nodeName: 'node-1',
        restartPolicy: 'Never',
        containers: [{ name: 'client', image: 'client', args: ['--url', `http://${echo.status!.podIP}:8080/`, '--rate', '10', '--count', '5'] }],
      },
    } as Pod);
    const done = await eventually(
      'the client to finish',
      async () => {
        const p = await cluster.api.get<Pod>('pods', 'client');
        return p?.status?.phase === 'Succeeded' || p?.status?.phase === 'Failed' ? p : undefined;
      },
      { timeoutMs: 60_000 },
    );
    const log = String((await cluster.api.request('GET', '/api/v1/namespaces/default/pods/client/log')).body);
    assert.equal(done.status!.phase, 'Succeeded', log);
    assert.equal((log.match(/status=200 .*pod=echo node=node-2/g) ?? []).length, 5, log);
  });
});
