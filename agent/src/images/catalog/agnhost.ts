// agnhost, the Kubernetes e2e test image, and the single-purpose images it replaced, which the
// docs still use: registry.k8s.io/liveness (`/server`, agnhost liveness), goproxy (an HTTP proxy on
// 8080), serve_hostname, netexec, test-webserver, and echoserver (the request described back). All
// of them are kip's agnhost program; the old images' entrypoints (`/server`, `/netexec`...) are
// stand-ins that run its subcommand.

import type { CatalogImage, ImageHost } from './types.js';

function agnhostPath(host: ImageHost): string[] {
  const agnhost = host.program('agnhost');
  return [
    host.standIns('agnhost', {
      agnhost,
      server: [...agnhost, 'liveness'],
      goproxy: [...agnhost, 'goproxy'],
      serve_hostname: [...agnhost, 'serve-hostname'],
      'serve-hostname': [...agnhost, 'serve-hostname'],
      netexec: [...agnhost, 'netexec'],
      'test-webserver': [...agnhost, 'test-webserver'],
      echoserver: [...agnhost, 'echoserver'],
    }),
  ];
}

function ancestor(name: string, lastSegments: string[], cmd: string, description: string): CatalogImage {
  return { name, repositories: [], lastSegments, description, config: (_ref, host) => ({ entrypoint: [], cmd: [cmd], path: agnhostPath(host) }) };
}

export const AGNHOST_IMAGES: readonly CatalogImage[] = [
  {
    name: 'agnhost',
    repositories: ['e2e-test-images/agnhost'],
    lastSegments: ['agnhost'],
    description: 'agnhost: liveness, netexec, serve-hostname, pause, test-webserver',
    config: (_ref, host) => ({ entrypoint: ['/agnhost'], cmd: ['pause'], path: agnhostPath(host) }),
  },
  ancestor('liveness', ['liveness'], '/server', 'agnhost liveness: /healthz answers 200 for 10 s, then 500 (port 8080)'),
  ancestor('goproxy', ['goproxy'], '/goproxy', 'an HTTP proxy on port 8080'),
  ancestor('serve_hostname', ['serve_hostname', 'serve-hostname'], '/serve_hostname', 'answers its hostname (the pod name) on port 9376'),
  ancestor('netexec', ['netexec'], '/netexec', 'agnhost netexec (--http-port=8080)'),
  ancestor('test-webserver', ['test-webserver'], '/test-webserver', 'agnhost test-webserver (port 80)'),
  ancestor('echoserver', ['echoserver'], '/echoserver', 'describes each request back (port 8080)'),
];
