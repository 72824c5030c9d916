// The static web server behind the nginx, httpd and caddy images: `static-http <flavor> [the
// server's own arguments]`. It serves the files under the image's document root, falling back to
// the image's default page as the image ships it, on the container's declared port (80 when none),
// and logs each request as the real server does (nginx's "main" format, httpd's common format;
// caddy logs none by default). The server's flags are read as far as manifests use them and
// otherwise accepted harmlessly (`nginx -g 'daemon off;'`, `caddy run --config ...`).

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';

type Flavor = 'nginx' | 'httpd' | 'caddy';

interface FlavorInfo {
  server: string;
  version: string;
  root: string;
  files: Record<string, string>;
  notFound: string;
  forbidden: string;
}

const NGINX_INDEX = `<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
`;

const NGINX_50X = `<!DOCTYPE html>
<html>
<head>
<title>Error</title>
</head>
<body>
<h1>An error occurred.</h1>
<p>Sorry, the page you are looking for is currently unavailable.<br/>
Please try again later.</p>
</body>
</html>
`;

const nginxError = (status: string) =>
  `<html>\r\n<head><title>${status}</title></head>\r\n<body>\r\n<center><h1>${status}</h1></center>\r\n<hr><center>nginx/1.27.3</center>\r\n</body>\r\n</html>\r\n`;

const apacheError = (title: string, text: string) =>
  `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>${title}</title>\n</head><body>\n<h1>${title.replace(/^\d+ /, '')}</h1>\n<p>${text}</p>\n</body></html>\n`;

const FLAVORS: Record<Flavor, FlavorInfo> = {
  nginx: {
    server: 'nginx/1.27.3',
    version: 'nginx version: nginx/1.27.3',
    root: '/usr/share/nginx/html',
    files: { 'index.html': NGINX_INDEX, '50x.html': NGINX_50X },
    notFound: nginxError('404 Not Found'),
    forbidden: nginxError('403 Forbidden'),
  },
  httpd: {
    server: 'Apache/2.4.62 (Unix)',
    version: 'Server version: Apache/2.4.62 (Unix)',
    root: '/usr/local/apache2/htdocs',
    files: { 'index.html': '<html><body><h1>It works!</h1></body></html>\n' },
    notFound: apacheError('404 Not Found', 'The requested URL was not found on this server.'),
    forbidden: apacheError('403 Forbidden', "You don't have permission to access this resource."),
  },
  caddy: {
    server: 'Caddy',
    version: 'v2.8.4',
    root: '/usr/share/caddy',
    files: {
      'index.html':
        '<!DOCTYPE html>\n<html>\n<head>\n<title>Caddy works!</title>\n</head>\n<body>\n<h1>Caddy works!</h1>\n<p>This page is served by the caddy image: replace it by putting your site in /usr/share/caddy.</p>\n</body>\n</html>\n',
    },
    notFound: '',
    forbidden: '',
  },
};

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.htm': 'text/html',
  '.txt': 'text/plain',
  '.css': 'text/css',
  '.js': 'application/javascript',
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.xml': 'text/xml',
  '.wasm': 'application/wasm',
};

function fail(flavor: string, msg: string, code = 1): never {
  process.stderr.write(`${flavor}: ${msg}\n`);
  process.exit(code);
}

const [flavorArg, ...args] = process.argv.slice(2);
if (flavorArg !== 'nginx' && flavorArg !== 'httpd' && flavorArg !== 'caddy')
  fail('static-http', `unknown server "${flavorArg ?? ''}": nginx, httpd or caddy`, 2);
const flavor: Flavor = flavorArg;
const info = FLAVORS[flavor];

/** What the command line asks for: a listen port or root where the server's flags say one, or a command that only prints. */
interface Wanted {
  port?: number;
  root?: string;
  /** The command prints this and exits 0 (`nginx -v`, `caddy version`). */
  print?: string;
}

