import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Container, Pod } from '@kip/shared';
import { buildContainerEnv, expandVars, fieldRefValue, portEnvName, workingDirOf } from '@kip/agent';
import { containerArgv, lookPath, StartError } from '@kip/agent';

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-abc', namespace: 'shop', uid: 'u-1', labels: { app: 'web' } },
  spec: { nodeName: 'node-2', containers: [] },
};

function env(container: Container, extraEnv?: Record<string, string>) {
  return buildContainerEnv({
    pod,
    container,
    nodeName: 'node-2',
    podIP: '10.244.2.7',
    hostIP: '127.0.0.1',
    podDir: '/data/pods/shop_web-abc_u-1',
    hostPorts: { 'web/8080': 40001, 'web/9090': 40002, 'other/1': 40003 },
    agentEnv: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', SECRET: 'agent-only', HOME: '/root' },
    extraEnv,
  });
}

describe('kubelet env', () => {
  it('builds base, Downward API and port variables in order, the container env winning', () => {
    const e = env(
      {
        name: 'web',
        ports: [{ containerPort: 8080 }, { name: 'metrics-http', containerPort: 9090 }],
        env: [
          { name: 'A', value: 'x' },
          { name: 'POD_IP', value: 'mine' },
          { name: 'REF', value: '$(A)-$(POD_NAME)-$(NOPE)-$$(A)' },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        ],
      },
      { HTTP_PROXY: 'http://127.0.0.1:3128', A: 'from-extra' },
    );
    assert.deepEqual(e, {
      PATH: '/usr/bin:/bin',
      LANG: 'C.UTF-8',
      HOME: '/data/pods/shop_web-abc_u-1',
      HOSTNAME: 'web-abc',
      POD_NAME: 'web-abc',
      POD_NAMESPACE: 'shop',
      POD_IP: 'mine',
      NODE_NAME: 'node-2',
      PORT: '40001',
      PORT_METRICS_HTTP: '40002',
      HTTP_PROXY: 'http://127.0.0.1:3128',
      A: 'x',
      REF: 'x-web-abc-$(NOPE)-$(A)',
      NODE: 'node-2',
      APP: 'web',
    });
  });

  it('gives no PORT to a container without ports and nothing of the agent but PATH, LANG, TZ', () => {
    const e = env({ name: 'side' });
    assert.equal(e.PORT, undefined);
    assert.equal(e.SECRET, undefined);
    assert.equal(e.HOME, '/data/pods/shop_web-abc_u-1');
  });

  it('expands $(VAR) as Kubernetes does', () => {
    const vars = { A: '1', B: '2' };
    const cases: [string, string][] = [
      ['plain', 'plain'],
      ['$(A)', '1'],
      ['$(A)$(B)', '12'],
      ['$$(A)', '$(A)'],
      ['$$', '$'],
      ['$(MISSING)', '$(MISSING)'],
      ['$(A', '$(A'],
      ['cost $5', 'cost $5'],
      ['end$', 'end$'],
    ];
    for (const [input, want] of cases) assert.equal(expandVars(input, vars), want, input);
  });

  it('resolves fieldRefs and names port variables', () => {
    const ctx = { pod, nodeName: 'n', podIP: '10.0.0.1', hostIP: '127.0.0.1' };
    assert.equal(fieldRefValue('metadata.uid', ctx), 'u-1');
    assert.equal(fieldRefValue('status.hostIP', ctx), '127.0.0.1');
    assert.equal(fieldRefValue('status.podIP', ctx), '10.0.0.1');
    assert.equal(fieldRefValue('spec.serviceAccountName', ctx), 'default');
    assert.equal(fieldRefValue('spec.containers', ctx), undefined);
    assert.equal(portEnvName('http-alt'), 'PORT_HTTP_ALT');
  });

  it('puts a relative workingDir under the pod directory', () => {
    assert.equal(workingDirOf({ name: 'c' }, '/p'), '/p');
    assert.equal(workingDirOf({ name: 'c', workingDir: 'app/' }, '/p'), '/p/app');
    assert.equal(workingDirOf({ name: 'c', workingDir: '/srv' }, '/p'), '/srv');
  });
});

describe('kubelet command', () => {
  const image = { entrypoint: ['/bin/echo-server'], cmd: ['--default'] };
  it('overrides the image entrypoint and cmd as Kubernetes does', () => {
    const cases: [Partial<Container>, string[]][] = [
      [{}, ['/bin/echo-server', '--default']],
      [{ args: ['--x'] }, ['/bin/echo-server', '--x']],
      [{ command: ['sh'] }, ['sh']],
      [{ command: ['sh', '-c'], args: ['echo $(POD_NAME)'] }, ['sh', '-c', 'echo web-1']],
    ];
    for (const [c, want] of cases) assert.deepEqual(containerArgv({ name: 'c', ...c }, image, { POD_NAME: 'web-1' }), want, JSON.stringify(c));
  });

  it('looks programs up on PATH and says why when it cannot', () => {
    assert.equal(lookPath('sh', '/nonexistent:/usr/bin:/bin', '/'), '/usr/bin/sh');
    assert.throws(
      () => lookPath('no-such-prog-kip', '/usr/bin:/bin', '/'),
      (e: unknown) => e instanceof StartError && e.message === 'exec: "no-such-prog-kip": executable file not found in $PATH',
    );
    assert.throws(() => lookPath('./missing', '/bin', '/tmp'), /no such file or directory/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kip-lookpath-'));
    try {
      fs.writeFileSync(path.join(dir, 'data.txt'), 'not a program', { mode: 0o644 });
      assert.throws(() => lookPath('./data.txt', '/bin', dir), /exec: ".\/data.txt": permission denied/);
      assert.throws(() => lookPath('data.txt', dir, '/'), /executable file not found/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.throws(() => lookPath('', '/bin', '/'), /no command given/);
  });
});
