// What the faults an agent enforces on one link add up to, folded from each action's own
// enforcement: the shape of each direction's bytes, and what happens to whole connections.

import type { NetworkFault } from '../../wire/messages.js';
import type { ConnectionEffect, TrafficShape } from './action.js';
import { findNetworkAction } from './index.js';

export const UNSHAPED: TrafficShape = { held: false, latencyMs: 0, jitterMs: 0, correlation: 0, delaySeeds: [] };

/** The shape of one direction of a link under these faults (the ones that cover that direction). */
export function trafficShape(faults: readonly NetworkFault[]): TrafficShape {
  let s = UNSHAPED;
  for (const f of faults) {
    const how = findNetworkAction(f.action)?.enforce;
    if (how?.scope === 'direction') s = how.shape(s, f);
  }
  return s;
}

/** What these faults on a link do to its connections. */
export function connectionEffect(faults: readonly NetworkFault[]): ConnectionEffect {
  let c: ConnectionEffect = { resets: [] };
  for (const f of faults) {
    const how = findNetworkAction(f.action)?.enforce;
    if (how?.scope === 'connection') c = how.effect(c, f);
  }
  return c;
}

/** Whether an action acts on whole connections, enforced from one side of each pair of nodes. */
export function actsOnConnections(action: string): boolean {
  return findNetworkAction(action)?.enforce.scope === 'connection';
}
