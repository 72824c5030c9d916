import assert from 'node:assert/strict';
import type { Pod, Service } from '@kip/shared';
import { checkRemotePort, parsePortSpec } from '@kip/scripts';
import { pod } from './fixtures.js';

describe('kip port-forward port specs', function () {
  const cases: [string, { local: number; remote: string }][] = [
    ['8080:80', { local: 8080, remote: '80' }],
    [':80', { local: 0, remote: '80' }],
    ['80', { local: 80, remote: '80' }],
    ['9000:http', { local: 9000, remote: 'http' }],
    [':http', { local: 0, remote: 'http' }],
  ];
  for (const [spec, want] of cases) it(`reads ${spec}`, () => assert.deepEqual(parsePortSpec(spec), want));

  for (const bad of ['80:', 'a:b:c', '70000:80', '8080:0', 'HTTP'])
    it(`refuses ${bad} with a usage error`, () => assert.throws(() => parsePortSpec(bad), /invalid/));
});

describe('kip port-forward remote ports, checked before listening', function () {
  const svc: Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'default' },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  };
  const web: Pod = pod('web-1');
  web.spec.containers[0]!.ports = [{ name: 'http', containerPort: 8080 }];

  it('takes a service port by number or by name', () => {
    checkRemotePort(svc, '80');
    checkRemotePort(svc, 'http');
  });
  it("refuses a service port the service does not have, in kubectl's words", () => {
    assert.throws(() => checkRemotePort(svc, '8080'), /^CliError: Service web does not have a service port 8080$/);
    assert.throws(() => checkRemotePort(svc, 'abc'), /^CliError: Service 'web' does not have a named port 'abc'$/);
  });
  it('takes a declared container port of a pod by number or by name', () => {
    checkRemotePort(web, '8080');
    checkRemotePort(web, 'http');
  });
  it('refuses a pod port that is not declared, saying which are', () => {
    assert.throws(() => checkRemotePort(web, 'abc'), /^CliError: Pod 'web-1' does not have a named port 'abc'$/);
    assert.throws(() => checkRemotePort(web, '9999'), /declares no container port 9999 \(declared: 8080\)/);
    assert.throws(() => checkRemotePort(pod('bare'), '80'), /it declares none/);
  });
});
