// Credentials as kubectl finds them: a kubeconfig file (its current context's cluster and user),
// chosen by --kubeconfig, else $KUBECONFIG, else the one the control plane wrote in kip's default
// data dir (.kip/kubeconfig), so that `npm run kip -- get nodes` works after `npm run cluster`
// with no setup; --server and --token (or $KIP_SERVER and $KIP_TOKEN) override what it says.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { DEFAULT_SERVER } from '../api/names.js';
import { readSecretFile } from '../secret-file.js';
import { ClientError } from './errors.js';
import type { ClientOptions } from './client.js';

/** Where kip's control plane writes its kubeconfig, under its data dir. */
export const KUBECONFIG_FILE = 'kubeconfig';
/** kip's default data dir, relative to where the commands run. */
export const DEFAULT_DATA_DIR = '.kip';

export interface Kubeconfig {
  server: string;
  token?: string;
  /** PEM of the CA to trust for an https server. */
  caPem?: string;
}

/** Writes a kubeconfig of one cluster, user and context named `name`, readable by its owner only. */
export function writeKubeconfig(file: string, name: string, cfg: Kubeconfig): void {
  const doc = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: cfg.server, ...(cfg.caPem ? { 'certificate-authority-data': Buffer.from(cfg.caPem).toString('base64') } : {}) } }],
    users: [{ name: `${name}-admin`, user: cfg.token ? { token: cfg.token } : {} }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin` } }],
    'current-context': name,
    preferences: {},
  };
  writeFileSync(file, toYaml(doc), { mode: 0o600 });
}

type Named<T> = { name?: string } & T;

function pick<T>(list: unknown, name: string | undefined, what: string, file: string): T {
  const items = Array.isArray(list) ? (list as Named<T>[]) : [];
  const found = items.find((i) => i.name === name);
  if (!found) throw new ClientError(`${file}: no ${what} named "${name ?? ''}"`);
  return found;
}

/** The current context's server, token and CA. */
export function readKubeconfig(file: string): Kubeconfig {
  let doc: Record<string, unknown>;
  try {
    doc = (parseYaml(readSecretFile(file)) ?? {}) as Record<string, unknown>;
  } catch (err) {
    throw new ClientError(`cannot read the kubeconfig ${file}: ${(err as Error).message}`);
  }
  const dir = path.dirname(file);
  const contextName = doc['current-context'] as string | undefined;
  if (!contextName) throw new ClientError(`${file}: current-context is not set`);
  const context = pick<{ context?: { cluster?: string; user?: string } }>(doc.contexts, contextName, 'context', file).context ?? {};
  const cluster = pick<{ cluster?: Record<string, unknown> }>(doc.clusters, context.cluster, 'cluster', file).cluster ?? {};
  const user = context.user ? (pick<{ user?: Record<string, unknown> }>(doc.users, context.user, 'user', file).user ?? {}) : {};
  const server = cluster.server;
  if (typeof server !== 'string' || !server) throw new ClientError(`${file}: cluster "${context.cluster}" has no server`);
  let caPem: string | undefined;
  if (typeof cluster['certificate-authority-data'] === 'string') caPem = Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8');
  else if (typeof cluster['certificate-authority'] === 'string') caPem = readFileSync(path.resolve(dir, cluster['certificate-authority']), 'utf8');
  let token: string | undefined;
  if (typeof user.token === 'string') token = user.token;
  else if (typeof user.tokenFile === 'string') token = readSecretFile(path.resolve(dir, user.tokenFile));
  return { server, ...(token ? { token } : {}), ...(caPem ? { caPem } : {}) };
}

export interface CredentialSources {
  server?: string;
  token?: string;
  kubeconfig?: string;
  env: Record<string, string | undefined>;
  /** Where a relative .kip/kubeconfig is looked for (default: the working directory). */
  cwd?: string;
}

/** The kubeconfig file in use, if any: --kubeconfig, $KUBECONFIG (its first file), or .kip/kubeconfig when it exists. */
export function kubeconfigPath(src: CredentialSources): string | undefined {
  if (src.kubeconfig) return path.resolve(src.cwd ?? process.cwd(), src.kubeconfig);
  const fromEnv = src.env.KUBECONFIG?.split(path.delimiter).find(Boolean);
  if (fromEnv) return path.resolve(src.cwd ?? process.cwd(), fromEnv);
  const local = path.resolve(src.cwd ?? process.cwd(), DEFAULT_DATA_DIR, KUBECONFIG_FILE);
  return existsSync(local) ? local : undefined;
}

/**
 * The server and credentials to use: --server/--token, else $KIP_SERVER/$KIP_TOKEN, else the
 * kubeconfig. A kubeconfig's token and CA are used only for its own server, never sent elsewhere.
 */
export function resolveCredentials(src: CredentialSources): Pick<ClientOptions, 'server' | 'token' | 'ca'> {
  const file = kubeconfigPath(src);
  const kc = file ? readKubeconfig(file) : undefined;
  const explicit = src.server || src.env.KIP_SERVER;
  const server = explicit || kc?.server || DEFAULT_SERVER;
  const sameServer = kc !== undefined && sameOrigin(server, kc.server);
  const token = src.token || src.env.KIP_TOKEN || (sameServer ? kc.token : undefined);
  const ca = sameServer ? kc.caPem : undefined;
  return { server, ...(token ? { token } : {}), ...(ca ? { ca } : {}) };
}

function sameOrigin(a: string, b: string): boolean {
  try {
    const ua = new URL(/^[a-z]+:\/\//i.test(a) ? a : `http://${a}`);
    const ub = new URL(/^[a-z]+:\/\//i.test(b) ? b : `http://${b}`);
    const local = (h: string) => (h === 'localhost' || h === '[::1]' || h.startsWith('127.') ? 'loopback' : h);
    return ua.protocol === ub.protocol && local(ua.hostname) === local(ub.hostname) && ua.port === ub.port;
  } catch {
    return false;
  }
}
