// The OpenAPI documents kubectl reads, generated from the same kind schemas the server validates
// with: /openapi/v3 (an index of group-versions, then one document per group-version), which
// kubectl 1.32 uses for `explain` and to learn that the server checks fields itself
// (fieldValidation on PATCH, so it sends fieldValidation=Strict instead of validating on its
// side), and /openapi/v2, in JSON or in the protobuf kubectl asks it in, which kubectl reads to
// validate what it cannot leave to the server (the items of a `kind: List`).

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
  // The patch types a PATCH takes. kubectl computes a strategic merge patch from the schema when
  // the document lists that type, merging lists by the x-kubernetes-patch-merge-key the schemas
  // carry, as the server does (strategic-merge-patch.ts).
  const patchBody = v3
    ? {
        requestBody: {
          required: true,
          content: Object.fromEntries(
            ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'].map(
              (t) => [t, { schema: { $ref: ref } }],
            ),
          ),
        },
      }
    : body;
  const op = (action: string, verb: string, params: string[], withBody: boolean) => {
    const parameters = params.map((p) => param(p, 'query'));
    const b = withBody ? (action === 'patch' ? patchBody : body) : {};
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
      delete: op('delete', 'delete', ['dryRun', 'gracePeriodSeconds', 'propagationPolicy'], false),
    },
  };
}

/** What the fields every kind has mean, in Kubernetes' words, for `kubectl explain`. */
const COMMON_FIELDS: Record<string, string> = {
  apiVersion: 'APIVersion defines the versioned schema of this representation of an object.',
  kind: 'Kind is a string value representing the REST resource this object represents.',
  metadata: "Standard object's metadata: name, namespace, labels, annotations, and what the server sets.",
  spec: 'The desired state of the object.',
  status: 'The most recently observed state of the object. Read-only: the server and its controllers write it.',
};

function schemasFor(kinds: readonly ResourceType[]): Json {
  const all = openApiSchemas();
  return Object.fromEntries(
    kinds.map((r) => {
      const s = toOpenApi(all[openApiName(r)]) as Json & { properties?: Record<string, Json> };
      for (const [name, description] of Object.entries(COMMON_FIELDS)) {
        const prop = s.properties?.[name];
        if (prop && prop.description === undefined) prop.description = description;
      }
      return [openApiName(r), s];
    }),
  );
}

const info = { title: 'Kubernetes', version: `v${KIP_VERSION}-kip` };

// The kinds are fixed for the life of the process, and so are the documents: each is made once.
const made = new Map<string, unknown>();
function once<T>(key: string, make: () => T): T {
  if (!made.has(key)) made.set(key, make());
  return made.get(key) as T;
}

/** The OpenAPI v3 document of one group-version (`api/v1`, `apis/apps/v1`), or undefined if kip serves none such. */
export function openApiV3(groupVersion: string): Json | undefined {
  const kinds = groupVersions().get(groupVersion);
  if (!kinds) return undefined;
  return once(`v3 ${groupVersion}`, () => ({
    openapi: '3.0.0',
    info,
    paths: Object.assign({}, ...kinds.map((r) => paths(r, true))),
    components: { schemas: schemasFor(kinds) },
  }));
}

/** /openapi/v3: where each group-version's document is; the hash changes when the document does, so clients may cache by URL. */
export function openApiV3Index(): Json {
  return once('v3 index', makeV3Index);
}

function makeV3Index(): Json {
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
  return once('v2', () => ({
    swagger: '2.0',
    info,
    paths: Object.assign({}, ...KINDS.map((k) => paths(k.resource, false))),
    definitions: schemasFor(KINDS.map((k) => k.resource)),
  }));
}

/** Whether an Accept header takes JSON (kubectl asks /openapi/v2 in protobuf only). */
export function acceptsJson(accept: string | undefined): boolean {
  if (!accept) return true;
  return accept.split(',').some((t) => {
    const type = t.split(';')[0]!.trim();
    return type === 'application/json' || type === '*/*' || type === 'application/*';
  });
}

