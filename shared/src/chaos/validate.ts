// Validation of NodeChaos and NetworkChaos specs, wired into validateObject. Every error names
// the field and says why, so `kip apply` of a bad fault reads like any other refused manifest.
// What the API cannot know (whether the named nodes exist) the controller and the CLI check.

import { CHAOS_DIRECTIONS } from '../api/chaos.js';
import { FieldErrors, showValue, type FieldError, type Obj } from '../validation/errors.js';
import { isDNS1123Subdomain } from '../api/validation.js';
import { isLabelKey, isLabelValue } from '../api/selector.js';
import { parseDuration } from '../api/quantity.js';
import { CHAOS_MODES, modeValueError } from './select.js';
import { runSchedule, ScheduleError } from './schedule.js';
import { runsOverlap, type NetworkFaultAction } from './actions/action.js';
import { findNodeAction, hasParams, NETWORK_ACTION_NAMES, NETWORK_ACTIONS, NETWORK_PARAM_BLOCKS, NODE_ACTION_NAMES, NODE_ACTIONS } from './actions/index.js';

/** The shared field-error collector, with the parameter readers faults need besides. */
export class Errors extends FieldErrors {
  /** A duration that must be positive; answers ms. */
  duration(v: unknown, field: string, opts: { required?: boolean; allowZero?: boolean } = {}): number | undefined {
    const s = this.string(v, field, opts.required);
    if (s === undefined) return undefined;
    const trimmed = s.trim();
    if (trimmed.startsWith('-')) {
      this.add(field, `Invalid value: "${s}": must not be negative`);
      return undefined;
    }
    const ms = parseDuration(trimmed);
    if (ms === undefined) {
      this.add(field, `Invalid value: "${s}": must be a duration such as 500ms, 30s, 5m or 1h`);
      return undefined;
    }
    if (ms === 0 && !opts.allowZero) {
      this.add(field, `Invalid value: "${s}": must be longer than 0s`);
      return undefined;
    }
    return ms;
  }
  int(v: unknown, field: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.add(field, `must be an integer, not ${showValue(v)}`);
      return undefined;
    }
    if (v < min) this.add(field, `Invalid value: ${v}: must be greater than or equal to ${min}`);
    else if (v > max) this.add(field, `Invalid value: ${v}: must be less than or equal to ${max}`);
    return v;
  }
  /** A field this kind of fault does not take, when it is given. */
  notTaken(v: unknown, field: string, why: string): void {
    if (v !== undefined && v !== null) this.forbidden(field, why);
  }
}

/** selector + mode + value, for the chosen nodes (at spec) or the target (at spec.target). */
function validateTarget(e: Errors, o: Obj, at: string, requireSelection: boolean): void {
  const prefix = `${at}.`;
  const selector = e.object(o.selector, `${prefix}selector`);
  if (selector) {
    if (selector.nodes !== undefined) {
      if (!Array.isArray(selector.nodes)) e.add(`${prefix}selector.nodes`, `must be a list of node names, not ${showValue(selector.nodes)}`);
      else if (selector.nodes.length === 0) e.add(`${prefix}selector.nodes`, 'Required value: name at least one node, or leave nodes out to match every node');
      else
        selector.nodes.forEach((n, i) => {
          if (typeof n !== 'string') e.add(`${prefix}selector.nodes[${i}]`, `must be a string, not ${showValue(n)}`);
          else if (!isDNS1123Subdomain(n))
            e.add(`${prefix}selector.nodes[${i}]`, `Invalid value: "${n}": must be a node name (lowercase letters, digits, '-' and '.')`);
        });
    }
    const labels = e.object(selector.labelSelectors, `${prefix}selector.labelSelectors`);
    for (const [k, v] of Object.entries(labels ?? {})) {
      if (!isLabelKey(k)) e.add(`${prefix}selector.labelSelectors`, `Invalid value: "${k}": must be a valid label key`);
      if (typeof v !== 'string') e.add(`${prefix}selector.labelSelectors.${k}`, `must be a string, not ${showValue(v)}`);
      else if (!isLabelValue(v)) e.add(`${prefix}selector.labelSelectors.${k}`, `Invalid value: "${v}": must be a valid label value`);
    }
  }
  const mode = e.oneOf(o.mode, `${prefix}mode`, CHAOS_MODES);
  if (o.mode === undefined || mode !== undefined) {
    const value = o.value;
    if (value !== undefined && typeof value !== 'string' && typeof value !== 'number')
      e.add(`${prefix}value`, `must be a string such as "2" or "50", not ${showValue(value)}`);
    else {
      const why = modeValueError(mode as never, value as string | number | undefined);
      if (why) e.add(`${prefix}value`, o.mode === undefined && value !== undefined ? `${why} (no mode is set, which means all)` : why);
    }
  }
  if (requireSelection && !selector && o.mode === undefined)
    e.add(`${prefix}selector`, 'Required value: name nodes (selector.nodes) or labels (selector.labelSelectors), or set a mode to pick among all nodes');
}

