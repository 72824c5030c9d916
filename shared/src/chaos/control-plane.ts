// ControlPlaneChaos: the fault that kills the control plane itself (SIGKILL, as a crashed API
// server and etcd would be lost), so that an experiment can measure what losing it does. Its spec
// is small: the action (kill, the only one) and how long the launcher waits before it starts the
// control plane again from its durable store.

import { parseDuration } from '../api/quantity.js';
import type { FieldError } from '../validation/errors.js';
import { Errors } from './validate.js';

export const CONTROL_PLANE_CHAOS_ACTIONS = ['kill'] as const;
export type ControlPlaneChaosAction = (typeof CONTROL_PLANE_CHAOS_ACTIONS)[number];

const FIELDS = new Set(['action', 'restartAfter']);

/** The errors of a ControlPlaneChaos spec (empty when it is valid). */
export function validateControlPlaneChaosSpec(spec: unknown): FieldError[] {
  const e = new Errors();
  const s = e.object(spec, 'spec', true);
  if (!s) return e.list;
  const action = e.string(s.action, 'spec.action', true);
  if (action !== undefined && !(CONTROL_PLANE_CHAOS_ACTIONS as readonly string[]).includes(action))
    e.unsupported('spec.action', action, CONTROL_PLANE_CHAOS_ACTIONS);
  e.duration(s.restartAfter, 'spec.restartAfter', { allowZero: true });
  for (const k of Object.keys(s))
    if (!FIELDS.has(k)) e.forbidden(`spec.${k}`, 'a ControlPlaneChaos takes only action and restartAfter (there is one control plane to act on, once)');
  return e.list;
}

/** spec.restartAfter in ms; 0 (restart at once) when it is not given. */
export function restartAfterMs(spec: { restartAfter?: string }): number {
  return spec.restartAfter === undefined ? 0 : (parseDuration(spec.restartAfter.trim()) ?? 0);
}
