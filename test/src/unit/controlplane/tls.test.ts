// The control plane's own CA and serving certificate (--tls): made once in <data-dir>/pki, reused,
// remade when the API gets a new name; clients that trust the CA talk HTTPS to it, others are
// refused by TLS itself; and serving beyond loopback without TLS is refused at start.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '@kip/shared';
import { ControlPlane } from '@kip/controlplane';
import { loadOrCreateTls } from '@kip/controlplane';
import { CONTROLPLANE_MAIN } from '../../helpers/cluster.js';

function get(url: string, ca?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('controlplane: TLS with its own CA', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'kip-tls-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('makes a CA and a serving certificate for the names, keeps the keys private, and reuses them', () => {
    const a = loadOrCreateTls(dir, ['localhost', '127.0.0.1']);
    const cert = new X509Certificate(a.certPem);
    assert.ok(cert.verify(new X509Certificate(a.caPem).publicKey), 'signed by the CA');
    assert.equal(cert.checkHost('localhost'), 'localhost');
    assert.equal(cert.checkIP('127.0.0.1'), '127.0.0.1');
    for (const key of ['ca.key', 'apiserver.key']) assert.equal(statSync(path.join(dir, 'pki', key)).mode & 0o777, 0o600, key);
    // kubeadm's pin: sha256 of the CA's SubjectPublicKeyInfo.
    const spki = new X509Certificate(readFileSync(a.caFile, 'utf8')).publicKey.export({ type: 'spki', format: 'der' });
    assert.equal(a.caCertHash, `sha256:${createHash('sha256').update(spki).digest('hex')}`);

    const again = loadOrCreateTls(dir, ['localhost', '127.0.0.1']);
    assert.equal(again.certPem, a.certPem, 'the same certificate while it still serves');
    const renamed = loadOrCreateTls(dir, ['localhost', '127.0.0.1', 'kip.example']);
    assert.notEqual(renamed.certPem, a.certPem, 'a new name needs a new certificate');
    assert.equal(renamed.caPem, a.caPem, 'from the same CA');
    assert.equal(new X509Certificate(renamed.certPem).checkHost('kip.example'), 'kip.example');
  });

  it('serves HTTPS to a client that trusts the CA, and TLS refuses one that does not', async () => {
    const tls = loadOrCreateTls(dir, ['localhost', '127.0.0.1']);
    const cp = new ControlPlane({ joinToken: 'j', log: silentLogger, port: 0, tls });
    const { url } = await cp.start();
    try {
      assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const res = await get(`${url}/api/v1/namespaces`, tls.caPem);
      assert.equal(res.status, 200, res.body);
      await assert.rejects(get(`${url}/api/v1/namespaces`), /unable to verify the first certificate|self[- ]signed certificate/);
    } finally {
      await cp.stop();
    }
  });

  it('refuses to listen beyond loopback without --tls', () => {
    const r = spawnSync(process.execPath, [CONTROLPLANE_MAIN, '--port', '0', '--data-dir', dir, '--listen', '0.0.0.0'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--listen 0\.0\.0\.0: serving beyond this machine needs --tls/);
  });
});
