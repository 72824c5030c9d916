// The few protobuf bodies kip reads. kubectl's typed clients (drain, create namespace, create
// deployment, ...) send built-in objects as Kubernetes protobuf ("k8s\0" and a runtime.Unknown
// envelope), and a client does not fall back to JSON when refused. Decoding every kind would mean
// every field number of every kind; kip decodes the options of a delete and an eviction (what
// `kubectl drain` sends) and the fields kubectl's create commands set on namespaces, deployments
// and services, jobs (also --from=cronjob) and cronjobs, and refuses anything else with a 415
// that says to send JSON.

import { ApiError } from './errors.js';

export const PROTOBUF_TYPE = 'application/vnd.kubernetes.protobuf';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

type Field = { no: number; varint?: bigint; bytes?: Buffer };

/** The fields of one message, in order; repeated fields come as several. */
function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let i = 0;
  const varint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++]!;
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return v;
      shift += 7n;
      if (shift > 63n) throw new Error('varint too long');
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    switch (key & 7) {
      case 0:
        out.push({ no, varint: varint() });
        break;
      case 1:
        i += 8;
        break;
      case 2: {
        const len = Number(varint());
        if (i + len > buf.length) throw new Error('truncated field');
        out.push({ no, bytes: buf.subarray(i, i + len) });
        i += len;
        break;
      }
      case 5:
        i += 4;
        break;
      default:
        throw new Error(`unsupported wire type ${key & 7}`);
    }
  }
  return out;
}

const str = (f: Field | undefined) => f?.bytes?.toString('utf8');
const one = (fs: Field[], no: number) => fs.filter((f) => f.no === no).pop();

/** meta/v1 DeleteOptions: gracePeriodSeconds 1, preconditions 2 (uid 1, resourceVersion 2), orphanDependents 3, propagationPolicy 4, dryRun 5. */
function deleteOptions(buf: Buffer): Record<string, unknown> {
  const fs = fields(buf);
  const out: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
  const grace = one(fs, 1)?.varint;
  if (grace !== undefined) out.gracePeriodSeconds = Number(BigInt.asIntN(64, grace));
  const pre = one(fs, 2)?.bytes;
  if (pre) {
    const p = fields(pre);
    out.preconditions = { uid: str(one(p, 1)), resourceVersion: str(one(p, 2)) };
  }
  const orphan = one(fs, 3)?.varint;
  if (orphan !== undefined) out.orphanDependents = orphan !== 0n;
  const policy = str(one(fs, 4));
  if (policy !== undefined) out.propagationPolicy = policy;
  const dryRun = fs.filter((f) => f.no === 5).map(str);
  if (dryRun.length > 0) out.dryRun = dryRun;
  return out;
}

/** policy/v1 Eviction: metadata 1 (name 1, namespace 3), deleteOptions 2. */
function eviction(buf: Buffer, apiVersion: string): Record<string, unknown> {
  const fs = fields(buf);
  const meta = one(fs, 1)?.bytes;
  const m = meta ? fields(meta) : [];
  const opts = one(fs, 2)?.bytes;
  return {
    kind: 'Eviction',
    apiVersion,
    metadata: { name: str(one(m, 1)), namespace: str(one(m, 3)) },
    ...(opts ? { deleteOptions: deleteOptions(opts) } : {}),
  };
}

// Messages by field number, as Kubernetes' generated.proto numbers them. A field is a string, an
// integer, a boolean, a string map, a bytes map (base64 in JSON), a message or an int-or-string;
// `[]` marks a repeated one. Empty strings and zero integers are what gogo-protobuf writes for
// unset plain fields, so they are left out as JSON's omitempty would, except where a pointer field
// makes zero a value (`i0`); the booleans kip reads are pointers too, written only when set, so
// false is kept.
type Scalar = 's' | 'i' | 'i0' | 'bool' | 'map' | 'bytesMap' | 'intstr';
type FieldType = Scalar | Message | [Scalar | Message];
interface Message {
  [no: number]: [string, FieldType];
}

