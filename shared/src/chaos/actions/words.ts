// A fault in words, from each action's own `describe`: one phrase for events, records, experiment
// timelines and the chaos command line ("delay 100ms ±20ms"), and the parameters as
// `kip describe` lists them ("latency=100ms jitter=20ms").

import type { Obj } from '../../validation/errors.js';
import type { ParamWords } from './action.js';
import { findNetworkAction, findNodeAction } from './index.js';

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The parameters of a spec's action in words; the spec may not be valid yet. */
function paramWords(spec: Obj): ParamWords[] {
  const net = findNetworkAction(spec.action);
  if (net) {
    const block = spec[net.name];
    return net.describe(isObj(block) ? block : undefined);
  }
  return findNodeAction(spec.action)?.describe(spec) ?? [];
}

/** "delay 100ms ±20ms (correlation 25%)", "reset (probability 0.5)", "partition". */
export function describeFault(spec: Obj): string {
  const action = typeof spec.action === 'string' ? spec.action : '?';
  const words = paramWords(spec);
  const note = findNetworkAction(action)?.note;
  const more = [...words.filter((w) => w.inline === undefined).map((w) => `${w.name} ${w.value}`), ...(note ? [note] : [])];
  return [action, ...words.flatMap((w) => w.inline ?? [])].join(' ') + (more.length ? ` (${more.join(', ')})` : '');
}

/** "latency=100ms jitter=20ms"; undefined when the action takes no parameters. */
export function describeParameters(spec: Obj): string | undefined {
  const words = paramWords(spec);
  return words.length ? words.map((w) => `${w.name}=${w.value}`).join(' ') : undefined;
}

/** "->", "<-" or "<->": which way a network fault acts, seen from the selected nodes (default "to"). */
export function directionArrow(direction: unknown): string {
  return direction === 'both' ? '<->' : direction === 'from' ? '<-' : '->';
}
