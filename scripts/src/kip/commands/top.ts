// `kip top nodes|pods`: current cpu and memory use, from the metrics API the control plane serves
// from what the agents sample, with node use as a share of allocatable.

import { parseBytes, parseCpuMillis, resourceByKind, ApiStatusError, type List, type Node, type NodeMetrics, type PodMetrics } from '@kip/shared';
import type { Command, Context } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { tabify } from '../printers/tabwriter.js';
import { ALL_NAMESPACES_FLAG, LABEL_SELECTOR_FLAG } from './common-flags.js';

const METRICS = '/apis/metrics.k8s.io/v1beta1';
const MI = 1024 * 1024;
const UNKNOWN = '<unknown>';

export const formatCpuUsage = (millis: number) => `${Math.round(millis)}m`;
export const formatMemoryUsage = (bytes: number) => `${Math.floor(bytes / MI)}Mi`;

export interface NodeUsageRow {
  name: string;
  cpu?: number;
  memory?: number;
  allocCpu?: number;
  allocMemory?: number;
}

/** Rows with metrics first, in the order asked; nodes without metrics last, as <unknown>. */
export function nodeTopTable(rows: NodeUsageRow[], opts: { noHeaders: boolean; sortBy?: string }): string {
  const known = rows.filter((r) => r.cpu !== undefined);
  const unknown = rows.filter((r) => r.cpu === undefined);
  if (opts.sortBy === 'cpu') known.sort((a, b) => b.cpu! - a.cpu!);
  if (opts.sortBy === 'memory') known.sort((a, b) => b.memory! - a.memory!);
  const lines: string[][] = opts.noHeaders ? [] : [['NAME', 'CPU(cores)', 'CPU%', 'MEMORY(bytes)', 'MEMORY%']];
  const pct = (v: number, of?: number) => (of ? `${Math.trunc((v / of) * 100)}%` : UNKNOWN);
  for (const r of known)
    lines.push([r.name, formatCpuUsage(r.cpu!), pct(r.cpu!, r.allocCpu), formatMemoryUsage(r.memory ?? 0), pct(r.memory ?? 0, r.allocMemory)]);
  for (const r of unknown) lines.push([r.name, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN]);
  return tabify(lines.map((l) => l.join('\t') + '\n').join(''));
}

function podUsage(m: PodMetrics): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of m.containers ?? []) {
    cpu += parseCpuMillis(c.usage?.cpu);
    memory += parseBytes(c.usage?.memory);
  }
  return { cpu, memory };
}

