import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  buildContainerEnv,
  ConfigObjectCache,
  ContainerConfigError,
  containerMounts,
  PodVolumes,
  volumePayload,
  VolumeSetupError,
  writeAtomically,
  type VolumePayload,
} from '@kip/agent';
import type { ConfigMap, Pod, Secret } from '@kip/shared';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function cmOf(name: string, data: Record<string, string>, rv = '1'): ConfigMap {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', resourceVersion: rv }, data };
}
function secretOf(name: string, data: Record<string, string>): Secret {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default', resourceVersion: '1' }, type: 'Opaque', data };
}

function podWith(spec: Partial<Pod['spec']>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', uid: 'u1', labels: { app: 'web', tier: 'front' } },
    spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { memory: '128Mi' } } }], ...spec },
  };
}

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kip-vol-'));
}

const payload = (files: Record<string, string>, mode = 0o644): VolumePayload =>
  new Map(Object.entries(files).map(([k, v]) => [k, { data: Buffer.from(v), mode }]));

describe('config: atomic writer', () => {
  let dir: string;
  beforeEach(() => (dir = tmp()));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes files behind a ..data symlink, with their modes, and visible names through it', () => {
    assert.equal(writeAtomically(dir, payload({ 'a.conf': 'one', 'sub/b': 'two' }, 0o600)), true);
    const data = fs.readlinkSync(path.join(dir, '..data'));
    assert.match(data, /^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d+$/);
    assert.equal(fs.readlinkSync(path.join(dir, 'a.conf')), '..data/a.conf');
    assert.equal(fs.readlinkSync(path.join(dir, 'sub')), '..data/sub');
    assert.equal(fs.readFileSync(path.join(dir, 'a.conf'), 'utf8'), 'one');
    assert.equal(fs.readFileSync(path.join(dir, 'sub/b'), 'utf8'), 'two');
    assert.equal(fs.statSync(path.join(dir, 'a.conf')).mode & 0o777, 0o600);
  });

  it('writes nothing for the same payload; swaps versions and removes what is gone otherwise', () => {
    writeAtomically(dir, payload({ a: '1', b: '2' }));
    const first = fs.readlinkSync(path.join(dir, '..data'));
    assert.equal(writeAtomically(dir, payload({ a: '1', b: '2' })), false);
    assert.equal(fs.readlinkSync(path.join(dir, '..data')), first);
    assert.equal(writeAtomically(dir, payload({ a: '3' })), true);
    const second = fs.readlinkSync(path.join(dir, '..data'));
    assert.notEqual(second, first);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['..data', second, 'a'].sort());
    assert.equal(fs.readFileSync(path.join(dir, 'a'), 'utf8'), '3');
  });

  it('a reader holding the old version reads it whole while the new one goes in', () => {
    writeAtomically(dir, payload({ a: 'old' }));
    const fd = fs.openSync(path.join(dir, 'a'), 'r');
    writeAtomically(dir, payload({ a: 'new' }));
    assert.equal(fs.readFileSync(fd, 'utf8'), 'old');
    fs.closeSync(fd);
    assert.equal(fs.readFileSync(path.join(dir, 'a'), 'utf8'), 'new');
  });
});