function validateCommon(e: Errors, spec: Obj): { durationMs?: number; intervalMs?: number } {
  validateTarget(e, spec, 'spec', true);
  const durationMs = e.duration(spec.duration, 'spec.duration');
  let intervalMs: number | undefined;
  const schedule = e.object(spec.schedule, 'spec.schedule');
  if (schedule) {
    const interval = e.string(schedule.interval, 'spec.schedule.interval');
    const cron = e.string(schedule.cron, 'spec.schedule.cron');
    try {
      runSchedule({ interval, cron });
      if (interval !== undefined) intervalMs = parseDuration(interval);
    } catch (err) {
      const field =
        cron !== undefined && interval === undefined
          ? 'spec.schedule.cron'
          : interval !== undefined && cron === undefined
            ? 'spec.schedule.interval'
            : 'spec.schedule';
      if (err instanceof ScheduleError) e.add(field, `Invalid value: ${err.message}`);
      else throw err;
    }
    e.int(schedule.count, 'spec.schedule.count', 1);
  }
  e.int(spec.seed, 'spec.seed', 0, 2 ** 32 - 1);
  return { durationMs, intervalMs };
}

function validateNodeChaos(e: Errors, spec: Obj): void {
  const action = e.oneOf(spec.action, 'spec.action', NODE_ACTION_NAMES, true);
  const times = validateCommon(e, spec);
  e.int(spec.minReady, 'spec.minReady', 0);
  // Fields of one action are refused on the others; the action itself checks its own.
  for (const other of NODE_ACTIONS)
    if (other.name !== action) for (const k of Object.keys(other.params.properties)) e.notTaken(spec[k], `spec.${k}`, `only action ${other.name} takes a ${k}`);
  findNodeAction(action)?.validate?.(e, spec, times);
  for (const k of ['direction', 'target', ...NETWORK_PARAM_BLOCKS]) e.notTaken(spec[k], `spec.${k}`, 'a NodeChaos takes no network fields; use a NetworkChaos');
}

function validateNetworkChaos(e: Errors, spec: Obj): void {
  const action = e.oneOf(spec.action, 'spec.action', NETWORK_ACTION_NAMES, true);
  const { durationMs, intervalMs } = validateCommon(e, spec);
  e.oneOf(spec.direction, 'spec.direction', CHAOS_DIRECTIONS);
  const target = e.object(spec.target, 'spec.target');
  if (target) {
    validateTarget(e, target, 'spec.target', false);
    if (target.controlPlane !== undefined && typeof target.controlPlane !== 'boolean')
      e.add('spec.target.controlPlane', `must be true or false, not ${showValue(target.controlPlane)}`);
  }
  for (const a of NETWORK_ACTIONS) {
    if (!hasParams(a)) continue;
    const block = e.object(spec[a.name], `spec.${a.name}`, action === a.name);
    if (block) a.validate?.(e, block, `spec.${a.name}`);
  }
  for (const k of NETWORK_PARAM_BLOCKS)
    if (action !== undefined && action !== k) e.notTaken(spec[k], `spec.${k}`, `only action ${k} takes it (this fault is ${action})`);
  if (spec.schedule !== undefined && spec.duration === undefined)
    e.add('spec.duration', 'Required value: a repeating network fault needs a duration, to heal between runs');
  if (durationMs !== undefined && intervalMs !== undefined && intervalMs <= durationMs) e.add('spec.schedule.interval', runsOverlap(spec));
  for (const k of ['minReady', ...NODE_ACTIONS.flatMap((a) => Object.keys(a.params.properties))]) e.notTaken(spec[k], `spec.${k}`, 'only a NodeChaos takes it');
}

/** The errors of a NodeChaos or NetworkChaos spec (empty when it is valid). */
export function validateChaosSpec(kind: 'NodeChaos' | 'NetworkChaos', spec: unknown): FieldError[] {
  const e = new Errors();
  const s = e.object(spec, 'spec', true);
  if (!s) return e.list;
  if (kind === 'NodeChaos') validateNodeChaos(e, s);
  else validateNetworkChaos(e, s);
  return e.list;
}

/** The errors of one network action's block of parameters alone, its fields named from `at`. */
export function validateActionParams(action: NetworkFaultAction, block: Record<string, unknown>, at: string): FieldError[] {
  const e = new Errors();
  action.validate?.(e, block, at);
  return e.list;
}