export function podTopTable(items: PodMetrics[], opts: { allNamespaces: boolean; containers: boolean; noHeaders: boolean; sortBy?: string }): string {
  // By namespace and name unless asked otherwise, as kubectl sorts them: the metrics come node by node.
  const sorted = [...items].sort(
    (a, b) => (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') || a.metadata.name.localeCompare(b.metadata.name),
  );
  if (opts.sortBy === 'cpu') sorted.sort((a, b) => podUsage(b).cpu - podUsage(a).cpu);
  if (opts.sortBy === 'memory') sorted.sort((a, b) => podUsage(b).memory - podUsage(a).memory);
  const lines: string[][] = [];
  const ns = (m: PodMetrics) => (opts.allNamespaces ? [m.metadata.namespace] : []);
  if (!opts.noHeaders) lines.push([...(opts.allNamespaces ? ['NAMESPACE'] : []), ...(opts.containers ? ['POD'] : []), 'NAME', 'CPU(cores)', 'MEMORY(bytes)']);
  for (const m of sorted) {
    if (opts.containers) {
      for (const c of m.containers ?? [])
        lines.push([...ns(m), m.metadata.name, c.name, formatCpuUsage(parseCpuMillis(c.usage?.cpu)), formatMemoryUsage(parseBytes(c.usage?.memory))]);
    } else {
      const u = podUsage(m);
      lines.push([...ns(m), m.metadata.name, formatCpuUsage(u.cpu), formatMemoryUsage(u.memory)]);
    }
  }
  return tabify(lines.map((l) => l.join('\t') + '\n').join(''));
}

async function metrics<T>(ctx: Context, path: string, labelSelector?: string): Promise<T> {
  try {
    return await ctx.api.call<T>('GET', path, { query: { labelSelector } });
  } catch (err) {
    if (err instanceof ApiStatusError && err.httpCode === 404 && err.status.message === 'the server could not find the requested resource')
      throw new CliError('Metrics API not available');
    throw err;
  }
}

async function topNodes(ctx: Context, names: string[]): Promise<number> {
  const selector = ctx.flags.str('selector');
  const nodeR = resourceByKind('Node')!;
  const nodes =
    names.length > 0
      ? await Promise.all(names.map((n) => ctx.api.get<Node>(nodeR, undefined, n)))
      : ((await ctx.api.list<Node>(nodeR, undefined, { labelSelector: selector })).items ?? []);
  const list = await metrics<List<NodeMetrics>>(ctx, `${METRICS}/nodes`, selector);
  const byName = new Map((list.items ?? []).map((m) => [m.metadata.name, m]));
  if (byName.size === 0 && nodes.length > 0 && names.length === 0) throw new CliError('metrics not available yet');
  const rows: NodeUsageRow[] = nodes.map((n) => {
    const m = byName.get(n.metadata.name);
    const row: NodeUsageRow = {
      name: n.metadata.name,
      allocCpu: parseCpuMillis(n.status?.allocatable?.cpu),
      allocMemory: parseBytes(n.status?.allocatable?.memory),
    };
    if (m) {
      row.cpu = parseCpuMillis(m.usage?.cpu);
      row.memory = parseBytes(m.usage?.memory);
    }
    return row;
  });
  if (rows.length === 0) {
    ctx.err('No resources found\n');
    return 0;
  }
  ctx.out(nodeTopTable(rows, { noHeaders: ctx.flags.bool('no-headers'), ...sortBy(ctx) }));
  return 0;
}

async function topPods(ctx: Context, names: string[]): Promise<number> {
  const allNamespaces = ctx.flags.bool('all-namespaces');
  const selector = ctx.flags.str('selector');
  let items: PodMetrics[];
  if (names.length > 0) {
    if (allNamespaces) throw new UsageError('a pod cannot be named across all namespaces');
    items = await Promise.all(
      names.map((n) => metrics<PodMetrics>(ctx, `${METRICS}/namespaces/${encodeURIComponent(ctx.namespace)}/pods/${encodeURIComponent(n)}`)),
    );
  } else {
    const path = allNamespaces ? `${METRICS}/pods` : `${METRICS}/namespaces/${encodeURIComponent(ctx.namespace)}/pods`;
    items = (await metrics<List<PodMetrics>>(ctx, path, selector)).items ?? [];
  }
  if (items.length === 0) {
    ctx.err(allNamespaces ? 'No resources found\n' : `No resources found in ${ctx.namespace} namespace.\n`);
    return 0;
  }
  ctx.out(podTopTable(items, { allNamespaces, containers: ctx.flags.bool('containers'), noHeaders: ctx.flags.bool('no-headers'), ...sortBy(ctx) }));
  return 0;
}

function sortBy(ctx: Context): { sortBy?: string } {
  const s = ctx.flags.str('sort-by');
  if (s === undefined) return {};
  if (s !== 'cpu' && s !== 'memory') throw new UsageError(`--sort-by accepts only cpu or memory, got "${s}"`);
  return { sortBy: s };
}

async function run(ctx: Context, args: string[]): Promise<number> {
  const [what, ...names] = args;
  switch ((what ?? '').toLowerCase()) {
    case 'node':
    case 'nodes':
    case 'no':
      return topNodes(ctx, names);
    case 'pod':
    case 'pods':
    case 'po':
      return topPods(ctx, names);
    default:
      throw new UsageError(what ? `unknown resource "${what}" for top: use nodes or pods` : 'top needs a resource: nodes or pods');
  }
}

export const topCommand: Command = {
  name: 'top',
  group: 'cluster',
  summary: 'Display resource (CPU/memory) usage',
  usage: ['top nodes [NAME | -l label] [flags]', 'top pods [NAME | -l label] [--containers] [flags]'],
  description: 'Show the cpu and memory the nodes and pods use now, as sampled by the agents. For nodes, also the share of their allocatable resources.',
  examples: [
    '  # Usage of every node, busiest cpu first',
    '  kip top nodes --sort-by=cpu',
    '',
    '  # Usage of the pods in every namespace, per container',
    '  kip top pods -A --containers',
  ].join('\n'),
  flags: [
    LABEL_SELECTOR_FLAG,
    ALL_NAMESPACES_FLAG,
    { name: 'containers', type: 'bool', description: 'top pods: one line per container.' },
    { name: 'sort-by', type: 'string', valueName: 'string', description: 'Sort by cpu or memory, highest first.' },
    { name: 'no-headers', type: 'bool', description: 'Do not print headers.' },
  ],
  run,
};
