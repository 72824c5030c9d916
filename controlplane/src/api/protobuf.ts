// The few protobuf bodies kip reads. kubectl's typed clients (drain, create deployment, ...) send
// built-in objects as Kubernetes protobuf ("k8s\0" and a runtime.Unknown envelope), and a client
// does not fall back to JSON when refused. Decoding every kind would mean every kind's field
// numbers; kip decodes only the options of a delete and an eviction, which is what `kubectl
// drain` sends, and refuses anything else with a 415 that says to use JSON.

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
  } catch (err) {
    throw new ApiError('BadRequest', `the request body is not valid Kubernetes protobuf: ${(err as Error).message}`);
  }
  throw new ApiError(
    'UnsupportedMediaType',
    `kip reads ${kind || 'objects'} as JSON or YAML, not ${PROTOBUF_TYPE}; send the body as application/json (kubectl apply -f does)`,
  );
}
