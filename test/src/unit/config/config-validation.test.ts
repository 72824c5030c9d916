import assert from 'node:assert/strict';
import { applyDefaults, kindDefinition, mergeStringData, validateObject, type ConfigMap, type Pod, type Secret } from '@kip/shared';

type Obj = Record<string, unknown>;

function pod(container: Obj, volumes?: unknown[]): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default' },
    spec: { containers: [{ name: 'c', image: 'busybox', ...container }], ...(volumes ? { volumes } : {}) },
  };
}

function errorsOf(obj: Obj): string[] {
  return validateObject(obj).map((e) => `${e.field}: ${e.message}`);
}

describe('config: validation of env sources', () => {
  it('accepts every env source kind and envFrom', () => {
    const p = pod({
      env: [
        { name: 'NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
        { name: 'CPU', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
        { name: 'MEM', valueFrom: { resourceFieldRef: { containerName: 'c', resource: 'requests.memory', divisor: '1Mi' } } },
        { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'mode', optional: true } } },
        { name: 'PASS', valueFrom: { secretKeyRef: { name: 'creds', key: 'password' } } },
      ],
      envFrom: [{ configMapRef: { name: 'cfg' } }, { prefix: 'DB_', secretRef: { name: 'creds', optional: true } }],
    });
    assert.deepEqual(errorsOf(p), []);
  });

  const cases: [string, Obj, string[]][] = [
    [
      'valueFrom with two sources',
      { env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'metadata.name' }, configMapKeyRef: { name: 'a', key: 'b' } } }] },
      ['spec.containers[0].env[0].valueFrom: Invalid value: "": may not have more than one field specified at a time'],
    ],
    [
      'valueFrom with none',
      { env: [{ name: 'X', valueFrom: {} }] },
      ['spec.containers[0].env[0].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'],
    ],
    [
      'value and valueFrom',
      { env: [{ name: 'X', value: 'v', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] },
      ['spec.containers[0].env[0].valueFrom: Invalid value: "": may not be specified when `value` is not empty'],
    ],
    [
      'a key reference without key',
      { env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's' } } }] },
      ['spec.containers[0].env[0].valueFrom.secretKeyRef.key: Required value'],
    ],
    [
      'a key that is no config key',
      { env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'a', key: 'a/b' } } }] },
      ['spec.containers[0].env[0].valueFrom.configMapKeyRef.a/b: Invalid value: "a/b": a valid config key must consist of alphanumeric characters'],
    ],
    [
      'an unknown resource',
      { env: [{ name: 'X', valueFrom: { resourceFieldRef: { resource: 'limits.gpu' } } }] },
      ['spec.containers[0].env[0].valueFrom.resourceFieldRef.resource: Unsupported value: "limits.gpu"'],
    ],
    [
      'a cpu divisor that is not 1 or 1m',
      { env: [{ name: 'X', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '2' } } }] },
      ['spec.containers[0].env[0].valueFrom.resourceFieldRef.divisor: Invalid value: "2": only divisor\'s values 1m and 1 are supported with the cpu resource'],
    ],
    [
      'envFrom with both sources',
      { envFrom: [{ configMapRef: { name: 'a' }, secretRef: { name: 'b' } }] },
      ['spec.containers[0].envFrom[0]: Invalid value: "": may not have more than one field specified at a time'],
    ],
    [
      'envFrom with none',
      { envFrom: [{ prefix: 'X_' }] },
      ['spec.containers[0].envFrom[0]: Invalid value: "": must specify one of: `configMapRef` or `secretRef`'],
    ],
    [
      'an envFrom prefix that is no variable name',
      { envFrom: [{ prefix: '1X', configMapRef: { name: 'a' } }] },
      ['spec.containers[0].envFrom[0].prefix: Invalid value: "1X": a valid environment variable name'],
    ],
  ];
  for (const [name, container, want] of cases) {
    it(`refuses ${name}`, () => {
      const got = errorsOf(pod(container));
      assert.equal(got.length, want.length, JSON.stringify(got));
      want.forEach((w, i) => assert.ok(got[i]!.startsWith(w), `${got[i]} should start with ${w}`));
    });
  }
});

