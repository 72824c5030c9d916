// The timeline of an experiment: at given offsets from the start, inject a fault (a NodeChaos,
// NetworkChaos or ControlPlaneChaos object, created through the API for the chaos controller to
// enforce) or heal one (delete it). Parsed into steps ordered by time, with every heal resolved to the faults it ends.

import {
  CHAOS_API_VERSION,
  CONTROL_PLANE_CHAOS_ACTIONS,
  describeFault,
  directionArrow,
  findNetworkAction,
  isDNS1123Label,
  NETWORK_ACTION_NAMES,
  NODE_ACTION_NAMES,
  validateObject,
} from '@kip/shared';
import { type FieldChecker, isObj, type Obj } from './field-checker.js';

export type FaultKind = 'NodeChaos' | 'NetworkChaos' | 'ControlPlaneChaos';

export const FAULT_ACTIONS: Record<FaultKind, readonly string[]> = {
  NodeChaos: NODE_ACTION_NAMES,
  NetworkChaos: NETWORK_ACTION_NAMES,
  ControlPlaneChaos: CONTROL_PLANE_CHAOS_ACTIONS,
};

const FAULT_KINDS = Object.keys(FAULT_ACTIONS) as FaultKind[];

export interface FaultStep {
  type: 'fault';
  /** position in the file, for messages */
  index: number;
  atMs: number;
  name: string;
  kind: FaultKind;
  spec: Obj;
  labels?: Record<string, string>;
}

export interface HealStep {
  type: 'heal';
  index: number;
  atMs: number;
  /** the faults this step deletes, resolved from a name, a list of names, or "all" */
  names: string[];
  all: boolean;
}

export type TimelineStep = FaultStep | HealStep;

const STEP_FIELDS = ['at', 'fault', 'heal'];
const FAULT_FIELDS = ['name', 'kind', 'apiVersion', 'metadata', 'spec'];

/** Checks `timeline` and returns its steps in time order (file order among equal times). */
export function parseTimeline(c: FieldChecker, v: unknown, field: string, durationMs: number | undefined): TimelineStep[] {
  if (v === undefined || v === null) return [];
  const list = c.array(v, field);
  if (!list) return [];
  const parsed: { step: FaultStep | RawHeal; field: string }[] = [];
  list.forEach((item, i) => {
    const f = `${field}[${i}]`;
    const o = c.object(item, f);
    if (!o) return;
    c.noUnknown(o, f, STEP_FIELDS);
    const atMs = c.duration(o.at, `${f}.at`, true);
    if (atMs !== undefined && durationMs !== undefined && atMs >= durationMs)
      c.add(`${f}.at`, `Invalid value: "${String(o.at)}": must be before the end of the experiment (duration ${durationMs / 1000}s)`);
    const hasFault = o.fault !== undefined;
    const hasHeal = o.heal !== undefined;
    if (hasFault === hasHeal) {
      c.add(f, 'Invalid value: each step needs exactly one of fault (inject) or heal (delete a fault)');
      return;
    }
    // The step is checked even when its time is wrong, so that all its problems show at once.
    if (hasFault) {
      const step = parseFault(c, o.fault, `${f}.fault`, i, atMs ?? 0);
      if (step && atMs !== undefined) parsed.push({ step, field: f });
    } else {
      const heal = parseHealTargets(c, o.heal, `${f}.heal`);
      if (heal && atMs !== undefined) parsed.push({ step: { type: 'heal', index: i, atMs, ...heal }, field: f });
    }
  });
  // Stable: equal offsets keep the order of the file.
  parsed.sort((a, b) => a.step.atMs - b.step.atMs || a.step.index - b.step.index);
  return resolveHeals(c, parsed);
}

interface RawHeal {
  type: 'heal';
  index: number;
  atMs: number;
  names: string[];
  all: boolean;
}

function parseHealTargets(c: FieldChecker, v: unknown, f: string): { names: string[]; all: boolean } | undefined {
  if (v === 'all') return { names: [], all: true };
  if (typeof v === 'string' && v !== '') return { names: [v], all: false };
  if (Array.isArray(v) && v.length > 0 && v.every((n) => typeof n === 'string' && n !== '')) return { names: v as string[], all: false };
  c.add(f, `Invalid value: ${JSON.stringify(v)}: must be the name of a fault injected earlier, a list of names, or "all"`);
  return undefined;
}

