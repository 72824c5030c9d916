// The control plane's own certificate authority, as kubeadm makes one: a self-signed CA kept in
// <data-dir>/pki (ca.crt, ca.key) and a serving certificate it signs for the API's names
// (apiserver.crt, apiserver.key), made at the first start with --tls and reused after. Clients
// trust the CA (the kubeconfig carries it); agents pin it by the hash of its public key, given
// with the join token as kubeadm's --discovery-token-ca-cert-hash is.
//
// Keys come from Node's crypto (native, fast); node-forge writes the certificates, which Node
// cannot: it reads X.509 but has no API to issue it, and ASN.1 by hand is not worth our own code.

import { createHash, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import forge from 'node-forge';
import { readSecretFile } from '@kip/shared';

export interface ServingTls {
  /** The CA's certificate, PEM: what clients trust. */
  caPem: string;
  caFile: string;
  /** The serving certificate and its key, PEM. */
  certPem: string;
  keyPem: string;
  /** "sha256:<hex>" of the CA's SubjectPublicKeyInfo, as kubeadm prints it for pinning. */
  caCertHash: string;
}

const DAY_MS = 86_400_000;
const CA_DAYS = 3650;
const SERVING_DAYS = 365;
/** A serving certificate this close to its end is made again at start. */
const RENEW_BEFORE_MS = 30 * DAY_MS;

/** kubeadm's CA pin: the SHA-256 of the certificate's SubjectPublicKeyInfo, in hex. */
export function caCertHash(caPem: string): string {
  const spki = new X509Certificate(caPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

interface Issued {
  certPem: string;
  keyPem: string;
}

function newKey(): { forgeKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; keyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { forgeKey: forge.pki.privateKeyFromPem(privateKey), publicKey: forge.pki.publicKeyFromPem(publicKey), keyPem: privateKey };
}

function baseCertificate(publicKey: forge.pki.rsa.PublicKey, days: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // A positive serial: the top bit clear.
  cert.serialNumber = (randomBytes(16)[0]! & 0x7f).toString(16).padStart(2, '0') + randomBytes(15).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 5 * 60_000); // a little slack for clocks behind ours
  cert.validity.notAfter = new Date(Date.now() + days * DAY_MS);
  return cert;
}

function issueCa(): Issued {
  const k = newKey();
  const cert = baseCertificate(k.publicKey, CA_DAYS);
  const name = [{ name: 'commonName', value: 'kip-ca' }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(k.forgeKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: k.keyPem };
}

function issueServing(ca: Issued, names: readonly string[]): Issued {
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const k = newKey();
  const cert = baseCertificate(k.publicKey, SERVING_DAYS);
  cert.setSubject([{ name: 'commonName', value: 'kip-apiserver' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: names.map((n) => (isIP(n) ? { type: 7, ip: n } : { type: 2, value: n })) },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: k.keyPem };
}

/** Whether a serving certificate names every one of `names`, is signed by the CA and is not about to end. */
function stillServes(certPem: string, caPem: string, names: readonly string[]): boolean {
  try {
    const cert = new X509Certificate(certPem);
    if (!cert.verify(new X509Certificate(caPem).publicKey)) return false;
    if (Date.parse(cert.validTo) - Date.now() < RENEW_BEFORE_MS) return false;
    return names.every((n) => (isIP(n) ? cert.checkIP(n) !== undefined : cert.checkHost(n) !== undefined));
  } catch {
    return false;
  }
}

function writeFile(file: string, text: string, secret: boolean): void {
  writeFileSync(file, text, { mode: secret ? 0o600 : 0o644 });
}

/**
 * The CA and a serving certificate for `names` (host names and IP addresses the API is reached
 * by): those in <dataDir>/pki when they still serve, else made now and kept there.
 */
export function loadOrCreateTls(dataDir: string, names: readonly string[]): ServingTls {
  const dir = path.join(dataDir, 'pki');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const files = {
    caCrt: path.join(dir, 'ca.crt'),
    caKey: path.join(dir, 'ca.key'),
    crt: path.join(dir, 'apiserver.crt'),
    key: path.join(dir, 'apiserver.key'),
  };
  let ca: Issued;
  if (existsSync(files.caCrt)) {
    ca = { certPem: readFileSync(files.caCrt, 'utf8'), keyPem: readSecretFile(files.caKey) };
  } else {
    ca = issueCa();
    writeFile(files.caKey, ca.keyPem, true);
    writeFile(files.caCrt, ca.certPem, false);
  }
  let serving: Issued | undefined;
  if (existsSync(files.crt) && existsSync(files.key)) {
    const certPem = readFileSync(files.crt, 'utf8');
    if (stillServes(certPem, ca.certPem, names)) serving = { certPem, keyPem: readSecretFile(files.key) };
  }
  if (!serving) {
    serving = issueServing(ca, names);
    writeFile(files.key, serving.keyPem, true);
    writeFile(files.crt, serving.certPem, false);
  }
  return { caPem: ca.certPem, caFile: files.caCrt, certPem: serving.certPem, keyPem: serving.keyPem, caCertHash: caCertHash(ca.certPem) };
}
