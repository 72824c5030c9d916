// The real kubectl, which every machine kip is built on has (kubectl 1.32 at /usr/bin/kubectl):
// tests that run it fail, naming what is missing, rather than pass without having run.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';

export const KUBECTL = '/usr/bin/kubectl';

/** Throws when kubectl is not installed, saying how to get it. */
export function requireKubectl(): void {
  if (!existsSync(KUBECTL)) throw new Error(`${KUBECTL} is missing: these tests run the real kubectl; install kubectl 1.32 there`);
}

export interface KubectlRun {
  code: number;
  out: string;
  err: string;
}

/** Runs kubectl with a kubeconfig (and, if given, its own discovery cache); resolves with what it said. */
export function runKubectl(
  args: string[],
  opts: { kubeconfig: string; cacheDir?: string; timeoutMs?: number; input?: string; env?: Record<string, string> },
): Promise<KubectlRun> {
  // opts.env: more of the environment, such as the EDITOR `kubectl edit` runs.
  const env = { ...process.env, KUBECONFIG: opts.kubeconfig, ...(opts.cacheDir ? { KUBECACHEDIR: opts.cacheDir } : {}), ...opts.env };
  return new Promise((resolve) => {
    const child = execFile(KUBECTL, args, { env, timeout: opts.timeoutMs ?? 60_000 }, (error, out, err) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out, err });
    });
    // What a user would pipe in (`echo hi | kubectl exec -i ...`); without it, stdin is closed.
    child.stdin?.end(opts.input ?? '');
  });
}