describe('config: volume contents and mounts', () => {
  const config = new ConfigObjectCache();
  config.apply({
    type: 'configObjects',
    full: true,
    objects: [cmOf('app', { 'app.conf': 'x=1', mode: 'prod' }), secretOf('creds', { user: b64('admin'), password: b64('s3cret') })],
  });
  const ctx = (pod: Pod) => ({ pod, config, nodeName: 'n1', podIP: '10.244.1.5', hostIP: '127.0.0.1', allocatable: { cpu: '4', memory: '8Gi' } });

  it('makes files of ConfigMap keys, Secret values decoded, items at their paths and modes', () => {
    const pod = podWith({
      volumes: [
        { name: 'cfg', configMap: { name: 'app', defaultMode: 0o640 } },
        { name: 'sec', secret: { secretName: 'creds', items: [{ key: 'password', path: 'db/pw', mode: 0o400 }] } },
      ],
    });
    const cfg = volumePayload(pod.spec.volumes![0]!, ctx(pod))!;
    assert.deepEqual([...cfg.keys()].sort(), ['app.conf', 'mode']);
    assert.equal(cfg.get('mode')!.mode, 0o640);
    const sec = volumePayload(pod.spec.volumes![1]!, ctx(pod))!;
    assert.deepEqual(
      [...sec.entries()].map(([k, f]) => [k, f.data.toString(), f.mode]),
      [['db/pw', 's3cret', 0o400]],
    );
  });

  it('says what is missing in the kubelet words, unless optional', () => {
    const pod = podWith({
      volumes: [
        { name: 'a', configMap: { name: 'nope' } },
        { name: 'b', configMap: { name: 'nope', optional: true } },
        { name: 'c', configMap: { name: 'app', items: [{ key: 'missing', path: 'm' }] } },
        { name: 'd', secret: { secretName: 'gone' } },
      ],
    });
    const [a, b, c, d] = pod.spec.volumes!;
    assert.throws(
      () => volumePayload(a!, ctx(pod)),
      (e: Error) => e instanceof VolumeSetupError && e.message === 'configmap "nope" not found',
    );
    assert.equal(volumePayload(b!, ctx(pod))!.size, 0);
    assert.throws(() => volumePayload(c!, ctx(pod)), /configmap references non-existent config key: missing/);
    assert.throws(() => volumePayload(d!, ctx(pod)), /secret "gone" not found/);
  });

  it('writes the downward API and projected sources together', () => {
    const pod = podWith({
      volumes: [
        {
          name: 'all',
          projected: {
            sources: [
              { configMap: { name: 'app', items: [{ key: 'mode', path: 'mode' }] } },
              { secret: { name: 'creds', items: [{ key: 'user', path: 'user' }] } },
              {
                downwardAPI: {
                  items: [
                    { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
                    { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
                    { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' } },
                    { path: 'cpu', resourceFieldRef: { containerName: 'c', resource: 'limits.cpu', divisor: '1m' } },
                  ],
                },
              },
            ],
          },
        },
      ],
    });
    const files = Object.fromEntries([...volumePayload(pod.spec.volumes![0]!, ctx(pod))!].map(([k, f]) => [k, f.data.toString()]));
    assert.deepEqual(files, { mode: 'prod', user: 'admin', labels: 'app="web"\ntier="front"', name: 'web', mem: '128', cpu: '4000' });
  });

  it('lists each container mount with the host directory behind it', () => {
    const pod = podWith({
      volumes: [
        { name: 'cache', emptyDir: {} },
        { name: 'cfg', configMap: { name: 'app' } },
        { name: 'host', hostPath: { path: '/var/log' } },
      ],
    });
    pod.spec.containers[0]!.volumeMounts = [
      { name: 'cache', mountPath: '/cache' },
      { name: 'cfg', mountPath: '/etc/app', subPath: 'app.conf' },
      { name: 'host', mountPath: '/logs', readOnly: true },
    ];
    assert.deepEqual(containerMounts(pod, pod.spec.containers[0]!, '/pods/p'), [
      { name: 'cache', hostDir: '/pods/p/volumes/cache', mountPath: '/cache', readOnly: false },
      { name: 'cfg', hostDir: '/pods/p/volumes/cfg', mountPath: '/etc/app', readOnly: true, subPath: 'app.conf' },
      { name: 'host', hostDir: '/var/log', mountPath: '/logs', readOnly: true },
    ]);
  });

  it('mounts a claim where the claim code says it lives, read-only when the volume says so', () => {
    const pod = podWith({ volumes: [{ name: 'data', persistentVolumeClaim: { claimName: 'www', readOnly: true } }] });
    pod.spec.containers[0]!.volumeMounts = [{ name: 'data', mountPath: '/usr/share/nginx/html' }];
    assert.deepEqual(
      containerMounts(pod, pod.spec.containers[0]!, '/pods/p', (claim) => `/data/pvc/${claim}`),
      [{ name: 'data', hostDir: '/data/pvc/www', mountPath: '/usr/share/nginx/html', readOnly: true }],
    );
  });

  it('sets volumes up in the pod directory and refreshes them when the ConfigMap changes', () => {
    const podDir = tmp();
    try {
      const local = new ConfigObjectCache();
      local.apply({ type: 'configObjects', full: true, objects: [cmOf('app', { mode: 'prod' })] });
      const pod = podWith({
        volumes: [
          { name: 'cache', emptyDir: {} },
          { name: 'cfg', configMap: { name: 'app' } },
        ],
      });
      const volumes = new PodVolumes(podDir, () => ({ ...ctx(pod), config: local }));
      volumes.setUp();
      assert.ok(fs.statSync(path.join(podDir, 'volumes/cache')).isDirectory());
      assert.equal(fs.readFileSync(path.join(podDir, 'volumes/cfg/mode'), 'utf8'), 'prod');
      const changed = local.apply({ type: 'configObjects', full: false, objects: [cmOf('app', { mode: 'dev' }, '2')] });
      assert.deepEqual([...changed], ['ConfigMap/default/app']);
      volumes.refresh(() => assert.fail('no error expected'));
      assert.equal(fs.readFileSync(path.join(podDir, 'volumes/cfg/mode'), 'utf8'), 'dev');
      // Gone from the node: the files stay as they were, as the kubelet keeps them.
      local.apply({ type: 'configObjects', full: false, objects: [], remove: [{ kind: 'ConfigMap', namespace: 'default', name: 'app' }] });
      const errors: string[] = [];
      volumes.refresh((v, m) => errors.push(`${v}: ${m}`));
      assert.deepEqual(errors, ['cfg: configmap "app" not found']);
      assert.equal(fs.readFileSync(path.join(podDir, 'volumes/cfg/mode'), 'utf8'), 'dev');
    } finally {
      fs.rmSync(podDir, { recursive: true, force: true });
    }
  });
});

describe('config: env from ConfigMaps, Secrets and resources', () => {
  const config = new ConfigObjectCache();
  config.apply({
    type: 'configObjects',
    full: true,
    objects: [cmOf('app', { MODE: 'prod', LEVEL: 'debug', '1bad': 'x' }), secretOf('creds', { USER: b64('admin'), PASSWORD: b64('s3cret') })],
  });
  const env = (pod: Pod, skipped?: (kind: string, ref: string, keys: string[]) => void) =>
    buildContainerEnv({
      pod,
      container: pod.spec.containers[0]!,
      nodeName: 'n1',
      podIP: '10.244.1.5',
      hostIP: '127.0.0.1',
      podDir: '/p',
      hostPorts: {},
      agentEnv: {},
      config,
      allocatable: { cpu: '4', memory: '8Gi' },
      skippedKeys: skipped,
    });

  it('takes envFrom first, then env, which wins; key references and resources resolve', () => {
    const pod = podWith({});
    pod.spec.containers[0]!.envFrom = [{ configMapRef: { name: 'app' } }, { prefix: 'DB_', secretRef: { name: 'creds' } }];
    pod.spec.containers[0]!.env = [
      { name: 'LEVEL', value: 'info' },
      { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'PASSWORD' } } },
      { name: 'M', valueFrom: { configMapKeyRef: { name: 'app', key: 'MODE' } } },
      { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'none', key: 'x', optional: true } } },
      { name: 'CPU_LIMIT', valueFrom: { resourceFieldRef: { resource: 'limits.cpu' } } },
      { name: 'MEM_REQ', valueFrom: { resourceFieldRef: { resource: 'requests.memory', divisor: '1Mi' } } },
      { name: 'ME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ];
    const skipped: string[] = [];
    const e = env(pod, (kind, ref, keys) => skipped.push(`${kind} ${ref} ${keys.join(',')}`));
    assert.equal(e.MODE, 'prod');
    assert.equal(e.LEVEL, 'info');
    assert.equal(e.DB_USER, 'admin');
    assert.equal(e.PW, 's3cret');
    assert.equal(e.M, 'prod');
    assert.equal('OPT' in e, false);
    assert.equal(e.CPU_LIMIT, '4');
    assert.equal(e.MEM_REQ, '64');
    assert.equal(e.ME, 'web');
    assert.equal('1bad' in e, false);
    assert.deepEqual(skipped, ['configMap default/app 1bad']);
  });

  const missing: [string, Partial<Pod['spec']['containers'][number]>, string][] = [
    ['a missing ConfigMap', { env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }] }, 'configmap "nope" not found'],
    ['a missing key', { env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'app', key: 'k' } } }] }, "couldn't find key k in ConfigMap default/app"],
    ['a missing Secret', { env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'nope', key: 'k' } } }] }, 'secret "nope" not found'],
    ['a missing secret key', { env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 'creds', key: 'k' } } }] }, "couldn't find key k in Secret default/creds"],
    ['a missing envFrom ConfigMap', { envFrom: [{ configMapRef: { name: 'nope' } }] }, 'configmap "nope" not found'],
  ];
  for (const [what, c, message] of missing) {
    it(`refuses to start with ${what}: ${message}`, () => {
      const pod = podWith({});
      Object.assign(pod.spec.containers[0]!, c);
      assert.throws(
        () => env(pod),
        (e: Error) => e instanceof ContainerConfigError && e.message === message,
      );
    });
  }
});

