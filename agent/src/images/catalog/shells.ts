// Shell images: busybox, alpine, debian, ubuntu, bash. `command`/`args` run with the host's tools
// in the pod's directory, so `sh -c 'echo hello; sleep 3600'` and the docs' loops work as written.
// In front of PATH goes a directory of stand-ins for the busybox applets a manifest relies on and
// a host may lack or spell differently: `wget` (busybox's flags, through the agent's HTTP proxy
// so pod and Service IPs answer), `busybox <applet>` itself, and `sh` as bash (ash's [[ ]] and
// echo -e, which dash lacks).

import type { CatalogImage, ImageHost } from './types.js';

function shellPath(host: ImageHost): string[] {
  // busybox's sh (ash) has [[ ]] and echo -e, which the docs' loops use and a host's dash lacks:
  // bash has both, so `sh` here is bash where the host has it.
  const bash = host.which('bash');
  return [host.standIns('busybox', { wget: host.program('wget'), busybox: [], ...(bash ? { sh: [bash] } : {}) })];
}

function shellImage(name: string, description: string, cmd: string[], lastSegments: string[] = []): CatalogImage {
  return {
    name,
    repositories: [name],
    lastSegments,
    description,
    config: (_ref, host) => ({ entrypoint: [], cmd, path: shellPath(host) }),
  };
}

export const SHELL_IMAGES: readonly CatalogImage[] = [
  // registry.k8s.io/busybox and gcr.io/google-containers/busybox are busybox too.
  shellImage('busybox', 'a shell: runs `command` with the host tools and a busybox-style wget', ['sh'], ['busybox']),
  shellImage('alpine', 'a shell: runs `command` with the host tools and a busybox-style wget', ['/bin/sh'], ['alpine']),
  shellImage('debian', 'a shell: runs `command` with the host tools', ['bash']),
  shellImage('ubuntu', 'a shell: runs `command` with the host tools', ['/bin/bash']),
  shellImage('bash', 'a shell: runs `command` with the host tools', ['bash']),
];
