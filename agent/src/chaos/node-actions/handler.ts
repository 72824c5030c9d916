// What a node action's agent half gets: the node it runs on, how to tell the control plane, and
// how to signal processes (tests replace it).

import type { EventRecord, Logger, NodeAction } from '@kip/shared';
import { listProcesses } from '../../kubelet/proc.js';

export interface NodeActionDeps {
  nodeName: string;
  /** <data-dir>/nodes/<node> */
  nodeDir: string;
  log: Logger;
  /** sends an event about this node to the control plane */
  event(ev: EventRecord): void;
  /** who restarts this agent on request, if anyone (default: $KIP_AGENT_SUPERVISOR) */
  supervisor?: string;
  /** the agent's pid (default: this process) */
  pid?: number;
  /** signals a process; tests replace it (default: process.kill) */
  signal?: (pid: number, signal: NodeJS.Signals) => void;
}

/** The deps with their defaults filled in. */
export type NodeActionContext = NodeActionDeps & { pid: number; signal: (pid: number, signal: NodeJS.Signals) => void };

/** Carries out one node action on this agent; kill and restart do not come back (the process is gone). */
export type NodeActionHandler = (msg: NodeAction, ctx: NodeActionContext) => Promise<void>;

/** The process groups of this agent's pods: its children that lead their own group. */
export function podGroups(agentPid: number): number[] {
  return listProcesses()
    .filter((p) => p.ppid === agentPid && p.pgid === p.pid && p.state !== 'Z')
    .map((p) => p.pid)
    .sort((a, b) => a - b);
}

export function nodeEvent(ctx: NodeActionDeps, reason: string, message: string, type: EventRecord['type'] = 'Normal'): void {
  ctx.event({ involvedObject: { kind: 'Node', name: ctx.nodeName }, reason, message, type });
}
