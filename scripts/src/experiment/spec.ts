// The experiment file: what to run (a workload), how to measure it (a probe), and what to break
// when (a timeline of faults). Parsed and checked here, as a pure function of the text, so that
// every mistake is reported at once with the field it is in, before anything touches a cluster.

import { DEFAULT_NAMESPACE, isDNS1123Label } from '@kip/shared';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { FieldChecker, type FieldProblem } from './field-checker.js';
import { parseTimeline, type TimelineStep } from './timeline.js';

export type { TimelineStep, FaultStep, HealStep } from './timeline.js';

/** A manifest of the workload: a file beside the experiment, or an object written inline. */
export type WorkloadItem = { kind: 'file'; path: string; field: string } | { kind: 'inline'; object: Record<string, unknown>; field: string };

export interface ProbeSpec {
  /** http://service[.namespace][:port]/path or a pod IP URL, called from inside the cluster */
  url: string;
  /** requests per second, sent on a fixed schedule whether or not earlier ones answered */
  rate: number;
  /** a request with no answer for this long counts as failed */
  timeoutMs: number;
  /** pin the client pod to a node, so that the faults do not take the measuring instrument down */
  nodeName?: string;
  nodeSelector?: Record<string, string>;
}

export interface ExperimentSpec {
  name: string;
  namespace: string;
  description?: string;
  /** measured time, from the start of the timeline to the end */
  durationMs: number;
  /** probe traffic before the timeline starts, left out of the figures */
  warmupMs: number;
  /** how long successes must continue unbroken for a fault to count as recovered from */
  sustainMs: number;
  workload: WorkloadItem[];
  probe: ProbeSpec;
  timeline: TimelineStep[];
}

export const DEFAULT_WARMUP_MS = 2000;
export const DEFAULT_SUSTAIN_MS = 3000;
export const DEFAULT_PROBE_TIMEOUT_MS = 1000;
export const MAX_PROBE_RATE = 200;

/** The experiment file is wrong; `problems` names every field at fault. */
export class ExperimentSpecError extends Error {
  readonly code = 'InvalidExperiment';
  constructor(
    readonly source: string,
    readonly problems: FieldProblem[],
  ) {
    super(`invalid experiment ${source}:\n${problems.map((p) => `  ${p.field ? `${p.field}: ` : ''}${p.message}`).join('\n')}`);
    this.name = 'ExperimentSpecError';
  }
}

const TOP_LEVEL = ['name', 'namespace', 'description', 'duration', 'warmup', 'sustain', 'workload', 'probe', 'timeline'];
const PROBE_FIELDS = ['url', 'rate', 'timeout', 'nodeName', 'nodeSelector'];

/** Parses and checks an experiment file's text; throws ExperimentSpecError listing every problem. */
export function parseExperiment(text: string, source: string): ExperimentSpec {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    const message = err instanceof YAMLParseError ? err.message.split('\n')[0]! : String(err);
    throw new ExperimentSpecError(source, [{ field: '', message: `not valid YAML: ${message}` }]);
  }
  return validateExperiment(raw, source);
}

