// Validation of objects coming from outside (manifests, API bodies): the envelope here, the rest
// by the kind's schema and the checks attached to it (kinds/), every error naming its field by
// its path (`spec.template.spec.containers[0].image`) as the Kubernetes API server does.

import { kindDefinition } from '../kinds/index.js';
import { apiVersionOf } from '../kinds/kind.js';
import { FieldErrors, isObj, showValue, type FieldError } from '../validation/errors.js';
import { checkSchema } from '../validation/schema.js';

export { formatFieldErrors, type FieldError } from '../validation/errors.js';
export { isDNS1123Label, isDNS1123Subdomain } from '../validation/names.js';

/** Validates any object the API accepts. An empty list means valid. */
export function validateObject(o: unknown): FieldError[] {
  const errors = new FieldErrors();
  if (!isObj(o)) {
    errors.add('', `the body must be a JSON or YAML object, not ${showValue(o)}`);
    return errors.list;
  }
  const kind = errors.string(o.kind, 'kind', true);
  const apiVersion = errors.string(o.apiVersion, 'apiVersion', true);
  if (kind === '') errors.required('kind');
  if (apiVersion === '') errors.required('apiVersion');
  if (!kind || !apiVersion) return errors.list;
  const def = kindDefinition(kind);
  if (!def) {
    errors.add('kind', `Unsupported value: "${kind}": kip does not serve this kind`);
    return errors.list;
  }
  const served = apiVersionOf(def.resource);
  if (served !== apiVersion) errors.invalid('apiVersion', apiVersion, `${kind} is served as "${served}"`);
  checkSchema(def.schema, o, '', errors, { namespaced: def.resource.namespaced });
  return errors.list;
}
