// Manifests as people write them: YAML or JSON, several documents per file, `kind: List` flattened.

import { createRequire } from 'node:module';

// yaml is loaded on first use: only the CLI parses manifests, and every agent process would
// otherwise pay for loading it at start.
const require = createRequire(import.meta.url);
const yaml = (): typeof import('yaml') => require('yaml') as typeof import('yaml');

export class ManifestError extends Error {
  readonly code = 'InvalidManifest';
}

export interface ManifestDocument {
  /** where it came from, for messages: "web.yaml" or "web.yaml (document 2)" */
  source: string;
  object: Record<string, unknown>;
}

export function parseManifests(text: string, source = 'input'): ManifestDocument[] {
  const docs = yaml().parseAllDocuments(text, { prettyErrors: true });
  const out: ManifestDocument[] = [];
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, i) => {
    const where = list.length > 1 ? `${source} (document ${i + 1})` : source;
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      throw new ManifestError(`${where}: ${e.message.split('\n')[0]}`);
    }
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) return; // an empty document, e.g. after a trailing ---
    if (typeof value !== 'object' || Array.isArray(value)) throw new ManifestError(`${where}: a manifest must be an object with apiVersion and kind`);
    const obj = value as Record<string, unknown>;
    if (obj.kind === 'List' || (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items))) {
      const items = obj.items;
      if (!Array.isArray(items)) throw new ManifestError(`${where}: items: must be a list`);
      items.forEach((it, j) => {
        if (typeof it !== 'object' || it === null || Array.isArray(it)) throw new ManifestError(`${where}: items[${j}]: must be an object`);
        out.push({ source: `${where} item ${j + 1}`, object: it as Record<string, unknown> });
      });
      return;
    }
    out.push({ source: where, object: obj });
  });
  return out;
}