function nginxArgs(argv: string[]): Wanted {
  const w: Wanted = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-g') {
      const directives = argv[++i] ?? fail('nginx', 'option "-g" requires parameter');
      const listen = /(?:^|;)\s*listen\s+(?:[^;\s]*:)?(\d+)[^;]*;/.exec(directives);
      if (listen) w.port = Number(listen[1]);
    } else if (a === '-c' || a === '-p' || a === '-e') i++;
    else if (a === '-s') {
      i++;
      w.print = '';
    } else if (a === '-v') w.print = info.version;
    else if (a === '-V') w.print = `${info.version}\nbuilt by kip (a stand-in: static files and the default page)`;
    else if (a === '-t' || a === '-T' || a === '-q')
      w.print = 'nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\nnginx: configuration file /etc/nginx/nginx.conf test is successful';
    else if (a === '-h' || a === '-?') w.print = 'Usage: nginx [-?hvVtTq] [-s signal] [-p prefix] [-e filename] [-c filename] [-g directives]';
    else fail('nginx', `invalid option: "${a.replace(/^-/, '')}"`);
  }
  return w;
}

function httpdArgs(argv: string[]): Wanted {
  const w: Wanted = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-v' || a === '-V') w.print = info.version;
    else if (a === '-t') w.print = 'Syntax OK';
    else if (a === '-k') {
      // apachectl -k start|stop: run in the foreground all the same.
      i++;
    } else if (a === '-f' || a === '-d' || a === '-C' || a === '-c') i++;
    // -DFOREGROUND and the like
  }
  return w;
}

function caddyArgs(argv: string[]): Wanted {
  const w: Wanted = {};
  const sub = argv[0];
  if (sub === 'version') return { print: info.version };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--?([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) continue;
    const value = () => m[2] ?? argv[++i] ?? '';
    if (m[1] === 'listen') {
      const port = /:(\d+)$/.exec(value());
      if (port) w.port = Number(port[1]);
    } else if (m[1] === 'root' || m[1] === 'r') w.root = value();
    else if (m[1] === 'config' || m[1] === 'adapter' || m[1] === 'domain' || m[1] === 'envfile') value();
  }
  return w;
}

const wanted = flavor === 'nginx' ? nginxArgs(args) : flavor === 'httpd' ? httpdArgs(args) : caddyArgs(args);
if (wanted.print !== undefined) {
  if (wanted.print) process.stderr.write(`${wanted.print}\n`);
  process.exit(0);
}

/**
 * The document root: the image's path when it exists here (a pod with a filesystem of its own, or
 * a volume mounted there), else the same path under the pod's directory ($HOME), where the image's
 * files are put on first start so the default page is there as the image ships it.
 */
function documentRoot(): string {
  const root = wanted.root ?? process.env.KIP_DOCUMENT_ROOT ?? info.root;
  if (!path.isAbsolute(root)) return path.resolve(root);
  try {
    if (fs.statSync(root).isDirectory()) return root;
  } catch {
    // not on this filesystem
  }
  const inPod = path.join(process.env.HOME || process.cwd(), root);
  if (!fs.existsSync(inPod)) {
    fs.mkdirSync(inPod, { recursive: true });
    for (const [name, text] of Object.entries(info.files)) fs.writeFileSync(path.join(inPod, name), text);
  }
  return inPod;
}

/** The declared port's host port, else the port the flags name, else 80. */
function listenPort(): number {
  const asked = wanted.port ?? 80;
  const declared = process.env[`KIP_HOST_PORT_${asked}`] ?? process.env.PORT;
  return declared ? Number(declared) : asked;
}

