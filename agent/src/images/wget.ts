// busybox's wget, for the shell images (busybox, alpine, debian, ubuntu): the docs' `wget -qO-
// http://my-service`, `wget -O file URL`, `wget --spider URL`, `-T 5`. It goes through HTTP_PROXY
// / http_proxy, which the agent sets so that pod and Service IPs are reached through its proxy,
// honouring NO_PROXY, and says what went wrong in busybox's words ("wget: server returned error:
// HTTP/1.1 404 Not Found", "wget: can't connect to remote host"), exiting 1 as busybox does.

import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { parseWgetArgs, proxyFor, WgetUsageError, type WgetOptions } from './wget-args.js';

let opts: WgetOptions;
try {
  opts = parseWgetArgs(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof WgetUsageError)) throw err;
  process.stderr.write(
    `wget: ${err.message}\nUsage: wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR] [--post-data STR] [-Y on/off] [-P DIR] [-U AGENT] [-T SEC] URL...\n`,
  );
  process.exit(1);
}

const logStream = opts.logFile ? fs.createWriteStream(opts.logFile) : undefined;
function say(msg: string): void {
  if (opts.quiet) return;
  if (logStream) logStream.write(`${msg}\n`);
  else process.stderr.write(`${msg}\n`);
}
function die(msg: string): never {
  process.stderr.write(`wget: ${msg}\n`);
  process.exit(1);
}

function parseUrl(raw: string): URL {
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') die(`not an http or ftp url: ${raw}`);
    return url;
  } catch {
    die(`bad address '${raw}'`);
  }
}

interface Answer {
  status: number;
  statusText: string;
  httpVersion: string;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

function request(url: URL): Promise<Answer> {
  const proxy = opts.proxy ? proxyFor(url, process.env) : undefined;
  const headers: Record<string, string> = { host: url.host, 'user-agent': opts.userAgent ?? 'Wget', connection: 'close' };
  for (const h of opts.headers) {
    const i = h.indexOf(':');
    if (i > 0) headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  if (proxy?.username)
    headers['proxy-authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`;
  const method = opts.postData !== undefined ? 'POST' : opts.spider ? 'HEAD' : 'GET';
  if (opts.postData !== undefined) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
    headers['content-length'] = String(Buffer.byteLength(opts.postData));
  }
  return new Promise((resolve, reject) => {
    // Through a proxy the request line carries the absolute URI; kip's proxy reads its credentials
    // to learn which pod is asking.
    const req =
      proxy && url.protocol === 'http:'
        ? http.request({ host: proxy.hostname, port: Number(proxy.port || 80), method, path: url.href, headers, agent: false })
        : (url.protocol === 'https:' ? https : http).request({
            host: url.hostname,
            port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
            method,
            path: `${url.pathname}${url.search}`,
            headers,
            agent: false,
          });
    const timer = setTimeout(() => req.destroy(Object.assign(new Error('download timed out'), { code: 'ETIMEDOUT' })), opts.timeoutMs || 2 ** 31 - 1);
    req.on('response', (res) => {
      clearTimeout(timer);
      resolve({ status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', httpVersion: res.httpVersion, headers: res.headers, body: res });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(opts.postData);
  });
}

function connectError(url: URL, err: NodeJS.ErrnoException): string {
  if (err.code === 'ETIMEDOUT') return 'download timed out';
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') return `bad address '${url.hostname}'`;
  if (err.code === 'ECONNREFUSED') return `can't connect to remote host (${url.hostname}): Connection refused`;
  return `can't connect to remote host (${url.hostname}): ${err.message}`;
}

async function fetchOne(raw: string): Promise<void> {
  let url = parseUrl(raw);
  for (let redirects = 0; ; redirects++) {
    say(`Connecting to ${url.host} (${url.host})`);
    let answer: Answer;
    try {
      answer = await request(url);
    } catch (err) {
      die(connectError(url, err as NodeJS.ErrnoException));
    }
    if (opts.serverResponse) {
      process.stderr.write(`  HTTP/${answer.httpVersion} ${answer.status} ${answer.statusText}\n`);
      for (const [k, v] of Object.entries(answer.headers)) process.stderr.write(`  ${k}: ${String(v)}\n`);
    }
    if (answer.status >= 300 && answer.status < 400 && answer.headers.location && redirects < 20) {
      answer.body.resume();
      url = new URL(answer.headers.location, url);
      continue;
    }
    if (answer.status >= 400 || answer.status < 200) {
      answer.body.resume();
      die(`server returned error: HTTP/${answer.httpVersion} ${answer.status} ${answer.statusText}`);
    }
    if (opts.spider) {
      answer.body.resume();
      say('remote file exists');
      return;
    }
    // -O names the file as it is; -P is the directory of a name taken from the URL.
    const target =
      opts.output !== undefined
        ? opts.output === '-'
          ? undefined
          : opts.output
        : path.join(opts.directory ?? '.', path.posix.basename(url.pathname) || 'index.html');
    if (target) say(`saving to '${target}'`);
    const out = target ? fs.createWriteStream(target) : process.stdout;
    let bytes = 0;
    await new Promise<void>((resolve, reject) => {
      answer.body.on('data', (d: Buffer) => {
        bytes += d.length;
      });
      answer.body.on('error', reject);
      answer.body.on('end', resolve);
      answer.body.pipe(out, { end: false });
    }).catch((err: Error) => die(`error getting response: ${err.message}`));
    if (target) {
      await new Promise<void>((resolve) => (out as fs.WriteStream).end(resolve));
      say(`${target}        100% |********************************| ${bytes}  0:00:00 ETA`);
      say(`'${target}' saved`);
    }
    return;
  }
}

for (const url of opts.urls) await fetchOne(url);
logStream?.end();
