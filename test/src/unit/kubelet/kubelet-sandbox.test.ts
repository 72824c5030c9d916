// The kubelet with and without a sandbox, on real processes: where the node has one, a pod's
// containers get it (but pause does not) and an exec probe sees the container's /tmp; where the
// node has none, the pod runs on the bare host and its status says why.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { probeSandbox } from '@kip/agent';
import { Harness, makePod } from './harness.js';

describe('kubelet: pod sandboxes', function () {
  this.timeout(60_000);
  let h: Harness | undefined;

  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('sandboxes containers where the node can, says so in the status, and leaves pause on the bare host', async () => {
    const support = probeSandbox(os.tmpdir());
    assert.ok(support.available, 'this machine allows user namespaces');
    h = new Harness();
    const app = makePod('boxed', [
      {
        name: 'c',
        command: ['/bin/sh', '-c', 'echo inside > /tmp/mark; exec sleep 1000'],
        readinessProbe: { exec: { command: ['grep', '-qx', 'inside', '/tmp/mark'] }, periodSeconds: 1 },
      },
    ]);
    const pause = makePod('paused', [{ name: 'p', image: 'pause' }]);
    h.kubelet.sync([app, pause]);
    const st = await h.waitStatus(app, 'ready', (s) => !!s.containerStatuses?.[0]?.ready);
    assert.equal(st.kipSandbox, 'user+mount+uts namespaces');
    assert.ok(!fs.existsSync('/tmp/mark') || fs.readFileSync('/tmp/mark', 'utf8') !== 'inside\n', "the host's /tmp is untouched");
    const ps = await h.waitStatus(pause, 'running', (s) => !!s.containerStatuses?.[0]?.state.running);
    assert.equal(ps.kipSandbox, 'none (its containers need none)');
  });

  it('falls back to the bare host where the node has no sandbox, and says why', async () => {
    h = new Harness(undefined, undefined, { available: false, reason: 'unshare: unshare failed: Operation not permitted' });
    const pod = makePod('bare', [{ name: 'c', command: ['/bin/sh', '-c', 'hostname; exec sleep 1000'] }]);
    h.kubelet.sync([pod]);
    const st = await h.waitStatus(pod, 'running', (s) => !!s.containerStatuses?.[0]?.state.running);
    assert.equal(st.kipSandbox, 'none (user namespaces unavailable: unshare: unshare failed: Operation not permitted)');
  });
});
