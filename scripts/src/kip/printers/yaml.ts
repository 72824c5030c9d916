// `-o yaml`: the same objects as `-o json`, in the YAML layout kubectl uses (sequences not
// indented under their key, no line folding, no anchors for repeated values).

import { stringify } from 'yaml';

export function printYAML(value: unknown): string {
  return stringify(value, { indentSeq: false, lineWidth: 0, aliasDuplicateObjects: false });
}

/** Separates objects streamed one after another, as `kubectl get -w -o yaml` does. */
export const YAML_DOCUMENT_SEPARATOR = '---\n';
