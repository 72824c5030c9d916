// Files that hold secrets (the join token, the admin token, a kubeconfig): written readable by
// their owner only, and refused when anyone else can read them, as ssh refuses a private key that
// others can read: a token others can read lets every local user run processes as its owner.

import { readFileSync, statSync } from 'node:fs';

export class SecretFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretFileError';
  }
}

/** The file's text, trimmed; throws SecretFileError when group or others may read or write it. */
export function readSecretFile(file: string): string {
  const mode = statSync(file).mode & 0o777;
  if (mode & 0o077)
    throw new SecretFileError(`${file} is accessible by others (mode ${mode.toString(8).padStart(4, '0')}); it holds a secret: chmod 600 ${file}`);
  return readFileSync(file, 'utf8').trim();
}