export function validateExperiment(raw: unknown, source: string): ExperimentSpec {
  const c = new FieldChecker();
  const top = c.object(raw, '', true);
  if (!top) throw new ExperimentSpecError(source, c.problems);
  c.noUnknown(top, '', TOP_LEVEL);

  const name = c.string(top.name, 'name', true) ?? '';
  if (name && !isDNS1123Label(name))
    c.add('name', `Invalid value: "${name}": must be a lowercase RFC 1123 label (letters, digits and '-'), as it names the objects the run creates`);
  const namespace = c.string(top.namespace, 'namespace') ?? DEFAULT_NAMESPACE;
  if (!isDNS1123Label(namespace)) c.add('namespace', `Invalid value: "${namespace}": must be a lowercase RFC 1123 label`);
  const description = c.string(top.description, 'description');

  const durationMs = c.duration(top.duration, 'duration', true) ?? 0;
  if (top.duration !== undefined && durationMs <= 0) c.add('duration', 'Invalid value: must be longer than 0s');
  const warmupMs = c.duration(top.warmup, 'warmup') ?? DEFAULT_WARMUP_MS;
  const sustainMs = c.duration(top.sustain, 'sustain') ?? DEFAULT_SUSTAIN_MS;
  if (top.sustain !== undefined && sustainMs <= 0) c.add('sustain', 'Invalid value: must be longer than 0s');

  const workload = parseWorkload(c, top.workload);
  const probe = parseProbe(c, top.probe);
  const timeline = parseTimeline(c, top.timeline, 'timeline', durationMs > 0 ? durationMs : undefined);

  if (c.problems.length > 0) throw new ExperimentSpecError(source, c.problems);
  return { name, namespace, ...(description ? { description } : {}), durationMs, warmupMs, sustainMs, workload, probe, timeline };
}

function parseWorkload(c: FieldChecker, v: unknown): WorkloadItem[] {
  const list = c.array(v, 'workload', true);
  if (!list) return [];
  if (list.length === 0) c.add('workload', 'Required value: at least one manifest (a file path or an inline object)');
  const out: WorkloadItem[] = [];
  list.forEach((item, i) => {
    const f = `workload[${i}]`;
    if (typeof item === 'string') {
      if (item.trim() === '') c.add(f, 'Invalid value: "": a file path must not be empty');
      else if (/^https?:\/\//.test(item)) c.add(f, `Invalid value: "${item}": manifests are read from files, not URLs`);
      else out.push({ kind: 'file', path: item, field: f });
      return;
    }
    const obj = c.object(item, f);
    if (!obj) return;
    if (typeof obj.kind !== 'string' || obj.kind === '')
      c.add(`${f}.kind`, 'Required value: an inline manifest needs apiVersion and kind (or give a file path as a string)');
    else out.push({ kind: 'inline', object: obj, field: f });
  });
  return out;
}

function parseProbe(c: FieldChecker, v: unknown): ProbeSpec {
  const fallback: ProbeSpec = { url: '', rate: 1, timeoutMs: DEFAULT_PROBE_TIMEOUT_MS };
  const p = c.object(v, 'probe', true);
  if (!p) return fallback;
  c.noUnknown(p, 'probe', PROBE_FIELDS);
  const url = c.string(p.url, 'probe.url', true) ?? '';
  if (url) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      c.add('probe.url', `Invalid value: "${url}": must be a URL such as http://web/ (a service name or a pod IP, as a pod would call it)`);
    }
    if (parsed && parsed.protocol !== 'http:') c.add('probe.url', `Invalid value: "${url}": only http:// URLs can be probed`);
  }
  let rate = 1;
  if (p.rate === undefined) c.add('probe.rate', 'Required value: requests per second, e.g. 10');
  else if (typeof p.rate !== 'number' || !Number.isFinite(p.rate) || p.rate <= 0 || p.rate > MAX_PROBE_RATE)
    c.add('probe.rate', `Invalid value: ${JSON.stringify(p.rate)}: must be a number of requests per second above 0 and at most ${MAX_PROBE_RATE}`);
  else rate = p.rate;
  const timeoutMs = c.duration(p.timeout, 'probe.timeout') ?? DEFAULT_PROBE_TIMEOUT_MS;
  if (p.timeout !== undefined && timeoutMs <= 0) c.add('probe.timeout', 'Invalid value: must be longer than 0s');
  const nodeName = c.string(p.nodeName, 'probe.nodeName');
  const nodeSelector = c.stringMap(p.nodeSelector, 'probe.nodeSelector');
  if (nodeName && nodeSelector) c.add('probe', 'Invalid value: give nodeName or nodeSelector, not both');
  return { url, rate, timeoutMs, ...(nodeName ? { nodeName } : {}), ...(nodeSelector ? { nodeSelector } : {}) };
}