describe('config: hostPath volumes', () => {
  let dir: string;
  beforeEach(() => (dir = tmp()));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const podWithHostPath = (p: string, type: string) =>
    podWith({
      volumes: [
        { name: 'host', hostPath: { path: p, type: type as never } },
        { name: 'cache', emptyDir: {} },
      ],
    });
  const setUp = (pod: Pod) =>
    new PodVolumes(path.join(dir, 'pod'), () => ({ pod, config: new ConfigObjectCache(), nodeName: 'n', podIP: '', hostIP: '', allocatable: {} })).setUp();

  it('creates what DirectoryOrCreate and FileOrCreate name, and an emptyDir anyone may write', () => {
    setUp(podWithHostPath(path.join(dir, 'made/dir'), 'DirectoryOrCreate'));
    assert.ok(fs.statSync(path.join(dir, 'made/dir')).isDirectory());
    assert.equal(fs.statSync(path.join(dir, 'pod/volumes/cache')).mode & 0o777, 0o777);
    setUp(podWithHostPath(path.join(dir, 'made/file'), 'FileOrCreate'));
    assert.ok(fs.statSync(path.join(dir, 'made/file')).isFile());
  });

  it('refuses a path that is not of its type, in the kubelet words', () => {
    fs.writeFileSync(path.join(dir, 'a-file'), '');
    assert.throws(() => setUp(podWithHostPath(path.join(dir, 'a-file'), 'Directory')), /hostPath type check failed: .*a-file is not a directory/);
    assert.throws(() => setUp(podWithHostPath(path.join(dir, 'missing'), 'File')), /hostPath type check failed: .*missing is not a file/);
    setUp(podWithHostPath(path.join(dir, 'missing'), ''));
  });
});
