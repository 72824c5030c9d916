// The flags of the network actions' parameters, from the fault table: each parameter is a flag of
// its own name (--latency, --rate), described and checked by the action itself, so that a new
// action's parameters are on the command line without a change here.

import { hasParams, NETWORK_ACTIONS, validateActionParams, type NetworkFaultAction } from '@kip/shared';
import { UsageError } from '../kip/errors.js';
import type { FlagSpec, ParsedFlags } from '../kip/flags.js';

/** An action's example value of a parameter: "100ms" for --latency. */
function exampleOf(a: NetworkFaultAction, name: string): string {
  return String((a.example[a.name] as Record<string, unknown> | undefined)?.[name] ?? 'value');
}

/** --latency, --jitter, --rate, ...: one flag per parameter name of the network actions (actions may share one). */
export const ACTION_FLAGS: FlagSpec[] = [...new Set(NETWORK_ACTIONS.flatMap(actionFlagNames))].map((name) => {
  const takers: NetworkFaultAction[] = NETWORK_ACTIONS.filter((a) => actionFlagNames(a).includes(name));
  const first = takers[0]!;
  return {
    name,
    type: 'string',
    valueName: exampleOf(first, name),
    description: `${takers.map((a) => a.name).join(', ')}: ${String(first.params.properties[name]!.description)}.`,
  };
});

/** The names of the flags an action's parameters take. */
export function actionFlagNames(a: NetworkFaultAction): string[] {
  return Object.keys(a.params.properties);
}

/** The block of parameters the flags give an action, checked by the action; undefined when it takes none. */
export function paramsFromFlags(a: NetworkFaultAction, command: string, flags: ParsedFlags): Record<string, string> | undefined {
  if (!hasParams(a)) return undefined;
  const block: Record<string, string> = {};
  for (const name of actionFlagNames(a)) {
    const v = flags.str(name);
    if (v !== undefined) block[name] = v;
  }
  const [err] = validateActionParams(a, block, '');
  if (!err) return block;
  const name = err.field.replace(/^\./, '');
  const given = block[name];
  if (given === undefined) throw new UsageError(`${command} needs --${name}, e.g. --${name} ${exampleOf(a, name)}`);
  throw new UsageError(`invalid argument "${given}" for "--${name}" flag: ${err.message.replace(/^Invalid value: .*?: /, '')}`);
}