describe('config: validation of volumes and mounts', () => {
  it('accepts every volume source kip knows', () => {
    const p = pod(
      {
        volumeMounts: [
          { name: 'cache', mountPath: '/cache' },
          { name: 'cfg', mountPath: '/etc/cfg', readOnly: true, subPath: 'app' },
        ],
      },
      [
        { name: 'cache', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
        { name: 'cfg', configMap: { name: 'cfg', items: [{ key: 'a', path: 'app/a.conf', mode: 0o600 }], defaultMode: 0o644, optional: false } },
        { name: 'sec', secret: { secretName: 'creds', defaultMode: 256 } },
        {
          name: 'info',
          downwardAPI: {
            items: [
              { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
              { path: 'cpu', resourceFieldRef: { containerName: 'c', resource: 'limits.cpu' } },
            ],
          },
        },
        {
          name: 'all',
          projected: {
            sources: [
              { configMap: { name: 'cfg' } },
              { secret: { name: 'creds', items: [{ key: 'k', path: 'k' }] } },
              { downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
            ],
          },
        },
        { name: 'host', hostPath: { path: '/tmp', type: 'Directory' } },
        { name: 'data', persistentVolumeClaim: { claimName: 'data', readOnly: true } },
      ],
    );
    assert.deepEqual(errorsOf(p), []);
  });

  const cases: [string, Obj, unknown[], string[]][] = [
    ['a volume without a source', {}, [{ name: 'v' }], ['spec.volumes[0]: Required value: must specify a volume type']],
    [
      'a volume with two sources',
      {},
      [{ name: 'v', emptyDir: {}, hostPath: { path: '/tmp' } }],
      ['spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type'],
    ],
    [
      'duplicate volume names',
      {},
      [
        { name: 'v', emptyDir: {} },
        { name: 'v', emptyDir: {} },
      ],
      ['spec.volumes[1].name: Duplicate value: "v"'],
    ],
    ['a volume name that is no DNS label', {}, [{ name: 'V_1', emptyDir: {} }], ['spec.volumes[0].name: Invalid value: "V_1"']],
    ['a mount of no volume', { volumeMounts: [{ name: 'nope', mountPath: '/x' }] }, [], ['spec.containers[0].volumeMounts[0].name: Not found: "nope"']],
    [
      'a mount without mountPath',
      { volumeMounts: [{ name: 'v' }] },
      [{ name: 'v', emptyDir: {} }],
      ['spec.containers[0].volumeMounts[0].mountPath: Required value'],
    ],
    [
      'two mounts at one path',
      {
        volumeMounts: [
          { name: 'v', mountPath: '/x' },
          { name: 'w', mountPath: '/x' },
        ],
      },
      [
        { name: 'v', emptyDir: {} },
        { name: 'w', emptyDir: {} },
      ],
      ['spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/x": must be unique'],
    ],
    [
      'a subPath leaving the volume',
      { volumeMounts: [{ name: 'v', mountPath: '/x', subPath: '../etc' }] },
      [{ name: 'v', emptyDir: {} }],
      ['spec.containers[0].volumeMounts[0].subPath: Invalid value: "../etc": must not contain \'..\''],
    ],
    [
      'an item path with ..',
      {},
      [{ name: 'v', configMap: { name: 'c', items: [{ key: 'k', path: '../k' }] } }],
      ['spec.volumes[0].configMap.items[0].path: Invalid value: "../k": must not contain \'..\''],
    ],
    [
      'an absolute item path',
      {},
      [{ name: 'v', secret: { secretName: 's', items: [{ key: 'k', path: '/k' }] } }],
      ['spec.volumes[0].secret.items[0].path: Invalid value: "/k": must be a relative path'],
    ],
    [
      'a mode above 0777',
      {},
      [{ name: 'v', configMap: { name: 'c', defaultMode: 0o1000 } }],
      ['spec.volumes[0].configMap.defaultMode: Invalid value: 512: must be a number between 0 and 0777 (octal), both inclusive'],
    ],
    ['a configMap volume without name', {}, [{ name: 'v', configMap: {} }], ['spec.volumes[0].configMap.name: Required value']],
    [
      'a downward API file with both references',
      {},
      [
        {
          name: 'v',
          downwardAPI: { items: [{ path: 'x', fieldRef: { fieldPath: 'metadata.name' }, resourceFieldRef: { containerName: 'c', resource: 'limits.cpu' } }] },
        },
      ],
      ['spec.volumes[0].downwardAPI.items[0]: Invalid value: fieldRef and resourceFieldRef can not be specified simultaneously'],
    ],
    [
      'a downward API file of a field only env has',
      {},
      [{ name: 'v', downwardAPI: { items: [{ path: 'x', fieldRef: { fieldPath: 'status.podIP' } }] } }],
      ['spec.volumes[0].downwardAPI.items[0].fieldRef.fieldPath: Unsupported value: "status.podIP"'],
    ],
    [
      'a downward API resource without containerName',
      {},
      [{ name: 'v', downwardAPI: { items: [{ path: 'x', resourceFieldRef: { resource: 'limits.cpu' } }] } }],
      ['spec.volumes[0].downwardAPI.items[0].resourceFieldRef.containerName: Required value'],
    ],
    [
      'a projected source with two kinds',
      {},
      [{ name: 'v', projected: { sources: [{ configMap: { name: 'a' }, secret: { name: 'b' } }] } }],
      ['spec.volumes[0].projected.sources[0]: Forbidden: may not specify more than 1 volume type per source'],
    ],
    ['an unknown hostPath type', {}, [{ name: 'v', hostPath: { path: '/tmp', type: 'Dir' } }], ['spec.volumes[0].hostPath.type: Unsupported value: "Dir"']],
    ['a pvc without claimName', {}, [{ name: 'v', persistentVolumeClaim: {} }], ['spec.volumes[0].persistentVolumeClaim.claimName: Required value']],
  ];
  for (const [name, container, volumes, want] of cases) {
    it(`refuses ${name}`, () => {
      const got = errorsOf(pod(container, volumes));
      assert.equal(got.length, want.length, JSON.stringify(got));
      want.forEach((w, i) => assert.ok(got[i]!.startsWith(w), `${got[i]} should start with ${w}`));
    });
  }

  it('defaults file modes to 0644 and a fieldRef to apiVersion v1', () => {
    const p = pod({ env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] }, [
      { name: 'a', configMap: { name: 'c' } },
      { name: 'b', secret: { secretName: 's' } },
      { name: 'd', downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] } },
    ]) as unknown as Pod;
    applyDefaults(p, true);
    assert.equal(p.spec.volumes![0]!.configMap!.defaultMode, 0o644);
    assert.equal(p.spec.volumes![1]!.secret!.defaultMode, 0o644);
    assert.equal(p.spec.volumes![2]!.downwardAPI!.items![0]!.fieldRef!.apiVersion, 'v1');
    assert.equal(p.spec.containers[0]!.env![0]!.valueFrom!.fieldRef!.apiVersion, 'v1');
  });
});