export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/**
 * /openapi/v2 in the protobuf kubectl asks for (gnostic's openapi_v2.Document): its definitions
 * only, which is what kubectl reads to validate on its side, as it does for a `kind: List` whose
 * items it cannot leave to the server. Field numbers are those of gnostic's OpenAPIv2.proto.
 */
export function openApiV2Protobuf(): Buffer {
  return once('v2 protobuf', makeV2Protobuf);
}

function makeV2Protobuf(): Buffer {
  const doc = openApiV2();
  const info = doc.info as { title: string; version: string };
  const definitions = Object.entries(doc.definitions as Json).map(([name, s]) => pb.message(1, [pb.string(1, name), pb.message(2, schemaProto(s as Json))]));
  return Buffer.concat([pb.string(1, '2.0'), pb.message(2, [pb.string(1, info.title), pb.string(2, info.version)]), pb.message(9, definitions)]);
}

/** One Schema message; vendor extensions and enum values go as YAML (JSON is YAML). */
function schemaProto(s: Json): Buffer[] {
  const out: Buffer[] = [];
  if (typeof s.$ref === 'string') out.push(pb.string(1, s.$ref));
  if (typeof s.format === 'string') out.push(pb.string(2, s.format));
  if (typeof s.description === 'string') out.push(pb.string(4, s.description));
  if (typeof s.maximum === 'number') out.push(pb.double(7, s.maximum));
  if (typeof s.minimum === 'number') out.push(pb.double(9, s.minimum));
  for (const r of (s.required as string[] | undefined) ?? []) out.push(pb.string(19, r));
  for (const v of (s.enum as unknown[] | undefined) ?? []) out.push(pb.message(20, [pb.string(2, JSON.stringify(v))]));
  if (typeof s.additionalProperties === 'object' && s.additionalProperties !== null)
    out.push(pb.message(21, [pb.message(1, schemaProto(s.additionalProperties as Json))]));
  if (typeof s.type === 'string') out.push(pb.message(22, [pb.string(1, s.type)]));
  if (typeof s.items === 'object' && s.items !== null) out.push(pb.message(23, [pb.message(1, schemaProto(s.items as Json))]));
  if (typeof s.properties === 'object' && s.properties !== null)
    out.push(
      pb.message(
        25,
        Object.entries(s.properties as Json).map(([name, p]) => pb.message(1, [pb.string(1, name), pb.message(2, schemaProto(p as Json))])),
      ),
    );
  if (s.readOnly === true) out.push(pb.bool(27, true));
  for (const [k, v] of Object.entries(s)) if (k.startsWith('x-')) out.push(pb.message(31, [pb.string(1, k), pb.message(2, [pb.string(2, JSON.stringify(v))])]));
  return out;
}

/** The few protobuf encodings the document needs. */
const pb = {
  varint(n: number): Buffer {
    const bytes: number[] = [];
    let v = n;
    while (v > 0x7f) {
      bytes.push((v & 0x7f) | 0x80);
      v = Math.floor(v / 128);
    }
    bytes.push(v);
    return Buffer.from(bytes);
  },
  bytes(field: number, data: Buffer): Buffer {
    return Buffer.concat([pb.varint((field << 3) | 2), pb.varint(data.length), data]);
  },
  string(field: number, s: string): Buffer {
    return pb.bytes(field, Buffer.from(s, 'utf8'));
  },
  message(field: number, parts: Buffer[]): Buffer {
    return pb.bytes(field, Buffer.concat(parts));
  },
  bool(field: number, v: boolean): Buffer {
    return Buffer.concat([pb.varint(field << 3), pb.varint(v ? 1 : 0)]);
  },
  double(field: number, v: number): Buffer {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    return Buffer.concat([pb.varint((field << 3) | 1), b]);
  },
};
