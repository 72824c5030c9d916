// busybox wget's command line: `wget [-cqS] [--spider] [-O FILE] [-o LOGFILE] [--header STR]
// [--post-data STR] [-Y on/off] [-P DIR] [-U AGENT] [-T SEC] URL...`, short flags bundled as
// busybox allows (`-qO-`, `-qO /tmp/x`). Pure, so the wget program and its tests share it.

export interface WgetOptions {
  urls: string[];
  quiet: boolean;
  spider: boolean;
  /** "-" is stdout. */
  output?: string;
  logFile?: string;
  directory?: string;
  headers: string[];
  postData?: string;
  userAgent?: string;
  /** Milliseconds. */
  timeoutMs: number;
  proxy: boolean;
  serverResponse: boolean;
  continueDownload: boolean;
}

export class WgetUsageError extends Error {
  readonly code = 'WgetUsageError';
}

const SHORT_VALUED: Record<string, keyof WgetOptions | 'Y'> = { O: 'output', o: 'logFile', P: 'directory', U: 'userAgent', T: 'timeoutMs', Y: 'Y' };
const SHORT_BOOL: Record<string, keyof WgetOptions> = { q: 'quiet', S: 'serverResponse', c: 'continueDownload' };

export function parseWgetArgs(argv: readonly string[]): WgetOptions {
  const o: WgetOptions = {
    urls: [],
    quiet: false,
    spider: false,
    headers: [],
    timeoutMs: 900_000,
    proxy: true,
    serverResponse: false,
    continueDownload: false,
  };
  const set = (key: string, value: string) => {
    switch (key) {
      case 'output':
      case 'output-document':
        o.output = value;
        break;
      case 'logFile':
      case 'output-file':
        o.logFile = value;
        break;
      case 'directory':
      case 'directory-prefix':
        o.directory = value;
        break;
      case 'userAgent':
      case 'user-agent':
        o.userAgent = value;
        break;
      case 'timeoutMs':
      case 'timeout': {
        const n = Number(value);
        if (!Number.isFinite(n) || n < 0) throw new WgetUsageError(`invalid number '${value}'`);
        o.timeoutMs = n * 1000;
        break;
      }
      case 'Y':
      case 'proxy':
        if (value !== 'on' && value !== 'off') throw new WgetUsageError(`-Y: must be on or off, not '${value}'`);
        o.proxy = value === 'on';
        break;
      case 'header':
        o.headers.push(value);
        break;
      case 'post-data':
        o.postData = value;
        break;
      default:
        throw new WgetUsageError(`unrecognized option '--${key}'`);
    }
  };
  const LONG_VALUED = new Set(['output-document', 'output-file', 'directory-prefix', 'user-agent', 'timeout', 'proxy', 'header', 'post-data']);
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (word === '--') {
      o.urls.push(...argv.slice(i + 1));
      break;
    }
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = eq >= 0 ? word.slice(2, eq) : word.slice(2);
      if (name === 'spider') o.spider = true;
      else if (name === 'quiet') o.quiet = true;
      else if (name === 'server-response') o.serverResponse = true;
      else if (name === 'continue') o.continueDownload = true;
      else if (name === 'no-check-certificate' || name === 'no-verbose') {
        // accepted: kip's wget speaks plain HTTP through the proxy
      } else if (LONG_VALUED.has(name)) {
        const value = eq >= 0 ? word.slice(eq + 1) : argv[++i];
        if (value === undefined) throw new WgetUsageError(`option '--${name}' requires an argument`);
        set(name, value);
      } else throw new WgetUsageError(`unrecognized option '${word}'`);
      continue;
    }
    if (word.startsWith('-') && word.length > 1) {
      for (let j = 1; j < word.length; j++) {
        const ch = word[j]!;
        if (SHORT_BOOL[ch]) (o as unknown as Record<string, boolean>)[SHORT_BOOL[ch]!] = true;
        else if (SHORT_VALUED[ch]) {
          const attached = word.slice(j + 1);
          const value = attached || argv[++i];
          if (value === undefined) throw new WgetUsageError(`option requires an argument -- '${ch}'`);
          set(SHORT_VALUED[ch]!, value);
          break;
        } else throw new WgetUsageError(`invalid option -- '${ch}'`);
      }
      continue;
    }
    o.urls.push(word);
  }
  if (o.urls.length === 0) throw new WgetUsageError('missing URL');
  return o;
}

/** The proxy for a URL from HTTP_PROXY/http_proxy, unless NO_PROXY names its host (curl's rules). */
export function proxyFor(url: URL, env: Record<string, string | undefined>): URL | undefined {
  const raw = url.protocol === 'https:' ? (env.HTTPS_PROXY ?? env.https_proxy) : (env.http_proxy ?? env.HTTP_PROXY);
  if (!raw) return undefined;
  const noProxy = (env.no_proxy ?? env.NO_PROXY ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const host = url.hostname.toLowerCase();
  if (noProxy.some((n) => n === '*' || host === n.replace(/^\./, '') || host.endsWith(n.startsWith('.') ? n : `.${n}`))) return undefined;
  try {
    return new URL(/^[a-z]+:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    return undefined;
  }
}