function parseFault(c: FieldChecker, v: unknown, f: string, index: number, atMs: number): FaultStep | undefined {
  const o = c.object(v, f);
  if (!o) return undefined;
  c.noUnknown(o, f, FAULT_FIELDS);
  const kind = c.string(o.kind, `${f}.kind`, true);
  if (kind !== undefined && !(FAULT_KINDS as string[]).includes(kind)) {
    c.add(`${f}.kind`, `Unsupported value: "${kind}": supported values: ${FAULT_KINDS.map((k) => `"${k}"`).join(', ')}`);
    return undefined;
  }
  if (o.apiVersion !== undefined && o.apiVersion !== CHAOS_API_VERSION)
    c.add(`${f}.apiVersion`, `Invalid value: ${JSON.stringify(o.apiVersion)}: faults are served as "${CHAOS_API_VERSION}"`);
  const meta = c.object(o.metadata, `${f}.metadata`);
  const name = typeof o.name === 'string' ? o.name : typeof meta?.name === 'string' ? meta.name : undefined;
  if (o.name !== undefined && meta?.name !== undefined && o.name !== meta.name)
    c.add(`${f}.name`, `Invalid value: "${String(o.name)}": differs from metadata.name "${String(meta.name)}"; give one`);
  if (name === undefined) c.add(`${f}.name`, 'Required value: a name for the fault, so that a later step can heal it and kip get can show it');
  else if (!isDNS1123Label(name)) c.add(`${f}.name`, `Invalid value: "${name}": must be a lowercase RFC 1123 label`);
  const labels = meta ? c.stringMap(meta.labels, `${f}.metadata.labels`) : undefined;
  const spec = c.object(o.spec, `${f}.spec`, true);
  if (!kind || !spec || !name) return undefined;
  const faultKind = kind as FaultKind;
  const action = c.string(spec.action, `${f}.spec.action`, true);
  const actions = FAULT_ACTIONS[faultKind];
  if (action !== undefined && !actions.includes(action))
    c.add(`${f}.spec.action`, `Unsupported value: "${action}": supported values for ${kind}: ${actions.map((a) => `"${a}"`).join(', ')}`);
  if (spec.duration !== undefined) c.duration(spec.duration, `${f}.spec.duration`);
  // The shared validation knows the chaos kinds' finer rules (modes, selectors, quantities) as
  // the server applies them; asking it here reports them before the run instead of at the step.
  const errors = validateObject({ apiVersion: CHAOS_API_VERSION, kind, metadata: { name, namespace: 'default' }, spec });
  const reported = new Set(c.problems.map((p) => p.field));
  for (const e of errors) {
    const at = e.field ? `${f}.${e.field}` : f;
    if (!reported.has(at)) c.add(at, e.message);
  }
  return { type: 'fault', index, atMs, name, kind: faultKind, spec, ...(labels && Object.keys(labels).length > 0 ? { labels } : {}) };
}

/** Checks names against the faults injected before each heal, and expands "all". */
function resolveHeals(c: FieldChecker, parsed: { step: FaultStep | RawHeal; field: string }[]): TimelineStep[] {
  const injected = new Map<string, FaultStep>();
  const active = new Set<string>();
  const out: TimelineStep[] = [];
  for (const { step, field } of parsed) {
    if (step.type === 'fault') {
      if (injected.has(step.name)) {
        c.add(`${field}.fault.name`, `Duplicate value: "${step.name}": every fault in the timeline needs its own name`);
        continue;
      }
      injected.set(step.name, step);
      active.add(step.name);
      out.push(step);
      continue;
    }
    if (step.all) {
      if (active.size === 0) c.add(`${field}.heal`, 'Invalid value: "all": no fault is active at this point of the timeline');
      out.push({ ...step, names: [...active] });
      active.clear();
      continue;
    }
    const names: string[] = [];
    for (const n of step.names) {
      if (!injected.has(n)) c.add(`${field}.heal`, `Invalid value: "${n}": no fault of that name is injected before this step`);
      else if (!active.has(n)) c.add(`${field}.heal`, `Invalid value: "${n}": that fault is healed already by an earlier step`);
      else {
        active.delete(n);
        names.push(n);
      }
    }
    out.push({ ...step, names });
  }
  return out;
}

/** One line saying what a step does, for the live output and the report. */
export function describeStep(step: TimelineStep): string {
  if (step.type === 'heal') return `heal ${step.all ? `all (${step.names.join(', ') || 'none'})` : step.names.join(', ')}`;
  if (step.kind === 'ControlPlaneChaos')
    return `inject ${step.kind} ${step.name} (${String(step.spec.action)} the control plane, restart after ${typeof step.spec.restartAfter === 'string' ? step.spec.restartAfter : '0s'})`;
  return `inject ${step.kind} ${step.name} (${describeFaultSpec(step.spec)})`;
}

/** "kill node-3", "delay 200ms node-1 -> node-2", "partition node-3 <-> others" */
export function describeFaultSpec(spec: Obj): string {
  const nodesOf = (sel: unknown): string | undefined => {
    if (!isObj(sel)) return undefined;
    const s = isObj(sel.selector) ? sel.selector : undefined;
    if (Array.isArray(s?.nodes) && s.nodes.length > 0) return s.nodes.join(',');
    if (isObj(s?.labelSelectors))
      return Object.entries(s.labelSelectors)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(',');
    return undefined;
  };
  const who = nodesOf(spec) ?? 'any node';
  const mode = typeof spec.mode === 'string' && spec.mode !== 'all' ? ` (${spec.mode}${spec.value !== undefined ? ` ${String(spec.value)}` : ''})` : '';
  const parts = [describeFault(spec), `${who}${mode}`];
  if (findNetworkAction(spec.action)) {
    const arrow = directionArrow(spec.direction);
    const target = isObj(spec.target) ? (nodesOf(spec.target) ?? (spec.target.controlPlane ? 'control plane' : 'others')) : 'others';
    parts.push(arrow, target);
  }
  if (typeof spec.duration === 'string') parts.push(`for ${spec.duration}`);
  return parts.filter(Boolean).join(' ');
}
