// The cluster join token: generated at first start, kept in the data dir (mode 0600), and required
// of every agent's hello and every agent-to-agent tunnel.

import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function tokenPath(dataDir: string): string {
  return path.join(dataDir, 'token');
}

export function loadOrCreateToken(dataDir: string): string {
  const file = tokenPath(dataDir);
  try {
    const t = readFileSync(file, 'utf8').trim();
    if (t) return t;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true });
  const token = randomBytes(24).toString('hex');
  writeFileSync(file, token + '\n', { mode: 0o600, flag: 'wx' });
  return token;
}
