import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Container } from '@kip/shared';
import { resolveProbePort, runProbe } from '@kip/agent';
import { ProbeState } from '@kip/agent';
import { GroupRegistry } from '@kip/agent';

const container: Container = { name: 'web', ports: [{ name: 'http', containerPort: 8080 }, { containerPort: 9090 }] };
const hostPorts = { 'web/8080': 41000, 'web/9090': 41001 };

describe('kubelet probes (pure parts and handlers)', () => {
  it('resolves probe ports to host ports', () => {
    assert.deepEqual(resolveProbePort('http', container, hostPorts), { port: 41000 });
    assert.deepEqual(resolveProbePort(8080, container, hostPorts), { port: 41000 });
    assert.deepEqual(resolveProbePort('9090', container, hostPorts), { port: 41001 });
    assert.deepEqual(resolveProbePort(7000, container, hostPorts), { port: 7000 }, 'an undeclared port is dialled as it is');
    assert.deepEqual(resolveProbePort('admin', container, hostPorts), { error: 'port "admin" is not a named port of container "web"' });
    assert.ok('error' in resolveProbePort(0, container, hostPorts));
  });

  it('applies success and failure thresholds', () => {
    const readiness = new ProbeState(2, 3, undefined);
    assert.equal(readiness.record(true), undefined);
    assert.equal(readiness.record(true), true);
    assert.equal(readiness.record(true), undefined);
    assert.equal(readiness.record(false), undefined);
    assert.equal(readiness.record(false), undefined);
    assert.equal(readiness.record(true), undefined, 'a success resets the failure count');
    assert.equal(readiness.record(false), undefined);
    assert.equal(readiness.record(false), undefined);
    assert.equal(readiness.record(false), false);
    const liveness = new ProbeState(1, 1, true);
    assert.equal(liveness.record(true), undefined);
    assert.equal(liveness.record(false), false);
  });

  it('runs http, tcp and exec handlers against real endpoints', async () => {
    const srv = http.createServer((req, res) => {
      res.statusCode = req.url === '/ok' ? 200 : req.url === '/redirect' ? 302 : 500;
      res.end();
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as AddressInfo).port;
    const groups = new GroupRegistry();
    const t = { container, hostPorts: { 'web/8080': port }, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, cwd: '/', groups };
    try {
      const probe = { timeoutSeconds: 1 };
      assert.deepEqual(await runProbe({ ...probe, httpGet: { port: 'http', path: '/ok' } }, t, '10.244.1.2'), { ok: true, message: '' });
      assert.equal((await runProbe({ ...probe, httpGet: { port: 8080, path: '/redirect' } }, t, '10.244.1.2')).ok, true);
      assert.deepEqual(await runProbe({ ...probe, httpGet: { port: 'http', path: '/bad' } }, t, '10.244.1.2'), {
        ok: false,
        message: 'HTTP probe failed with statuscode: 500',
      });
      assert.equal((await runProbe({ ...probe, tcpSocket: { port: 'http' } }, t, '10.244.1.2')).ok, true);
      assert.deepEqual(await runProbe({ ...probe, exec: { command: ['sh', '-c', 'echo fine'] } }, t, ''), { ok: true, message: 'fine' });
      assert.deepEqual(await runProbe({ ...probe, exec: { command: ['sh', '-c', 'echo broken >&2; exit 3'] } }, t, ''), { ok: false, message: 'broken' });
      const slow = await runProbe({ ...probe, exec: { command: ['sleep', '5'] } }, t, '');
      assert.deepEqual(slow, { ok: false, message: 'command "sleep 5" timed out' });
      assert.equal(groups.size, 0, 'every probe process group is gone');
    } finally {
      srv.close();
    }
  });
});
