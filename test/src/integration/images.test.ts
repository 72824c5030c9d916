// The image catalog against a real cluster: pods of the Kubernetes docs' images, as the docs
// write them, run as real processes and behave as those images do. nginx serves its welcome page
// to a busybox pod's wget through the agents' proxy; agnhost liveness is restarted by its probe;
// polinux/stress over its memory limit is OOMKilled; the perl pi pod computes pi; an image the
// user maps in the agent's --images file runs their program; a program that binds a fixed port
// of its own is reached at its declared containerPort.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bufferIO, main } from '@kip/scripts';
import type { Pod } from '@kip/shared';
import { TestCluster } from '../helpers/cluster.js';
import { eventually } from '../helpers/wait.js';

function pod(name: string, spec: Record<string, unknown>): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', labels: { app: name } }, spec } as unknown as Pod;
}

describe('images: the docs images as real processes', function () {
  let cluster: TestCluster;
  let dir: string;

  before(async function () {
    dir = mkdtempSync(path.join(os.tmpdir(), 'kip-images-'));
    const images = path.join(dir, 'images.yaml');
    writeFileSync(
      images,
      'images:\n  example.com/team/greeter:1.0:\n    entrypoint: [/bin/sh, -c]\n    cmd: [\'echo "greeter says $GREETING"; sleep 3600\']\n    env: {GREETING: hi}\n',
    );
    cluster = await TestCluster.start({ nodes: 2, agentArgs: () => ['--images', images] });
  });

  after(async function () {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The pod's log as `kip logs` prints it (the test API would read a log of digits as a JSON number). */
  async function logs(name: string): Promise<string> {
    const io = bufferIO({ env: { KUBECONFIG: cluster.kubeconfig } });
    return (await main(['logs', name], io)) === 0 ? io.stdout.text() : '';
  }

  async function running(name: string): Promise<Pod> {
    return eventually(
      `${name} running`,
      async () => {
        const p = await cluster.api.get<Pod>('pods', name);
        return p?.status?.containerStatuses?.[0]?.state.running && p.status.podIP ? p : undefined;
      },
      { timeoutMs: 60_000 },
    );
  }

  it("serves nginx's welcome page to a busybox pod's wget, through the proxy, and logs both sides", async function () {
    await cluster.api.create(pod('web', { containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] }));
    const web = await running('web');
    await cluster.api.create(
      pod('box', {
        containers: [
          {
            name: 'box',
            image: 'registry.k8s.io/busybox',
            command: ['sh', '-c', 'echo hello; until wget -qO- -T 5 http://$(WEB)/; do sleep 1; done; sleep 3600'],
            env: [{ name: 'WEB', value: web.status!.podIP }],
          },
        ],
      }),
    );
    await running('box');
    const boxLog = await eventually(
      'the welcome page in the busybox log',
      async () => {
        const text = await logs('box');
        return /Welcome to nginx!/.test(text) ? text : undefined;
      },
      { timeoutMs: 60_000 },
    );
    assert.match(boxLog, /^hello\n/);
    const webLog = await eventually("nginx's access log line", async () => {
      const text = await logs('web');
      return /"GET \/ HTTP\/1\.1" 200 615 "-" "Wget"/.test(text) ? text : undefined;
    });
    assert.match(webLog, /^\S+ - - \[\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "GET \/ HTTP\/1\.1" 200 615/m);
    await cluster.api.delete('pods', 'box', 'default', 0);
    await cluster.api.delete('pods', 'web', 'default', 0);
  });

  it('restarts agnhost liveness when /healthz turns 500 after 10 s', async function () {
    // The docs' liveness-http example, with a quicker probe, and port 8080 declared so that it is
    // backed by a free host port: an undeclared 8080 is bound as it is, shared with the whole machine.
    await cluster.api.create(
      pod('liveness-http', {
        containers: [
          {
            name: 'liveness',
            image: 'registry.k8s.io/e2e-test-images/agnhost:2.40',
            args: ['liveness'],
            ports: [{ containerPort: 8080 }],
            livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, initialDelaySeconds: 3, periodSeconds: 2, failureThreshold: 1 },
          },
        ],
      }),
    );
    const restarted = await eventually(
      'a restart by the liveness probe',
      async () => {
        const p = await cluster.api.get<Pod>('pods', 'liveness-http');
        const cs = p?.status?.containerStatuses?.[0];
        return cs && cs.restartCount >= 1 ? cs : undefined;
      },
      { timeoutMs: 90_000 },
    );
    assert.ok(restarted.lastState.terminated, 'the killed run is the last state');
    assert.match(restarted.imageID, /agnhost/);
    await cluster.api.delete('pods', 'liveness-http', 'default', 0);
  });

  it('OOM-kills polinux/stress holding more than its memory limit', async function () {
    // The docs' memory-request-limit-2 example: 250M against a 100Mi limit.
    await cluster.api.create(
      pod('memory-demo-2', {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'memory-demo-2-ctr',
            image: 'polinux/stress',
            resources: { requests: { memory: '50Mi' }, limits: { memory: '100Mi' } },
            command: ['stress'],
            args: ['--vm', '1', '--vm-bytes', '250M', '--vm-hang', '1'],
          },
        ],
      }),
    );
    const term = await eventually(
      'the OOM kill',
      async () => (await cluster.api.get<Pod>('pods', 'memory-demo-2'))?.status?.containerStatuses?.[0]?.state.terminated,
      { timeoutMs: 60_000 },
    );
    assert.equal(term.reason, 'OOMKilled');
    assert.equal(term.exitCode, 137);
    assert.match(await logs('memory-demo-2'), /stress: info: \[1\] dispatching hogs: 0 cpu, 0 io, 1 vm, 0 hdd/);
    await cluster.api.delete('pods', 'memory-demo-2', 'default', 0);
  });

  it('computes pi with the perl image, and runs an image the user mapped to their program', async function () {
    // The docs' Job pod template, as a bare pod, with 1000 digits instead of 2000: this host's
    // perl 5.36 (Math::BigInt 1.999830) fails bpi() beyond about 1400 digits, in any container.
    await cluster.api.create(
      pod('pi', { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5.34.0', command: ['perl', '-Mbignum=bpi', '-wle', 'print bpi(1000)'] }] }),
    );
    await cluster.api.create(pod('greeter', { containers: [{ name: 'greeter', image: 'example.com/team/greeter:1.0' }] }));
    await eventually('pi Succeeded', async () => (await cluster.api.get<Pod>('pods', 'pi'))?.status?.phase === 'Succeeded', { timeoutMs: 60_000 });
    const digits = (await logs('pi')).trim();
    assert.match(digits, /^3\.14159265358979323846\d{900,}$/);
    await running('greeter');
    assert.match(await eventually('the greeting', async () => ((await logs('greeter')).includes('greeter') ? logs('greeter') : undefined)), /greeter says hi/);
    await cluster.api.delete('pods', 'pi', 'default', 0);
    await cluster.api.delete('pods', 'greeter', 'default', 0);
  });
  it('reaches a program that binds a fixed port of its own (python -m http.server) at its declared containerPort', async function () {
    await cluster.api.create(
      pod('pyweb', {
        containers: [
          {
            name: 'py',
            image: 'python:3.12',
            command: ['python3', '-m', 'http.server', '18437', '--bind', '127.0.0.1'],
            ports: [{ containerPort: 18437 }],
            readinessProbe: { httpGet: { path: '/', port: 18437 }, periodSeconds: 1 },
          },
        ],
      }),
    );
    const py = await eventually(
      'pyweb ready',
      async () => {
        const p = await cluster.api.get<Pod>('pods', 'pyweb');
        return p?.status?.containerStatuses?.[0]?.ready ? p : undefined;
      },
      { timeoutMs: 60_000 },
    );
    await cluster.api.create(
      pod('fetch', {
        restartPolicy: 'Never',
        containers: [{ name: 'fetch', image: 'busybox', command: ['wget', '-qO-', '-T', '10', `http://${py.status!.podIP}:18437/`] }],
      }),
    );
    await eventually('fetch Succeeded', async () => (await cluster.api.get<Pod>('pods', 'fetch'))?.status?.phase === 'Succeeded', { timeoutMs: 60_000 });
    assert.match(await logs('fetch'), /Directory listing for \//);
    await cluster.api.delete('pods', 'fetch', 'default', 0);
    await cluster.api.delete('pods', 'pyweb', 'default', 0);
  });
});
