// The real kubectl, which every machine kip is built on has (kubectl 1.32 at /usr/bin/kubectl):
// tests that run it fail, naming what is missing, rather than pass without having run.

import { existsSync } from 'node:fs';

export const KUBECTL = '/usr/bin/kubectl';

/** Throws when kubectl is not installed, saying how to get it. */
export function requireKubectl(): void {
  if (!existsSync(KUBECTL)) throw new Error(`${KUBECTL} is missing: these tests run the real kubectl; install kubectl 1.32 there`);
}