const OWNER_REFERENCE: Message = {
  1: ['kind', 's'],
  3: ['name', 's'],
  4: ['uid', 's'],
  5: ['apiVersion', 's'],
  6: ['controller', 'bool'],
  7: ['blockOwnerDeletion', 'bool'],
};
const OBJECT_META: Message = {
  1: ['name', 's'],
  2: ['generateName', 's'],
  3: ['namespace', 's'],
  11: ['labels', 'map'],
  12: ['annotations', 'map'],
  13: ['ownerReferences', [OWNER_REFERENCE]],
};
const LABEL_SELECTOR: Message = {
  1: ['matchLabels', 'map'],
  2: ['matchExpressions', [{ 1: ['key', 's'], 2: ['operator', 's'], 3: ['values', ['s']] }]],
};
const CONTAINER: Message = {
  1: ['name', 's'],
  2: ['image', 's'],
  3: ['command', ['s']],
  4: ['args', ['s']],
  5: ['workingDir', 's'],
  6: ['ports', [{ 1: ['name', 's'], 2: ['hostPort', 'i'], 3: ['containerPort', 'i'], 4: ['protocol', 's'] }]],
  7: ['env', [{ 1: ['name', 's'], 2: ['value', 's'] }]],
  14: ['imagePullPolicy', 's'],
};
const POD_TEMPLATE: Message = {
  1: ['metadata', OBJECT_META],
  2: [
    'spec',
    {
      2: ['containers', [CONTAINER]],
      3: ['restartPolicy', 's'],
      4: ['terminationGracePeriodSeconds', 'i0'],
      7: ['nodeSelector', 'map'],
      10: ['nodeName', 's'],
      // What the API server defaults, back from a stored template (kubectl create job --from).
      19: ['schedulerName', 's'],
    },
  ],
};
const JOB_SPEC: Message = {
  1: ['parallelism', 'i0'],
  2: ['completions', 'i0'],
  3: ['activeDeadlineSeconds', 'i0'],
  4: ['selector', LABEL_SELECTOR],
  5: ['manualSelector', 'bool'],
  6: ['template', POD_TEMPLATE],
  7: ['backoffLimit', 'i0'],
  8: ['ttlSecondsAfterFinished', 'i0'],
  9: ['completionMode', 's'],
  10: ['suspend', 'bool'],
};
const OBJECTS: Record<string, Message> = {
  // What `kubectl create configmap` and `kubectl create secret` send.
  ConfigMap: { 1: ['metadata', OBJECT_META], 2: ['data', 'map'], 3: ['binaryData', 'bytesMap'], 4: ['immutable', 'bool'] },
  Secret: { 1: ['metadata', OBJECT_META], 2: ['data', 'bytesMap'], 3: ['type', 's'], 4: ['stringData', 'map'], 5: ['immutable', 'bool'] },
  Job: { 1: ['metadata', OBJECT_META], 2: ['spec', JOB_SPEC] },
  CronJob: {
    1: ['metadata', OBJECT_META],
    2: [
      'spec',
      {
        1: ['schedule', 's'],
        2: ['startingDeadlineSeconds', 'i0'],
        3: ['concurrencyPolicy', 's'],
        4: ['suspend', 'bool'],
        5: ['jobTemplate', { 1: ['metadata', OBJECT_META], 2: ['spec', JOB_SPEC] }],
        6: ['successfulJobsHistoryLimit', 'i0'],
        7: ['failedJobsHistoryLimit', 'i0'],
        8: ['timeZone', 's'],
      },
    ],
  },
  Namespace: { 1: ['metadata', OBJECT_META], 2: ['spec', { 1: ['finalizers', ['s']] }] },
  Deployment: {
    1: ['metadata', OBJECT_META],
    2: [
      'spec',
      {
        1: ['replicas', 'i0'],
        2: ['selector', LABEL_SELECTOR],
        3: ['template', POD_TEMPLATE],
        4: ['strategy', { 1: ['type', 's'] }],
        5: ['minReadySeconds', 'i'],
      },
    ],
  },
  Service: {
    1: ['metadata', OBJECT_META],
    2: [
      'spec',
      {
        1: ['ports', [{ 1: ['name', 's'], 2: ['protocol', 's'], 3: ['port', 'i'], 4: ['targetPort', 'intstr'], 5: ['nodePort', 'i'] }]],
        2: ['selector', 'map'],
        3: ['clusterIP', 's'],
        4: ['type', 's'],
      },
    ],
  },
};

