// What the NodeChaos controller does for one node action: the words and lifetime of an injection,
// when a lasting one is over, and what deleting the object does to one in progress.

import type { ChaosStatus, Clock, NodeAction, NodeChaos } from '@kip/shared';
import type { Store } from '../../store/store.js';
import type { ActiveFault, ChaosAgents, HealCheck, RunOutcome } from '../chaos-controller.js';

/** What the rules may look at and do: the agents' sessions, the nodes, the clock, and ending a pause early. */
export interface NodeChaosWorld {
  agents: ChaosAgents;
  store: Store;
  clock: Clock;
  /** ends the pause of the agent with this pid early; how many resumers it told */
  resumeNow(agentPid: number): number;
}

export interface Injection {
  /** the chosen nodes, with the mode that chose them */
  description: string;
  /** "; skipped node-2 (not Ready)", or nothing */
  skippedNote: string;
  /** what the agents are sent */
  msg: NodeAction;
  now: number;
}

export interface NodeActionRules {
  /** The record's and events' words for an injection, and whether (and until when) it lasts. */
  inject(run: Injection): Pick<RunOutcome, 'message' | 'nodeMessage' | 'lasting' | 'healAt'>;
  /** Whether a lasting injection is over. */
  checkHeal(obj: NodeChaos, status: ChaosStatus, now: number, world: NodeChaosWorld): HealCheck;
  /** Undoes what a deleted object still holds; answers the message of its Recovered events. */
  healDeleted(fault: ActiveFault, world: NodeChaosWorld): string;
}
