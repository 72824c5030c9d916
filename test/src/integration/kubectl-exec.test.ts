// `kubectl exec` with the real kubectl, over the WebSocket v5 channel protocol it speaks first:
// output on both streams, the command's exit code as kubectl's, stdin piped in and closed, the
// container's environment, and the API server's refusals for what cannot be exec'd.

import assert from 'node:assert/strict';
import type { Pod } from '@kip/shared';
import { TestCluster } from '../helpers/cluster.js';
import { requireKubectl, runKubectl, type KubectlRun } from '../helpers/kubectl.js';
import { eventually } from '../helpers/wait.js';

describe('kubectl exec', function () {
  this.timeout(120_000);
  let cluster: TestCluster;

  before(async function () {
    requireKubectl();
    cluster = await TestCluster.start({ nodes: 2, controlPlaneArgs: ['--tls'] });
    await cluster.api.create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'shell' },
      spec: {
        containers: [
          { name: 'main', image: 'busybox', command: ['sleep', '3600'], env: [{ name: 'GREETING', value: 'hello from main' }] },
          { name: 'side', image: 'busybox', command: ['sleep', '3600'], env: [{ name: 'GREETING', value: 'hello from side' }] },
        ],
      },
    } as Pod);
    await eventually('the pod to run', async () => (await cluster.api.get<Pod>('pods', 'shell'))?.status?.phase === 'Running', { timeoutMs: 60_000 });
  });

  after(async () => {
    await cluster?.stop();
  });

  const kubectl = (args: string[], input?: string): Promise<KubectlRun> => runKubectl(args, { kubeconfig: cluster.kubeconfig, input });

  it("streams stdout and stderr apart and exits with the command's exit code", async () => {
    const r = await kubectl(['exec', 'shell', '-c', 'main', '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.out, 'out\n');
    assert.match(r.err, /^err\n/);
    assert.equal(r.code, 3, r.err);
  });

  it("runs with the container's environment, in the container named by -c", async () => {
    const main = await kubectl(['exec', 'shell', '-c', 'main', '--', 'sh', '-c', 'echo $GREETING; echo $HOSTNAME']);
    assert.equal(main.code, 0, main.err);
    assert.equal(main.out, 'hello from main\nshell\n');
    const side = await kubectl(['exec', 'shell', '-c', 'side', '--', 'printenv', 'GREETING']);
    assert.equal(side.out, 'hello from side\n');
  });

  it('feeds piped stdin with -i and closes it at its end', async () => {
    const r = await kubectl(['exec', '-i', 'shell', '-c', 'main', '--', 'sh', '-c', 'wc -l; cat'], 'one\ntwo\nthree\n');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.trim(), '3');
  });

  it('reads end-of-file on stdin without -i, as Kubernetes does', async () => {
    const r = await kubectl(['exec', 'shell', '-c', 'main', '--', 'cat']);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, '');
  });

  it('says what is wrong: a missing pod, a wrong container, a missing program', async () => {
    const missing = await kubectl(['exec', 'nope', '--', 'true']);
    assert.notEqual(missing.code, 0);
    assert.match(missing.err, /pods "nope" not found/);
    const wrong = await kubectl(['exec', 'shell', '-c', 'nope', '--', 'true']);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.err, /container nope is not valid for pod shell/);
    const program = await kubectl(['exec', 'shell', '-c', 'main', '--', 'no-such-program']);
    assert.equal(program.code, 127, program.err);
    assert.match(program.err, /no-such-program/);
  });
});
