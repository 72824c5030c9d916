// The NodeChaos controller: kills, pauses and restarts nodes by telling their agents to
// (a nodeAction message; the agent carries it out on itself). It picks among connected, Ready
// nodes, skips a run that would leave fewer Ready nodes than minReady, and watches a lasting
// fault until it is over. What each action means to the controller (its words, how long it
// lasts, what deleting it undoes) is in node-actions/, one file per action of the fault table.

import {
  chooseForNodeChaos,
  findNodeAction,
  isNodeReady,
  type ChaosStatus,
  type Node,
  type NodeAction,
  type NodeChaos,
  type NodeChaosAction,
} from '@kip/shared';
import { ChaosController, type ActiveFault, type ChaosControllerDeps, type HealCheck, type RunOutcome } from './chaos-controller.js';
import { kill } from './node-actions/kill.js';
import { pause } from './node-actions/pause.js';
import { restart } from './node-actions/restart.js';
import type { NodeActionRules, NodeChaosWorld } from './node-actions/rules.js';
import { resumeNow } from './resume-early.js';

export { RESTART_GRACE_MS } from './node-actions/restart.js';

const RULES: Record<NodeChaosAction, NodeActionRules> = { kill, pause, restart };

export class NodeChaosController extends ChaosController<NodeChaos> {
  readonly name = 'nodechaos';
  readonly kind = 'NodeChaos' as const;
  private readonly world: NodeChaosWorld;

  constructor(deps: ChaosControllerDeps) {
    super(deps);
    this.world = { agents: this.agents, store: this.store, clock: this.clock, resumeNow: deps.resumeNow ?? resumeNow };
  }

  protected run(obj: NodeChaos, status: ChaosStatus, now: number, attempt: number): RunOutcome {
    const spec = obj.spec;
    // Ready means Ready and connected: a node whose agent is gone cannot be told anything.
    const facts = this.store
      .list<Node>('Node')
      .items.map((n) => ({ name: n.metadata.name, labels: n.metadata.labels, ready: isNodeReady(n) && this.agents.session(n.metadata.name) !== undefined }));
    const choice = chooseForNodeChaos(spec, facts, status.seed ?? 0, attempt);
    if (choice.result !== 'Chosen') return { result: choice.result, nodes: choice.nodes, message: choice.message };
    const chosen = choice.nodes;
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const skippedNote = choice.unavailable.length ? `; skipped ${choice.unavailable.join(', ')} (not Ready)` : '';
    // The message is the action's wire encoding of the spec: what the agent needs to carry it out.
    const msg: NodeAction = { type: 'nodeAction', action: spec.action, chaos: key, ...findNodeAction(spec.action)!.toWire(spec) };
    const act = () => {
      for (const n of chosen) if (!this.agents.session(n)?.send(msg)) this.log.warn('could not reach node for chaos', { node: n, chaos: key });
    };
    return { result: 'Injected', nodes: chosen, ...RULES[spec.action].inject({ description: choice.description, skippedNote, msg, now }), act };
  }

  protected checkHeal(obj: NodeChaos, status: ChaosStatus, now: number): HealCheck {
    return RULES[obj.spec.action].checkHeal(obj, status, now, this.world);
  }

  protected healDeleted(fault: ActiveFault): string {
    return RULES[fault.action as NodeChaosAction].healDeleted(fault, this.world);
  }
}
