// Static web servers: nginx, httpd and caddy. Each is kip's static-http program in the image's
// manner: its default page ("Welcome to nginx!", "It works!"), its document root, its access log
// and its command line (`nginx -g 'daemon off;'`, `httpd-foreground`, `caddy run ...`), serving on
// the container's declared port (80 when none). The document root is the image's real path when
// it exists (a pod with its own filesystem, or a volume mounted there), else the same path under
// the pod's directory (static-http.ts), given as KIP_DOCUMENT_ROOT.

import type { CatalogImage } from './types.js';

export const WEB_SERVER_IMAGES: readonly CatalogImage[] = [
  {
    name: 'nginx',
    repositories: ['nginx', 'nginxinc/nginx-unprivileged', 'bitnami/nginx'],
    // The StatefulSet tutorial's registry.k8s.io/nginx-slim is nginx too.
    lastSegments: ['nginx-slim'],
    description: 'nginx: serves /usr/share/nginx/html (default page "Welcome to nginx!") on the declared port',
    config: (_ref, host) => ({
      entrypoint: [],
      cmd: ['nginx', '-g', 'daemon off;'],
      env: { KIP_DOCUMENT_ROOT: '/usr/share/nginx/html' },
      ports: [80],
      path: [host.standIns('nginx', { nginx: host.program('static-http', 'nginx') })],
    }),
  },
  {
    name: 'httpd',
    repositories: ['httpd'],
    description: 'Apache httpd: serves /usr/local/apache2/htdocs (default page "It works!") on the declared port',
    config: (_ref, host) => {
      const httpd = host.program('static-http', 'httpd');
      return {
        entrypoint: [],
        cmd: ['httpd-foreground'],
        env: { KIP_DOCUMENT_ROOT: '/usr/local/apache2/htdocs' },
        ports: [80],
        path: [host.standIns('httpd', { 'httpd-foreground': httpd, httpd, apachectl: httpd })],
      };
    },
  },
  {
    name: 'caddy',
    repositories: ['caddy'],
    description: 'Caddy: serves /usr/share/caddy (default page "Caddy works!") on the declared port',
    config: (_ref, host) => ({
      entrypoint: [],
      cmd: ['caddy', 'run', '--config', '/etc/caddy/Caddyfile', '--adapter', 'caddyfile'],
      env: { KIP_DOCUMENT_ROOT: '/usr/share/caddy' },
      ports: [80],
      path: [host.standIns('caddy', { caddy: host.program('static-http', 'caddy') })],
    }),
  },
];
