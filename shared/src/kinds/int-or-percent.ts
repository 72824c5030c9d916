// Kubernetes' IntOrString used as an amount of pods: `2` or `"25%"` of some total. Rolling updates
// (maxUnavailable, maxSurge) and disruption budgets (minAvailable, maxUnavailable) share its checks
// and its arithmetic (apimachinery's GetScaledValueFromIntOrPercent).

import type { FieldErrors } from '../validation/errors.js';

const PERCENT = /^(\d+)%$/;

export function isIntOrPercent(v: unknown): boolean {
  return (typeof v === 'number' && Number.isInteger(v) && v >= 0) || (typeof v === 'string' && PERCENT.test(v));
}

/** Checks a value as Kubernetes' ValidatePositiveIntOrPercent and IsNotMoreThan100Percent do. */
export function checkIntOrPercent(v: unknown, field: string, errors: FieldErrors): void {
  if (v === undefined || v === null) return;
  if (!isIntOrPercent(v)) {
    errors.invalid(field, v, 'must be a non-negative integer or a percentage such as "25%"');
    return;
  }
  const m = typeof v === 'string' ? PERCENT.exec(v) : null;
  if (m && Number(m[1]) > 100) errors.invalid(field, v, 'must not be greater than 100%');
}

/** Whether the value means none at all: 0 or "0%". */
export function isZeroIntOrPercent(v: unknown): boolean {
  return v === 0 || v === '0%';
}

/** The value as a count of pods out of `total`; a percentage rounds up or down as asked. */
export function scaledIntOrPercent(v: number | string | undefined, total: number, roundUp: boolean): number {
  if (v === undefined) return 0;
  if (typeof v === 'number') return v;
  const m = PERCENT.exec(v);
  if (!m) {
    const n = Number.parseInt(v, 10);
    if (Number.isNaN(n)) throw new Error(`invalid value "${v}": must be an integer or a percentage`);
    return n;
  }
  const scaled = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}