function scalar(f: Field, type: Scalar | Message): unknown {
  if (typeof type === 'object') return message(f.bytes ?? Buffer.alloc(0), type);
  switch (type) {
    case 's':
      return str(f);
    case 'i':
    case 'i0':
      return f.varint === undefined ? undefined : Number(BigInt.asIntN(64, f.varint));
    case 'bool':
      return f.varint === undefined ? undefined : f.varint !== 0n;
    case 'intstr': {
      const v = fields(f.bytes ?? Buffer.alloc(0));
      return one(v, 1)?.varint === 1n ? str(one(v, 3)) : Number(one(v, 2)?.varint ?? 0n);
    }
    case 'map': {
      const entry = fields(f.bytes ?? Buffer.alloc(0));
      return [str(one(entry, 1)) ?? '', str(one(entry, 2)) ?? ''];
    }
    case 'bytesMap': {
      const entry = fields(f.bytes ?? Buffer.alloc(0));
      return [str(one(entry, 1)) ?? '', (one(entry, 2)?.bytes ?? Buffer.alloc(0)).toString('base64')];
    }
  }
}

/** A zero, an empty string, or a message of nothing but those (or bytes that are no message). */
function isEmpty(f: Field, depth = 0): boolean {
  if (f.varint !== undefined) return f.varint === 0n;
  if (!f.bytes || f.bytes.length === 0) return true;
  if (depth > 16) return false;
  try {
    return fields(f.bytes).every((g) => isEmpty(g, depth + 1));
  } catch {
    return false;
  }
}

function message(buf: Buffer, schema: Message): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields(buf)) {
    const known = schema[f.no];
    if (!known) {
      // Unset fields come as empty values; a set one kip does not read must not be dropped silently.
      if (!isEmpty(f)) throw new ApiError('UnsupportedMediaType', `field ${f.no} of this protobuf object is one kip does not read; send the object as JSON`);
      continue;
    }
    const [name, type] = known;
    if (Array.isArray(type)) {
      const list = (out[name] ??= []) as unknown[];
      list.push(scalar(f, type[0]));
    } else if (type === 'map' || type === 'bytesMap') {
      const [k, v] = scalar(f, type) as [string, string];
      ((out[name] ??= {}) as Record<string, string>)[k] = v;
    } else {
      const v = scalar(f, type);
      const empty = v === undefined || v === '' || (v === 0 && type === 'i') || v === false;
      if (!empty) out[name] = v;
    }
  }
  return out;
}

/** A protobuf body as the JSON object it stands for, or a 415 naming what kip cannot read. */
export function decodeProtobufBody(body: Buffer): unknown {
  let kind = '';
  let apiVersion = '';
  try {
    if (!body.subarray(0, 4).equals(MAGIC)) throw new Error('no "k8s\\0" prefix');
    const envelope = fields(body.subarray(4));
    const typeMeta = fields(one(envelope, 1)?.bytes ?? Buffer.alloc(0));
    apiVersion = str(one(typeMeta, 1)) ?? '';
    kind = str(one(typeMeta, 2)) ?? '';
    const raw = one(envelope, 2)?.bytes ?? Buffer.alloc(0);
    if (kind === 'DeleteOptions') return deleteOptions(raw);
    if (kind === 'Eviction') return eviction(raw, apiVersion);
    const schema = OBJECTS[kind];
    if (schema) return { apiVersion, kind, ...message(raw, schema) };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    throw new ApiError('BadRequest', `the request body is not valid Kubernetes protobuf: ${(err as Error).message}`);
  }
  throw new ApiError(
    'UnsupportedMediaType',
    `kip reads ${kind || 'objects'} as JSON or YAML, not ${PROTOBUF_TYPE}; send the body as application/json (kubectl apply -f does)`,
  );
}
