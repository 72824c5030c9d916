// The small sample apps the Kubernetes docs deploy: `sample-apps <app>`.
//   hello-app    gcr.io/google-samples/hello-app: "Hello, world!", its version and hostname, on $PORT (8080)
//   node-hello   gcr.io/google-samples/node-hello: "Hello Kubernetes!" on 8080
//   hello-go-gke gcr.io/google-samples/hello-go-gke (the frontend-backend tutorial's backend):
//                {"message":"Hello"} on 80
//   hpa-example  registry.k8s.io/hpa-example (the HPA walkthrough's php-apache): burns cpu for
//                each request, then "OK!", on 80
// A port is the host port behind the container's declared port of that number, as everywhere.

import http from 'node:http';
import os from 'node:os';

const [app, ...args] = process.argv.slice(2);

function hostPortFor(port: number): number {
  const declared = process.env[`KIP_HOST_PORT_${port}`];
  return declared ? Number(declared) : port;
}

function serve(port: number, handle: (req: http.IncomingMessage) => string, banner: string): void {
  const server = http.createServer((req, res) => {
    const body = handle(req);
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  server.on('error', (err) => {
    process.stderr.write(`${app}: ${err.message}\n`);
    process.exit(1);
  });
  server.listen(port, '127.0.0.1', () => process.stdout.write(`${banner}\n`));
  for (const s of ['SIGTERM', 'SIGINT'] as const) process.on(s, () => process.exit(0));
}

const hostname = process.env.HOSTNAME || os.hostname();

switch (app) {
  case 'hello-app': {
    // The real app listens on $PORT, default 8080; here $PORT is the declared port's host port.
    const version = args[0] ?? '1.0.0';
    const port = process.env.PORT ? Number(process.env.PORT) : hostPortFor(8080);
    serve(
      port,
      (req) => {
        process.stdout.write(`Serving request: ${req.url}\n`);
        return `Hello, world!\nVersion: ${version}\nHostname: ${hostname}\n`;
      },
      `Server listening on port ${process.env.PORT ? process.env.PORT : '8080'}`,
    );
    break;
  }
  case 'hello-go-gke':
    serve(
      hostPortFor(80),
      (req) => {
        process.stdout.write(`${req.method} ${req.url}\n`);
        return '{"message":"Hello"}';
      },
      'Listening on port 80',
    );
    break;
  case 'node-hello':
    serve(hostPortFor(8080), () => 'Hello Kubernetes!', 'Kubernetes Bootcamp App Started At: ' + new Date().toISOString());
    break;
  case 'hpa-example':
    serve(
      hostPortFor(80),
      () => {
        // index.php: $x = 0.0001; for ($i = 0; $i <= 1000000; $i++) { $x += sqrt($x); } echo "OK!";
        let x = 0.0001;
        for (let i = 0; i <= 1_000_000; i++) x += Math.sqrt(x);
        return x > 0 ? 'OK!' : '';
      },
      "AH00094: Command line: 'apache2 -D FOREGROUND'",
    );
    break;
  default:
    process.stderr.write(`sample-apps: unknown app "${app ?? ''}": hello-app, hello-go-gke, node-hello or hpa-example\n`);
    process.exit(2);
}
