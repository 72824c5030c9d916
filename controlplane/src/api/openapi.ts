// The OpenAPI documents kubectl reads, generated from the same kind schemas the server validates
// with: /openapi/v3 (an index of group-versions, then one document per group-version), which
// kubectl 1.32 uses for `explain` and to learn that the server checks fields itself
// (fieldValidation on PATCH, so it sends fieldValidation=Strict instead of validating on its
// side), and /openapi/v2 for older clients. Only JSON is served: kubectl asks /openapi/v2 in
// protobuf, and a 406 tells it the server has none.

import { createHash } from 'node:crypto';
import { KINDS, KIP_VERSION, apiVersionOf, openApiName, openApiSchemas, type ResourceType } from '@kip/shared';

type Json = Record<string, unknown>;

/** The query parameters of writes that kubectl looks for before relying on them. */
const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation'];

/**
 * A TypeBox schema in the OpenAPI subset kubectl parses: maps are `additionalProperties` (OpenAPI
 * has no patternProperties), a literal is a string, and an int-or-string is written as Kubernetes
 * writes IntOrString.
 */
export function toOpenApi(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toOpenApi);
  if (typeof schema !== 'object' || schema === null) return schema;
  const s = schema as Json;
  if (s['x-kubernetes-int-or-string'] === true) {
    const { anyOf: _anyOf, ...rest } = s;
    return { ...rest, type: 'string', format: 'int-or-string' };
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'patternProperties') {
      const values = Object.values(v as Json);
      if (values[0] !== undefined) out.additionalProperties = toOpenApi(values[0]);
    } else if (k === 'const') out.enum = [v];
    else if (k === 'properties') out.properties = Object.fromEntries(Object.entries(v as Json).map(([name, p]) => [name, toOpenApi(p)]));
    else if (k === 'anyOf' || k === 'items') out[k] = toOpenApi(v);
    else out[k] = v;
  }
  // A nullable string (a union with null) is a nullable string in OpenAPI 3.
  const anyOf = out.anyOf as Json[] | undefined;
  if (anyOf?.length === 2 && anyOf.some((a) => a.type === 'null')) {
    delete out.anyOf;
    Object.assign(
      out,
      anyOf.find((a) => a.type !== 'null'),
      { nullable: true },
    );
  }
  return out;
}

/** The group-versions kip serves, as /openapi/v3 names them: `api/v1`, `apis/apps/v1`. */
function groupVersions(): Map<string, ResourceType[]> {
  const out = new Map<string, ResourceType[]>();
  for (const { resource: r } of KINDS) {
    const key = r.group ? `apis/${r.group}/${r.version}` : `api/${r.version}`;
    out.set(key, [...(out.get(key) ?? []), r]);
  }
  return out;
}

function basePath(r: ResourceType): string {
  return `/${r.group ? 'apis' : 'api'}/${apiVersionOf(r)}`;
}

/** The paths of one kind, each operation marked with its group-version-kind as the API server marks them. */
function paths(r: ResourceType, v3: boolean): Json {
  const ref = v3 ? `#/components/schemas/${openApiName(r)}` : `#/definitions/${openApiName(r)}`;
  const gvk = { group: r.group, version: r.version, kind: r.kind };
  const param = (name: string, where: 'path' | 'query') =>
    v3
      ? { name, in: where, ...(where === 'path' ? { required: true } : {}), schema: { type: 'string', uniqueItems: true } }
      : { name, in: where, ...(where === 'path' ? { required: true } : {}), type: 'string', uniqueItems: true };
  const body = v3
    ? { requestBody: { required: true, content: { 'application/json': { schema: { $ref: ref } } } } }
    : { parameters: [{ name: 'body', in: 'body', required: true, schema: { $ref: ref } }] };
  const ok = v3
    ? { responses: { '200': { description: 'OK', content: { 'application/json': { schema: { $ref: ref } } } } } }
    : { responses: { '200': { description: 'OK', schema: { $ref: ref } } } };
  const op = (action: string, verb: string, params: string[], withBody: boolean) => {
    const parameters = params.map((p) => param(p, 'query'));
    const b = withBody ? body : {};
    const allParams = [...parameters, ...((b as { parameters?: unknown[] }).parameters ?? [])];
    return {
      operationId: `${verb}${r.kind}`,
      ...b,
      parameters: allParams,
      ...ok,
      'x-kubernetes-action': action,
      'x-kubernetes-group-version-kind': gvk,
    };
  };
  const nsParam = r.namespaced ? [param('namespace', 'path')] : [];
  const prefix = `${basePath(r)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}`;
  return {
    [prefix]: {
      parameters: nsParam,
      get: op('list', 'list', [], false),
      post: op('post', 'create', WRITE_PARAMS, true),
    },
    [`${prefix}/{name}`]: {
      parameters: [param('name', 'path'), ...nsParam],
      get: op('get', 'read', [], false),
      put: op('put', 'replace', WRITE_PARAMS, true),
      patch: op('patch', 'patch', [...WRITE_PARAMS, 'force'], true),
      delete: op('delete', 'delete', ['dryRun'], false),
    },
  };
}

function schemasFor(kinds: readonly ResourceType[]): Json {
  const all = openApiSchemas();
  return Object.fromEntries(kinds.map((r) => [openApiName(r), toOpenApi(all[openApiName(r)])]));
}

const info = { title: 'Kubernetes', version: `v${KIP_VERSION}-kip` };

/** The OpenAPI v3 document of one group-version (`api/v1`, `apis/apps/v1`), or undefined if kip serves none such. */
export function openApiV3(groupVersion: string): Json | undefined {
  const kinds = groupVersions().get(groupVersion);
  if (!kinds) return undefined;
  return {
    openapi: '3.0.0',
    info,
    paths: Object.assign({}, ...kinds.map((r) => paths(r, true))),
    components: { schemas: schemasFor(kinds) },
  };
}

/** /openapi/v3: where each group-version's document is; the hash changes when the document does, so clients may cache by URL. */
export function openApiV3Index(): Json {
  const out: Json = {};
  for (const gv of groupVersions().keys()) {
    const hash = createHash('sha256')
      .update(JSON.stringify(openApiV3(gv)))
      .digest('hex')
      .toUpperCase();
    out[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${hash}` };
  }
  return { paths: out };
}

/** /openapi/v2: every kind in one Swagger 2.0 document. */
export function openApiV2(): Json {
  return {
    swagger: '2.0',
    info,
    paths: Object.assign({}, ...KINDS.map((k) => paths(k.resource, false))),
    definitions: schemasFor(KINDS.map((k) => k.resource)),
  };
}

/** Whether an Accept header takes JSON (kubectl asks /openapi/v2 in protobuf only). */
export function acceptsJson(accept: string | undefined): boolean {
  if (!accept) return true;
  return accept.split(',').some((t) => {
    const type = t.split(';')[0]!.trim();
    return type === 'application/json' || type === '*/*' || type === 'application/*';
  });
}
