// Trusting a control plane's own CA by its pin, as kubeadm join does with
// --discovery-token-ca-cert-hash: the agent opens one TLS connection that verifies nothing, takes
// the certificate in the served chain whose public key hashes to the pin, checks that it signed
// the server's certificate, and from then on dials with that CA as its only trust, so the normal
// TLS checks (signature, validity, host name) apply to every connection after.

import { createHash, X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';

export class CaPinError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CaPinError';
  }
}

/** "sha256:<64 hex>", as kubeadm prints it. */
export function isCaCertHash(s: string): boolean {
  return /^sha256:[0-9a-f]{64}$/i.test(s);
}

function spkiHash(cert: X509Certificate): string {
  return `sha256:${createHash('sha256')
    .update(cert.publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')}`;
}

function toPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}

/**
 * The PEM of the CA, in the chain `host:port` serves, whose key matches `pin`; throws CaPinError
 * when none does (a different cluster, or someone in between), or the connection's error.
 */
export function discoverPinnedCa(host: string, port: number, pin: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, rejectUnauthorized: false, timeout: timeoutMs }, () => {
      try {
        const chain: X509Certificate[] = [];
        let c: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
        const seen = new Set<string>();
        while (c?.raw && !seen.has(c.fingerprint256)) {
          seen.add(c.fingerprint256);
          chain.push(new X509Certificate(c.raw));
          c = c.issuerCertificate;
        }
        const leaf = chain[0];
        const ca = chain.find((cert) => spkiHash(cert).toLowerCase() === pin.toLowerCase());
        if (!leaf || !ca) throw new CaPinError(`no certificate served by ${host}:${port} matches the CA hash ${pin}: this is not the cluster that hash names`);
        if (ca !== leaf && !leaf.verify(ca.publicKey)) throw new CaPinError(`the serving certificate of ${host}:${port} is not signed by the pinned CA`);
        resolve(toPem(ca.raw));
      } catch (err) {
        reject(err);
      } finally {
        socket.destroy();
      }
    });
    socket.on('timeout', () => socket.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    socket.on('error', reject);
  });
}
