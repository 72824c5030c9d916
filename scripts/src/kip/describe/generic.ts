// Describe for kinds without a describer of their own (events, and kinds added later): the
// metadata kubectl always shows, then the rest of the object as indented YAML.

import { stringify } from 'yaml';
import type { Event, KObject } from '@kip/shared';
import { writeAnnotations, writeEvents, writeLabels } from './sections.js';
import { DescribeWriter, type DescribeEnv } from './writer.js';

function titleCase(key: string): string {
  return key.length === 0 ? key : key[0]!.toUpperCase() + key.slice(1);
}

export function describeGeneric(obj: KObject, events: readonly Event[], env: DescribeEnv, withEvents = true): string {
  const w = new DescribeWriter(env);
  w.field(0, 'Name', obj.metadata.name);
  if (obj.metadata.namespace) w.field(0, 'Namespace', obj.metadata.namespace);
  writeLabels(w, '', 'Labels', obj.metadata.labels);
  writeAnnotations(w, '', 'Annotations', obj.metadata.annotations);
  w.field(0, 'API Version', obj.apiVersion);
  w.field(0, 'Kind', obj.kind);
  for (const [key, value] of Object.entries(obj as unknown as Record<string, unknown>)) {
    if (['apiVersion', 'kind', 'metadata'].includes(key) || value === undefined) continue;
    if (value !== null && typeof value === 'object') {
      w.write(0, `${titleCase(key)}:\n`);
      const text = stringify(value, { indentSeq: false, lineWidth: 0 }).trimEnd();
      // No tabs inside: a value's own layout must not join the aligned columns.
      for (const line of text.split('\n')) w.write(1, `${line.replace(/\t/g, ' ')}\n`);
    } else {
      w.field(0, titleCase(key), String(value));
    }
  }
  if (withEvents) writeEvents(w, events);
  return w.toString();
}
