// @kubernetes/client-node's PortForward, the official JS client, against a real cluster: it speaks
// the WebSocket channel protocol (v4.channel.k8s.io), writes to the pod on channel 0 and reads the
// pod's answer there after the port prefix; a port nothing listens on comes back on channel 1.

import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { Pod } from '@kip/shared';
import { TestCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/wait.js';

/** Everything written to a stream, as text. */
function collect(): { stream: PassThrough; text(): string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => {
    text += d.toString();
  });
  return { stream, text: () => text };
}

describe('@kubernetes/client-node PortForward', function () {
  this.timeout(120_000);
  let cluster: TestCluster;
  // The package is ESM only: loaded as the users of an ESM project would.
  let k8s: typeof import('@kubernetes/client-node');

  before(async function () {
    k8s = await import('@kubernetes/client-node');
    cluster = await TestCluster.start({ nodes: 1, controlPlaneArgs: ['--tls'] });
    await cluster.api.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'echo' },
      spec: {
        containers: [
          {
            name: 'echo',
            image: 'http-echo',
            args: ['-listen=:8080'],
            ports: [{ containerPort: 8080 }, { containerPort: 9090 }],
            readinessProbe: { httpGet: { port: 8080 }, periodSeconds: 1 },
          },
        ],
      },
    } as Pod);
    await eventually(
      'the pod to be ready',
      async () => (await cluster.api.get<Pod>('pods', 'echo'))?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true,
      { timeoutMs: 60_000 },
    );
  });

  after(async () => {
    await cluster?.stop();
  });

  function portForward(): InstanceType<typeof k8s.PortForward> {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(cluster.kubeconfig);
    return new k8s.PortForward(kc);
  }

  it('round-trips bytes to the pod: an HTTP request in, its answer out', async () => {
    const out = collect();
    const err = collect();
    const input = new PassThrough();
    const ws = (await portForward().portForward('default', 'echo', [8080], out.stream, err.stream, input)) as import('ws').WebSocket;
    const closed = new Promise((resolve) => ws.once('close', resolve));
    input.write('GET /through-client-node HTTP/1.1\r\nHost: echo\r\nConnection: close\r\n\r\n');
    await eventually('the answer', async () => /"pod":\s*"echo"/.test(out.text()));
    assert.match(out.text(), /^HTTP\/1\.1 200 OK\r\n/);
    // The pod closes its side after answering; the server then closes the WebSocket.
    await closed;
    assert.equal(err.text(), '');
    input.end();
  });

  it('reports a port nothing listens on, on the error channel', async () => {
    const out = collect();
    const err = collect();
    const input = new PassThrough();
    const ws = (await portForward().portForward('default', 'echo', [9090], out.stream, err.stream, input)) as import('ws').WebSocket;
    const closed = new Promise((resolve) => ws.once('close', resolve));
    await eventually('the error', async () => /error forwarding port 9090 to pod echo/.test(err.text()));
    await closed;
    assert.equal(out.text(), '');
    input.end();
  });

  it('refuses a pod that does not exist before upgrading', async () => {
    await assert.rejects(portForward().portForward('default', 'nope', [8080], new PassThrough(), new PassThrough(), new PassThrough()));
  });
});
