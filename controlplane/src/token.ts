// The cluster's secrets, generated at first start and kept in the data dir (mode 0600): the join
// token, required of every agent's hello and every agent-to-agent tunnel, and the admin token,
// required of every API request.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readSecretFile } from '@kip/shared';
import path from 'node:path';

export function tokenPath(dataDir: string): string {
  return path.join(dataDir, 'token');
}

/** Where the admin bearer token lives (the kubeconfig carries it too). */
export function adminTokenPath(dataDir: string): string {
  return path.join(dataDir, 'admin-token');
}

/** The cluster join token, made at first start. */
export function loadOrCreateToken(dataDir: string): string {
  return loadOrCreateSecret(dataDir, tokenPath(dataDir));
}

/** The admin bearer token of the API, made at first start. */
export function loadOrCreateAdminToken(dataDir: string): string {
  return loadOrCreateSecret(dataDir, adminTokenPath(dataDir));
}

/** A random secret kept in `file` (mode 0600): the one there, or a new one. */
function loadOrCreateSecret(dataDir: string, file: string): string {
  try {
    const t = readSecretFile(file);
    if (t) return t;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(24).toString('hex');
  writeFileSync(file, token + '\n', { mode: 0o600, flag: 'wx' });
  return token;
}

/**
 * Whether a secret someone gave is the expected one, in time that depends on neither: both are
 * hashed first, so not even their lengths show in how long the comparison takes.
 */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Whether an Authorization header carries the expected bearer token. */
export function bearerMatches(header: string | undefined, expected: string): boolean {
  const m = /^Bearer (.*)$/.exec(header ?? '');
  return tokenMatches(m?.[1] ?? undefined, expected);
}
