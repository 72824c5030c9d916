// Node faults, carried out by the agent on itself: one handler per node action of the fault table
// (shared/src/chaos/actions), each in its own file. The record's type asks for a handler for
// every action the table lists.

import type { NodeAction, NodeChaosAction } from '@kip/shared';
import type { NodeActionDeps, NodeActionHandler } from './node-actions/handler.js';
import { kill } from './node-actions/kill.js';
import { pause } from './node-actions/pause.js';
import { restart } from './node-actions/restart.js';

export { podGroups, type NodeActionDeps } from './node-actions/handler.js';

const HANDLERS: Record<NodeChaosAction, NodeActionHandler> = { kill, pause, restart };

/** Carries out a node action. kill and restart do not return (the process is gone). */
export async function performNodeAction(msg: NodeAction, deps: NodeActionDeps): Promise<void> {
  await HANDLERS[msg.action](msg, { ...deps, pid: deps.pid ?? process.pid, signal: deps.signal ?? ((p, s) => process.kill(p, s)) });
}
