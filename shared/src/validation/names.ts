// The name rules Kubernetes applies to object names, namespaces, ports and labels.

import { isLabelKey, isLabelValue } from '../api/selector.js';
import { child, type FieldErrors } from './errors.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const PORT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

export function isDNS1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}
export function isDNS1123Subdomain(s: string): boolean {
  return s.length <= 253 && DNS1123_SUBDOMAIN.test(s);
}

/** Label keys and values of a map already checked to hold strings. */
export function checkLabels(labels: Record<string, unknown>, field: string, errors: FieldErrors): void {
  for (const [k, val] of Object.entries(labels)) {
    if (!isLabelKey(k)) errors.invalid(field, k, "a label key must consist of alphanumeric characters, '-', '_' or '.', with an optional DNS prefix and '/'");
    if (typeof val === 'string' && !isLabelValue(val))
      errors.invalid(
        child(field, k),
        val,
        "a label value must be 63 characters or less, alphanumeric, '-', '_' or '.', starting and ending with an alphanumeric character",
      );
  }
}
