// The cluster join token: generated at first start, kept in the data dir (mode 0600), and required
// of every agent's hello and every agent-to-agent tunnel.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { readSecretFile } from '@kip/shared';
import path from 'node:path';

export function tokenPath(dataDir: string): string {
  return path.join(dataDir, 'token');
}

export function loadOrCreateToken(dataDir: string): string {
  const file = tokenPath(dataDir);
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
