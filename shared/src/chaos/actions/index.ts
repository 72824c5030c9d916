// The fault table: every action kip can inject, each defined in its own file. The API's schema and
// validation, the wire codec, the words in events, `kip describe` and experiment timelines, and
// the agents' enforcement all loop over these lists: adding an action is its file and its line here.

import type { NetworkFaultAction, NodeFaultAction } from './action.js';
import { bandwidth } from './bandwidth.js';
import { delay } from './delay.js';
import { kill } from './kill.js';
import { partition } from './partition.js';
import { pause } from './pause.js';
import { reset } from './reset.js';
import { restart } from './restart.js';
import { timeout } from './timeout.js';

/** Actions on the links between nodes (NetworkChaos), in the order help texts and errors list them. */
export const NETWORK_ACTIONS = [delay, bandwidth, reset, timeout, partition] as const;

/** Actions on nodes (NodeChaos). */
export const NODE_ACTIONS = [kill, pause, restart] as const;

export type NetworkActionName = (typeof NETWORK_ACTIONS)[number]['name'];
export type NodeActionName = (typeof NODE_ACTIONS)[number]['name'];

export const NETWORK_ACTION_NAMES: readonly NetworkActionName[] = NETWORK_ACTIONS.map((a) => a.name);
export const NODE_ACTION_NAMES: readonly NodeActionName[] = NODE_ACTIONS.map((a) => a.name);

const networkByName = new Map<string, NetworkFaultAction>(NETWORK_ACTIONS.map((a) => [a.name, a]));
const nodeByName = new Map<string, NodeFaultAction>(NODE_ACTIONS.map((a) => [a.name, a]));

export function findNetworkAction(name: unknown): NetworkFaultAction | undefined {
  return typeof name === 'string' ? networkByName.get(name) : undefined;
}

export function findNodeAction(name: unknown): NodeFaultAction | undefined {
  return typeof name === 'string' ? nodeByName.get(name) : undefined;
}

/** Whether an action takes parameters of its own: a network action's block spec.<name>, a node action's fields. */
export function hasParams(a: NetworkFaultAction | NodeFaultAction): boolean {
  return Object.keys(a.params.properties).length > 0;
}

/** The network actions that take a block, spec.delay and the like. */
export const NETWORK_PARAM_BLOCKS: readonly NetworkActionName[] = NETWORK_ACTIONS.filter(hasParams).map((a) => a.name);
