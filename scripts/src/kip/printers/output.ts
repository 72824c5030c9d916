// The -o flag: which printer a command uses, and the template of jsonpath and custom-columns.
// Unknown formats get kubectl's message, listing the ones the command allows.

import type { KObject } from '@kip/shared';
import { UsageError } from '../errors.js';
import { CustomColumnsPrinter, parseCustomColumns } from './custom-columns.js';
import { asList, printJSON } from './json.js';
import { executeTemplate, parseTemplate } from './jsonpath.js';
import { printName } from './name.js';
import { printYAML } from './yaml.js';

export type OutputFormat = 'table' | 'wide' | 'json' | 'yaml' | 'name' | 'jsonpath' | 'custom-columns';

export interface OutputSpec {
  format: OutputFormat;
  /** The template after `jsonpath=` or `custom-columns=`. */
  template?: string;
}

const ALL_FORMATS: readonly OutputFormat[] = ['table', 'wide', 'json', 'yaml', 'name'];
export const GET_FORMATS: readonly OutputFormat[] = [...ALL_FORMATS, 'jsonpath', 'custom-columns'];

export function parseOutput(value: string | undefined, allowed: readonly OutputFormat[] = ALL_FORMATS): OutputSpec {
  const v = (value ?? '').trim();
  const eq = v.indexOf('=');
  const name = (v === '' ? 'table' : eq < 0 ? v : v.slice(0, eq)) as OutputFormat;
  if (!allowed.includes(name) || (eq >= 0 && name !== 'jsonpath' && name !== 'custom-columns')) {
    const names = allowed.filter((a) => a !== 'table').map((a) => (a === 'jsonpath' || a === 'custom-columns' ? `${a}=...` : a));
    throw new UsageError(`unable to match a printer suitable for the output format "${v}", allowed formats are: ${names.sort().join(',')}`);
  }
  if (name === 'jsonpath' || name === 'custom-columns') {
    const template = eq < 0 ? '' : v.slice(eq + 1);
    if (template.trim() === '') throw new UsageError(`${name} format specified but no ${name === 'jsonpath' ? 'template' : 'custom columns'} given`);
    // Check the template now, so a typo fails before any request.
    if (name === 'jsonpath') parseTemplate(template);
    else parseCustomColumns(template);
    return { format: name, template };
  }
  return { format: name };
}

export function parseOutputFormat<F extends OutputFormat = OutputFormat>(value: string | undefined, allowed: readonly F[] = ALL_FORMATS as readonly F[]): F {
  return parseOutput(value, allowed).format as F;
}

/** Prints objects in a structured format: one object alone, or several (or a collection) as a List. */
export function printStructured(format: 'json' | 'yaml' | 'name', objects: readonly KObject[], single: boolean): string {
  if (format === 'name') return objects.map(printName).join('');
  const value = single && objects.length === 1 ? objects[0] : asList(objects);
  return format === 'json' ? printJSON(value) : printYAML(value);
}

/** Prints objects with any non-table format, including jsonpath and custom-columns templates. */
export function printObjects(spec: OutputSpec, objects: readonly KObject[], single: boolean, noHeaders = false): string {
  switch (spec.format) {
    case 'jsonpath':
      return executeTemplate(spec.template!, single && objects.length === 1 ? objects[0] : asList(objects));
    case 'custom-columns':
      return new CustomColumnsPrinter(parseCustomColumns(spec.template!), noHeaders).print(objects);
    case 'json':
    case 'yaml':
    case 'name':
      return printStructured(spec.format, objects, single);
    default:
      throw new Error(`printObjects does not print tables (${spec.format})`);
  }
}
