// The pod-template-hash: a short, stable name for a pod template. A Deployment names its
// ReplicaSets `<deployment>-<hash>` and labels them and their pods with it, so the pods of two
// templates never mix. As in Kubernetes: FNV-1a (32 bit) over the template, then the decimal
// digits of the sum spelled in the vowel-free alphabet of SafeEncodeString (so "web-5d4b9c8f7").
// kip hashes canonical JSON (keys sorted) where Kubernetes hashes a Go dump; only stability matters.

import { LABEL_POD_TEMPLATE_HASH, type PodTemplateSpec } from '@kip/shared';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1a over the UTF-8 bytes of `text`, continuing from `seed`. */
export function fnv1a32(text: string, seed = FNV_OFFSET): number {
  let h = seed >>> 0;
  for (const b of Buffer.from(text, 'utf8')) {
    h ^= b;
    h = Math.imul(h, FNV_PRIME) >>> 0;
  }
  return h >>> 0;
}

/** Kubernetes' rand.SafeEncodeString: each character mapped into an alphabet without vowels. */
export function safeEncodeString(s: string): string {
  let out = '';
  for (const ch of s) out += SAFE_ALPHABET[ch.codePointAt(0)! % SAFE_ALPHABET.length];
  return out;
}

/** JSON with object keys sorted at every level and undefined members left out. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : canonicalJson(x))).join(',')}]`;
  const parts: string[] = [];
  for (const k of Object.keys(v as Record<string, unknown>).sort()) {
    const x = (v as Record<string, unknown>)[k];
    if (x === undefined) continue;
    parts.push(`${JSON.stringify(k)}:${canonicalJson(x)}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * The hash of a template. `collisionCount` (when > 0) is mixed in so that a name already taken by
 * some unrelated ReplicaSet can be stepped around deterministically.
 */
export function computeTemplateHash(template: PodTemplateSpec, collisionCount = 0): string {
  let h = fnv1a32(canonicalJson(template));
  if (collisionCount > 0) h = fnv1a32(String(collisionCount), h);
  return safeEncodeString(String(h));
}

function withoutHash(t: PodTemplateSpec): PodTemplateSpec {
  const copy = structuredClone(t);
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[LABEL_POD_TEMPLATE_HASH];
    if (Object.keys(copy.metadata.labels).length === 0) delete copy.metadata.labels;
  }
  if (copy.metadata && Object.keys(copy.metadata).length === 0) delete copy.metadata;
  return copy;
}

/** Kubernetes' EqualIgnoreHash: the same template once the pod-template-hash label is set aside. */
export function templatesEqualIgnoringHash(a: PodTemplateSpec, b: PodTemplateSpec): boolean {
  return canonicalJson(withoutHash(a)) === canonicalJson(withoutHash(b));
}