const root = documentRoot();
const port = listenPort();
const started = new Date();

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** 02/Dec/2026:09:55:01 +0000, as both nginx and httpd write it. */
function logTime(d: Date): string {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const abs = Math.abs(off);
  return `${pad(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`;
}
/** 2026/12/02 09:55:01, nginx's error log time. */
function errorLogTime(d: Date): string {
  return `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function accessLog(req: http.IncomingMessage, status: number, bytes: number): void {
  const quoted = (v: string | string[] | undefined) => (v ? String(v).replace(/"/g, '\\x22') : '-');
  const addr = (req.socket.remoteAddress ?? '-').replace(/^::ffff:/, '');
  const request = `${req.method} ${req.url} HTTP/${req.httpVersion}`;
  if (flavor === 'nginx')
    process.stdout.write(
      `${addr} - - [${logTime(new Date())}] "${request}" ${status} ${bytes} "${quoted(req.headers.referer)}" "${quoted(req.headers['user-agent'])}" "${quoted(req.headers['x-forwarded-for'])}"\n`,
    );
  else if (flavor === 'httpd') process.stdout.write(`${addr} - - [${logTime(new Date())}] "${request}" ${status} ${bytes === 0 ? '-' : bytes}\n`);
}

/** The file a URL path names inside the root, or undefined when it climbs out of it. */
function fileFor(urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  const file = path.join(root, path.posix.normalize(`/${decoded}`));
  return file === root || file.startsWith(root + path.sep) ? file : undefined;
}

function send(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  status: number,
  body: Buffer | string,
  type: string,
  extra: Record<string, string> = {},
): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { server: info.server, date: new Date().toUTCString(), 'content-type': type, 'content-length': buf.length, ...extra });
  res.end(req.method === 'HEAD' ? undefined : buf);
  accessLog(req, status, req.method === 'HEAD' ? 0 : buf.length);
}

function notFound(req: http.IncomingMessage, res: http.ServerResponse): void {
  send(req, res, 404, info.notFound, flavor === 'caddy' ? 'text/plain' : 'text/html');
}

const server = http.createServer((req, res) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(req, res, 405, flavor === 'nginx' ? nginxError('405 Not Allowed') : '', 'text/html', { allow: 'GET, HEAD' });
    return;
  }
  const urlPath = (req.url ?? '/').split('?')[0]!;
  let file = fileFor(urlPath);
  if (!file) {
    send(req, res, 400, flavor === 'nginx' ? nginxError('400 Bad Request') : '', 'text/html');
    return;
  }
  try {
    let st = fs.statSync(file);
    if (st.isDirectory()) {
      // A directory without its slash is redirected to it, as all three servers do.
      if (!urlPath.endsWith('/')) {
        send(req, res, 301, flavor === 'nginx' ? nginxError('301 Moved Permanently') : '', 'text/html', { location: `${urlPath}/` });
        return;
      }
      file = path.join(file, 'index.html');
      try {
        st = fs.statSync(file);
      } catch {
        // nginx without autoindex forbids listing a directory.
        send(req, res, 403, info.forbidden, 'text/html');
        return;
      }
    }
    if (!st.isFile()) return notFound(req, res);
    const body = fs.readFileSync(file);
    send(req, res, 200, body, TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream', { 'last-modified': st.mtime.toUTCString() });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EACCES') send(req, res, 403, info.forbidden, 'text/html');
    else notFound(req, res);
  }
});

server.on('error', (err) => {
  if (flavor === 'nginx') fail('nginx', `[emerg] 1#1: bind() to 0.0.0.0:${port} failed (${err.message})`);
  fail(flavor, err.message);
});

server.listen(port, '127.0.0.1', () => {
  const t = errorLogTime(started);
  if (flavor === 'nginx') {
    process.stderr.write(
      `${t} [notice] 1#1: using the "epoll" event method\n${t} [notice] 1#1: ${info.server}\n${t} [notice] 1#1: serving ${root} on 127.0.0.1:${port}\n${t} [notice] 1#1: start worker processes\n`,
    );
  } else if (flavor === 'httpd') {
    process.stderr.write(
      `[${started.toUTCString()}] [mpm_event:notice] [pid ${process.pid}:tid 1] AH00489: ${info.server} configured -- resuming normal operations (serving ${root} on port ${port})\n`,
    );
  } else {
    process.stderr.write(`${JSON.stringify({ level: 'info', ts: started.getTime() / 1000, msg: 'serving initial configuration', root, port })}\n`);
  }
});

function stop(signal: string, graceful: boolean): void {
  if (flavor === 'nginx')
    process.stderr.write(`${errorLogTime(new Date())} [notice] 1#1: signal ${signal === 'SIGQUIT' ? 3 : 15} (${signal}) received, exiting\n`);
  server.close(() => process.exit(0));
  if (!graceful) server.closeAllConnections();
  else server.closeIdleConnections();
  setTimeout(() => process.exit(0), graceful ? 5000 : 500).unref();
}
process.on('SIGTERM', () => stop('SIGTERM', false));
process.on('SIGINT', () => stop('SIGINT', false));
process.on('SIGQUIT', () => stop('SIGQUIT', true));