describe('config: ConfigMap and Secret kinds', () => {
  const cm = (extra: Obj): Obj => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'default' }, ...extra });
  const secret = (extra: Obj): Obj => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' }, ...extra });

  it('accepts data, binaryData and immutable', () => {
    assert.deepEqual(errorsOf(cm({ data: { 'app.conf': 'x=1', KEY_1: 'v' }, binaryData: { 'logo.png': 'iVBORw0KGgo=' }, immutable: true })), []);
  });

  it('refuses bad keys, a key in both maps, and binaryData that is not base64', () => {
    assert.deepEqual(
      errorsOf(cm({ data: { 'a/b': 'x', '..x': 'y' } })).map((e) => e.split(':')[0]),
      ['data.a/b', 'data...x'],
    );
    assert.deepEqual(errorsOf(cm({ data: { k: 'x' }, binaryData: { k: 'eA==' } })), ['data.k: Invalid value: "k": duplicate of key present in binaryData']);
    assert.deepEqual(errorsOf(cm({ binaryData: { k: 'not base64!' } })), [
      'binaryData.k: Invalid value: "<secret contents redacted>": illegal base64 data at input byte 3',
    ]);
  });

  it('refuses secret data that is not base64, and a typed secret without its keys', () => {
    assert.deepEqual(errorsOf(secret({ data: { password: 'abc' } })), [
      'data.password: Invalid value: "<secret contents redacted>": illegal base64 data at input byte 0',
    ]);
    assert.deepEqual(errorsOf(secret({ type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } })), ['data[tls.key]: Required value']);
  });

  it('merges stringData into data, base64, its keys winning, and defaults the type', () => {
    const s = secret({
      data: { user: Buffer.from('old').toString('base64'), keep: 'eA==' },
      stringData: { user: 'admin', password: 'p@ss wörd' },
    }) as unknown as Secret;
    assert.deepEqual(errorsOf(s as unknown as Obj), []);
    mergeStringData(s);
    assert.equal(s.stringData, undefined);
    assert.equal(s.type, 'Opaque');
    assert.deepEqual(s.data, { user: Buffer.from('admin').toString('base64'), keep: 'eA==', password: Buffer.from('p@ss wörd').toString('base64') });
  });

  it('refuses changing the data of an immutable object, or a secret type', () => {
    const def = kindDefinition('ConfigMap')!;
    const old = cm({ data: { a: '1' }, immutable: true }) as unknown as ConfigMap;
    assert.deepEqual(def.validateUpdate!(cm({ data: { a: '2' }, immutable: true }) as never, old as never), [
      { field: 'data', message: 'Forbidden: field is immutable when `immutable` is set' },
    ]);
    assert.deepEqual(def.validateUpdate!(cm({ data: { a: '1' }, immutable: false }) as never, old as never), [
      { field: 'immutable', message: 'Forbidden: field is immutable when `immutable` is set' },
    ]);
    assert.deepEqual(def.validateUpdate!(cm({ data: { a: '2' } }) as never, cm({ data: { a: '1' } }) as never), []);
    const sdef = kindDefinition('Secret')!;
    assert.deepEqual(sdef.validateUpdate!(secret({ type: 'kubernetes.io/basic-auth' }) as never, secret({ type: 'Opaque' }) as never), [
      { field: 'type', message: 'Invalid value: "kubernetes.io/basic-auth": field is immutable' },
    ]);
  });

  it("prints kubectl's columns: DATA for ConfigMaps, TYPE and DATA for Secrets", () => {
    const cmDef = kindDefinition('ConfigMap')!;
    assert.deepEqual(cmDef.columns!.headers, ['DATA', 'AGE']);
    assert.equal(cmDef.columns!.cells(cm({ data: { a: '1' }, binaryData: { b: 'eA==' } }) as never, Date.now())[0], '2');
    const sDef = kindDefinition('Secret')!;
    assert.deepEqual(sDef.columns!.headers, ['TYPE', 'DATA', 'AGE']);
    assert.deepEqual(sDef.columns!.cells(secret({ type: 'Opaque', data: { a: 'eA==' } }) as never, Date.now()).slice(0, 2), ['Opaque', '1']);
  });
});
