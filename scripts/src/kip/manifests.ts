// Manifests named with -f: files, directories of *.yaml/*.yml/*.json, or `-` for standard input;
// parsed with the shared parser (multi-document, `kind: List`), then checked locally so that a
// mistake is reported with its file, document and field before anything reaches the server.

import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  formatFieldErrors,
  ManifestError,
  parseManifests,
  RESOURCES,
  resourceByKind,
  validateObject,
  type KObject,
  type ManifestDocument,
  type ResourceType,
} from '@kip/shared';
import { CliError } from './errors.js';
import type { CliIO } from './io.js';

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

async function filesIn(dir: string, shown: string, recursive: boolean): Promise<{ file: string; shown: string }[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: { file: string; shown: string }[] = [];
  for (const e of entries) {
    const file = path.join(dir, e.name);
    const label = path.join(shown, e.name);
    if (e.isDirectory()) {
      if (recursive) out.push(...(await filesIn(file, label, recursive)));
    } else if (MANIFEST_EXTENSIONS.has(path.extname(e.name).toLowerCase())) out.push({ file, shown: label });
  }
  return out;
}

/** Reads and parses every manifest the -f arguments name, in order. */
export async function loadManifests(paths: readonly string[], io: CliIO, recursive = false): Promise<ManifestDocument[]> {
  const docs: ManifestDocument[] = [];
  const parse = (text: string, source: string) => {
    try {
      docs.push(...parseManifests(text, source));
    } catch (err) {
      if (err instanceof ManifestError) throw new CliError(`error parsing ${err.message}`);
      throw err;
    }
  };
  for (const p of paths) {
    if (p === '-') {
      parse(await io.readStdin(), 'STDIN');
      continue;
    }
    if (/^https?:\/\//.test(p)) throw new CliError(`reading manifests from URLs is not supported: "${p}"; download it and pass the file`);
    const full = path.resolve(io.cwd, p);
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(full);
    } catch {
      throw new CliError(`the path "${p}" does not exist`);
    }
    if (st.isDirectory()) {
      for (const f of await filesIn(full, p, recursive)) parse(await readFile(f.file, 'utf8'), f.shown);
    } else {
      parse(await readFile(full, 'utf8'), p);
    }
  }
  return docs;
}

export interface ManifestObject {
  source: string;
  resource: ResourceType;
  object: KObject;
  /** Undefined for cluster-scoped kinds. */
  namespace?: string;
}

export interface PrepareOptions {
  /** The namespace for objects that name none. */
  namespace: string;
  /** -n was given: an object in another namespace is refused, as kubectl refuses it. */
  namespaceGiven: boolean;
  validate: boolean;
}

/** Resolves a document's kind, fills its namespace and validates it. Throws CliError naming the source. */
export function prepareManifest(doc: ManifestDocument, opts: PrepareOptions): ManifestObject {
  const obj = doc.object as Partial<KObject> & Record<string, unknown>;
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  const name = typeof obj.metadata?.name === 'string' ? obj.metadata.name : '';
  if (!kind) throw new CliError(`error validating "${doc.source}": kind: Required value: every object needs apiVersion and kind`);
  const r = resourceByKind(kind);
  if (!r) {
    const served = RESOURCES.map((x) => x.kind).join(', ');
    throw new CliError(
      `resource mapping not found for name: "${name}" from "${doc.source}": no matches for kind "${kind}" in version "${String(obj.apiVersion ?? '')}"; kip serves ${served}`,
    );
  }
  if (opts.validate) {
    const errors = validateObject(obj);
    if (errors.length > 0) throw new CliError(`error validating "${doc.source}": ${formatFieldErrors(kind, name, errors)}`);
  }
  const copy = structuredClone(obj) as KObject;
  copy.metadata ??= { name: '' };
  let namespace: string | undefined;
  if (r.namespaced) {
    const own = copy.metadata.namespace;
    if (own && opts.namespaceGiven && own !== opts.namespace)
      throw new CliError(
        `${doc.source}: the namespace from the provided object "${own}" does not match the namespace "${opts.namespace}". You must pass '--namespace=${own}' to perform this operation.`,
      );
    namespace = own || opts.namespace;
    copy.metadata.namespace = namespace;
  } else {
    delete copy.metadata.namespace;
  }
  return namespace === undefined ? { source: doc.source, resource: r, object: copy } : { source: doc.source, resource: r, object: copy, namespace };
}
